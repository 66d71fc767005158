"""The context report: what a user reads to see what was packed and why things were not."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipecat_build.archive.report import human_bytes
from pipecat_build.archive.select import select_context
from tests.unit.archive.test_display import rendered_cells


@pytest.mark.parametrize(
    ("size", "text"),
    [(0, "0 B"), (1023, "1023 B"), (1024, "1.0 KiB"), (12_897_485, "12.3 MiB"),
     (3 * 1024**3, "3.0 GiB")],
)  # fmt: skip
def test_human_bytes(size: int, text: str) -> None:
    assert human_bytes(size) == text


@pytest.fixture
def ctx(tmp_path: Path) -> Path:
    (tmp_path / "Dockerfile").write_text("FROM python:3.11\n")
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "big.onnx").write_bytes(b"m" * 50_000)
    (tmp_path / "models" / "small.onnx").write_bytes(b"m" * 10_000)
    (tmp_path / "src").mkdir()
    for i in range(12):
        (tmp_path / "src" / f"mod{i:02}.py").write_bytes(b"p" * (100 + i))
    (tmp_path / "node_modules" / "pkg").mkdir(parents=True)
    (tmp_path / "node_modules" / "pkg" / "index.js").write_text("x")
    (tmp_path / "debug.log").write_text("x")
    (tmp_path / "trace.log").write_text("x")
    (tmp_path / "a|b.txt").write_bytes(b"|" * 5000)
    return tmp_path


def test_report_counts_and_sizes(ctx: Path) -> None:
    report = select_context(ctx, "Dockerfile").report
    files = [p for p in ctx.rglob("*") if p.is_file() and "node_modules" not in p.parts]
    kept = [p for p in files if p.suffix != ".log"]
    assert report.file_count == len(kept)
    assert report.content_bytes == sum(p.stat().st_size for p in kept)
    assert len(report.largest_files) == 10
    assert report.largest_files[:2] == [("models/big.onnx", 50_000), ("models/small.onnx", 10_000)]
    sizes = [s for _, s in report.largest_files]
    assert sizes == sorted(sizes, reverse=True)
    assert [(f.name, f.files, f.bytes) for f in report.top_folders] == [
        ("models/", 2, 60_000),
        ("src/", 12, sum(100 + i for i in range(12))),
    ]
    rules = {(r.pattern, r.source): (r.files, r.folders) for r in report.rules}
    assert rules == {("*.log", "defaults"): (2, 0), ("node_modules", "defaults"): (0, 1)}
    assert report.ignore_rules == "cli" and report.ignore_file is None


def test_log_lines(ctx: Path) -> None:
    report = select_context(ctx, "Dockerfile").report
    lines = report.log_lines()
    assert lines[0] == f"Context: {report.file_count} files, {human_bytes(report.content_bytes)}"
    text = "\n".join(lines)
    assert "48.8 KiB  models/big.onnx" in text
    assert "2 files by '*.log' (defaults)" in text
    assert "1 folder by 'node_modules' (defaults)" in text
    assert "models/ (2 files)" in text


def test_markdown_is_a_collapsed_section_with_safe_tables(ctx: Path) -> None:
    report = select_context(ctx, "Dockerfile").report
    md = report.markdown()
    assert md.startswith(f"<details><summary>Context: {report.file_count} files, ")
    assert md.rstrip().endswith("</details>")
    rows = [[text for text, _ in row] for row in rendered_cells(md)]
    assert ["models/big.onnx", "48.8 KiB"] in rows
    assert ["node_modules", "defaults", "0", "1"] in rows
    assert ["*.log", "defaults", "2", "0"] in rows
    # A "|" in a file name must not split a table row.
    assert ["a|b.txt", "4.9 KiB"] in rows


def test_empty_rules_say_nothing_left_out(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    (tmp_path / ".dockerignore").write_text("# nothing\n")
    report = select_context(tmp_path, "Dockerfile").report
    assert "Left out: nothing" in report.log_lines()
    assert report.ignore_file == ".dockerignore"
    assert "from .dockerignore" in report.log_lines()[1]
