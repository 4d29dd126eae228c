"""A remote-write sink for ingot's tests, on 127.0.0.1 only, that checks each request's AWS SigV4
signature with botocore's own signer (the reference implementation of the AWS SDKs) and records the
verdict as one JSON line in the log file given. Answers 200 when the signature matches, 403 otherwise.

usage: sigv4_sink.py PORT LOG ACCESS_KEY SECRET_KEY REGION SERVICE
"""
import json
import re
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

try:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
except ImportError:
    sys.stderr.write("botocore is missing: install it with `python3 -m pip install botocore`\n")
    sys.exit(3)

port, log_path, access_key, secret_key, region, service = sys.argv[1:7]
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        auth = self.headers.get("Authorization", "")
        m = re.fullmatch(
            r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request, "
            r"SignedHeaders=([^,]+), Signature=([0-9a-f]{64})",
            auth,
        )
        entry = {"path": self.path, "authorization_format_ok": bool(m)}
        if m:
            # Everything received but the signature itself goes to botocore, which picks what to sign.
            headers = {k: v for k, v in self.headers.items() if k.lower() != "authorization"}
            request = AWSRequest(
                method="POST",
                url="http://%s%s" % (self.headers["Host"], self.path),
                data=body,
                headers=headers,
            )
            request.context["timestamp"] = self.headers.get("X-Amz-Date", "")
            signer = SigV4Auth(Credentials(access_key, secret_key), service, region)
            canonical = signer.canonical_request(request)
            expected = signer.signature(signer.string_to_sign(request, canonical), request)
            expected_signed = signer.signed_headers(signer.headers_to_sign(request))
            entry.update(
                {
                    "access_key_ok": m.group(1) == access_key,
                    "region": m.group(3),
                    "service": m.group(4),
                    "signed_headers": m.group(5),
                    "expected_signed_headers": expected_signed,
                    "signature_ok": m.group(6) == expected,
                }
            )
        ok = bool(m) and entry["signature_ok"] and entry["signed_headers"] == entry["expected_signed_headers"]
        entry["ok"] = ok
        with lock, open(log_path, "a") as f:
            f.write(json.dumps(entry) + "\n")
        self.send_response(200 if ok else 403)
        self.send_header("Content-Length", "0")
        self.end_headers()


ThreadingHTTPServer(("127.0.0.1", int(port)), Handler).serve_forever()
