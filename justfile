# Agentry's recipes. `just` lists them.

pg_url := env_var_or_default("AGENTRY_TEST_PG_URL", "postgres://postgres@127.0.0.1:5432/test")

default:
    @just --list

# Run the API on the embedded default (SQLite file agentry.db, migrated on start).
run *args:
    cargo run -p agentry-api -- {{args}}

# The whole test suite on SQLite (the PostgreSQL tests are reported as ignored).
test:
    cargo test --workspace

# The storage and API suites on PostgreSQL.
test-pg:
    AGENTRY_TEST_PG_URL={{pg_url}} cargo test -p agentry-store -p agentry-app -p agentry-client --test it -- postgres:: --include-ignored
    AGENTRY_TEST_PG_URL={{pg_url}} cargo test -p agentry-api --test live_registry -- postgres:: --include-ignored

# Formatting and clippy with warnings denied.
lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings

# Regenerate docs/openapi.json from the code.
openapi:
    UPDATE_OPENAPI=1 cargo test -p agentry-app --test it openapi

# Fail if docs/openapi.json is stale.
openapi-check:
    cargo test -p agentry-app --test it openapi

# The Python client generated from the spec runs the README's flows, and
# schemathesis checks the API against the spec, on SQLite and PostgreSQL.
clients:
    bash .ci/generated-clients

# The migrator, e.g. `just migrate status` or `just migrate down 1`.
migrate *args:
    cargo run -p agentry-migrate -- {{args}}

# The benchmark harness (release build): prints the figures and records them in
# docs/benchmarks.md, e.g. `just bench --seconds 10` or `just bench --no-pg`.
bench *args:
    cargo build --release -p agentry-planner -p agentry-api
    cargo run --release -p agentry-bench -- --record docs/benchmarks.md {{args}}

# Everything CI checks.
verify:
    bash .ci/run
