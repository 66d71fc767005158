"""The agent endpoints of openapi.json: create, update, get, list, delete.

Rules from the spec's examples and deploy.md: exactly one of image/buildId, a buildId must
be a successful build of the agent's region, referenced secret sets must exist (404), be
in the agent's region (400) and be `ready` (409). An update that changes nothing makes no
deployment and answers a `warning`.
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import Callable
from typing import Any

from .agent_request import CREATE_FIELDS, UPDATE_FIELDS, clean
from .agents import AgentRecord
from .backend import ApiAnswer, ApiCall
from .builds import BuildRecord
from .config import EmulatorConfig
from .deployments import AgentSettings, Crash, Deployment, Timing, default_traceback
from .errors import bad_request, conflict, not_found
from .request_body import json_object
from .state import DroppedFields, EmulatorState

DEFAULT_REGION = "us-west"  # CreateServiceRequest.region's default in the spec
NO_CHANGE_WARNING = (
    "No changes detected: the agent was not redeployed. Set forceRedeploy to redeploy "
    "the same configuration."
)


def _body(call: ApiCall) -> dict[str, Any]:
    return json_object(call.body, code="GENERIC_BAD_REQUEST")


class AgentApi:
    """Operations of the agent endpoints over the shared state."""

    def __init__(self, config: Callable[[], EmulatorConfig], state: EmulatorState) -> None:
        self._config = config
        self._state = state

    # -- helpers ----------------------------------------------------------------------
    def _clean(self, call: ApiCall, fields: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
        kept, dropped = clean(_body(call), fields)
        if dropped:
            with self._state.lock:
                self._state.dropped_fields.append(
                    DroppedFields(call.method, call.path, tuple(dropped))
                )
        return kept, dropped

    def _build(self, build_id: str, region: str) -> BuildRecord:
        wanted = str(uuid.UUID(build_id))  # the request check made sure it is a UUID
        with self._state.lock:
            found = next((b for b in self._state.builds if b.id == wanted), None)
        if found is None:
            raise bad_request("Build not found")
        if found.region != region:
            raise bad_request(
                f"Build is in region '{found.region}' but service is in region '{region}'. "
                "Builds must be in the same region as the service."
            )
        status = found.status(time.time())  # builds live by the wall clock
        if status != "success":
            raise bad_request(
                f"Build is not ready (status: {status}). Only successful builds can be deployed."
            )
        return found

    def _check_set(self, name: str, kind: str, region: str, creating: bool) -> None:
        label = "Image pull secret set" if kind == "imagePullSecret" else "Secret set"
        with self._state.lock:
            found = self._state.secret_sets.get(name)
            record = dataclasses.replace(found) if found is not None else None
        if record is None or record.kind != kind:
            raise not_found(f"{label} not found")
        if record.region != region:
            where = "will be created" if creating else "is"
            plural = "Image pull secrets" if kind == "imagePullSecret" else "Secrets"
            raise bad_request(
                f"{label} '{name}' is in region '{record.region}' but service {where} in "
                f"region '{region}'. {plural} must be in the same region as the service."
            )
        status = record.status(self._config().clock())
        if status != "ready":
            raise conflict(
                f"{label} '{name}' is not ready (status: {status}). Wait until it is ready, "
                "then deploy again."
            )

    def _check_sets(self, settings: AgentSettings, region: str, creating: bool) -> None:
        if settings.secret_set:
            self._check_set(settings.secret_set, "secret", region, creating)
        if settings.image_pull_secret_set:
            self._check_set(settings.image_pull_secret_set, "imagePullSecret", region, creating)

    def _deployment(
        self, agent: str, service_id: str, settings: AgentSettings, build: BuildRecord | None
    ) -> Deployment:
        config = self._config()
        deployment_id = str(uuid.uuid4())
        crash: Crash | None = None
        with self._state.lock:
            planned = self._state.crash_next.get(agent)
            if planned:
                crash = planned.pop(0)
        if crash is None and build is not None and build.crashes:
            crash = Crash(default_traceback(agent))
        hook = config.crash_deployments
        details = {
            "agent": agent,
            "deploymentId": deployment_id,
            "buildId": settings.build_id,
            "image": settings.image,
        }
        if crash is None and hook is not None and hook(details):
            crash = Crash(default_traceback(agent))
        captured: tuple[tuple[str, str], ...] = ()
        if settings.secret_set:
            with self._state.lock:  # the set's values now: a later write does not reach it
                record = self._state.secret_sets.get(settings.secret_set)
                if record is not None and record.kind == "secret":
                    captured = tuple(record.values.items())
        return Deployment(
            id=deployment_id,
            service_id=service_id,
            created=self._config().clock(),
            settings=settings,
            timing=Timing(
                reconcile=config.deploy_reconcile_seconds,
                creating=config.deploy_creating_seconds,
                validating=config.deploy_validating_seconds,
                draining=config.deploy_draining_seconds,
                restart=config.crash_restart_seconds,
            ),
            crash=crash,
            report_errors=config.crash_reports_errors,
            secret_values=captured,
        )

    def _agent(self, name: str, missing: str) -> AgentRecord:
        with self._state.lock:
            found = self._state.agents.get(name)
        if found is None:
            raise not_found(missing)
        return found

    # -- operations -------------------------------------------------------------------
    def create(self, call: ApiCall) -> ApiAnswer:
        kept, _dropped = self._clean(call, CREATE_FIELDS)
        name = kept.get("serviceName")
        if name is None:
            raise bad_request("Invalid parameters: 'serviceName' is required")
        region = kept.get("region", DEFAULT_REGION)
        config = self._config()
        if region not in config.regions:
            raise bad_request("Invalid region or organization does not have access")
        if "image" not in kept and "buildId" not in kept:
            raise bad_request("Either image or buildId is required for service creation")
        with self._state.lock:
            if name in self._state.agents:
                raise bad_request("Service already exists")
        build = self._build(kept["buildId"], region) if "buildId" in kept else None
        settings = _apply(AgentSettings(), kept, build)
        self._check_sets(settings, region, creating=True)
        now = self._config().clock()
        agent = AgentRecord(
            name=name,
            region=region,
            id=str(uuid.uuid4()),
            organization=config.organization,
            namespace=config.organization.replace("_", "-"),
            created=now,
            updated=now,
        )
        agent.deployments.append(self._deployment(name, agent.id, settings, build))
        with self._state.lock:
            if name in self._state.agents:  # created meanwhile by a concurrent request
                raise bad_request("Service already exists")
            self._state.agents[name] = agent
            return ApiAnswer(200, agent.render(self._config().clock()))

    def update(self, call: ApiCall) -> ApiAnswer:
        name = call.params["name"]
        agent = self._agent(name, "Service not found")
        kept, _dropped = self._clean(call, UPDATE_FIELDS)
        build = self._build(kept["buildId"], agent.region) if "buildId" in kept else None
        with self._state.lock:
            current = agent.current.settings
        settings = _apply(current, kept, build)
        if settings == current and not kept.get("forceRedeploy", False):
            with self._state.lock:
                body = agent.render(self._config().clock())
            body["warning"] = NO_CHANGE_WARNING
            return ApiAnswer(200, body)
        self._check_sets(settings, agent.region, creating=False)
        deployment = self._deployment(name, agent.id, settings, build)
        with self._state.lock:
            agent.deployments.append(deployment)
            agent.updated = deployment.created
            return ApiAnswer(200, agent.render(self._config().clock()))

    def get(self, call: ApiCall) -> ApiAnswer:
        agent = self._agent(call.params["name"], "Not found")
        with self._state.lock:
            return ApiAnswer(200, agent.render(self._config().clock()))

    def list(self, call: ApiCall) -> ApiAnswer:
        region = call.query.get("region", [None])[-1]
        raw = call.query.get("includeActiveDeployment", ["false"])[-1].lower()
        if raw not in ("true", "false"):
            raise bad_request("Invalid parameters: 'includeActiveDeployment' must be a boolean")
        now = self._config().clock()
        with self._state.lock:
            agents = sorted(self._state.agents.values(), key=lambda a: a.created)
            items = [
                agent.list_item(now, with_deployment=raw == "true")
                for agent in agents
                if region is None or agent.region == region
            ]
        return ApiAnswer(200, {"services": items})

    def delete(self, call: ApiCall) -> ApiAnswer:
        name = call.params["name"]
        with self._state.lock:
            if self._state.agents.pop(name, None) is None:
                raise not_found("Not found")
            self._state.crash_next.pop(name, None)
        return ApiAnswer(200, {"status": "OK"})


def _apply(base: AgentSettings, kept: dict[str, Any], build: BuildRecord | None) -> AgentSettings:
    """`base` with the request's fields applied (a field not given keeps its value)."""
    changes: dict[str, Any] = {}
    if "image" in kept:
        changes.update(image=kept["image"], build_id=None, build_image=None)
    if build is not None:
        changes.update(image=None, build_id=build.id, build_image=build.image_uri())
    simple = {
        "nodeType": "node_type",
        "imagePullSecretSet": "image_pull_secret_set",
        "secretSet": "secret_set",
        "agentProfile": "agent_profile",
        "maxSessionDuration": "max_session_duration",
    }
    for field_name, attribute in simple.items():
        if field_name in kept:
            changes[attribute] = kept[field_name]
    scaling = kept.get("autoScaling", {})
    if "minAgents" in scaling:
        changes["min_agents"] = scaling["minAgents"]
    if "maxAgents" in scaling:
        changes["max_agents"] = scaling["maxAgents"]
    if "audioFilter" in kept.get("krispViva", {}):
        changes["audio_filter"] = kept["krispViva"]["audioFilter"]
    settings = dataclasses.replace(base, **changes)
    if settings.min_agents > settings.max_agents:
        raise bad_request("Invalid parameters: 'autoScaling.minAgents' exceeds 'maxAgents'")
    return settings

