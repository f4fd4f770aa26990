#!/usr/bin/env bash
# Builds the real Kubernetes control plane used by tests and the demo, from the Go module proxy.
#
# Why a script: there is no kind, k3s, minikube or Docker engine on our machines, so we build
# etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, helm and kwok
# ourselves, pinned to exact releases, version-stamped (an unstamped build reports v0.0.0,
# which breaks helm and kubectl), and cached under ~/.cache so the next run does nothing.
#
# Usage: scripts/build-control-plane.sh            build what is missing, print the bin dir last
#        scripts/build-control-plane.sh --print-bin-dir   only print the bin dir
set -euo pipefail

KUBERNETES_VERSION="v1.37.2"
ETCD_VERSION="v3.6.16"
HELM_VERSION="v3.22.0"
KWOK_VERSION="v0.8.0"

CACHE_ROOT="${SCHEDULEDJOB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/scheduledjob}"
BIN_DIR="$CACHE_ROOT/bin/k8s-$KUBERNETES_VERSION-etcd-$ETCD_VERSION-helm-$HELM_VERSION-kwok-$KWOK_VERSION"
BUILD_ROOT="$CACHE_ROOT/build"

if [[ "${1:-}" == "--print-bin-dir" ]]; then
    echo "$BIN_DIR"
    exit 0
fi

export GOMODCACHE="$CACHE_ROOT/go/mod"
export GOCACHE="$CACHE_ROOT/go/build-cache"
export GOFLAGS="-mod=mod"
export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
export CGO_ENABLED=0
mkdir -p "$BIN_DIR" "$BUILD_ROOT"

log() { printf '[build-control-plane %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# stamp NAME: a built binary counts only once its stamp exists, so an interrupted build is redone.
built() { [[ -x "$BIN_DIR/$1" && -f "$BIN_DIR/.$1.done" ]]; }
mark_built() { touch "$BIN_DIR/.$1.done"; }

# new_module DIR: an empty throwaway module to build released commands from.
new_module() {
    local dir="$1"
    rm -rf "$dir"
    mkdir -p "$dir"
    (cd "$dir" && go mod init scheduledjob.local/build >/dev/null 2>&1)
}

# go_mod_of MODULE@VERSION: path of that release's own go.mod in the module cache.
go_mod_of() {
    go mod download -json "$1" | python3 -c 'import json, sys; print(json.load(sys.stdin)["GoMod"])'
}

build_kubernetes() {
    local missing=()
    for cmd in kube-apiserver kube-controller-manager kube-scheduler kubectl; do
        built "$cmd" || missing+=("$cmd")
    done
    [[ ${#missing[@]} -eq 0 ]] && { log "kubernetes $KUBERNETES_VERSION: cached"; return; }

    local dir="$BUILD_ROOT/kubernetes-$KUBERNETES_VERSION"
    new_module "$dir"
    log "kubernetes $KUBERNETES_VERSION: resolving modules (k8s.io/kubernetes replaces its staging modules; we pin each to its v0 release)"
    local upstream_mod staging_minor
    upstream_mod="$(cd "$dir" && go_mod_of "k8s.io/kubernetes@$KUBERNETES_VERSION")"
    staging_minor="v0.${KUBERNETES_VERSION#v1.}"
    {
        echo
        grep -E '^godebug ' "$upstream_mod" || true
        echo "require k8s.io/kubernetes $KUBERNETES_VERSION"
        grep -E '^\s*k8s\.io/[a-z0-9-]+ => \./staging/' "$upstream_mod" \
            | awk -v v="$staging_minor" '{print "replace " $1 " => " $1 " " v}'
    } >>"$dir/go.mod"
    # A build-tagged file naming the commands, so `go mod tidy` resolves their whole import graph.
    {
        echo '//go:build tools'
        echo
        echo 'package tools'
        echo
        echo 'import ('
        for cmd in "${missing[@]}"; do echo "	_ \"k8s.io/kubernetes/cmd/$cmd\""; done
        echo ')'
    } >"$dir/tools.go"
    (cd "$dir" && go mod tidy)

    local ldflags="-s -w -buildid="
    for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
        ldflags+=" -X $pkg.gitVersion=$KUBERNETES_VERSION -X $pkg.gitMajor=1"
        ldflags+=" -X $pkg.gitMinor=$(echo "$KUBERNETES_VERSION" | cut -d. -f2)"
        ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
    done
    for cmd in "${missing[@]}"; do
        log "kubernetes $KUBERNETES_VERSION: building $cmd (the first build takes several minutes)"
        (cd "$dir" && go build -trimpath -tags selinux,notest -ldflags "$ldflags" \
            -o "$BIN_DIR/$cmd" "k8s.io/kubernetes/cmd/$cmd")
        mark_built "$cmd"
    done
}

build_etcd() {
    built etcd && { log "etcd $ETCD_VERSION: cached"; return; }
    local dir="$BUILD_ROOT/etcd-$ETCD_VERSION"
    new_module "$dir"
    log "etcd $ETCD_VERSION: building"
    printf '//go:build tools\n\npackage tools\n\nimport _ "go.etcd.io/etcd/server/v3"\n' >"$dir/tools.go"
    (cd "$dir" && go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" && go mod tidy)
    (cd "$dir" && go build -trimpath -ldflags "-s -w -buildid=" -o "$BIN_DIR/etcd" go.etcd.io/etcd/server/v3)
    mark_built etcd
}

build_helm() {
    built helm && { log "helm $HELM_VERSION: cached"; return; }
    local dir="$BUILD_ROOT/helm-$HELM_VERSION"
    new_module "$dir"
    log "helm $HELM_VERSION: building"
    printf '//go:build tools\n\npackage tools\n\nimport _ "helm.sh/helm/v3/cmd/helm"\n' >"$dir/tools.go"
    (cd "$dir" && go get "helm.sh/helm/v3@$HELM_VERSION" && go mod tidy)
    # Helm reports its own version and assumes a Kubernetes version for `helm template`;
    # stamp both, the latter from the client-go it was built with.
    local client_go k8s_minor
    client_go="$(cd "$dir" && go list -m -f '{{.Version}}' k8s.io/client-go)"
    k8s_minor="$(echo "$client_go" | cut -d. -f2)"
    local ldflags="-s -w -buildid= -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
    ldflags+=" -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
    ldflags+=" -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$k8s_minor"
    ldflags+=" -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$k8s_minor"
    (cd "$dir" && go build -trimpath -ldflags "$ldflags" -o "$BIN_DIR/helm" helm.sh/helm/v3/cmd/helm)
    mark_built helm
}

build_kwok() {
    built kwok && { log "kwok $KWOK_VERSION: cached"; return; }
    local dir="$BUILD_ROOT/kwok-$KWOK_VERSION"
    new_module "$dir"
    log "kwok $KWOK_VERSION: building"
    printf '//go:build tools\n\npackage tools\n\nimport _ "sigs.k8s.io/kwok/cmd/kwok"\n' >"$dir/tools.go"
    (cd "$dir" && go get "sigs.k8s.io/kwok@$KWOK_VERSION" && go mod tidy)
    (cd "$dir" && go build -trimpath -ldflags "-s -w -buildid= -X sigs.k8s.io/kwok/pkg/consts.Version=$KWOK_VERSION" \
        -o "$BIN_DIR/kwok" sigs.k8s.io/kwok/cmd/kwok)
    mark_built kwok
}

started=$(date +%s)
build_etcd
build_kubernetes
build_helm
build_kwok
log "all binaries ready in $(( $(date +%s) - started ))s"
echo "$BIN_DIR"
