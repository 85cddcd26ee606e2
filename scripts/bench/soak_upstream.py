#!/usr/bin/env python3
"""The upstream of scripts/bench/soak.sh: a reverse proxy in front of the simulator that can
answer every API request with a redirect instead (Python standard library only).

The simulator injects latency, 500s, 429s, malformed JSON and schema drift itself
(`POST /_simulator/faults`), but has no redirect fault; this adds one without touching it.

  soak_upstream.py LISTEN_PORT SIMULATOR_PORT

  POST /_soak/redirect/on    every request after this is answered 302 (to a host that does not
                             exist: the exporter must not follow, see src/upstream/client.rs)
  POST /_soak/redirect/off   requests are forwarded to the simulator again
  anything else              forwarded to 127.0.0.1:SIMULATOR_PORT as it came
"""

import http.client
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

REDIRECT = threading.Event()
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    simulator_port = 0

    def log_message(self, *args):
        pass

    def answer(self, status, body=b"", headers=()):
        try:
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            # The exporter gave up on this request (its timeout, or shutdown): nothing to answer.
            self.close_connection = True

    def forward(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        if self.path == "/_soak/redirect/on":
            REDIRECT.set()
            return self.answer(204)
        if self.path == "/_soak/redirect/off":
            REDIRECT.clear()
            return self.answer(204)
        if REDIRECT.is_set() and not self.path.startswith("/_simulator"):
            return self.answer(302, headers=[("Location", "http://thief.invalid/steal")])
        upstream = http.client.HTTPConnection("127.0.0.1", self.simulator_port, timeout=60)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            upstream.request(self.command, self.path, body=body, headers=headers)
            response = upstream.getresponse()
            try:
                data = response.read()
            except http.client.IncompleteRead as e:
                # The simulator's `malformed` fault: pass the truncated body on as it came.
                data = e.partial
            kept = [(k, v) for k, v in response.getheaders() if k.lower() not in HOP_BY_HOP]
            self.answer(response.status, data, kept)
        except (OSError, http.client.HTTPException):
            self.answer(502, b"simulator unreachable")
        finally:
            upstream.close()

    do_GET = forward
    do_POST = forward


def main():
    listen, simulator = int(sys.argv[1]), int(sys.argv[2])
    Handler.simulator_port = simulator
    server = ThreadingHTTPServer(("127.0.0.1", listen), Handler)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
