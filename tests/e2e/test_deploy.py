"""Deploying the build to an agent, through `entrypoint.py` as the runner starts it, against the
emulator's agents and secret sets: what a user checks after the step (outputs, annotation,
summary, the agent's state) and what the service saw (every request body, spec fields only)."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pipecat_cloud_emulator import Emulator, Fault
from tests.action_harness import TEST_KEY, ActionRun, finish, run_action, start_action
from tests.e2e.test_bad_input import assert_clean_failure, snapshot
from tests.e2e.test_signals import LiveRun

TRACEBACK_LAST_LINE = "KeyError: 'OPENAI_API_KEY'"


@pytest.fixture
def emu(deploy_emulator: Emulator) -> Emulator:
    return deploy_emulator


def deploy(emu: Emulator, workspace: Path, files: Path, **inputs: str) -> ActionRun:
    return run_action(
        workspace, files, api_key=TEST_KEY, api_url=emu.api_url, poll_interval="0.05", **inputs
    )


def calls(emu: Emulator, method: str, path: str, since: int = 0) -> list[Any]:
    """The API requests of one endpoint (from request number `since` on)."""
    return [
        r
        for r in emu.requests[since:]
        if r.server == "api" and r.method == method and r.path == path
    ]


def bodies(emu: Emulator, method: str, path: str, since: int = 0) -> list[dict[str, Any]]:
    return [json.loads(r.body) for r in calls(emu, method, path, since)]


def answers(emu: Emulator, method: str, path: str, since: int = 0) -> list[dict[str, Any]]:
    return [
        json.loads(r.answer)
        for r in calls(emu, method, path, since)
        if r.status == 200 and r.answer and r.fault is None
    ]


def agent_requests(emu: Emulator, since: int = 0) -> list[str]:
    return [
        f"{r.method} {r.path}"
        for r in emu.requests[since:]
        if r.server == "api" and r.path.startswith(("/v1/agents", "/v1/secrets"))
    ]


def error_annotation(run: ActionRun) -> str:
    errors = [ln for ln in run.stdout.splitlines() if ln.startswith("::error")]
    assert len(errors) == 1, run.stdout
    return errors[0].split("::", 2)[2].replace("%0A", "\n").replace("%25", "%")


def serves(agent: dict[str, Any], deployment: str) -> bool:
    return (
        agent["desiredDeploymentId"] == deployment
        and agent["reconciledDeploymentId"] == deployment
        and agent["ready"] is True
        and agent["available"] is True
    )


def phase_lines(run: ActionRun, deployment: str) -> list[str]:
    return [
        ln.rsplit(" is ", 1)[1]
        for ln in run.stdout.splitlines()
        if ln.startswith("agent ") and f"deployment {deployment} is " in ln
    ]


def change_code(workspace: Path, marker: str) -> None:
    """A different context: a new build, so a new deployment."""
    with (workspace / "bot.py").open("a") as f:
        f.write(f"# {marker}\n")


def run_with_deadline(
    workspace: Path, files: Path, deadline: float, **inputs: str
) -> ActionRun:
    proc = start_action(workspace, files, **inputs)
    try:
        return finish(proc, files, timeout=deadline)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail(f"the step was still running after {deadline}s")


# -- a new agent -----------------------------------------------------------------------


def test_new_agent_is_created_from_the_build_and_waited_for_until_it_serves(
    emu: Emulator, workspace: Path, files: Path
) -> None:
    emu.config.deploy_reconcile_seconds = 0.6  # several polls see it not reconciled yet
    run = deploy(emu, workspace, files, agent_name="voice-bot", region="eu-central")
    assert run.returncode == 0, run.log
    out = run.outputs
    assert out["agent-name"] == "voice-bot"
    assert out["deploy-status"] == "ready"
    assert out["image-uri"] and out["build-id"]
    deployment = out["deployment-id"]

    [created] = bodies(emu, "POST", "/v1/agents")
    assert created["serviceName"] == "voice-bot"
    assert created["buildId"] == out["build-id"], "deployed by build id"
    assert "image" not in created, "never by image URI"
    assert created["region"] == "eu-central", "the build's region"
    assert calls(emu, "POST", "/v1/agents/voice-bot") == [], "created, not updated"

    agent = emu.agents["voice-bot"]
    assert agent["region"] == "eu-central"
    assert serves(agent, deployment)
    # What the run saw: not reconciled at first, and it kept polling until it was.
    seen = answers(emu, "GET", "/v1/agents/voice-bot")
    assert any(a["reconciledDeploymentId"] != deployment for a in seen)
    assert serves(seen[-1], deployment), "the run stopped polling before the agent served"
    assert phase_lines(run, deployment) == ["Creating", "Validating", "Active"]
    lines = run.stdout.splitlines()
    served = lines.index(f"agent voice-bot serves deployment {deployment}")
    assert served > lines.index(f"agent voice-bot: deployment {deployment} is Active")
    assert "Deployment" in run.summary and deployment in run.summary
    assert "`Creating` → `Validating` → `Active`" in run.summary  # server text: code spans


def test_rolling_update_is_not_ready_while_the_old_revision_serves(
    emu: Emulator, workspace: Path, files: Path, tmp_path: Path
) -> None:
    first = deploy(emu, workspace, files, agent_name="roll")
    assert first.outputs["deploy-status"] == "ready", first.log
    old = first.outputs["deployment-id"]

    change_code(workspace, "v2")
    emu.config.deploy_reconcile_seconds = 0.8
    since = len(emu.requests)
    run = deploy(emu, workspace, tmp_path / "second", agent_name="roll")
    assert run.returncode == 0, run.log
    new = run.outputs["deployment-id"]
    assert new != old and run.outputs["deploy-status"] == "ready"
    assert run.outputs["build-id"] != first.outputs["build-id"]
    [update] = bodies(emu, "POST", "/v1/agents/roll", since)
    assert update == {"buildId": run.outputs["build-id"]}, "no serviceName/region in an update"

    seen = answers(emu, "GET", "/v1/agents/roll", since)
    # The trap: the old revision reported ready and available under the new desired id ...
    trap = [
        a for a in seen
        if a["desiredDeploymentId"] == new and a["reconciledDeploymentId"] == old
        and a["ready"] and a["available"]
    ]
    assert trap, "the emulator showed no rolling update; the test proves nothing"
    # ... and the step went on until the new one was reconciled, ready and available.
    assert serves(seen[-1], new)
    assert serves(emu.agents["roll"], new)
    assert phase_lines(run, new)[-1] == "Active"


# -- a crashing revision ----------------------------------------------------------------


def test_crashing_revision_fails_at_once_with_its_traceback(
    emu: Emulator, workspace: Path, files: Path
) -> None:
    with (workspace / "Dockerfile").open("a") as f:
        f.write("# emulator: crash\n")
    emu.config.deploy_validating_seconds = 120  # only health shows the crash: never Failed
    run = run_with_deadline(
        workspace, files, 25, api_key=TEST_KEY, api_url=emu.api_url, poll_interval="0.05",
        agent_name="crashy", deploy_timeout="3600",
    )
    assert run.returncode == 1, run.log
    assert "Traceback (most recent call last)" not in run.stderr
    error = error_annotation(run)
    first, _, body = error.partition("\n")
    assert "crashy" in first and "CrashLoopBackOff" in first
    assert TRACEBACK_LAST_LINE in body, "the agent's traceback in the annotation"
    assert run.outputs["deploy-status"] == "failed"
    assert run.outputs["image-uri"] and run.outputs["build-id"], "image outputs stay set"
    assert run.outputs["deployment-id"] == emu.agents["crashy"]["desiredDeploymentId"]
    assert "failed" in run.summary
    assert TRACEBACK_LAST_LINE in run.summary, "the traceback in the summary too"


def test_crash_of_an_update_reported_failed_keeps_reason_and_traceback(
    emu: Emulator, workspace: Path, files: Path, tmp_path: Path
) -> None:
    assert deploy(emu, workspace, files, agent_name="upd").returncode == 0
    change_code(workspace, "broken")
    emu.crash_next_deployment("upd", message="Traceback (most recent call last):\n"
                              '  File "/app/bot.py", line 3\nValueError: broken config')
    # Failed (with errors[]) already in the deploy answer: the first poll sees it settled.
    cfg = emu.config
    cfg.deploy_reconcile_seconds = cfg.deploy_creating_seconds = 0.0
    cfg.deploy_validating_seconds = 0.0
    run = run_with_deadline(
        workspace, tmp_path / "second", 25, api_key=TEST_KEY, api_url=emu.api_url,
        poll_interval="0.05", agent_name="upd", deploy_timeout="3600",
    )
    assert run.returncode == 1, run.log
    error = error_annotation(run)
    assert "CrashLoopBackOff" in error.splitlines()[0]
    assert "ValueError: broken config" in error
    assert run.outputs["deploy-status"] == "failed"
    assert emu.agents["upd"]["available"] is True, "the old revision still serves"


def test_redeploying_a_crashed_build_is_not_unchanged_success(
    emu: Emulator, workspace: Path, files: Path, tmp_path: Path
) -> None:
    emu.crash_next_deployment("again")
    first = deploy(emu, workspace, files, agent_name="again", deploy_timeout="3600")
    assert first.outputs["deploy-status"] == "failed", first.log
    # The same build and settings: the service answers "nothing changed", but nothing serves.
    run = deploy(emu, workspace, tmp_path / "second", agent_name="again")
    assert run.returncode == 1, run.log
    assert run.outputs["deploy-status"] == "failed"
    assert "CrashLoopBackOff" in error_annotation(run)


# -- pcc-deploy.toml ---------------------------------------------------------------------

PROJECT = """\
agent_name = "toml-agent"
secret_set = "toml-set"
agent_profile = "agent-2x"
max_session_duration = 900

[scaling]
min_agents = 1
max_agents = 3

[krisp_viva]
audio_filter = "pro"
"""


def test_pcc_deploy_toml_settings_reach_the_request_and_inputs_win(
    emu: Emulator, workspace: Path, tmp_path: Path
) -> None:
    (workspace / "pcc-deploy.toml").write_text(PROJECT)
    emu.add_secret_set("toml-set", {"A": "1"})
    emu.add_secret_set("input-set", {"B": "2"})

    run = deploy(emu, workspace, tmp_path / "1", deploy="true")
    assert run.returncode == 0, run.log
    assert run.outputs["agent-name"] == "toml-agent"
    [created] = bodies(emu, "POST", "/v1/agents")
    assert created == {
        "serviceName": "toml-agent",
        "buildId": run.outputs["build-id"],
        "region": "us-west",
        "secretSet": "toml-set",
        "autoScaling": {"minAgents": 1, "maxAgents": 3},
        "agentProfile": "agent-2x",
        "maxSessionDuration": 900,
        "krispViva": {"audioFilter": "pro"},
    }
    agent = emu.agents["toml-agent"]
    assert agent["agentProfile"] == "agent-2x" and agent["krispViva"]["audioFilter"] == "pro"

    since = len(emu.requests)
    run = deploy(
        emu, workspace, tmp_path / "2", agent_name="toml-agent", secret_set="input-set",
        min_agents="2", max_agents="5", agent_profile="agent-3x", max_session_duration="1200",
        krisp_viva_audio_filter="tel",
    )
    assert run.returncode == 0, run.log
    assert run.outputs["deploy-status"] == "ready"
    [update] = bodies(emu, "POST", "/v1/agents/toml-agent", since)
    assert update == {
        "buildId": run.outputs["build-id"],
        "secretSet": "input-set",
        "autoScaling": {"minAgents": 2, "maxAgents": 5},
        "agentProfile": "agent-3x",
        "maxSessionDuration": 1200,
        "krispViva": {"audioFilter": "tel"},
    }


@pytest.mark.parametrize("inputs", [{"deploy": "false"}, {"deploy": "false", "agent_name": "xy"},
                                    {}])
def test_no_deploy_when_false_or_auto_without_a_name(
    emu: Emulator, workspace: Path, files: Path, inputs: dict[str, str]
) -> None:
    """`false` builds only even when the toml names an agent; `auto` deploys only when
    `agent-name` is set, not because the toml names one."""
    (workspace / "pcc-deploy.toml").write_text('agent_name = "toml-agent"\n')
    run = deploy(emu, workspace, files, **inputs)
    assert run.returncode == 0, run.log
    assert run.outputs["image-uri"]
    assert agent_requests(emu) == []
    assert not {"agent-name", "deployment-id", "deploy-status"} & set(run.outputs)
    assert "Deployment" not in run.summary


def test_plan_only_never_deploys(emu: Emulator, workspace: Path, files: Path) -> None:
    run = deploy(emu, workspace, files, agent_name="planned", plan_only="true")
    assert run.returncode == 0, run.log
    assert agent_requests(emu) == []
    assert "deploy-status" not in run.outputs


# -- secrets ------------------------------------------------------------------------------

SECRETS = {
    "OPENAI_API_KEY": "sk-test-openai-91f3a7",
    "DAILY_KEY": "daily value with spaces 55a0",
    "QUOTED": "single-quoted-4be2",
    "TRAILING": "plain-value-c07d",
}
DOTENV = """
# the agent's environment
OPENAI_API_KEY=sk-test-openai-91f3a7
DAILY_KEY = "daily value with spaces 55a0"

export QUOTED='single-quoted-4be2'
TRAILING=plain-value-c07d   # a comment after the value
"""


def assert_values_never_shown(run: ActionRun, values: list[str]) -> None:
    shown = [ln for ln in run.stdout.splitlines() if not ln.startswith("::add-mask::")]
    for value in values:
        assert not [ln for ln in shown if value in ln], "a secret value in the log"
        assert value not in run.stderr
        assert value not in run.summary, "a secret value in the summary"
        assert not [k for k, v in run.outputs.items() if value in v], "a secret in outputs"


def test_secrets_are_written_to_the_set_before_deploying_and_never_shown(
    emu: Emulator, workspace: Path, files: Path
) -> None:
    emu.add_secret_set("app-env", {"KEEP_ME": "kept-value-7d1e"}, region="eu-central")
    run = deploy(
        emu, workspace, files, agent_name="with-secrets", region="eu-central",
        secret_set="app-env", secrets=DOTENV,
    )
    assert run.returncode == 0, run.log
    assert run.outputs["deploy-status"] == "ready"
    for key, value in SECRETS.items():
        assert emu.secret_matches("app-env", key, value), key
    assert emu.secret_matches("app-env", "KEEP_ME", "kept-value-7d1e"), "other keys kept"
    [written] = bodies(emu, "PUT", "/v1/secrets/app-env")
    assert written["region"] == "eu-central"
    assert [s["secretKey"] for s in written["secrets"]] == list(SECRETS)
    [created] = bodies(emu, "POST", "/v1/agents")
    assert created["secretSet"] == "app-env"

    # Waited until the set was ready (it was pending after the write), then deployed.
    order = [
        ("set", json.loads(r.answer)["status"]) if r.method == "GET" else ("deploy", r.status)
        for r in emu.requests
        if r.server == "api" and r.answer and (
            (r.method == "GET" and r.path == "/v1/secrets/app-env")
            or (r.method == "POST" and r.path == "/v1/agents")
        )
    ]
    assert ("set", "pending") in order
    assert order[-2:] == [("set", "ready"), ("deploy", 200)], order

    assert_values_never_shown(run, [*SECRETS.values(), "kept-value-7d1e"])
    for key in SECRETS:
        assert key in run.stdout and key in run.summary, "key names are shown"


def test_a_conflicting_secret_write_is_retried(
    emu: Emulator, workspace: Path, files: Path
) -> None:
    emu.add_secret_set("busy", {})
    emu.conflict_next_secret_write("busy", count=2)
    run = deploy(
        emu, workspace, files, agent_name="busy-agent", secret_set="busy",
        secrets="TOKEN=busy-token-e41c\n",
    )
    assert run.returncode == 0, run.log
    assert [r.status for r in calls(emu, "PUT", "/v1/secrets/busy")] == [409, 409, 202]
    assert emu.secret_matches("busy", "TOKEN", "busy-token-e41c")
    assert_values_never_shown(run, ["busy-token-e41c"])


# -- bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("inputs", "input_name", "hint"),
    [
        ({"agent_name": "Voice-Bot"}, "agent-name", "lower-case"),
        ({"agent_name": "a" * 55}, "agent-name", "54"),
        ({"agent_name": "xy", "min_agents": "4", "max_agents": "2"}, "min-agents", "max-agents"),
        ({"agent_name": "xy", "min_agents": "-1"}, "min-agents", "negative"),
        ({"agent_name": "xy", "max_session_duration": "59"}, "max-session-duration", "60"),
        ({"agent_name": "xy", "max_session_duration": "14401"}, "max-session-duration", "14400"),
        ({"agent_name": "xy", "agent_profile": "agent-9x"}, "agent-profile", "agent-1x"),
        ({"agent_name": "xy", "krisp_viva_audio_filter": "studio"}, "krisp-viva-audio-filter",
         "tel"),
        ({"agent_name": "xy", "secrets": "A=1\n"}, "secrets", "secret-set"),
        ({"agent_name": "xy", "secret_set": "set", "secrets": "A=1\njust words\n"}, "secrets",
         "KEY=VALUE"),
        ({"deploy": "true"}, "deploy", "agent-name"),
        ({"deploy": "maybe", "agent_name": "xy"}, "deploy", "auto, true, false"),
    ],
)
def test_bad_deploy_input_fails_in_one_line_before_any_request(
    emu: Emulator, workspace: Path, files: Path, inputs: dict[str, str], input_name: str,
    hint: str,
) -> None:
    before = snapshot(workspace)
    run = deploy(emu, workspace, files, **inputs)
    error = assert_clean_failure(run, input_name, workspace, before)
    assert hint in error
    assert emu.requests == [], "nothing sent before the inputs are checked"


# -- several services ---------------------------------------------------------------------


def test_two_services_are_deployed_in_one_step(
    emu: Emulator, workspace: Path, files: Path
) -> None:
    for folder in ("svc-a", "svc-b"):
        shutil.copytree(workspace, workspace.parent / folder)
        shutil.move(workspace.parent / folder, workspace / folder)
    change_code(workspace / "svc-b", "b")
    run = deploy(
        emu, workspace, files,
        services="a: {context: svc-a, agent: agent-a}\n"
        "b: {context: svc-b, agent: agent-b, min-agents: 1}\n",
    )
    assert run.returncode == 0, run.log
    assert json.loads(run.outputs["deployments"]) == {"a": "ready", "b": "ready"}
    for name in ("agent-a", "agent-b"):
        agent = emu.agents[name]
        assert serves(agent, agent["desiredDeploymentId"]), name
    [b_body] = [b for b in bodies(emu, "POST", "/v1/agents") if b["serviceName"] == "agent-b"]
    assert b_body["autoScaling"] == {"minAgents": 1}
    rows = [ln for ln in run.summary.splitlines() if ln.startswith("| a ") or ln.startswith("| b ")]
    assert len(rows) == 2
    assert "`agent-a`" in rows[0] and "ready" in rows[0]
    assert "`agent-b`" in rows[1] and "ready" in rows[1]


def test_one_service_crashing_does_not_stop_the_other(
    emu: Emulator, workspace: Path, files: Path
) -> None:
    for folder in ("ok", "bad"):
        shutil.copytree(workspace, workspace.parent / folder)
        shutil.move(workspace.parent / folder, workspace / folder)
    change_code(workspace / "bad", "bad")
    emu.crash_next_deployment("agent-bad")
    run = deploy(
        emu, workspace, files, deploy_timeout="3600",
        services="ok: {context: ok, agent: agent-ok}\nbad: {context: bad, agent: agent-bad}\n",
    )
    assert run.returncode == 1, run.log
    assert json.loads(run.outputs["deployments"]) == {"bad": "failed", "ok": "ready"}
    assert set(json.loads(run.outputs["images"])) == {"ok", "bad"}, "both images built"
    assert serves(emu.agents["agent-ok"], emu.agents["agent-ok"]["desiredDeploymentId"])
    error = error_annotation(run)
    assert error.startswith("bad: ") and "CrashLoopBackOff" in error.splitlines()[0]
    assert TRACEBACK_LAST_LINE in error
    [bullet] = [ln for ln in run.summary.splitlines() if ln.startswith("- **bad**")]
    assert "CrashLoopBackOff" in bullet


def test_a_traceback_echoing_a_secret_value_is_masked(
    emu: Emulator, workspace: Path, files: Path
) -> None:
    emu.add_secret_set("leaky", {})
    value = "sk-echoed-in-traceback-5c1d"
    emu.crash_next_deployment(
        "leaky-agent", message=f"Traceback (most recent call last):\nValueError: bad key {value}"
    )
    run = deploy(
        emu, workspace, files, agent_name="leaky-agent", secret_set="leaky",
        secrets=f"OPENAI_API_KEY={value}\n", deploy_timeout="3600",
    )
    assert run.returncode == 1, run.log
    assert "ValueError: bad key ***" in error_annotation(run)
    assert_values_never_shown(run, [value])


# -- unchanged, not waited, timed out -----------------------------------------------------


def test_an_unchanged_redeploy_does_not_wait_for_a_new_deployment(
    emu: Emulator, workspace: Path, files: Path, tmp_path: Path
) -> None:
    first = deploy(emu, workspace, files, agent_name="same")
    assert first.outputs["deploy-status"] == "ready", first.log
    since = len(emu.requests)
    run = deploy(emu, workspace, tmp_path / "second", agent_name="same")
    assert run.returncode == 0, run.log
    assert run.outputs["cached"] == "true"
    assert run.outputs["deploy-status"] == "unchanged"
    assert run.outputs["deployment-id"] == first.outputs["deployment-id"]
    assert emu.agents["same"]["desiredDeploymentId"] == first.outputs["deployment-id"]
    assert len(calls(emu, "POST", "/v1/agents/same", since)) == 1
    assert phase_lines(run, run.outputs["deployment-id"]) == []
    assert "unchanged" in run.summary


def test_without_waiting_the_status_is_not_waited(
    emu: Emulator, workspace: Path, files: Path
) -> None:
    emu.config.deploy_reconcile_seconds = 30
    run = deploy(emu, workspace, files, agent_name="nowait", wait_for_ready="false")
    assert run.returncode == 0, run.log
    assert run.outputs["deploy-status"] == "not-waited"
    assert run.outputs["deployment-id"] == emu.agents["nowait"]["desiredDeploymentId"]
    [post] = [i for i, r in enumerate(emu.requests) if r.method == "POST"
              and r.path == "/v1/agents"]
    assert calls(emu, "GET", "/v1/agents/nowait", post) == [], "no polling after the deploy"


def test_deploy_timeout_ends_the_wait(emu: Emulator, workspace: Path, files: Path) -> None:
    emu.config.deploy_reconcile_seconds = 60
    run = deploy(emu, workspace, files, agent_name="slow", deploy_timeout="0.5")
    assert run.returncode == 1, run.log
    assert run.outputs["deploy-status"] == "timed-out-waiting"
    assert run.outputs["deployment-id"] == emu.agents["slow"]["desiredDeploymentId"]
    assert run.outputs["image-uri"]
    assert "deploy-timeout" in error_annotation(run)


# -- lost answers --------------------------------------------------------------------------


def test_a_lost_update_answer_adopts_the_deployment_it_made(
    emu: Emulator, workspace: Path, files: Path, tmp_path: Path
) -> None:
    assert deploy(emu, workspace, files, agent_name="lossy").returncode == 0
    change_code(workspace, "v2")
    emu.inject(Fault("lost", endpoint="POST /v1/agents/{name}"))
    since = len(emu.requests)
    run = deploy(emu, workspace, tmp_path / "second", agent_name="lossy")
    assert run.returncode == 0, run.log
    assert len(calls(emu, "POST", "/v1/agents/lossy", since)) == 1, "deployed once"
    assert len(emu.state.agents["lossy"].deployments) == 2
    agent = emu.agents["lossy"]
    assert run.outputs["deployment-id"] == agent["desiredDeploymentId"]
    assert run.outputs["deploy-status"] == "ready" and serves(agent, run.outputs["deployment-id"])


def test_a_lost_create_answer_adopts_the_agent_it_made(
    emu: Emulator, workspace: Path, files: Path
) -> None:
    emu.inject(Fault("lost", endpoint="POST /v1/agents"))
    run = deploy(emu, workspace, files, agent_name="lost-create")
    assert run.returncode == 0, run.log
    assert len(calls(emu, "POST", "/v1/agents")) == 1, "created once"
    assert calls(emu, "POST", "/v1/agents/lost-create") == []
    assert len(emu.state.agents["lost-create"].deployments) == 1
    assert run.outputs["deploy-status"] == "ready"
    assert run.outputs["deployment-id"] == emu.agents["lost-create"]["desiredDeploymentId"]


# -- cancellation -------------------------------------------------------------------------


def test_cancelled_while_waiting_names_the_agent_and_its_deployment(
    emu: Emulator, workspace: Path, files: Path
) -> None:
    emu.config.deploy_reconcile_seconds = 60
    live = LiveRun(
        start_action(workspace, files, api_key=TEST_KEY, api_url=emu.api_url,
                     poll_interval="0.05", agent_name="cancelled"),
        files,
    )
    live.wait_for_line("accepted")
    run = live.stop(signal.SIGTERM)
    assert run.returncode != 0
    deployment = emu.agents["cancelled"]["desiredDeploymentId"]
    assert run.outputs["deployment-id"] == deployment, "set as soon as it was accepted"
    assert run.outputs["agent-name"] == "cancelled"
    [cancelled] = [ln for ln in run.stdout.splitlines() if ln.startswith("::error")]
    assert "Cancelled" in cancelled and "cancelled" in cancelled and deployment in cancelled


# -- the CLI -------------------------------------------------------------------------------


def test_the_cli_json_has_the_deploy_keys(emu: Emulator, workspace: Path, tmp_path: Path) -> None:
    cli = Path(sys.executable).with_name("pipecat-build")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "TMPDIR": str(tmp_path),
           "PIPECAT_API_KEY": TEST_KEY, "PIPECAT_BUILD_RETRY_BASE_DELAY": "0.005"}
    done = subprocess.run(
        [str(cli), "--api-url", emu.api_url, "--poll-interval", "0.05",
         "--agent-name", "cli-agent", "--hash-cache", ""],
        cwd=workspace, env=env, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(done.stdout)
    assert result["agent-name"] == "cli-agent"
    assert result["deploy-status"] == "ready"
    assert result["deployment-id"] == emu.agents["cli-agent"]["desiredDeploymentId"]
