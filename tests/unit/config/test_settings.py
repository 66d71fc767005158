"""Each input's cleaner on its own: what it accepts, its default, and the one line it fails with."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from pipecat_build.config.cleaners import (
    clean_api_key,
    clean_api_url,
    clean_bool,
    clean_choice,
    clean_context,
    clean_dockerfile,
    clean_positive_int,
    clean_positive_seconds,
    clean_region,
)
from pipecat_build.config.services import clean_services
from pipecat_build.config.settings import build_settings
from pipecat_build.errors import InputError
from pipecat_build.inputs import DEFAULT_API_URL, read_action_inputs
from pipecat_build.mode import RunMode
from tests.action_harness import action_defaults


def fails(input_name: str, call, *args: object) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError) as caught:
        call(*args)
    message = str(caught.value)
    assert caught.value.input_name == input_name
    assert message.startswith(f"Input '{input_name}': ")
    assert "\n" not in message, "one line"
    return message


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    for folder in ("agent", "svc/a", "svc/b"):
        (root / folder).mkdir(parents=True)
        (root / folder / "Dockerfile").write_text("FROM scratch\n")
    (root / "file.txt").write_text("x")
    return root


# -- the runner's INPUT_ variables -----------------------------------------------------------


def test_hyphenated_input_names_are_read_as_the_runner_passes_them() -> None:
    inputs = read_action_inputs(
        {"INPUT_API-KEY": "k", "INPUT_PLAN-ONLY": "true", "INPUT_CONTEXT": "a", "PATH": "/bin"}
    )
    assert inputs == {"api-key": "k", "plan-only": "true", "context": "a"}


def test_underscored_names_work_too_but_the_runners_spelling_wins() -> None:
    inputs = read_action_inputs({"INPUT_API_KEY": "from-shell", "INPUT_MAX_PARALLEL": "2"})
    assert inputs == {"api-key": "from-shell", "max-parallel": "2"}
    both = read_action_inputs({"INPUT_API_KEY": "shell", "INPUT_API-KEY": "runner"})
    assert both["api-key"] == "runner"


def test_action_yml_defaults_give_working_settings(tree: Path) -> None:
    inputs = {**action_defaults(), "api-key": "pk_x", "context": "agent"}
    settings = build_settings(inputs, tree)
    assert settings.api_url == DEFAULT_API_URL
    assert (settings.force, settings.include_git) == (False, False)
    assert settings.mode is RunMode.BUILD
    assert (settings.build_timeout, settings.poll_interval) == (1800.0, 5.0)
    assert (settings.compression, settings.files, settings.ignore_rules) == ("cli", "all", "cli")
    assert (settings.secret_files, settings.max_parallel) == ("warn", 4)
    [target] = settings.targets
    assert target.context_dir == (tree / "agent").resolve()
    assert (target.dockerfile, target.region, target.name) == ("Dockerfile", None, "")


def test_missing_inputs_take_the_same_defaults(tree: Path) -> None:
    settings = build_settings({"api-key": "pk_x"}, tree)
    assert settings.targets[0].context_dir == tree.resolve()
    assert settings.max_parallel == 4 and settings.compression == "cli"


# -- one cleaner at a time ----------------------------------------------------------------------


def test_api_key() -> None:
    assert clean_api_key("api-key", "  pk_abc \n") == "pk_abc"
    assert "secrets" in fails("api-key", clean_api_key, "api-key", "")
    assert "white space" in fails("api-key", clean_api_key, "api-key", "pk a")


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        ("", DEFAULT_API_URL),
        ("https://api.example.com/", "https://api.example.com"),
        ("http://127.0.0.1:8787", "http://127.0.0.1:8787"),
        ("http://localhost:1", "http://localhost:1"),
        ("http://[::1]:9/base/", "http://[::1]:9/base"),
        ("http://emu.localhost", "http://emu.localhost"),
    ],
)
def test_api_url_accepted(raw: str, cleaned: str) -> None:
    assert clean_api_url("api-url", raw) == cleaned


@pytest.mark.parametrize(
    ("raw", "hint"),
    [
        ("ftp://example.com", "http(s)"),
        ("http://api.example.com", "unencrypted"),
        ("http://10.0.0.1", "unencrypted"),
        ("http://127.0.0.1.example.com", "unencrypted"),
        ("https://user:pw@example.com", "credentials"),
        ("https://example.com/?a=1", "query"),
        ("example.com", "http(s)"),
    ],
)
def test_api_url_refused(raw: str, hint: str) -> None:
    assert hint in fails("api-url", clean_api_url, "api-url", raw)


@pytest.mark.parametrize("word", ["true", "TRUE", " yes ", "on", "1"])
def test_bool_true(word: str) -> None:
    assert clean_bool("force", word) is True


@pytest.mark.parametrize("word", ["false", "No", "off", "0", "", "  "])
def test_bool_false(word: str) -> None:
    assert clean_bool("force", word) is False


def test_bool_refused_names_the_input() -> None:
    assert "true or false" in fails("plan-only", clean_bool, "plan-only", "maybe")


def test_seconds() -> None:
    assert clean_positive_seconds("build-timeout", " 2.5 ") == 2.5
    for bad in ("0", "-1", "nan", "inf", "soon"):
        message = fails("poll-interval", clean_positive_seconds, "poll-interval", bad)
        assert "positive" in message


def test_max_parallel() -> None:
    assert clean_positive_int("max-parallel", " 8 ") == 8
    for bad in ("0", "-2", "1.5", "many"):
        assert "whole number" in fails("max-parallel", clean_positive_int, "max-parallel", bad)


def test_choice_defaults_to_the_first_and_ignores_case() -> None:
    assert clean_choice("files", " Tracked ", ("all", "tracked")) == "tracked"
    assert "all, tracked" in fails("files", clean_choice, "files", "some", ("all", "tracked"))


def test_region() -> None:
    assert clean_region("region", "") is None
    assert clean_region("region", " eu-central ") == "eu-central"
    assert "region code" in fails("region", clean_region, "region", "EU Central")
    fails("services", clean_region, "services", "us_west")


@pytest.mark.parametrize("bad", ["/etc/Dockerfile", "../Dockerfile", "a/../../Dockerfile", "", "."])
def test_dockerfile_refused(bad: str) -> None:
    fails("dockerfile", clean_dockerfile, "dockerfile", bad)


def test_dockerfile_normalised() -> None:
    assert clean_dockerfile("dockerfile", " docker\\Dockerfile.prod ") == "docker/Dockerfile.prod"
    assert clean_dockerfile("dockerfile", "./Dockerfile") == "Dockerfile"


def test_context(tree: Path) -> None:
    assert clean_context("context", "", tree) == tree.resolve()
    assert clean_context("context", "svc/a/", tree) == (tree / "svc/a").resolve()
    assert "does not exist" in fails("context", clean_context, "context", "nope", tree)
    assert "not a folder" in fails("context", clean_context, "context", "file.txt", tree)
    assert "outside the workspace" in fails("context", clean_context, "context", "..", tree)


def test_context_symlink_out_of_the_workspace_is_refused(tree: Path, tmp_path: Path) -> None:
    (tmp_path / "outside").mkdir()
    (tree / "link").symlink_to(tmp_path / "outside")
    assert "outside the workspace" in fails("context", clean_context, "context", "link", tree)


_SEGMENT = st.one_of(
    st.sampled_from(["..", ".", "", "a", "svc", "b", "~", "..."]),
    st.text(alphabet=string.ascii_letters + "._-", min_size=1, max_size=6),
)
_PATHS = st.tuples(
    st.booleans(), st.lists(_SEGMENT, min_size=0, max_size=6), st.sampled_from(["/", "\\"])
).map(lambda t: ("/" if t[0] else "") + t[2].join(t[1]))


@hsettings(max_examples=200, deadline=None)
@given(raw=_PATHS)
def test_dockerfile_never_leaves_the_context(raw: str) -> None:
    try:
        cleaned = clean_dockerfile("dockerfile", raw)
    except InputError:
        return
    assert not cleaned.startswith("/")
    assert ".." not in cleaned.split("/")
    context = Path("/ctx/inner")
    resolved = (context / cleaned).resolve()
    assert resolved == context or context in resolved.parents


@hsettings(max_examples=200, deadline=None)
@given(raw=_PATHS)
def test_context_never_leaves_the_workspace(
    tmp_path_factory: pytest.TempPathFactory, raw: str
) -> None:
    root = tmp_path_factory.getbasetemp() / "context-prop"
    for folder in ("a/b", "svc/a", "..."):
        (root / "ws" / folder).mkdir(parents=True, exist_ok=True)
    (root / "sibling").mkdir(exist_ok=True)
    workspace = root / "ws"
    try:
        folder = clean_context("context", raw, workspace)
    except InputError as exc:
        assert exc.input_name == "context"
        return
    assert folder == workspace.resolve() or workspace.resolve() in folder.parents
    assert folder.is_dir()


# -- services ----------------------------------------------------------------------------------


def test_services_yaml_with_defaults_and_precedence(tree: Path) -> None:
    targets = clean_services(
        "a: {context: svc/a, region: eu-central}\nb: {context: svc/b, dockerfile: D.prod}\n"
        "agent:\n",
        tree,
        "us-west",
    )
    assert [t.name for t in targets] == ["a", "b", "agent"]
    a, b, agent = targets
    assert (a.region, a.dockerfile) == ("eu-central", "Dockerfile")
    assert (b.region, b.dockerfile) == ("us-west", "D.prod")
    assert agent.context_dir == (tree / "agent").resolve(), "no context: the folder of its name"


def test_services_from_a_manifest_file_with_a_services_key(tree: Path) -> None:
    (tree / "ci").mkdir()
    (tree / "ci/services.yml").write_text("services:\n  a: svc/a\n  b:\n    context: svc/b\n")
    targets = clean_services("ci/services.yml", tree, None)
    assert [(t.name, t.context_dir) for t in targets] == [
        ("a", (tree / "svc/a").resolve()),
        ("b", (tree / "svc/b").resolve()),
    ]


def test_a_service_named_services_is_not_mistaken_for_the_wrapper(tree: Path) -> None:
    (tree / "services").mkdir()
    [target] = clean_services("services: {context: services}", tree, None)
    assert target.name == "services"


@pytest.mark.parametrize(
    ("raw", "hint"),
    [
        ("a: [unclosed", "not valid YAML at line 1"),
        ("a: {context: svc/a}\na: {context: svc/b}", "'a' is given twice (line 2)"),
        ("- svc/a\n- svc/b", "must be a mapping"),
        ("just-a-word", "neither YAML"),
        ("missing.yml", "neither YAML"),
        ("../outside.yml", "neither YAML"),
        ("'bad name!': {context: svc/a}", "not a valid service name"),
        ("a: {context: svc/a, image: x}", "service 'a': unknown key 'image'"),
        ("a: {context: svc/a, dockerfle: x}", "did you mean 'dockerfile'?"),
        ("a: {context: [svc/a]}", "service 'a': context must be a single value"),
        ("a: {context: nope}", "service 'a': folder 'nope' does not exist"),
        ("a: {context: ../..}", "service 'a':"),
        ("a: {context: svc/a, dockerfile: /etc/passwd}", "service 'a':"),
        ("a: {context: svc/a, region: Mars!}", "service 'a':"),
        ("a: 42", "service 'a' must be a mapping or a folder"),
    ],
)
def test_bad_services_fail_in_one_line_naming_services(tree: Path, raw: str, hint: str) -> None:
    message = fails("services", clean_services, raw, tree, None)
    assert hint in message


def test_services_input_overrides_context_and_marks_a_multi_service_run(tree: Path) -> None:
    settings = build_settings(
        {"api-key": "k", "services": "a: svc/a", "context": "agent", "max-parallel": "2"}, tree
    )
    assert settings.mode.many and settings.max_parallel == 2
    assert [t.name for t in settings.targets] == ["a"]


@pytest.mark.parametrize(
    ("text", "line"),
    [('A=1\n\nB="open', 3), ("# c\nA=1\n\n\nnot a pair =\n", 5), ("A=1\n  \nC\n", 3)],
)
def test_a_bad_secrets_line_is_named_by_its_own_number(text: str, line: int) -> None:
    from pipecat_build.config.cleaners import clean_secrets

    message = fails("secrets", clean_secrets, "secrets", text)
    assert f"line {line}" in message
    assert "open" not in message, "never the line's text: it may hold a value"
