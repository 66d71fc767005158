"""Errors a user can act on; each renders as one line and exits 1."""

from __future__ import annotations


class ActionError(Exception):
    """A failure whose message is shown to the user as is, without a traceback."""

    exit_code = 1


class InputError(ActionError):
    """An input (or the files it names) is unusable; the message names the input."""

    def __init__(self, input_name: str, message: str) -> None:
        super().__init__(f"Input '{input_name}': {message}")
        self.input_name = input_name
