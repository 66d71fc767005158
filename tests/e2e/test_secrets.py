"""Secrets: the key is masked first and never shown, sent only to the API host, never
followed through a redirect; the upload fields that grant access are masked before use.
(Every entrypoint run of the suite also goes through `assert_key_not_leaked`, and every
test with the emulator checks what storage received: see action_harness and conftest.)"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from pipecat_cloud_emulator import Emulator, Fault
from tests.action_harness import MASK_LINES, TEST_KEY, run_action

ROOT = Path(__file__).resolve().parents[2]
SENSITIVE = ("Policy", "X-Amz-Signature", "X-Amz-Credential", "X-Amz-Security-Token")
DEBUG = {"RUNNER_DEBUG": "1"}


def masked_values(stdout: str) -> list[str]:
    return re.findall(r"^::add-mask ?::(.*)$", stdout, flags=re.M)


@pytest.mark.parametrize("outcome", ["success", "failed"])
def test_the_key_is_masked_first_and_never_printed_even_when_debugging(
    emulator: Emulator, workspace: Path, files: Path, outcome: str
) -> None:
    emulator.config.outcome = outcome
    run = run_action(
        workspace,
        files,
        api_key=TEST_KEY,
        api_url=emulator.api_url,
        poll_interval="0.1",
        extra_env=DEBUG,
    )
    lines = run.stdout.splitlines()
    assert lines[0] in MASK_LINES
    assert sum(TEST_KEY in line for line in lines) == 1
    assert TEST_KEY not in run.stderr + run.summary + json.dumps(run.outputs)


def test_no_key_in_connection_errors_when_debugging(workspace: Path, files: Path) -> None:
    run = run_action(
        workspace,
        files,
        api_key=TEST_KEY,
        api_url="http://127.0.0.1:9",
        region="us-west",
        extra_env=DEBUG,
    )
    assert run.returncode == 1
    assert "127.0.0.1:9" in run.stdout
    assert run.stdout.count(TEST_KEY) == 1


class _EchoingApi(BaseHTTPRequestHandler):
    """A broken API that quotes the request's Authorization header in its errors."""

    def do_GET(self) -> None:
        body = json.dumps(
            {
                "error": f"bad credentials: {self.headers.get('Authorization')}",
                "code": f"DENIED {self.headers.get('Authorization')}",
            }
        ).encode()
        self.send_response(400)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def echoing_api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _EchoingApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_server_echoing_the_key_in_an_error_does_not_get_it_printed(
    echoing_api: str, workspace: Path, files: Path
) -> None:
    run = run_action(workspace, files, api_key=TEST_KEY, api_url=echoing_api, extra_env=DEBUG)
    assert run.returncode == 1
    [error] = [ln for ln in run.stdout.splitlines() if ln.startswith("::error")]
    assert "bad credentials: Bearer ***" in error
    # finish() already asserted the key appears only on the add-mask line.


def test_upload_fields_that_grant_access_are_masked_before_the_upload(
    emulator: Emulator, workspace: Path, files: Path
) -> None:
    run = run_action(
        workspace,
        files,
        api_key=TEST_KEY,
        api_url=emulator.api_url,
        region="us-west",
        poll_interval="0.1",
    )
    assert run.returncode == 0, run.log
    [upload] = [r for r in emulator.requests if r.server == "storage"]
    fields = dict(upload.form_fields)
    lines = run.stdout.splitlines()
    first_upload_line = next(n for n, ln in enumerate(lines) if ln.startswith("uploaded"))
    for name in SENSITIVE:
        value = fields[name]
        where = [n for n, ln in enumerate(lines) if value in ln]
        assert len(where) == 1, f"{name} printed outside its add-mask line"
        assert where[0] < first_upload_line and value in masked_values(lines[where[0]] + "\n")


@pytest.mark.parametrize("endpoint", ["GET /v1/properties", "POST /v1/builds/upload-url"])
def test_a_redirect_is_not_followed_so_the_key_stays_with_the_api(
    emulator: Emulator, workspace: Path, files: Path, endpoint: str
) -> None:
    emulator.inject(Fault("redirect", endpoint))
    run = run_action(workspace, files, api_key=TEST_KEY, api_url=emulator.api_url)
    assert run.returncode == 1
    [error] = [ln for ln in run.stdout.splitlines() if ln.startswith("::error")]
    assert "redirect" in error and "api-url" in error
    assert not [r for r in emulator.requests if r.path.startswith("/_redirect")]
    assert emulator.builds == []


def test_only_api_requests_carry_the_key(emulator: Emulator, workspace: Path, files: Path) -> None:
    run = run_action(
        workspace,
        files,
        api_key=TEST_KEY,
        api_url=emulator.api_url,
        region="us-west",
        poll_interval="0.1",
    )
    assert run.returncode == 0, run.log
    api = [r for r in emulator.requests if r.server == "api"]
    assert api and all(r.headers.get("Authorization") == f"Bearer {TEST_KEY}" for r in api)
    [upload] = [r for r in emulator.requests if r.server == "storage"]
    assert "Authorization" not in upload.headers
    assert not any(TEST_KEY in value for _, value in upload.form_fields)


def test_no_code_path_turns_certificate_checks_off() -> None:
    """test_http_transport shows an unknown CA refused; here: nothing can switch that off."""
    sources = "\n".join(p.read_text() for p in (ROOT / "src" / "pipecat_build").rglob("*.py"))
    assert not re.search(r"SSL_VERIFY(PEER|HOST)\s*,\s*(0|False)", sources)
    # The server's certificate (and an https proxy's, where set) is checked, name included.
    assert re.search(r"[^_]SSL_VERIFYPEER\s*,\s*1\)", sources)
    assert re.search(r"[^_]SSL_VERIFYHOST\s*,\s*2\)", sources)


def test_build_log_lines_cannot_act_as_workflow_commands() -> None:
    """A build log that prints `::add-mask::` or `::set-output` is shown, never obeyed."""
    import contextlib
    import io

    from pipecat_build.report.github import GitHubReporter

    hostile = ["::add-mask::everything", "   ::error::fake failure", "x ##[group]y", "plain"]
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        reporter = GitHubReporter()
        for line in hostile:
            reporter.line(line)
    out = buffer.getvalue().splitlines()
    active = False
    token = ""
    for line in out:
        if line.startswith("::stop-commands::"):
            token, active = line.split("::")[2], True
            continue
        if active and line == f"::{token}::":
            active = False
            continue
        is_command = line.lstrip().startswith("::") or "##[" in line
        assert active or not is_command, f"{line!r} would act as a command"
    for line in hostile:
        assert line in out
