#!/usr/bin/env bash
# Soak (issue 21, item 8): the release exporter against `proxy911-exporter simulate` for a long
# time, under scrapes, admin calls and upstream faults that change every minute, with its RSS,
# open file descriptors and threads sampled from /proc. The lines should be flat.
#   load:    one scrape every 0.5 s (gzip and plain in turn, TTL 5 s: a refresh every few
#            scrapes); one admin round every 2 s (list, add, change, delete one account)
#   faults:  a cycle of one-minute phases on every endpoint: none, latency 300 ms, HTTP 500,
#            schema drift, redirect (scripts/bench/soak_upstream.py, the simulator has none),
#            HTTP 429, malformed JSON, latency 1 s + HTTP 500
#   samples: every 10 s, from /proc/PID: VmRSS, VmHWM, open fds, threads (/proc/PID/task)
# Usage: scripts/bench/soak.sh [DURATION]   (seconds, or with s/m/h: 90s, 45m, 1h; default 1h)
#        SOAK_PHASE=5 (seconds per fault phase, default 60) for a quick check of the script
# Output: docs/bench/soak.dat (the samples), docs/bench/soak.png (gnuplot, scripts/bench/soak.gp),
#         a summary on stdout and in target/bench/soak.md; the exporter's log in target/bench/.
set -euo pipefail
cd "$(dirname "$0")/../.."

duration=${1:-1h}
case "$duration" in
  *h) seconds=$(( ${duration%h} * 3600 )) ;;
  *m) seconds=$(( ${duration%m} * 60 )) ;;
  *s) seconds=${duration%s} ;;
  *) seconds=$duration ;;
esac
phase_seconds=${SOAK_PHASE:-60}
key=soakKey
token=soakAdminToken
bin=${SOAK_BIN:-target/release/proxy911-exporter}
out=target/bench
data=docs/bench/soak.dat
mkdir -p "$out" docs/bench
[[ -n "${SOAK_BIN:-}" ]] || cargo build --release --locked --quiet --bin proxy911-exporter

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() {
  for _ in $(seq 1 600); do curl -sf -o /dev/null "$1" && return 0; sleep 0.1; done
  echo "no answer from $1" >&2
  return 1
}

sim_port=$(free_port)
"$bin" simulate --listen "127.0.0.1:$sim_port" --app-key "$key" --accounts 1000 \
  >"$out/soak-simulator.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$sim_port/_simulator/requests"
front_port=$(free_port)
python3 scripts/bench/soak_upstream.py "$front_port" "$sim_port" &
pids+=($!)
wait_http "http://127.0.0.1:$front_port/_simulator/requests"

port=$(free_port)
PROXY911_APP_KEY=$key PROXY911_ADMIN_TOKEN=$token "$bin" \
  --web.listen-address "127.0.0.1:$port" --api.url "http://127.0.0.1:$front_port" \
  --api.rate-limit 1000 --api.rate-burst 1000 --cache.ttl 5s --log.level warn \
  >"$out/soak-exporter.log" 2>&1 &
exp_pid=$!
pids+=("$exp_pid")
base="http://127.0.0.1:$port"
wait_http "$base/-/healthy"

# Each load loop appends one HTTP status per request to its own file.
scrapes="$out/soak-scrapes.txt"
admin="$out/soak-admin.txt"
: >"$scrapes"
: >"$admin"
scrape_loop() {
  local n=0 enc
  while true; do
    if (( n++ % 2 )); then enc=gzip; else enc=identity; fi
    curl -s -o /dev/null -m 30 -w '%{http_code}\n' -H "Accept-Encoding: $enc" \
      -H 'X-Prometheus-Scrape-Timeout-Seconds: 25' "$base/metrics" >>"$scrapes" || echo 000 >>"$scrapes"
    sleep 0.5
  done
}
admin_call() {
  local method=$1 path=$2 body=${3:-}
  local args=(-s -o /dev/null -m 30 -w '%{http_code}\n' -X "$method" -H "Authorization: Bearer $token")
  [[ -n "$body" ]] && args+=(-H 'Content-Type: application/json' --data "$body")
  curl "${args[@]}" "$base/admin$path" >>"$admin" || echo 000 >>"$admin"
}
admin_loop() {
  local n=0 user
  while true; do
    user="soak$(( n++ % 50 ))"
    admin_call GET /accounts
    admin_call POST /accounts "{\"accounts\":[{\"username\":\"$user\",\"password\":\"pw$n\"}],\"product_type\":14,\"remark\":\"soak\"}"
    admin_call PATCH "/accounts/$user?all=true" "{\"remark\":\"soak round $n\",\"limit_gb\":5}"
    admin_call DELETE "/accounts/$user?all=true"
    sleep 2
  done
}
phases=(none latency:300ms http500 schema-drift redirect http429 malformed latency:1s+http500)
set_phase() {
  local fault=$1 sim=none
  if [[ "$fault" == redirect ]]; then
    curl -sf -o /dev/null -X POST "http://127.0.0.1:$front_port/_soak/redirect/on"
  else
    curl -sf -o /dev/null -X POST "http://127.0.0.1:$front_port/_soak/redirect/off"
    sim=$fault
  fi
  curl -sf -o /dev/null -X POST -H 'Content-Type: application/json' \
    --data "{\"endpoint\":\"*\",\"fault\":\"$sim\"}" "http://127.0.0.1:$sim_port/_simulator/faults"
}

scrape_loop &
pids+=($!)
admin_loop &
pids+=($!)

status() { awk "/^$1/ {print \$2}" "/proc/$exp_pid/status"; }
count() { wc -l <"$1" | tr -d ' '; }
bad() { grep -cv "^$2\$" "$1" || true; }
{
  echo "# Soak of proxy911-exporter (scripts/bench/soak.sh), $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD), planned ${seconds} s"
  echo "# 1 elapsed s  2 VmRSS MiB  3 VmHWM MiB  4 open fds  5 threads  6 fault phase (index)"
  echo "# 7 scrapes  8 scrapes not 200  9 admin calls  10 admin calls 000 (no answer)"
  echo "# phases: ${phases[*]}"
} >"$data"
start=$(date +%s)
phase=-1
while true; do
  now=$(date +%s)
  elapsed=$(( now - start ))
  wanted=$(( (elapsed / phase_seconds) % ${#phases[@]} ))
  if (( wanted != phase )); then
    phase=$wanted
    set_phase "${phases[$phase]}"
  fi
  kill -0 "$exp_pid" 2>/dev/null || { echo "soak: the exporter died after ${elapsed} s" >&2; exit 1; }
  rss=$(status VmRSS)
  hwm=$(status VmHWM)
  fds=$(ls "/proc/$exp_pid/fd" | wc -l)
  threads=$(ls "/proc/$exp_pid/task" | wc -l)
  printf '%d %.1f %.1f %d %d %d %d %d %d %d\n' "$elapsed" "$(bc -l <<<"$rss/1024")" \
    "$(bc -l <<<"$hwm/1024")" "$fds" "$threads" "$phase" "$(count "$scrapes")" \
    "$(bad "$scrapes" 200)" "$(count "$admin")" "$(grep -c '^000$' "$admin" || true)" >>"$data"
  (( elapsed >= seconds )) && break
  sleep 10
done
set_phase none

gnuplot -e "data='$data'; out='docs/bench/soak.png'" scripts/bench/soak.gp
python3 - "$data" "$admin" "$out/soak-exporter.log" <<'EOF' | tee "$out/soak.md"
import collections, sys
rows = [list(map(float, l.split())) for l in open(sys.argv[1]) if l.strip() and not l.startswith("#")]
first, last = rows[0], rows[-1]
col = lambda i: [r[i] for r in rows]
codes = collections.Counter(l.strip() for l in open(sys.argv[2]))
log_lines = sum(1 for _ in open(sys.argv[3], errors="replace"))
print(f"ran {int(last[0])} s ({last[0]/60:.1f} min), {len(rows)} samples")
print(f"VmRSS MiB: start {first[1]:.1f}, end {last[1]:.1f}, min {min(col(1)):.1f}, max {max(col(1)):.1f}; VmHWM at end {last[2]:.1f}")
print(f"open fds: start {int(first[3])}, end {int(last[3])}, min {int(min(col(3)))}, max {int(max(col(3)))}")
print(f"threads: start {int(first[4])}, end {int(last[4])}, min {int(min(col(4)))}, max {int(max(col(4)))}")
print(f"scrapes: {int(last[6])}, not 200: {int(last[7])}")
print(f"admin calls: {int(last[8])}, by status: {dict(sorted(codes.items()))}")
print(f"exporter log lines (warn and above): {log_lines}")
EOF
