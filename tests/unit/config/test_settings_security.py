"""Issue 20 §8, by construction: for EVERY input of the table, arbitrary text (NUL bytes,
huge, non-ASCII, control characters, nested YAML) either builds settings or fails with an
`InputError` whose message is one line naming that input. Never another exception."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pipecat_build.config.settings import build_settings
from pipecat_build.errors import InputError
from pipecat_build.inputs import INPUTS, Vocabulary

# A valid step: every other input keeps a value that passes, so a failure is the one under test.
BASELINE = {"api-key": "pk_live_baseline_1234", "agent-name": "bot", "secret-set": "bot-set"}
NAMES = [spec.name for spec in INPUTS]

nested_yaml = st.integers(1, 5000).map(lambda n: "x: " + "[" * n + "]" * n)
hostile_text = st.one_of(
    st.text(),
    st.text(alphabet=st.characters(codec="utf-8")),
    st.text(alphabet="\0\n\r\t \x1b:{}[]&*!|>#%@`'\"/\\.-_0123456789aZ²٣\u2028", max_size=60),
    st.builds(lambda c, n: c * n, st.sampled_from(["a", "\0", "[", "{", "é", "9", "/"]),
              st.integers(1000, 20_000)),
    nested_yaml,
    st.sampled_from(["0", "-1", "²", "1e309", "nan", "inf", "true", "1" * 23, "..", "/",
                     "~root", "~nobody-here/x", "http://[::1", "a\0b", "x: {context: .}"]),
)


def _check(workspace: Path, name: str, value: str) -> None:
    try:
        build_settings({**BASELINE, name: value}, workspace)
    except InputError as exc:
        for vocabulary in (Vocabulary(cli=False), Vocabulary(cli=True)):
            line = exc.render(vocabulary.name)
            assert line.splitlines() == [line], line
            assert exc.input_name == name, (name, line)
            assert line.startswith(vocabulary.name(name)), line


_WORKSPACE = Path(tempfile.mkdtemp(prefix="pb-settings-property-"))
(_WORKSPACE / "Dockerfile").write_text("FROM scratch\n")
(_WORKSPACE / "sub").mkdir()
(_WORKSPACE / "sub" / "Dockerfile").write_text("FROM scratch\n")


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(name=st.sampled_from(NAMES), value=hostile_text)
@example(name="services", value="x: " + "[" * 3000 + "]" * 3000)
@example(name="hash-cache", value="a\0b")
@example(name="max-parallel", value="²")
@example(name="min-agents", value="0" * 5000)
@example(name="context", value="a" * 10_000)
@example(name="services", value="a" * 10_000)
def test_every_input_builds_or_fails_with_one_line_naming_it(name: str, value: str) -> None:
    _check(_WORKSPACE, name, value)


def test_the_property_covers_every_input_of_the_table() -> None:
    """A new input joins the property by being in the table: nothing to add here."""
    assert set(NAMES) == {spec.name for spec in INPUTS} and len(NAMES) >= 30
