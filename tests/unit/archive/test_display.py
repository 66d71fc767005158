"""Names the archive code shows are printable, unambiguous text, whatever bytes they hold.

File names are bytes: `caf\\xe9.txt` (latin-1, as unzipped Windows archives leave them),
`a\\nb`, a tab, an escape sequence. The log, the annotations and the job summary must show
them without crashing (UnicodeEncodeError) and without forging lines or Markdown.
"""

from __future__ import annotations

import os
import re
from html.parser import HTMLParser
from pathlib import Path

import markdown_it
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipecat_build.archive.display import display_path, markdown_path
from pipecat_build.archive.docker_ignore import DockerRules, read_patterns
from pipecat_build.archive.ignore_rules import CliRules, cli_patterns
from pipecat_build.archive.secret_files import ignore_line
from pipecat_build.archive.select import SelectionOptions, select_context

# Any file name Linux allows (no "/", no NUL, not "." or ".."), as bytes.
name_bytes = st.binary(min_size=1, max_size=24).filter(
    lambda b: b"/" not in b and b"\0" not in b and b not in (b".", b"..")
)
# Mostly the awkward ones: bytes that are not UTF-8, controls, Markdown, spaces, backslashes.
awkward = st.lists(
    st.sampled_from(
        [b"\xe9", b"\x85", b"\n", b"\t", b"\r", b"\x1b[31m", b"\\", b"|", b"*", b"_", b"`", b"<",
         b">", b"&", b"[", b"]", b"(", b")", b"#", b"!", b"-", b" ", b"~", b"$", b":", b"@",
         "é".encode(), "日".encode(), "\u2028".encode(), "\u202e".encode(), b"a", b"."]
    ),
    min_size=1,
    max_size=10,
).map(b"".join).filter(lambda b: b not in (b".", b".."))  # fmt: skip
any_name = st.one_of(name_bytes, awkward)


def read_back(shown: str) -> bytes:
    """The name's bytes from its display (an independent reading of the escapes)."""
    out = bytearray()
    pattern = r"\\(x[0-9a-f]{2}|u[0-9a-f]{4}|U[0-9a-f]{8}|n|t|r|\\)|(.)"
    for match in re.finditer(pattern, shown, re.S):
        escape, plain = match.groups()
        if plain is not None:
            out += plain.encode("utf-8")
        elif escape[0] == "x":
            out.append(int(escape[1:], 16))
        elif escape[0] in "uU":
            out += chr(int(escape[1:], 16)).encode("utf-8")
        else:
            out += {"n": b"\n", "t": b"\t", "r": b"\r", "\\": b"\\"}[escape]
    return bytes(out)


@settings(max_examples=300, deadline=None)
@given(any_name)
def test_a_displayed_name_is_printable_and_gives_back_its_bytes(raw: bytes) -> None:
    shown = display_path(os.fsdecode(raw))
    assert shown.isprintable()
    shown.encode("utf-8")  # strict: no surrogate left
    assert read_back(shown) == raw


def test_examples_show_the_escapes_a_user_reads() -> None:
    assert display_path(os.fsdecode(b"caf\xe9.txt")) == "caf\\xe9.txt"
    assert display_path("a\nb") == "a\\nb"
    assert display_path("tab\there\r") == "tab\\there\\r"
    assert display_path("back\\slash") == "back\\\\slash"
    assert display_path("\x1b[31mred") == "\\x1b[31mred"
    assert display_path("next\x85line") == "next\\u0085line"
    assert display_path("rtl\u202etxt.exe") == "rtl\\u202etxt.exe"
    assert display_path("e\U000e0001") == "e\\U000e0001"
    for plain in ("café/日本語.txt", "with space", "#hash", "-dash", "a|b*c_d"):
        assert display_path(plain) == plain


class _Cells(HTMLParser):
    """Text and tags of each table cell of rendered HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[list[tuple[str, list[str]]]] = []
        self._cell: tuple[list[str], list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = ([], [])
        elif self._cell is not None:
            self._cell[1].append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(("".join(self._cell[0]), self._cell[1]))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell[0].append(data)


def rendered_cells(markdown: str) -> list[list[tuple[str, list[str]]]]:
    parser = _Cells()
    parser.feed(
        markdown_it.MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(markdown)
    )
    return parser.rows


@settings(max_examples=300, deadline=None)
@given(any_name)
def test_a_name_in_a_markdown_cell_renders_as_its_display_and_nothing_else(raw: bytes) -> None:
    name = os.fsdecode(raw)
    cell = markdown_path(name)
    assert cell.isprintable()
    rows = rendered_cells(f"| File | Size |\n| --- | --- |\n| {cell} | 1 B |\n")
    assert rows[1] == [(display_path(name), ["code"]), ("1 B", [])]


def hostile_context(root: Path) -> list[bytes]:
    (root / "Dockerfile").write_text("FROM scratch\n")
    raw_names = [b"caf\xe9.txt", b"a\nb", b"tab\there", b"back\\slash", b"#hash", b"-dash",
                 b" spaced ", b"pipe|*star*_", b"\x1b[2Jclear", b"www.example.com"]  # fmt: skip
    for raw in raw_names:
        with open(os.path.join(os.fsencode(root), raw), "wb") as fh:
            fh.write(b"x" * (100 + len(raw)))
    folder = os.path.join(os.fsencode(root), b"d\xe9j\xe0")
    os.mkdir(folder)
    with open(os.path.join(folder, b"id_rsa\xef\n"), "wb") as fh:  # also looks like a secret
        fh.write(b"secret")
    os.symlink(b".", os.path.join(os.fsencode(root), b"link\xff"))  # a link to a folder
    return raw_names


def test_the_report_of_a_context_with_hostile_names_is_printable(tmp_path: Path) -> None:
    hostile_context(tmp_path)
    selection = select_context(tmp_path, "Dockerfile")
    lines = selection.report.log_lines()
    texts = lines + [w.message for w in selection.warnings] + selection.notices
    texts += [w.file for w in selection.warnings if w.file]
    for text in texts:
        assert text.isprintable(), text
        text.encode("utf-8")
    log = "\n".join(lines)
    assert "caf\\xe9.txt" in log and "a\\nb" in log and "tab\\there" in log
    assert "back\\\\slash" in log and "\\x1b[2Jclear" in log
    assert "d\\xe9j\\xe0/ (1 file)" in log
    assert "link\\xff (symbolic link to a folder)" in log
    [secret] = [w for w in selection.warnings if "looks like a secret" in w.message]
    assert secret.file == "d\\xe9j\\xe0/id_rsa\\xef\\n"
    assert secret.message.startswith("d\\xe9j\\xe0/id_rsa\\xef\\n looks like a secret (id_rsa*)")
    assert "`d?j?/id_rsa??`" in secret.message  # the line to add, as plain text

    markdown = selection.report.markdown()
    assert markdown.isprintable() or all(line.isprintable() for line in markdown.splitlines())
    shown = {text for row in rendered_cells(markdown) for text, _ in row}
    for raw in [b"caf\xe9.txt", b"a\nb", b"pipe|*star*_", b"www.example.com", b" spaced "]:
        assert display_path(os.fsdecode(raw)) in shown
    assert "d\\xe9j\\xe0/" in shown and "link\\xff" in shown


def test_errors_name_hostile_files_printably(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    os.symlink(b"gone\xe9", os.path.join(os.fsencode(tmp_path), b"dang\xe9\nling"))
    with pytest.raises(Exception) as info:
        select_context(tmp_path, "Dockerfile")
    message = str(info.value)
    assert message.isprintable()
    assert "dang\\xe9\\nling -> gone\\xe9" in message

    os.unlink(os.path.join(os.fsencode(tmp_path), b"dang\xe9\nling"))
    (tmp_path / "x.key").write_text("k")
    os.symlink(b"x.key", os.path.join(os.fsencode(tmp_path), b"id_rsa\xe9"))
    with pytest.raises(Exception) as info:
        select_context(tmp_path, "Dockerfile", SelectionOptions(secret_files="fail"))
    assert str(info.value).isprintable() and "id_rsa\\xe9" in str(info.value)


@pytest.mark.filterwarnings("ignore:Possible nested set:FutureWarning")  # "[[]" in the port
@settings(max_examples=200, deadline=None)
@given(st.lists(any_name, min_size=1, max_size=3))
def test_the_suggested_ignore_line_is_printable_and_leaves_the_file_out(
    parts: list[bytes],
) -> None:
    """The warning's `.dockerignore` line, copied as shown, excludes the file under both
    rule sets (pcc deploy reads the file as UTF-8, so the line must be plain text)."""
    arcname = "/".join(os.fsdecode(p) for p in parts)
    line = ignore_line(arcname)
    assert line.isprintable() and line == display_path(line)
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / ".dockerignore").write_text(line + "\n", encoding="utf-8")
        cli, from_file = cli_patterns(Path(tmp), (), "test")
        assert from_file
        assert CliRules(cli).match_full(arcname) is not None
        docker = DockerRules(read_patterns(Path(tmp) / ".dockerignore"), ".dockerignore")
        assert docker.excluded_by(arcname) is not None
