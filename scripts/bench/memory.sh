#!/usr/bin/env bash
# Where the exporter's peak memory goes (diagnostics beside scripts/bench.sh; not a test).
#   1. peak RSS (VmHWM) of a cold refresh at N accounts (default 100,000) with all collectors,
#      then with each collector alone (--no-collector.* for the others);
#   2. refreshes after the first at N (TTL 5 s, one scrape a second for 20 s: stale-while-
#      revalidate refreshes while the previous rendering is served), VmHWM reset after the
#      cold fill;
#   3. at 10,000 accounts, TTL 1 h (no refresh during the load): VmHWM under 16 and 64
#      connections, gzip and plain (VmHWM reset before each via /proc/PID/clear_refs), i.e.
#      what a scraping connection holds;
#   4. with MASSIF=1: valgrind --tool=massif on one cold refresh of the accounts collector alone
#      at N (needs valgrind from Debian; ~10 s), then ms_print's peak snapshot, whose
#      allocation sites name the phase (read_body, decode::list, accounts::families,
#      DeflateWriter::new) and its bytes.
# Usage: scripts/bench/memory.sh [N]      MASSIF=1 scripts/bench/memory.sh 100000
# Output: stdout and target/bench/memory.md (massif: target/bench/massif.out, massif.txt).
set -euo pipefail
cd "$(dirname "$0")/../.."

n=${1:-100000}
key=benchKey
bin=target/release/proxy911-exporter
util=scripts/bench/util.py
out=target/bench
mkdir -p "$out"
report="$out/memory.md"
cargo build --release --locked --quiet

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() {
  for _ in $(seq 1 600); do curl -sf -o /dev/null "$1" && return 0; sleep 0.1; done
  echo "no answer from $1" >&2
  return 1
}
start_simulator() {
  sim_port=$(free_port)
  "$bin" simulate --listen "127.0.0.1:$sim_port" --app-key "$key" --accounts "$1" >/dev/null 2>&1 &
  sim_pid=$!
  pids+=("$sim_pid")
  wait_http "http://127.0.0.1:$sim_port/_simulator/requests"
}
# start_exporter [WRAPPER ...] -- [FLAGS ...] → $exp_pid, $url (TTL $ttl, default 1 h)
start_exporter() {
  local wrapper=()
  while [[ $# -gt 0 && "$1" != -- ]]; do wrapper+=("$1"); shift; done
  [[ $# -gt 0 ]] && shift
  local port
  port=$(free_port)
  PROXY911_APP_KEY=$key "${wrapper[@]}" "$bin" --web.listen-address "127.0.0.1:$port" \
    --api.url "http://127.0.0.1:$sim_port" --api.rate-limit 10000 --api.rate-burst 10000 \
    --cache.ttl "${ttl:-1h}" --log.level warn "$@" >/dev/null 2>&1 &
  exp_pid=$!
  pids+=("$exp_pid")
  url="http://127.0.0.1:$port/metrics"
  wait_http "http://127.0.0.1:$port/-/healthy"
}
cold() { curl -s -o /dev/null -w '%{time_total}' -H 'Accept-Encoding: gzip' -H 'X-Prometheus-Scrape-Timeout-Seconds: 600' "$url"; }
rss() { awk '/^VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }
collectors=(accounts packages static_ips traffic orders)

{
  echo "# Memory diagnostics, $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD)"
  echo
  echo "## Cold refresh at N=$n, by collector"
  echo
  echo "| collectors | cold scrape, s | VmHWM at start, MiB | VmHWM after the cold refresh, MiB | VmRSS after, MiB |"
  echo "|---|---|---|---|---|"
} > "$report"
start_simulator "$n"
for only in all "${collectors[@]}"; do
  flags=()
  if [[ "$only" != all ]]; then
    for c in "${collectors[@]}"; do [[ "$c" == "$only" ]] || flags+=("--no-collector.$c"); done
  fi
  start_exporter -- "${flags[@]}"
  start=$(python3 "$util" hwm "$exp_pid")
  took=$(cold)
  line="| $only | $took | $start | $(python3 "$util" hwm "$exp_pid") | $(rss "$exp_pid") |"
  echo "$line" | tee -a "$report"
  stop "$exp_pid"
done

ttl=5s start_exporter --
cold >/dev/null
echo 5 > "/proc/$exp_pid/clear_refs"
for _ in $(seq 1 20); do cold >/dev/null; sleep 1; done
{
  echo
  echo "## Refreshes after the first, N=$n: TTL 5 s, one scrape a second for 20 s (VmHWM reset after the cold fill)"
  echo
  echo "- VmHWM $(python3 "$util" hwm "$exp_pid") MiB"
} | tee -a "$report"
stop "$exp_pid"

if [[ "${MASSIF:-0}" == 1 ]]; then
  others=()
  for c in "${collectors[@]}"; do [[ "$c" == accounts ]] || others+=("--no-collector.$c"); done
  start_exporter valgrind --tool=massif --threshold=2 --depth=30 --massif-out-file="$out/massif.out" -- "${others[@]}"
  cold >/dev/null
  sleep 1
  stop "$exp_pid"
  ms_print --threshold=2 "$out/massif.out" > "$out/massif.txt"
  {
    echo
    echo "## massif, accounts collector alone, N=$n (full output: $out/massif.txt)"
    echo
    echo '```'
    sed -n '/^    MB$/,/^Number of snapshots/p' "$out/massif.txt"
    # The peak snapshot's allocation tree, three levels deep.
    python3 - "$out/massif.txt" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
peak = re.search(r"(\d+) \(peak\)", text).group(1)
lines = text.splitlines()
start = next(i for i, l in enumerate(lines) if re.match(rf" +{peak} +[\d,]+ +[\d,]+", l))
print(lines[start])
for line in lines[start + 1:]:
    if re.match(r" +\d+ +[\d,]+ +[\d,]+", line) or line.startswith("---"):
        break
    if re.match(r"^(\d|->|\| ->|\| \| ->)", line):
        print(line[:200])
PY
    echo '```'
  } | tee -a "$report"
fi
stop "$sim_pid"

{
  echo
  echo "## What a scraping connection holds, N=10000, TTL 1 h (no refresh during the load)"
  echo
  echo "| answer | connections | scrapes/s | VmHWM during the run, MiB |"
  echo "|---|---|---|---|"
} | tee -a "$report"
start_simulator 10000
start_exporter --
cold >/dev/null
for mode in gzip plain; do
  headers=()
  [[ "$mode" == gzip ]] && headers=(-H 'Accept-Encoding: gzip')
  for conns in 16 64; do
    echo 5 > "/proc/$exp_pid/clear_refs"
    rps=$(wrk -t2 -c"$conns" -d8s --timeout 30s "${headers[@]}" "$url" | awk '/^Requests\/sec:/ {printf "%.0f", $2}')
    echo "| $mode | $conns | $rps | $(python3 "$util" hwm "$exp_pid") |" | tee -a "$report"
  done
done
echo "| (idle, after the runs) | 0 | | VmRSS $(rss "$exp_pid") |" | tee -a "$report"
