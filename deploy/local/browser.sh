#!/usr/bin/env bash
# What the web UI's browser tests need, installed by the project itself (idempotent):
#   deploy/local/browser.sh install|paths
# - Debian's chromium package (/usr/bin/chromium), unless it is already there;
# - axe-core from the npm registry into .cache/axe-core/ (its axe.min.js is injected into pages).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
chromium=${CHROMIUM:-/usr/bin/chromium}
axe_version=${AXE_CORE_VERSION:-4.10.2}
axe_dir=$repo/.cache/axe-core/$axe_version

log() { echo "browser: $*" >&2; }

install_chromium() {
  [ -x "$chromium" ] && return 0
  log "installing Debian's chromium package"
  local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >&2
}

install_axe() {
  [ -f "$axe_dir/package/axe.min.js" ] && return 0
  command -v npm >/dev/null || { log "npm is needed to fetch axe-core"; return 1; }
  log "fetching axe-core $axe_version from the npm registry"
  mkdir -p "$axe_dir"
  local tarball
  tarball=$(cd "$axe_dir" && npm pack --silent "axe-core@$axe_version")
  tar -xzf "$axe_dir/$tarball" -C "$axe_dir"
  rm -f "$axe_dir/$tarball"
}

case "${1:-}" in
  install) install_chromium; install_axe ;;
  paths) printf 'CHROMIUM=%s\nAXE_CORE_JS=%s\n' "$chromium" "$axe_dir/package/axe.min.js" ;;
  *) echo "usage: $0 install|paths" >&2; exit 2 ;;
esac
