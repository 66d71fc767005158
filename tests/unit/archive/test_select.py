"""What select_context packs, refuses and warns about, on real folders."""

from __future__ import annotations

import json
import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipecat_build.archive.select import SelectionOptions, select_context
from pipecat_build.errors import InputError

TOKEN = "AUTHORIZATION: basic eC1hY2Nlc3MtdG9rZW46Z2hzX3NlY3JldA=="


def names(selection: object) -> list[str]:
    return [m.arcname for m in selection.members]  # type: ignore[attr-defined]


@pytest.fixture
def ctx(tmp_path: Path) -> Path:
    (tmp_path / "Dockerfile").write_text("FROM python:3.11\n")
    (tmp_path / "app.py").write_text("print('hi')\n")
    return tmp_path


def _git_dir(root: Path) -> None:
    git = root / ".git"
    (git / "objects" / "ab").mkdir(parents=True)
    (git / "config").write_text(f'[http "https://github.com/"]\n\textraheader = {TOKEN}\n')
    (git / "HEAD").write_text("ref: refs/heads/main\n")
    (git / "objects" / "ab" / "cdef").write_bytes(b"x")


# --- .git ---------------------------------------------------------------------------


def test_git_left_out_when_dockerignore_forgets_it(ctx: Path) -> None:
    _git_dir(ctx)
    (ctx / "sub").mkdir()
    (ctx / "sub" / ".git").write_text("gitdir: ../.git/modules/sub\n")  # a submodule's file
    (ctx / ".dockerignore").write_text("*.log\n")
    selection = select_context(ctx, "Dockerfile")
    assert names(selection) == [".dockerignore", "Dockerfile", "app.py"]
    assert not any(TOKEN in m.path.read_text() for m in selection.members)
    assert len(selection.notices) == 1
    notice = selection.notices[0]
    assert "(4 files" in notice and "token" in notice and "cache miss" in notice
    rules = {(r.pattern, r.source): r.files for r in selection.report.rules}
    assert rules == {(".git", "include-git"): 4}


def test_git_packed_with_include_git(ctx: Path) -> None:
    _git_dir(ctx)
    (ctx / ".dockerignore").write_text("*.log\n")
    selection = select_context(ctx, "Dockerfile", SelectionOptions(include_git=True))
    assert ".git/config" in names(selection)
    assert not selection.notices


def test_no_git_notice_when_rules_already_exclude_it(ctx: Path) -> None:
    _git_dir(ctx)
    selection = select_context(ctx, "Dockerfile")
    assert ".git/config" not in names(selection)
    assert not selection.notices
    assert any(r.pattern == ".git" and r.source == "defaults" for r in selection.report.rules)


def test_git_left_out_under_docker_rules_even_with_exceptions(ctx: Path) -> None:
    _git_dir(ctx)
    (ctx / ".dockerignore").write_text(".git\n!.git/HEAD\n")
    selection = select_context(ctx, "Dockerfile", SelectionOptions(ignore_rules="docker"))
    assert names(selection) == [".dockerignore", "Dockerfile", "app.py"]
    assert "(1 file " in selection.notices[0]


# --- secret-looking files --------------------------------------------------------------


@pytest.fixture
def secrets_ctx(ctx: Path) -> Path:
    (ctx / ".dockerignore").write_text("*.log\n")
    (ctx / ".env").write_text("API_KEY=x\n")
    (ctx / ".env.example").write_text("API_KEY=\n")
    (ctx / "conf").mkdir()
    (ctx / "conf" / "server.pem").write_text("-----BEGIN PRIVATE KEY-----\n")
    (ctx / "conf" / "id_ed25519.pub").write_text("ssh-ed25519 AAAA\n")
    (ctx / ".docker").mkdir()
    (ctx / ".docker" / "config.json").write_text("{}")
    return ctx


def test_secret_files_warn(secrets_ctx: Path) -> None:
    selection = select_context(secrets_ctx, "Dockerfile")
    flagged = sorted(w.file for w in selection.warnings if "looks like a secret" in w.message)
    expected = [".docker/config.json", ".env", "conf/server.pem"]
    assert flagged == expected
    assert set(expected) <= set(names(selection))
    pem = next(w for w in selection.warnings if w.file and w.file.endswith("server.pem"))
    assert "add the line `conf/server.pem` to .dockerignore" in pem.message


def test_secret_files_warning_without_dockerignore_points_to_pcc_deploy_toml(ctx: Path) -> None:
    (ctx / ".npmrc").write_text("//registry.npmjs.org/:_authToken=x\n")
    selection = select_context(ctx, "Dockerfile")
    (warning,) = selection.warnings
    assert "`.npmrc`" in warning.message and "[build.exclude]" in warning.message


def test_secret_files_exclude(secrets_ctx: Path) -> None:
    options = SelectionOptions(secret_files="exclude")
    selection = select_context(secrets_ctx, "Dockerfile", options)
    assert names(selection) == [
        ".dockerignore",
        ".env.example",
        "Dockerfile",
        "app.py",
        "conf/id_ed25519.pub",
    ]
    assert not selection.warnings
    assert "3 secret-looking files" in selection.notices[0]
    assert sum(r.files for r in selection.report.rules if r.source == "secret-files") == 3


def test_secret_files_fail(secrets_ctx: Path) -> None:
    with pytest.raises(InputError) as info:
        select_context(secrets_ctx, "Dockerfile", SelectionOptions(secret_files="fail"))
    assert info.value.input_name == "secret-files"
    for name in (".env", "conf/server.pem", ".docker/config.json"):
        assert name in str(info.value)
    assert ".env.example" not in str(info.value)


# --- errors --------------------------------------------------------------------------


def test_dockerfile_missing_names_full_path(ctx: Path) -> None:
    with pytest.raises(InputError) as info:
        select_context(ctx, "docker/Dockerfile.prod")
    assert info.value.input_name == "dockerfile"
    assert str(ctx.resolve() / "docker" / "Dockerfile.prod") in str(info.value)


def test_dockerfile_excluded_names_pattern_and_file(ctx: Path) -> None:
    (ctx / ".dockerignore").write_text("Docker*\n")
    with pytest.raises(InputError) as info:
        select_context(ctx, "Dockerfile")
    assert info.value.input_name == "dockerfile"
    assert "'Docker*'" in str(info.value) and ".dockerignore" in str(info.value)


def test_dockerfile_outside_context_refused(ctx: Path) -> None:
    (ctx / "sub").mkdir()
    with pytest.raises(InputError) as info:
        select_context(ctx / "sub", "../Dockerfile")
    assert info.value.input_name == "dockerfile"


def test_broken_symlink_named(ctx: Path) -> None:
    os.symlink("missing.txt", ctx / "dangling")
    with pytest.raises(InputError) as info:
        select_context(ctx, "Dockerfile")
    assert info.value.input_name == "context"
    assert "dangling" in str(info.value) and "missing.txt" in str(info.value)


@pytest.mark.parametrize(
    "links",
    [[("loop", "loop")], [("a", "b"), ("b", "a")], [("sub/x", "../y"), ("y", "sub/x")]],
    ids=["self", "pair", "across-folders"],
)
def test_symlink_loop_is_a_one_line_context_error(
    ctx: Path, links: list[tuple[str, str]]
) -> None:
    """docs/context.md: a link that never reaches a file stops the step with a `context` error,
    not "unexpected error (OSError): Too many levels of symbolic links"."""
    for link, target in links:
        (ctx / link).parent.mkdir(exist_ok=True)
        os.symlink(target, ctx / link)
    with pytest.raises(InputError) as info:
        select_context(ctx, "Dockerfile")
    message = str(info.value)
    assert info.value.input_name == "context"
    assert "loop of links" in message and "\n" not in message
    assert any(f"{name} -> " in message for name, _ in links)
    assert "exclude it in .dockerignore" in message


def test_excluded_symlink_loop_is_left_out_silently(ctx: Path) -> None:
    os.symlink("loop.log", ctx / "loop.log")  # *.log: pcc deploy's defaults leave it out
    (ctx / "cache").mkdir()
    os.symlink("spin", ctx / "cache" / "spin")
    (ctx / ".dockerignore").write_text("*.log\ncache\n")
    selection = select_context(ctx, "Dockerfile")
    assert names(selection) == [".dockerignore", "Dockerfile", "app.py"]
    rules = {r.pattern: (r.files, r.folders) for r in selection.report.rules}
    assert rules == {"*.log": (1, 0), "cache": (0, 1)}


def test_context_folder_that_is_a_symlink_loop(tmp_path: Path) -> None:
    os.symlink("ctx", tmp_path / "ctx")
    with pytest.raises(InputError) as info:
        select_context(tmp_path / "ctx", "Dockerfile")
    assert info.value.input_name == "context"
    assert "loop" in str(info.value)


def test_dockerfile_that_is_a_symlink_loop(ctx: Path) -> None:
    os.symlink("spin", ctx / "spin")
    with pytest.raises(InputError) as info:
        select_context(ctx, str(ctx / "spin"))
    assert info.value.input_name == "dockerfile"
    assert "loop" in str(info.value)


def test_symlink_outside_context_refused(tmp_path: Path) -> None:
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text("FROM scratch\n")
    outside = tmp_path / "runner-secret.txt"
    outside.write_text("secret")
    os.symlink(outside, ctx / "innocent.txt")
    with pytest.raises(InputError) as info:
        select_context(ctx, "Dockerfile")
    message = str(info.value)
    assert info.value.input_name == "context"
    assert "innocent.txt" in message and str(outside) in message and "remove" in message


def test_symlink_inside_context_packs_target_content(ctx: Path) -> None:
    os.symlink("app.py", ctx / "alias.py")
    selection = select_context(ctx, "Dockerfile")
    alias = next(m for m in selection.members if m.arcname == "alias.py")
    assert alias.size == (ctx / "app.py").stat().st_size


def test_too_large_lists_the_largest_paths(ctx: Path) -> None:
    for folder, size in (("models", 6000), ("data", 3000), ("assets", 1000)):
        (ctx / folder).mkdir()
        (ctx / folder / "blob").write_bytes(b"x" * size)
    (ctx / "big.bin").write_bytes(b"x" * 2000)
    with pytest.raises(InputError) as info:
        select_context(ctx, "Dockerfile", SelectionOptions(max_content_bytes=10_000))
    message = str(info.value)
    assert info.value.input_name == "context"
    assert "models/ (5.9 KiB)" in message and "big.bin" in message
    assert message.index("models/") < message.index("data/") < message.index("big.bin")
    assert "10,000" not in message and "9.8 KiB" in message  # limit in human units


def _select_as_nobody(context: Path) -> tuple[str, str] | None:
    """Runs select_context in a forked child that dropped root (root reads any file)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(read_end)
        result: object = None
        try:
            os.setgid(65534)
            os.setuid(65534)
            select_context(context, "Dockerfile")
        except InputError as exc:
            result = [exc.input_name, str(exc)]
        except BaseException as exc:
            result = ["unexpected", repr(exc)]
        os.write(write_end, json.dumps(result).encode())
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as fh:
        data = fh.read()
    os.waitpid(pid, 0)
    loaded = json.loads(data)
    return None if loaded is None else (loaded[0], loaded[1])


@pytest.fixture
def world_tmp() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="ctx-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path)


def test_unreadable_file_is_an_input_error(world_tmp: Path) -> None:
    (world_tmp / "Dockerfile").write_text("FROM scratch\n")
    (world_tmp / "locked.txt").write_text("x")
    if os.geteuid() == 0:
        (world_tmp / "locked.txt").chmod(0o600)  # root's, so unreadable for nobody
        outcome = _select_as_nobody(world_tmp)
        assert outcome is not None
        input_name, message = outcome
    else:
        (world_tmp / "locked.txt").chmod(0)
        with pytest.raises(InputError) as info:
            select_context(world_tmp, "Dockerfile")
        input_name, message = info.value.input_name, str(info.value)
    assert input_name == "context" and "locked.txt" in message


# --- special files -------------------------------------------------------------------


def test_sockets_and_fifos_skipped_with_warning(ctx: Path) -> None:
    os.mkfifo(ctx / "pipe")
    sock = socket.socket(socket.AF_UNIX)
    short = Path(tempfile.mkdtemp(prefix="s"))  # AF_UNIX paths are short
    try:
        sock.bind(str(short / "sock"))
        os.symlink(short / "sock", ctx / "agent.sock")
        selection = select_context(ctx, "Dockerfile")
    finally:
        sock.close()
        shutil.rmtree(short)
    assert names(selection) == ["Dockerfile", "app.py"]
    kinds = {s.path: s.kind for s in selection.report.skipped}
    assert kinds == {"pipe": "FIFO", "agent.sock": "socket"}
    assert sorted(w.file or "" for w in selection.warnings) == ["agent.sock", "pipe"]


def test_symlinked_folder_left_out_with_warning(ctx: Path) -> None:
    (ctx / "real").mkdir()
    (ctx / "real" / "f.txt").write_text("x")
    os.symlink("real", ctx / "alias")
    selection = select_context(ctx, "Dockerfile")
    assert "alias/f.txt" not in names(selection) and "real/f.txt" in names(selection)
    assert any("alias" in w.message and "symbolic link to a folder" in w.message
               for w in selection.warnings)  # fmt: skip


# --- files: tracked ------------------------------------------------------------------


def test_tracked_only_keeps_tracked_members(ctx: Path) -> None:
    (ctx / "build-output.bin").write_text("x")
    options = SelectionOptions(tracked_only=frozenset({"Dockerfile", "app.py"}))
    selection = select_context(ctx, "Dockerfile", options)
    assert names(selection) == ["Dockerfile", "app.py"]
    assert [(r.source, r.files) for r in selection.report.rules] == [("files: tracked", 1)]


def test_untracked_dockerfile_is_an_input_error(ctx: Path) -> None:
    options = SelectionOptions(tracked_only=frozenset({"app.py"}))
    with pytest.raises(InputError) as info:
        select_context(ctx, "Dockerfile", options)
    assert info.value.input_name == "dockerfile" and "tracked" in str(info.value)
