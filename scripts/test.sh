#!/usr/bin/env bash
# The one command that runs every test: installs the tools the tests use, checks formatting and
# lints, then runs the whole test suite (unit, integration, golden, real promtool and parsers).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-tools.sh
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
# Licenses, banned and duplicate crates, and sources. `advisories` is left out: it needs the
# RustSec database from the network, which this machine cannot reach.
cargo deny --workspace --locked check licenses bans sources
cargo nextest run --workspace --locked --no-fail-fast
