"""Issue 19 §3, in process against the emulator: a region the organization does not offer
fails before anything is uploaded or planned (a build of the context in that region proves
it, so a reuse stays one request), and a secret set that does not exist (with no `secrets`
to create it) fails before anything is packed; each names where the value came from and the
fix; `plan-only` too. Issue 19
§2: a pcc-deploy.toml key the agents API cannot take fails before any request at all."""

from __future__ import annotations

import io
import os
from pathlib import Path

from pipecat_build.inputs import ACTION, CLI, Vocabulary
from pipecat_build.job import run_job
from pipecat_build.report.reporter import ConsoleReporter
from pipecat_build.run import Run
from pipecat_build.runtime import Runtime
from pipecat_cloud_emulator import Emulator
from tests.action_harness import TEST_KEY, action_defaults


def job(
    emu: Emulator, workspace: Path, vocabulary: Vocabulary = ACTION, **inputs: str
) -> tuple[int, str]:
    merged = {
        **action_defaults(),
        "api-key": TEST_KEY,
        "api-url": emu.api_url,
        "poll-interval": "0.05",
        **{k.replace("_", "-"): v for k, v in inputs.items()},
    }
    stream = io.StringIO()
    code = run_job(
        merged, workspace, ConsoleReporter(stream), run=Run(), vocabulary=vocabulary,
        runtime=Runtime.from_environ(os.environ),
    )
    return code, stream.getvalue()


def nothing_packed_or_sent(emu: Emulator, log: str) -> None:
    assert "Pack the build context" not in log and "context hash" not in log
    sent = {f"{r.method} {r.path}" for r in emu.requests if r.server == "api"}
    assert not any(s.startswith(("POST", "PUT")) for s in sent), sent
    assert not any(r.server == "storage" for r in emu.requests)


def nothing_sent(emu: Emulator, log: str) -> None:
    sent = {f"{r.method} {r.path}" for r in emu.requests if r.server == "api"}
    assert not any(s.startswith(("POST", "PUT")) for s in sent), sent
    assert not any(r.server == "storage" for r in emu.requests)
    assert "Upload the build context" not in log and "needs a build" not in log


def error_line(log: str) -> str:
    [error] = [ln for ln in log.splitlines() if ln.startswith("error:")]
    return error


def test_a_region_from_the_input_that_is_not_offered_fails_before_uploading(
    emulator: Emulator, workspace: Path
) -> None:
    code, log = job(emulator, workspace, region="xx-north")
    assert code == 1, log
    error = error_line(log)
    assert "Input 'region': 'xx-north' is not a region this organization offers" in error
    assert "us-west" in error
    nothing_sent(emulator, log)


def test_a_region_from_pcc_deploy_toml_names_the_file_in_a_plan_too(
    emulator: Emulator, workspace: Path
) -> None:
    (workspace / "pcc-deploy.toml").write_text('region = "mars-1"\n')
    code, log = job(emulator, workspace, plan_only="true")
    assert code == 1, log
    error = error_line(log)
    assert "pcc-deploy.toml: region 'mars-1' is not a region" in error
    assert "Input 'region'" not in error
    nothing_sent(emulator, log)


def test_a_services_region_names_the_service(emulator: Emulator, workspace: Path) -> None:
    services = "bot: {context: ., region: xx-north}\n"
    code, log = job(emulator, workspace, services=services, plan_only="true")
    assert code == 1, log
    assert "Input 'services': service bot: region 'xx-north' is not a region" in error_line(log)


def test_a_missing_secret_set_fails_before_packing_naming_the_set_and_the_fix(
    emulator: Emulator, workspace: Path
) -> None:
    code, log = job(emulator, workspace, agent_name="bot", secret_set="bot-env")
    assert code == 1, log
    error = error_line(log)
    assert "secret set 'bot-env' does not exist" in error
    assert "pcc secrets set bot-env" in error and "give `secrets` to write it" in error
    nothing_packed_or_sent(emulator, log)

    (workspace / "pcc-deploy.toml").write_text('secret_set = "toml-env"\n')
    code, log = job(emulator, workspace, agent_name="bot", vocabulary=CLI)
    assert code == 1, log
    assert "pcc-deploy.toml: secret set 'toml-env' (from pcc-deploy.toml secret_set)" in (
        error_line(log)
    )


def test_a_set_that_secrets_will_create_or_that_exists_passes(
    emulator: Emulator, workspace: Path
) -> None:
    code, log = job(
        emulator, workspace, agent_name="bot", secret_set="new-env", secrets="A=1\n"
    )
    assert code == 0, log
    emulator.add_secret_set("old-env", {"A": "1"})
    code, log = job(emulator, workspace, agent_name="bot", secret_set="old-env")
    assert code == 0, log


def test_a_set_in_another_region_fails_before_packing(
    emulator: Emulator, workspace: Path
) -> None:
    emulator.add_secret_set("eu-env", {"A": "1"}, region="eu-central")
    code, log = job(emulator, workspace, agent_name="bot", secret_set="eu-env", region="us-west")
    assert code == 1, log
    assert "is in region eu-central, but agent bot deploys in us-west" in error_line(log)
    nothing_packed_or_sent(emulator, log)


def test_a_plan_does_not_require_the_set(emulator: Emulator, workspace: Path) -> None:
    code, log = job(emulator, workspace, agent_name="bot", secret_set="later", plan_only="true")
    assert code == 0, log


def test_a_toml_key_the_api_cannot_take_fails_before_any_request(
    emulator: Emulator, workspace: Path
) -> None:
    (workspace / "pcc-deploy.toml").write_text('agent_name = "bot"\nwebsocket_auth = "token"\n')
    code, log = job(emulator, workspace, deploy="true")
    assert code == 1, log
    assert "websocket_auth = 'token' cannot be applied" in error_line(log)
    assert emulator.requests == []
