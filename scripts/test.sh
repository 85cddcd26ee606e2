#!/usr/bin/env bash
# The one command that runs every test: installs the tools the tests use, checks formatting and
# lints and the dependency tree, builds the image users run, then runs the whole test suite
# (unit, integration, golden, the real image with podman, real promtool and parsers).
# Needs Debian, root (apt-get, podman) and the package registries (crates.io, PyPI, Debian, npm).
set -euo pipefail
cd "$(dirname "$0")/.."

phase() { printf '\n== %s\n' "$*"; }

phase "installing the tools the tests use (scripts/install-tools.sh)"
scripts/install-tools.sh
phase "cargo fmt --check"
cargo fmt --all -- --check
phase "cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings
phase "cargo doc -D warnings (no broken or private links in the docs)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked --quiet
# Licenses, banned and duplicate crates, and sources. `advisories` is left out: it needs the
# RustSec database from the network, which this machine cannot reach. Its verdict only; the
# whole report when it fails.
phase "cargo deny (licenses, bans, sources)"
if ! deny_report=$(cargo deny --workspace --locked check licenses bans sources 2>&1); then
  printf '%s\n' "$deny_report"
  exit 1
fi
printf '%s\n' "$deny_report" | grep -E '^(advisories|bans|licenses|sources) ' || echo "cargo deny: ok"
phase "building the image (scripts/build-image.sh): the container tests run it"
scripts/build-image.sh dev
# Each fuzz target (fuzz/, its own workspace, nightly) for a bounded time on the committed
# corpus: a crash fails the suite, with the input in fuzz/artifacts/TARGET/.
phase "fuzzing, 25 s per target (fuzz/run.sh)"
fuzz/run.sh 25
phase "the test suite (cargo nextest)"
cargo nextest run --workspace --locked --no-fail-fast
