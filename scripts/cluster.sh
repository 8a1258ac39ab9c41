#!/usr/bin/env bash
# Two DX Connect instances on one PostgreSQL database and Redis, behind nginx
# (docs/deploy/nginx.conf), for the several-instances test (tests/api/cluster.rs).
#
#   scripts/cluster.sh up DIR     starts everything; writes DIR/env (the test's variables)
#   scripts/cluster.sh down DIR   stops everything and drops the database
#
# Environment: DX_BIN (the release server), CLUSTER_PG (postgres://postgres@127.0.0.1:5432),
# REDIS_URL (redis://127.0.0.1:6379). nginx is installed from Debian when missing.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cmd=${1:?up or down}
dir=${2:?directory}
root=$(cd "$(dirname "$0")/.." && pwd)
pg=${CLUSTER_PG:-postgres://postgres@127.0.0.1:5432}
redis=${REDIS_URL:-redis://127.0.0.1:6379}
db=dx_cluster

if [[ $cmd == down ]]; then
  for f in "$dir"/*.pid; do
    [[ -f $f ]] && kill "$(cat "$f")" 2>/dev/null || true
  done
  # Each instance shuts down gracefully (up to 10 s) before its files are removed.
  for f in "$dir"/*.pid; do
    [[ -f $f ]] || continue
    for _ in $(seq 1 100); do kill -0 "$(cat "$f")" 2>/dev/null || break; sleep 0.1; done
  done
  [[ -f $dir/nginx.conf ]] && nginx -p "$dir" -c "$dir/nginx.conf" -s stop 2>/dev/null || true
  sleep 1
  psql -q "$pg/postgres" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  exit 0
fi

bin=${DX_BIN:?DX_BIN must name the release server}
if ! command -v nginx >/dev/null 2>&1; then
  echo "== installing nginx"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null
fi
mkdir -p "$dir/logs"
chmod 755 "$dir"
psql -q "$pg/postgres" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db" >/dev/null
prefix="dxci$RANDOM$RANDOM"
urls=()
pids=()
for i in 1 2; do
  port=$(free_port)
  # The first instance migrates the database; the second starts once it is up.
  env DATABASE_URL="$pg/$db" REDIS_URL="$redis" DX_REDIS_PREFIX="$prefix" \
    MEDIA_ROOT="$dir/media" DX_DATA_DIR="$dir" CEP_PROVIDER=offline RUST_LOG=warn \
    DJANGO_SECRET_KEY=cluster-secret-key-cluster-secret-key WHATSAPP_STUB_FAST=1 \
    DX_TRUSTED_PROXIES=127.0.0.1 BIND=127.0.0.1 PORT="$port" \
    "$bin" serve >"$dir/server-$i.log" 2>&1 &
  echo $! >"$dir/server-$i.pid"
  pids+=($!)
  urls+=("http://127.0.0.1:$port")
  for _ in $(seq 1 150); do
    curl -fs "http://127.0.0.1:$port/api/v1/health/" >/dev/null 2>&1 && break
    sleep 0.2
  done
  curl -fs "http://127.0.0.1:$port/api/v1/health/" >/dev/null || { cat "$dir/server-$i.log" >&2; exit 1; }
done
proxy=$(free_port)
# The shipped config, with this run's upstreams and port.
python3 - "$root/docs/deploy/nginx.conf" "$dir/nginx.conf" "$proxy" "${urls[@]}" <<'PY'
import re, sys
src, dst, port, *urls = sys.argv[1:]
text = open(src).read()
servers = "".join(f"        server {u.removeprefix('http://')} max_fails=1 fail_timeout=2s;\n" for u in urls)
text = re.sub(r"(        server 127\.0\.0\.1:\d+ [^\n]*\n)+", servers, text, count=1)
text = text.replace("listen 8080;", f"listen 127.0.0.1:{port};")
text = text.replace("worker_processes auto;", "worker_processes 1;\npid nginx.pid;\nerror_log logs/error.log warn;\ndaemon on;")
open(dst, "w").write(text)
PY
nginx -p "$dir" -c "$dir/nginx.conf"
for _ in $(seq 1 50); do
  curl -fs "http://127.0.0.1:$proxy/api/v1/health/" >/dev/null 2>&1 && break
  sleep 0.1
done
cat >"$dir/env" <<EOF
DX_CLUSTER_URL=http://127.0.0.1:$proxy
DX_CLUSTER_INSTANCES=${urls[0]},${urls[1]}
DX_CLUSTER_PIDS=${pids[0]},${pids[1]}
EOF
echo "cluster up: nginx :$proxy -> ${urls[*]} (redis prefix $prefix)"
