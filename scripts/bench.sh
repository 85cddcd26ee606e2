#!/usr/bin/env bash
# Load benchmark of proxy911-exporter, every figure measured side by side in one run.
#
# For each N (default 100 1000 10000 100000 accounts; the simulator seeds packages N/10 + 8,
# purchased static IPs max(N/5, 120) and orders in proportion, on pages of 50):
#   1. refresh: a cold scrape against the loopback simulator (no latency) and the slowest
#      collector's proxy911_collector_duration_seconds; body size of the classic text format,
#      gzip and plain (OpenMetrics too, in the results file);
#   2. peak RSS (VmHWM) after that cold refresh and one scrape in every format (text and
#      OpenMetrics, each with and without gzip);
#   3. cached-scrape throughput, wrk -t2 -c16, gzip and plain, against nginx (Debian's
#      nginx-light, in the foreground on a free loopback port, 2 workers, sendfile, no access
#      log) serving the very same bytes from files: the gzip file with Content-Encoding: gzip,
#      the plain file as it is. Each server gets BENCH_DURATION s per row, in two slices run in
#      the order exporter, nginx, nginx, exporter (a drift in the shared machine's load falls
#      on both alike). The exporter's TTL is 1 h there, so no refresh runs during these rows;
#   4. 64 scraping connections, TTL 5 s (refreshes run during the load), BENCH_DURATION_64 s
#      gzip then BENCH_DURATION_64 s plain: scrapes/s, peak RSS of each (VmHWM reset in
#      between via /proc/PID/clear_refs), and the upstream requests per endpoint and page
#      during the gzip run (at most one per TTL);
#   5. a cold scrape with 200 ms latency on every upstream request, against the longest
#      sequential chain of requests x 200 ms.
# Then, at 10,000 accounts (BENCH_SWR_ACCOUNTS), with 200 ms upstream latency and TTL 5 s: the
# stale-while-revalidate run (scripts/bench/swr.py): one scrape every 100 ms until every
# collector was refreshed after four TTL expiries: p50, p99, max, and the upstream requests per
# endpoint and page per refresh. It runs when 10000 is among the sizes (BENCH_SWR=1 forces it,
# BENCH_SWR=0 skips it).
#
# Output: target/bench/results.md (every figure with its N), target/bench/scaling.dat and
# scaling.png (gnuplot, log-log, scripts/bench/plot.gp), swr.json. With the default set of
# sizes the data file and the plot are also copied to docs/bench/ (committed, linked from
# BENCHMARKS.md and the README).
#
# Usage: scripts/bench.sh [N ...]          default: 100 1000 10000 100000 (~8 min on 2 cores)
#        BENCH_DURATION=S                   wrk seconds per server and 16-connection row
#                                           (default 16: two slices of 8 s each)
#        BENCH_DURATION_64=S                wrk seconds of each 64-connection run (default 20,
#                                           four TTLs)
# Installs wrk, nginx-light, gnuplot-nox and curl from Debian when missing (services are not
# started: a policy-rc.d forbids it). Needs python3 (standard library only).
# A benchmark, not a test: nothing here gates CI.
set -euo pipefail
cd "$(dirname "$0")/.."

default_sizes=(100 1000 10000 100000)
sizes=("$@")
default_set=false
if [[ ${#sizes[@]} -eq 0 ]]; then
  sizes=("${default_sizes[@]}")
  default_set=true
fi
duration=${BENCH_DURATION:-16}
long=${BENCH_DURATION_64:-20}
swr_accounts=${BENCH_SWR_ACCOUNTS:-10000}
run_swr=${BENCH_SWR:-}
if [[ -z "$run_swr" ]]; then
  run_swr=0
  for n in "${sizes[@]}"; do [[ "$n" == 10000 ]] && run_swr=1; done
fi
ttl=5
latency_ms=200
key=benchKey
bin=target/release/proxy911-exporter
util=scripts/bench/util.py
out=target/bench
mkdir -p "$out"
: > "$out/exporter.log"
: > "$out/simulator.log"
results="$out/results.md"
data="$out/scaling.dat"

# --- tools, from Debian, idempotently ----------------------------------------------------------
need_apt=()
command -v wrk >/dev/null 2>&1 || need_apt+=(wrk)
command -v curl >/dev/null 2>&1 || need_apt+=(curl)
[[ -x /usr/sbin/nginx ]] || command -v nginx >/dev/null 2>&1 || need_apt+=(nginx-light)
command -v gnuplot >/dev/null 2>&1 || need_apt+=(gnuplot-nox)
if [[ ${#need_apt[@]} -gt 0 ]]; then
  # Debian's packages try to start their services (nginx would take port 80); PID 1 is not
  # systemd here: forbid it, as scripts/install-tools.sh does.
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)

cargo build --release --locked --quiet

# --- processes -----------------------------------------------------------------------------------
pids=()
tmp=$(mktemp -d)
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() {
  for _ in $(seq 1 400); do curl -sf -o /dev/null "$1" && return 0; sleep 0.05; done
  echo "no answer from $1" >&2
  return 1
}

# start_simulator N [FAULT] → $sim_pid, $sim_port
start_simulator() {
  sim_port=$(free_port)
  local fault=()
  [[ -n "${2:-}" ]] && fault=(--fault "$2")
  "$bin" simulate --listen "127.0.0.1:$sim_port" --app-key "$key" --accounts "$1" "${fault[@]}" >>"$out/simulator.log" 2>&1 &
  sim_pid=$!
  pids+=("$sim_pid")
  wait_http "http://127.0.0.1:$sim_port/_simulator/requests"
}

# start_exporter TTL → $exp_pid, $exp_port, $url. The rate limit does not bind (10,000/s).
start_exporter() {
  exp_port=$(free_port)
  PROXY911_APP_KEY=$key "$bin" --web.listen-address "127.0.0.1:$exp_port" \
    --api.url "http://127.0.0.1:$sim_port" --api.rate-limit 10000 --api.rate-burst 10000 \
    --cache.ttl "$1" --log.level warn >>"$out/exporter.log" 2>&1 &
  exp_pid=$!
  pids+=("$exp_pid")
  url="http://127.0.0.1:$exp_port/metrics"
  wait_http "http://127.0.0.1:$exp_port/-/healthy"
}

# start_nginx DIR → $nginx_pid, $nginx_port; DIR holds metrics.gz and metrics.txt.
start_nginx() {
  nginx_port=$(free_port)
  local prefix=$1
  mkdir -p "$prefix/temp"
  # Workers run as nobody: let them read the files.
  chmod -R a+rX "$prefix"
  chmod a+x "$tmp"
  local type="text/plain; version=0.0.4; charset=utf-8"
  cat > "$prefix/nginx.conf" <<EOF
worker_processes 2;
pid $prefix/nginx.pid;
error_log stderr warn;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 10000000;
  client_body_temp_path $prefix/temp/body;
  proxy_temp_path $prefix/temp/proxy;
  fastcgi_temp_path $prefix/temp/fastcgi;
  uwsgi_temp_path $prefix/temp/uwsgi;
  scgi_temp_path $prefix/temp/scgi;
  types { }
  default_type "$type";
  server {
    listen 127.0.0.1:$nginx_port;
    root $prefix;
    location = /metrics.gz { add_header Content-Encoding gzip; add_header Vary "Accept, Accept-Encoding"; }
    location = /metrics.txt { add_header Vary "Accept, Accept-Encoding"; }
  }
}
EOF
  "$nginx_bin" -p "$prefix" -c "$prefix/nginx.conf" -e stderr -g 'daemon off;' &
  nginx_pid=$!
  pids+=("$nginx_pid")
  wait_http "http://127.0.0.1:$nginx_port/metrics.txt"
}

# wrk_raw SECONDS CONNS URL [wrk args]: wrk's report. A 30 s timeout: at 100,000 accounts a
# plain answer (64 MB) under 64 connections takes ~2 s, wrk's default timeout.
wrk_raw() {
  local seconds=$1 conns=$2 target=$3
  shift 3
  wrk -t2 -c"$conns" -d"${seconds}s" --timeout 30s --latency "$@" "$target"
}

# summarize REPORT... → "scrapes/s p50 p99 errors" (ms; mean rate and p50, largest p99)
summarize() {
  local line errors
  line=$(cat "$@" | python3 "$util" wrk)
  read -r _ _ _ errors <<<"$line"
  [[ "$errors" == 0 ]] || echo "warning: $errors failed requests or wrk timeouts in $*" >&2
  echo "$line"
}

# wrk_run SECONDS CONNS URL [wrk args] → "scrapes/s p50 p99 errors"
wrk_run() {
  wrk_raw "$@" > "$tmp/wrk.txt"
  summarize "$tmp/wrk.txt"
}

# compare URL_A URL_B [wrk args]: wrk -t2 -c16 against A and B in the order A B B A, each slice
# half of BENCH_DURATION, so that a drift in the shared machine's load falls on both alike.
# Sets $a_line and $b_line ("scrapes/s p50 p99 errors" each).
compare() {
  local a=$1 b=$2 half
  shift 2
  half=$(( (duration + 1) / 2 ))
  wrk_raw "$half" 16 "$a" "$@" > "$tmp/a1.txt"
  wrk_raw "$half" 16 "$b" "$@" > "$tmp/b1.txt"
  wrk_raw "$half" 16 "$b" "$@" > "$tmp/b2.txt"
  wrk_raw "$half" 16 "$a" "$@" > "$tmp/a2.txt"
  a_line=$(summarize "$tmp/a1.txt" "$tmp/a2.txt")
  b_line=$(summarize "$tmp/b1.txt" "$tmp/b2.txt")
}

gz=(-H 'Accept-Encoding: gzip')
om=(-H 'Accept: application/openmetrics-text; version=1.0.0')
hwm() { python3 "$util" hwm "$1"; }
reset_hwm() { echo 5 > "/proc/$1/clear_refs"; }
sim_requests() { curl -s "http://127.0.0.1:$sim_port/_simulator/requests"; }
sim_reset() { curl -s -X DELETE "http://127.0.0.1:$sim_port/_simulator/requests" >/dev/null; }
size_of() { curl -s -o /dev/null -w '%{size_download}' "$@"; }
ratio() { python3 -c "import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); print(f'{a / b:.2f}' if b else 'n/a')" "$1" "$2"; }
mib() { python3 -c "import sys; print(f'{int(sys.argv[1]) / 1048576:.2f}')" "$1"; }

cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
mem=$(awk '/^MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)
{
  echo "# Load benchmark, $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD)"
  echo
  echo "Machine: $(nproc) cores ($cpu), $mem, $(uname -r); $(rustc --version | cut -d' ' -f1-2);"
  echo "$(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2); $("$nginx_bin" -v 2>&1 | cut -d' ' -f3). BENCH_DURATION=${duration} s, BENCH_DURATION_64=${long} s."
  echo
} > "$results"
{
  echo "# scripts/bench.sh, $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD), $(nproc) cores, BENCH_DURATION=${duration}, BENCH_DURATION_64=${long}"
  echo "# N cold_s slowest_collector_s cold_200ms_s chain rss_cold_formats_mib rss_c16_mib rss_c64_gzip_mib rss_c64_plain_mib body_gzip_bytes body_plain_bytes exporter_gzip_rps nginx_gzip_rps exporter_plain_rps nginx_plain_rps exporter_gzip_rps_c64 exporter_plain_rps_c64"
} > "$data"

scaling_rows=()
nginx_rows=()
memory_rows=()
upstream_rows=()

for n in "${sizes[@]}"; do
  echo "== N=$n"
  start_simulator "$n"

  # 1, 2. Cold refresh (TTL 1 h: nothing refreshes again), bodies, peak RSS after every format.
  start_exporter 1h
  www="$tmp/www-$n"
  mkdir -p "$www"
  cold=$(curl -s -o "$www/metrics.gz" -w '%{time_total}' "${gz[@]}" -H 'X-Prometheus-Scrape-Timeout-Seconds: 120' "$url")
  cold=$(printf '%.3f' "$cold")
  curl -s -o "$www/metrics.txt" "$url"
  om_gzip=$(size_of "${gz[@]}" "${om[@]}" "$url")
  om_plain=$(size_of "${om[@]}" "$url")
  body_gzip=$(stat -c %s "$www/metrics.gz")
  body_plain=$(stat -c %s "$www/metrics.txt")
  slowest=$(python3 "$util" duration-max < "$www/metrics.txt")
  rss_cold=$(hwm "$exp_pid")
  echo "N=$n cold scrape ${cold} s (slowest collector ${slowest} s); body gzip ${body_gzip} B, plain ${body_plain} B; peak RSS after cold + every format ${rss_cold} MiB"

  # 3. Cached scrapes against nginx serving the same bytes, same wrk parameters.
  start_nginx "$www"
  nginx_url="http://127.0.0.1:$nginx_port"
  compare "$url" "$nginx_url/metrics.gz" "${gz[@]}"
  read -r e_gz e_gz50 e_gz99 _ <<<"$a_line"
  read -r n_gz n_gz50 n_gz99 _ <<<"$b_line"
  compare "$url" "$nginx_url/metrics.txt"
  read -r e_pl e_pl50 e_pl99 _ <<<"$a_line"
  read -r n_pl n_pl50 n_pl99 _ <<<"$b_line"
  stop "$nginx_pid"
  rss_c16=$(hwm "$exp_pid")
  stop "$exp_pid"
  r_gz=$(ratio "$e_gz" "$n_gz")
  r_pl=$(ratio "$e_pl" "$n_pl")
  echo "N=$n gzip: exporter $e_gz/s (p50 $e_gz50 ms, p99 $e_gz99 ms), nginx $n_gz/s → ${r_gz}; plain: exporter $e_pl/s (p50 $e_pl50 ms, p99 $e_pl99 ms), nginx $n_pl/s → ${r_pl}"
  nginx_rows+=("| $n | $(mib "$body_gzip") MiB | $e_gz | $n_gz | **$r_gz** | $e_gz50 / $e_gz99 | $n_gz50 / $n_gz99 | $(mib "$body_plain") MiB | $e_pl | $n_pl | **$r_pl** | $e_pl50 / $e_pl99 | $n_pl50 / $n_pl99 |")

  # 4. 64 connections, TTL 5 s: refreshes run under the load.
  start_exporter "${ttl}s"
  curl -s -o /dev/null "${gz[@]}" -H 'X-Prometheus-Scrape-Timeout-Seconds: 120' "$url"
  sim_reset
  read -r c64_gz c64_gz50 c64_gz99 _ <<<"$(wrk_run "$long" 64 "$url" "${gz[@]}" -H 'X-Prometheus-Scrape-Timeout-Seconds: 10')"
  sleep "$(python3 -c "print(float('$cold') + 1)")"   # let a refresh that started finish
  read -r keys up_min up_max up_allowed up_even <<<"$(sim_requests | python3 "$util" upstream "$long" "$ttl")"
  rss_c64=$(hwm "$exp_pid")
  reset_hwm "$exp_pid"
  read -r c64_pl c64_pl50 c64_pl99 _ <<<"$(wrk_run "$long" 64 "$url" -H 'X-Prometheus-Scrape-Timeout-Seconds: 10')"
  rss_c64_plain=$(hwm "$exp_pid")
  stop "$exp_pid"
  echo "N=$n 64 conns, TTL ${ttl} s: gzip $c64_gz/s (p50 $c64_gz50 ms, p99 $c64_gz99 ms), peak RSS ${rss_c64} MiB; plain $c64_pl/s (p50 $c64_pl50 ms, p99 $c64_pl99 ms), peak RSS ${rss_c64_plain} MiB; upstream: $keys endpoint·page keys asked $up_min–$up_max times each in ${long} s (one per TTL allows ≤ $up_allowed; pages of an endpoint equal: $up_even)"
  memory_rows+=("| $n | $rss_cold | $rss_c16 | $rss_c64 | $rss_c64_plain |")
  upstream_rows+=("| $n | $c64_gz | $c64_gz50 / $c64_gz99 | $c64_pl | $c64_pl50 / $c64_pl99 | $keys | $up_min–$up_max | ≤ $up_allowed | $up_even |")

  # 5. Cold scrape with 200 ms on every upstream request.
  curl -s -X POST "http://127.0.0.1:$sim_port/_simulator/faults" -d "{\"endpoint\":\"*\",\"fault\":\"latency:${latency_ms}ms\"}" >/dev/null
  sim_reset
  start_exporter 1h
  cold_slow=$(curl -s -o /dev/null -w '%{time_total}' "${gz[@]}" -H 'X-Prometheus-Scrape-Timeout-Seconds: 120' "$url")
  stop "$exp_pid"
  cold_slow=$(printf '%.3f' "$cold_slow")
  chain=$(sim_requests | python3 "$util" chain)
  per_refresh=$(sim_requests | python3 -c 'import sys, json; print(sum(v["total"] for v in json.load(sys.stdin).values()))')
  curl -s -X DELETE "http://127.0.0.1:$sim_port/_simulator/faults" >/dev/null
  stop "$sim_pid"
  chain_s=$(python3 -c "print(round($chain * $latency_ms / 1000, 3))")
  echo "N=$n cold scrape at ${latency_ms} ms upstream latency: ${cold_slow} s (longest chain $chain requests = ${chain_s} s; $per_refresh requests per refresh)"

  scaling_rows+=("| $n | $cold | $slowest | $cold_slow | $chain × 0.2 = $chain_s | $per_refresh | $rss_cold | $rss_c64 | $body_gzip | $body_plain | $om_gzip | $om_plain | $e_gz | $e_pl |")
  echo "$n $cold $slowest $cold_slow $chain $rss_cold $rss_c16 $rss_c64 $rss_c64_plain $body_gzip $body_plain $e_gz $n_gz $e_pl $n_pl $c64_gz $c64_pl" >> "$data"
done

{
  echo "## Scaling (refresh, memory, bodies, scrapes/s by N)"
  echo
  echo "| N | cold scrape, s | slowest collector, s | cold scrape at 200 ms upstream, s | longest chain × 200 ms, s | requests per refresh | peak RSS after cold + every format, MiB | peak RSS 64 conns gzip (TTL 5 s), MiB | text gzip, B | text plain, B | OpenMetrics gzip, B | OpenMetrics plain, B | gzip scrapes/s (c16) | plain scrapes/s (c16) |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
  printf '%s\n' "${scaling_rows[@]}"
  echo
  echo "## Cached scrape against nginx serving the same bytes (wrk -t2 -c16, ${duration} s each: slices of $(( (duration + 1) / 2 )) s in the order exporter, nginx, nginx, exporter; TTL 1 h)"
  echo
  echo "| N | gzip body | exporter gzip/s | nginx gzip/s | ratio | exporter p50 / p99, ms | nginx p50 / p99, ms | plain body | exporter plain/s | nginx plain/s | ratio | exporter p50 / p99, ms | nginx p50 / p99, ms |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
  printf '%s\n' "${nginx_rows[@]}"
  echo
  echo "## Peak RSS (VmHWM, MiB)"
  echo
  echo "| N | cold refresh + one scrape in every format | + the 16-connection rows | 64 conns gzip, ${long} s, TTL ${ttl} s (whole life) | 64 conns plain, ${long} s (VmHWM reset before) |"
  echo "|---|---|---|---|---|"
  printf '%s\n' "${memory_rows[@]}"
  echo
  echo "## 64 scraping connections, TTL ${ttl} s (refreshes under load), upstream requests during the gzip run"
  echo
  echo "| N | gzip scrapes/s | p50 / p99, ms | plain scrapes/s | p50 / p99, ms | endpoint·page keys | requests per key in ${long} s | one per TTL allows | pages of an endpoint equal |"
  echo "|---|---|---|---|---|---|---|---|---|"
  printf '%s\n' "${upstream_rows[@]}"
  echo
} >> "$results"

# Stale-while-revalidate at 10,000 accounts, 200 ms upstream latency.
if [[ "$run_swr" == 1 ]]; then
  echo "== stale-while-revalidate, N=$swr_accounts, ${latency_ms} ms upstream latency, TTL ${ttl} s"
  start_simulator "$swr_accounts" "*=latency:${latency_ms}ms"
  start_exporter "${ttl}s"
  python3 scripts/bench/swr.py --exporter-port "$exp_port" --simulator-port "$sim_port" \
    --ttl "$ttl" --latency "$(python3 -c "print($latency_ms / 1000)")" --accounts "$swr_accounts" \
    --json "$out/swr.json" | tee -a "$results"
  stop "$exp_pid"
  stop "$sim_pid"
fi

# The plot.
gnuplot -e "data='$data'; out='$out/scaling.png'" scripts/bench/plot.gp
if [[ "$default_set" == true ]]; then
  mkdir -p docs/bench
  cp "$data" docs/bench/scaling.dat
  cp "$out/scaling.png" docs/bench/scaling.png
  echo "plot: docs/bench/scaling.png (data docs/bench/scaling.dat)"
fi
echo
cat "$results"
