#!/usr/bin/env python3
"""Assertions the act workflows run in a step after the action, against the emulator.

A workflow passes only if this exits 0, so act's exit code is the verdict. Each check
compares the action's outputs with what the build service itself recorded (asked over its
API), never with values written down in advance. Standard library only: it runs on the
runner's own python3.

Environment: PIPECAT_API_URL, PIPECAT_API_KEY, and the step outputs as JSON in the
variables each check names (`toJSON(steps.ID.outputs)`).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
from typing import Any

HASH = re.compile(r"[0-9a-f]{16}")


class CheckFailed(Exception):
    """An output differs from what the build service recorded."""


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


def outputs(name: str) -> dict[str, str]:
    raw = os.environ.get(name)
    expect(bool(raw), f"{name} is not set")
    value = json.loads(raw or "{}")
    expect(isinstance(value, dict), f"{name} is not a JSON object")
    return {str(key): str(item) for key, item in value.items()}


def api(path: str) -> Any:
    request = urllib.request.Request(
        os.environ["PIPECAT_API_URL"].rstrip("/") + path,
        headers={"Authorization": f"Bearer {os.environ['PIPECAT_API_KEY']}"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.load(answer)


def recorded_build(build_id: str) -> dict[str, Any]:
    expect(bool(build_id), "build-id output is empty")
    build: dict[str, Any] = api(f"/v1/builds/{build_id}")["build"]
    return build


def successful_builds() -> list[dict[str, Any]]:
    builds: list[dict[str, Any]] = api("/v1/builds?status=success&limit=100")["builds"]
    return builds


def matches_service(out: dict[str, str], label: str) -> dict[str, Any]:
    """The outputs of one successful build agree with the service's record of it."""
    build = recorded_build(out.get("build-id", ""))
    expect(build.get("status") == "success", f"{label}: build status {build.get('status')!r}")
    expect(out.get("status") == "success", f"{label}: status output {out.get('status')!r}")
    expect(
        out.get("image-uri") == build.get("imageUri"),
        f"{label}: image-uri {out.get('image-uri')!r} != service {build.get('imageUri')!r}",
    )
    expect(
        HASH.fullmatch(out.get("context-hash", "")) is not None,
        f"{label}: context-hash {out.get('context-hash')!r} is not 16 hex characters",
    )
    expect(
        out.get("context-hash") == build.get("contextHash"),
        f"{label}: context-hash differs from the service's record",
    )
    expect(out.get("cached") in ("true", "false"), f"{label}: cached {out.get('cached')!r}")
    return build


def workspace_untouched() -> None:
    """The action must not leave files in the checkout (they would be root-owned)."""
    changed = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    expect(changed == "", f"the action changed the workspace:\n{changed}")


def check_plain() -> None:
    first, second = outputs("FIRST"), outputs("SECOND")
    matches_service(first, "first run")
    expect(first["cached"] == "false", "first run on a fresh service must build")
    matches_service(second, "second run")
    expect(second["cached"] == "true", "second run of the same context must be cached")
    for key in ("image-uri", "context-hash", "build-id"):
        expect(first[key] == second[key], f"{key} differs between the two runs")
    expect(int(first.get("context-size-bytes", "0")) > 0, "context-size-bytes not positive")
    workspace_untouched()


def check_deploy() -> None:
    first, second = outputs("FIRST"), outputs("SECOND")
    expect(first.get("deploy-status") == "ready", f"first deploy: {first.get('deploy-status')}")
    expect(first.get("agent-name") == "act-agent", "agent-name output")
    agent = api("/v1/agents/act-agent")
    deployment = first.get("deployment-id", "")
    expect(bool(deployment), "deployment-id output is empty")
    expect(agent.get("desiredDeploymentId") == deployment, "the agent wants another deployment")
    expect(agent.get("reconciledDeploymentId") == deployment, "the deployment is not reconciled")
    expect(agent.get("ready") is True and agent.get("available") is True, "agent not ready")
    secrets = api("/v1/secrets/act-secrets")
    names = sorted(s.get("fieldName") for s in secrets.get("secrets", []))
    expect(names == ["GREETING", "TOKEN"], f"secret set keys: {names}")
    expect(second.get("deploy-status") == "unchanged", f"second: {second.get('deploy-status')}")
    expect(second.get("deployment-id") == deployment, "the unchanged run names another deployment")
    expect(second.get("cached") == "true", "the second run built again")
    workspace_untouched()


def agent_or_none(name: str) -> Any:
    try:
        return api(f"/v1/agents/{name}")
    except urllib.error.HTTPError as refused:
        expect(refused.code == 404, f"reading agent {name}: HTTP {refused.code}")
        return None


def check_lifecycle() -> None:
    build, rollback = outputs("BUILD"), outputs("ROLLBACK")
    delete, again = outputs("DELETE"), outputs("AGAIN")
    expect(build.get("deploy-status") == "ready", f"first deploy: {build.get('deploy-status')}")
    expect(rollback.get("build-id") == build.get("build-id"), "the rollback deployed another build")
    expect(rollback.get("image-uri") == build.get("image-uri"), "the rollback's image-uri")
    expect(rollback.get("agent-name") == "act-life-pr-7", f"name: {rollback.get('agent-name')}")
    expect(rollback.get("deploy-status") == "ready", f"rollback: {rollback.get('deploy-status')}")
    expect(len(successful_builds()) == 1, "the rollback built something")
    expect(delete.get("delete-status") == "deleted", f"delete: {delete.get('delete-status')}")
    expect(again.get("delete-status") == "already-gone", f"again: {again.get('delete-status')}")
    expect(agent_or_none("act-life-pr-7") is None, "the preview agent is still there")
    expect(agent_or_none("act-life") is not None, "the first agent was deleted too")
    workspace_untouched()


def check_composite() -> None:
    direct, wrapped = outputs("DIRECT"), outputs("WRAPPED")
    matches_service(wrapped, "composite")
    expect(wrapped["cached"] == "true", "composite after a direct build must reuse it")
    for key, value in direct.items():
        if key != "cached":
            expect(wrapped.get(key) == value, f"composite output {key} not passed through")


def check_matrix_leg() -> None:
    out = outputs("BUILT")
    build = matches_service(out, os.environ.get("SERVICE", "matrix leg"))
    expect(
        build.get("dockerfilePath") == "Dockerfile",
        f"dockerfilePath {build.get('dockerfilePath')!r}",
    )


def check_services() -> None:
    out = outputs("MANY")
    images = json.loads(out.get("images") or "null")
    expect(isinstance(images, dict), f"images is not a JSON object: {out.get('images')!r}")
    expect(sorted(images) == ["app-a", "app-b"], f"images keys {sorted(images)}")
    recorded = {b.get("imageUri") for b in successful_builds()}
    for name, uri in images.items():
        expect(uri in recorded, f"images[{name}] = {uri!r} is no successful build's image")
    expect(images["app-a"] != images["app-b"], "two services got the same image")
    single = outputs("SINGLE")
    matches_service(single, "single app-a after services")
    expect(single["cached"] == "true", "app-a built by `services` must be reused")
    expect(single["image-uri"] == images["app-a"], "images[app-a] != app-a's image-uri")


def check_plan() -> None:
    out = outputs("PLAN")
    matrix = json.loads(out.get("matrix") or "null")
    expect(isinstance(matrix, dict), f"matrix is not a JSON object: {out.get('matrix')!r}")
    include = matrix.get("include")
    expect(isinstance(include, list), "matrix has no include list")
    names = sorted(str(entry.get("service")) for entry in include)
    expect(names == ["app-b"], f"only app-b needs a build, plan says {names}")
    before = len(successful_builds())
    expect(before == 1, f"plan-only must not create builds ({before} successful builds)")


def check_fanout() -> None:
    for job in ("PLAN", "BUILD"):
        result = os.environ.get(f"{job}_RESULT")
        expect(result == "success", f"job {job.lower()} ended {result!r}")
    images = {b.get("imageUri") for b in successful_builds()}
    expect(len(images) == 2, f"expected app-a and app-b built once each, got {len(images)} images")


CHECKS = {
    "plain": check_plain,
    "deploy": check_deploy,
    "composite": check_composite,
    "matrix-leg": check_matrix_leg,
    "services": check_services,
    "plan": check_plan,
    "fanout": check_fanout,
    "lifecycle": check_lifecycle,
}


def annotation(text: str) -> str:
    """Escape a message for a workflow command (one line)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[1] not in CHECKS:
        print(f"usage: {argv[0]} {{{','.join(CHECKS)}}}", file=sys.stderr)
        return 2
    try:
        CHECKS[argv[1]]()
    except CheckFailed as failure:
        print(f"::error title=container test {argv[1]}::{annotation(str(failure))}")
        return 1
    print(f"check {argv[1]}: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
