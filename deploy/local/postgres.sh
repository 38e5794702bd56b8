#!/usr/bin/env bash
# PostgreSQL for local runs and tests, without Docker.
#   deploy/local/postgres.sh start|stop|status|url
# When DATABASE_URL is set and a server answers there, that server is used and nothing is started.
# Otherwise Debian's postgresql package is installed if missing and a project-local cluster runs in
# PG_STATE_DIR (<repo>/.local/pg-<port>) on 127.0.0.1:PG_PORT (54329), started and stopped by its pid.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
port=${PG_PORT:-54329}
state=${PG_STATE_DIR:-$repo/.local/pg-$port}
data=$state/data
local_url="postgresql://postgres@127.0.0.1:$port/postgres"

log() { echo "postgres[$port]: $*" >&2; }

external_url_answers() {
  [ -n "${DATABASE_URL:-}" ] && [ "${DATABASE_URL}" != "$local_url" ] || return 1
  command -v pg_isready >/dev/null && pg_isready -q -d "${DATABASE_URL/+asyncpg/}" -t 3
}

pg_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  [ -n "$dir" ] && [ -x "$dir/pg_ctl" ] && echo "$dir"
}

install_postgres() {
  pg_bin >/dev/null && return 0
  log "installing Debian's postgresql package"
  local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >&2
}

# PostgreSQL refuses to run as root; as root we run the cluster as the package's `postgres` user.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

running() { [ -f "$data/postmaster.pid" ] && kill -0 "$(head -n 1 "$data/postmaster.pid")" 2>/dev/null; }

init_cluster() {
  [ -f "$data/PG_VERSION" ] && return 0
  mkdir -p "$state"
  [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$state"
  as_owner "$(pg_bin)/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  cat >> "$data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$state'
max_connections = 300
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 128MB
CONF
}

start() {
  if external_url_answers; then log "using the server at DATABASE_URL"; return 0; fi
  if running; then log "already running"; return 0; fi
  install_postgres
  init_cluster
  as_owner "$(pg_bin)/pg_ctl" -D "$data" -l "$state/server.log" -w -t 60 start >/dev/null
  log "ready at $local_url (pid $(head -n 1 "$data/postmaster.pid"))"
}

stop() {
  if ! running; then log "not running"; return 0; fi
  as_owner "$(pg_bin)/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null
  log "stopped"
}

status() {
  if external_url_answers; then echo "postgres: external server at DATABASE_URL"; return 0; fi
  if running; then echo "postgres: running at $local_url (pid $(head -n 1 "$data/postmaster.pid"))"
  else echo "postgres: stopped"; return 3; fi
}

url() { if external_url_answers; then echo "$DATABASE_URL"; else echo "$local_url"; fi; }

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  url) url ;;
  *) echo "usage: $0 start|stop|status|url" >&2; exit 2 ;;
esac
