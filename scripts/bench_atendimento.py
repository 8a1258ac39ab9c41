#!/usr/bin/env python3
"""Atendimento benchmarks of issue 10 against a running server (see docs/benchmarks.md).

  bench_atendimento.py distribuir BASE TOKEN DEPARTAMENTO AGENTS MAX
      Creates AGENTS agents, makes them the department's members with MAX simultaneous
      atendimentos each, then times one POST /api/v1/atendimento/filas/distribuir/.
  bench_atendimento.py race BASE TOKEN AGENTS
      Creates AGENTS agents; each, on its own thread and keep-alive connection, tries to
      accept every waiting chat (in its own shuffled order) through
      POST /api/v1/chats/{chat_id}/aceitar/. Prints the accepts per agent and in total.

Standard library only; prints key=value lines for scripts/bench-whatsapp.sh.
"""

import http.client
import json
import os
import random
import sys
import threading
import time
import urllib.parse

PASSWORD = "Bench-agent-pw-1"


class Api:
    def __init__(self, base, token=None):
        u = urllib.parse.urlsplit(base)
        self.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=120)
        self.token = token

    def call(self, method, path, body=None):
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        data = None if body is None else json.dumps(body)
        self.conn.request(method, path, body=data, headers=headers)
        r = self.conn.getresponse()
        raw = r.read()
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw.decode(errors="replace")
        return r.status, parsed

    def ok(self, method, path, body=None):
        status, parsed = self.call(method, path, body)
        if status >= 300:
            sys.exit(f"{method} {path}: {status} {parsed}")
        return parsed


def agents(admin, base, prefix, n):
    """Creates n agents; returns [(id, token)]."""
    out = []
    for i in range(n):
        name = f"{prefix}{i}"
        a = admin.ok("POST", "/api/v1/authz/agents/",
                     {"username": name, "password": PASSWORD, "email": f"{name}@example.com"})
        tok = Api(base).ok("POST", "/api/v1/auth/token/",
                           {"username": name, "password": PASSWORD})["access"]
        out.append((a["id"], tok))
    return out


def distribuir(base, token, departamento, n, maximo):
    admin = Api(base, token)
    ids = [a for a, _ in agents(admin, base, "bench_d", n)]
    admin.ok("PATCH", f"/api/v1/atendimento/departamentos/{departamento}/",
             {"atendentes": ids, "max_atendimentos_simultaneos": maximo})
    # BENCH_PAUSE: seconds to wait here (e.g. for a profiler to attach to the server).
    pause = float(os.environ.get("BENCH_PAUSE", "0"))
    if pause:
        time.sleep(pause)
        admin = Api(base, token)  # the server closes idle keep-alive connections
    t0 = time.perf_counter()
    r = admin.ok("POST", "/api/v1/atendimento/filas/distribuir/",
                 {"departamento_id": departamento})
    ms = (time.perf_counter() - t0) * 1000
    print(f"agents={n}")
    print(f"distribuidos={r['distribuidos']}")
    print(f"distribuir_ms={ms:.1f}")


def waiting_chats(admin):
    chats, offset = [], 0
    while True:
        page = admin.ok("GET", f"/api/v1/chats/?status=aguardando&limit=500&offset={offset}")
        chats += [c["chat_id"] for c in page]
        if len(page) < 500:
            return chats
        offset += 500


def race(base, token, n):
    admin = Api(base, token)
    racers = agents(admin, base, "bench_r", n)
    chats = waiting_chats(admin)
    won = [0] * n
    refused = [0] * n
    other = []
    start = threading.Barrier(n)

    def run(i, tok):
        api = Api(base, tok)
        mine = chats[:]
        random.Random(i).shuffle(mine)
        start.wait()
        for chat in mine:
            status, body = api.call("POST", f"/api/v1/chats/{urllib.parse.quote(chat)}/aceitar/", {})
            if status == 200:
                won[i] += 1
            elif status == 400:
                refused[i] += 1
            else:
                other.append((status, body))

    threads = [threading.Thread(target=run, args=(i, tok)) for i, (_, tok) in enumerate(racers)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    secs = time.perf_counter() - t0
    print(f"chats={len(chats)}")
    print(f"agents={n}")
    print(f"accepted={sum(won)}")
    print(f"refused={sum(refused)}")
    print(f"other={len(other)}")
    print("per_agent=" + ",".join(str(w) for w in won))
    print(f"secs={secs:.2f}")
    print(f"attempts_per_s={len(chats) * n / secs:.0f}")
    if other:
        print(f"first_other={other[0]}", file=sys.stderr)


def main():
    if len(sys.argv) == 7 and sys.argv[1] == "distribuir":
        distribuir(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]))
    elif len(sys.argv) == 5 and sys.argv[1] == "race":
        race(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
