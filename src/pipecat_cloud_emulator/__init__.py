"""A local emulator of the Pipecat Cloud API (builds, agents, secret sets) and its storage.

Stdlib only, so it ships in the installed package: tests and the README quick start run
the whole build flow against it over real HTTP on loopback, with no account.
"""

from .config import FAULT_KINDS, EmulatorConfig, Fault
from .emulator import Emulator
from .nonspec import NON_SPEC_ANSWERS, NON_SPEC_FIELDS, NULL_FIELDS
from .state import DroppedFields, RecordedRequest

__all__ = [
    "FAULT_KINDS",
    "NON_SPEC_ANSWERS",
    "NON_SPEC_FIELDS",
    "NULL_FIELDS",
    "DroppedFields",
    "Emulator",
    "EmulatorConfig",
    "Fault",
    "RecordedRequest",
]
