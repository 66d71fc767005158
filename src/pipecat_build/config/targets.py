"""A `Target` is one image to build (and, with a deploy, one agent to deploy it to). It is
resolved from a folder as `pcc deploy` run there would: the folder's `pcc-deploy.toml` fills
what the inputs leave empty, and each value remembers where it came from, so the log can say it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from ..inputs import AGENT_PROFILES, AUDIO_FILTERS, BY_NAME, DEPLOY_MODES
from . import cleaners as clean
from .project_file import PROJECT_FILE_NAME, ProjectFile, load_project_file


def raw_value(values: Mapping[str, str], name: str) -> str:
    """An input's text, or its default from the inputs table when it is empty: the one place
    defaults come from."""
    value = values.get(name, "")
    return value if value.strip() else BY_NAME[name].default


@dataclass(frozen=True)
class DeploySpec:
    """Where and how to deploy a target's image. None fields are not sent (service default)."""

    agent: str
    secret_set: str | None = None
    secrets: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    min_agents: int | None = None
    max_agents: int | None = None
    agent_profile: str | None = None
    max_session_duration: int | None = None
    audio_filter: str | None = None
    force_redeploy: bool = False
    wait_for_ready: bool = BY_NAME["wait-for-ready"].default == "true"  # the table's defaults
    timeout: float = float(BY_NAME["deploy-timeout"].default)
    origin: str = "agent-name"  # where the agent's name came from
    secret_set_origin: str = "secret-set"  # where the secret set's name came from
    build_id: str = ""  # `build-id`: deploy this existing build instead of building
    image: str = ""  # `image`: deploy this registry image instead of building
    image_credentials: str | None = None  # its pull-secret set (`imagePullSecretSet`)


@dataclass(frozen=True)
class Target:
    """One image to build: a context folder, its Dockerfile and (optionally) its own region."""

    name: str
    context_dir: Path
    dockerfile: str
    region: str | None
    extra_patterns: tuple[str, ...] = ()
    project_file: Path | None = None
    origin: Path | None = None  # the folder the input named, before pcc-deploy.toml moved it
    sources: Mapping[str, str] = field(default_factory=dict)  # value -> where it came from
    deploy: DeploySpec | None = None
    project: ProjectFile | None = None  # the parsed pcc-deploy.toml, for what a flow reads

    def input_folder(self, workspace: Path) -> str:
        """The `context` to give a later run so it finds the same target (plan fan-out)."""
        folder = self.origin or self.context_dir
        return folder.relative_to(workspace).as_posix() or "."

    @property
    def from_services(self) -> bool:
        """Given by an entry of `services` (and named after it); else by `context`."""
        return bool(self.name)

    def input_for(self, step_input: str) -> str:
        """The input a message about this target names: `services` for a service's target,
        else the step's own input (`context`, `dockerfile`, `region`, ...)."""
        return "services" if self.from_services else step_input

    def label(self, workspace: Path) -> str:
        """How logs name this target: the service name, else the context path."""
        if self.from_services:
            return self.name
        return self.context_dir.relative_to(workspace).as_posix() or "."


@dataclass(frozen=True)
class DeployInputs:
    """The deploy inputs of the step (or of one service), before pcc-deploy.toml fills gaps."""

    mode: str
    agent: str | None
    secret_set: str | None
    secrets: tuple[tuple[str, str], ...] = field(repr=False)
    min_agents: int | None
    max_agents: int | None
    agent_profile: str | None
    max_session_duration: int | None
    audio_filter: str | None
    force_redeploy: bool
    wait_for_ready: bool
    timeout: float
    suffix: str = ""  # `agent-name-suffix`, appended to whichever name is found
    build_id: str = ""
    image: str = ""
    image_credentials: str | None = None

    @property
    def given(self) -> str:
        """What the step deploys instead of a build of its own, by its input's name."""
        return "build-id" if self.build_id else "image" if self.image else ""

    @classmethod
    def clean(cls, get: Mapping[str, str], source: str | None = None) -> DeployInputs:
        """`source` names where the values came from when it is not the inputs themselves
        (a service entry), so an error points there."""

        def name(input_name: str) -> str:
            return source or input_name

        def raw(input_name: str) -> str:
            return raw_value(get, input_name)

        agent = raw("agent-name").strip()
        return cls(
            mode=clean.clean_choice(name("deploy"), raw("deploy"), DEPLOY_MODES),
            agent=clean.clean_agent_name(name("agent-name"), agent) if agent else None,
            secret_set=clean.clean_secret_set(name("secret-set"), raw("secret-set")),
            secrets=clean.clean_secrets(name("secrets"), raw("secrets")),
            min_agents=clean.clean_count(name("min-agents"), raw("min-agents")),
            max_agents=clean.clean_max_agents(name("max-agents"), raw("max-agents")),
            agent_profile=clean.clean_optional_choice(
                name("agent-profile"), raw("agent-profile"), AGENT_PROFILES
            ),
            max_session_duration=clean.clean_session_duration(
                name("max-session-duration"), raw("max-session-duration")
            ),
            audio_filter=clean.clean_optional_choice(
                name("krisp-viva-audio-filter"), raw("krisp-viva-audio-filter"), AUDIO_FILTERS
            ),
            force_redeploy=clean.clean_bool(name("force-redeploy"), raw("force-redeploy")),
            wait_for_ready=clean.clean_bool(name("wait-for-ready"), raw("wait-for-ready")),
            timeout=clean.clean_positive_seconds(name("deploy-timeout"), raw("deploy-timeout")),
            suffix=clean.clean_agent_name_suffix(
                name("agent-name-suffix"), raw("agent-name-suffix")
            ),
            build_id=clean.clean_build_id(name("build-id"), raw("build-id")),
            image=clean.clean_image(name("image"), raw("image")),
            image_credentials=clean.clean_secret_set(
                name("image-credentials"), raw("image-credentials")
            ),
        )

    def resolve(
        self, project: ProjectFile | None, error_name: str | None = None
    ) -> DeploySpec | None:
        """Applies pcc-deploy.toml as `pcc deploy` reads it; explicit inputs win."""
        agent, origin = self.agent, "agent-name"
        instead = self.given  # a build id or an image is there to be deployed: deploy implied
        if self.mode == "false" and instead:
            raise InputError(
                error_name or "deploy", f"is false but {instead} is set, which only deploys; "
                "remove one of them"
            )
        if self.mode == "false" or (self.mode == "auto" and agent is None and not instead):
            return None
        if agent is None and project is not None and project.agent_name:
            agent = clean.clean_agent_name(PROJECT_FILE_NAME, project.agent_name, is_file=True)
            origin = f"{PROJECT_FILE_NAME} agent_name"
        if agent is None:
            raise InputError(
                error_name or instead or "deploy",
                ("is set" if instead else "is true") + " but no agent is named; set agent-name "
                f"(or agent_name in {PROJECT_FILE_NAME})",
            )
        if self.suffix:
            agent, origin = agent_with_suffix(agent, self.suffix), f"{origin} + agent-name-suffix"
        from_file = project or _NO_PROJECT
        secret_set = self.secret_set or clean.clean_secret_set(
            PROJECT_FILE_NAME, from_file.secret_set or "", is_file=True
        )
        secret_set_origin = error_name or "secret-set"
        if not self.secret_set and secret_set and project is not None:
            secret_set_origin = f"{PROJECT_FILE_NAME} secret_set"
        if self.secrets and not secret_set:
            raise InputError(
                error_name or "secrets",
                "needs a secret set to write to; set secret-set (or secret_set in "
                f"{PROJECT_FILE_NAME})",
            )
        min_agents = _first(self.min_agents, from_file.min_agents)
        max_agents = _first(self.max_agents, from_file.max_agents)
        for count, given, key in (
            (min_agents, self.min_agents, "min_agents"),
            (max_agents, self.max_agents, "max_agents"),
        ):
            if count is not None and count < 0:
                if given is not None:
                    raise InputError(
                        error_name or key.replace("_", "-"),
                        f"'{count}' is negative; use 0 or more",
                    )
                raise InputError(
                    PROJECT_FILE_NAME,
                    f"[scaling] {key} {count} is negative; use 0 or more",
                    is_file=True,
                )
        if min_agents is not None and max_agents is not None and min_agents > max_agents:
            if self.min_agents is None and self.max_agents is None:
                raise InputError(
                    PROJECT_FILE_NAME,
                    f"[scaling] min_agents {min_agents} is above max_agents {max_agents}",
                    is_file=True,
                )
            raise InputError(
                error_name or "min-agents",
                f"{min_agents} is above max-agents {max_agents}; lower it or raise max-agents",
            )
        profile = _file_choice(
            self.agent_profile or from_file.agent_profile, "agent_profile", AGENT_PROFILES
        )
        duration = _first(self.max_session_duration, from_file.max_session_duration)
        low, high = clean.SESSION_DURATION
        if duration is not None and not low <= duration <= high:
            raise InputError(
                PROJECT_FILE_NAME,
                f"max_session_duration {duration} is not from {low} to {high}",
                is_file=True,
            )
        audio = _file_choice(
            self.audio_filter or from_file.audio_filter, "krisp_viva.audio_filter", AUDIO_FILTERS
        )
        return DeploySpec(
            agent=agent,
            secret_set=secret_set,
            secrets=self.secrets,
            min_agents=min_agents,
            max_agents=max_agents,
            agent_profile=profile,
            max_session_duration=duration,
            audio_filter=audio,
            force_redeploy=self.force_redeploy,
            wait_for_ready=self.wait_for_ready,
            timeout=self.timeout,
            origin=origin,
            secret_set_origin=secret_set_origin,
            build_id=self.build_id,
            image=self.image,
            # Only an image is pulled with it (`pcc deploy` skips it for a build too).
            image_credentials=(self.image_credentials or _file_credentials(project))
            if self.image
            else None,
        )


def agent_with_suffix(agent: str, suffix: str) -> str:
    """`<agent>-<suffix>`, kept a valid agent name (at most AGENT_NAME_MAX characters): when
    too long, the agent's name is cut and six hex characters of its SHA-256 are put before the
    suffix, so two long names that share their start still give two agents, and the same inputs
    always give the same name (the deploy and the later delete agree)."""
    if not suffix:
        return agent
    name = f"{agent}-{suffix}"
    if len(name) <= clean.AGENT_NAME_MAX:
        return name
    digest = hashlib.sha256(agent.encode()).hexdigest()[:6]
    keep = clean.AGENT_NAME_MAX - len(suffix) - len(digest) - 2
    return f"{agent[:keep].rstrip('-')}-{digest}-{suffix}"


def _file_credentials(project: ProjectFile | None) -> str | None:
    """pcc-deploy.toml's `image_credentials`, the default of `image-credentials`."""
    raw = project.image_credentials if project is not None else None
    return clean.clean_secret_set(PROJECT_FILE_NAME, raw, is_file=True) if raw else None


_NO_PROJECT = ProjectFile(Path(), None, ".", None, ())


def _file_choice(value: str | None, key: str, choices: tuple[str, ...]) -> str | None:
    """A choice that only pcc-deploy.toml can have left unchecked (inputs are cleaned)."""
    if value is not None and value not in choices:
        raise InputError(
            PROJECT_FILE_NAME, f"{key} '{value}' is not one of: {', '.join(choices)}", is_file=True
        )
    return value


def _first(*values: int | None) -> int | None:
    return next((v for v in values if v is not None), None)


def target_from_folder(
    name: str,
    folder: Path,
    workspace: Path,
    dockerfile_input: str,
    region_input: str | None,
    input_name: str,
    deploy: DeployInputs,
    *,
    region_source: str = "region",
    context_source: str = "context",
) -> Target:
    """Applies `pcc-deploy.toml` from `folder` (as `pcc deploy` run there would); inputs win.

    A bad value names the input it came from: the explicit input, else the project file."""
    project: ProjectFile | None = load_project_file(folder, workspace)
    context_dir = folder
    sources = {"context": context_source, "dockerfile": input_name, "region": region_source}
    dockerfile = (
        clean.clean_dockerfile(input_name, dockerfile_input) if dockerfile_input.strip() else ""
    )
    region = region_input
    patterns: tuple[str, ...] = ()
    if project is not None:
        shown = project.path.relative_to(workspace.resolve()).as_posix()
        if project.context_dir != ".":
            context_dir = clean.folder_in_workspace(
                PROJECT_FILE_NAME,
                folder / project.context_dir,
                f"{shown}: build.context_dir = {project.context_dir}",
                workspace,
                is_file=True,
            )
            sources["context"] = f"{shown} [build] context_dir"
        if not dockerfile and project.dockerfile:
            dockerfile = clean.clean_dockerfile(PROJECT_FILE_NAME, project.dockerfile, is_file=True)
            sources["dockerfile"] = f"{shown} [build] dockerfile"
        if not region and project.region:
            region = clean.clean_region(PROJECT_FILE_NAME, project.region, is_file=True)
            sources["region"] = f"{shown} region"
        patterns = project.exclude_patterns
    if not dockerfile:
        sources["dockerfile"] = "default"
    if not region:
        sources["region"] = "the organization's default region"
    return Target(
        name=name,
        context_dir=context_dir,
        dockerfile=dockerfile or "Dockerfile",
        region=region,
        extra_patterns=patterns,
        project_file=None if project is None else project.path,
        origin=folder,
        sources=sources,
        deploy=deploy.resolve(project, input_name if input_name == "services" else None),
        project=project,
    )
