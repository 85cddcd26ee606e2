#!/usr/bin/env bash
# Several targets at scale (issue 23, item 9): one exporter with a config file of N targets
# (default 1,000) of 100 accounts each, against one `proxy911-exporter simulate` that serves N
# app_keys, each its own world. Not a test: nothing here gates CI.
#   1. memory: VmRSS at start (N targets configured, none probed), after every STEP targets
#      filled by a cold probe (one at a time), after the fill; VmHWM over the whole run;
#      memory per target = (after the fill - at start) / N
#   2. upstream requests of one target's cold refresh, by endpoint and page (the simulator's
#      count for its key), against its probe's proxy911_upstream_requests_total; every key's
#      total after the fill
#   3. latency of probes of cached targets (cache_ttl 1h, the first N - REFRESHERS), one at a
#      time on one connection, timed to the last body byte, while the last REFRESHERS targets
#      (cache_ttl 0s: each probe of them starts a refresh of all its collectors, answered at
#      once from the previous data) are probed at RATES refreshes/s (0: idle, max: as fast as
#      4 connections go)
# Usage: scripts/bench/multi_target.sh
#        MT_TARGETS=100 MT_SAMPLES=2000 scripts/bench/multi_target.sh   (a quick check)
#   MT_TARGETS (1000), MT_ACCOUNTS (100), MT_REFRESHERS (300; the rest are measured),
#   MT_RATES ("0 17 100 max"), MT_SAMPLES (10000 per rate, or fewer after MT_PHASE_SECONDS,
#   default 90), MT_STEP (50), MT_BIN (a built
#   binary instead of building the release one), HEAPTRACK=1 (run the exporter under heaptrack
#   and print what holds the memory after the fill, by component)
# The experiments of BENCHMARKS.md (what a change would save) run a build with
# scripts/bench/multi_target_experiments.patch applied; each change is off unless its variable
# is set: PROXY911_EXP_TRIM=1s (malloc_trim at most once a second) or =trailing (at most once a
# second, and within a second of the last refresh), PROXY911_EXP_POOL_IDLE=1
# (one idle upstream connection per target), PROXY911_EXP_TAIL_SHRINK=1 (the self-metrics tail
# at its size):
#   git apply scripts/bench/multi_target_experiments.patch && cargo build --release \
#     && cp target/release/proxy911-exporter /tmp/exp && git checkout src
#   PROXY911_EXP_TRIM=1s MT_BIN=/tmp/exp scripts/bench/multi_target.sh
# Output: target/bench/multi_target.md (every figure), target/bench/multi_target/ (config, keys,
#   logs, latencies); with the defaults also docs/bench/multi_target_fill.dat,
#   docs/bench/multi_target_latency.dat and docs/bench/multi_target.png
#   (gnuplot, scripts/bench/multi_target.gp).
set -euo pipefail
cd "$(dirname "$0")/../.."

n=${MT_TARGETS:-1000}
accounts=${MT_ACCOUNTS:-100}
refreshers=${MT_REFRESHERS:-$((n * 3 / 10))}
rates=${MT_RATES:-0 17 100 max}
samples=${MT_SAMPLES:-10000}
phase_seconds=${MT_PHASE_SECONDS:-90}
step=${MT_STEP:-$((n / 20))}
cached=$((n - refreshers))
bin=${MT_BIN:-target/release/proxy911-exporter}
py=scripts/bench/multi_target.py
out=target/bench
work=$out/multi_target
report=$out/multi_target.md
defaults=0
[[ -z "${MT_TARGETS:-}${MT_ACCOUNTS:-}${MT_REFRESHERS:-}${MT_RATES:-}${MT_SAMPLES:-}${MT_BIN:-}${HEAPTRACK:-}" ]] && defaults=1
rm -rf "$work"
mkdir -p "$work"
[[ -n "${MT_BIN:-}" ]] || cargo build --release --locked --quiet --bin proxy911-exporter

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() {
  for _ in $(seq 1 1200); do curl -sf -o /dev/null "$1" && return 0; sleep 0.1; done
  echo "no answer from $1" >&2
  return 1
}
mib() { awk -v f="$2" '$1 == f":" {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }
fds() { ls "/proc/$1/fd" | wc -l; }
say() { echo "$*" | tee -a "$report"; }

python3 "$py" gen "$work" "$n" "$refreshers"
{
  echo "# Several targets, $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD)"
  echo
  echo "$n targets × $accounts accounts; t0000…t$(printf %04d $((cached - 1))) cache_ttl 1h (measured), the last $refreshers cache_ttl 0s (refreshed by the load)."
  echo "Machine: $(nproc) CPUs ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)), $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), Linux $(uname -r)."
  echo
} > "$report"

sim_port=$(free_port)
sim="http://127.0.0.1:$sim_port"
seeding=$(date +%s.%N)
"$bin" simulate --listen "127.0.0.1:$sim_port" --app-keys-file "$work/keys.txt" \
  --accounts "$accounts" >"$work/simulator.log" 2>&1 &
sim_pid=$!
pids+=("$sim_pid")
wait_http "$sim/_simulator/requests"
say "- simulator: $n keys seeded and serving in $(python3 -c "import time; print(f'{time.time() - $seeding:.1f}')") s, VmRSS $(mib "$sim_pid" VmRSS) MiB"

port=$(free_port)
base="http://127.0.0.1:$port"
wrapper=()
[[ "${HEAPTRACK:-0}" == 1 ]] && wrapper=(heaptrack -o "$work/heaptrack")
"${wrapper[@]}" "$bin" --web.listen-address "127.0.0.1:$port" --api.url "$sim" \
  --config.file "$work/config.yml" --api.rate-limit 10000 --api.rate-burst 10000 \
  --log.level warn >"$work/exporter.log" 2>&1 &
exp_pid=$!
pids+=("$exp_pid")
wait_http "$base/-/healthy"
# Under heaptrack (a shell script), the exporter is its child.
wrapper_pid=$exp_pid
if [[ "${HEAPTRACK:-0}" == 1 ]]; then
  exp_pid=$(pgrep -P "$wrapper_pid" -x proxy911-export | head -1)
  pids+=("$exp_pid")
fi
sleep 1
start_rss=$(mib "$exp_pid" VmRSS)
fill=$work/fill.dat
echo "# filled VmRSS-MiB VmHWM-MiB open-fds seconds" >"$fill"
echo "0 $start_rss $(mib "$exp_pid" VmHWM) $(fds "$exp_pid") 0" >>"$fill"
say "- exporter at start ($n targets configured, none probed): VmRSS $start_rss MiB, $(fds "$exp_pid") fds, targets $(curl -s "$base/metrics" | awk '/^proxy911_targets / {print $2}')"

python3 "$py" fill "$base" "$exp_pid" 0 "$n" "$step" "$fill"
sleep 1
filled_rss=$(mib "$exp_pid" VmRSS)
filled_fds=$(fds "$exp_pid")
fill_seconds=$(tail -1 "$fill" | awk '{print $5}')
per_target=$(python3 -c "print(f'{($filled_rss - $start_rss) * 1024 / $n:.0f}')")
say "- after the cold fill of all $n targets (one at a time, $fill_seconds s): VmRSS $filled_rss MiB, VmHWM $(mib "$exp_pid" VmHWM) MiB, $filled_fds fds; per target ($filled_rss - $start_rss) / $n = **$per_target KiB**"
say "- simulator after the fill: VmRSS $(mib "$sim_pid" VmRSS) MiB"

{
  echo
  echo "## Upstream requests of one cold refresh (t0000)"
  echo
  python3 "$py" requests "$sim" "$base" t0000 "$(sed -n 1p "$work/keys.txt")"
} | tee "$work/requests.txt" | sed '$d' | tee -a "$report"
requests_line=$(tail -1 "$work/requests.txt")
read -r fill_min fill_max fill_keys fill_whole < <(python3 "$py" totals "$sim" "$work/keys.txt" 0 "$cached")
read -r zero_min zero_max _ _ < <(python3 "$py" totals "$sim" "$work/keys.txt" "$cached" "$n")
say
say "- $requests_line (simulator against the probe's own counter)"
say "- every cached target's key after the fill: $fill_min to $fill_max requests ($fill_keys keys), every page of an endpoint asked equally often: $fill_whole"
say "- the cache_ttl 0s targets' keys: $zero_min to $zero_max (one refresh each: the cold probe waits for it and starts no second one)"

say
say "## Cached probes while other targets refresh (up to $samples probes or $phase_seconds s per row, t0000…t$(printf %04d $((cached - 1))) in turn, 1 ms apart)"
say
say "| refresh load | target refreshes/s | upstream requests/s | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | exporter CPU (one core = 100%) | machine load average | errors |"
say "|---|---|---|---|---|---|---|---|---|---|---|"
latency_files=()
for rate in $rates; do
  stop=$work/stop-$rate
  rm -f "$stop"
  load_pid=
  if [[ "$rate" != 0 ]]; then
    [[ "$rate" == max ]] && r=0 || r=$rate
    python3 "$py" load "$base" "$cached" "$n" "$r" 4 "$stop" >"$work/load-$rate.txt" &
    load_pid=$!
    pids+=("$load_pid")
    sleep 2
  fi
  read -r t0 before cpu_before < <(python3 "$py" snapshot "$sim" "$exp_pid")
  load0=$(cut -d' ' -f1 /proc/loadavg)
  read -r count p50 p90 p99 p999 max errors < <(python3 "$py" measure "$base" 0 "$cached" "$samples" 0.001 "$work/latency-$rate.txt" "$phase_seconds")
  read -r t1 after cpu_after < <(python3 "$py" snapshot "$sim" "$exp_pid")
  load1=$(cut -d' ' -f1 /proc/loadavg)
  touch "$stop"
  [[ -n "$load_pid" ]] && wait "$load_pid"
  latency_files+=("$work/latency-$rate.txt")
  per_refresh=$(echo "$requests_line" | awk '{print $2}')
  read -r req_s ref_s cpu_share < <(python3 -c "
d = $t1 - $t0
print(f'{($after - $before) / d:.0f} {($after - $before) / d / $per_refresh:.1f} {($cpu_after - $cpu_before) / d * 100:.0f}%')")
  case "$rate" in
    0) label="none (idle)" ;;
    max) label="as fast as 4 connections go" ;;
    *) label="$rate probes/s" ;;
  esac
  say "| $label ($count probes) | $ref_s | $req_s | $p50 | $p90 | $p99 | $p999 | $max | $cpu_share | $load0 → $load1 | $errors |"
done
python3 "$py" percentiles "$work/latency.dat" "${latency_files[@]}"

sleep 2
read -r load_min load_max load_keys load_whole < <(python3 "$py" totals "$sim" "$work/keys.txt" "$cached" "$n")
say
say "- refreshed targets after the load: $load_min to $load_max requests each, every page of an endpoint asked equally often: $load_whole"
last=t$(printf %04d $((n - 1)))
python3 "$py" requests "$sim" "$base" "$last" "$(sed -n "${n}p" "$work/keys.txt")" >"$work/requests-last.txt"
say "- $last (refreshed under load): $(tail -1 "$work/requests-last.txt") (simulator against the probe's own counter)"
say "- exporter at the end: VmRSS $(mib "$exp_pid" VmRSS) MiB, **peak VmHWM $(mib "$exp_pid" VmHWM) MiB**, $(fds "$exp_pid") fds, $(ls "/proc/$exp_pid/task" | wc -l) threads"

if [[ "${HEAPTRACK:-0}" == 1 ]]; then
  kill "$exp_pid"
  wait "$wrapper_pid" || true
  heap_file=
  for f in "$work"/heaptrack*.zst "$work"/heaptrack*.gz; do [[ -e "$f" ]] && heap_file=$f; done
  heaptrack_print -f "$heap_file" --print-peaks 0 --print-allocators 0 --print-temporary 0 \
    --print-leaks 0 --flamegraph-cost-type peak -F "$work/heap-stacks.txt" >"$work/heaptrack.txt" 2>&1
  {
    echo
    echo "## heaptrack: the heap at its peak, by component"
    echo
    python3 "$py" heap "$work/heap-stacks.txt" "$n"
  } | tee -a "$report"
fi

if [[ "$defaults" == 1 ]]; then
  cp "$fill" docs/bench/multi_target_fill.dat
  cp "$work/latency.dat" docs/bench/multi_target_latency.dat
  gnuplot scripts/bench/multi_target.gp
  echo "wrote docs/bench/multi_target_fill.dat, docs/bench/multi_target_latency.dat, docs/bench/multi_target.png"
else
  gnuplot -e "fill='$fill'; latency='$work/latency.dat'; out='$work/multi_target.png'" scripts/bench/multi_target.gp
fi
echo "report: $report"
