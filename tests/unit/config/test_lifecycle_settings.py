"""config: the run mode of issue 21's inputs, decided once, and the preview name rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipecat_build.config.cleaners import AGENT_NAME, AGENT_NAME_MAX, AGENT_NAME_SUFFIX_MAX
from pipecat_build.config.settings import Settings, build_settings
from pipecat_build.config.targets import agent_with_suffix
from pipecat_build.errors import InputError
from pipecat_build.mode import RunMode

BUILD = "5d1a4b1e-3333-4000-8000-000000000000"


def settings(tmp_path: Path, **inputs: str) -> Settings:
    raw = {"api-key": "pk_x", **{k.replace("_", "-"): v for k, v in inputs.items()}}
    return build_settings(raw, tmp_path)


@pytest.mark.parametrize(
    ("inputs", "mode"),
    [
        ({"build_id": BUILD, "agent_name": "bot"}, RunMode.DEPLOY_BUILD),
        ({"image": "ghcr.io/a/b@sha256:" + "a" * 64, "agent_name": "bot"}, RunMode.DEPLOY_IMAGE),
        ({"delete_agent": "true", "agent_name": "bot"}, RunMode.DELETE_AGENT),
        ({"agent_name": "bot"}, RunMode.BUILD),
    ],
)
def test_the_mode(tmp_path: Path, inputs: dict[str, str], mode: RunMode) -> None:
    assert settings(tmp_path, **inputs).mode is mode


def test_deletion_never_takes_the_agent_from_pcc_deploy_toml(tmp_path: Path) -> None:
    (tmp_path / "pcc-deploy.toml").write_text('agent_name = "production-bot"\n')
    with pytest.raises(InputError) as raised:
        settings(tmp_path, delete_agent="true")
    assert raised.value.input_name == "agent-name"


def test_build_id_takes_the_agent_from_pcc_deploy_toml_and_the_suffix(tmp_path: Path) -> None:
    (tmp_path / "pcc-deploy.toml").write_text('agent_name = "bot"\n')
    (target,) = settings(tmp_path, build_id=BUILD.upper(), agent_name_suffix="pr-3").targets
    assert target.deploy is not None
    assert (target.deploy.agent, target.deploy.build_id) == ("bot-pr-3", BUILD)


def test_a_short_name_gets_the_suffix_as_it_is() -> None:
    assert agent_with_suffix("bot", "pr-42") == "bot-pr-42"
    assert agent_with_suffix("bot", "") == "bot"


@pytest.mark.parametrize("length", range(2, AGENT_NAME_MAX + 1))
def test_a_long_name_is_shortened_validly_and_distinctly(length: int) -> None:
    suffix = "pr-" + "9" * (AGENT_NAME_SUFFIX_MAX - 3)
    base = ("ab-" * 30)[: length - 1] + "z"
    other = ("ab-" * 30)[: length - 1] + "y"
    name = agent_with_suffix(base, suffix)
    assert len(name) <= AGENT_NAME_MAX and AGENT_NAME.fullmatch(name), name
    assert name.endswith("-" + suffix) and name[:2] == base[:2]
    if len(f"{base}-{suffix}") > AGENT_NAME_MAX:
        assert agent_with_suffix(other, suffix) != name
    else:
        assert name == f"{base}-{suffix}"


def test_image_credentials_default_to_pcc_deploy_toml_and_serve_only_an_image(
    tmp_path: Path,
) -> None:
    (tmp_path / "pcc-deploy.toml").write_text(
        'agent_name = "bot"\nimage_credentials = "ghcr-pull"\n'
    )
    (target,) = settings(tmp_path, image="ghcr.io/acme/bot:1").targets
    assert target.deploy is not None and target.deploy.image_credentials == "ghcr-pull"
    (target,) = settings(tmp_path, build_id=BUILD).targets
    assert target.deploy is not None and target.deploy.image_credentials is None
