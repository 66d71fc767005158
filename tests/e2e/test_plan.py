"""`plan-only: true`: hash everything, ask which contexts are built, upload nothing, and output a
`strategy.matrix` whose legs, run as the action, pack exactly the planned contexts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from pipecatcloud._utils.build_utils import create_deterministic_tarball, get_exclusions

from pipecat_cloud_emulator import Emulator, EmulatorConfig
from tests.action_harness import TEST_KEY, finish, run_action, start_action


@pytest.fixture
def emu() -> Iterator[Emulator]:
    config = EmulatorConfig(api_key=TEST_KEY, pending_seconds=0.05, building_seconds=0.3)
    with Emulator(config) as emulator:
        yield emulator


def pcc_hash(
    folder: Path, patterns: list[str] | None = None, dockerfile: str = "Dockerfile"
) -> str:
    exclusions = get_exclusions(folder, patterns)
    return create_deterministic_tarball(str(folder), exclusions, dockerfile).context_hash


def make_service(root: Path, folder: str, dockerfile: str = "Dockerfile") -> Path:
    path = root / folder
    path.mkdir(parents=True, exist_ok=True)
    (path / dockerfile).write_text("FROM dailyco/pipecat-base:latest\nCOPY . .\n")
    (path / "bot.py").write_text(f"print({folder!r})\n")
    return path


def assert_nothing_uploaded(emu: Emulator) -> None:
    assert [r for r in emu.requests if r.server == "storage"] == []
    sent = {f"{r.method} {r.path}" for r in emu.requests if r.server == "api"}
    assert "POST /v1/builds" not in sent
    assert "POST /v1/builds/upload-url" not in sent


def test_plan_lists_only_what_needs_a_build_and_its_legs_pack_the_same_contexts(
    emu: Emulator, tmp_path: Path
) -> None:
    ws = tmp_path / "ws"
    built = make_service(ws, "svc/built")
    make_service(ws, "svc/fresh", dockerfile="Dockerfile.prod")
    # A service whose pcc-deploy.toml moves the context up one folder and excludes *.log:
    # the matrix must name the folder holding the file, so the leg applies it again.
    deploy = ws / "svc/mono/deploy"
    make_service(ws, "svc/mono")
    deploy.mkdir()
    (deploy / "pcc-deploy.toml").write_text(
        'region = "eu-central"\n[build]\ncontext_dir = ".."\n'
        '[build.exclude]\npatterns = ["*.log"]\n'
    )
    (ws / "svc/mono/debug.log").write_text("noise\n")
    emu.add_build(pcc_hash(built), region="us-west")

    plan = run_action(
        ws, tmp_path / "plan", api_key=TEST_KEY, api_url=emu.api_url, plan_only="true",
        services="built: svc/built\n"
                 "fresh: {context: svc/fresh, dockerfile: Dockerfile.prod}\n"
                 "mono: svc/mono/deploy\n",
    )
    assert plan.returncode == 0, plan.log
    assert_nothing_uploaded(emu)
    assert len(emu.builds) == 1

    matrix = json.loads(plan.outputs["matrix"])
    assert matrix == {
        "include": [
            {"service": "fresh", "context": "svc/fresh", "dockerfile": "Dockerfile.prod",
             "region": "us-west",
             "context-hash": pcc_hash(ws / "svc/fresh", dockerfile="Dockerfile.prod"),
             "needs-build": "true"},
            {"service": "mono", "context": "svc/mono/deploy", "dockerfile": "Dockerfile",
             "region": "eu-central", "context-hash": pcc_hash(ws / "svc/mono", ["*.log"]),
             "needs-build": "true"},
        ]
    }
    assert json.loads(plan.outputs["images"]) == {"built": emu.builds[0]["imageUri"]}
    assert plan.plain_lines()[-1] == "✅ plan: 2 of 3 need a build, 1 already built"
    assert "| fresh | `" in plan.summary

    # Each leg as `strategy.matrix` would run it: the action with the leg's values.
    legs = [
        start_action(ws, tmp_path / leg["service"], api_key=TEST_KEY, api_url=emu.api_url,
                     context=leg["context"], dockerfile=leg["dockerfile"],
                     region=leg["region"], poll_interval="0.1")
        for leg in matrix["include"]
    ]
    for leg, proc in zip(matrix["include"], legs, strict=True):
        run = finish(proc, tmp_path / leg["service"])
        assert run.returncode == 0, run.log
        assert run.outputs["context-hash"] == leg["context-hash"]
        assert run.outputs["cached"] == "false"


def test_plan_for_a_single_context(emu: Emulator, workspace: Path, tmp_path: Path) -> None:
    first = run_action(workspace, tmp_path / "first", api_key=TEST_KEY, api_url=emu.api_url,
                       plan_only="true")
    assert first.returncode == 0, first.log
    assert_nothing_uploaded(emu)
    context_hash = pcc_hash(workspace)
    assert first.outputs["context-hash"] == context_hash
    assert json.loads(first.outputs["matrix"]) == {
        "include": [{"service": ".", "context": ".", "dockerfile": "Dockerfile",
                     "region": emu.config.default_region, "context-hash": context_hash,
                     "needs-build": "true"}]
    }
    assert "image-uri" not in first.outputs
    assert not any(ln.startswith("[") for ln in first.plain_lines()), "no prefix for one context"

    existing = emu.add_build(context_hash, region=emu.config.default_region)
    second = run_action(workspace, tmp_path / "second", api_key=TEST_KEY, api_url=emu.api_url,
                        plan_only="true")
    assert second.returncode == 0, second.log
    assert json.loads(second.outputs["matrix"]) == {"include": []}
    assert second.outputs["image-uri"] == existing["imageUri"]
    assert second.outputs["cached"] == "true"
    assert_nothing_uploaded(emu)


def test_a_plan_with_agents_fans_out_to_legs_that_deploy(
    emu: Emulator, tmp_path: Path
) -> None:
    """Issue 19 §4: a service already built but with an agent is still a leg (it deploys);
    each leg carries its agent and deploy settings, and running the legs as the matrix would
    deploys every agent; the plan itself deploys nothing and never says "reusing"."""
    ws = tmp_path / "ws"
    built = make_service(ws, "svc/built")
    make_service(ws, "svc/fresh")
    make_service(ws, "svc/quiet")
    (ws / "svc/fresh/pcc-deploy.toml").write_text("[scaling]\nmin_agents = 1\n")
    emu.add_build(pcc_hash(built), region="us-west")
    emu.add_build(pcc_hash(ws / "svc/quiet"), region="us-west")
    emu.add_secret_set("built-env", {"A": "1"})
    plan = run_action(
        ws, tmp_path / "plan", api_key=TEST_KEY, api_url=emu.api_url, plan_only="true",
        services="built: {context: svc/built, agent: built-bot, secret-set: built-env}\n"
                 "fresh: {context: svc/fresh, agent: fresh-bot, agent-profile: agent-2x}\n"
                 "quiet: svc/quiet\n",
    )
    assert plan.returncode == 0, plan.log
    assert_nothing_uploaded(emu)
    assert emu.agents == {}, "a plan deploys nothing"
    assert "reusing" not in plan.log
    assert plan.plain_lines()[-1] == "✅ plan: 1 of 3 need a build, 2 already built, 2 to deploy"
    legs = json.loads(plan.outputs["matrix"])["include"]
    assert [(leg["service"], leg["needs-build"]) for leg in legs] == [
        ("built", "false"), ("fresh", "true")
    ], "quiet: built and nothing to deploy, no leg"
    assert legs[0]["agent-name"] == "built-bot" and legs[0]["secret-set"] == "built-env"
    assert legs[1]["agent-name"] == "fresh-bot" and legs[1]["agent-profile"] == "agent-2x"
    assert legs[1]["min-agents"] == "1", "pcc-deploy.toml's settings travel with the leg"
    assert all(leg["deploy"] == "true" for leg in legs)

    keys = ("context", "dockerfile", "region", "agent-name", "deploy", "secret-set",
            "min-agents", "agent-profile")
    for leg in legs:
        inputs = {k.replace("-", "_"): leg[k] for k in keys if k in leg}
        run = run_action(ws, tmp_path / leg["service"], api_key=TEST_KEY, api_url=emu.api_url,
                         poll_interval="0.1", **inputs)
        assert run.returncode == 0, run.log
        assert run.outputs["context-hash"] == leg["context-hash"]
        assert run.outputs["cached"] == ("false" if leg["needs-build"] == "true" else "true")
        assert run.outputs["deploy-status"] == "ready"
    assert set(emu.agents) == {"built-bot", "fresh-bot"}
