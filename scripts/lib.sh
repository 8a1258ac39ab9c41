# Shell helpers shared by the benchmark and cluster scripts (sourced, never run).

# free_port: a TCP port free on 127.0.0.1 right now.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# stop_server: stops the server of $SERVER_PID, if any, and waits for it.
stop_server() {
  if [[ -n "${SERVER_PID:-}" ]]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
  fi
}

# kv FILE KEY: the last value of KEY in a ws-load output.
kv() { awk -v k="$2" 'index($0, k "=") == 1 { v = substr($0, length(k) + 2) } END { print v }' "$1"; }

# json KEY: a top-level field of the JSON on stdin.
json() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

# release_binaries: sets BIN and WSLOAD to DX_BIN / WS_LOAD_BIN, building the release server
# and ws-load (into CARGO_TARGET_DIR, else ./target) when either is not given.
release_binaries() {
  local target=${CARGO_TARGET_DIR:-$PWD/target}
  if [[ -z "${DX_BIN:-}" || -z "${WS_LOAD_BIN:-}" ]]; then
    echo "== building the release server and ws-load"
    cargo build --release -p dx-connect-server --bin dx-connect -p ws-load --bin ws-load >&2
  fi
  BIN=${DX_BIN:-$target/release/dx-connect}
  WSLOAD=${WS_LOAD_BIN:-$target/release/ws-load}
}
