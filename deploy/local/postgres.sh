#!/usr/bin/env bash
# PostgreSQL for local runs and tests, without Docker.
#   deploy/local/postgres.sh start|stop|status|url
# When DATABASE_URL is set and a server answers there, that server is used and nothing is started.
# Otherwise Debian's postgresql package is installed if missing and a cluster of this checkout runs on
# 127.0.0.1:PG_PORT (54329), started and stopped by its pid. Where the cluster lives (PG_STATE_DIR
# overrides it):
#   - as an ordinary user: <repo>/.local/pg-<port>, run as that user;
#   - as root: PostgreSQL refuses to run as root, so the cluster runs as the package's `postgres` user,
#     who may not be able to enter the checkout (a private home, `mktemp -d`). Its folder is then
#     /var/tmp/oncall-scheduler-pg/<hash of the repo path>-<port>, owned by postgres; a cluster
#     already in <repo>/.local/pg-<port> (made by an earlier version of this script) is kept.
# The server listens on TCP only (no Unix socket: a deep or odd checkout path cannot break it).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
port=${PG_PORT:-54329}
local_url="postgresql://postgres@127.0.0.1:$port/postgres"

log() { echo "postgres[$port]: $*" >&2; }
fail() { log "$*"; exit 1; }

is_root() { [ "$(id -u)" -eq 0 ]; }

state_dir() {
  if [ -n "${PG_STATE_DIR:-}" ]; then echo "$PG_STATE_DIR"; return; fi
  local in_checkout=$repo/.local/pg-$port
  if ! is_root || [ -f "$in_checkout/data/PG_VERSION" ]; then echo "$in_checkout"; return; fi
  local key; key=$(printf '%s' "$repo" | sha256sum | cut -c1-12)
  echo "${PG_STATE_ROOT:-/var/tmp/oncall-scheduler-pg}/$key-$port"
}

state=$(state_dir)
data=$state/data
server_log=$state/server.log

# A server at DATABASE_URL that is not this checkout's cluster (checked after `running`): it may be at
# the very URL `make up` writes, e.g. the server of another checkout when .local/env was copied over.
external_url_answers() {
  [ -n "${DATABASE_URL:-}" ] || return 1
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
  local sudo=""; is_root || sudo="sudo"
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >&2
}

# As root, the cluster's commands run as `postgres`, from / (the caller's folder may be closed to it).
as_owner() {
  if is_root; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

running() { [ -f "$data/postmaster.pid" ] && kill -0 "$(head -n 1 "$data/postmaster.pid")" 2>/dev/null; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; }

port_holder() { # "(postgres, pid 123)" for whatever listens on the port, when ss can tell
  command -v ss >/dev/null || return 0
  ss -Hltnp "sport = :$port" 2>/dev/null | grep -o '(("[^"]*",pid=[0-9]*' | head -n 1 \
    | sed -E 's/\(\("([^"]*)",pid=([0-9]*)/(\1, pid \2)/' || true
}

check_port_free() {
  port_open || return 0
  fail "port $port is already in use by another program $(port_holder); stop it, or choose another port: PG_PORT=<port> (then run the same command again)"
}

prepare_state() {
  mkdir -p "$state"
  if is_root; then
    chown postgres:postgres "$state"
    chmod 0700 "$state"
    as_owner test -w "$state" || fail "the postgres user cannot write $state (is a parent folder private?); set PG_STATE_DIR to a folder it can reach"
  fi
}

init_cluster() {
  [ -f "$data/PG_VERSION" ] && return 0
  prepare_state
  log "creating a cluster in $data"
  local out
  if ! out=$(as_owner "$(pg_bin)/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 2>&1); then
    echo "$out" >&2
    fail "initdb failed in $data"
  fi
  cat >> "$data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = ''
max_connections = 300
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 128MB
CONF
}

start() {
  if running; then log "already running (pid $(head -n 1 "$data/postmaster.pid"), data in $data)"; return 0; fi
  if external_url_answers; then log "using the server at DATABASE_URL"; return 0; fi
  check_port_free
  install_postgres
  init_cluster
  local out
  if ! out=$(as_owner "$(pg_bin)/pg_ctl" -D "$data" -l "$server_log" -w -t 60 start 2>&1); then
    echo "$out" | tail -n 5 >&2
    log "the server did not start; last lines of $server_log:"
    tail -n 20 "$server_log" >&2 2>/dev/null || true
    exit 1
  fi
  log "ready at $local_url (pid $(head -n 1 "$data/postmaster.pid"), data in $data)"
}

stop() {
  if ! running; then log "not running"; return 0; fi
  as_owner "$(pg_bin)/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null
  log "stopped"
}

status() {
  if running; then echo "postgres: running at $local_url (pid $(head -n 1 "$data/postmaster.pid"), data in $data)"
  elif external_url_answers; then echo "postgres: external server at DATABASE_URL"
  else echo "postgres: stopped"; return 3; fi
}

url() { if ! running && external_url_answers; then echo "$DATABASE_URL"; else echo "$local_url"; fi; }

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  url) url ;;
  *) echo "usage: $0 start|stop|status|url" >&2; exit 2 ;;
esac
