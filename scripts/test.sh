#!/usr/bin/env bash
# The one command that runs every test: installs the tools the tests use, checks formatting and
# lints, then runs the whole test suite (unit, integration, golden, real promtool and parsers).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-tools.sh
cargo fmt --all -- --check
cargo clippy --all-targets --locked -- -D warnings
cargo nextest run --locked --no-fail-fast
