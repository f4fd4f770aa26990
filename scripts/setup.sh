#!/usr/bin/env bash
# Prepares a fresh machine for running or testing ScheduledJob, and does nothing when it is ready:
# Debian packages, the project's virtualenv (.venv, editable install with dev tools), and the
# control-plane binaries (built once, cached under ~/.cache).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { printf '[setup %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# Debian packages the tests and demo need, one per line in scripts/apt-packages.txt.
mapfile -t wanted < <(grep -vE '^\s*(#|$)' scripts/apt-packages.txt)
missing=()
for package in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if [[ ${#missing[@]} -gt 0 ]]; then
    log "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The distributions, one folder each (docs/architecture.md), all editable, and the dev tools of
# the top-level pyproject.toml. One pip call, so the local distributions satisfy each other.
distributions=(runtime api client operator examples devtools)
stamp=.venv/.installed-$(cat pyproject.toml "${distributions[@]/%//pyproject.toml}" | sha256sum | cut -c1-16)
if [[ ! -f "$stamp" ]]; then
    log "creating the virtualenv in .venv"
    python3 -m venv .venv
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet "${distributions[@]/#/--editable=./}" --editable='.[dev]'
    rm -f .venv/.installed-*
    touch "$stamp"
fi

bash scripts/build-control-plane.sh >/dev/null
log "ready"
