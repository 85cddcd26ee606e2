#!/usr/bin/env python3
"""A hostile 911Proxy upstream for scripts/bench/hostile.sh: every endpoint answers one of the
shapes that once made the exporter balloon or lie. Not a test; a load for measuring peak RSS.

Usage: hostile_upstream.py PORT MODE
  empty-items-3m   3,000,000 `{}` items in the account list (about 9 MB)
  empty-items-10m  10,000,000 `{}` items in the account list (about 30 MB)
  endless          every endpoint streams a chunked answer without end
  fake-days        200,000 traffic "days" that are not dates, or repeat
  data-null        `"data": null` on every endpoint
"""
import http.server
import json
import socketserver
import sys

PORT = int(sys.argv[1])
MODE = sys.argv[2]


def items_body(n):
    return b'{"code":200,"msg":"ok","data":{"list":[' + b",".join([b"{}"] * n) + b"]}}"


def fake_days(n):
    days = []
    for i in range(n):
        if i % 3 == 0:
            day = "x%09d" % i
        elif i % 3 == 1:
            day = "2026-13-%02d" % (i % 99)
        else:
            day = "2026-11-%02d" % (1 + i % 28)
        days.append({"day": day, "flow": i})
    return json.dumps({"code": 200, "msg": "ok", "data": {"list": days}}).encode()


BODIES = {}
if MODE == "empty-items-3m":
    BODIES["whitelist-account/list"] = items_body(3_000_000)
elif MODE == "empty-items-10m":
    BODIES["whitelist-account/list"] = items_body(10_000_000)
elif MODE == "fake-days":
    BODIES["user-usage-flow/total"] = fake_days(200_000)
NULL = b'{"code":200,"msg":"ok","data":null}'
EMPTY_LIST = b'{"code":200,"msg":"ok","data":{"list":[]}}'


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        path = self.path.split("?")[0].removeprefix("/api-gate-way/")
        if MODE == "endless":
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("transfer-encoding", "chunked")
            self.end_headers()
            chunk = b"x" * (1 << 20)
            try:
                while True:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            except (BrokenPipeError, ConnectionResetError):
                return
        if MODE == "data-null":
            body = NULL
        else:
            body = BODIES.get(path, EMPTY_LIST)
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


Server(("127.0.0.1", PORT), Handler).serve_forever()
