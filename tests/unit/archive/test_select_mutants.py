"""Context selection: the whole messages, counts and report fields users read (docs/testing.md).

Each error is one line naming the input it is about and the path as given; the report counts
every file a rule removed and lists rules by how much they removed; a file's mode is 0o755
only when it is executable. The permission cases run select_context as `nobody` in a forked
child (root reads every file); each test first selects the same context in-process, so it is
also one of the tests mutation testing runs for this module.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipecat_build.archive.report import RuleCount, SkippedEntry
from pipecat_build.archive.select import SelectionOptions, Warning_, select_context
from pipecat_build.errors import InputError

DOCKER = SelectionOptions(ignore_rules="docker")


def names(selection: object) -> list[str]:
    return [m.arcname for m in selection.members]  # type: ignore[attr-defined]


def make(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return root


def refused(context: Path, dockerfile: str, options: SelectionOptions | None = None) -> str:
    with pytest.raises(InputError) as caught:
        select_context(context, dockerfile, options or SelectionOptions())
    return str(caught.value)


@pytest.fixture
def ctx(tmp_path: Path) -> Path:
    root = tmp_path.resolve() / "ctx"
    return make(root, {"Dockerfile": "FROM scratch\n"})


# --- the context and Dockerfile inputs ------------------------------------------------


def test_a_context_that_is_a_file(ctx: Path) -> None:
    assert refused(ctx / "Dockerfile", "Dockerfile") == (
        f"Input 'context': no folder at {ctx / 'Dockerfile'}"
    )


def test_a_context_that_is_a_loop_of_links(tmp_path: Path) -> None:
    os.symlink("spin", tmp_path / "spin")
    assert refused(tmp_path / "spin", "Dockerfile") == (
        f"Input 'context': cannot resolve {tmp_path / 'spin'}: a loop of symbolic links"
    )


def test_a_dockerfile_that_is_a_folder(ctx: Path) -> None:
    (ctx / "docker").mkdir()
    assert refused(ctx, "docker") == f"Input 'dockerfile': {ctx / 'docker'} is not a file"


def test_an_absolute_dockerfile_inside_the_context(ctx: Path) -> None:
    selection = select_context(ctx, str(ctx / "Dockerfile"))
    assert names(selection) == ["Dockerfile"]


def test_an_absolute_dockerfile_outside_the_context(ctx: Path) -> None:
    outside = make(ctx.parent, {"other/Dockerfile": "FROM scratch\n"}) / "other/Dockerfile"
    assert refused(ctx, str(outside)) == (
        f"Input 'dockerfile': {outside} is outside the context folder {ctx}"
    )


@pytest.mark.parametrize("dockerfile", [".", "..", "../Dockerfile", "sub/../../Dockerfile"])
def test_a_dockerfile_that_is_not_inside_the_context(ctx: Path, dockerfile: str) -> None:
    make(ctx.parent, {"Dockerfile": "FROM scratch\n"})
    assert refused(ctx, dockerfile) == (
        f"Input 'dockerfile': {dockerfile} is not a file inside the context {ctx}"
    )


def test_a_dockerfile_alone_and_untracked(ctx: Path) -> None:
    options = SelectionOptions(tracked_only=frozenset())
    assert refused(ctx, "Dockerfile", options) == (
        "Input 'dockerfile': Dockerfile is not tracked by git, and files: tracked leaves it out"
    )


def test_a_dockerfile_under_a_linked_folder_names_that_link(ctx: Path) -> None:
    make(ctx, {"real/Dockerfile": "FROM scratch\n"})
    (ctx / "deploy").mkdir()
    os.symlink("../real", ctx / "deploy" / "docker")
    os.symlink("real", ctx / "zlink")  # also skipped, and seen first
    assert refused(ctx, "deploy/docker/Dockerfile") == (
        "Input 'dockerfile': deploy/docker/Dockerfile is not packed: "
        "deploy/docker is a symbolic link to a folder"
    )


def test_a_dockerfile_inside_an_excluded_folder(ctx: Path) -> None:
    make(ctx, {"cache/Dockerfile": "FROM scratch\n"})
    options = SelectionOptions(excluded_folders=(ctx / "cache",))
    assert refused(ctx, "cache/Dockerfile", options) == (
        "Input 'dockerfile': cache/Dockerfile is not packed into the context; "
        "check the ignore rules"
    )


# --- what the selection and its report say ------------------------------------------


def test_rules_are_listed_by_what_they_removed_and_count_every_path(ctx: Path) -> None:
    make(ctx, {".dockerignore": "*.tmp\ncache*\n*.log\n", "a.tmp": "x", "keep.txt": "12345"})
    make(ctx, {f"{i}.log": "x" for i in range(3)})
    make(ctx, {"cache1/x": "x", "cache2/y": "x"})
    selection = select_context(ctx, "Dockerfile")
    assert selection.report.rules == [
        RuleCount("*.log", ".dockerignore", files=3),
        RuleCount("cache*", ".dockerignore", folders=2),
        RuleCount("*.tmp", ".dockerignore", files=1),
    ]
    assert selection.report.ignore_rules == "cli"
    assert selection.content_bytes == 13 + 19 + 5  # Dockerfile, .dockerignore, keep.txt


def test_untracked_files_are_counted_under_files_tracked(ctx: Path) -> None:
    make(ctx, {"a.txt": "x", "b.txt": "x"})
    options = SelectionOptions(tracked_only=frozenset({"Dockerfile"}))
    selection = select_context(ctx, "Dockerfile", options)
    assert selection.report.rules == [RuleCount("untracked files", "files: tracked", files=2)]


def test_a_context_of_exactly_the_limit_is_accepted(ctx: Path) -> None:
    make(ctx, {"blob": b"x" * 987})
    selection = select_context(ctx, "Dockerfile", SelectionOptions(max_content_bytes=1000))
    assert selection.content_bytes == 1000


def test_docker_rules_walk_every_folder_above_the_dockerfile(ctx: Path) -> None:
    make(ctx, {".dockerignore": "a\n", "a/b/Dockerfile": "FROM scratch\n", "a/b/x.txt": "x"})
    make(ctx, {"a/y.txt": "x"})
    selection = select_context(ctx, "a/b/Dockerfile", DOCKER)
    assert names(selection) == [".dockerignore", "Dockerfile", "a/b/Dockerfile"]


def test_docker_rules_report_the_dockerfile_specific_ignore_file(ctx: Path) -> None:
    make(ctx, {"build/app.Dockerfile": "FROM scratch\n", "a.log": "x"})
    make(ctx, {"build/app.Dockerfile.dockerignore": "*.log\n.dockerignore\n"})
    make(ctx, {".dockerignore": "*.txt\n"})
    selection = select_context(ctx, "build/app.Dockerfile", DOCKER)
    assert selection.report.rules == [
        RuleCount("*.log", "build/app.Dockerfile.dockerignore", files=1)
    ]
    # Both ignore files are always sent, whichever is in force.
    assert names(selection) == [
        ".dockerignore", "Dockerfile", "build/app.Dockerfile", "build/app.Dockerfile.dockerignore"
    ]


LINK_WARNING = (
    "{0} is a symbolic link to a folder and is left out of the context (pcc deploy does the "
    "same); copy the folder instead if the image needs it"
)


def test_a_link_to_a_folder_is_reported_as_skipped(ctx: Path) -> None:
    make(ctx, {"real/f.txt": "x"})
    os.symlink("real", ctx / "alias")
    selection = select_context(ctx, "Dockerfile")
    assert selection.report.skipped == [SkippedEntry("alias", "symbolic link to a folder")]
    assert selection.warnings == [Warning_(LINK_WARNING.format("alias"), "alias")]


def test_a_git_link_to_a_folder_is_left_out_silently_unless_git_is_packed(ctx: Path) -> None:
    make(ctx, {"gitdir/HEAD": "ref: refs/heads/main\n"})
    os.symlink("gitdir", ctx / ".git")
    selection = select_context(ctx, "Dockerfile", DOCKER)  # no default rule for .git
    assert selection.warnings == [] and selection.report.skipped == []
    with_git = SelectionOptions(ignore_rules="docker", include_git=True)
    packed = select_context(ctx, "Dockerfile", with_git)
    assert packed.warnings == [Warning_(LINK_WARNING.format(".git"), ".git")]


def test_modes_are_0755_for_executable_files_only(ctx: Path) -> None:
    make(ctx, {"run.sh": "#!/bin/sh\n", "data.txt": "x"})
    (ctx / "run.sh").chmod(0o755)
    (ctx / "data.txt").chmod(0o644)
    modes = {m.arcname: m.mode for m in select_context(ctx, "Dockerfile").members}
    assert modes == {"Dockerfile": 0o644, "data.txt": 0o644, "run.sh": 0o755}


@pytest.mark.parametrize("folder", ["ctx X", "ctx "])
def test_a_context_folder_whose_name_ends_oddly(tmp_path: Path, folder: str) -> None:
    """The context's own path is a prefix of its files' paths, whatever its last character."""
    root = make(tmp_path.resolve() / folder, {"Dockerfile": "FROM scratch\n", "cache/c": "x"})
    os.symlink("Dockerfile", root / "alias")
    options = SelectionOptions(excluded_folders=(root / "cache",))
    assert names(select_context(root, "Dockerfile", options)) == ["Dockerfile", "alias"]


def test_links_into_an_excluded_folder_are_counted_other_links_kept(ctx: Path) -> None:
    make(ctx, {"cache/blob": "x", "app.py": "x"})
    os.symlink("cache/blob", ctx / "to-cache")
    os.symlink("app.py", ctx / "alias.py")
    options = SelectionOptions(excluded_folders=(ctx / "cache",))
    selection = select_context(ctx, "Dockerfile", options)
    assert names(selection) == ["Dockerfile", "alias.py", "app.py"]
    assert sorted((r.pattern, r.source, r.files, r.folders) for r in selection.report.rules) == [
        ("cache", "hash-cache", 0, 1),
        ("to-cache", "hash-cache", 1, 0),
    ]


def test_a_link_to_a_character_device_is_skipped(ctx: Path) -> None:
    os.symlink("/dev/null", ctx / "null")
    selection = select_context(ctx, "Dockerfile")
    assert selection.report.skipped == [SkippedEntry("null", "device")]
    assert selection.warnings == [
        Warning_("null is a device, not a regular file; left out of the context", "null")
    ]


def test_a_link_to_a_block_device_is_skipped(ctx: Path) -> None:
    devices = sorted(p for p in Path("/dev").iterdir() if _is_block(p))
    if not devices:
        pytest.skip("no block device under /dev")
    os.symlink(devices[0], ctx / "disk")
    assert select_context(ctx, "Dockerfile").report.skipped == [SkippedEntry("disk", "device")]


def _is_block(path: Path) -> bool:
    try:
        return stat.S_ISBLK(path.stat().st_mode)
    except OSError:
        return False


# --- secret files ---------------------------------------------------------------------

FAIL_START = "Input 'secret-files': the context would upload files that look like secrets: "
FAIL_END = "; exclude them in .dockerignore, or set secret-files: exclude (or warn)"


def secret_fail_listing(ctx: Path, count: int) -> str:
    make(ctx, {f"id_rsa-{i:02d}": "x" for i in range(count)})
    message = refused(ctx, "Dockerfile", SelectionOptions(secret_files="fail"))
    assert message.startswith(FAIL_START) and message.endswith(FAIL_END)
    return message[len(FAIL_START) : -len(FAIL_END)]


def test_secret_files_fail_lists_ten_names(ctx: Path) -> None:
    listed = secret_fail_listing(ctx, 10)
    assert sorted(listed.split(", ")) == [f"id_rsa-{i:02d}" for i in range(10)]


def test_secret_files_fail_lists_ten_names_and_counts_the_rest(ctx: Path) -> None:
    listed = secret_fail_listing(ctx, 11)
    assert listed.endswith(" and 1 more")
    shown = listed.removesuffix(" and 1 more").split(", ")
    assert len(set(shown)) == 10 and set(shown) <= {f"id_rsa-{i:02d}" for i in range(11)}


def test_secret_warning_with_docker_rules_and_no_ignore_file(ctx: Path) -> None:
    make(ctx, {".env": "KEY=x\n"})
    selection = select_context(ctx, "Dockerfile", DOCKER)
    assert selection.warnings == [
        Warning_(
            ".env looks like a secret (.env) and will be uploaded in the build context; if "
            "the image does not need it, add the line `.env` to .dockerignore, or set "
            "secret-files: exclude",
            ".env",
        )
    ]


# --- too large ------------------------------------------------------------------------


def test_too_large_names_the_five_largest_top_level_paths(ctx: Path) -> None:
    make(ctx, {"a/x": b"x" * 100, "a/y/z": b"x" * 50, "b.bin": b"x" * 120, "c/d": b"x" * 90})
    make(ctx, {"d.bin": b"x" * 80, "e/f": b"x" * 70, "f.bin": b"x" * 60})
    assert refused(ctx, "Dockerfile", SelectionOptions(max_content_bytes=500)) == (
        "Input 'context': the context holds 583 B of files, over the 500 B limit; largest: "
        "a/ (150 B), b.bin (120 B), c/ (90 B), d.bin (80 B), e/ (70 B); "
        "exclude what the image does not need in .dockerignore"
    )


@pytest.mark.parametrize(("excess", "over"), [(1, "1 byte over"), (2, "2 bytes over")])
def test_too_large_by_less_than_the_rounding_says_by_how_many_bytes(
    ctx: Path, excess: int, over: str
) -> None:
    make(ctx, {"blob": b"x" * (10240 - 13 + excess)})  # 13: the Dockerfile
    assert refused(ctx, "Dockerfile", SelectionOptions(max_content_bytes=10240)) == (
        f"Input 'context': the context holds 10.0 KiB of files, {over} the 10.0 KiB limit; "
        "largest: blob (10.0 KiB), Dockerfile (13 B); "
        "exclude what the image does not need in .dockerignore"
    )


# --- what only another user cannot read --------------------------------------------------


def select_as_nobody(context: Path) -> str | None:
    """select_context in a forked child that dropped root: the InputError's text, or None."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(read_end)
        result: str | None = None
        try:
            os.setgid(65534)
            os.setuid(65534)
            select_context(context, "Dockerfile")
        except InputError as exc:
            result = str(exc)
        except BaseException as exc:
            result = f"unexpected {exc!r}"
        os.write(write_end, json.dumps(result).encode())
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as fh:
        data = fh.read()
    os.waitpid(pid, 0)
    loaded = json.loads(data)
    return None if loaded is None else str(loaded)


@pytest.fixture
def world_ctx() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="ctx-")).resolve()
    path.chmod(0o755)
    make(path, {"Dockerfile": "FROM scratch\n"})
    yield path
    for folder, _, _ in os.walk(path):
        os.chmod(folder, 0o755)
    shutil.rmtree(path)


needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="switches to nobody: needs root")


@needs_root
@pytest.mark.parametrize(
    ("locked", "mode", "message"),
    [
        ("locked.txt", 0o600, "cannot read locked.txt: permission denied"),
        ("sealed/f.txt", 0o744, "cannot read sealed/f.txt: Permission denied"),  # no x
        ("private/f.txt", 0o711, "cannot read the folder private: Permission denied"),  # no r
        ("f.txt", 0o311, "cannot read the folder .: Permission denied"),  # the context's own
    ],
)
def test_what_the_user_cannot_read_is_a_one_line_context_error(
    world_ctx: Path, locked: str, mode: int, message: str
) -> None:
    make(world_ctx, {locked: "x"})
    target = world_ctx / locked if locked == "locked.txt" else (world_ctx / locked).parent
    assert locked in names(select_context(world_ctx, "Dockerfile"))  # root reads it all
    target.chmod(mode)
    assert select_as_nobody(world_ctx) == f"Input 'context': {message}"


def _modes(selection_members: object) -> dict[str, int]:
    return {m.arcname: m.mode for m in selection_members}  # type: ignore[attr-defined]


@needs_root
def test_a_file_with_only_an_others_x_bit_packs_executable_as_pcc_deploy_decides(
    world_ctx: Path,
) -> None:
    # pcc deploy asks os.access(X_OK) for the running user; root may run any file with an x bit.
    make(world_ctx, {"tool.sh": "#!/bin/sh\n"})
    (world_ctx / "tool.sh").chmod(0o645)
    assert os.access(world_ctx / "tool.sh", os.X_OK)
    assert _modes(select_context(world_ctx, "Dockerfile").members)["tool.sh"] == 0o755


@needs_root
def test_a_file_the_running_user_may_not_execute_packs_as_0644(world_ctx: Path) -> None:
    # A root-owned 0o744 file: executable for root, not for nobody. Selected in this process
    # (not a fork) with the real ids switched, so mutation testing sees the call.
    make(world_ctx, {"tool.sh": "#!/bin/sh\n"})
    (world_ctx / "tool.sh").chmod(0o744)
    os.setresgid(65534, 65534, 0)
    os.setresuid(65534, 65534, 0)
    try:
        assert not os.access(world_ctx / "tool.sh", os.X_OK)
        modes = _modes(select_context(world_ctx, "Dockerfile").members)
    finally:
        os.setresuid(0, 0, 0)
        os.setresgid(0, 0, 0)
    assert os.getuid() == 0 and os.getgid() == 0
    assert modes["tool.sh"] == 0o644
