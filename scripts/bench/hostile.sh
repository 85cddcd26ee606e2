#!/usr/bin/env bash
# Peak memory and truthfulness of the release binary against a hostile upstream
# (scripts/bench/hostile_upstream.py), one row per shape: the exporter is scraped five times a
# second apart (TTL 1 s), then its peak RSS (VmHWM), proxy911_up and its series counts are read.
# Usage: scripts/bench/hostile.sh   (MODES="endless data-null" for some rows, appended)
# Output: stdout and target/bench/hostile.md
set -euo pipefail
cd "$(dirname "$0")/../.."

bin=target/release/proxy911-exporter
out=target/bench
mkdir -p "$out"
report="$out/hostile.md"
cargo build --release --locked --quiet

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

[[ -n "${MODES:-}" && -f "$report" ]] || printf '| upstream | peak RSS (MiB) | proxy911_up | daily traffic series | accounts series | refresh errors logged |\n|---|---|---|---|---|---|\n' > "$report"
modes=${MODES:-empty-items-3m empty-items-10m endless fake-days data-null}
for mode in $modes; do
  up_port=$(free_port)
  python3 scripts/bench/hostile_upstream.py "$up_port" "$mode" &
  up_pid=$!; pids+=("$up_pid")
  # Ready when it accepts a connection (a GET could stream without end).
  for _ in $(seq 1 100); do
    python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $up_port), 1)" 2>/dev/null && break
    sleep 0.1
  done
  port=$(free_port)
  log=$out/hostile-$mode.log
  PROXY911_APP_KEY=benchKey "$bin" --api.url "http://127.0.0.1:$up_port" \
    --web.listen-address "127.0.0.1:$port" --cache.ttl 1s --api.rate-limit 1000 \
    --api.rate-burst 1000 --api.timeout 30s --log.format json 2>"$log" &
  pid=$!; pids+=("$pid")
  for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$port/-/ready" && break; sleep 0.1; done
  for _ in 1 2 3 4 5; do
    curl -s --max-time 40 -o "$out/hostile-$mode.prom" -H 'X-Prometheus-Scrape-Timeout-Seconds: 30' "http://127.0.0.1:$port/metrics" || true
    sleep 1
  done
  hwm_kb=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
  upv=$(awk '$1=="proxy911_up" {print $2}' "$out/hostile-$mode.prom")
  days=$(grep -c '^proxy911_traffic_daily_bytes{' "$out/hostile-$mode.prom" || true)
  accounts=$(grep -c '^proxy911_account_info{' "$out/hostile-$mode.prom" || true)
  errors=$(grep -c '"upstream refresh failed"' "$log" || true)
  kill "$pid" "$up_pid" 2>/dev/null || true; wait "$pid" "$up_pid" 2>/dev/null || true
  printf '| %s | %.1f | %s | %s | %s | %s |\n' "$mode" "$(echo "$hwm_kb / 1024" | bc -l)" "${upv:-none}" "$days" "$accounts" "$errors" | tee -a "$report"
done
echo "report: $report"
