"""The front door as issue 10 checks it from outside: each output written once, the common
mistakes pointing at their fix, the resolved target shown with where each value came from,
`--output-env` that fails early and reads back exactly, odd file names packed as `pcc deploy`
packs them, and each front door speaking its own words.

Flow tests run `entrypoint.py` (or the `pipecat-build` console script) against the emulator;
the in-process tests at the end drive `job.run_job`/`job.action` with a reporter, a `Run` and
sessions handed in.
"""

from __future__ import annotations

import ast
import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pipecatcloud._utils.build_utils import create_deterministic_tarball, get_exclusions

from pipecat_build.api.transport import HttpClient
from pipecat_build.config.settings import build_settings
from pipecat_build.inputs import ACTION, CLI
from pipecat_build.job import action, run_job
from pipecat_build.report.reporter import ConsoleReporter
from pipecat_build.run import Run
from pipecat_build.runtime import Runtime
from pipecat_cloud_emulator import Emulator, Fault
from tests.action_harness import ROOT, TEST_KEY, action_defaults, run_action
from tests.e2e.test_cli import plain_env

PIPECAT_BUILD = Path(sys.executable).with_name("pipecat-build")


def pcc_hash(folder: Path) -> str:
    return create_deterministic_tarball(str(folder), get_exclusions(folder)).context_hash


def written_names(output_file: Path) -> list[str]:
    """The name of every record in GITHUB_OUTPUT, in order: `name=value` lines and
    `name<<DELIMITER` ... `DELIMITER` blocks, as the runner reads them."""
    names: list[str] = []
    lines = output_file.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        name, sep, delimiter = lines[i].partition("<<")
        if sep:
            names.append(name)
            i = lines.index(delimiter, i + 1) + 1
        else:
            names.append(lines[i].partition("=")[0])
            i += 1
    return names


def assert_each_output_once(files: Path) -> list[str]:
    names = written_names(files / "output")
    twice = [name for name, n in Counter(names).items() if n > 1]
    assert not twice, f"written more than once: {twice} in {names}"
    return names


def api_sent(emu: Emulator) -> list[str]:
    return [f"{r.method} {r.path}" for r in emu.requests if r.server == "api"]


def make_service(root: Path, folder: str) -> Path:
    path = root / folder
    path.mkdir(parents=True, exist_ok=True)
    (path / "Dockerfile").write_text("FROM dailyco/pipecat-base:latest\nCOPY . .\n")
    (path / "bot.py").write_text(f"print({folder!r})\n")
    return path


def base(emu: Emulator, **inputs: str) -> dict[str, str]:
    return {"api_key": TEST_KEY, "api_url": emu.api_url, "poll_interval": "0.1", **inputs}


# -- each output once ------------------------------------------------------------------------


def test_a_fresh_build_and_a_reuse_write_each_output_once(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    fresh = run_action(workspace, tmp_path / "fresh", **base(emulator))
    assert fresh.returncode == 0, fresh.log
    names = assert_each_output_once(tmp_path / "fresh")
    assert {"build-id", "image-uri", "context-hash", "context-size-bytes"} <= set(names)

    reused = run_action(workspace, tmp_path / "reused", **base(emulator))
    assert reused.returncode == 0 and reused.outputs["cached"] == "true", reused.log
    names = assert_each_output_once(tmp_path / "reused")
    assert {"build-id", "image-uri", "context-hash"} <= set(names)


def test_a_plan_and_a_services_run_write_each_output_once(
    emulator: Emulator, tmp_path: Path
) -> None:
    ws = tmp_path / "ws"
    make_service(ws, "chat")
    make_service(ws, "voice")
    services = "chat: {context: chat}\nvoice: {context: voice}\n"

    plan = run_action(ws, tmp_path / "plan", **base(emulator, plan_only="true", context="chat"))
    assert plan.returncode == 0, plan.log
    assert "matrix" in assert_each_output_once(tmp_path / "plan")

    built = run_action(ws, tmp_path / "services", **base(emulator, services=services))
    assert built.returncode == 0, built.log
    assert "images" in assert_each_output_once(tmp_path / "services")
    assert len(json.loads(built.outputs["images"])) == 2


# -- common mistakes point at the fix --------------------------------------------------------


def one_error(stdout: str) -> str:
    [error] = [ln for ln in stdout.splitlines() if ln.startswith("::error")]
    assert "%0A" not in error, "one line"
    return error


def test_a_forgotten_context_names_the_folder_that_holds_the_dockerfile(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    shutil.copytree(workspace, repo / "services" / "bot")
    (repo / "README.md").write_text("a repository with the agent in a subfolder\n")
    run = run_action(repo, tmp_path / "runner", **base(emulator))
    assert run.returncode == 1
    error = one_error(run.stdout)
    assert "Input 'context'" in error and "services/bot" in error, error
    assert api_sent(emulator) == [], "refused before anything is sent"


def test_an_unknown_region_lists_the_valid_ones(
    emulator: Emulator, workspace: Path, files: Path
) -> None:
    run = run_action(workspace, files, **base(emulator, region="mars-north"))
    assert run.returncode == 1
    error = one_error(run.stdout)
    assert "Input 'region'" in error and "mars-north" in error
    for code in emulator.config.regions:  # what GET /v1/regions lists
        assert code in error, error
    assert "GET /v1/regions" in api_sent(emulator)
    assert emulator.builds == []


def test_an_api_url_ending_in_v1_is_refused_before_anything_is_sent(
    emulator: Emulator, workspace: Path, files: Path
) -> None:
    run = run_action(workspace, files, **base(emulator, api_url=emulator.api_url + "/v1"))
    assert run.returncode == 1
    error = one_error(run.stdout)
    assert "Input 'api-url'" in error and f"use '{emulator.api_url}'" in error, error
    assert emulator.requests == []


# -- what was resolved, and from where --------------------------------------------------------


def resolved_line(stdout: str) -> str:
    [line] = [ln for ln in stdout.splitlines() if ln.startswith("context ") and "region " in ln]
    return line


def test_the_log_says_which_folder_dockerfile_and_region_were_used_and_why(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(workspace, repo / "app")
    shutil.move(repo / "app" / "Dockerfile", repo / "app" / "Dockerfile.prod")
    (repo / "pcc-deploy.toml").write_text(
        '[build]\ncontext_dir = "app"\ndockerfile = "Dockerfile.prod"\n'
    )
    emulator.config.default_region = "eu-central"
    run = run_action(repo, tmp_path / "first", **base(emulator))
    assert run.returncode == 0, run.log
    assert resolved_line(run.stdout) == (
        "context app (from pcc-deploy.toml [build] context_dir), "
        "Dockerfile Dockerfile.prod (from pcc-deploy.toml [build] dockerfile), "
        "region eu-central (from the organization's default region)"
    )
    assert emulator.builds[0]["region"] == "eu-central"

    (repo / "pcc-deploy.toml").write_text('region = "us-west"\n[build]\ncontext_dir = "app"\n'
                                          'dockerfile = "Dockerfile.prod"\n')
    again = run_action(repo, tmp_path / "second", **base(emulator))
    assert again.returncode == 0, again.log
    assert resolved_line(again.stdout).endswith("region us-west (from pcc-deploy.toml region)")
    explicit = run_action(repo, tmp_path / "third", **base(emulator, region="eu-central"))
    assert resolved_line(explicit.stdout).endswith("region eu-central (from region)")


# -- the CLI's --output-env ------------------------------------------------------------------




def cli(cwd: Path, env: dict[str, str], *args: str) -> tuple[int, dict[str, Any], str]:
    done = subprocess.run(
        [str(PIPECAT_BUILD), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )
    assert TEST_KEY not in done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    result = json.loads(done.stdout)
    assert result["exit-code"] == done.returncode
    return done.returncode, result, done.stderr


@pytest.mark.parametrize("where", ["missing-folder", "a-folder"])
def test_an_output_env_that_cannot_be_written_fails_before_anything_is_sent(
    emulator: Emulator, workspace: Path, tmp_path: Path, where: str
) -> None:
    target = tmp_path / "missing" / "build.env" if where == "missing-folder" else tmp_path
    code, result, stderr = cli(
        workspace, plain_env(tmp_path), "--api-url", emulator.api_url, "--output-env",
        str(target),
    )
    assert code == 1, stderr
    [error] = result["errors"]
    assert error.startswith("--output-env: ") and "\n" not in error
    assert emulator.requests == []
    assert "image-uri" not in result


def shell_reads(env_file: Path) -> dict[str, str]:
    """What `set -a; . FILE` exports, read back through `env -0` in a clean environment."""
    done = subprocess.run(
        ["sh", "-c", 'set -a; . "$1"; env -0', "sh", str(env_file)],
        env={"PATH": os.environ["PATH"]}, capture_output=True, check=True,
    )
    pairs = (item.split("=", 1) for item in done.stdout.decode().split("\0") if "=" in item)
    return {k: v for k, v in pairs if k.startswith("PIPECAT_")}


def as_output(value: object) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def test_output_env_values_survive_a_posix_shells_set_a_dot(
    emulator: Emulator, tmp_path: Path
) -> None:
    ws = tmp_path / "ws"
    make_service(ws, "chat")
    make_service(ws, "voice with space")
    services = "chat: {context: chat}\nvoice: {context: voice with space}\n"
    plan_env = tmp_path / "plan.env"
    code, result, stderr = cli(
        ws, plain_env(tmp_path, PIPECAT_SERVICES=services, PIPECAT_PLAN_ONLY="true"),
        "--api-url", emulator.api_url, "--output-env", str(plan_env),
    )
    assert code == 0, stderr
    # The exact text of the `matrix` output, through the shell, in a clean environment.
    matrix = subprocess.run(
        ["sh", "-c", 'set -a; . "$1"; printf %s "$PIPECAT_MATRIX"', "sh", str(plan_env)],
        env={"PATH": os.environ["PATH"]}, capture_output=True, text=True, check=True,
    ).stdout
    assert json.loads(matrix) == result["matrix"]
    assert matrix == json.dumps(json.loads(matrix), separators=(",", ":")), "compact, as set"
    assert len(result["matrix"]["include"]) == 2
    assert shell_reads(plan_env)["PIPECAT_IMAGES"] == "{}"

    build_env = tmp_path / "build.env"
    code, result, stderr = cli(
        ws, plain_env(tmp_path, PIPECAT_POLL_INTERVAL="0.1"), "--context", "voice with space",
        "--api-url", emulator.api_url, "--output-env", str(build_env),
    )
    assert code == 0, stderr
    read = shell_reads(build_env)
    for name, value in result.items():
        if name == "exit-code":
            continue
        key = "PIPECAT_" + name.upper().replace("-", "_")
        if isinstance(value, float):
            assert float(read[key]) == value, name
        else:
            assert read[key] == as_output(value), name
    # GitLab's dotenv report keeps quotes, so plain values are written bare.
    lines = build_env.read_text().splitlines()
    assert f"PIPECAT_IMAGE_URI={result['image-uri']}" in lines
    assert f"PIPECAT_CONTEXT_HASH={result['context-hash']}" in lines


def test_the_clis_json_errors_are_one_line_each(emulator: Emulator, workspace: Path,
                                                 tmp_path: Path) -> None:
    emulator.config.outcome = "failed"
    code, result, stderr = cli(workspace, plain_env(tmp_path), "--api-url", emulator.api_url,
                               "--poll-interval", "0.1", "--region", "us-west")
    assert code == 1
    assert "Last log lines" in stderr, "the log itself keeps the detail"
    assert result["errors"] and all("\n" not in error for error in result["errors"])


# -- the upload-url step alone, down for longer than a count of attempts ----------------------


def test_the_upload_url_step_alone_failing_past_the_old_attempt_count_still_builds_once(
    emulator: Emulator, workspace: Path, files: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PIPECAT_BUILD_RETRY_BASE_DELAY", "0.002")
    emulator.inject(Fault("503", "POST /v1/builds/upload-url", count=10))
    run = run_action(workspace, files, **base(emulator, region="us-west"))
    assert run.returncode == 0, run.log
    assert emulator.faults.pending() == [], "all ten failures were met"
    assert api_sent(emulator).count("POST /v1/builds/upload-url") == 11
    [build] = emulator.builds
    assert run.outputs["build-id"] == build["id"]
    assert "retry-budget left" in run.stdout


# -- odd file names --------------------------------------------------------------------------

ODD_NAMES = [b"caf\xe9.txt", b"new\nline.txt", b"tab\there.txt", b"with  spaces .txt"]
SHOWN = ["caf\\xe9.txt", "new\\nline.txt", "tab\\there.txt", "with  spaces .txt"]


def test_odd_file_names_are_packed_as_pcc_deploy_packs_them(
    emulator: Emulator, workspace: Path, files: Path
) -> None:
    for n, name in enumerate(ODD_NAMES):
        # Large enough to be among the largest files the report lists.
        with open(os.path.join(os.fsencode(workspace), name), "wb") as fh:
            fh.write(bytes([n]) * (200_000 + n))
    run = run_action(workspace, files, **base(emulator, region="us-west"))
    assert run.returncode == 0, run.log
    assert "UnicodeEncodeError" not in run.log and "unexpected error" not in run.log
    assert run.outputs["context-hash"] == pcc_hash(workspace)
    for shown in SHOWN:
        assert any(line.endswith(f"  {shown}") for line in run.stdout.splitlines()), shown
    # The summary is Markdown: the backslash of an escape is an entity, so it renders as is.
    for shown in SHOWN:
        assert f"<code>{shown.replace(chr(92), '&#92;')}</code>" in run.summary, shown
    assert "new\nline" not in run.summary and "\udce9" not in run.summary


# -- the product alone -----------------------------------------------------------------------


def test_the_product_package_imports_no_emulator_or_demo() -> None:
    product = ROOT / "src" / "pipecat_build"
    offenders = []
    for path in product.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(n.split(".")[0] == "pipecat_cloud_emulator" for n in names):
                # The CLI's `demo` subcommand may import it lazily, only when present.
                if path.name == "cli.py" and _inside_try_import_error(path, node):
                    continue
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []
    assert not (product / "emulator").exists() and not (product / "demo.py").exists()


def _inside_try_import_error(path: Path, target: ast.AST) -> bool:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Try) and any(
            isinstance(h.type, ast.Name) and h.type.id == "ImportError" for h in node.handlers
        ):
            inner = {(n.lineno, type(n)) for b in node.body for n in ast.walk(b)
                     if hasattr(n, "lineno")}
            if (getattr(target, "lineno", -1), type(target)) in inner:
                return True
    return False


def test_the_image_copies_only_the_product_package() -> None:
    text = (ROOT / "Dockerfile").read_text()
    copies = [ln.split()[1:-1] for ln in text.splitlines() if ln.startswith("COPY ")]
    sources = [src for srcs in copies for src in srcs]
    assert "src/pipecat_build/" in sources
    assert not [s for s in sources if s.startswith("src") and s != "src/pipecat_build/"]
    assert not [s for s in sources if "emulator" in s or s in (".", "src/", "src")]


def test_every_cli_option_is_explained_in_words() -> None:
    from pipecat_build.entry.cli import _parser

    for action_ in _parser()._actions:
        if action_.dest in ("help", "version"):
            continue
        words = re.findall(r"[A-Za-z]{2,}", action_.help or "")
        assert len(words) >= 4, f"{action_.option_strings} is not explained: {action_.help!r}"


# -- each front door speaks its own words ----------------------------------------------------


@contextlib.contextmanager
def console(verbose: bool = False) -> Iterator[tuple[ConsoleReporter, io.StringIO]]:
    stream = io.StringIO()
    yield ConsoleReporter(stream, verbose=verbose), stream


def job(workspace: Path, vocabulary: Any = ACTION, verbose: bool = False,
        **inputs: str) -> tuple[int, ConsoleReporter, str]:
    merged = {**action_defaults(), **{k.replace("_", "-"): v for k, v in inputs.items()}}
    with console(verbose) as (out, stream):
        code = run_job(merged, workspace, out, run=Run(), vocabulary=vocabulary,
                       runtime=Runtime.from_environ(os.environ))
    log = stream.getvalue()
    assert TEST_KEY not in log
    return code, out, log


def test_the_cli_speaks_flags_and_variables_the_action_speaks_inputs(
    emulator: Emulator, workspace: Path
) -> None:
    (workspace / "id_rsa").write_text("not really a key\n")
    code, out, log = job(workspace, CLI, **base(emulator, plan_only="true", region="us-west"))
    assert code == 0, log
    [warning] = [ln for ln in log.splitlines() if "id_rsa" in ln and "warning:" in ln]
    assert "--secret-files exclude" in warning and "PIPECAT_SECRET_FILES" in warning
    assert "secret-files:" not in log

    code, out, log = job(workspace, ACTION, **base(emulator, plan_only="true", region="us-west"))
    assert "secret-files: exclude" in log and "PIPECAT_SECRET_FILES" not in log

    code, out, log = job(workspace, CLI, **base(emulator, api_key=""))
    assert code == 1
    [error] = out.errors
    assert error.startswith("--api-key / PIPECAT_API_KEY: ") and "${{" not in error


def test_context_and_dockerfile_beside_services_are_ignored_with_a_warning(
    emulator: Emulator, tmp_path: Path
) -> None:
    ws = tmp_path / "ws"
    make_service(ws, "chat")
    code, _out, log = job(ws, ACTION, **base(emulator, services="chat: {}", context="chat",
                                            dockerfile="Dockerfile", plan_only="true"))
    assert code == 0, log
    warnings = [ln for ln in log.splitlines() if ln.startswith("warning:")]
    assert any("context is ignored because services is set" in w for w in warnings), log
    assert any("dockerfile is ignored because services is set" in w for w in warnings), log


def test_plan_only_with_force_warns_and_still_looks_for_builds(
    emulator: Emulator, workspace: Path
) -> None:
    first = job(workspace, ACTION, **base(emulator, region="us-west"))
    assert first[0] == 0, first[2]
    emulator.clear_requests()
    code, out, log = job(workspace, ACTION, **base(emulator, region="us-west", force="true",
                                                   plan_only="true"))
    assert code == 0, log
    assert "warning: force is ignored with plan-only" in log
    assert "GET /v1/builds" in api_sent(emulator)
    assert json.loads(out.outputs["matrix"]) == {"include": []}, "already built: nothing to do"


def test_a_misspelt_service_key_is_named_with_a_suggestion(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    make_service(ws, "chat")
    code, out, _log = job(ws, CLI, api_key=TEST_KEY, services="chat: {dockerfle: Dockerfile}")
    assert code == 1
    [error] = out.errors
    assert error.startswith("--services / PIPECAT_SERVICES: ")
    assert "'dockerfle'" in error and "did you mean 'dockerfile'?" in error


def test_a_yaml_error_keeps_the_parsers_reason_and_the_manifests_name(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    make_service(ws, "chat")
    (ws / "services.yml").write_text("chat:\n  context: chat\n dockerfile: [\n")
    code, out, _log = job(ws, ACTION, api_key=TEST_KEY, services="services.yml")
    assert code == 1
    [error] = out.errors
    assert error.startswith("Input 'services': manifest services.yml: ")
    assert "line 3" in error and "(" in error and "not valid YAML" in error
    reason = re.search(r"not valid YAML at line \d+, column \d+ \((?P<reason>[^)]+)\)", error)
    assert reason and len(reason["reason"].split()) >= 3, error


def test_a_bad_project_file_is_named_as_a_file_not_an_input(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    make_service(ws, ".")
    (ws / "pcc-deploy.toml").write_text("[build\ncontext_dir = 'x'\n")
    for vocabulary in (ACTION, CLI):
        code, out, _log = job(ws, vocabulary, api_key=TEST_KEY)
        assert code == 1
        [error] = out.errors
        assert error.startswith("pcc-deploy.toml: ") and "not valid TOML" in error
        assert "Input" not in error and "PIPECAT_" not in error


# -- -v: what was resolved -------------------------------------------------------------------


def test_verbose_lists_the_resolved_settings_of_each_target_without_secret_values(
    emulator: Emulator, tmp_path: Path
) -> None:
    ws = tmp_path / "ws"
    make_service(ws, "chat")
    make_service(ws, "voice")
    (ws / "voice" / "pcc-deploy.toml").write_text('region = "eu-central"\n')
    services = "chat: {agent: chat-bot}\nvoice: {}\n"
    secret = "sk-very-secret-value-1234"
    code, _out, log = job(ws, CLI, verbose=True, **base(
        emulator, services=services, plan_only="true", secrets=f"OPENAI_KEY={secret}",
        secret_set="bots", compression="fast", ignore_rules="docker",
    ))
    assert code == 0, log
    debug = [ln for ln in log.splitlines() if ln.startswith("debug: ")]
    [chat] = [ln for ln in debug if ln.startswith("debug: [chat] resolved: ")]
    [voice] = [ln for ln in debug if ln.startswith("debug: [voice] resolved: ")]
    assert "compression fast" in chat and "files all" in chat and "ignore-rules docker" in chat
    assert "deploy to agent chat-bot" in chat and "OPENAI_KEY" in chat
    assert "deploy: no" in voice
    # Where context, Dockerfile and region came from is said once, in the pack group (issue 19
    # §6), not again in the debug line.
    assert "(from services)" not in chat and "pcc-deploy.toml region)" not in voice
    assert log.count("context chat (from services)") == 1
    assert log.count("region eu-central (from voice/pcc-deploy.toml region)") == 1
    assert secret not in log

    quiet = job(ws, CLI, **base(emulator, services=services, plan_only="true"))[2]
    assert "debug:" not in quiet


def test_verbose_through_the_cli(emulator: Emulator, workspace: Path, tmp_path: Path) -> None:
    code, _result, stderr = cli(workspace, plain_env(tmp_path), "-v", "--api-url",
                               emulator.api_url, "--plan-only", "--region", "us-west")
    assert code == 0, stderr
    [line] = [ln for ln in stderr.splitlines() if ln.startswith("debug: resolved: ")]
    assert "mode plan" in line and "(from " not in line
    assert stderr.count("context . (from context)") == 1
    assert stderr.count("region us-west (from region)") == 1


# -- job.run_job / job.action in process -----------------------------------------------------


class CountingReporter(ConsoleReporter):
    def __init__(self) -> None:
        super().__init__(io.StringIO(), verbose=True)
        self.set_calls: list[str] = []

    def set_output(self, name: str, value: str) -> None:
        self.set_calls.append(name)
        super().set_output(name, value)

    @property
    def log(self) -> str:
        stream = self._stream
        assert isinstance(stream, io.StringIO)
        return stream.getvalue()


def test_action_in_process_sets_each_output_through_the_reporter_once(
    emulator: Emulator, workspace: Path
) -> None:
    inputs = {**action_defaults(), "api-key": TEST_KEY, "api-url": emulator.api_url,
              "poll-interval": "0.1", "region": "us-west"}
    settings = build_settings(inputs, workspace)
    out = CountingReporter()
    run = Run()
    with HttpClient() as api, HttpClient() as storage:
        code = action(settings, api, storage, out, run, runtime=Runtime(retry_base_delay=0.005))
    assert code == 0, out.log
    [build] = emulator.builds
    assert run.started_builds == [build["id"]]
    assert out.outputs["build-id"] == build["id"]
    assert out.outputs["image-uri"] == build["imageUri"]
    assert sorted(out.set_calls) == sorted(set(out.set_calls)), out.set_calls
    assert out.summaries and build["imageUri"] in out.summaries[0]


@pytest.mark.parametrize(
    ("vocabulary", "prefix"),
    [(ACTION, "Input 'compression': "), (CLI, "--compression / PIPECAT_COMPRESSION: ")],
)
def test_an_input_error_is_exit_1_in_the_vocabularys_words(
    workspace: Path, vocabulary: Any, prefix: str
) -> None:
    out = CountingReporter()
    opened = []

    @contextlib.contextmanager
    def sessions(runtime: Runtime) -> Iterator[tuple[HttpClient, HttpClient]]:
        opened.append(True)
        raise AssertionError("no session is opened for bad input")
        yield  # pragma: no cover

    inputs = {**action_defaults(), "api-key": TEST_KEY, "compression": "zstd"}
    code = run_job(inputs, workspace, out, run=Run(), vocabulary=vocabulary, sessions=sessions)
    assert code == 1
    [error] = out.errors
    assert error.startswith(prefix) and "cli, fast" in error
    assert opened == [] and out.set_calls == []


class BrokenClient(HttpClient):
    """A collaborator with a bug: every request raises something no one expects."""

    def request(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the fake transport broke")


def test_an_unexpected_exception_in_a_collaborator_is_one_line_and_exit_1(
    workspace: Path,
) -> None:
    out = CountingReporter()

    @contextlib.contextmanager
    def sessions(runtime: Runtime) -> Iterator[tuple[HttpClient, HttpClient]]:
        with BrokenClient() as api, BrokenClient() as storage:
            yield api, storage

    inputs = {**action_defaults(), "api-key": TEST_KEY, "api-url": "http://127.0.0.1:9"}
    run = Run()
    code = run_job(inputs, workspace, out, run=run, sessions=sessions)
    assert code == 1
    [error] = out.errors
    assert error == "unexpected error (RuntimeError): the fake transport broke"
    assert "Traceback" not in out.log
    assert run.started_builds == []
