#!/usr/bin/env python3
"""Helpers of scripts/bench.sh (Python standard library only).

  util.py chain              < requests.json   longest sequential chain of requests of one refresh
  util.py upstream SECONDS TTL < requests.json  requests per endpoint and page over a window
  util.py duration-max       < metrics.txt     slowest collector's refresh (seconds)
  util.py hwm PID                              peak resident memory (VmHWM) in MiB
  util.py wrk                < wrk reports     "scrapes/s p50 p99 errors" (ms; mean rate and
                                               p50, largest p99 over the reports)

requests.json is the simulator's GET /_simulator/requests: per endpoint, a total and the counts
per variant (page=N, page_no=N, isp=N, product_type=N).
"""

import json
import math
import re
import sys

# The exporter fetches page 1 of a list, then the other pages 8 at a time
# (src/upstream/api.rs, PAGE_CONCURRENCY).
PAGE_CONCURRENCY = 8


def variant_counts(requests):
    """{(endpoint, variant): requests}; an endpoint without variants counts as one variant."""
    counts = {}
    for endpoint, entry in requests.items():
        if entry["variants"]:
            for variant, count in entry["variants"].items():
                counts[(endpoint, variant)] = count
        else:
            counts[(endpoint, "")] = entry["total"]
    return counts


def is_page(variant):
    return variant.startswith(("page=", "page_no="))


def chain(requests):
    """Rounds of sequential requests of one cold refresh: the longest paginated list's."""
    longest = 1
    for entry in requests.values():
        pages = sum(1 for v in entry["variants"] if is_page(v))
        if pages:
            longest = max(longest, 1 + math.ceil((pages - 1) / PAGE_CONCURRENCY))
    return longest


def upstream(requests, seconds, ttl):
    """One line: endpoint·page keys, min and max requests per key, the most one request per key
    per TTL allows (a refresh starts at the first scrape after the TTL, so at most
    ceil(seconds / ttl)), and whether every page of each endpoint was asked equally often."""
    counts = variant_counts(requests)
    if not counts:
        return "0 0 0 0 yes"
    by_endpoint = {}
    for (endpoint, _), count in counts.items():
        by_endpoint.setdefault(endpoint, set()).add(count)
    even = all(len(c) == 1 for c in by_endpoint.values())
    allowed = math.ceil(seconds / ttl)
    values = counts.values()
    return f"{len(counts)} {min(values)} {max(values)} {allowed} {'yes' if even else 'no'}"


def duration_max(text):
    values = [
        float(m.group(1))
        for m in re.finditer(r"^proxy911_collector_duration_seconds\{[^}]*\} (\S+)$", text, re.M)
    ]
    return max(values) if values else float("nan")


def hwm(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise SystemExit(f"no VmHWM for {pid}")


def latency_ms(text):
    """wrk's "152.00us", "2.38ms", "1.32s", "2.00m" in milliseconds."""
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not m:
        return float("nan")
    return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[m.group(2)]


def wrk(reports):
    """One or more wrk --latency reports (of the same target, run in slices) →
    "scrapes/s p50 p99 errors": the mean rate, the mean p50 and the largest p99 (in ms)."""
    rates, p50s, p99s = [], [], []
    errors = 0
    for line in reports.splitlines():
        fields = line.split()
        if line.startswith("Requests/sec:"):
            rates.append(float(fields[1]))
        elif fields[:1] == ["50%"]:
            p50s.append(latency_ms(fields[1]))
        elif fields[:1] == ["99%"]:
            p99s.append(latency_ms(fields[1]))
        elif line.strip().startswith("Non-2xx or 3xx responses:"):
            errors += int(fields[-1])
        elif line.strip().startswith("Socket errors:"):
            # "Socket errors: connect 0, read 0, write 0, timeout 0"
            errors += sum(int(n) for n in re.findall(r"\d+", line))
    if not rates:
        return "? ? ? 1"

    def ms(value):
        return f"{value:.2f}" if value < 100 else f"{value:.0f}"

    return f"{sum(rates) / len(rates):.0f} {ms(sum(p50s) / len(p50s))} {ms(max(p99s))} {errors}"


def main(argv):
    command = argv[1] if len(argv) > 1 else ""
    if command == "chain":
        print(chain(json.load(sys.stdin)))
    elif command == "upstream":
        print(upstream(json.load(sys.stdin), float(argv[2]), float(argv[3])))
    elif command == "duration-max":
        print(f"{duration_max(sys.stdin.read()):.3f}")
    elif command == "hwm":
        print(f"{hwm(argv[2]):.1f}")
    elif command == "wrk":
        print(wrk(sys.stdin.read()))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
