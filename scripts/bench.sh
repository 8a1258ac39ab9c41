#!/usr/bin/env bash
# Load benchmark of a release DX Connect server on SQLite (see docs/benchmarks.md).
#
# Builds the release binary, starts it on a temporary database, seeds clientes, and drives it
# with wrk (64 connections, 2 threads, --latency) on each endpoint; prints requests/s and
# p50/p99 latency. Then repeats the list page on a 1,000,000-cliente database.
#
# Environment (all optional):
#   DX_BIN            use this binary instead of building
#   BENCH_DURATION    seconds per endpoint (10)
#   BENCH_CONNECTIONS wrk connections (64)
#   BENCH_THREADS     wrk threads (2)
#   BENCH_ROWS        clientes seeded for the main run (10000)
#   BENCH_BIG_ROWS    clientes for the large-table run (1000000; 0 skips it)
#   BENCH_SEARCH      the ?search= term ("silva": ~1/16 of the seeded rows)
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cd "$(dirname "$0")/.."
ROOT=$(pwd)
DURATION=${BENCH_DURATION:-10}
CONNECTIONS=${BENCH_CONNECTIONS:-64}
THREADS=${BENCH_THREADS:-2}
ROWS=${BENCH_ROWS:-10000}
BIG_ROWS=${BENCH_BIG_ROWS:-1000000}
SEARCH=${BENCH_SEARCH:-silva}

if ! command -v wrk >/dev/null 2>&1; then
  echo "wrk is not installed: apt-get install wrk (Debian/Ubuntu) or brew install wrk" >&2
  exit 1
fi
for tool in curl python3; do
  command -v "$tool" >/dev/null 2>&1 || { echo "$tool is required" >&2; exit 1; }
done

if [[ -n "${DX_BIN:-}" ]]; then
  BIN=$DX_BIN
else
  echo "== building the release server"
  cargo build --release -p dx-connect-server --bin dx-connect >&2
  BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release/dx-connect
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/dx-bench.XXXXXX")
SERVER_PID=""
cleanup() {
  stop_server
  rm -rf "$WORK"
}
trap cleanup EXIT


# server_env DB: the environment of every dx-connect invocation on database DB.
server_env() {
  local db=$1
  echo "DATABASE_URL=sqlite://$WORK/$db.db?mode=rwc" \
    "MEDIA_ROOT=$WORK/$db-media" "DX_DATA_DIR=$WORK" \
    "RUST_LOG=warn" "JWT_ACCESS_TOKEN_LIFETIME=60" "CEP_PROVIDER=offline" \
    "DJANGO_SECRET_KEY=bench-secret-key-bench-secret-key"
}

seed() {
  local db=$1 n=$2
  # shellcheck disable=SC2046
  env $(server_env "$db") "$BIN" seed clientes "$n"
}

# start_server DB [VAR=value ...]: extra variables go to the server's environment.
start_server() {
  local db=$1
  shift
  PORT=$(free_port)
  BASE="http://127.0.0.1:$PORT"
  # shellcheck disable=SC2046
  env $(server_env "$db") "$@" BIND=127.0.0.1 PORT="$PORT" "$BIN" serve >"$WORK/server-$db.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 150); do
    if curl -fs "$BASE/api/v1/health/" >/dev/null 2>&1; then
      TOKEN=$(curl -fs -X POST "$BASE/api/v1/auth/token/" -H 'Content-Type: application/json' \
        -d '{"username":"admin","password":"admin123"}' |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["access"])')
      return 0
    fi
    sleep 0.2
  done
  echo "server did not start:" >&2
  cat "$WORK/server-$db.log" >&2
  exit 1
}

RESULTS=()
# run NAME PATH [METHOD BODY_FILE CONTENT_TYPE]
run() {
  local name=$1 path=$2 method=${3:-GET} body=${4:-} ctype=${5:-}
  local out="$WORK/wrk.out"
  DX_TOKEN=$TOKEN DX_METHOD=$method DX_BODY_FILE=$body DX_CONTENT_TYPE=$ctype \
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$ROOT/scripts/wrk.lua" \
    "$BASE$path" >"$out"
  local rps p50 p99 bad errors
  rps=$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$out")
  p50=$(awk '$1 == "50%" {print $2}' "$out")
  p99=$(awk '$1 == "99%" {print $2}' "$out")
  bad=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$out")
  errors=$(awk '/Socket errors:/ {sub(/.*Socket errors: /, ""); print}' "$out")
  RESULTS+=("$(printf '%-44s %10s %10s %10s %8s  %s' "$name" "$rps" "$p50" "$p99" "${bad:-0}" "${errors:-}")")
  printf '  %-44s %8s req/s  p50 %-9s p99 %-9s non-2xx %s %s\n' "$name" "$rps" "$p50" "$p99" "${bad:-0}" "${errors:-}"
}

table() {
  printf '%-44s %10s %10s %10s %8s\n' "endpoint ($CONNECTIONS connections, ${DURATION}s)" "req/s" "p50" "p99" "non-2xx"
  printf '%s\n' "${RESULTS[@]}"
}

echo "== machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores," \
  "$(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"
echo "== wrk: $(wrk --version 2>&1 | head -1)"

# ---------------------------------------------------------------- main run
echo "== seeding $ROWS clientes"
seed main "$ROWS"
start_server main
CLIENTE_ID=$(curl -fs "$BASE/api/v1/clientes/?status=ativo&page_size=1" -H "Authorization: Bearer $TOKEN" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["results"][0]["id"])')

python3 - "$WORK" "$CLIENTE_ID" <<'PY'
import json, os, sys
work, cliente = sys.argv[1], int(sys.argv[2])
with open(os.path.join(work, "cliente.json"), "w") as f:
    json.dump({"razao_social": "Bench Comércio Ltda", "nome_fantasia": "Bench",
               "email_principal": "bench@example.com", "telefone_principal": "+551133334444"}, f)
with open(os.path.join(work, "boleto.json"), "w") as f:
    json.dump({"cliente_id": cliente, "dados_boleto": {
        "banco": "237", "agencia": "3381", "conta": "0000633", "carteira": "26",
        "nosso_numero": "00078271395", "valor": "3.700,00", "data_vencimento": "2030-06-11",
        "pix_chave": "financeiro@dxconnect.com"}}, f)
boundary = "dxbenchboundary7MA4YWxkTrZu0gW"
payload = (bytes(range(256)) * 4096)[: 1 << 20]
parts = []
for name, value in (("cliente", str(cliente)), ("nome", "Contrato bench"), ("tipo_documento", "contrato")):
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="arquivo"; filename="contrato.pdf"\r\n'
             f'Content-Type: application/pdf\r\n\r\n'.encode() + payload + b"\r\n")
parts.append(f"--{boundary}--\r\n".encode())
with open(os.path.join(work, "upload.bin"), "wb") as f:
    f.write(b"".join(parts))
with open(os.path.join(work, "upload.ctype"), "w") as f:
    f.write(f"multipart/form-data; boundary={boundary}")
PY

echo "== $ROWS clientes"
run "GET /api/v1/me/" "/api/v1/me/"
run "GET /api/v1/clientes/?page=37" "/api/v1/clientes/?page=37"
run "GET /api/v1/clientes/?search=$SEARCH" "/api/v1/clientes/?search=$SEARCH"
run "POST /api/v1/clientes/ (no cnpj)" "/api/v1/clientes/" POST "$WORK/cliente.json" "application/json"
run "POST /api/v1/documentos/ (1 MiB multipart)" "/api/v1/documentos/" POST "$WORK/upload.bin" "$(cat "$WORK/upload.ctype")"
run "POST /api/v1/documentos/gerar-boleto/" "/api/v1/documentos/gerar-boleto/" POST "$WORK/boleto.json" "application/json"
stop_server
rm -rf "$WORK/main-media"
# The uploads above wrote ~1.5 GB: flush it now, or its writeback lands on the next runs.
sync
# The database path alone: the same list requests with the list-page cache turned off.
start_server main DX_LIST_CACHE=off
run "GET /api/v1/clientes/?page=37 (no cache)" "/api/v1/clientes/?page=37"
run "GET /api/v1/clientes/?search=$SEARCH (no cache)" "/api/v1/clientes/?search=$SEARCH"
stop_server

# ---------------------------------------------------------------- 1M rows
if [[ "$BIG_ROWS" -gt 0 ]]; then
  echo "== seeding $BIG_ROWS clientes"
  seed big "$BIG_ROWS"
  start_server big
  echo "== $BIG_ROWS clientes"
  run "GET /api/v1/clientes/?page=37 ($BIG_ROWS rows)" "/api/v1/clientes/?page=37"
  run "GET /api/v1/clientes/?search=$SEARCH ($BIG_ROWS rows)" "/api/v1/clientes/?search=$SEARCH"
  stop_server
  start_server big DX_LIST_CACHE=off
  run "GET /api/v1/clientes/?page=37 ($BIG_ROWS rows, no cache)" "/api/v1/clientes/?page=37"
  stop_server
fi

echo
table
