"""Errors a user can act on; each renders as one line and exits 1.

One hierarchy, turned into exit codes in one place (`job.run_job`): an `InputError` names the
input it is about and what to do, in the words of the front door that shows it (an action
input, or a CLI flag and its environment variable).
"""

from __future__ import annotations

SHOWN_LENGTH = 60  # characters of a refused value that an error shows


def shown(value: str, limit: int = SHOWN_LENGTH) -> str:
    """A refused value as an error quotes it: cut to `limit` characters (a value of 10,000
    characters stays short) and control characters escaped, so the message stays one line."""
    text = value if len(value) <= limit else value[:limit] + "…"
    return "".join(
        ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text
    )


class ActionError(Exception):
    """A failure whose message is shown to the user as is, without a traceback."""

    exit_code = 1


class InputError(ActionError):
    """An input (or the file it names) is unusable; `detail` says what to do.

    `input_name` is an input of the table in `inputs.py`, or a file such as `pcc-deploy.toml`
    (then `is_file` is true and the message calls it a file, not an input).
    """

    def __init__(self, input_name: str, detail: str, *, is_file: bool = False) -> None:
        self.input_name = input_name
        # One line, whatever a quoted value held: line breaks and other control characters
        # are shown escaped, never written (they could end the line or start a command).
        self.detail = "".join(
            ch if ch.isprintable() or ch == " " else ch.encode("unicode_escape").decode()
            for ch in detail
        )
        self.is_file = is_file
        super().__init__(self.render())

    def render(self, name_of: object = None) -> str:
        """`name_of(input)` spells an input for the front door (see `inputs.Vocabulary`)."""
        if self.is_file:
            return f"{self.input_name}: {self.detail}"
        if callable(name_of):
            return f"{name_of(self.input_name)}: {self.detail}"
        return f"Input '{self.input_name}': {self.detail}"
