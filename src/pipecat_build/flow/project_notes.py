"""What a build run says about the pcc-deploy.toml keys it accepts but does not act on.

`pcc deploy` deploys the file's `image` (or `build_id`) instead of building; this action was
added to build the folder, so it builds and deploys its own image and says so in a notice
(the starter template ships a placeholder `image`, which must neither be deployed nor pass
unnoticed). The pull secret set (`image_credentials`) is only for deploying an image: a
cloud build is pulled with Pipecat Cloud's managed credentials, as `pcc deploy` does.
Keys `pcc deploy` itself does nothing with when deploying ([docker], unknown [build] keys) are
named too, so no key of the file is dropped without a word."""

from __future__ import annotations

from ..config import Target
from ..config.project_file import PROJECT_FILE_NAME


def project_notices(target: Target) -> list[str]:
    """Only runs that pack call this: a `build-id` or `image` deploy says what it deploys."""
    project = target.project
    if project is None:
        return []
    deploys = target.deploy is not None
    made = "builds this folder and deploys that build" if deploys else "builds this folder"
    notes: list[str] = []
    for key, value in (("image", project.image), ("build_id", project.build_id)):
        if value is not None:
            notes.append(
                f"{PROJECT_FILE_NAME}: {key} = '{value}' is not used: this action {made} "
                f"(`pcc deploy` would deploy that {key.replace('_', ' ')} instead of building); "
                f"remove {key} from the file if it is a placeholder"
            )
    if project.image_credentials is not None:
        notes.append(
            f"{PROJECT_FILE_NAME}: image_credentials = '{project.image_credentials}' is not "
            "used: a Pipecat Cloud build is pulled with the service's own credentials (it "
            "applies only when deploying an image)"
        )
    if project.unused:
        docker = any(key.startswith("[docker]") for key in project.unused)
        notes.append(
            f"{PROJECT_FILE_NAME}: {', '.join(project.unused)} not used: `pcc deploy` does "
            "nothing with these when deploying either"
            + (" ([docker] is read by `pcc docker build-push`)" if docker else "")
        )
    return notes
