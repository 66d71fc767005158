# Image of the container action. Published to ghcr.io by .github/workflows/release.yml so
# that released versions of action.yml point at a prebuilt image (docs/container.md).
#
# The base is pinned by digest so a release is reproducible, and named on the FROM line
# itself so Dependabot can move the digest (it does not read ARG defaults). Machines
# without a registry build on a local stand-in: scripts/container/build-image swaps this
# line for the local image's name in the copy of the Dockerfile it builds.
FROM python:3.12.11-slim-bookworm@sha256:519591d6871b7bc437060736b9f7456b8731f1499a57e22e6c285135ae657bf7

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

SHELL ["/bin/bash", "-o", "pipefail", "-c"]

# git serves `files: tracked`. No system-wide configuration (no `safe.directory '*'`): the
# action names the checkout's own .git explicitly and reads no system or user config
# (archive/git_tracked.py, runtime.git_environment; docs/security.md).
# DL3008 (pin apt versions) is ignored on purpose: git comes from the Debian release of the
# digest-pinned base, and Debian drops superseded versions, so a pin would break rebuilds.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends git \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
# Runtime dependencies come only from the hash-locked file (`./dev lock` writes it from
# pyproject.toml): pip refuses any download whose sha256 the lock does not list, and
# --no-deps installs nothing the lock does not name.
COPY requirements/runtime.txt requirements/build.txt /tmp/requirements/
RUN pip install --no-cache-dir --require-hashes --no-deps -r /tmp/requirements/runtime.txt

# Only the product package: the emulator and its demo (src/pipecat_cloud_emulator) stay
# out of the image. The project itself goes in with --no-deps and without build isolation,
# its build backend (setuptools) from the hash-locked build.txt, removed again afterwards.
# entrypoint.py imports from /app/src, and PYTHONDONTWRITEBYTECODE keeps Python from caching
# bytecode at run time: compile it once here, or every run compiles ~45 modules afresh.
COPY pyproject.toml README.md entrypoint.py ./
COPY src/pipecat_build/ ./src/pipecat_build/
RUN pip install --no-cache-dir --require-hashes --no-deps -r /tmp/requirements/build.txt \
    && pip install --no-cache-dir --no-deps --no-build-isolation . \
    && pip uninstall -y -q setuptools \
    && rm -rf /app/build /tmp/requirements \
    && python -m compileall -q /app/src

# Exec form: a shell in between would drop INPUT_API-KEY (dash drops names with hyphens).
# The runner expects to run the action as root and mounts the workspace itself.
ENTRYPOINT ["python", "/app/entrypoint.py"]
