"""The ustar template tar_header fills in, rebuilt, still gives tarfile's headers (docs/testing.md).

`_TEMPLATE` is built once at import, before mutmut switches a mutant on, so a change to
`_ustar_template` could never fail `test_headers_equal_tarfiles`. Here the template is built
again inside the test and used for the headers of the ustar fast path (short ASCII names).
"""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest

from pipecat_build.archive import tar_framing
from pipecat_build.archive.members import Member


def oracle_header(arcname: str, size: int, mode: int) -> bytes:
    """The header pcc deploy's tarfile.add writes (mtime, owners zeroed as the CLI does)."""
    info = tarfile.TarInfo(arcname)
    info.size, info.mode, info.mtime = size, mode, 0
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info.tobuf(tarfile.PAX_FORMAT, tarfile.ENCODING, "surrogateescape")


@pytest.mark.parametrize(
    ("arcname", "size", "mode"),
    [
        ("a", 0, 0o644),
        ("Dockerfile", 1, 0o755),
        ("dir/app.py", 12345, 0o644),
        ("d" * 100, 7, 0o755),
    ],
)
def test_a_rebuilt_template_gives_tarfiles_headers(
    monkeypatch: pytest.MonkeyPatch, arcname: str, size: int, mode: int
) -> None:
    monkeypatch.setattr(tar_framing, "_TEMPLATE", tar_framing._ustar_template())
    member = Member(arcname, Path("/nonexistent"), size, mode)
    assert tar_framing.tar_header(member) == oracle_header(arcname, size, mode)
