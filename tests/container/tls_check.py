"""TLS inside the action image: the bundled libcurl must trust the image's system store, and
only it. Serves HTTPS on the host with a throw-away CA, then runs the image's Python twice:
without that CA in the store (the request must fail as a TLS failure) and with it added by
update-ca-certificates (the request must be answered). No environment variable names a CA.

Usage: tls_check.py DOCKER IMAGE    (engine reachable through DOCKER_HOST; exit 0 = pass)
"""

from __future__ import annotations

import ssl
import subprocess
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import trustme

PROBE = """
import sys
sys.path.insert(0, "/app/src")
from pipecat_build.api.transport import HttpClient, Timeouts, TransportError
try:
    with HttpClient() as client:
        answer = client.request("GET", sys.argv[1], timeout=Timeouts(connect=5, total=10))
    print("answered", answer.status, answer.content.decode())
except TransportError as exc:
    print("failed", exc.kind, exc)
"""
IN_STORE = "/usr/local/share/ca-certificates/pipecat-test-ca.crt"


class Hello(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"hello over tls"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def run_probe(docker: str, image: str, url: str, ca: Path | None) -> str:
    command = [docker, "run", "--rm", "--network", "host", "--entrypoint", "sh"]
    script = 'python -c "$PROBE" "$1"'
    if ca is not None:
        command += ["-v", f"{ca}:{IN_STORE}:ro"]
        script = "update-ca-certificates >/dev/null 2>&1 && " + script
    command += ["-e", f"PROBE={PROBE}", image, "-c", script, "probe", url]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    return (done.stdout + done.stderr).strip()


def main() -> int:
    docker, image = sys.argv[1], sys.argv[2]
    authority = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hello)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"https://127.0.0.1:{server.server_address[1]}/"
    with tempfile.TemporaryDirectory() as folder:
        ca = Path(folder) / "ca.crt"
        authority.cert_pem.write_to_path(str(ca))
        ca.chmod(0o644)
        unknown = run_probe(docker, image, url, None)
        known = run_probe(docker, image, url, ca)
    server.shutdown()
    checks = [
        ("an unknown CA is refused", unknown.startswith("failed tls"), unknown),
        ("the system store is trusted", known == "answered 200 hello over tls", known),
    ]
    for what, ok, seen in checks:
        verdict = "PASS" if ok else "FAIL"
        print(f"[container] tls: {what}: {verdict} ({seen[:300]})", file=sys.stderr)
    return 0 if all(ok for _, ok, _ in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
