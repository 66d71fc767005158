"""Names as the archive code shows them: always printable text, whatever bytes a name holds.

File names are bytes on Linux. A name that is not UTF-8 (`caf\\xe9.txt` from an unzipped
Windows archive) reaches Python with surrogate escapes, which no stream can encode; a name
may also hold a newline, a tab or an escape sequence that would forge log lines. Every
name the archive code puts in a message, a log line or the Markdown report goes through
`display_path` (text) or `markdown_path` (Markdown), so what is handed out is valid,
printable and unambiguous: a backslash is doubled, so `\\n` in the output is always a
newline in the name and `\\\\n` a backslash followed by `n`.
"""

from __future__ import annotations

_NAMED = {"\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"}
# What Markdown, raw HTML or GitHub's extensions can read inside a table cell: emphasis,
# code, links, HTML, escapes, cell separators, strike-through, math, emoji, mentions, refs.
_MARKDOWN_SIGNIFICANT = frozenset("\\`*_[]()<>&|~!$:@#")


def display_path(name: str) -> str:
    """`name` with undecodable bytes, control and other unprintable characters escaped.

    Undecodable bytes (surrogate escapes) show as `\\xNN`, the byte itself; a character
    that is not printable shows as `\\n`, `\\t`, `\\r`, `\\xNN` (ASCII), `\\uNNNN` or
    `\\UNNNNNNNN`; a backslash as `\\\\`. So the bytes of the name can be read back.
    Printable text, including spaces and non-ASCII letters, is kept as it is.
    """
    if name.isprintable() and "\\" not in name:
        return name
    return "".join(_escape(ch) for ch in name)


def _escape(ch: str) -> str:
    named = _NAMED.get(ch)
    if named is not None:
        return named
    if ch.isprintable():
        return ch
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # surrogateescape's stand-in for the byte code - 0xDC00
        return f"\\x{code - 0xDC00:02x}"
    if code <= 0x7F:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:  # \u0085, not \x85: that would read as an undecodable byte
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def markdown_path(name: str) -> str:
    """`display_path(name)` inside `<code>`, safe in a Markdown table cell.

    Raw HTML does not stop Markdown inside it, so every character Markdown could read as
    markup is written as a numeric entity: the cell shows the displayed name, nothing else.
    """
    shown = display_path(name)
    escaped = "".join(f"&#{ord(ch)};" if ch in _MARKDOWN_SIGNIFICANT else ch for ch in shown)
    return f"<code>{escaped}</code>"


def markdown_text(text: str) -> str:
    """Plain text (a pattern's source, a kind) safe in Markdown, without `<code>`."""
    shown = display_path(text)
    return "".join(f"&#{ord(ch)};" if ch in _MARKDOWN_SIGNIFICANT else ch for ch in shown)
