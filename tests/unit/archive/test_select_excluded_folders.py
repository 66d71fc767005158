"""The hash-cache folder is never packed, wherever it lies and whatever the rules say.

Everything else stays byte-identical to pcc deploy: the archive of a context holding the
cache folder equals pcc's archive of the same context without it.
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from pipecatcloud._utils.build_utils import create_deterministic_tarball

from pipecat_build.archive.hash_cache import HashCache, cache_key
from pipecat_build.archive.select import SelectionOptions, select_context
from pipecat_build.archive.stream_digest import digest_stream
from pipecat_build.archive.stream_key import StreamKey
from pipecat_build.archive.tar_stream import write_archive
from pipecat_build.errors import InputError

CACHE_KEY = cache_key("pk_test_cache")  # the key a run derives from its API key


@pytest.fixture
def ctx(tmp_path: Path) -> Path:
    root = tmp_path / "ctx"
    (root / "src").mkdir(parents=True)
    (root / "Dockerfile").write_text("FROM python:3.12-slim\nCOPY . /app\n")
    (root / "src" / "app.py").write_text("print('hi')\n")
    return root


def fill_cache(folder: Path) -> None:
    cache = HashCache(folder, key=CACHE_KEY)
    for n in range(3):
        assert cache.remember(StreamKey(f"{n:064x}", "cli", 9, 0), f"{n:016x}", n) is None
    # These tests are about naming the folder; its CACHEDIR.TAG, which leaves it out on its
    # own, has its tests in test_select_security.py.
    (folder / "CACHEDIR.TAG").unlink()


def names(ctx: Path, options: SelectionOptions) -> list[str]:
    return [m.arcname for m in select_context(ctx, "Dockerfile", options).members]


def excluding(*folders: Path, **more: object) -> SelectionOptions:
    return SelectionOptions(excluded_folders=folders, **more)  # type: ignore[arg-type]


@pytest.mark.parametrize("where", [".pipecat-hash-cache", "src/deep/er/cache", "cache"])
def test_cache_folder_is_left_out_and_the_rest_is_pcc_identical(
    ctx: Path, tmp_path: Path, where: str
) -> None:
    fill_cache(ctx / where)
    assert names(ctx, SelectionOptions()) != names(ctx, excluding(ctx / where))  # it was packed
    selection = select_context(ctx, "Dockerfile", excluding(ctx / where))
    assert not any(m.arcname.startswith(where + "/") for m in selection.members)
    rules = {(r.pattern, r.source): r.folders for r in selection.report.rules}
    assert rules[(where, "hash-cache")] == 1

    out = io.BytesIO()
    write_archive(selection.members, out, "cli")
    without = tmp_path / "without"
    shutil.copytree(ctx, without)
    shutil.rmtree(without / where)
    assert out.getvalue() == create_deterministic_tarball(str(without), set(), ".").tarball


def test_left_out_even_when_the_docker_rules_bring_it_back(ctx: Path) -> None:
    fill_cache(ctx / "cache")
    (ctx / ".dockerignore").write_text("*\n!Dockerfile\n!src\n!cache\n!cache/**\n")
    kept = names(ctx, SelectionOptions(ignore_rules="docker"))
    assert any(n.startswith("cache/") for n in kept)  # the rules alone would pack it
    got = names(ctx, excluding(ctx / "cache", ignore_rules="docker"))
    assert got == [n for n in kept if not n.startswith("cache/")]


def test_left_out_even_when_git_tracks_it(ctx: Path) -> None:
    fill_cache(ctx / "cache")
    everything = frozenset(names(ctx, SelectionOptions()))
    assert any(n.startswith("cache/") for n in everything)
    got = names(ctx, excluding(ctx / "cache", tracked_only=everything))
    assert got == sorted(n for n in everything if not n.startswith("cache/"))


def test_left_out_with_include_git(ctx: Path) -> None:
    fill_cache(ctx / "cache")
    assert not any(
        n.startswith("cache/") for n in names(ctx, excluding(ctx / "cache", include_git=True))
    )


def test_a_link_to_the_cache_and_links_into_it_are_left_out(ctx: Path) -> None:
    fill_cache(ctx / "real-cache")
    (ctx / "cache").symlink_to("real-cache", target_is_directory=True)
    entry = next((ctx / "real-cache").iterdir())
    (ctx / "src" / "entry").symlink_to(entry)
    selection = select_context(ctx, "Dockerfile", excluding(ctx / "cache"))
    assert [m.arcname for m in selection.members] == ["Dockerfile", "src/app.py"]
    assert selection.warnings == []  # no "symbolic link to a folder" warning for the cache


def test_a_relative_or_unnormalised_path_works(ctx: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fill_cache(ctx / "cache")
    monkeypatch.chdir(ctx / "src")
    assert names(ctx, excluding(Path("../src/../cache/"))) == ["Dockerfile", "src/app.py"]


def test_a_folder_outside_the_context_or_not_there_changes_nothing(
    ctx: Path, tmp_path: Path
) -> None:
    plain = names(ctx, SelectionOptions())
    assert names(ctx, excluding(tmp_path / "elsewhere", ctx / "not-yet")) == plain
    assert names(ctx, excluding(tmp_path)) == plain  # a parent of the context


def test_the_context_itself_is_refused(ctx: Path) -> None:
    with pytest.raises(InputError, match="hash-cache"):
        select_context(ctx, "Dockerfile", excluding(ctx))


def test_remembering_into_a_cache_inside_the_context_does_not_change_its_key(
    ctx: Path,
) -> None:
    """The point of the exclusion: the run's own remember must not make the next run miss."""
    folder = ctx / ".pipecat-hash-cache"
    options = excluding(folder)
    first = select_context(ctx, "Dockerfile", options)
    result = write_archive(first.members, io.BytesIO(), "cli")
    cache = HashCache(folder, key=CACHE_KEY)
    assert cache.remember(result.stream_key, result.context_hash, result.archive_bytes) is None
    again = digest_stream(select_context(ctx, "Dockerfile", options).members).key
    assert again == result.stream_key
    remembered = cache.recall(again)
    assert remembered is not None and remembered.context_hash == result.context_hash
