"""The supply chain of the action's image and workflows (issue 15).

Offline: reads pyproject.toml, the hash-locked requirements, the Dockerfile, the workflows
and .github/dependabot.yml. Each test names one property a careful user (or OpenSSF
Scorecard) checks before trusting the action with a Pipecat Cloud key.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = ROOT / "pyproject.toml"
RUNTIME_LOCK = ROOT / "requirements" / "runtime.txt"
BUILD_LOCK = ROOT / "requirements" / "build.txt"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
WORKFLOWS = ROOT / ".github" / "workflows"
DEPENDABOT = ROOT / ".github" / "dependabot.yml"
PRODUCT_PACKAGE = "src/pipecat_build"
# The image's platform: what the lock is resolved for (requirements/lock).
IMAGE_ENVIRONMENT = {
    "python_version": "3.12",
    "python_full_version": "3.12.11",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "os_name": "posix",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
}
SHA_PIN = re.compile(r"^[\w.-]+/[\w.-]+(/[^@\s]+)?@[0-9a-f]{40}$")
VERSION_COMMENT = re.compile(r"^v\d+(\.\d+){0,2}$")


@dataclass
class Pin:
    name: str
    version: str
    hashes: list[str] = field(default_factory=list)
    via: list[str] = field(default_factory=list)


def _pyproject() -> dict[str, Any]:
    return tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))


def parse_lock(text: str) -> dict[str, Pin]:
    """A pip requirements file with hashes, as uv (or pip-compile) writes it."""
    pins: dict[str, Pin] = {}
    current: Pin | None = None
    in_via = False
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            comment = line.lstrip("#").strip()
            if current is not None and comment.startswith("via"):
                rest = comment[3:].strip()
                if rest:
                    current.via.append(rest)
                in_via = True
            elif current is not None and in_via and comment:
                current.via.append(comment)
            continue
        in_via = False
        if raw[:1].isspace() or line.startswith("--hash"):
            assert current is not None, f"continuation line before any requirement: {raw!r}"
            current.hashes.extend(re.findall(r"--hash=(\S+)", line))
            continue
        requirement = line.rstrip("\\").strip()
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", requirement)
        assert match, f"not pinned with ==: {requirement!r}"
        current = Pin(canonicalize_name(match[1]), match[2])
        current.hashes.extend(re.findall(r"--hash=(\S+)", line))
        assert current.name not in pins, f"{current.name} pinned twice"
        pins[current.name] = current
    return pins


def lock_problems(requirements: list[str], pins: dict[str, Pin]) -> list[str]:
    """What is wrong between a list of PEP 508 requirements and a lock made from them."""
    problems: list[str] = []
    wanted: dict[str, Requirement] = {}
    for text in requirements:
        requirement = Requirement(text)
        if requirement.marker is not None and not requirement.marker.evaluate(IMAGE_ENVIRONMENT):
            continue
        wanted[canonicalize_name(requirement.name)] = requirement
    for name, requirement in wanted.items():
        pin = pins.get(name)
        if pin is None:
            problems.append(f"{requirement} is not in the lock: run ./dev lock")
        elif not requirement.specifier.contains(pin.version, prereleases=True):
            problems.append(f"the lock pins {name}=={pin.version}, outside {requirement}")
    for name, pin in pins.items():
        if not pin.hashes:
            problems.append(f"{name}=={pin.version} has no --hash")
        for digest in pin.hashes:
            if not re.fullmatch(r"sha256:[0-9a-f]{64}", digest):
                problems.append(f"{name}: {digest} is not a sha256 hash")
        if name in wanted:
            continue
        # Not asked for directly: it must be a transitive dependency of another pin.
        parents = {canonicalize_name(v.split()[0]) for v in pin.via if not v.startswith("-")}
        if not parents & (set(pins) - {name}):
            problems.append(
                f"{name}=={pin.version} is in the lock but pyproject.toml does not ask for it "
                f"and no other locked package needs it (via: {pin.via or 'nothing'})"
            )
    return problems


# --- the lock ------------------------------------------------------------------------------


def test_runtime_lock_matches_pyproject_dependencies() -> None:
    problems = lock_problems(
        _pyproject()["project"]["dependencies"],
        parse_lock(RUNTIME_LOCK.read_text(encoding="utf-8")),
    )
    assert not problems, "\n".join(problems)


def test_build_lock_matches_the_build_system_requirements() -> None:
    problems = lock_problems(
        _pyproject()["build-system"]["requires"],
        parse_lock(BUILD_LOCK.read_text(encoding="utf-8")),
    )
    assert not problems, "\n".join(problems)


def test_every_lock_line_carries_sha256_hashes() -> None:
    for lock in (RUNTIME_LOCK, BUILD_LOCK):
        pins = parse_lock(lock.read_text(encoding="utf-8"))
        assert pins, f"{lock.name} pins nothing"
        for pin in pins.values():
            assert pin.hashes and all(h.startswith("sha256:") for h in pin.hashes), (
                f"{lock.name}: {pin.name}=={pin.version} needs --hash=sha256:..."
            )


def test_lock_comparison_catches_drift() -> None:
    # The checker itself: a lock that drifted from pyproject.toml in each way is caught.
    lock = parse_lock(
        "a==1.0 \\\n    --hash=sha256:" + "0" * 64 + "\n    # via proj (pyproject.toml)\n"
        "b==2.0 \\\n    --hash=sha256:" + "1" * 64 + "\n    # via a\n"
        "stale==3.0 \\\n    --hash=sha256:" + "2" * 64 + "\n    # via proj (pyproject.toml)\n"
        "nohash==1.0\n    # via a\n"
    )
    problems = "\n".join(lock_problems(["a>=1,<2", "c>=1", "nohash"], lock))
    assert "c>=1 is not in the lock" in problems
    assert "stale==3.0 is in the lock" in problems
    assert "nohash==1.0 has no --hash" in problems
    assert "b==" not in problems
    assert "outside a<2,>=1" in "\n".join(lock_problems(["a>=1,<2"], parse_lock(
        "a==2.0 \\\n    --hash=sha256:" + "0" * 64 + "\n")))


def test_the_lock_command_is_documented_and_wired() -> None:
    dev = (ROOT / "dev").read_text(encoding="utf-8")
    assert re.search(r"^#\s+\./dev lock", dev, re.MULTILINE), "./dev lock missing from the header"
    assert re.search(r"^\s+lock\)\s*$", dev, re.MULTILINE), "./dev has no lock case"
    script = (ROOT / "requirements" / "lock").read_text(encoding="utf-8")
    assert "--generate-hashes" in script
    for lock in (RUNTIME_LOCK, BUILD_LOCK):
        assert "./dev lock" in lock.read_text(encoding="utf-8")[:300], (
            f"{lock.name} does not say it was made by ./dev lock"
        )


# --- the image -----------------------------------------------------------------------------


def _dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = DOCKERFILE.read_text(encoding="utf-8")
    logical: list[str] = []
    buffer = ""
    for line in text.splitlines():
        if line.lstrip().startswith("#"):
            continue
        if line.rstrip().endswith("\\"):
            buffer += line.rstrip()[:-1] + " "
            continue
        buffer += line
        if buffer.strip():
            logical.append(buffer.strip())
        buffer = ""
    result = []
    for entry in logical:
        keyword, _, rest = entry.partition(" ")
        result.append((keyword.upper(), rest.strip()))
    return result


def _pip_installs() -> list[str]:
    commands = []
    for keyword, rest in _dockerfile_instructions():
        if keyword == "RUN":
            for command in re.split(r"&&|;|\|\|", rest):
                if re.search(r"\bpip3?\s+install\b", command):
                    commands.append(" ".join(command.split()))
    return commands


def test_dockerfile_installs_only_from_the_hash_locked_files() -> None:
    installs = _pip_installs()
    assert installs, "the Dockerfile installs nothing with pip"
    from_lock = [c for c in installs if " -r " in f" {c} "]
    assert any("runtime.txt" in c for c in from_lock), "the runtime lock is not installed"
    for command in installs:
        if command in from_lock:
            assert "--require-hashes" in command.split(), f"no --require-hashes: {command}"
            assert "--no-deps" in command.split(), f"no --no-deps: {command}"
            files = re.findall(r"(?:^|\s)-r\s+(\S+)", command)
            assert all(Path(f).name in ("runtime.txt", "build.txt") for f in files), command
        else:
            # Anything else is the project itself, which must not pull in dependencies.
            assert "--no-deps" in command.split(), f"installs dependencies unlocked: {command}"
            targets = [w for w in command.split()[2:] if not w.startswith("-")]
            assert targets == ["."], f"installs something besides the project: {command}"


def test_dockerfile_copies_the_lock_files_it_installs() -> None:
    copied = " ".join(rest for keyword, rest in _dockerfile_instructions() if keyword == "COPY")
    assert "requirements/runtime.txt" in copied and "requirements/build.txt" in copied
    allowed = DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
    assert "!requirements/runtime.txt" in allowed and "!requirements/build.txt" in allowed


def test_base_image_is_pinned_by_digest_on_the_from_line() -> None:
    froms = [rest for keyword, rest in _dockerfile_instructions() if keyword == "FROM"]
    assert froms, "no FROM"
    image = froms[0].split()[0]
    # Literal, not an ARG: Dependabot moves only digests it can read on the FROM line.
    assert "$" not in image, f"FROM {image}: name the image itself so Dependabot sees it"
    assert re.fullmatch(r"[\w./-]+:[\w.-]+@sha256:[0-9a-f]{64}", image), (
        f"FROM {image} is not pinned by tag and digest"
    )


def test_image_contains_only_the_product_package() -> None:
    copies = [rest.split() for keyword, rest in _dockerfile_instructions() if keyword == "COPY"]
    sources = [word for words in copies for word in words[:-1] if not word.startswith("--")]
    for source in sources:
        normalized = source.rstrip("/")
        assert normalized not in (".", "src"), f"COPY {source} would bring the emulator along"
        if normalized.startswith("src"):
            assert normalized == PRODUCT_PACKAGE, f"COPY {source}: only {PRODUCT_PACKAGE}"
    assert f"!{PRODUCT_PACKAGE}/" in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
    assert "!src/" not in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
    # The venv install still finds both packages (the emulator is a development tool).
    assert _pyproject()["tool"]["setuptools"]["packages"]["find"]["where"] == ["src"]


# --- workflows and updates ------------------------------------------------------------------


def _workflow_files() -> list[Path]:
    files = sorted([*WORKFLOWS.glob("*.yml"), *WORKFLOWS.glob("*.yaml")])
    assert files, "no workflows"
    return files


def _uses_lines(path: Path) -> list[tuple[str, str]]:
    """(reference, comment) for every `uses:` line of a workflow, comments included."""
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^\s*(?:-\s+)?uses:\s*['\"]?([^'\"\s#]+)['\"]?\s*(?:#\s*(.*))?$", line)
        if match:
            found.append((match[1], (match[2] or "").strip()))
    return found


def test_every_third_party_action_is_pinned_by_sha_with_its_version() -> None:
    for path in _workflow_files():
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        parsed = [
            step["uses"]
            for job in document["jobs"].values()
            for step in job.get("steps") or []
            if "uses" in step
        ] + [job["uses"] for job in document["jobs"].values() if "uses" in job]
        lines = _uses_lines(path)
        assert sorted(ref for ref, _ in lines) == sorted(parsed), f"{path.name}: unparsed uses:"
        for reference, comment in lines:
            if reference.startswith(("./", "docker://")):
                continue
            assert SHA_PIN.match(reference), f"{path.name}: {reference} is not pinned by SHA"
            assert VERSION_COMMENT.match(comment.split()[0] if comment else ""), (
                f"{path.name}: {reference} needs its version in a comment (# vX.Y.Z)"
            )


def test_workflows_read_only_by_default() -> None:
    for path in _workflow_files():
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert document.get("permissions") == {"contents": "read"}, (
            f"{path.name}: the workflow-level token must be `permissions: contents: read`"
        )


def test_oidc_and_attestation_permissions_only_where_the_image_is_attested() -> None:
    for path in _workflow_files():
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        for name, job in document["jobs"].items():
            permissions = job.get("permissions") or {}
            steps = " ".join(str(step.get("uses", "")) for step in job.get("steps") or [])
            if {"id-token", "attestations"} & {k for k, v in permissions.items() if v == "write"}:
                assert "actions/attest" in steps, f"{path.name} job {name}: needless write"


def test_release_attests_the_pushed_image() -> None:
    document = yaml.safe_load((WORKFLOWS / "release.yml").read_text(encoding="utf-8"))
    jobs = document["jobs"]
    push_steps = [
        (name, step)
        for name, job in jobs.items()
        for step in job.get("steps") or []
        if "build-push-action" in str(step.get("uses", "")) and (step.get("with") or {}).get("push")
    ]
    assert push_steps, "release.yml pushes no image"
    image_job, push = push_steps[0]
    assert str(push["with"].get("sbom")).lower() == "true", "the pushed image has no SBOM"
    assert "mode=max" in str(push["with"].get("provenance")), "no full provenance"
    attest = [
        (name, step)
        for name, job in jobs.items()
        for step in job.get("steps") or []
        if str(step.get("uses", "")).startswith("actions/attest-build-provenance@")
    ]
    assert attest, "release.yml does not attest the image"
    attest_job, step = attest[0]
    assert "digest" in str(step["with"]["subject-digest"])
    assert str(step["with"]["push-to-registry"]).lower() == "true"
    assert jobs[image_job]["outputs"]["digest"] == f"${{{{ steps.{push['id']}.outputs.digest }}}}"
    permissions = jobs[attest_job]["permissions"]
    assert permissions.get("id-token") == "write" and permissions.get("attestations") == "write"
    # The release (tags moved, GitHub release) waits for the attestation.
    needs = jobs["pin"]["needs"]
    assert attest_job in ([needs] if isinstance(needs, str) else needs)


def test_dependabot_updates_pip_docker_and_actions_weekly_in_one_group_each() -> None:
    config = yaml.safe_load(DEPENDABOT.read_text(encoding="utf-8"))
    assert config["version"] == 2
    seen = set()
    for update in config["updates"]:
        ecosystem = update["package-ecosystem"]
        seen.add(ecosystem)
        assert update["schedule"]["interval"] == "weekly", ecosystem
        groups = update.get("groups") or {}
        assert any("*" in group.get("patterns", []) for group in groups.values()), (
            f"{ecosystem}: group every update into one pull request"
        )
        assert update["directory"] == "/", ecosystem
    assert {"pip", "docker", "github-actions"} <= seen, f"dependabot covers only {seen}"


def test_dependabot_config_matches_its_schema() -> None:
    beside = Path(sys.executable).parent / "check-jsonschema"
    tool = str(beside) if beside.exists() else shutil.which("check-jsonschema")
    if tool is None:
        pytest.fail("check-jsonschema is not installed (it is a test dependency)")
    result = subprocess.run(
        [tool, "--builtin-schema", "vendor.dependabot", str(DEPENDABOT)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_security_policy_and_verification_are_documented() -> None:
    policy = (ROOT / "SECURITY.md").read_text(encoding="utf-8")
    for needle in ("Report a vulnerability", "security/advisories/new", "Authorization",
                   "::add-mask::"):
        assert needle in policy, f"SECURITY.md does not mention {needle!r}"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "gh attestation verify oci://ghcr.io/" in readme
    assert re.search(r"OWNER/REPO@[0-9a-f]{40} # v\d", readme), "README: how to pin by SHA"
