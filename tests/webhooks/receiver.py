"""A local webhook receiver for the e2e tests and the bench: verifies every delivery with the
public `standardwebhooks` library (PyPI) and logs it as one JSON line.

Usage: receiver.py PORT LOG [CONTROL_JSON]
  POST /_control {"secrets": ["whsec_…", …], "status": 200, "retryAfter": null, "failFirst": 0}
      secrets: each delivery is verified against each secret separately (rotation checks);
      status: the answer to a delivery that verifies with at least one secret (else 401);
      failFirst / failStatus: answer the first N deliveries with failStatus (e.g. 503) instead;
      retryAfter: a Retry-After header to send with failures;
      hold: true keeps every delivery waiting for its answer (logged at once) until a
      {"hold": false}, so the worker's queue consumer stays busy with its batch.
  GET /_received   every logged delivery, as a JSON list
  anything else    a delivery: {"id", "type", "eventId", "data", "verified": [bool per secret],
                   "signatures", "status", "at"} appended to LOG (flushed), then answered.
"""
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

PORT, LOG = int(sys.argv[1]), sys.argv[2]
CONTROL = {"secrets": [], "status": 200, "retryAfter": None, "failFirst": 0, "failStatus": 503}
LOCK = threading.Lock()
RELEASED = threading.Event()  # cleared while deliveries are held
RELEASED.set()


def configure(update):
    CONTROL.update(update)
    if "hold" in CONTROL:
        (RELEASED.clear if CONTROL.pop("hold") else RELEASED.set)()


if len(sys.argv) > 3:
    configure(json.loads(sys.argv[3]))
SEEN = [0]


def verified(secret, body, headers):
    try:
        Webhook(secret).verify(body, headers)
        return True
    except WebhookVerificationError:
        return False


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive like a real receiver (every answer has a length)

    def log_message(self, *args):
        pass

    def reply(self, status, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path != "/_received":
            return self.reply(404)
        with LOCK:
            try:
                with open(LOG) as f:
                    rows = [json.loads(line) for line in f if line.strip()]
            except FileNotFoundError:
                rows = []
        self.reply(200, json.dumps(rows).encode(), [("content-type", "application/json")])

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        if self.path == "/_control":
            with LOCK:
                configure(json.loads(body))
            return self.reply(204)
        headers = {k.lower(): v for k, v in self.headers.items()}
        with LOCK:
            checks = [verified(s, body, headers) for s in CONTROL["secrets"]]
            SEEN[0] += 1
            failing = SEEN[0] <= CONTROL["failFirst"]
            status = CONTROL["failStatus"] if failing else (CONTROL["status"] if any(checks) else 401)
            try:
                payload = json.loads(body)
            except ValueError:
                payload = {}
            row = {"id": headers.get("webhook-id"), "type": payload.get("type"), "eventId": payload.get("id"),
                   "workspaceId": payload.get("workspaceId"), "eventTimestamp": payload.get("timestamp"),
                   "payloadKeys": sorted(payload), "data": payload.get("data"),
                   "verified": checks, "signatures": len(headers.get("webhook-signature", "").split()),
                   "status": status, "path": self.path, "at": time.time()}
            with open(LOG, "a") as f:
                f.write(json.dumps(row) + "\n")
        RELEASED.wait()
        extra = [("retry-after", str(CONTROL["retryAfter"]))] if CONTROL["retryAfter"] and status >= 400 else []
        self.reply(status, json.dumps({"received": row["id"]}).encode(), extra)


class Server(ThreadingHTTPServer):
    request_queue_size = 256  # the worker opens up to a batch's worth of connections at once
    daemon_threads = True


Server(("127.0.0.1", PORT), Handler).serve_forever()
