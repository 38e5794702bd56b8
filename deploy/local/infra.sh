#!/usr/bin/env bash
# The local infrastructure as one unit: Kafka and PostgreSQL.
#   deploy/local/infra.sh up|down|status
# `up` writes .local/env (KAFKA_BOOTSTRAP_SERVERS, DATABASE_URL) for the Makefile and the tests.
# Kafka is started only when KAFKA_BOOTSTRAP_SERVERS is not set by the caller.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
env_file=$repo/.local/env

up() {
  mkdir -p "$repo/.local"
  local bootstrap=${KAFKA_BOOTSTRAP_SERVERS:-}
  if [ -z "$bootstrap" ]; then
    "$here/kafka.sh" start
    bootstrap="127.0.0.1:${KAFKA_PORT:-9092}"
  fi
  "$here/postgres.sh" start
  printf 'KAFKA_BOOTSTRAP_SERVERS=%s\nDATABASE_URL=%s\n' "$bootstrap" "$("$here/postgres.sh" url)" > "$env_file"
  cat "$env_file"
}

down() {
  "$here/kafka.sh" stop
  "$here/postgres.sh" stop
  rm -f "$env_file"
}

status() {
  local rc=0
  "$here/kafka.sh" status || rc=$?
  "$here/postgres.sh" status || rc=$?
  return $rc
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
