#!/usr/bin/python3
"""A custom access-token hook over HTTP for tests. Checks each request's Standard Webhooks
signature (webhook-id, webhook-timestamp, webhook-signature: "v1,<base64 HMAC-SHA256 of
id.timestamp.body>" under the base64 key of --secret) and answers 401 when none matches.
POST /mode with a mode name switches how /hook answers:
  claims       200, the input's claims plus user_role="http_hook" and auth_method
  error        200, {"error": {"http_code": 403, "message": "Denied by the HTTP hook"}}
  text         200 with Content-Type text/plain
  invalid      200, claims without the required aal
  slow         the claims after --slow seconds
  retry        503 with Retry-After once, then the claims
  big          200, a JSON answer over 200 KiB
  status500    500 (both paths)
POST /send-email is a send-email hook: the same signature check; each signed request is recorded
(its webhook-id and JSON body) and answered 200 "{}", or per mode: error (the error object),
text, status500, slow, retry (503 with Retry-After once).
GET /count answers how many hook requests arrived, GET /emails the recorded send-email requests
as [{"webhook_id": ..., "payload": {...}}]. POST /mode resets both. Prints "ready <port>" once
listening."""
import argparse
import base64
import hashlib
import hmac
import http.server
import json
import threading
import time


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--secret", required=True, help="the base64 key after whsec_")
    parser.add_argument("--slow", type=float, default=7)
    args = parser.parse_args()
    key = base64.b64decode(args.secret)
    state = {"mode": "claims", "count": 0, "retried": False, "emails": []}
    lock = threading.Lock()

    def signed(headers, body):
        msg_id = headers.get("webhook-id", "")
        timestamp = headers.get("webhook-timestamp", "")
        if not msg_id or not timestamp.isdigit() or abs(time.time() - int(timestamp)) > 300:
            return False
        expected = base64.b64encode(
            hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
        ).decode()
        offered = [s.strip() for s in headers.get("webhook-signature", "").split(",")]
        # "v1,<sig>, v1,<sig>" splits into version and signature parts
        return any(
            version == "v1" and hmac.compare_digest(sig, expected)
            for version, sig in zip(offered[0::2], offered[1::2])
        )

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def answer(self, status, body, content_type="application/json", extra=()):
            data = body.encode() if isinstance(body, str) else body
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for name, value in extra:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            with lock:
                if self.path == "/emails":
                    self.answer(200, json.dumps(state["emails"]))
                else:
                    self.answer(200, json.dumps({"count": state["count"]}))

        def respond(self, mode, output, content_type="application/json"):
            """Answers a signed hook request as the mode says; `output` is the success answer."""
            if mode == "error":
                self.answer(200, '{"error":{"http_code":403,"message":"Denied by the HTTP hook"}}')
            elif mode == "text":
                self.answer(200, output, "text/plain")
            elif mode == "status500":
                self.answer(500, "{}")
            elif mode == "retry" and not state["retried"]:
                state["retried"] = True
                self.answer(503, "{}", extra=[("Retry-After", "1")])
            else:
                if mode == "slow":
                    time.sleep(args.slow)
                self.answer(200, output, content_type)

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if self.path == "/mode":
                with lock:
                    state["mode"] = body.decode()
                    state["count"] = 0
                    state["retried"] = False
                    state["emails"] = []
                self.answer(200, "{}")
                return
            with lock:
                state["count"] += 1
                mode = state["mode"]
            if self.headers.get("Content-Type") != "application/json" or not signed(
                self.headers, body
            ):
                self.answer(401, '{"error":"bad signature"}')
                return
            if self.path == "/send-email":
                with lock:
                    state["emails"].append(
                        {"webhook_id": self.headers.get("webhook-id"), "payload": json.loads(body)}
                    )
                self.respond(mode, "{}")
                return
            event = json.loads(body)
            claims = dict(event["claims"])
            claims["user_role"] = "http_hook"
            claims["auth_method"] = event["authentication_method"]
            claims["hook_user_id"] = event["user_id"]
            if mode == "invalid":
                del claims["aal"]
            elif mode == "big":
                claims["padding"] = "x" * (210 * 1024)
            self.respond(mode, json.dumps({"claims": claims}), "application/json; charset=utf-8")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print(f"ready {args.port}", flush=True)
    server.serve_forever()


main()
