#!/usr/bin/env python3
"""Helpers of scripts/bench/multi_target.sh (Python standard library only).

  multi_target.py gen DIR N REFRESHERS             DIR/keys.txt, DIR/keys/NAME, DIR/config.yml:
                                                   N targets t0000…, the last REFRESHERS with
                                                   cache_ttl 0s (every probe starts a refresh),
                                                   the others 1h (cached for the whole run)
  multi_target.py fill BASE PID FIRST LAST STEP OUT  probes t{FIRST}…t{LAST-1} once each (cold,
                                                   gzip), one at a time; after every STEP targets
                                                   appends "filled VmRSS VmHWM fds seconds" to OUT
  multi_target.py load BASE FIRST LAST RATE CONNS STOP
                                                   probes t{FIRST}…t{LAST-1} round robin on CONNS
                                                   connections, RATE probes/s in all (0: as fast
                                                   as they go) until the file STOP exists; prints
                                                   "probes errors seconds"
  multi_target.py measure BASE FIRST LAST SAMPLES PAUSE OUT [SECONDS]
                                                   probes cached targets t{FIRST}… round robin,
                                                   one at a time on one connection, PAUSE s apart
                                                   (SAMPLES of them, or fewer after SECONDS),
                                                   each timed from request to last body byte;
                                                   writes the milliseconds to OUT, prints
                                                   "samples p50 p90 p99 p999 max errors" (ms)
  multi_target.py requests SIM BASE NAME KEY       one target's cold refresh: the simulator's
                                                   requests for KEY by endpoint and page against
                                                   the probe's proxy911_upstream_requests_total;
                                                   prints a markdown table, then "total ok|DIFF"
  multi_target.py percentiles OUT FILE...          OUT: one row per percentile (50 … 100):
                                                   "percentile x ms-of-FILE…", x = -log10(1 - p)
  multi_target.py snapshot SIM PID                 "unix-time simulator-requests cpu-seconds": the
                                                   simulator's requests (every key together) and
                                                   PID's CPU time (user + system), read together
  multi_target.py heap STACKS N                    heaptrack_print -F stacks (cost: peak) summed
                                                   by component; a markdown table, per target
  multi_target.py totals SIM KEYS_FILE FIRST LAST  every key's request total (simulator):
                                                   prints "min max keys whole" (whole: every page
                                                   of an endpoint asked equally often)
"""

import gzip
import http.client
import json
import math
import os
import re
import sys
import threading
import time
import urllib.parse
import urllib.request

PROBE_HEADERS = {
    "Accept-Encoding": "gzip",
    # As Prometheus sends it: a cold probe may take its time.
    "X-Prometheus-Scrape-Timeout-Seconds": "120",
}


def name(i):
    return f"t{i:04d}"


def key_of(i):
    # Keys of the simulator's worlds; any text works, these only look like app_keys.
    return f"mtBenchKey{i:04d}x{(i * 7919) % 100000:05d}"


def gen(directory, n, refreshers):
    os.makedirs(os.path.join(directory, "keys"), exist_ok=True)
    with open(os.path.join(directory, "keys.txt"), "w") as keys, open(
        os.path.join(directory, "config.yml"), "w"
    ) as config:
        config.write("# scripts/bench/multi_target.sh: generated\ntargets:\n")
        for i in range(n):
            keys.write(key_of(i) + "\n")
            with open(os.path.join(directory, "keys", name(i)), "w") as f:
                f.write(key_of(i) + "\n")
            ttl = "0s" if i >= n - refreshers else "1h"
            config.write(f"  {name(i)}:\n    app_key_file: keys/{name(i)}\n    cache_ttl: {ttl}\n")


class Prober:
    """One keep-alive connection to the exporter (reconnects after an error)."""

    def __init__(self, base):
        self.netloc = urllib.parse.urlsplit(base).netloc
        self.conn = None

    def probe(self, target):
        """(status, body bytes read): the whole gzip body is read, not inflated."""
        for attempt in range(2):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection(self.netloc, timeout=180)
                self.conn.request("GET", f"/probe?target={target}", headers=PROBE_HEADERS)
                response = self.conn.getresponse()
                body = response.read()
                return response.status, body
            except (OSError, http.client.HTTPException):
                if self.conn is not None:
                    self.conn.close()
                self.conn = None
                if attempt:
                    return 0, b""
        return 0, b""


def status_of(pid):
    values = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(("VmRSS:", "VmHWM:")):
                values[line.split(":")[0]] = int(line.split()[1]) / 1024
    return values["VmRSS"], values["VmHWM"]


def fds_of(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def fill(base, pid, first, last, step, out):
    prober = Prober(base)
    started = time.monotonic()
    errors = 0
    with open(out, "a") as f:
        for i in range(first, last):
            status, _ = prober.probe(name(i))
            errors += status != 200
            if (i + 1 - first) % step == 0 or i + 1 == last:
                rss, hwm = status_of(pid)
                f.write(
                    f"{i + 1} {rss:.1f} {hwm:.1f} {fds_of(pid)} {time.monotonic() - started:.2f}\n"
                )
                f.flush()
    if errors:
        raise SystemExit(f"fill: {errors} probes were not 200")


def load(base, first, last, rate, conns, stop_file):
    names = [name(i) for i in range(first, last)]
    counts = [0] * conns
    errors = [0] * conns
    started = time.monotonic()
    # Each connection takes every conns-th probe slot: rate/conns probes/s each.
    interval = conns / rate if rate > 0 else 0.0

    def run(c):
        prober = Prober(base)
        i = c
        next_at = time.monotonic()
        while not os.path.exists(stop_file):
            status, _ = prober.probe(names[i % len(names)])
            counts[c] += 1
            errors[c] += status != 200
            i += conns
            if interval:
                next_at += interval
                delay = next_at - time.monotonic()
                if delay > 0:
                    time.sleep(delay)

    threads = [threading.Thread(target=run, args=(c,)) for c in range(conns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(sum(counts), sum(errors), f"{time.monotonic() - started:.1f}")


def percentile(sorted_values, p):
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(p / 100 * len(sorted_values)) - 1))
    return sorted_values[index]


def measure(base, first, last, samples, pause, out, seconds=float("inf")):
    prober = Prober(base)
    until = time.monotonic() + seconds
    names = [name(i) for i in range(first, last)]
    times = []
    errors = 0
    for n in range(samples):
        if time.monotonic() > until:
            break
        target = names[n % len(names)]
        start = time.perf_counter()
        status, _ = prober.probe(target)
        took = (time.perf_counter() - start) * 1000
        if status != 200:
            errors += 1
            continue
        times.append(took)
        if pause:
            time.sleep(pause)
    with open(out, "w") as f:
        f.write("".join(f"{t:.4f}\n" for t in times))
    s = sorted(times)
    print(
        len(s),
        " ".join(f"{percentile(s, p):.2f}" for p in (50, 90, 99, 99.9)),
        f"{s[-1]:.2f}" if s else "nan",
        errors,
    )


def simulator_counts(sim, key):
    url = f"{sim}/_simulator/requests?app_key={urllib.parse.quote(key)}"
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.load(response)


def exporter_counts(base, target):
    request = urllib.request.Request(f"{base}/probe?target={target}", headers=PROBE_HEADERS)
    with urllib.request.urlopen(request, timeout=180) as response:
        body = response.read()
        if response.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
    counts = {}
    pattern = r'^proxy911_upstream_requests_total\{endpoint="([^"]+)",outcome="([^"]+)"\} (\S+)$'
    for m in re.finditer(pattern, body.decode(), re.M):
        counts[(m.group(1), m.group(2))] = float(m.group(3))
    return counts


def requests(sim, base, target, key):
    # The simulator first, then the probe: its counters report every request the target's client
    # made before it (a probe of a cache_ttl 0s target starts a refresh that it does not count).
    asked = simulator_counts(sim, key)
    exported = exporter_counts(base, target)
    print("| endpoint | requests (simulator) | by page or variant | `proxy911_upstream_requests_total` |")
    print("|---|---|---|---|")
    same = True
    total = 0
    for path, entry in sorted(asked.items()):
        short = path.removeprefix("/api-gate-way/")
        ok = sum(v for (e, o), v in exported.items() if e == short and o == "success")
        other = sum(v for (e, o), v in exported.items() if e == short and o != "success")
        variants = ", ".join(f"{v} × {c}" for v, c in sorted(entry["variants"].items())) or "—"
        same &= ok == entry["total"] and other == 0
        total += entry["total"]
        print(f"| `{short}` | {entry['total']} | {variants} | {ok:.0f} |")
    for e, o in exported:
        if not any(p.removeprefix("/api-gate-way/") == e for p in asked) and exported[(e, o)]:
            same = False
    print(f"total {total} {'ok' if same else 'DIFF'}")


def totals(sim, keys_file, first, last):
    with open(keys_file) as f:
        keys = [line.strip() for line in f if line.strip()][first:last]
    sums = []
    whole = True
    for key in keys:
        asked = simulator_counts(sim, key)
        sums.append(sum(e["total"] for e in asked.values()))
        for entry in asked.values():
            pages = [c for v, c in entry["variants"].items() if v.startswith(("page=", "page_no="))]
            whole &= len(set(pages)) <= 1
    print(min(sums), max(sums), len(sums), "yes" if whole else "no")


PERCENTILES = [50, 60, 70, 80, 90, 95, 97, 98, 99, 99.5, 99.7, 99.8, 99.9, 99.95, 99.97, 99.99]


def percentiles(out, files):
    columns = []
    for path in files:
        with open(path) as f:
            columns.append(sorted(float(line) for line in f if line.strip()))
    with open(out, "w") as f:
        f.write("# percentile  x=-log10(1-p)  ms: " + " ".join(files) + "\n")
        for p in PERCENTILES:
            x = -math.log10(1 - p / 100)
            values = " ".join(f"{percentile(c, p):.3f}" for c in columns)
            f.write(f"{p} {x:.4f} {values}\n")
        # The maximum, drawn at the right edge.
        f.write(f"100 4.3 {' '.join(f'{c[-1]:.3f}' for c in columns)}\n")


def cpu(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def sim_total(sim):
    with urllib.request.urlopen(f"{sim}/_simulator/requests", timeout=30) as response:
        return sum(e["total"] for e in json.load(response).values())


# Components of the heap, by a frame that their allocations' stacks contain (first match wins).
HEAP_COMPONENTS = [
    ("upstream connections: hyper read buffers, grown by the answers they read",
     ["BytesMut::reserve_inner"], ["hyper::proto::h1"]),
    ("upstream connections: hyper `Conn` (its buffers and state)", ["hyper::proto::h1::conn::Conn"], []),
    ("upstream connections: connection tasks and connector",
     ["hyper_util::client::legacy", "hyper::client::conn", "reqwest::connect"], []),
    ("self-metrics tail kept per target (text and OpenMetrics, plain and deflate)", ["TailCache"], []),
    ("rustls `ClientConfig` per client (its session cache)",
     ["ClientSessionMemoryCache", "trust::client_config"], []),
    ("cached renderings (the collectors' deflate pieces)", ["exposition::", "deflate", "Rendered"], []),
    ("self-metrics registries (families, histograms)",
     ["prometheus_client", "UpstreamMetrics", "HealthMetrics", "SelfMetrics"], []),
    ("collectors, caches, targets map, config", ["targets::", "collector::", "cache::", "config::"], []),
    ("the exporter's HTTP server (probes in flight)", ["axum", "http::", "hyper::server"], []),
]


def heap(stacks, n):
    totals = {}
    for line in open(stacks):
        stack, _, cost = line.rstrip().rpartition(" ")
        if not cost.isdigit():
            continue
        component = "other (runtime, allocator, start-up)"
        for label, any_of, all_of in HEAP_COMPONENTS:
            if any(k in stack for k in any_of) and all(k in stack for k in all_of):
                component = label
                break
        totals[component] = totals.get(component, 0) + int(cost)
    print("| component | heap at the peak, MiB | per target, KiB |")
    print("|---|---|---|")
    for label, cost in sorted(totals.items(), key=lambda kv: -kv[1]):
        print(f"| {label} | {cost / 1048576:.1f} | {cost / n / 1024:.1f} |")
    total = sum(totals.values())
    print(f"| **total** | **{total / 1048576:.1f}** | **{total / n / 1024:.1f}** |")


def main(argv):
    command = argv[1] if len(argv) > 1 else ""
    a = argv[2:]
    if command == "gen":
        gen(a[0], int(a[1]), int(a[2]))
    elif command == "fill":
        fill(a[0], int(a[1]), int(a[2]), int(a[3]), int(a[4]), a[5])
    elif command == "load":
        load(a[0], int(a[1]), int(a[2]), float(a[3]), int(a[4]), a[5])
    elif command == "measure":
        measure(a[0], int(a[1]), int(a[2]), int(a[3]), float(a[4]), a[5], *map(float, a[6:7]))
    elif command == "requests":
        requests(a[0], a[1], a[2], a[3])
    elif command == "percentiles":
        percentiles(a[0], a[1:])
    elif command == "snapshot":
        print(f"{time.time():.3f} {sim_total(a[0])} {cpu(int(a[1])):.2f}")
    elif command == "heap":
        heap(a[0], int(a[1]))
    elif command == "totals":
        totals(a[0], a[1], int(a[2]), int(a[3]))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
