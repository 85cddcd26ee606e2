#!/usr/bin/env python3
"""Stale-while-revalidate latency, for scripts/bench.sh (Python standard library only).

Against an exporter (TTL --ttl) whose simulator answers every request after a fixed latency:

1. the cold scrape (no data yet: it must wait for the first fill, about the longest sequential
   chain of requests x the latency);
2. one gzip scrape every --interval seconds until every collector has been refreshed after
   --expiries TTL expiries (seen as new proxy911_collector_last_success_timestamp_seconds values
   in the scrapes' self metrics), timing each scrape from request to last body byte;
3. the simulator's request counts (GET /_simulator/requests) against the refreshes each
   collector made: every endpoint and page must have been asked exactly once per refresh.

Prints a Markdown fragment and writes the figures to --json.
"""

import argparse
import http.client
import json
import math
import os
import re
import sys
import time
import zlib

sys.dont_write_bytecode = True  # no __pycache__ beside the scripts
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import util  # noqa: E402

# Which collector asks which endpoint (src/collector/*.rs, the default collectors).
COLLECTOR_OF = {
    "/api-gate-way/whitelist-account/list": "accounts",
    "/api-gate-way/user-product/list": "packages",
    "/api-gate-way/user-product/summary": "packages",
    "/api-gate-way/ip/get-static-ip": "static_ips",
    "/api-gate-way/static-ip-region": "static_ips",
    "/api-gate-way/user-usage-flow/total": "traffic",
    "/api-gate-way/order/list": "orders",
}
LAST_SUCCESS = re.compile(
    rb'^proxy911_collector_last_success_timestamp_seconds\{collector="(\w+)"\} (\S+)$', re.M
)


class Scraper:
    def __init__(self, port):
        self.port = port
        self.conn = None

    def scrape(self, timeout_header="10"):
        """(seconds from request to the last body byte, gzip body)."""
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
                self.conn.connect()
            try:
                started = time.perf_counter()
                self.conn.request(
                    "GET",
                    "/metrics",
                    headers={
                        "Accept-Encoding": "gzip",
                        "X-Prometheus-Scrape-Timeout-Seconds": timeout_header,
                    },
                )
                response = self.conn.getresponse()
                body = response.read()
                took = time.perf_counter() - started
                if response.status != 200:
                    raise SystemExit(f"scrape answered {response.status}")
                return took, body
            except (ConnectionError, http.client.HTTPException):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
        raise AssertionError("unreachable")


def last_success(body):
    """{collector: last success timestamp} from the self metrics at the end of a gzip answer."""
    text = zlib.decompress(body, 16 + zlib.MAX_WBITS)
    return {m.group(1).decode(): m.group(2).decode() for m in LAST_SUCCESS.finditer(text[-256 * 1024:])}


def simulator_requests(port):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/_simulator/requests")
    data = json.loads(conn.getresponse().read())
    conn.close()
    return data


def percentile(sorted_values, p):
    """Nearest rank."""
    return sorted_values[max(0, math.ceil(p / 100 * len(sorted_values)) - 1)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--exporter-port", type=int, required=True)
    parser.add_argument("--simulator-port", type=int, required=True)
    parser.add_argument("--ttl", type=float, required=True, help="the exporter's --cache.ttl, s")
    parser.add_argument("--latency", type=float, required=True, help="upstream latency, s")
    parser.add_argument("--accounts", type=int, required=True)
    parser.add_argument("--interval", type=float, default=0.1)
    parser.add_argument("--expiries", type=int, default=4)
    parser.add_argument("--json", required=True)
    args = parser.parse_args()

    scraper = Scraper(args.exporter_port)
    cold, body = scraper.scrape(timeout_header="120")
    chain = util.chain(simulator_requests(args.simulator_port))
    seen = {c: {ts} for c, ts in last_success(body).items()}

    latencies = []
    started = time.perf_counter()
    give_up = args.expiries * (args.ttl + cold) * 2 + 10
    tick = started
    while True:
        tick += args.interval
        took, body = scraper.scrape()
        latencies.append(took)
        for collector, ts in last_success(body).items():
            seen.setdefault(collector, set()).add(ts)
        if all(len(stamps) > args.expiries for stamps in seen.values()):
            break
        now = time.perf_counter()
        if now - started > give_up:
            print(f"swr: gave up after {now - started:.0f} s", file=sys.stderr)
            break
        if tick < now:  # behind schedule (a slow scrape): keep the grid, skip the missed ticks
            tick += math.ceil((now - tick) / args.interval) * args.interval
        time.sleep(tick - now)
    window = time.perf_counter() - started

    # No scrape now, so no refresh starts; let those running finish before counting.
    time.sleep(cold + 1)
    requests = simulator_requests(args.simulator_port)
    _, body = scraper.scrape()
    for collector, ts in last_success(body).items():
        seen.setdefault(collector, set()).add(ts)
    refreshes = {c: len(stamps) for c, stamps in seen.items()}

    mismatches = []
    per_endpoint = {}
    for (endpoint, variant), count in sorted(util.variant_counts(requests).items()):
        collector = COLLECTOR_OF.get(endpoint)
        expected = refreshes.get(collector)
        per_endpoint.setdefault(endpoint, set()).add(count)
        if count != expected:
            mismatches.append(f"{endpoint} {variant}: {count} requests, {expected} refreshes of {collector}")

    ordered = sorted(latencies)
    result = {
        "accounts": args.accounts,
        "ttl_s": args.ttl,
        "latency_s": args.latency,
        "cold_s": round(cold, 3),
        "chain": chain,
        "chain_s": round(chain * args.latency, 3),
        "scrapes": len(latencies),
        "window_s": round(window, 1),
        "p50_ms": round(percentile(ordered, 50) * 1000, 2),
        "p99_ms": round(percentile(ordered, 99) * 1000, 2),
        "max_ms": round(ordered[-1] * 1000, 2),
        "refreshes": refreshes,
        "requests_per_endpoint": {e: sorted(c) for e, c in per_endpoint.items()},
        "one_per_endpoint_page_per_refresh": not mismatches,
        "mismatches": mismatches,
    }
    with open(args.json, "w") as out:
        json.dump(result, out, indent=2)

    r = result
    print(f"### Stale-while-revalidate: {args.accounts} accounts, {args.latency * 1000:.0f} ms upstream latency, TTL {args.ttl:g} s\n")
    print(f"- cold scrape (first fill, waits): {r['cold_s']} s; longest sequential chain {chain} requests x {args.latency * 1000:.0f} ms = {r['chain_s']} s")
    print(f"- {r['scrapes']} gzip scrapes, one every {args.interval * 1000:.0f} ms for {r['window_s']} s (until every collector was refreshed after {args.expiries} TTL expiries): p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms, max {r['max_ms']} ms")
    print("- refreshes per collector (cold fill + after each expiry): " + ", ".join(f"{c} {n}" for c, n in sorted(refreshes.items())))
    print("- upstream requests per endpoint and page (each must equal its collector's refreshes):")
    for endpoint, counts in sorted(per_endpoint.items()):
        pages = sum(1 for (e, _) in util.variant_counts(requests) if e == endpoint)
        print(f"  - `{endpoint}` ({COLLECTOR_OF.get(endpoint)}, {pages} page(s)/variant(s)): {'/'.join(map(str, sorted(counts)))} each")
    print(f"- exactly one request per endpoint and page per refresh: {'yes' if not mismatches else 'NO'}")
    for m in mismatches:
        print(f"  - {m}")
    print()


if __name__ == "__main__":
    main()
