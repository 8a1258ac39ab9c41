#!/usr/bin/env bash
# Scale figures of several instances (issue 12 §5): BENCH_INSTANCES (3) servers on one
# PostgreSQL database and the local Redis, BENCH_CLUSTER_SOCKETS (45000) authenticated
# WebSockets spread evenly over them, then broadcasts raised on the first instance while a
# sample of BENCH_CLUSTER_SAMPLE (1000) sockets on the last one measures the delivery.
#
# Every socket belongs to the admin user, so each webhook's `message_received` event goes to
# every socket of every instance (the broadcast), crossing Redis to reach the others. Sockets
# connect to the instances directly: 45,000 connections from 127.0.0.1 to one nginx port
# would need more ephemeral ports than the loopback address has (about 28,000).
#
# Environment: DX_BIN / WS_LOAD_BIN, BENCH_PG_URL, REDIS_URL, BENCH_INSTANCES,
# BENCH_CLUSTER_SOCKETS, BENCH_CLUSTER_SAMPLE, BENCH_CLUSTER_ROUNDS (10).
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PG=${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432}
REDIS=${REDIS_URL:-redis://127.0.0.1:6379}
N=${BENCH_INSTANCES:-3}
SOCKETS=${BENCH_CLUSTER_SOCKETS:-45000}
SAMPLE=${BENCH_CLUSTER_SAMPLE:-1000}
ROUNDS=${BENCH_CLUSTER_ROUNDS:-10}
DB=dx_scale
release_binaries
WORK=$(mktemp -d "${TMPDIR:-/tmp}/dx-bench-cluster.XXXXXX")
PIDS=()
HOLDS=()
cleanup() {
  for p in "${HOLDS[@]}"; do kill -INT "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
rss_mib() { awk '/^VmRSS:/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }

echo "== machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores," \
  "$(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB" >/dev/null
prefix="dxscale$RANDOM"
BASES=()
for i in $(seq 1 "$N"); do
  port=$(free_port)
  env DATABASE_URL="$PG/$DB" REDIS_URL="$REDIS" DX_REDIS_PREFIX="$prefix" MEDIA_ROOT="$WORK/media" \
    DX_DATA_DIR="$WORK" CEP_PROVIDER=offline RUST_LOG=warn WHATSAPP_STUB_FAST=1 \
    DJANGO_SECRET_KEY=bench-secret-key-bench-secret-key DX_MAX_CONNECTIONS=20000 \
    JWT_ACCESS_TOKEN_LIFETIME=60 BIND=127.0.0.1 PORT="$port" "$BIN" serve >"$WORK/server-$i.log" 2>&1 &
  PIDS+=($!)
  BASES+=("http://127.0.0.1:$port")
  for _ in $(seq 1 150); do
    curl -fs "http://127.0.0.1:$port/api/v1/health/" >/dev/null 2>&1 && break
    sleep 0.2
  done
done
TOKEN=$(curl -fs -X POST "${BASES[0]}/api/v1/auth/token/" -H 'Content-Type: application/json' \
  -d '{"username":"admin","password":"admin123"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["access"])')
curl -fs -X POST "${BASES[0]}/api/v1/whatsapp/sessions/start/" -H "Authorization: Bearer $TOKEN" \
  -H 'Content-Type: application/json' -d '{}' >/dev/null
declare -a RSS0
for i in $(seq 0 $((N - 1))); do RSS0[$i]=$(rss_mib "${PIDS[$i]}"); done

per=$(( SOCKETS / N ))
echo "== opening $SOCKETS sockets ($per per instance; $SAMPLE of the last instance's are the sample)"
t0=$(date +%s.%N)
for i in $(seq 0 $((N - 1))); do
  n=$per
  [[ $i -eq $((N - 1)) ]] && n=$(( per - SAMPLE ))
  "$WSLOAD" hold --base "${BASES[$i]}" --password admin123 --sockets "$n" --secs 3600 \
    >"$WORK/hold-$i.out" 2>"$WORK/hold-$i.err" &
  HOLDS+=($!)
done
for i in $(seq 0 $((N - 1))); do
  for _ in $(seq 1 2400); do
    grep -q '^connect_secs=' "$WORK/hold-$i.out" 2>/dev/null && break
    sleep 0.25
  done
done
held=0
for i in $(seq 0 $((N - 1))); do held=$(( held + $(kv "$WORK/hold-$i.out" connected) )); done
open_secs=$(python3 -c "import time; print(round(time.time() - $t0, 1))")
echo "  held $held sockets after ${open_secs}s"
echo "== $ROUNDS broadcasts raised on instance 1, measured on $SAMPLE sockets of instance $N"
"$WSLOAD" fanout --base "${BASES[$((N - 1))]}" --trigger-base "${BASES[0]}" --password admin123 \
  --sockets "$SAMPLE" --rounds "$ROUNDS" --round-timeout-ms 20000 >"$WORK/fanout.out" 2>"$WORK/fanout.err" \
  || { cat "$WORK/fanout.err" >&2; exit 1; }
sed 's/^/  fanout: /' "$WORK/fanout.out"
echo
echo "| figure | value | target |"
echo "|---|---:|---|"
echo "| sockets held (+ $SAMPLE sample) | $held + $(kv "$WORK/fanout.out" connected) | $SOCKETS |"
echo "| time to open them | ${open_secs} s | |"
echo "| broadcast delivery p50 / p99 (sample, cross-instance) | $(kv "$WORK/fanout.out" latency_p50_ms) / $(kv "$WORK/fanout.out" latency_p99_ms) ms | p99 < 100 ms |"
echo "| frames lost in the sample | $(kv "$WORK/fanout.out" lost) of $(kv "$WORK/fanout.out" expected) | 0 |"
for i in $(seq 0 $((N - 1))); do
  echo "| instance $((i + 1)) RSS before / with sockets | ${RSS0[$i]} / $(rss_mib "${PIDS[$i]}") MiB | |"
done
