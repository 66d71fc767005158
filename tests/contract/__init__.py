"""The official Pipecat Cloud OpenAPI spec (spec/) as the contract for the client and the emulator.

`validator.py` holds requests and answers against it, `deviations.py` is the one list of what
the tests allow beyond it (with sources), and tests/conftest.py applies both to every emulator
any test starts.
"""
