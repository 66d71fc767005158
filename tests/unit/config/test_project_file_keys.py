"""Issue 19 §2: every key of pcc-deploy.toml is honoured or refused, as `pcc deploy` 1.4.0's own
loader (`load_deploy_config_file`) accepts or refuses it; the oracle is that loader, run on the
same file. Keys it accepts but the spec's agents API cannot take are refused, saying what to do."""

from __future__ import annotations

from pathlib import Path

import pipecatcloud.cli.config as pcc_config
import pytest
from pipecatcloud._utils.deploy_utils import load_deploy_config_file

from pipecat_build.config.project_file import load_project_file
from pipecat_build.errors import InputError


def pcc_refuses(folder: Path, monkeypatch: pytest.MonkeyPatch) -> bool:
    with monkeypatch.context() as patch:
        patch.setattr(pcc_config, "deploy_config_path", str(folder / "pcc-deploy.toml"))
        try:
            load_deploy_config_file()
        except Exception:
            return True
    return False


def ours(folder: Path) -> InputError | None:
    try:
        load_project_file(folder)
    except InputError as exc:
        return exc
    return None


# Files `pcc deploy` refuses: this project refuses each, in one line naming the file and key.
REFUSED_BY_BOTH = [
    ('agent_name = "a"\nenable_krisp = true\n', "'enable_krisp'", "[krisp_viva]"),
    ('agent_name = "a"\nagentname = "b"\n', "unexpected key 'agentname'", "remove it"),
    ('secret_sets = "s"\n', "unexpected key 'secret_sets'", "remove it"),
    ("[scaling]\nmin_agent = 1\n", "[scaling] has unexpected key 'min_agent'", "min_agents"),
    ("[krisp_viva]\nfilter = 'tel'\n", "[krisp_viva] has unexpected key 'filter'", "audio_filter"),
    ("[resources]\ncpus = '1'\n", "[resources] has unexpected key 'cpus'", "cpu, memory"),
    ("[git]\nrepository = 'a/b'\n", "[git] has unexpected key 'repository'", "repo"),
    ('image = "no-tag"\n', "image 'no-tag' has no tag", "my-image:0.1"),
    ('image = "a:1"\nbuild_id = "b"\n', "both 'image' and 'build_id'", "keep one"),
    ("[scaling]\nmax_agents = 0\n", "[scaling] max_agents 0", "1 or more"),
    ("[git]\nbranch = 'main'\n", "[git]", "pcc deploy"),
]


@pytest.mark.parametrize(("toml", "names", "fix"), REFUSED_BY_BOTH)
def test_what_pcc_deploy_refuses_is_refused_in_one_line_naming_file_and_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, toml: str, names: str, fix: str
) -> None:
    (tmp_path / "pcc-deploy.toml").write_text(toml)
    assert pcc_refuses(tmp_path, monkeypatch), "the oracle accepts it: not a refused file"
    error = ours(tmp_path)
    assert error is not None
    message = str(error)
    assert error.input_name == "pcc-deploy.toml"
    assert str(tmp_path / "pcc-deploy.toml") in message
    assert names in message and fix in message and "\n" not in message


# Keys `pcc deploy` accepts and sends, but the spec's agents API has no field for: refused,
# saying what to do instead (the agent would silently run without them otherwise).
NOT_IN_THE_API = [
    ('websocket_auth = "token"\n', "websocket_auth = 'token'", "token check"),
    ('architecture = "arm64"\n', "architecture = 'arm64'", "default architecture"),
    ('[resources]\ncpu = "2"\nmemory = "4Gi"\n', "[resources]", "agent_profile"),
    ('[git]\nrepo = "o/r"\nbranch = "main"\n', "[git]", "remove [git]"),
]


@pytest.mark.parametrize(("toml", "names", "fix"), NOT_IN_THE_API)
def test_keys_the_agents_api_cannot_take_are_refused_with_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, toml: str, names: str, fix: str
) -> None:
    (tmp_path / "pcc-deploy.toml").write_text(toml)
    assert not pcc_refuses(tmp_path, monkeypatch)
    error = ours(tmp_path)
    assert error is not None
    message = str(error)
    assert names in message and fix in message and "pcc deploy" in message
    assert "\n" not in message


STARTER = """\
agent_name = "quickstart"
image = "your_username/quickstart:0.1"
secret_set = "quickstart-secrets"
image_credentials = "dockerhub-access"
agent_profile = "agent-1x"
max_session_duration = 1800

[scaling]
min_agents = 1
max_agents = 5

[krisp_viva]
audio_filter = "tel"

[docker]
auto_latest = false

[build]
context_dir = "."
dockerfile = "Dockerfile"
cache = true

[build.exclude]
patterns = ["*.log"]
"""


def test_every_key_pcc_deploy_accepts_is_read_or_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pcc-deploy.toml").write_text(STARTER)
    assert not pcc_refuses(tmp_path, monkeypatch)
    project = load_project_file(tmp_path)
    assert project is not None
    assert project.image == "your_username/quickstart:0.1"
    assert project.image_credentials == "dockerhub-access"
    assert project.build_id is None
    assert project.unused == ("[docker] auto_latest", "[build] cache")


def test_empty_tables_pcc_deploy_ignores_are_accepted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pcc-deploy.toml").write_text("[git]\n[resources]\n[docker]\n")
    assert not pcc_refuses(tmp_path, monkeypatch)
    assert ours(tmp_path) is None
