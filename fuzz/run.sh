#!/usr/bin/env bash
# Runs the fuzz targets (fuzz/fuzz_targets, cargo-fuzz on the nightly toolchain) one after the
# other, each for SECONDS, starting from the committed corpus (fuzz/corpus/TARGET). The corpus
# is only read: what a run finds goes to a scratch directory. A crash fails the run, with the
# input in fuzz/artifacts/TARGET/ (reproduce: cargo +nightly fuzz run TARGET THAT_FILE).
# Usage: fuzz/run.sh [SECONDS] [TARGET ...]   (default 25 s, every target)
#   FUZZ_LOG_DIR=dir keeps each run's libFuzzer output in dir/TARGET.log (the long runs of
#   BENCHMARKS.md); otherwise only its last lines are shown.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-25}
shift || true
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(upstream_answer web_config admin_request)

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
nice -n 10 cargo +nightly fuzz build --fuzz-dir fuzz
for target in "${targets[@]}"; do
  mkdir -p "$scratch/$target"
  log=${FUZZ_LOG_DIR:+$FUZZ_LOG_DIR/$target.log}
  log=${log:-$scratch/$target.log}
  [[ -n "${FUZZ_LOG_DIR:-}" ]] && mkdir -p "$FUZZ_LOG_DIR"
  echo "fuzz: $target for ${seconds} s"
  if ! nice -n 10 cargo +nightly fuzz run --fuzz-dir fuzz "$target" "$scratch/$target" "fuzz/corpus/$target" \
    -- -max_total_time="$seconds" -timeout=10 -print_final_stats=1 >"$log" 2>&1; then
    tail -n 60 "$log"
    echo "fuzz: $target failed (a crash, a timeout or a build error); input in fuzz/artifacts/$target/" >&2
    exit 1
  fi
  grep -E '^(Done|stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb)' "$log" \
    | tr '\n' ' '
  grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[0-9]+[a-zA-Z]*' "$log" | tail -n 1
done
