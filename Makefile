# DX Connect — common tasks. CARGO_TARGET_DIR may point outside the clone to reuse builds.
CARGO ?= cargo
PORT ?= 8001

.PHONY: run test test-postgres lint fmt bench check-endpoints openapi

## Run the server on SQLite (./dx-connect.db), seeding the admin user on first start.
run:
	$(CARGO) run --release -p dx-connect-server --bin dx-connect -- serve

## Every test: domain unit tests, adapter tests and black-box HTTP tests (SQLite; PostgreSQL too when TEST_DATABASE_URL is set).
test:
	$(CARGO) test --workspace

test-postgres:
	TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test $(CARGO) test --workspace

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

fmt:
	$(CARGO) fmt --all

## Load benchmarks against a release server (see docs/benchmarks.md): the CRUD endpoints
## (scripts/bench.sh), WhatsApp and WebSocket (scripts/bench-whatsapp.sh), PostgreSQL
## (scripts/bench-postgres.sh) and three instances with Redis (scripts/bench-cluster.sh; both
## need the local PostgreSQL and Redis). BENCH_ONLY=crud|whatsapp|postgres|cluster runs one.
BENCH_ONLY ?=
bench:
	@case "$(BENCH_ONLY)" in ""|crud|whatsapp|postgres|cluster) ;; *) echo "BENCH_ONLY must be crud, whatsapp, postgres or cluster" >&2; exit 2;; esac
	@if [ -z "$(BENCH_ONLY)" ] || [ "$(BENCH_ONLY)" = crud ]; then ./scripts/bench.sh; fi
	@if [ -z "$(BENCH_ONLY)" ] || [ "$(BENCH_ONLY)" = whatsapp ]; then ./scripts/bench-whatsapp.sh; fi
	@if [ -z "$(BENCH_ONLY)" ] || [ "$(BENCH_ONLY)" = postgres ]; then ./scripts/bench-postgres.sh; fi
	@if [ -z "$(BENCH_ONLY)" ] || [ "$(BENCH_ONLY)" = cluster ]; then ./scripts/bench-cluster.sh; fi

openapi:
	$(CARGO) run -q -p dx-connect-server --bin dx-connect -- openapi
