"""Issue 19 §6 and 20 §10: a folder holding a valid CACHEDIR.TAG (the hash cache's) is never
packed, even in a run that does not name it; a `.dockerignore` that is a symbolic link out of
the context is refused, as the Dockerfile is."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipecat_build.archive.hash_cache import HashCache, cache_key
from pipecat_build.archive.select import SelectionOptions, select_context
from pipecat_build.archive.stream_key import StreamKey
from pipecat_build.errors import InputError

SIGNATURE = "Signature: 8a477f597d28d172789f06886806bc55\n"


@pytest.fixture
def ctx(tmp_path: Path) -> Path:
    root = tmp_path / "ctx"
    (root / "src").mkdir(parents=True)
    (root / "Dockerfile").write_text("FROM scratch\n")
    (root / "src" / "app.py").write_text("x\n")
    return root


def names(ctx: Path, **options: object) -> list[str]:
    selection = select_context(ctx, "Dockerfile", SelectionOptions(**options))  # type: ignore[arg-type]
    return [m.arcname for m in selection.members]


@pytest.mark.parametrize("ignore_rules", ["cli", "docker"])
def test_a_hash_cache_folder_is_left_out_without_being_named(ctx: Path, ignore_rules: str) -> None:
    folder = ctx / "some" / ".cache-of-hashes"
    HashCache(folder, key=cache_key("k")).remember(StreamKey("ab" * 32, "cli", 9, 0), "0" * 16, 1)
    assert names(ctx, ignore_rules=ignore_rules) == ["Dockerfile", "src/app.py"]
    selection = select_context(ctx, "Dockerfile", SelectionOptions(ignore_rules=ignore_rules))  # type: ignore[arg-type]
    assert any("CACHEDIR.TAG" in notice and "pcc deploy" in notice for notice in selection.notices)


def test_only_a_valid_tag_counts(ctx: Path) -> None:
    (ctx / "fake").mkdir()
    (ctx / "fake" / "CACHEDIR.TAG").write_text("Signature: not the one\n")
    (ctx / "fake" / "kept.txt").write_text("x")
    (ctx / "linked").mkdir()
    (ctx / "tagfile").write_text(SIGNATURE)
    (ctx / "linked" / "CACHEDIR.TAG").symlink_to(ctx / "tagfile")
    (ctx / "linked" / "kept.txt").write_text("x")
    kept = names(ctx)
    assert "fake/kept.txt" in kept and "linked/kept.txt" in kept


def test_a_tagged_folder_is_left_out(ctx: Path) -> None:
    (ctx / "build-cache").mkdir()
    (ctx / "build-cache" / "CACHEDIR.TAG").write_text(SIGNATURE + "# x\n")
    (ctx / "build-cache" / "blob").write_text("x")
    assert names(ctx) == ["Dockerfile", "src/app.py"]


@pytest.mark.parametrize("ignore_rules", ["cli", "docker"])
@pytest.mark.parametrize("name", [".dockerignore", "Dockerfile.dockerignore"])
def test_an_ignore_file_linked_out_of_the_context_is_refused(
    ctx: Path, tmp_path: Path, ignore_rules: str, name: str
) -> None:
    secret = tmp_path / "outside-secret"
    secret.write_text("id_rsa\n.dockerignore\n*.dockerignore\n")  # leaves itself out
    (ctx / name).symlink_to(secret)
    with pytest.raises(InputError) as caught:
        names(ctx, ignore_rules=ignore_rules)
    assert "outside the context" in str(caught.value) and caught.value.input_name == "context"


def test_an_ignore_file_linked_inside_the_context_is_read(ctx: Path) -> None:
    (ctx / "rules").write_text("src\n")
    (ctx / ".dockerignore").symlink_to(ctx / "rules")
    assert "src/app.py" not in names(ctx)


def test_a_dockerfile_inside_a_tagged_folder_is_named_with_the_tag(ctx: Path) -> None:
    (ctx / "docker").mkdir()
    (ctx / "docker" / "CACHEDIR.TAG").write_text(SIGNATURE)
    (ctx / "docker" / "Dockerfile").write_text("FROM scratch\n")
    with pytest.raises(InputError) as caught:
        select_context(ctx, "docker/Dockerfile", SelectionOptions())
    assert caught.value.input_name == "dockerfile"
    assert "docker holds a CACHEDIR.TAG" in caught.value.detail
    assert "ignore rules" not in caught.value.detail
