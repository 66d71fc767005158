"""A local emulator of the Pipecat Cloud build API and its presigned-POST storage.

Stdlib only, so it ships in the installed package: tests and the README quick start run
the whole build flow against it over real HTTP on loopback, with no account.
"""

from .config import FAULT_KINDS, EmulatorConfig, Fault
from .emulator import Emulator
from .state import RecordedRequest

__all__ = ["FAULT_KINDS", "Emulator", "EmulatorConfig", "Fault", "RecordedRequest"]
