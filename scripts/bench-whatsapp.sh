#!/usr/bin/env bash
# WhatsApp and WebSocket benchmarks of a release DX Connect server on SQLite (issue 9; see
# docs/benchmarks.md, "WhatsApp and WebSocket").
#
# Builds the release server and ws-load, then for each case starts the server on a fresh
# temporary database (RUST_LOG=warn, WHATSAPP_STUB_FAST=1, DX_MAX_CONNECTIONS=20000), logs in
# as admin, starts a WhatsApp session (ready at once with the fast stub) and drives it:
#   webhook    64 connections POST the webhook (distinct message ids) for BENCH_DURATION s;
#              the stored inbound count must equal the 2xx answers
#   evolution  the same through the Evolution API receiver (WHATSAPP_GATEWAY=evolution,
#              `messages.upsert` with the X-Webhook-Secret header checked)
#   meta       the same through the Meta Cloud API receiver (WHATSAPP_GATEWAY=meta, each body
#              signed with X-Hub-Signature-256 by ws-load and verified by the server)
#              (both with a `ready` session row created through the API: no gateway is
#              contacted for inbound messages)
#   send       64 connections POST /whatsapp/send/ (202); then waits until every stored
#              outbound message is `read` (bounded by BENCH_DRAIN_TIMEOUT) and reports how
#              long the sender took
#   sockets    BENCH_SOCKETS authenticated sockets on /ws/whatsapp/ over BENCH_HOLD_PROCS
#              ws-load processes; the server's VmRSS before and with every socket open
#   fanout     one webhook event to BENCH_FANOUT_SOCKETS sockets of one user, BENCH_FANOUT_ROUNDS
#              times; delivery latency
#   sustained  BENCH_SUSTAINED_SOCKETS sockets receive BENCH_RATE events/s for
#              BENCH_SUSTAINED_SECS s; loss
#   chats      chat intake: new chats/s (a distinct number each), then messages/s to one open
#              chat (BENCH_CHATS_MSG_SECS s), both counted in the database; then messages
#              spread over BENCH_LIST_CHATS (10000) numbers until there are that many open
#              chats and BENCH_LIST_MESSAGES (200000) messages; then GET /chats/?limit=50
#              with wrk as admin and as an unprivileged agent over that data
#   distribuir BENCH_DISTRIBUIR_ROWS (10000) waiting chats through the webhook, 50 agents in
#              their department with room for all; one POST /atendimento/filas/distribuir/
#              timed, then every row assigned and no agent over its maximum
#   race       BENCH_RACE_CHATS (1000) waiting chats; 8 agents each try to accept every one
#              (scripts/bench_atendimento.py); exactly one accept per chat, none doubled
# Prints one line per figure and a table with PASS/FAIL against the targets, the load average
# before each case and the CPU seconds of server and generator (they share the machine).
#
# Environment (all optional):
#   DX_BIN, WS_LOAD_BIN     use these binaries instead of building
#   BENCH_CASES             cases to run, comma-separated
#                           (webhook,evolution,meta,send,sockets,fanout,sustained,chats,
#                           distribuir,race)
#   BENCH_DURATION          seconds of HTTP load (10)
#   BENCH_CONNECTIONS       HTTP connections (64)
#   BENCH_DRAIN_TIMEOUT     seconds to wait for the sender to mark everything read (60)
#   BENCH_SOCKETS           sockets held (15000); BENCH_HOLD_PROCS ws-load processes (2)
#   BENCH_FANOUT_SOCKETS (1000), BENCH_FANOUT_ROUNDS (10)
#   BENCH_SUSTAINED_SOCKETS (100), BENCH_RATE (10000), BENCH_SUSTAINED_SECS (10)
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cd "$(dirname "$0")/.."
ROOT=$(pwd)
CASES=${BENCH_CASES:-webhook,evolution,meta,send,sockets,fanout,sustained,chats,distribuir,race}
EVO_SECRET=bench-evolution-webhook-secret
META_SECRET=bench-meta-app-secret
EVO_ENV=(WHATSAPP_GATEWAY=evolution EVOLUTION_URL=http://127.0.0.1:9 EVOLUTION_API_KEY=bench-key
  EVOLUTION_INSTANCE=bench "EVOLUTION_WEBHOOK_SECRET=$EVO_SECRET"
  EVOLUTION_WEBHOOK_URL=http://127.0.0.1:9/api/v1/whatsapp/webhook/evolution/)
META_ENV=(WHATSAPP_GATEWAY=meta META_GRAPH_URL=http://127.0.0.1:9 META_PHONE_NUMBER_ID=106540352242922
  META_ACCESS_TOKEN=bench-token "META_APP_SECRET=$META_SECRET" META_VERIFY_TOKEN=bench-verify)
DURATION=${BENCH_DURATION:-10}
CONNECTIONS=${BENCH_CONNECTIONS:-64}
DRAIN_TIMEOUT=${BENCH_DRAIN_TIMEOUT:-60}
SOCKETS=${BENCH_SOCKETS:-15000}
HOLD_PROCS=${BENCH_HOLD_PROCS:-2}
FANOUT_SOCKETS=${BENCH_FANOUT_SOCKETS:-1000}
FANOUT_ROUNDS=${BENCH_FANOUT_ROUNDS:-10}
SUSTAINED_SOCKETS=${BENCH_SUSTAINED_SOCKETS:-100}
RATE=${BENCH_RATE:-10000}
SUSTAINED_SECS=${BENCH_SUSTAINED_SECS:-10}
PASSWORD=admin123

for tool in curl python3 awk; do
  command -v "$tool" >/dev/null 2>&1 || { echo "$tool is required" >&2; exit 1; }
done

release_binaries

WORK=$(mktemp -d "${TMPDIR:-/tmp}/dx-bench-wa.XXXXXX")
SERVER_PID=""
HOLD_PIDS=()
stop_holds() {
  local p
  for p in "${HOLD_PIDS[@]}"; do
    kill -INT "$p" 2>/dev/null || true
  done
  for p in "${HOLD_PIDS[@]}"; do
    wait "$p" 2>/dev/null || true
  done
  HOLD_PIDS=()
}
cleanup() {
  stop_holds
  stop_server
  rm -rf "$WORK"
}
trap cleanup EXIT

has_case() { [[ ",$CASES," == *",$1,"* ]]; }

# cpu PID: user + system CPU seconds so far (fields 14 and 15 of /proc/PID/stat, 100 ticks/s).
cpu() { awk '{ sub(/.*\) /, ""); printf "%.2f", ($12 + $13) / 100 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
now() { date +%s.%N; }
calc() { python3 -c "print($1)"; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

# start_server NAME [--session-row] [VAR=value ...]: a fresh database $WORK/NAME.db; sets
# BASE, SERVER_PID, TOKEN and starts the admin's WhatsApp session (ready at once with
# WHATSAPP_STUB_FAST=1), or with --session-row creates a `ready` session row through the API
# (a real gateway's receivers need no connection to store inbound messages).
start_server() {
  local name=$1
  shift
  local row=""
  if [[ "${1:-}" == --session-row ]]; then row=1; shift; fi
  PORT=$(free_port)
  BASE="http://127.0.0.1:$PORT"
  env DATABASE_URL="sqlite://$WORK/$name.db?mode=rwc" MEDIA_ROOT="$WORK/$name-media" \
    DX_DATA_DIR="$WORK" RUST_LOG="${BENCH_RUST_LOG:-warn}" JWT_ACCESS_TOKEN_LIFETIME=60 CEP_PROVIDER=offline \
    DJANGO_SECRET_KEY=bench-secret-key-bench-secret-key WHATSAPP_STUB_FAST=1 \
    DX_MAX_CONNECTIONS=20000 "$@" BIND=127.0.0.1 PORT="$PORT" "$BIN" serve \
    >"$WORK/server-$name.log" 2>&1 &
  SERVER_PID=$!
  local up=""
  for _ in $(seq 1 150); do
    if curl -fs "$BASE/api/v1/health/" >/dev/null 2>&1; then up=1; break; fi
    sleep 0.2
  done
  if [[ -z "$up" ]]; then
    echo "server did not start:" >&2
    cat "$WORK/server-$name.log" >&2
    exit 1
  fi
  TOKEN=$(curl -fs -X POST "$BASE/api/v1/auth/token/" -H 'Content-Type: application/json' \
    -d "{\"username\":\"admin\",\"password\":\"$PASSWORD\"}" | json access)
  if [[ -n "$row" ]]; then
    curl -fs -X POST "$BASE/api/v1/whatsapp/sessions/" -H "Authorization: Bearer $TOKEN" \
      -H 'Content-Type: application/json' -d '{"status":"ready"}' >/dev/null
    return 0
  fi
  curl -fs -X POST "$BASE/api/v1/whatsapp/sessions/start/" -H "Authorization: Bearer $TOKEN" \
    -H 'Content-Type: application/json' -d '{}' >/dev/null
  local status=""
  for _ in $(seq 1 100); do
    status=$(curl -fs "$BASE/api/v1/whatsapp/sessions/status/" -H "Authorization: Bearer $TOKEN" | json status)
    [[ "$status" == ready ]] && return 0
    sleep 0.1
  done
  echo "the WhatsApp session did not become ready (status: $status)" >&2
  exit 1
}

# count QUERY: the "count" of GET /api/v1/whatsapp/messages/?QUERY&page_size=1.
count() {
  curl -fs "$BASE/api/v1/whatsapp/messages/?$1&page_size=1" -H "Authorization: Bearer $TOKEN" | json count
}

# before NAME: prints and remembers the load average before a case.
declare -A LOAD
before() {
  LOAD[$1]=$(loadavg)
  echo "== $1 (load average before: ${LOAD[$1]})"
}

ROWS=()
# row CASE FIGURE VALUE TARGET VERDICT CPU
row() { ROWS+=("$(printf '%-10s | %-34s | %18s | %-16s | %-4s | %-14s | %s' "$1" "$2" "$3" "$4" "$5" "${LOAD[$1]}" "$6")"); }
verdict() { if python3 -c "import sys; sys.exit(0 if ($1) else 1)"; then echo PASS; else echo FAIL; fi; }

echo "== machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores," \
  "$(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr);" \
  "open files $(ulimit -Sn)/$(ulimit -Hn); commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')"

# intake_case NAME WS_LOAD_MODE [ws-load args...]: runs the intake load against the server
# started for NAME and checks that the stored inbound count equals the 2xx answers.
intake_case() {
  local name=$1 mode=$2
  shift 2
  "$WSLOAD" "$mode" --base "$BASE" --connections "$CONNECTIONS" --secs "$DURATION" \
    --server-pid "$SERVER_PID" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" || { cat "$WORK/$name.err" >&2; exit 1; }
  stored=$(count direction=inbound)
  sed 's/^/  /' "$WORK/$name.out"
  ok=$(kv "$WORK/$name.out" ok_2xx)
  sleep 1
  stored_later=$(count direction=inbound)
  echo "  stored_inbound=$stored (1 s later: $stored_later)"
  split="server $(kv "$WORK/$name.out" server_cpu_pct) % / gen $(kv "$WORK/$name.out" generator_cpu_pct) %"
  rps=$(kv "$WORK/$name.out" ok_rps)
  p99=$(kv "$WORK/$name.out" latency_p99_ms)
  row "$name" "msgs/s (2xx)" "$rps" "≥ 5,000" "$(verdict "$rps >= 5000")" "$split"
  row "$name" "p99 ms (p50 $(kv "$WORK/$name.out" latency_p50_ms))" "$p99" "< 20" "$(verdict "$p99 < 20")" ""
  row "$name" "stored = 2xx" "$stored / $ok" "equal" "$(verdict "$stored == $ok and $stored_later == $ok")" \
    "non-2xx $(kv "$WORK/$name.out" non_2xx), errors $(kv "$WORK/$name.out" errors)"
}

# ---------------------------------------------------------------- 1. webhook intake
if has_case webhook; then
  before webhook
  start_server webhook
  intake_case webhook webhook
  stop_server
fi

# ---------------------------------------------------------------- 1b. the real gateways' receivers
if has_case evolution; then
  before evolution
  start_server evolution --session-row "${EVO_ENV[@]}"
  intake_case evolution evolution-webhook --secret "$EVO_SECRET" --instance bench
  stop_server
fi
if has_case meta; then
  before meta
  start_server meta --session-row "${META_ENV[@]}"
  intake_case meta meta-webhook --app-secret "$META_SECRET" --phone-number-id 106540352242922
  stop_server
fi

# ---------------------------------------------------------------- 2. send + drain
if has_case send; then
  before send
  start_server send
  "$WSLOAD" send --base "$BASE" --token "$TOKEN" --connections "$CONNECTIONS" --secs "$DURATION" \
    --server-pid "$SERVER_PID" >"$WORK/send.out" 2>"$WORK/send.err" || { cat "$WORK/send.err" >&2; exit 1; }
  t_end=$(now)
  cpu_end=$(cpu "$SERVER_PID")
  sed 's/^/  /' "$WORK/send.out"
  accepted=$(kv "$WORK/send.out" ok_2xx)
  read_n=0
  deadline=$(calc "$t_end + $DRAIN_TIMEOUT")
  while :; do
    read_n=$(count "direction=outbound&status=read")
    [[ "$read_n" -ge "$accepted" ]] && break
    [[ $(calc "int($(now) >= $deadline)") == 1 ]] && break
    sleep 0.2
  done
  drain=$(calc "round($(now) - $t_end, 1)")
  drain_cpu=$(calc "round($(cpu "$SERVER_PID") - $cpu_end, 2)")
  outbound=$(count direction=outbound)
  echo "  stored_outbound=$outbound read=$read_n drain_secs=$drain server_cpu_during_drain_secs=$drain_cpu"
  if [[ "$read_n" -lt "$accepted" ]]; then
    for s in queued sent delivered failed; do
      echo "  status_$s=$(count "direction=outbound&status=$s")"
    done
  fi
  split="server $(kv "$WORK/send.out" server_cpu_pct) % / gen $(kv "$WORK/send.out" generator_cpu_pct) %"
  rps=$(kv "$WORK/send.out" ok_rps)
  p99=$(kv "$WORK/send.out" latency_p99_ms)
  row send "accepted/s (202)" "$rps" "≥ 5,000" "$(verdict "$rps >= 5000")" "$split"
  row send "p99 ms (p50 $(kv "$WORK/send.out" latency_p50_ms))" "$p99" "(record)" "-" ""
  row send "stored outbound = accepted" "$outbound / $accepted" "equal" "$(verdict "$outbound == $accepted")" ""
  row send "all read after (s)" "$drain" "≤ $DRAIN_TIMEOUT" "$(verdict "$read_n == $accepted")" \
    "read $read_n, server CPU ${drain_cpu} s"
  stop_server
fi

# ---------------------------------------------------------------- 3. sockets held
if has_case sockets; then
  before sockets
  start_server sockets
  sleep 1
  rss0=$(rss_kib "$SERVER_PID")
  fds0=$(find "/proc/$SERVER_PID/fd" -mindepth 1 -maxdepth 1 | wc -l)
  cpu0=$(cpu "$SERVER_PID")
  per=$(( (SOCKETS + HOLD_PROCS - 1) / HOLD_PROCS ))
  t0=$(now)
  for i in $(seq 1 "$HOLD_PROCS"); do
    n=$per
    if [[ $i -eq $HOLD_PROCS ]]; then n=$(( SOCKETS - per * (HOLD_PROCS - 1) )); fi
    "$WSLOAD" hold --base "$BASE" --password "$PASSWORD" --sockets "$n" --secs 3600 \
      >"$WORK/hold-$i.out" 2>"$WORK/hold-$i.err" &
    HOLD_PIDS+=($!)
  done
  for i in $(seq 1 "$HOLD_PROCS"); do
    for _ in $(seq 1 1200); do
      grep -q '^connect_secs=' "$WORK/hold-$i.out" 2>/dev/null && break
      kill -0 "${HOLD_PIDS[$((i - 1))]}" 2>/dev/null || break
      sleep 0.25
    done
  done
  open_secs=$(calc "round($(now) - $t0, 1)")
  connected=0
  failed=0
  for i in $(seq 1 "$HOLD_PROCS"); do
    connected=$(( connected + $(kv "$WORK/hold-$i.out" connected) ))
    failed=$(( failed + $(kv "$WORK/hold-$i.out" failed) ))
  done
  sleep 2
  rss1=$(rss_kib "$SERVER_PID")
  fds1=$(find "/proc/$SERVER_PID/fd" -mindepth 1 -maxdepth 1 | wc -l)
  cpu1=$(cpu "$SERVER_PID")
  gen_cpu=0
  for p in "${HOLD_PIDS[@]}"; do gen_cpu=$(calc "$gen_cpu + $(cpu "$p")"); done
  per_socket=$(calc "round(($rss1 - $rss0) / max($connected, 1), 1)")
  stop_holds
  sleep 2
  rss2=$(rss_kib "$SERVER_PID")
  for i in $(seq 1 "$HOLD_PROCS"); do sed "s/^/  hold-$i: /" "$WORK/hold-$i.out"; done
  echo "  connected=$connected failed=$failed open_secs=$open_secs server_fds=$fds0→$fds1"
  echo "  server_rss_kib: before=$rss0 with_sockets=$rss1 after_close=$rss2 per_socket_kib=$per_socket"
  split="server $(calc "round($cpu1 - $cpu0, 1)") s / gen $(calc "round($gen_cpu, 1)") s CPU to open"
  row sockets "sockets open" "$connected / $SOCKETS" "all" "$(verdict "$connected == $SOCKETS")" \
    "failed $failed, ${open_secs} s to open"
  row sockets "server RSS KiB before → with" "$rss0 → $rss1" "(record)" "-" "after close $rss2"
  row sockets "RSS per socket KiB" "$per_socket" "< 20" "$(verdict "$per_socket < 20")" "$split"
  stop_server
fi

# ws_case NAME ARGS...: runs ws-load with ARGS, its output in $WORK/NAME.out; records the CPU
# seconds of the server and of the generator over the whole invocation (logins and
# handshakes included).
ws_case() {
  local name=$1
  shift
  local c0 t
  c0=$(cpu "$SERVER_PID")
  TIMEFORMAT='%U %S'
  { time "$WSLOAD" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err"; } 2>"$WORK/$name.time" ||
    { cat "$WORK/$name.err" >&2; exit 1; }
  t=$(awk '{ print $1 + $2 }' "$WORK/$name.time")
  SPLIT="server $(calc "round($(cpu "$SERVER_PID") - $c0, 1)") s / gen $(calc "round($t, 1)") s CPU"
  sed 's/^/  /' "$WORK/$name.out"
}

# ---------------------------------------------------------------- 4. fan-out
if has_case fanout; then
  before fanout
  start_server fanout
  ws_case fanout fanout --base "$BASE" --password "$PASSWORD" --sockets "$FANOUT_SOCKETS" \
    --rounds "$FANOUT_ROUNDS"
  p99=$(kv "$WORK/fanout.out" latency_p99_ms)
  lost=$(kv "$WORK/fanout.out" lost)
  row fanout "delivery p99 ms (p50 $(kv "$WORK/fanout.out" latency_p50_ms))" "$p99" "< 50" \
    "$(verdict "$p99 < 50")" "$SPLIT"
  row fanout "lost of $(kv "$WORK/fanout.out" expected)" "$lost" "0" "$(verdict "$lost == 0")" \
    "max $(kv "$WORK/fanout.out" latency_max_ms) ms, webhook p50 $(kv "$WORK/fanout.out" webhook_p50_ms) ms"
  stop_server
fi

# ---------------------------------------------------------------- 5. sustained
if has_case sustained; then
  before sustained
  start_server sustained
  ws_case sustained sustained --base "$BASE" --password "$PASSWORD" --sockets "$SUSTAINED_SOCKETS" \
    --rate "$RATE" --secs "$SUSTAINED_SECS"
  lost=$(kv "$WORK/sustained.out" lost)
  closed=$(kv "$WORK/sustained.out" closed_by_server)
  row sustained "lost of $(kv "$WORK/sustained.out" expected)" "$lost" "0" \
    "$(verdict "$lost == 0 and $closed == 0")" "closed by server $closed; $SPLIT"
  row sustained "events/s achieved" "$(kv "$WORK/sustained.out" achieved_events_per_s)" "$RATE" \
    "$(verdict "$(kv "$WORK/sustained.out" achieved_events_per_s) >= 0.95 * $RATE")" \
    "latency p50 $(kv "$WORK/sustained.out" latency_p50_ms) / p99 $(kv "$WORK/sustained.out" latency_p99_ms) ms"
  stop_server
fi

# ---------------------------------------------------------------- 6. chats (issue 10)
# Intake of new chats (a distinct `from` per request), messages to one existing chat, then the
# agents' list page over every chat so made; counts checked in the database file itself.
if has_case chats; then
  command -v sqlite3 >/dev/null 2>&1 || { echo "the chats case needs the sqlite3 CLI" >&2; exit 1; }
  command -v wrk >/dev/null 2>&1 || { echo "the chats case needs wrk" >&2; exit 1; }
  before chats
  start_server chats
  db="$WORK/chats.db"
  sql() { sqlite3 "$db" "$1"; }
  # phase NAME LABEL SECS FROM: a webhook load from FROM; sets OK, RPS and NOTE for the rows.
  phase() {
    local name=$1 label=$2 secs=$3 from=$4
    shift 4
    "$WSLOAD" webhook --base "$BASE" --connections "$CONNECTIONS" --secs "$secs" \
      --server-pid "$SERVER_PID" --from "$from" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" \
      || { cat "$WORK/$name.err" >&2; exit 1; }
    sed "s/^/  $label: /" "$WORK/$name.out"
    OK=$(kv "$WORK/$name.out" ok_2xx)
    RPS=$(kv "$WORK/$name.out" ok_rps)
    CPU="server $(kv "$WORK/$name.out" server_cpu_pct) % / gen $(kv "$WORK/$name.out" generator_cpu_pct) %"
    LAT="p50 $(kv "$WORK/$name.out" latency_p50_ms) / p99 $(kv "$WORK/$name.out" latency_p99_ms) ms"
  }
  phase newchats "new chats" "$DURATION" '{id}'
  chats=$(sql "SELECT COUNT(*) FROM atendimentos WHERE status = 'aguardando'")
  queued=$(sql "SELECT COUNT(*) FROM filas_atendimento")
  row chats "new chats/s (2xx)" "$RPS" "≥ 2,000" "$(verdict "$RPS >= 2000")" "$CPU"
  row chats "chats = queue rows = 2xx" "$chats / $queued / $OK" "equal" \
    "$(verdict "$chats == $OK and $queued == $OK")" "$LAT"
  made=$(sql "SELECT COUNT(*) FROM clientes")
  row chats "clientes made = 2xx" "$made / $OK" "equal" "$(verdict "$made == $OK")" "one per new number"
  phase chatmsgs "messages to one chat" "${BENCH_CHATS_MSG_SECS:-$DURATION}" 5511900000000
  counted=$(sql "SELECT total_mensagens_cliente FROM atendimentos WHERE chat_id = '5511900000000'")
  stored=$(sql "SELECT COUNT(*) FROM whatsapp_messages WHERE chat_id = '5511900000000'")
  row chats "msgs/s to an open chat (2xx)" "$RPS" "≥ 5,000" "$(verdict "$RPS >= 5000")" "$CPU"
  row chats "counted = stored = 2xx" "$counted / $stored / $OK" "equal" \
    "$(verdict "$counted == $OK and $stored == $OK")" "$LAT"
  # The list's data set (issue 10): at least BENCH_LIST_CHATS (10,000) open chats and
  # BENCH_LIST_MESSAGES (200,000) messages, through the webhook: messages spread over that
  # many numbers (the first message of each opens its chat), 10 s at a time.
  want_chats=${BENCH_LIST_CHATS:-10000}
  want_msgs=${BENCH_LIST_MESSAGES:-200000}
  for _ in $(seq 1 60); do
    open=$(sql "SELECT COUNT(*) FROM atendimentos WHERE status <> 'finalizado'")
    msgs=$(sql "SELECT COUNT(*) FROM whatsapp_messages")
    [[ $open -ge $want_chats && $msgs -ge $want_msgs ]] && break
    phase spread "spread over $want_chats chats" 10 '55119770{chat}' --chats "$want_chats"
  done
  row chats "msgs/s over $want_chats chats (last 10 s)" "$RPS" "≥ 5,000" "$(verdict "$RPS >= 5000")" "$CPU"
  spread_in=$(sql "SELECT COUNT(*) FROM whatsapp_messages WHERE chat_id LIKE '55119770%'")
  spread_counted=$(sql "SELECT COALESCE(SUM(total_mensagens_cliente), 0) FROM atendimentos WHERE chat_id LIKE '55119770%'")
  row chats "spread: counted = stored" "$spread_counted / $spread_in" "equal" \
    "$(verdict "$spread_counted == $spread_in")" "$LAT"
  open=$(sql "SELECT COUNT(*) FROM atendimentos WHERE status <> 'finalizado'")
  msgs=$(sql "SELECT COUNT(*) FROM whatsapp_messages")
  echo "  the list runs over $open open chats and $msgs messages"
  for view in admin agent; do
    tok=$TOKEN
    if [[ $view == agent ]]; then
      curl -fs -X POST "$BASE/api/v1/authz/agents/" -H "Authorization: Bearer $TOKEN" \
        -H 'Content-Type: application/json' \
        -d '{"username":"bench_agent","password":"Bench-agent-pw-1","email":"b@x.com"}' >/dev/null
      tok=$(curl -fs -X POST "$BASE/api/v1/auth/token/" -H 'Content-Type: application/json' \
        -d '{"username":"bench_agent","password":"Bench-agent-pw-1"}' | json access)
    fi
    wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -H "Authorization: Bearer $tok" \
      "$BASE/api/v1/chats/?limit=50" >"$WORK/list-$view.out" 2>&1
    rps=$(awk '/Requests\/sec/ {print $2}' "$WORK/list-$view.out")
    p99=$(awk '$1 == "99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v*=1000}; print v}' "$WORK/list-$view.out")
    non2xx=$(awk '/Non-2xx/ {print $NF}' "$WORK/list-$view.out")
    sed "s/^/  list ($view): /" "$WORK/list-$view.out" | grep -E "Requests/sec|99%|50%|Non-2xx" || true
    row chats "GET /chats/?limit=50 ($view) req/s" "$rps" "≥ 5,000" "$(verdict "$rps >= 5000")" "non-2xx ${non2xx:-0}"
    row chats "  p99 ms ($view)" "$p99" "< 20" "$(verdict "$p99 < 20")" ""
  done
  stop_server
fi

# ---------------------------------------------------------------- 7. distribuir and the accept race (issue 10)
# waiting N: new chats through the webhook (a distinct number per request) until N wait.
waiting() {
  # A quarter-second first round, then rounds of at most one second: once the last round's
  # rate is known, a round lasts about as long as the missing rows take, so the count lands
  # just above the asked number.
  local want=$1 n=0 prev=0 secs=0.25
  for _ in $(seq 1 200); do
    n=$(sqlite3 "$db" "SELECT COUNT(*) FROM filas_atendimento WHERE atribuido_em IS NULL")
    [[ "$n" -ge "$want" ]] && break
    if [[ $n -gt $prev ]]; then
      secs=$(python3 -c "r = ($n - $prev) / $secs; print(round(min(1.0, max(0.05, ($want - $n) / r)), 3))")
    fi
    prev=$n
    "$WSLOAD" webhook --base "$BASE" --connections "$CONNECTIONS" --secs "$secs" --from '{id}' >/dev/null \
      || { echo "ws-load webhook failed" >&2; exit 1; }
  done
  sqlite3 "$db" "SELECT COUNT(*) FROM filas_atendimento WHERE atribuido_em IS NULL"
}
# db_case NAME: a case that counts in the database file: its server, and db= that file.
db_case() {
  command -v sqlite3 >/dev/null 2>&1 || { echo "the $1 case needs the sqlite3 CLI" >&2; exit 1; }
  before "$1"
  start_server "$1"
  db="$WORK/$1.db"
}
if has_case distribuir; then
  db_case distribuir
  rows=$(waiting "${BENCH_DISTRIBUIR_ROWS:-10000}")
  dep=$(sqlite3 "$db" "SELECT departamento_id FROM filas_atendimento LIMIT 1")
  # 50 agents with room for every row: one call assigns them all.
  python3 "$ROOT/scripts/bench_atendimento.py" distribuir "$BASE" "$TOKEN" "$dep" 50 $(( (rows + 49) / 50 )) \
    >"$WORK/distribuir.out" || exit 1
  sed 's/^/  distribuir: /' "$WORK/distribuir.out"
  ms=$(kv "$WORK/distribuir.out" distribuir_ms)
  done_n=$(kv "$WORK/distribuir.out" distribuidos)
  left=$(sqlite3 "$db" "SELECT COUNT(*) FROM filas_atendimento WHERE atribuido_em IS NULL")
  over=$(sqlite3 "$db" "SELECT COUNT(*) FROM (SELECT atendente_id FROM atendimentos \
    WHERE status = 'em_atendimento' GROUP BY atendente_id HAVING COUNT(*) > $(( (rows + 49) / 50 )))")
  row distribuir "50 agents, $rows waiting: ms" "$ms" "< 200" "$(verdict "$ms < 200")" ""
  row distribuir "assigned / left / agents over max" "$done_n / $left / $over" "$rows / 0 / 0" \
    "$(verdict "$done_n == $rows and $left == 0 and $over == 0")" ""
  stop_server
fi
if has_case race; then
  db_case race
  rows=$(waiting "${BENCH_RACE_CHATS:-1000}")
  python3 "$ROOT/scripts/bench_atendimento.py" race "$BASE" "$TOKEN" 8 >"$WORK/race.out" || exit 1
  sed 's/^/  race: /' "$WORK/race.out"
  chats=$(kv "$WORK/race.out" chats)
  accepted=$(kv "$WORK/race.out" accepted)
  other=$(kv "$WORK/race.out" other)
  doubled=$(sqlite3 "$db" "SELECT COUNT(*) FROM (SELECT chat_id FROM atendimentos \
    WHERE status <> 'finalizado' GROUP BY chat_id HAVING COUNT(*) > 1)")
  unowned=$(sqlite3 "$db" "SELECT COUNT(*) FROM atendimentos WHERE status = 'aguardando'")
  row race "8 agents over $chats chats: accepted" "$accepted" "$chats" \
    "$(verdict "$accepted == $chats and $other == 0")" "$(kv "$WORK/race.out" attempts_per_s) attempts/s; per agent $(kv "$WORK/race.out" per_agent)"
  row race "doubled / still waiting" "$doubled / $unowned" "0 / 0" "$(verdict "$doubled == 0 and $unowned == 0")" ""
  stop_server
fi

echo
printf '%-10s | %-34s | %18s | %-16s | %-4s | %-14s | %s\n' case figure value target ok "load before" notes
printf '%s\n' "${ROWS[@]}"
