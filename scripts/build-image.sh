#!/usr/bin/env bash
# Builds the runtime image (Dockerfile) without a Docker engine and without a registry, then
# smoke-tests it. Used by CI and by developers; see docs/images.md.
#
#   scripts/build-image.sh                      base (once), build, smoke test
#   scripts/build-image.sh --no-smoke-test      base (once), build
#   scripts/build-image.sh --smoke-test-only    smoke-test the image already built
#   scripts/build-image.sh --refresh-base       make the debootstrap base again first
#
# Environment: IMAGE (default ghcr.io/connectflow/scheduledjob:<version>), BASE_IMAGE (use this
# local or pullable base instead of making one), SUITE (bookworm), DEBIAN_MIRROR,
# SCHEDULEDJOB_IMAGE_CACHE (default ~/.cache/scheduledjob/image).
#
# How: Debian's buildah with the vfs storage driver and chroot isolation (no kernel overlay, no
# user namespaces, no daemon: works in unprivileged CI containers running as root). As no base
# image can be pulled, a base is made locally: `debootstrap --variant=minbase` plus Debian's
# python3 (3.11) and python3-venv, committed as localhost/scheduledjob-base:<suite>. Cached under
# the cache directory: the rootfs tarball (by suite and package list), buildah's pip cache mount;
# in buildah's storage: the base image and the layers (--layers), so a second build is fast.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { printf '[build-image %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

smoke=yes build=yes refresh_base=no
for argument in "$@"; do
    case "$argument" in
        --smoke-test) smoke=yes ;;
        --no-smoke-test) smoke=no ;;
        --smoke-test-only) smoke=yes build=no ;;
        --refresh-base) refresh_base=yes ;;
        -h | --help) sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument: $argument (see --help)" ;;
    esac
done

version=$(python3 -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')
IMAGE=${IMAGE:-ghcr.io/connectflow/scheduledjob:$version}
SUITE=${SUITE:-bookworm}
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
CACHE=${SCHEDULEDJOB_IMAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/scheduledjob/image}
# What the base adds to minbase: the interpreter, venv (ensurepip), and CA certificates (TLS at
# run time: OTLP, Pushgateway, databases). No python3-pip: the Dockerfile uses venvs' pip.
BASE_PACKAGES=python3,python3-venv,ca-certificates
CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt

# vfs + chroot: the only combination that needs neither overlay mounts nor namespaces beyond
# what a root process in a container has. The flags and the variables both say so.
export STORAGE_DRIVER=vfs BUILDAH_ISOLATION=chroot
bh() { buildah --storage-driver vfs "$@"; }

# --- tools -----------------------------------------------------------------------------------
missing=()
command -v buildah >/dev/null || missing+=(buildah)
command -v debootstrap >/dev/null || missing+=(debootstrap)
if [[ ${#missing[@]} -gt 0 ]]; then
    [[ $EUID -eq 0 ]] || die "needs root to install ${missing[*]} (and for buildah's vfs storage)"
    log "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
[[ $EUID -eq 0 ]] || die "run as root: buildah's chroot isolation and debootstrap need it here"
mkdir -p "$CACHE"

image_exists() { bh inspect --type image "$1" >/dev/null 2>&1; }
# The base's identity: suite, packages, mirror and this recipe (make_base's own text), so that a
# change to any of them makes a new rootfs tarball and a new base image.
base_key() {
    { printf '%s %s %s\n' "$SUITE" "$BASE_PACKAGES" "$DEBIAN_MIRROR"; declare -f make_base; } \
        | sha256sum | cut -c1-12
}
base_key_of() { bh inspect --type image --format '{{index .OCIv1.Config.Labels "dev.scheduledjob.base-key"}}' "$1" 2>/dev/null; }
seconds_since() { echo $(( $(date +%s) - $1 )); }

# --- the base image --------------------------------------------------------------------------
make_base() {
    local base=$1 key tarball started rootfs container mountpoint
    started=$(date +%s)
    key=$(base_key)
    tarball=$CACHE/rootfs-$SUITE-$key.tar
    if [[ ! -f $tarball || $refresh_base == yes ]]; then
        rootfs=$(mktemp -d "$CACHE/rootfs.XXXXXX")
        log "debootstrap --variant=minbase $SUITE + $BASE_PACKAGES (a few minutes, once)"
        debootstrap --variant=minbase --include="$BASE_PACKAGES" "$SUITE" "$rootfs" "$DEBIAN_MIRROR" \
            > "$CACHE/debootstrap.log" 2>&1 \
            || { tail -n 30 "$CACHE/debootstrap.log" >&2; rm -rf "$rootfs"; die "debootstrap failed (log: $CACHE/debootstrap.log)"; }
        # Slim it like the official -slim images: no package caches or lists, docs or man pages;
        # no host files debootstrap copied in (the container runtime provides them).
        # The dpkg excludes are those of Debian's -slim images, so that packages installed later
        # (images built FROM ours) stay slim too.
        rm -rf "$rootfs"/var/cache/apt/* "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/log/*.log \
            "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* \
            "$rootfs"/usr/share/groff/* "$rootfs"/usr/share/lintian/* "$rootfs"/usr/share/linda/* \
            "$rootfs"/etc/resolv.conf "$rootfs"/etc/hostname "$rootfs"/tmp/*
        find "$rootfs"/usr/share/doc -mindepth 1 ! -type d ! -name copyright -delete
        find "$rootfs"/usr/share/locale -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
        cat > "$rootfs"/etc/dpkg/dpkg.cfg.d/docker <<'EXCLUDES'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EXCLUDES
        tar --numeric-owner --xattrs -C "$rootfs" -cf "$tarball.partial" .
        mv "$tarball.partial" "$tarball"
        rm -rf "$rootfs"
        log "rootfs cached: $tarball ($(du -h "$tarball" | cut -f1))"
    else
        log "rootfs from cache: $tarball"
    fi
    container=$(bh from scratch)
    mountpoint=$(bh mount "$container")
    tar --numeric-owner --xattrs -C "$mountpoint" -xf "$tarball"
    bh umount "$container" >/dev/null
    bh config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        --env LANG=C.UTF-8 --cmd python3 \
        --label org.opencontainers.image.description="Debian $SUITE minbase + $BASE_PACKAGES (debootstrap)" \
        --label dev.scheduledjob.base-key="$key" \
        "$container"
    bh commit --quiet --rm "$container" "$base" >/dev/null
    log "base image $base made in $(seconds_since "$started")s"
}

if [[ $build == yes ]]; then
    if [[ -n ${BASE_IMAGE:-} ]]; then
        base=$BASE_IMAGE
        log "base image: $base (given)"
    else
        base=localhost/scheduledjob-base:$SUITE
        if [[ $refresh_base == yes ]] || [[ $(base_key_of "$base") != "$(base_key)" ]]; then
            make_base "$base"
        else
            log "base image: $base (exists; --refresh-base makes it again)"
        fi
    fi

    # --- the image -------------------------------------------------------------------------
    # TMPDIR: buildah keeps RUN --mount=type=cache directories under $TMPDIR/buildah-cache-<uid>,
    # so the pip cache lives in our cache directory and survives reboots.
    mkdir -p "$CACHE/tmp"
    volumes=()
    # The host's CA bundle for pip in the build stage (TLS-inspecting proxies; the Dockerfile
    # points PIP_CERT at this path).
    [[ -f $CA_BUNDLE ]] && volumes+=(--volume "$CA_BUNDLE:$CA_BUNDLE:ro")
    # Stable per commit (not the wall clock), so that labels never defeat the layer cache.
    revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)
    created=$(git log -1 --format=%cI 2>/dev/null || echo unknown)
    previous=$(bh inspect --type image --format '{{.FromImageID}}' "$IMAGE" 2>/dev/null || true)
    log "building $IMAGE FROM $base"
    started=$(date +%s)
    TMPDIR=$CACHE/tmp bh build \
        --isolation chroot \
        --layers \
        --pull=false \
        --format oci \
        --build-arg BASE_IMAGE="$base" \
        --build-arg VERSION="$version" \
        --build-arg REVISION="$revision" \
        --build-arg CREATED="$created" \
        "${volumes[@]}" \
        --tag "$IMAGE" \
        --file Dockerfile \
        .
    build_seconds=$(seconds_since "$started")
    log "built $IMAGE in ${build_seconds}s"
    # The image this tag named before, if it changed (vfs stores full copies: they add up). Not
    # `rmi --prune`: that would also drop the build stage's cached layers.
    if [[ -n $previous && $previous != $(bh inspect --type image --format '{{.FromImageID}}' "$IMAGE") ]]; then
        bh rmi "$previous" >/dev/null 2>&1 || true
    fi
fi

image_exists "$IMAGE" || die "no image $IMAGE (build it first)"

# --- smoke test ------------------------------------------------------------------------------
# Two ways, both as user 10001:
#  1. `buildah run` with a tmpfs on /tmp. buildah run (1.28) has no --read-only, so ...
#  2. ... the image's root file system, bind-mounted read-only in a private mount namespace,
#     with a tmpfs on /tmp (the Pod's emptyDir), run with chroot: what readOnlyRootFilesystem
#     does in a Pod.
if [[ $smoke == yes ]]; then
    started=$(date +%s)
    container=$(bh from --pull=false "$IMAGE")
    cleanup() { bh rm "$container" >/dev/null 2>&1 || true; }
    trap cleanup EXIT
    expected=(DataCleanupJob LongRunningJob ReportGenerationJob SubscriptionGracePeriodJob TestMetricsJob)
    check_list() {
        local listing=$1 job
        printf '%s\n' "$listing" | sed 's/^/    /' >&2
        for job in "${expected[@]}"; do
            grep -qw "$job" <<<"$listing" || die "basejob list does not show $job"
        done
    }

    log "smoke test 1: buildah run --user 10001:10001 (tmpfs /tmp)"
    brun() { bh run --isolation chroot --user 10001:10001 --mount type=tmpfs,destination=/tmp "$container" -- "$@"; }
    [[ $(brun id -u) == 10001 ]] || die "not running as 10001"
    check_list "$(brun basejob list)"
    output=$(brun basejob run TestMetricsJob --data ErrorRate=0 --data MaxSeconds=0.2 2>&1) \
        || { printf '%s\n' "$output" >&2; die "basejob run TestMetricsJob failed (buildah run)"; }
    log "  basejob list: 5 jobs; basejob run TestMetricsJob: exit 0"

    log "smoke test 2: read-only root file system, user 10001, tmpfs /tmp"
    mountpoint=$(bh mount "$container")
    mapfile -t image_env < <(bh inspect --type image --format '{{range .OCIv1.Config.Env}}{{println .}}{{end}}' "$IMAGE" | sed '/^$/d')
    rorun() {
        unshare --mount --propagation private -- sh -eu -c '
            root=$1; shift
            mount --bind "$root" "$root"
            mount -o remount,bind,ro "$root"
            mount -t tmpfs -o mode=1777 tmpfs "$root/tmp"
            mount --rbind /dev "$root/dev"
            mount --rbind /proc "$root/proc"
            exec chroot --userspec=10001:10001 "$root" "$@"
        ' rorun "$mountpoint" /usr/bin/env -i "${image_env[@]}" sh -c 'cd /tmp && exec "$@"' sh "$@"
    }
    if rorun touch /opt/scheduledjob/written-at-run-time 2>/dev/null; then
        die "the root file system is writable in smoke test 2"
    fi
    rorun touch /tmp/writable || die "/tmp is not writable in smoke test 2"
    check_list "$(rorun basejob list)"
    output=$(rorun basejob run TestMetricsJob --data ErrorRate=0 --data MaxSeconds=0.2 2>&1) \
        || { printf '%s\n' "$output" >&2; die "basejob run TestMetricsJob failed (read-only root)"; }
    grep -q 'completed successfully' <<<"$output" || die "TestMetricsJob did not report success"
    # The operator is configured by environment only and would start: import it, find it on PATH.
    rorun sh -c 'command -v scheduledjob-operator && python3 -c "import scheduledjob_operator.main"' >/dev/null \
        || die "scheduledjob-operator is not on PATH or does not import"
    bh umount "$container" >/dev/null
    log "  read-only root: basejob list: 5 jobs; TestMetricsJob: exit 0; scheduledjob-operator on PATH"
    log "smoke test passed in $(seconds_since "$started")s"
fi

bh images --format '{{.Name}}:{{.Tag}}  {{.ID}}  {{.Size}}' "$IMAGE" | sed 's/^/[build-image] image: /' >&2
[[ -n ${build_seconds:-} ]] && log "build time: ${build_seconds}s"
log "done: $IMAGE"
