#!/usr/bin/env python3
"""The other-CI recipes, executed: GitLab pipelines under gitlab-ci-local, and the shell parts
of the Buildkite and Jenkins recipes, each against a fresh emulator, in the images the
container stage built.

A GitLab case copies a pipeline file from examples/gitlab/ (or the component under
templates/) unchanged into a scratch project shaped as its comments describe, commits it, and
runs `gitlab-ci-local` with the docker executor. The image the recipes name,
ghcr.io/owner/repo:v1, is the stage's action image under that tag, so the files run as users
copy them. Assertions read what a user would read: the exit code, the job's JSON result and
dotenv report (GitLab's artifacts), what a later job printed, and what the build service
recorded (asked over its API).

Usage (scripts/container/test passes the options):
    recipes.py --docker CLIENT --gitlab-ci-local BIN --helper-image IMAGE --action-image IMAGE
               --base-image IMAGE --dist DIR --state-dir DIR [CASE...]
Needs DOCKER_HOST. Default: every case. Prints "N passed, N failed" last.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shlex
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "container" / "fixtures" / "services"
RECIPE_IMAGE = "ghcr.io/owner/repo:v1"  # what examples/gitlab/ and templates/ name
SECRET_VALUE = "gl-token-value-7702"  # written to secret sets; must never reach a log
HASH = re.compile(r"[0-9a-f]{16}")
GCL_TIMEOUT = 240  # seconds: a hang must end the case, not the stage


class CheckFailed(Exception):
    """What a user would see differs from what the recipe promises."""


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


OPTIONS = argparse.Namespace()


def setting(name: str) -> str:
    """A setting given on the command line (module-wide: every case uses the same)."""
    value: str = getattr(OPTIONS, name)
    return value


def child_environment() -> dict[str, str]:
    """What gitlab-ci-local and the jobs it runs on this host see: no PIPECAT_* of ours (the
    key reaches jobs only as a CI/CD variable) and no GCL_* (gitlab-ci-local reads those as
    its own options)."""
    kept = {k: v for k, v in os.environ.items() if not k.startswith(("PIPECAT_", "GCL_"))}
    return {**kept, "NO_COLOR": "1", "FORCE_COLOR": "0"}


# --- the emulator ------------------------------------------------------------------------


@dataclass
class Emulator:
    url: str
    key: str
    process: subprocess.Popen[bytes]

    @classmethod
    def start(cls, log: Path) -> Emulator:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        key = "pk_gl_" + secrets.token_hex(12)
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "pipecat_cloud_emulator", "--port", str(port),
                 "--api-key", key],
                cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
            )
        emulator = cls(f"http://127.0.0.1:{port}", key, process)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if process.poll() is not None:
                break
            try:
                emulator.api("/v1/regions")
                return emulator
            except (OSError, urllib.error.URLError):
                time.sleep(0.1)  # polling for the port to answer, not waiting out a time
        emulator.stop()
        raise CheckFailed(f"the emulator did not start:\n{log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def api(self, path: str) -> Any:
        request = urllib.request.Request(
            self.url + path, headers={"Authorization": f"Bearer {self.key}"}
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.load(answer)

    def build(self, build_id: str) -> dict[str, Any]:
        expect(bool(build_id), "no build-id in the result")
        found: dict[str, Any] = self.api(f"/v1/builds/{build_id}")["build"]
        return found

    def successful_builds(self) -> list[dict[str, Any]]:
        builds: list[dict[str, Any]] = self.api("/v1/builds?status=success&limit=100")["builds"]
        return builds


# --- a scratch project and gitlab-ci-local ---------------------------------------------


@dataclass
class Run:
    code: int
    output: str
    project: Path

    def artifact(self, job: str, name: str) -> Path:
        return self.project / ".gitlab-ci-local" / "artifacts" / job / name

    def result(self, job: str, name: str = "result.json") -> dict[str, Any]:
        path = self.artifact(job, name)
        expect(path.is_file(), f"job {job}: no {name} among its artifacts")
        value = json.loads(path.read_text(encoding="utf-8"))
        expect(isinstance(value, dict), f"job {job}: {name} is not a JSON object")
        return dict(value)

    def dotenv(self, job: str, name: str) -> dict[str, str]:
        """The job's dotenv report as GitLab reads it: KEY=VALUE lines, value kept as is."""
        path = self.artifact(job, f".gitlab-ci-reports/dotenv/{name}")
        expect(path.is_file(), f"job {job}: no dotenv report {name}")
        pairs = {}
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                key, _, value = line.partition("=")
                pairs[key] = value
        return pairs

    def job_log(self, job: str) -> str | None:
        path = self.project / ".gitlab-ci-local" / "output" / f"{job}.log"
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else None


class Project:
    """A git repository with a GitLab remote, as gitlab-ci-local needs one."""

    def __init__(self, folder: Path, emulator: Emulator, *, agent_env: str = "") -> None:
        self.folder = folder / "project"
        self.home = folder / "home"
        self.logs = folder
        shutil.rmtree(self.folder, ignore_errors=True)
        shutil.rmtree(self.home, ignore_errors=True)
        self.folder.mkdir(parents=True)
        self.runs = 0
        self.key = emulator.key
        self._git("init", "-q", "-b", "main")
        self._git("remote", "add", "origin", "https://gitlab.com/owner/repo.git")
        # CI/CD variables, as a project's settings would hold them: in gitlab-ci-local's
        # home file, outside the repository, never on a command line.
        variables: dict[str, Any] = {
            "PIPECAT_API_KEY": emulator.key,
            "PIPECAT_API_URL": emulator.url,
        }
        if agent_env:
            variables["AGENT_ENV"] = {"type": "file", "values": {"*": agent_env}}
        (self.home / ".gitlab-ci-local").mkdir(parents=True)
        (self.home / ".gitlab-ci-local" / "variables.yml").write_text(
            yaml.safe_dump({"global": variables}), encoding="utf-8"
        )

    def _git(self, *args: str) -> None:
        subprocess.run(
            ["git", "-c", "user.name=gcl", "-c", "user.email=gcl@localhost", *args],
            cwd=self.folder, check=True, capture_output=True,
        )

    def write(self, path: str, text: str) -> None:
        target = self.folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")

    def copy(self, source: Path, path: str) -> None:
        target = self.folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            shutil.copyfile(source, target)

    def commit(self, message: str) -> None:
        self._git("add", "-A")
        self._git("commit", "-q", "--allow-empty", "-m", message)

    def pipeline(self) -> Run:
        """One `gitlab-ci-local` run of .gitlab-ci.yml (all jobs); the cache folder is kept
        between runs, as GitLab keeps its cache between pipelines."""
        self.runs += 1
        state = self.folder / ".gitlab-ci-local"
        for stale in ("artifacts", "output"):
            shutil.rmtree(state / stale, ignore_errors=True)
        command = [
            setting("gitlab_ci_local"),
            "--home", str(self.home),
            "--container-executable", setting("docker"),
            "--helper-image", setting("helper_image"),
            # The engine here has no bridge network; jobs reach the emulator on loopback.
            "--network", "host",
            "--pull-policy", "if-not-present",
        ]
        started = time.monotonic()
        try:
            done = subprocess.run(
                command, cwd=self.folder, capture_output=True, text=True,
                timeout=GCL_TIMEOUT, env=child_environment(),
            )
            code, output = done.returncode, done.stdout + done.stderr
        except subprocess.TimeoutExpired as timeout:
            code, output = -1, f"gitlab-ci-local did not end within {GCL_TIMEOUT}s\n{timeout}"
        log = self.logs / f"gitlab-ci-local-{self.runs}.log"
        log.write_text(output, encoding="utf-8")
        print(f"[recipes]   pipeline {self.runs}: exit {code} in "
              f"{time.monotonic() - started:.1f}s (log: {log})", file=sys.stderr)
        expect(self.key not in output, f"pipeline {self.runs}: the API key reached the log")
        return Run(code, output, self.folder)


# --- shared checks -----------------------------------------------------------------------


def matches_service(result: dict[str, Any], emulator: Emulator, label: str) -> dict[str, Any]:
    """A successful result agrees with the build service's own record of that build."""
    expect(result.get("exit-code") == 0, f"{label}: exit-code {result.get('exit-code')!r}")
    expect(result.get("status") == "success", f"{label}: status {result.get('status')!r}")
    build = emulator.build(str(result.get("build-id", "")))
    expect(build.get("status") == "success", f"{label}: the service says {build.get('status')}")
    expect(result.get("image-uri") == build.get("imageUri"),
           f"{label}: image-uri {result.get('image-uri')!r} != {build.get('imageUri')!r}")
    expect(HASH.fullmatch(str(result.get("context-hash", ""))) is not None,
           f"{label}: context-hash {result.get('context-hash')!r}")
    expect(result.get("context-hash") == build.get("contextHash"),
           f"{label}: context-hash differs from the service's record")
    expect(isinstance(result.get("cached"), bool), f"{label}: cached is not a boolean")
    return build


def dotenv_agrees(report: dict[str, str], result: dict[str, Any], label: str) -> None:
    """The dotenv report carries the JSON result's values, bare, as GitLab hands them on."""
    for key in ("image-uri", "build-id", "context-hash", "status"):
        name = "PIPECAT_" + key.upper().replace("-", "_")
        expect(report.get(name) == str(result[key]),
               f"{label}: {name}={report.get(name)!r} in the dotenv report, JSON says "
               f"{result[key]!r}")
    expect(report.get("PIPECAT_CACHED") == str(result["cached"]).lower(),
           f"{label}: PIPECAT_CACHED={report.get('PIPECAT_CACHED')!r}")


def passed(run: Run, label: str) -> None:
    expect(run.code == 0, f"{label}: gitlab-ci-local exited {run.code}\n{run.output[-3000:]}")


def no_secret_in(text: str, label: str) -> None:
    expect(SECRET_VALUE not in text, f"{label}: a secret value reached the log")


def agent_serves(emulator: Emulator, agent: str, deployment: str, secret_set: str) -> None:
    record = emulator.api(f"/v1/agents/{agent}")
    expect(bool(deployment), "no deployment-id in the result")
    expect(record.get("desiredDeploymentId") == deployment, f"{agent} wants another deployment")
    expect(record.get("reconciledDeploymentId") == deployment, f"{agent} is not reconciled")
    expect(record.get("ready") is True, f"{agent} is not ready")
    names = sorted(s.get("fieldName") for s in emulator.api(f"/v1/secrets/{secret_set}")
                   .get("secrets", []))
    expect(names == ["GREETING", "TOKEN"], f"secret set {secret_set} holds {names}")


AGENT_ENV = (
    "# dotenv text, as a file-type CI/CD variable holds it\n"
    f'GREETING="hello from gitlab"\nTOKEN={SECRET_VALUE}\n'
)


# --- the cases ---------------------------------------------------------------------------


def case_gitlab_build(emulator: Emulator, folder: Path) -> None:
    """examples/gitlab/build.gitlab-ci.yml: build, reuse, and a failed build's exit code."""
    project = Project(folder, emulator)
    project.copy(ROOT / "examples/gitlab/build.gitlab-ci.yml", ".gitlab-ci.yml")
    project.copy(FIXTURES / "app-a", "agent")
    project.commit("agent")

    first = project.pipeline()
    passed(first, "first pipeline")
    built = first.result("build-agent")
    matches_service(built, emulator, "first pipeline")
    expect(built["cached"] is False, "first pipeline on a fresh service must build")
    dotenv_agrees(first.dotenv("build-agent", "build.env"), built, "first pipeline")
    printed = first.job_log("use-image") or ""
    expect(f"image {built['image-uri']} (build {built['build-id']})" in printed,
           f"use-image did not get the dotenv variables; it printed {printed!r}")

    second = project.pipeline()
    passed(second, "second pipeline")
    again = second.result("build-agent")
    matches_service(again, emulator, "second pipeline")
    expect(again["cached"] is True, "an unchanged folder must reuse its build")
    for key in ("image-uri", "build-id", "context-hash"):
        expect(again[key] == built[key], f"{key} differs between the two pipelines")
    expect(f"image {built['image-uri']}" in (second.job_log("use-image") or ""),
           "use-image did not get the reused image")

    dockerfile = project.folder / "agent" / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text() + "# emulator: fail\n")
    project.commit("a Dockerfile that fails to build")
    failed = project.pipeline()
    expect(failed.code != 0, "a failed build must fail the pipeline (gitlab-ci-local exit 0)")
    result = failed.result("build-agent")  # artifacts: when: always
    expect(result.get("exit-code") == 1, f"failed build: exit-code {result.get('exit-code')!r}")
    expect(result.get("status") == "failed", f"failed build: status {result.get('status')!r}")
    expect(bool(result.get("errors")), "failed build: no errors in the JSON result")
    expect("image-uri" not in result, "failed build: an image-uri in the result")
    expect(failed.job_log("use-image") is None, "use-image ran after a failed build")


def case_gitlab_deploy(emulator: Emulator, folder: Path) -> None:
    """examples/gitlab/build-and-deploy.gitlab-ci.yml: deploy with secrets; the second
    pipeline gets the hash from GitLab's cache and leaves the deployment unchanged."""
    project = Project(folder, emulator, agent_env=AGENT_ENV)
    project.copy(ROOT / "examples/gitlab/build-and-deploy.gitlab-ci.yml", ".gitlab-ci.yml")
    project.copy(FIXTURES / "app-a", "agent")
    project.write(".gitignore", ".pipecat-hash-cache/\n")
    project.commit("agent")

    first = project.pipeline()
    passed(first, "first pipeline")
    no_secret_in(first.output, "first pipeline")
    result = first.result("build-and-deploy")
    matches_service(result, emulator, "first pipeline")
    expect(result["cached"] is False, "first pipeline must build")
    expect(result.get("deploy-status") == "ready", f"deploy-status {result.get('deploy-status')}")
    agent_serves(emulator, "voice-bot", str(result.get("deployment-id")), "voice-bot-secrets")
    report = first.dotenv("build-and-deploy", "build.env")
    dotenv_agrees(report, result, "first pipeline")
    expect(report.get("PIPECAT_DEPLOYMENT_ID") == result["deployment-id"],
           "PIPECAT_DEPLOYMENT_ID differs from the JSON result")
    caches = list((project.folder / ".gitlab-ci-local" / "cache").rglob(".pipecat-hash-cache"))
    expect(any(any(c.iterdir()) for c in caches if c.is_dir()),
           "GitLab's cache holds no remembered hashes after the first pipeline")

    second = project.pipeline()
    passed(second, "second pipeline")
    no_secret_in(second.output, "second pipeline")
    again = second.result("build-and-deploy")
    matches_service(again, emulator, "second pipeline")
    expect(again["cached"] is True, "the second pipeline built again")
    expect(f"remembered context hash {result['context-hash']}" in second.output,
           "the second pipeline did not take the hash from GitLab's cache")
    expect(again.get("deploy-status") == "unchanged",
           f"second deploy-status {again.get('deploy-status')!r}")
    expect(again.get("deployment-id") == result["deployment-id"],
           "the unchanged deploy names another deployment")


def _plan_project(emulator: Emulator, folder: Path) -> Project:
    project = Project(folder, emulator)
    project.copy(ROOT / "examples/gitlab/plan-child-pipeline.gitlab-ci.yml", ".gitlab-ci.yml")
    project.copy(FIXTURES / "app-a", "services/app-a")
    project.copy(FIXTURES / "app-b", "services/app-b")
    project.write("ci/services.yml", "app-a: {context: services/app-a}\n"
                                     "app-b: {context: services/app-b}\n")
    project.commit("two services")
    return project


def _planned(run: Run) -> list[str]:
    plan = run.result("plan", "plan.json")
    include = (plan.get("matrix") or {}).get("include")
    if not isinstance(include, list):
        raise CheckFailed(f"plan.json has no matrix.include: {plan!r}")
    return sorted(str(leg.get("service")) for leg in include)


def case_gitlab_plan(emulator: Emulator, folder: Path) -> None:
    """examples/gitlab/plan-child-pipeline.gitlab-ci.yml: the child pipeline builds only
    what the plan lists; with nothing to build it still runs (one no-op job)."""
    project = _plan_project(emulator, folder)

    first = project.pipeline()
    passed(first, "first pipeline")
    expect(_planned(first) == ["app-a", "app-b"], f"first plan: {_planned(first)}")
    images = {}
    for service in ("app-a", "app-b"):
        result = first.result(f"build-{service}")
        matches_service(result, emulator, f"child job build-{service}")
        images[service] = result["image-uri"]
    expect(images["app-a"] != images["app-b"], "two services got one image")

    main = project.folder / "services" / "app-b" / "main.py"
    main.write_text(main.read_text() + "# changed\n")
    project.commit("app-b changed")
    second = project.pipeline()
    passed(second, "second pipeline")
    expect(_planned(second) == ["app-b"], f"after app-b changed the plan says {_planned(second)}")
    rebuilt = second.result("build-app-b")
    matches_service(rebuilt, emulator, "child job build-app-b")
    expect(rebuilt["image-uri"] != images["app-b"], "app-b changed but kept its image")
    expect(second.job_log("build-app-a") is None, "app-a was built again though unchanged")

    third = project.pipeline()
    passed(third, "third pipeline")
    expect(_planned(third) == [], f"nothing changed, the plan says {_planned(third)}")
    expect(third.job_log("nothing-to-build") is not None,
           "the child pipeline without builds did not run its no-op job")
    expect(len(emulator.successful_builds()) == 3,
           f"{len(emulator.successful_builds())} builds; expected 3 (two, then app-b)")


COMPONENT_USER = """\
# A project using the component, as GitLab documents for testing a component in its own
# project: the same commit's templates/pipecat-build/template.yml.
include:
  - component: $CI_SERVER_FQDN/$CI_PROJECT_PATH/pipecat-build@$CI_COMMIT_SHA
    inputs:
      job-name: agent-image
      context: agent
      agent-name: component-agent
      secret-set: component-secrets
      secrets-file: $AGENT_ENV

use-image:
  stage: deploy
  needs: [agent-image]
  script:
    - echo "image $PIPECAT_IMAGE_URI deployment $PIPECAT_DEPLOYMENT_ID"
"""


def case_gitlab_component(emulator: Emulator, folder: Path) -> None:
    """templates/pipecat-build: `include: component:` with inputs builds and deploys."""
    project = Project(folder, emulator, agent_env=AGENT_ENV)
    project.copy(ROOT / "templates", "templates")
    project.copy(FIXTURES / "app-a", "agent")
    project.write(".gitlab-ci.yml", COMPONENT_USER)
    project.write(".gitignore", ".pipecat-hash-cache/\n")
    project.commit("use the component")

    first = project.pipeline()
    passed(first, "first pipeline")
    no_secret_in(first.output, "first pipeline")
    result = first.result("agent-image", "pipecat-result.json")
    matches_service(result, emulator, "component")
    expect(result["cached"] is False, "the component's first run must build")
    expect(result.get("deploy-status") == "ready", f"deploy-status {result.get('deploy-status')}")
    agent_serves(emulator, "component-agent", str(result["deployment-id"]), "component-secrets")
    dotenv_agrees(first.dotenv("agent-image", "pipecat.env"), result, "component")
    printed = first.job_log("use-image") or ""
    expect(f"image {result['image-uri']} deployment {result['deployment-id']}" in printed,
           f"use-image did not get the component's dotenv report: {printed!r}")

    second = project.pipeline()
    passed(second, "second pipeline")
    again = second.result("agent-image", "pipecat-result.json")
    expect(again["cached"] is True, "the component's second run built again")
    expect(f"remembered context hash {result['context-hash']}" in second.output,
           "the component's second run did not take the hash from GitLab's cache")
    expect(again.get("deploy-status") == "unchanged", f"second: {again.get('deploy-status')}")


# --- Buildkite and Jenkins: the shell parts of docs/pipelines.md --------------------------


def _doc_block(heading: str, language: str) -> str:
    text = (ROOT / "docs" / "pipelines.md").read_text(encoding="utf-8")
    section = text.split(f"\n{heading}\n", 1)
    expect(len(section) == 2, f"docs/pipelines.md has no {heading!r} section")
    match = re.search(rf"```{language}\n(.*?)```", section[1], re.S)
    expect(match is not None, f"{heading}: no {language} block")
    assert match is not None
    return match.group(1)


def _docker_run(emulator: Emulator, image: str, workdir: Path, script: str,
                extra: list[str], environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run a recipe's shell in a container as a CI agent would: the checkout mounted as the
    working folder, the key from the environment (its name only on the command line)."""
    names = {"PIPECAT_API_KEY": emulator.key, "PIPECAT_API_URL": emulator.url, **environment}
    command = [setting("docker"), "run", "--rm", "--network", "host",
               "-v", f"{workdir}:/workspace", "-w", "/workspace", *extra]
    for name in names:
        command += ["-e", name]
    command += [image, "sh", "-ec", script]
    return subprocess.run(command, capture_output=True, text=True, timeout=GCL_TIMEOUT,
                          env={**child_environment(), **names})


def _checkout(folder: Path) -> Path:
    workdir = folder / "checkout"
    shutil.rmtree(workdir, ignore_errors=True)
    shutil.copytree(FIXTURES / "app-a", workdir / "agent")
    return workdir


def case_jenkins(emulator: Emulator, folder: Path) -> None:
    """The Jenkins recipe's `sh` step, in the image its `agent { docker { ... } }` names, with
    the `args` it gives `docker run` (`--entrypoint=`: without it the action's entrypoint
    would run instead of the step)."""
    groovy = _doc_block("### Jenkins", "groovy")
    image = re.search(r"image '([^']+)'", groovy)
    expect(image is not None and image.group(1) == RECIPE_IMAGE,
           f"the Jenkins recipe names image {image.group(1) if image else None!r}")
    steps = re.findall(r"^\s*sh '([^']*)'", groovy, re.M)
    expect(len(steps) == 1, f"expected one sh step in the Jenkins recipe, found {steps}")
    # The Docker agent passes `args` to `docker run` as they are written.
    args = re.search(r"^\s*args '([^']*)'", groovy, re.M)
    workdir = _checkout(folder)
    done = _docker_run(emulator, RECIPE_IMAGE, workdir, steps[0],
                       shlex.split(args.group(1)) if args else [], {})
    (folder / "jenkins.log").write_text(done.stdout + done.stderr, encoding="utf-8")
    expect(done.returncode == 0, f"sh step exited {done.returncode}:\n{done.stderr[-2000:]}")
    result = json.loads((workdir / "result.json").read_text())
    matches_service(result, emulator, "jenkins")
    report = dict(line.split("=", 1) for line in
                  (workdir / "build.env").read_text().splitlines() if line)
    expect(report.get("PIPECAT_IMAGE_URI") == result["image-uri"], "build.env image URI")
    expect(emulator.key not in done.stdout + done.stderr, "the API key reached the log")


def case_buildkite(emulator: Emulator, folder: Path) -> None:
    """The Buildkite recipe's command on an agent with only Python (the stage's base image):
    it installs the CLI from the package index (here the wheel the stage built), builds, and
    hands the image URI to `buildkite-agent meta-data set` (a stub that records it)."""
    step = yaml.safe_load(_doc_block("### Buildkite", "yaml"))["steps"][0]
    workdir = _checkout(folder)
    stub = folder / "buildkite-agent"
    stub.write_text('#!/bin/sh\nprintf "%s\\n" "$*" >> /workspace/.meta-data\n')
    stub.chmod(0o755)
    dist = Path(setting("dist"))
    done = _docker_run(
        emulator, setting("base_image"), workdir, step["command"],
        ["-v", f"{stub}:/usr/local/bin/buildkite-agent:ro", "-v", f"{dist}:/dist:ro",
         "-e", "PIP_FIND_LINKS=/dist", "-e", "PIP_DISABLE_PIP_VERSION_CHECK=1"],
        {str(k): str(v) for k, v in (step.get("env") or {}).items()},
    )
    (folder / "buildkite.log").write_text(done.stdout + done.stderr, encoding="utf-8")
    expect(done.returncode == 0, f"command exited {done.returncode}:\n{done.stderr[-2000:]}")
    result = json.loads((workdir / "result.json").read_text())
    build = matches_service(result, emulator, "buildkite")
    expect(build.get("region") == step["env"]["PIPECAT_REGION"],
           f"built in {build.get('region')!r}, the step's env says {step['env']}")
    meta = (workdir / ".meta-data").read_text().splitlines()
    expect(meta == [f"meta-data set image-uri {result['image-uri']}"],
           f"buildkite-agent was called with {meta}")
    expect(emulator.key not in done.stdout + done.stderr, "the API key reached the log")


CASES: dict[str, Callable[[Emulator, Path], None]] = {
    "gitlab-build": case_gitlab_build,
    "gitlab-deploy": case_gitlab_deploy,
    "gitlab-plan": case_gitlab_plan,
    "gitlab-component": case_gitlab_component,
    "jenkins": case_jenkins,
    "buildkite": case_buildkite,
}


def prepare_images() -> None:
    """The recipes name the released image; here it is the image the stage just built."""
    subprocess.run([setting("docker"), "tag", setting("action_image"), RECIPE_IMAGE], check=True)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for option in ("docker", "gitlab-ci-local", "helper-image", "action-image", "base-image",
                   "dist", "state-dir"):
        parser.add_argument(f"--{option}", required=True)
    parser.add_argument("cases", nargs="*")
    parser.parse_args(argv[1:], namespace=OPTIONS)
    names = OPTIONS.cases or list(CASES)
    unknown = [n for n in names if n not in CASES]
    if unknown:
        print(f"unknown case(s) {unknown}; known: {', '.join(CASES)}", file=sys.stderr)
        return 2
    prepare_images()
    base = Path(setting("state_dir")) / "recipes"
    ok = failed = 0
    for name in names:
        folder = base / name
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        started = time.monotonic()
        emulator = Emulator.start(folder / "emulator.log")
        try:
            CASES[name](emulator, folder)
        except (CheckFailed, OSError, ValueError, KeyError, subprocess.SubprocessError) as error:
            failed += 1
            print(f"[recipes] case {name}: FAIL ({time.monotonic() - started:.1f}s): "
                  f"{type(error).__name__}: {error}\n[recipes]   logs: {folder}", file=sys.stderr)
        else:
            ok += 1
            print(f"[recipes] case {name}: PASS ({time.monotonic() - started:.1f}s)",
                  file=sys.stderr)
        finally:
            emulator.stop()
    print(f"{ok} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
