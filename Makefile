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
## (scripts/bench.sh), then WhatsApp and WebSocket (scripts/bench-whatsapp.sh).
## BENCH_ONLY=crud or BENCH_ONLY=whatsapp runs one of the two.
BENCH_ONLY ?=
bench:
	@case "$(BENCH_ONLY)" in ""|crud|whatsapp) ;; *) echo "BENCH_ONLY must be crud or whatsapp" >&2; exit 2;; esac
	@if [ "$(BENCH_ONLY)" != whatsapp ]; then ./scripts/bench.sh; fi
	@if [ "$(BENCH_ONLY)" != crud ]; then ./scripts/bench-whatsapp.sh; fi

openapi:
	$(CARGO) run -q -p dx-connect-server --bin dx-connect -- openapi
