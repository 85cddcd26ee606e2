#!/usr/bin/env bash
# Load benchmark: release binaries, the simulator with N accounts (100, 1,000, 10,000), the
# exporter, and wrk on loopback. For each N it measures
#   - cached-scrape throughput and latency (p50, p99) at 1, 16 and 64 connections;
#   - the cold-scrape latency with 200 ms of upstream latency on every request;
#   - upstream requests per minute while 64 connections scrape continuously (TTL 5 s);
#   - the exporter's peak resident memory (VmHWM);
# and the same throughput figures for a baseline that re-fetches and re-renders on every scrape
# (the exporter with --cache.ttl 0s). Every figure is printed with its N; results also go to
# target/bench/results.md. Usage: scripts/bench.sh [N ...]   (default: 100 1000 10000)
# Needs wrk and curl (scripts/install-tools.sh installs wrk).
set -euo pipefail
cd "$(dirname "$0")/.."

sizes=("$@")
[[ ${#sizes[@]} -gt 0 ]] || sizes=(100 1000 10000)
duration=${BENCH_DURATION:-10}
key=benchKey
bin=target/release/proxy911-exporter
out=target/bench
mkdir -p "$out"
results="$out/results.md"

cargo build --release --locked --quiet
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { for _ in $(seq 1 200); do curl -sf -o /dev/null "$1" && return 0; sleep 0.05; done; echo "no answer from $1" >&2; return 1; }

# start_exporter PORT SIM_PORT TTL → sets $exporter_pid
start_exporter() {
  PROXY911_APP_KEY=$key "$bin" --web.listen-address "127.0.0.1:$1" --api.url "http://127.0.0.1:$2" \
    --api.rate-limit 10000 --api.rate-burst 10000 --cache.ttl "$3" --log.level warn &
  exporter_pid=$!
  pids+=("$exporter_pid")
  wait_http "http://127.0.0.1:$1/-/healthy"
}

# wrk_run URL CONNECTIONS → "rps p50 p99"
wrk_run() {
  local report
  report=$(wrk -t"$(( $2 < 2 ? $2 : 2 ))" -c"$2" -d"${duration}s" --latency -H 'X-Prometheus-Scrape-Timeout-Seconds: 30' "$1")
  local rps p50 p99
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$report")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$report")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$report")
  echo "$rps $p50 $p99"
}

upstream_total() { curl -s "http://127.0.0.1:$1/_simulator/requests" | python3 -c 'import sys, json; print(sum(v["total"] for v in json.load(sys.stdin).values()))'; }
upstream_keys() { curl -s "http://127.0.0.1:$1/_simulator/requests" | python3 -c 'import sys, json; d = json.load(sys.stdin); print(sum(max(1, len(v["variants"])) for v in d.values()))'; }
peak_rss_mib() { awk '/^VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }
body_bytes() { curl -s -o /dev/null -w '%{size_download}' "$1"; }

{
  echo "# Load benchmark, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(git rev-parse --short HEAD)"
  echo
  echo "| N | mode | conns | scrapes/s | p50 | p99 |"
  echo "|---|---|---|---|---|---|"
} > "$results"
summary=()

for n in "${sizes[@]}"; do
  sim_port=$(free_port)
  "$bin" simulate --listen "127.0.0.1:$sim_port" --app-key "$key" --accounts "$n" > /dev/null &
  sim_pid=$!
  pids+=("$sim_pid")
  wait_http "http://127.0.0.1:$sim_port/_simulator/requests"

  # Cached scrapes.
  port=$(free_port)
  start_exporter "$port" "$sim_port" 5s
  url="http://127.0.0.1:$port/metrics"
  curl -s -o /dev/null -H 'X-Prometheus-Scrape-Timeout-Seconds: 60' "$url"
  size=$(body_bytes "$url")
  declare -A cached=()
  for c in 1 16 64; do
    cached[$c]=$(wrk_run "$url" "$c")
    read -r rps p50 p99 <<<"${cached[$c]}"
    echo "| $n | cached | $c | $rps | $p50 | $p99 |" >> "$results"
    echo "N=$n cached c=$c: $rps scrapes/s, p50 $p50, p99 $p99"
  done

  # Upstream requests while 64 connections scrape continuously for 20 s, TTL 5 s.
  curl -s -X DELETE "http://127.0.0.1:$sim_port/_simulator/requests"
  wrk -t2 -c64 -d20s "$url" > /dev/null
  total=$(upstream_total "$sim_port")
  per_refresh=$(upstream_keys "$sim_port")
  per_minute=$((total * 3))
  rss=$(peak_rss_mib "$exporter_pid")
  kill "$exporter_pid"; wait "$exporter_pid" 2>/dev/null || true

  # Cold scrape with 200 ms on every upstream request.
  curl -s -X POST "http://127.0.0.1:$sim_port/_simulator/faults" -d '{"endpoint":"*","fault":"latency:200ms"}'
  port=$(free_port)
  start_exporter "$port" "$sim_port" 60s
  cold=$(curl -s -o /dev/null -w '%{time_total}' -H 'X-Prometheus-Scrape-Timeout-Seconds: 120' "http://127.0.0.1:$port/metrics")
  kill "$exporter_pid"; wait "$exporter_pid" 2>/dev/null || true
  curl -s -X DELETE "http://127.0.0.1:$sim_port/_simulator/faults"
  ip_pages=$(( ( (n / 5 > 120 ? n / 5 : 120) + 49 ) / 50 ))
  chain=$(( 1 + (ip_pages - 1 + 7) / 8 ))

  # Baseline: re-fetch and re-render on every scrape.
  port=$(free_port)
  start_exporter "$port" "$sim_port" 0s
  url="http://127.0.0.1:$port/metrics"
  for c in 1 16 64; do
    curl -s -X DELETE "http://127.0.0.1:$sim_port/_simulator/requests"
    read -r rps p50 p99 <<<"$(wrk_run "$url" "$c")"
    base_upstream=$(( $(upstream_total "$sim_port") * 60 / duration ))
    echo "| $n | baseline (ttl 0s) | $c | $rps | $p50 | $p99 |" >> "$results"
    echo "N=$n baseline c=$c: $rps scrapes/s, p50 $p50, p99 $p99"
    read -r crps _ _ <<<"${cached[$c]}"
    ratio=$(python3 -c "print(f'{float($crps) / max(float($rps), 1e-9):.0f}')")
    summary+=("| $n | $c | $crps | $rps | ${ratio}× |")
  done
  base_rss=$(peak_rss_mib "$exporter_pid")
  # base_upstream holds the figure of the last (64-connection) baseline run.
  kill "$exporter_pid"; wait "$exporter_pid" 2>/dev/null || true
  kill "$sim_pid"; wait "$sim_pid" 2>/dev/null || true

  echo "N=$n body ${size} bytes; cold scrape ${cold}s with 200 ms upstream latency (longest chain ${chain} requests: $(python3 -c "print(f'{$chain * 0.2:.1f}')")s); upstream ${per_minute}/min under 64 connections (${per_refresh} requests per refresh, TTL 5 s → $((per_refresh * 12))/min expected; baseline ${base_upstream}/min); peak RSS ${rss} MiB (baseline ${base_rss} MiB)"
  echo "- N=$n: body ${size} bytes; cold scrape ${cold} s at 200 ms upstream latency (longest sequential chain ${chain} requests = $(python3 -c "print(f'{$chain * 0.2:.1f}')") s); upstream requests under 64 scraping connections ${per_minute}/min (one refresh = ${per_refresh} requests, TTL 5 s → $((per_refresh * 12))/min; baseline ${base_upstream}/min); peak RSS ${rss} MiB (baseline ${base_rss} MiB)" >> "$out/details.md"
done

{
  echo
  echo "| N | conns | cached scrapes/s | baseline scrapes/s | cached ÷ baseline |"
  echo "|---|---|---|---|---|"
  printf '%s\n' "${summary[@]}"
  echo
  cat "$out/details.md"
} >> "$results"
rm -f "$out/details.md"
echo
cat "$results"
