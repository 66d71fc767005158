# Image of the container action. Published to ghcr.io by .github/workflows/release.yml so
# that released versions of action.yml point at a prebuilt image (docs/container.md).
#
# BASE_IMAGE is a build argument so that machines without a registry can build on a local
# stand-in (scripts/container/base-image); the default is the published base, pinned by
# digest so a release is reproducible.
ARG BASE_IMAGE=python:3.12.11-slim-bookworm@sha256:519591d6871b7bc437060736b9f7456b8731f1499a57e22e6c285135ae657bf7
FROM ${BASE_IMAGE}

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

SHELL ["/bin/bash", "-o", "pipefail", "-c"]

# git serves `files: tracked`. The checkout belongs to the runner's user while the action
# runs as root, and HOME moves at run time, so only a system-wide safe.directory works.
# DL3008 (pin apt versions) is ignored on purpose: git comes from the Debian release of the
# digest-pinned base, and Debian drops superseded versions, so a pin would break rebuilds.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends git \
    && rm -rf /var/lib/apt/lists/* \
    && git config --system --add safe.directory '*'

WORKDIR /app
COPY pyproject.toml README.md entrypoint.py ./
COPY src/ ./src/
# entrypoint.py imports from /app/src, and PYTHONDONTWRITEBYTECODE keeps Python from caching
# bytecode at run time: compile it once here, or every run compiles ~45 modules afresh.
RUN pip install --no-cache-dir . \
    && rm -rf /app/build \
    && python -m compileall -q /app/src

# Exec form: a shell in between would drop INPUT_API-KEY (dash drops names with hyphens).
# The runner expects to run the action as root and mounts the workspace itself.
ENTRYPOINT ["python", "/app/entrypoint.py"]
