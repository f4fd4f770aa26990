# syntax=docker/dockerfile:1
# The ScheduledJob runtime image: the `basejob` job runtime and the `scheduledjob-operator`, both
# from this repository's single distribution. Job Pods run `basejob run`; the operator's
# Deployment runs `scheduledjob-operator` from the same image.
#
# Two stages on the same base:
#   build    turns the project and every runtime dependency into wheels (network, pip cache);
#   runtime  installs exactly those wheels, offline, into a virtualenv; nothing else.
#
# Builds with a Docker engine (BuildKit) and with buildah (scripts/build-image.sh, which CI uses:
# no Docker engine, no registry; it passes a Debian-python base it made with debootstrap).

# The base of both stages. Pinned by tag: python:3.11 and Debian bookworm, the Python and the
# distribution the project is tested on. It only has to provide `python3` with the venv module:
# the official image (python at /usr/local/bin) and the debootstrap base of build-image.sh
# (Debian's python3 at /usr/bin) both do, which is why everything below goes through a venv
# instead of assuming where Python lives. Pin a digest here (`...@sha256:`) for bit-for-bit
# reproducible releases.
ARG BASE_IMAGE=python:3.11-slim-bookworm

###############################################################################################
FROM ${BASE_IMAGE} AS build

# Debian's python3 is "externally managed" (PEP 668) and may have no pip at all: a throw-away
# venv gives this stage a pip of its own on either base.
RUN python3 -m venv /opt/build-venv
# PIP_CERT: the system CA bundle instead of the certifi copy vendored in pip (build-image.sh
# bind-mounts the host's bundle over it, so pip also works behind a TLS-inspecting proxy).
ENV PATH=/opt/build-venv/bin:$PATH \
    PIP_ROOT_USER_ACTION=ignore \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_CERT=/etc/ssl/certs/ca-certificates.crt

WORKDIR /src

# Dependencies first, from pyproject.toml alone: this layer (the slow, networked one) is reused
# as long as the dependency list does not change, whatever happens to the source.
# The cache mount (BuildKit and buildah; never part of an image) holds pip's HTTP cache and a
# wheelhouse: `pip wheel` skips every wheel already in its --wheel-dir, which also works where a
# proxy makes PyPI's responses uncacheable for pip's HTTP cache. A changed dependency list so
# downloads only what is new. The second, offline `pip wheel` copies out exactly the resolved
# wheels (same resolver, same constraints, no stale versions from the wheelhouse).
COPY pyproject.toml ./
RUN --mount=type=cache,id=scheduledjob-pip,target=/root/.cache/pip \
    python3 -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]))' \
        > /tmp/requirements.txt \
 && pip wheel --wheel-dir /root/.cache/pip/wheelhouse --requirement /tmp/requirements.txt \
 && pip wheel --no-index --find-links /root/.cache/pip/wheelhouse --wheel-dir /wheels \
        --requirement /tmp/requirements.txt

# Then the project's own wheel (seconds): no dependencies, and its build backend (setuptools,
# from [build-system]) comes from the cache too. .dockerignore keeps tests, caches and .venv out.
COPY README.md ./
COPY operator/ operator/
COPY runtime/ runtime/
RUN --mount=type=cache,id=scheduledjob-pip,target=/root/.cache/pip \
    pip wheel --no-deps --wheel-dir /wheels . \
 && ls -l /wheels

###############################################################################################
FROM ${BASE_IMAGE} AS runtime

# One RUN, so no layer ever holds the wheels: they are bind-mounted from the build stage, not
# copied. pip installs offline (--no-index) exactly what the build stage resolved, so this stage
# needs neither network nor compilers; --no-cache-dir leaves no pip cache behind; pip and
# setuptools are then removed from the venv (nothing installs at run time; images FROM this one
# bring their own pip, see docs/images.md). pip byte-compiles everything here, at build time,
# because a read-only root file system cannot take .pyc files later.
# The user is numeric (10001, no login shell, no home) so that Kubernetes' runAsNonRoot can
# verify it without reading /etc/passwd, and high enough not to clash with host users.
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    python3 -m venv /opt/scheduledjob \
 && /opt/scheduledjob/bin/pip install --no-index --no-cache-dir --find-links /wheels \
        --root-user-action=ignore --disable-pip-version-check scheduledjob \
 && /opt/scheduledjob/bin/pip uninstall --yes --root-user-action=ignore pip setuptools \
 && groupadd --gid 10001 scheduledjob \
 && useradd --no-log-init --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin scheduledjob \
 && rm -rf /root/.cache /tmp/*

# The venv's bin first: `basejob` and `scheduledjob-operator` are on PATH on either base.
# PYTHONDONTWRITEBYTECODE: never try to write .pyc at run time (read-only root; they were
# compiled above). PYTHONUNBUFFERED: log lines reach `kubectl logs` at once, even on a crash.
# HOME=/tmp: the one writable place in a Pod (an emptyDir), for any library that writes to ~.
ENV VIRTUAL_ENV=/opt/scheduledjob \
    PATH=/opt/scheduledjob/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/tmp

ARG BASE_IMAGE
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=unknown
# OCI annotations: what the image is and where it came from (registries and scanners show them).
# Last, so that a new revision only redoes these cheap steps.
LABEL org.opencontainers.image.title="scheduledjob" \
      org.opencontainers.image.description="Kubernetes-native scheduled background jobs: the BaseJob runtime (basejob) and the kopf operator (scheduledjob-operator)." \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.vendor="ConnectFlow" \
      org.opencontainers.image.source="https://github.com/connectflow/scheduledjob" \
      org.opencontainers.image.documentation="https://github.com/connectflow/scheduledjob/blob/main/docs/images.md" \
      org.opencontainers.image.base.name="${BASE_IMAGE}"

# Not root, by number (see above); Pods may still set runAsUser/runAsGroup/fsGroup.
USER 10001:10001
# /tmp works as a working directory with readOnlyRootFilesystem (emptyDir) and without.
WORKDIR /tmp

# The job runtime is the default; job Pods say `command: [basejob, run]` explicitly anyway and
# the operator's Deployment says `command: [scheduledjob-operator]`.
ENTRYPOINT ["basejob"]
CMD ["run"]
