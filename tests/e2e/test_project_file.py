"""`pcc-deploy.toml`: its region and [build] settings apply as `pcc deploy` reads them (checked
against pipecatcloud 1.4.0's own loader and archive function), explicit inputs win, and a bad
file fails in one line that names it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pipecatcloud.cli.config as pcc_config
import pytest
from pipecatcloud._utils.build_utils import create_deterministic_tarball, get_exclusions
from pipecatcloud._utils.deploy_utils import load_deploy_config_file

from pipecat_build.config.settings import build_settings
from pipecat_build.errors import InputError
from pipecat_cloud_emulator import Emulator, EmulatorConfig
from tests.action_harness import TEST_KEY, run_action

PROJECT = """\
agent_name = "voice-bot"
region = "eu-central"

[scaling]
min_agents = 1

[build]
context_dir = "app"
dockerfile = "docker/Dockerfile.cloud"

[build.exclude]
patterns = ["*.log", "fixtures", "notes/*.md"]
"""


@pytest.fixture
def emu() -> Iterator[Emulator]:
    config = EmulatorConfig(api_key=TEST_KEY, pending_seconds=0.05, building_seconds=0.3)
    with Emulator(config) as emulator:
        yield emulator


def make_project(root: Path, toml: str = PROJECT) -> Path:
    app = root / "app"
    for rel, text in {
        "docker/Dockerfile.cloud": "FROM dailyco/pipecat-base:latest\nCOPY bot.py bot.py\n",
        "bot.py": "async def bot(args): ...\n",
        "server.log": "noise\n",
        "fixtures/big.bin": "x" * 100,
        "notes/todo.md": "later\n",
        "notes/keep.txt": "kept\n",
        "sub/app.log": "noise\n",
    }.items():
        (app / rel).parent.mkdir(parents=True, exist_ok=True)
        (app / rel).write_text(text)
    (root / "pcc-deploy.toml").write_text(toml)
    return root


def pcc_deploy_hash(folder: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str | None, str]:
    """What `pcc deploy` run in `folder` uploads: its own config loader, then its archive."""
    with monkeypatch.context() as patch:
        patch.chdir(folder)
        patch.setattr(pcc_config, "deploy_config_path", "pcc-deploy.toml")
        config = load_deploy_config_file()
        assert config is not None
        build = config.build_config
        context_dir = Path(build.context_dir).resolve()
        tarball = create_deterministic_tarball(
            str(context_dir), get_exclusions(context_dir, build.exclude_patterns), build.dockerfile
        )
    return tarball.context_hash, config.region, build.dockerfile


def test_a_project_built_by_the_action_and_by_pcc_deploy_has_one_hash(
    emu: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = make_project(tmp_path / "ws")
    expected_hash, region, dockerfile = pcc_deploy_hash(ws, monkeypatch)
    run = run_action(ws, tmp_path / "runner", api_key=TEST_KEY, api_url=emu.api_url,
                     poll_interval="0.1")
    assert run.returncode == 0, run.log
    [build] = emu.builds
    assert run.outputs["context-hash"] == build["contextHash"] == expected_hash
    assert (build["region"], build["dockerfilePath"]) == (region, dockerfile)
    assert "GET /v1/properties" not in {f"{r.method} {r.path}" for r in emu.requests}


@pytest.mark.parametrize(
    ("toml", "layout"),
    [
        ('[build]\ncontext_dir = ".."\n', "deploy-folder-below-context"),
        ("[build.exclude]\npatterns = ['*.md', 'data/']\n", "root"),
        ("[build]\ncontext_dir = ''\n", "root"),
        ('region = "us-west"\n', "root"),
    ],
)
def test_other_project_files_plan_the_hash_pcc_deploy_uploads(
    emu: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, toml: str, layout: str
) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "Dockerfile").write_text("FROM scratch\n")
    (ws / "README.md").write_text("readme\n")
    (ws / "data").mkdir()
    (ws / "data/x.csv").write_text("1,2\n")
    folder = ws / "deploy" if layout == "deploy-folder-below-context" else ws
    folder.mkdir(exist_ok=True)
    (folder / "pcc-deploy.toml").write_text(toml)
    expected_hash, _, _ = pcc_deploy_hash(folder, monkeypatch)
    context = folder.relative_to(ws).as_posix()
    run = run_action(ws, tmp_path / "runner", api_key=TEST_KEY, api_url=emu.api_url,
                     plan_only="true", context="" if context == "." else context)
    assert run.returncode == 0, run.log
    assert run.outputs["context-hash"] == expected_hash


def test_explicit_inputs_win_over_the_project_file(emu: Emulator, tmp_path: Path) -> None:
    ws = make_project(tmp_path / "ws")
    (ws / "app/Dockerfile").write_text("FROM scratch\n")
    run = run_action(ws, tmp_path / "runner", api_key=TEST_KEY, api_url=emu.api_url,
                     plan_only="true", region="us-west", dockerfile="Dockerfile")
    assert run.returncode == 0, run.log
    [leg] = json.loads(run.outputs["matrix"])["include"]
    assert (leg["region"], leg["dockerfile"], leg["context"]) == ("us-west", "Dockerfile", ".")


def test_the_context_folders_file_is_read_not_the_workspace_roots(tmp_path: Path) -> None:
    ws = make_project(tmp_path / "ws")
    (ws / "other").mkdir()
    (ws / "other/pcc-deploy.toml").write_text('region = "us-west"\n')
    [target] = build_settings({"api-key": "k", "context": "other"}, ws).targets
    assert (target.context_dir, target.region, target.extra_patterns) == (
        (ws / "other").resolve(), "us-west", ()
    )
    [root] = build_settings({"api-key": "k"}, ws).targets
    assert root.context_dir == (ws / "app").resolve()
    assert root.extra_patterns == ("*.log", "fixtures", "notes/*.md")


@pytest.mark.parametrize(
    ("toml", "hint"),
    [
        ("[build\ncontext_dir = 'app'\n", "not valid TOML"),
        ("build = 3\n", "[build] must be a table"),
        ("[build]\ncontext_dir = 5\n", "build.context_dir"),
        ("[build]\ndockerfile = ''\n", "build.dockerfile"),
        ("[build.exclude]\npatterns = '*.log'\n", "patterns must be a list of strings"),
        ("[build]\ncontext_dir = '../..'\n", "outside the workspace"),
        ("[build]\ncontext_dir = 'missing'\n", "does not exist"),
        ("[build]\ndockerfile = '../Dockerfile'\n", "inside the build context"),
        ("region = 'Mars Central'\n", "region code"),
        ("region = 7\n", "'region' must be a non-empty string"),
    ],
)
def test_a_bad_project_file_is_one_error_naming_it(tmp_path: Path, toml: str, hint: str) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "pcc-deploy.toml").write_text(toml)
    with pytest.raises(InputError) as caught:
        build_settings({"api-key": "k"}, ws)
    message = str(caught.value)
    assert caught.value.input_name == "pcc-deploy.toml"
    assert hint in message and "\n" not in message


def test_a_malformed_project_file_fails_the_step_in_one_line(
    emu: Emulator, tmp_path: Path
) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "Dockerfile").write_text("FROM scratch\n")
    (ws / "pcc-deploy.toml").write_text("region = \n")
    run = run_action(ws, tmp_path / "runner", api_key=TEST_KEY, api_url=emu.api_url)
    assert run.returncode == 1
    [error] = [ln for ln in run.stdout.splitlines() if ln.startswith("::error")]
    assert "pcc-deploy.toml" in error and "not valid TOML" in error and "%0A" not in error
    assert emu.requests == []
    assert "Traceback" not in run.log
