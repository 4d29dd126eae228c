"""A small OAuth 2.0 peer for ingot's tests, on 127.0.0.1 only (standard library).

POST /token: the client-credentials grant. The client authenticates with HTTP Basic (client id and secret
form-URL-encoded first, as RFC 6749 2.3.1 says) or with client_id/client_secret in the form. Checks
grant_type, scope and the extra endpoint parameters the test expects; answers a new token each time,
with expires_in, as JSON.
GET /metrics, POST /api/v1/write: need `Authorization: Bearer <a token this server issued>`.
Every request is logged as one JSON line to the log file given.

usage: oauth2_server.py PORT LOG CLIENT_ID CLIENT_SECRET EXPIRES_IN SCOPE EXTRA_PARAM
(EXTRA_PARAM is name=value, expected in the token form.)
"""
import base64
import json
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port, log_path, client_id, client_secret, expires_in, scope, extra = sys.argv[1:8]
extra_name, extra_value = extra.split("=", 1)
lock = threading.Lock()
issued = []


def log(entry):
    with lock, open(log_path, "a") as f:
        f.write(json.dumps(entry) + "\n")


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, status, body, content_type="application/json"):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        if self.path == "/token":
            return self.token(body)
        return self.protected("write")

    def do_GET(self):
        return self.protected("metrics")

    def token(self, body):
        form = urllib.parse.parse_qs(body.decode(), keep_blank_values=True)
        problems = []
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
            got = (urllib.parse.unquote_plus(user), urllib.parse.unquote_plus(password))
        else:
            got = (form.get("client_id", [""])[0], form.get("client_secret", [""])[0])
        if got != (client_id, client_secret):
            problems.append("bad client credentials")
        if self.headers.get("Content-Type") != "application/x-www-form-urlencoded":
            problems.append("content type " + str(self.headers.get("Content-Type")))
        if form.get("grant_type") != ["client_credentials"]:
            problems.append("grant_type %r" % form.get("grant_type"))
        if form.get("scope") != [scope]:
            problems.append("scope %r" % form.get("scope"))
        if form.get(extra_name) != [extra_value]:
            problems.append("%s %r" % (extra_name, form.get(extra_name)))
        if problems:
            log({"kind": "token", "ok": False, "problems": problems})
            return self.reply(401, json.dumps({"error": "invalid_client", "error_description": "; ".join(problems)}))
        with lock:
            token = "tok-%d" % (len(issued) + 1)
            issued.append(token)
        log({"kind": "token", "ok": True, "token": token, "basic": auth.startswith("Basic ")})
        self.reply(200, json.dumps({"access_token": token, "token_type": "bearer", "expires_in": int(expires_in)}))

    def protected(self, kind):
        auth = self.headers.get("Authorization", "")
        with lock:
            ok = auth.startswith("Bearer ") and auth[7:] in issued
        log({"kind": kind, "ok": ok, "authorization": auth})
        if not ok:
            return self.reply(401, "unauthorized", "text/plain")
        if kind == "metrics":
            return self.reply(200, "oauth2_metric 1\n", "text/plain; version=0.0.4")
        self.send_response(204)
        self.end_headers()


ThreadingHTTPServer(("127.0.0.1", int(port)), Handler).serve_forever()
