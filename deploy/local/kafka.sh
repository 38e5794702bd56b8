#!/usr/bin/env bash
# A single-node Apache Kafka broker (KRaft, combined broker + controller) without Docker.
# The jars come from Maven Central through Maven into a cache folder outside git.
#   deploy/local/kafka.sh start|stop|status|restart
# Settings (environment): KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (KAFKA_PORT + 1000),
# KAFKA_STATE_DIR (<repo>/.local/kafka-<port>), KAFKA_HEAP (-Xms256m -Xmx512m), ONCALL_CACHE_DIR.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
port=${KAFKA_PORT:-9092}
controller_port=${KAFKA_CONTROLLER_PORT:-$((port + 1000))}
state=${KAFKA_STATE_DIR:-$repo/.local/kafka-$port}
heap=${KAFKA_HEAP:--Xms256m -Xmx512m}
cache=${ONCALL_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/oncall-scheduler}
version=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$here/kafka/pom.xml")
libs=$cache/kafka-$version-$(md5sum "$here/kafka/pom.xml" | cut -c1-8)/libs
pid_file=$state/kafka.pid

log() { echo "kafka[$port]: $*" >&2; }

resolve_jars() {
  [ -f "$libs/.complete" ] && return 0
  log "resolving Apache Kafka $version from Maven Central into $libs"
  mkdir -p "$libs"
  local out
  if ! out=$(mvn -q -B -f "$here/kafka/pom.xml" dependency:copy-dependencies \
    -DoutputDirectory="$libs" -DincludeScope=runtime 2>&1); then
    echo "$out" | tail -n 30 >&2
    log "Maven could not resolve the Kafka jars (it needs Maven Central or a mirror in ~/.m2/settings.xml)"
    return 1
  fi
  touch "$libs/.complete"
}

kafka_java() { # main class and arguments; runs a Kafka tool on the resolved classpath
  java -Xmx256m -Dlog4j2.configurationFile="$here/kafka/log4j2.properties" \
    -Dkafka.logs.dir="$state/logs" -cp "$libs/*" "$@"
}

running() { [ -f "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null; }

write_config() {
  mkdir -p "$state/data" "$state/logs"
  cat > "$state/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$controller_port
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller_port
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$state/data
num.partitions=1
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
PROPS
}

format_storage() {
  [ -f "$state/data/meta.properties" ] && return 0
  local cluster_id
  cluster_id=$(kafka_java kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)
  kafka_java kafka.tools.StorageTool format -t "$cluster_id" -c "$state/server.properties" \
    --standalone >"$state/logs/format.log" 2>&1
}

metadata_ok() {
  kafka_java org.apache.kafka.tools.BrokerApiVersionsCommand \
    --bootstrap-server "127.0.0.1:$port" >/dev/null 2>&1
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; }

port_in_use() { # names the holder of a port, when ss can tell; fails when the port is free
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null || return 1
  local holder=""
  command -v ss >/dev/null && holder=$(ss -Hltnp "sport = :$1" 2>/dev/null | grep -o '(("[^"]*",pid=[0-9]*' \
    | head -n 1 | sed -E 's/\(\("([^"]*)",pid=([0-9]*)/ (\1, pid \2)/' || true)
  log "port $1 is already in use by another program$holder; stop it, or choose other ports: KAFKA_PORT=<port> (the controller uses KAFKA_PORT + 1000, or KAFKA_CONTROLLER_PORT)"
}

start() {
  if running; then log "already running (pid $(cat "$pid_file"))"; return 0; fi
  if port_in_use "$port" || port_in_use "$controller_port"; then return 1; fi
  resolve_jars
  write_config
  format_storage
  # shellcheck disable=SC2086
  nohup java $heap -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$here/kafka/log4j2.properties" -Dkafka.logs.dir="$state/logs" \
    -cp "$libs/*" kafka.Kafka "$state/server.properties" >"$state/logs/stdout.log" 2>&1 &
  echo $! > "$pid_file"
  local deadline=$((SECONDS + 60))
  until port_open && metadata_ok; do
    if ! running; then log "broker exited; see $state/logs"; tail -n 20 "$state/logs/stdout.log" >&2; return 1; fi
    if [ $SECONDS -ge $deadline ]; then log "not ready after 60 s"; return 1; fi
    sleep 0.5
  done
  log "ready on 127.0.0.1:$port (pid $(cat "$pid_file"))"
}

stop() {
  if ! running; then rm -f "$pid_file"; log "not running"; return 0; fi
  local pid; pid=$(cat "$pid_file")
  kill "$pid"
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then log "still running after 20 s; killing"; kill -9 "$pid"; fi
  rm -f "$pid_file"
  log "stopped"
}

status() {
  if running; then echo "kafka: running on 127.0.0.1:$port (pid $(cat "$pid_file"))"
  else echo "kafka: stopped"; return 3; fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  restart) stop; start ;;
  status) status ;;
  *) echo "usage: $0 start|stop|restart|status" >&2; exit 2 ;;
esac
