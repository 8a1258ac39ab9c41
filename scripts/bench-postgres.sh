#!/usr/bin/env bash
# Load benchmark of a release DX Connect server on PostgreSQL (issue 12, docs/benchmarks.md).
#
# On a fresh database of the local PostgreSQL server: pgbench's select-only figure (the
# ceiling of this machine), then the cliente list page, search and create with the list cache
# off, the search again without the trigram indexes (before/after in one run), webhook intake
# with the stored count checked, and the agents' chat list over BENCH_PG_CHATS open chats.
# wrk: 64 connections, 2 threads, --latency.
#
# Environment (all optional):
#   DX_BIN / WS_LOAD_BIN   use these binaries instead of building
#   BENCH_PG_URL           server URL without a database (postgres://postgres@127.0.0.1:5432)
#   BENCH_DURATION         seconds per figure (10)
#   BENCH_CONNECTIONS      connections (64)
#   BENCH_ROWS             clientes seeded (10000)
#   BENCH_PG_CHATS         open chats for the chat list (10000)
#   BENCH_SEARCH           the ?search= term ("silva")
#   BENCH_PG_ONLY          comma-separated sections to run (pgbench,clientes,chats; all by
#                          default; chats includes the webhook intake that opens them)
#   BENCH_PG_KEEP          1: keep the dx_bench database at the end (for EXPLAIN ANALYZE)
#   BENCH_SERVER_ENV       extra server environment, space-separated (e.g. "DX_DB_POOL=8")
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cd "$(dirname "$0")/.."
ROOT=$(pwd)
PG=${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432}
DURATION=${BENCH_DURATION:-10}
CONNECTIONS=${BENCH_CONNECTIONS:-64}
ROWS=${BENCH_ROWS:-10000}
CHATS=${BENCH_PG_CHATS:-10000}
SEARCH=${BENCH_SEARCH:-silva}
ONLY=${BENCH_PG_ONLY:-pgbench,clientes,chats}
section() { [[ ",$ONLY," == *",$1,"* ]]; }
DB=dx_bench
for tool in wrk psql pgbench curl python3; do
  command -v "$tool" >/dev/null 2>&1 || { echo "$tool is required" >&2; exit 1; }
done
release_binaries

WORK=$(mktemp -d "${TMPDIR:-/tmp}/dx-bench-pg.XXXXXX")
SERVER_PID=""
trap 'stop_server; rm -rf "$WORK"' EXIT
q() { psql -qtA "$PG/$DB" -c "$1"; }

server_env=(DATABASE_URL="$PG/$DB" MEDIA_ROOT="$WORK/media" DX_DATA_DIR="$WORK" RUST_LOG=warn
  JWT_ACCESS_TOKEN_LIFETIME=60 CEP_PROVIDER=offline WHATSAPP_STUB_FAST=1 DX_LIST_CACHE=off
  DJANGO_SECRET_KEY=bench-secret-key-bench-secret-key)
# shellcheck disable=SC2206
[[ -n "${BENCH_SERVER_ENV:-}" ]] && server_env+=(${BENCH_SERVER_ENV})
start_server() {
  PORT=$(free_port)
  BASE="http://127.0.0.1:$PORT"
  env "${server_env[@]}" "$@" BIND=127.0.0.1 PORT="$PORT" "$BIN" serve >"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 300); do
    curl -fs "$BASE/api/v1/health/" >/dev/null 2>&1 && break
    sleep 0.2
  done
  TOKEN=$(curl -fs -X POST "$BASE/api/v1/auth/token/" -H 'Content-Type: application/json' \
    -d '{"username":"admin","password":"admin123"}' | json access)
}

RESULTS=()
# run NAME PATH [METHOD BODY_FILE]
run() {
  local name=$1 path=$2 method=${3:-GET} body=${4:-}
  local out="$WORK/wrk.out"
  DX_TOKEN=$TOKEN DX_METHOD=$method DX_BODY_FILE=$body DX_CONTENT_TYPE=application/json \
    wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$ROOT/scripts/wrk.lua" "$BASE$path" >"$out"
  local rps p99 bad
  rps=$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$out")
  p99=$(awk '$1 == "99%" {print $2}' "$out")
  bad=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$out")
  RESULTS+=("$(printf '%-52s %10s %10s %8s' "$name" "$rps" "$p99" "${bad:-0}")")
  printf '  %-52s %8s req/s  p99 %-9s non-2xx %s\n' "$name" "$rps" "$p99" "${bad:-0}"
}

echo "== machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores," \
  "$(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo);" \
  "$(psql -qtA "$PG/postgres" -c 'SHOW server_version'); commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"

if section pgbench; then
echo "== pgbench select-only (the ceiling: scale 10, $CONNECTIONS clients, 2 threads)"
psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS dx_pgbench" -c "CREATE DATABASE dx_pgbench"
pgbench -q -i -s 10 "$PG/dx_pgbench" >/dev/null 2>&1
tps=$(pgbench -n -S -c "$CONNECTIONS" -j 2 -T "$DURATION" "$PG/dx_pgbench" 2>/dev/null | awk '/^tps/ {printf "%.0f", $3}')
RESULTS+=("$(printf '%-52s %10s %10s %8s' "pgbench -S (select-only tps)" "$tps" "-" "-")")
echo "  pgbench -S: $tps tps"
psql -q "$PG/postgres" -c "DROP DATABASE dx_pgbench"
fi

psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
env "${server_env[@]}" "$BIN" seed clientes "$ROWS" >/dev/null
start_server
python3 -c 'import json,sys; json.dump({"razao_social":"Bench Comércio Ltda","nome_fantasia":"Bench",
  "email_principal":"bench@example.com","telefone_principal":"+551133334444"}, open(sys.argv[1],"w"))' "$WORK/cliente.json"
if section clientes; then
echo "== $ROWS clientes, list cache off"
run "GET /clientes/?page=37" "/api/v1/clientes/?page=37"
run "GET /clientes/?search=$SEARCH (trigram index)" "/api/v1/clientes/?search=$SEARCH"
q "DROP INDEX ix_clientes_search_trgm"
run "GET /clientes/?search=$SEARCH (no index: before)" "/api/v1/clientes/?search=$SEARCH"
q "CREATE INDEX ix_clientes_search_trgm ON clientes USING gin (search_text public.gin_trgm_ops)"
run "GET /clientes/?search=$SEARCH (index again)" "/api/v1/clientes/?search=$SEARCH"
run "POST /clientes/" "/api/v1/clientes/" POST "$WORK/cliente.json"
fi

if section chats; then
echo "== webhook intake"
curl -fs -X POST "$BASE/api/v1/whatsapp/sessions/start/" -H "Authorization: Bearer $TOKEN" \
  -H 'Content-Type: application/json' -d '{}' >/dev/null
sleep 1
"$WSLOAD" webhook --base "$BASE" --connections "$CONNECTIONS" --secs "$DURATION" \
  --server-pid "$SERVER_PID" --from 5511900000000 >"$WORK/msgs.out"
ok=$(kv "$WORK/msgs.out" ok_2xx)
stored=$(q "SELECT COUNT(*) FROM whatsapp_messages WHERE chat_id = '5511900000000'")
RESULTS+=("$(printf '%-52s %10s %10s %8s' "webhook msgs/s to an open chat (stored $stored of $ok)" \
  "$(kv "$WORK/msgs.out" ok_rps)" "$(kv "$WORK/msgs.out" latency_p99_ms)ms" "-")")
for _ in $(seq 1 20); do
  open=$(q "SELECT COUNT(*) FROM atendimentos WHERE status <> 'finalizado'")
  [[ "$open" -ge "$CHATS" ]] && break
  "$WSLOAD" webhook --base "$BASE" --connections "$CONNECTIONS" --secs 5 \
    --server-pid "$SERVER_PID" --from '{id}' >"$WORK/new.out"
  [[ -f "$WORK/new1.out" ]] || cp "$WORK/new.out" "$WORK/new1.out"
done
RESULTS+=("$(printf '%-52s %10s %10s %8s' "webhook new chats/s (first 5 s)" \
  "$(kv "$WORK/new1.out" ok_rps)" "$(kv "$WORK/new1.out" latency_p99_ms)ms" "-")")
# Messages spread over 1,000 chats: a first pass opens them, the second is measured.
"$WSLOAD" webhook --base "$BASE" --connections "$CONNECTIONS" --secs 4 \
  --from '55119770{chat}' --chats 1000 >/dev/null
before=$(q "SELECT COUNT(*) FROM whatsapp_messages WHERE chat_id LIKE '55119770%'")
"$WSLOAD" webhook --base "$BASE" --connections "$CONNECTIONS" --secs "$DURATION" \
  --server-pid "$SERVER_PID" --from '55119770{chat}' --chats 1000 >"$WORK/spread.out"
spread=$(( $(q "SELECT COUNT(*) FROM whatsapp_messages WHERE chat_id LIKE '55119770%'") - before ))
RESULTS+=("$(printf '%-52s %10s %10s %8s' "webhook msgs/s over 1,000 chats (stored $spread of $(kv "$WORK/spread.out" ok_2xx))" \
  "$(kv "$WORK/spread.out" ok_rps)" "$(kv "$WORK/spread.out" latency_p99_ms)ms" "-")")
echo "== GET /chats/ over $open open chats, $(q 'SELECT COUNT(*) FROM whatsapp_messages') messages"
run "GET /chats/?limit=50 ($open open chats)" "/api/v1/chats/?limit=50"
fi
stop_server

echo
printf '%-52s %10s %10s %8s\n' "PostgreSQL ($CONNECTIONS connections, ${DURATION}s)" "req/s" "p99" "non-2xx"
printf '%s\n' "${RESULTS[@]}"
[[ "${BENCH_PG_KEEP:-}" == 1 ]] || psql -q "$PG/postgres" -c "DROP DATABASE $DB"
