"""Closed-loop HTTP load for the bench scripts: `clients` keep-alive connections, each sending
its next GET as soon as the last one is answered, for a fixed time. Any answer but 200 stops
the bench (a bench of error responses would measure the wrong thing)."""
import http.client
import random
import statistics
import threading
import time
import urllib.parse


def drive(base, path_of, headers, seconds, clients=8, timeout=60):
    """(requests, elapsed s, latencies s) of `GET base + path_of(rng)`; each client has its own
    `random.Random(i)`, so a run is repeatable."""
    url = urllib.parse.urlsplit(base)
    latencies, failures, lock = [], [], threading.Lock()
    stop = time.perf_counter() + seconds

    def client(seed):
        rng = random.Random(seed)
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=timeout)
        mine = []
        try:
            while time.perf_counter() < stop:
                path = url.path + path_of(rng)
                t = time.perf_counter()
                conn.request("GET", path, headers=headers)
                resp = conn.getresponse()
                body = resp.read()
                if resp.status != 200:
                    raise RuntimeError(f"GET {base}{path_of(rng)}: {resp.status} {body[:300]!r}")
                mine.append(time.perf_counter() - t)
        except Exception as e:  # reported once, below
            failures.append(f"{base}: {e!r}")
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise SystemExit(failures[0])
    return len(latencies), time.perf_counter() - started, latencies


def rate_p50_p95(requests, elapsed, latencies):
    """(requests/s, p50 ms, p95 ms)."""
    q = statistics.quantiles(latencies, n=20)
    return requests / elapsed, q[9] * 1000, q[18] * 1000
