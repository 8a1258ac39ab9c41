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

## Load benchmarks against a release server (see docs/benchmarks.md).
bench:
	./scripts/bench.sh

openapi:
	$(CARGO) run -q -p dx-connect-server --bin dx-connect -- openapi
