#!/usr/bin/env bash
# Start or stop a streaming read replica of the PostgreSQL primary on
# 127.0.0.1:5432, for the tests of store/postgres's read replicas.
#
#   .ci/replica.sh start   # prints the replica's URL (TEST_REPLICA_URL) on stdout
#   .ci/replica.sh stop    # stops it and removes its data directory
#   .ci/replica.sh url     # prints the URL
#
# start is idempotent: a replica that runs is kept (with its WAL replay
# resumed, should a test have paused it), a stopped one is started again,
# and a missing or broken one is made anew with pg_basebackup -R. The
# primary must allow replication connections from 127.0.0.1: start adds
#   host replication all 127.0.0.1/32 trust
# to its pg_hba.conf when missing and reloads it (SELECT pg_reload_conf());
# the primary is never restarted. The replica runs as user postgres from a
# data directory under /tmp, on port 5433, listening on 127.0.0.1 only.
set -euo pipefail

PRIMARY_HOST=127.0.0.1
PRIMARY_PORT=${PRIMARY_PORT:-5432}
PORT=${REPLICA_PORT:-5433}
DATA=${REPLICA_DATA:-/tmp/clientele-replica}
LOG="$DATA.log"

say() { echo "replica: $*" >&2; }

# as_postgres runs a command as the postgres user (we may be root).
as_postgres() {
  if [ "$(id -un)" = postgres ]; then
    "$@"
  else
    runuser -u postgres -- "$@"
  fi
}

primary_sql() { psql -X -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U postgres -d postgres -tAc "$1"; }
replica_sql() { psql -X -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -tAc "$1"; }
replica_ready() { pg_isready -q -h 127.0.0.1 -p "$PORT" 2>/dev/null; }

# bin is the directory of the server programs of the primary's major
# version (pg_basebackup and the replica must match it).
bin() {
  local num
  if [ -f "$DATA/PG_VERSION" ]; then
    echo "/usr/lib/postgresql/$(cat "$DATA/PG_VERSION")/bin"
    return
  fi
  num=$(primary_sql "SHOW server_version_num")
  echo "/usr/lib/postgresql/$((num / 10000))/bin"
}

url() { echo "postgres://postgres@127.0.0.1:$PORT/test?sslmode=disable"; }

allow_replication() {
  local hba
  hba=$(primary_sql "SHOW hba_file")
  if ! grep -Eq '^host[[:space:]]+replication[[:space:]]+all[[:space:]]+127\.0\.0\.1/32[[:space:]]+trust' "$hba"; then
    say "allowing replication connections from 127.0.0.1 in $hba"
    # First, so that no earlier line rejects them.
    sed -i '1i host replication all 127.0.0.1/32 trust' "$hba"
    primary_sql "SELECT pg_reload_conf()" >/dev/null
  fi
}

# configure writes the replica's own configuration into its data
# directory: the primary's configuration lives elsewhere (Debian keeps it
# under /etc), and a hot standby needs some settings at least as high as
# the primary's.
configure() {
  local s
  {
    echo "# clientele test replica (.ci/replica.sh)"
    echo "port = $PORT"
    echo "listen_addresses = '127.0.0.1'"
    echo "unix_socket_directories = '$DATA'"
    echo "hot_standby = on"
    echo "hot_standby_feedback = on"
    echo "shared_buffers = 32MB"
    echo "fsync = off"
    echo "ssl = off"
    echo "timezone = 'UTC'"
    for s in max_connections max_worker_processes max_wal_senders max_prepared_transactions max_locks_per_transaction; do
      echo "$s = $(primary_sql "SHOW $s")"
    done
  } >"$DATA/postgresql.conf"
  printf 'local all all trust\nhost all all 127.0.0.1/32 trust\n' >"$DATA/pg_hba.conf"
  : >"$DATA/pg_ident.conf"
  chown postgres:postgres "$DATA/postgresql.conf" "$DATA/pg_hba.conf" "$DATA/pg_ident.conf" 2>/dev/null || true
}

wait_ready() {
  for _ in $(seq 1 60); do
    replica_ready && return 0
    sleep 1
  done
  say "the replica did not come up on 127.0.0.1:$PORT; its log:"
  tail -n 30 "$LOG" >&2 || true
  return 1
}

start() {
  pg_isready -q -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" || { say "the primary on $PRIMARY_HOST:$PRIMARY_PORT is not ready"; return 1; }
  if replica_ready; then
    if [ "$(replica_sql "SELECT pg_is_in_recovery()")" != t ]; then
      say "port $PORT answers but is not a standby"
      return 1
    fi
    replica_sql "SELECT pg_wal_replay_resume()" >/dev/null
    url
    return 0
  fi
  local b
  b=$(bin)
  if [ ! -f "$DATA/standby.signal" ] || [ ! -f "$DATA/PG_VERSION" ]; then
    allow_replication
    say "copying the primary into $DATA (pg_basebackup -R)"
    rm -rf "$DATA"
    as_postgres "$b/pg_basebackup" -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U postgres -D "$DATA" -R -X stream -c fast
    chmod 700 "$DATA"
  fi
  configure
  : >"$LOG"
  chown postgres:postgres "$LOG" 2>/dev/null || true
  say "starting the replica on 127.0.0.1:$PORT"
  if ! as_postgres "$b/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 start >/dev/null; then
    say "pg_ctl start failed; its log:"
    tail -n 30 "$LOG" >&2 || true
    return 1
  fi
  wait_ready
  url
}

stop() {
  if [ -f "$DATA/postmaster.pid" ]; then
    as_postgres "$(bin)/pg_ctl" -D "$DATA" -m fast -w -t 60 stop >/dev/null || true
  fi
  rm -rf "$DATA" "$LOG"
}

case "${1:-}" in
start) start ;;
stop) stop ;;
url) url ;;
*)
  echo "usage: $0 start|stop|url" >&2
  exit 2
  ;;
esac
