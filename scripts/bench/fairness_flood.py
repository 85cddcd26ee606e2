"""Fairness of basic auth (BENCHMARKS.md, "Fairness"): 100 clients at 127.0.0.1 flood wrong
basic-auth passwords (a new one each request, so none is cached); a right password for `alice`
from 127.0.0.2 is timed five times (the first is a real bcrypt check, the rest are cached).
Usage: python3 scripts/bench/fairness_flood.py PORT (the exporter listening on 0.0.0.0:PORT)."""
import base64, http.client, sys, threading, time
port = int(sys.argv[1])
stop = False
def auth(user, pw):
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{pw}".encode()).decode()}
def flood(n):
    i = 0
    while not stop:
        i += 1
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            c.request("GET", "/-/healthy", headers=auth("alice", f"wrong-{n}-{i}"))
            c.getresponse().read(); c.close()
        except Exception:
            pass
threads = [threading.Thread(target=flood, args=(n,), daemon=True) for n in range(100)]
for t in threads: t.start()
time.sleep(3)
times = []
for k in range(5):
    c = http.client.HTTPConnection("127.0.0.2", port, timeout=60, source_address=("127.0.0.2", 0))
    t0 = time.monotonic()
    c.request("GET", "/-/healthy", headers=auth("alice", "right"))
    r = c.getresponse(); r.read()
    times.append((r.status, round(time.monotonic() - t0, 3)))
    c.close()
    time.sleep(0.5)
stop = True
print("right password from 127.0.0.2 while 100 clients flood:", times)
