#!/usr/bin/env bash
# The cost of DX_SQLITE_SYNCHRONOUS=full on POST /api/v1/clientes/ (see docs/benchmarks.md).
#
# Builds the release binary (or uses DX_BIN), then runs the POST row of scripts/bench.sh
# (wrk, 64 connections, 2 threads) on a fresh SQLite database per run, alternating
# `synchronous=normal` and `synchronous=full`, BENCH_ROUNDS times each, in one session.
#
# Environment (all optional): DX_BIN, BENCH_DURATION (10), BENCH_CONNECTIONS (64),
# BENCH_THREADS (2), BENCH_ROUNDS (2).
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cd "$(dirname "$0")/.."
ROOT=$(pwd)
DURATION=${BENCH_DURATION:-10}
CONNECTIONS=${BENCH_CONNECTIONS:-64}
THREADS=${BENCH_THREADS:-2}
ROUNDS=${BENCH_ROUNDS:-2}

for tool in wrk curl python3; do
  command -v "$tool" >/dev/null 2>&1 || { echo "$tool is required" >&2; exit 1; }
done
if [[ -n "${DX_BIN:-}" ]]; then
  BIN=$DX_BIN
else
  cargo build --release -p dx-connect-server --bin dx-connect >&2
  BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release/dx-connect
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/dx-bench-sync.XXXXXX")
SERVER_PID=""
trap 'stop_server; rm -rf "$WORK"' EXIT

python3 -c 'import json,sys; json.dump({"razao_social": "Bench Comércio Ltda", "nome_fantasia": "Bench",
  "email_principal": "bench@example.com", "telefone_principal": "+551133334444"}, open(sys.argv[1], "w"))' \
  "$WORK/cliente.json"

echo "== machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores," \
  "$(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)," \
  "$(df -T "$WORK" | awk 'NR==2 {print $2}') temp filesystem"

# bench RUN SYNCHRONOUS
bench() {
  local run=$1 sync=$2 port base token out
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
  base="http://127.0.0.1:$port"
  env DATABASE_URL="sqlite://$WORK/$run.db?mode=rwc" MEDIA_ROOT="$WORK/$run-media" DX_DATA_DIR="$WORK" \
    RUST_LOG=warn CEP_PROVIDER=offline DJANGO_SECRET_KEY=bench-secret-key-bench-secret-key \
    DX_SQLITE_SYNCHRONOUS="$sync" BIND=127.0.0.1 PORT="$port" "$BIN" serve >"$WORK/server-$run.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 150); do
    curl -fs "$base/api/v1/health/" >/dev/null 2>&1 && break
    sleep 0.2
  done
  token=$(curl -fs -X POST "$base/api/v1/auth/token/" -H 'Content-Type: application/json' \
    -d '{"username":"admin","password":"admin123"}' |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["access"])')
  out="$WORK/wrk-$run.out"
  DX_TOKEN=$token DX_METHOD=POST DX_BODY_FILE="$WORK/cliente.json" DX_CONTENT_TYPE=application/json \
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$ROOT/scripts/wrk.lua" \
    "$base/api/v1/clientes/" >"$out"
  stop_server
  printf '  synchronous=%-6s %8s req/s  p50 %-9s p99 %-9s non-2xx %s\n' "$sync" \
    "$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$out")" \
    "$(awk '$1 == "50%" {print $2}' "$out")" "$(awk '$1 == "99%" {print $2}' "$out")" \
    "$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$out")"
}

echo "== POST /api/v1/clientes/ (no cnpj), $CONNECTIONS connections, ${DURATION}s"
for round in $(seq 1 "$ROUNDS"); do
  bench "normal-$round" normal
  bench "full-$round" full
done
