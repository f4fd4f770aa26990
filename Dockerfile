# syntax=docker/dockerfile:1
# The ScheduledJob images, one per audience, from this repository's distributions:
#
#   runtime    (the default target) the `basejob` job runtime alone: what a job author builds
#              FROM, adding their own package (docs/job-authors.md);
#   examples   the runtime plus the seed's five example jobs: the default job image of the demo
#              and the chart;
#   operator   `scheduledjob-operator` and its dependencies (kopf, the Kubernetes client).
#
# Stages on the same base:
#   build          turns the distributions and every dependency into wheels (network, pip cache);
#   python-base    the non-root user and the run-time environment every image shares;
#   runtime, examples, operator   each installs exactly its wheels, offline, into a virtualenv.
#
# Builds with a Docker engine (BuildKit: `docker build --target operator .`) and with buildah
# (scripts/build-image.sh, which CI uses: no Docker engine, no registry; it passes a
# Debian-python base it made with debootstrap).

# The base of every stage. Pinned by tag: python:3.11 and Debian bookworm, the Python and the
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

# Dependencies first, from the distributions' pyproject.toml files alone: this layer (the slow,
# networked one) is reused as long as no dependency list changes, whatever happens to the
# source. Our own distributions (scheduledjob-*) are left out here; they are built below.
# The cache mount (BuildKit and buildah; never part of an image) holds pip's HTTP cache and a
# wheelhouse: `pip wheel` skips every wheel already in its --wheel-dir, which also works where a
# proxy makes PyPI's responses uncacheable for pip's HTTP cache. A changed dependency list so
# downloads only what is new. The second, offline `pip wheel` copies out exactly the resolved
# wheels (same resolver, same constraints, no stale versions from the wheelhouse).
COPY runtime/pyproject.toml runtime/
COPY api/pyproject.toml api/
COPY operator/pyproject.toml operator/
COPY examples/pyproject.toml examples/
RUN --mount=type=cache,id=scheduledjob-pip,target=/root/.cache/pip \
    python3 -c 'import sys, tomllib; print("\n".join(d for f in sys.argv[1:] for d in tomllib.load(open(f, "rb"))["project"]["dependencies"] if not d.startswith("scheduledjob-")))' \
        runtime/pyproject.toml api/pyproject.toml operator/pyproject.toml examples/pyproject.toml \
        > /tmp/requirements.txt \
 && pip wheel --wheel-dir /root/.cache/pip/wheelhouse --requirement /tmp/requirements.txt \
 && pip wheel --no-index --find-links /root/.cache/pip/wheelhouse --wheel-dir /wheels \
        --requirement /tmp/requirements.txt

# Then our own wheels (seconds): no dependencies, and their build backend (setuptools, from
# [build-system]) comes from the cache too. .dockerignore keeps tests, dev tools, caches and
# .venv out: the client and the dev tools are in no image.
COPY runtime/ runtime/
COPY api/ api/
COPY operator/ operator/
COPY examples/ examples/
RUN --mount=type=cache,id=scheduledjob-pip,target=/root/.cache/pip \
    pip wheel --no-deps --wheel-dir /wheels ./runtime ./api ./operator ./examples \
 && ls -l /wheels

###############################################################################################
FROM ${BASE_IMAGE} AS python-base

# The venv's bin first: `basejob` or `scheduledjob-operator` is on PATH on either base.
# PYTHONDONTWRITEBYTECODE: never try to write .pyc at run time (read-only root; they are
# compiled at build time). PYTHONUNBUFFERED: log lines reach `kubectl logs` at once, even on a
# crash. HOME=/tmp: the one writable place in a Pod (an emptyDir), for any library that writes
# to ~.
ENV VIRTUAL_ENV=/opt/scheduledjob \
    PATH=/opt/scheduledjob/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/tmp

# The user is numeric (10001, no login shell, no home) so that Kubernetes' runAsNonRoot can
# verify it without reading /etc/passwd, and high enough not to clash with host users.
RUN groupadd --gid 10001 scheduledjob \
 && useradd --no-log-init --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin scheduledjob

ARG BASE_IMAGE
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=unknown
# OCI annotations: where the image came from (registries and scanners show them); each image
# below adds its title and description.
LABEL org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.vendor="ConnectFlow" \
      org.opencontainers.image.source="https://github.com/connectflow/scheduledjob" \
      org.opencontainers.image.documentation="https://github.com/connectflow/scheduledjob/blob/main/docs/images.md" \
      org.opencontainers.image.base.name="${BASE_IMAGE}"

# /tmp works as a working directory with readOnlyRootFilesystem (emptyDir) and without.
WORKDIR /tmp

# Each image's virtualenv is made in a stage of its own and copied into the image, so no layer
# of an image ever holds the wheels. pip installs offline (--no-index) exactly what the build
# stage resolved, so no stage here needs network or compilers; --no-cache-dir leaves no pip
# cache behind; pip and setuptools are then removed from the venv (nothing installs at run
# time; images FROM these bring their own pip, see docs/images.md). pip byte-compiles
# everything here, at build time, because a read-only root file system cannot take .pyc files
# later. (A bind mount of the wheels would do without the copy, but buildah 1.28 mounts a stale
# build stage once that stage comes from its layer cache.)
FROM python-base AS operator-venv
COPY --from=build /wheels /wheels
RUN python3 -m venv /opt/scheduledjob \
 && /opt/scheduledjob/bin/pip install --no-index --no-cache-dir --find-links /wheels \
        --root-user-action=ignore --disable-pip-version-check scheduledjob-operator \
 && /opt/scheduledjob/bin/pip uninstall --yes --root-user-action=ignore pip setuptools

FROM python-base AS examples-venv
COPY --from=build /wheels /wheels
RUN python3 -m venv /opt/scheduledjob \
 && /opt/scheduledjob/bin/pip install --no-index --no-cache-dir --find-links /wheels \
        --root-user-action=ignore --disable-pip-version-check scheduledjob-examples \
 && /opt/scheduledjob/bin/pip uninstall --yes --root-user-action=ignore pip setuptools

FROM python-base AS runtime-venv
COPY --from=build /wheels /wheels
RUN python3 -m venv /opt/scheduledjob \
 && /opt/scheduledjob/bin/pip install --no-index --no-cache-dir --find-links /wheels \
        --root-user-action=ignore --disable-pip-version-check scheduledjob-runtime \
 && /opt/scheduledjob/bin/pip uninstall --yes --root-user-action=ignore pip setuptools

###############################################################################################
FROM python-base AS operator

COPY --from=operator-venv /opt/scheduledjob /opt/scheduledjob

LABEL org.opencontainers.image.title="scheduledjob-operator" \
      org.opencontainers.image.description="The ScheduledJob operator: turns ScheduledJobs into CronJobs, or starts their runs itself."

# Not root, by number (see python-base); Pods may still set runAsUser/runAsGroup/fsGroup.
USER 10001:10001
ENTRYPOINT ["scheduledjob-operator"]

###############################################################################################
FROM python-base AS examples

COPY --from=examples-venv /opt/scheduledjob /opt/scheduledjob

LABEL org.opencontainers.image.title="scheduledjob-examples" \
      org.opencontainers.image.description="The BaseJob runtime with the five example jobs: the default image of job Pods."

# Not root, by number (see python-base); Pods may still set runAsUser/runAsGroup/fsGroup.
USER 10001:10001
ENTRYPOINT ["basejob"]
CMD ["run"]

# The default target, last: the runtime alone, the image job authors build FROM. Job Pods say
# `command: [basejob, run]` explicitly anyway.
###############################################################################################
FROM python-base AS runtime

COPY --from=runtime-venv /opt/scheduledjob /opt/scheduledjob

LABEL org.opencontainers.image.title="scheduledjob-runtime" \
      org.opencontainers.image.description="The BaseJob runtime (basejob): runs one job with its tenant, correlation ID, logs, metrics and traces."

# Not root, by number (see python-base); Pods may still set runAsUser/runAsGroup/fsGroup.
USER 10001:10001
ENTRYPOINT ["basejob"]
CMD ["run"]
