#!/usr/bin/env bash
# Builds the three images of the Dockerfile (runtime, examples, operator) without a Docker
# engine and without a registry, then smoke-tests each. Used by CI and by developers; see
# docs/images.md.
#
#   scripts/build-image.sh                      base (once), build, smoke test
#   scripts/build-image.sh --no-smoke-test      base (once), build
#   scripts/build-image.sh --smoke-test-only    smoke-test the images already built
#   scripts/build-image.sh --refresh-base       make the debootstrap base again first
#
# Environment: REGISTRY (default ghcr.io/connectflow; images are REGISTRY/scheduledjob-<target>:
# <version>), BASE_IMAGE (use this local or pullable base instead of making one), SUITE
# (bookworm), DEBIAN_MIRROR, SCHEDULEDJOB_IMAGE_CACHE (default ~/.cache/scheduledjob/image).
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
        -h | --help) sed -n '2,21p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument: $argument (see --help)" ;;
    esac
done

version=$(python3 -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')
REGISTRY=${REGISTRY:-ghcr.io/connectflow}
TARGETS=(runtime examples operator)
image_of() { echo "$REGISTRY/scheduledjob-$1:$version"; }
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
    for target in "${TARGETS[@]}"; do
        IMAGE=$(image_of "$target")
        previous=$(bh inspect --type image --format '{{.FromImageID}}' "$IMAGE" 2>/dev/null || true)
        log "building $IMAGE (target $target) FROM $base"
        started=$(date +%s)
        TMPDIR=$CACHE/tmp bh build \
            --isolation chroot \
            --layers \
            --pull=false \
            --format oci \
            --target "$target" \
            --build-arg BASE_IMAGE="$base" \
            --build-arg VERSION="$version" \
            --build-arg REVISION="$revision" \
            --build-arg CREATED="$created" \
            "${volumes[@]}" \
            --tag "$IMAGE" \
            --file Dockerfile \
            .
        log "built $IMAGE in $(seconds_since "$started")s"
        # The image this tag named before, if it changed (vfs stores full copies: they add
        # up). Not `rmi --prune`: that would also drop the build stage's cached layers.
        if [[ -n $previous && $previous != $(bh inspect --type image --format '{{.FromImageID}}' "$IMAGE") ]]; then
            bh rmi "$previous" >/dev/null 2>&1 || true
        fi
    done
fi

for target in "${TARGETS[@]}"; do
    image_exists "$(image_of "$target")" || die "no image $(image_of "$target") (build it first)"
done

# --- smoke tests -----------------------------------------------------------------------------
# As user 10001, with the image's root file system bind-mounted read-only in a private mount
# namespace and a tmpfs on /tmp (the Pod's emptyDir), run with chroot: what
# readOnlyRootFilesystem does in a Pod (buildah run 1.28 has no --read-only). The examples image
# is also run once through `buildah run`.
if [[ $smoke == yes ]]; then
    started=$(date +%s)
    containers=()
    cleanup() { local c; for c in "${containers[@]}"; do bh rm "$c" >/dev/null 2>&1 || true; done; }
    trap cleanup EXIT
    # mount_image IMAGE: a container of IMAGE, mounted; sets $container, $mountpoint, $image_env.
    mount_image() {
        container=$(bh from --pull=false "$1")
        containers+=("$container")
        mountpoint=$(bh mount "$container")
        mapfile -t image_env < <(bh inspect --type image --format '{{range .OCIv1.Config.Env}}{{println .}}{{end}}' "$1" | sed '/^$/d')
    }
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
    read_only_root() {
        if rorun touch /opt/scheduledjob/written-at-run-time 2>/dev/null; then
            die "the root file system of $1 is writable in the smoke test"
        fi
        rorun touch /tmp/writable || die "/tmp is not writable in $1"
        [[ $(rorun id -u) == 10001 ]] || die "$1 does not run as 10001"
    }

    # The examples image: the five jobs are listed and one runs, both ways.
    IMAGE=$(image_of examples)
    expected=(DataCleanupJob LongRunningJob ReportGenerationJob SubscriptionGracePeriodJob TestMetricsJob)
    check_list() {
        local listing=$1 job
        printf '%s\n' "$listing" | sed 's/^/    /' >&2
        for job in "${expected[@]}"; do
            grep -qw "$job" <<<"$listing" || die "basejob list does not show $job"
        done
    }
    mount_image "$IMAGE"
    log "smoke test $IMAGE: buildah run --user 10001:10001 (tmpfs /tmp)"
    brun() { bh run --isolation chroot --user 10001:10001 --mount type=tmpfs,destination=/tmp "$container" -- "$@"; }
    check_list "$(brun basejob list)"
    output=$(brun basejob run TestMetricsJob --data ErrorRate=0 --data MaxSeconds=0.2 2>&1) \
        || { printf '%s\n' "$output" >&2; die "basejob run TestMetricsJob failed (buildah run)"; }
    log "smoke test $IMAGE: read-only root file system, user 10001, tmpfs /tmp"
    read_only_root "$IMAGE"
    check_list "$(rorun basejob list)"
    output=$(rorun basejob run TestMetricsJob --data ErrorRate=0 --data MaxSeconds=0.2 2>&1) \
        || { printf '%s\n' "$output" >&2; die "basejob run TestMetricsJob failed (read-only root)"; }
    grep -q 'completed successfully' <<<"$output" || die "TestMetricsJob did not report success"
    log "  basejob list: 5 jobs; TestMetricsJob: exit 0, both ways"

    # The runtime image: no example jobs, no operator; a job author's job (here a module on the
    # emptyDir) runs.
    IMAGE=$(image_of runtime)
    mount_image "$IMAGE"
    log "smoke test $IMAGE: read-only root file system, user 10001, tmpfs /tmp"
    read_only_root "$IMAGE"
    output=$(rorun sh -c 'printf "%s\n" "from basejob.job import BaseJob" "class HelloJob(BaseJob):" "    async def execute(self, ctx):" "        ctx.logger.info(\"Hello from the runtime image\")" > /tmp/hello_job.py && PYTHONPATH=/tmp basejob run hello_job:HelloJob' 2>&1) \
        || { printf '%s\n' "$output" >&2; die "basejob run of a job module failed in $IMAGE"; }
    grep -q 'Hello from the runtime image' <<<"$output" || die "the job did not run in $IMAGE"
    if rorun python3 -c 'import basejob_examples' 2>/dev/null || rorun sh -c 'command -v scheduledjob-operator' >/dev/null 2>&1; then
        die "$IMAGE holds the examples or the operator"
    fi
    log "  a job module ran; no examples, no operator"

    # The operator image: its command answers and every module imports.
    IMAGE=$(image_of operator)
    mount_image "$IMAGE"
    log "smoke test $IMAGE: read-only root file system, user 10001, tmpfs /tmp"
    read_only_root "$IMAGE"
    rorun scheduledjob-operator --help >/dev/null || die "scheduledjob-operator --help failed in $IMAGE"
    modules=$(rorun python3 -c '
import importlib, pkgutil, scheduledjob_api, scheduledjob_operator
names = [m.name for p in (scheduledjob_api, scheduledjob_operator) for m in pkgutil.walk_packages(p.__path__, p.__name__ + ".")]
for name in names:
    importlib.import_module(name)
print(len(names))
') || die "a module of the operator does not import in $IMAGE"
    log "  scheduledjob-operator --help: exit 0; $modules modules import"
    log "smoke tests passed in $(seconds_since "$started")s"
fi

for target in "${TARGETS[@]}"; do
    bh images --format '{{.Name}}:{{.Tag}}  {{.ID}}  {{.Size}}' "$(image_of "$target")" | sed 's/^/[build-image] image: /' >&2
done
log "done: ${TARGETS[*]}"
