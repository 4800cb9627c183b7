"""``framelens webhook-listen``: a local receiver that checks webhook signatures.

Owns: a tiny HTTP server for trying webhooks on one machine (the README walkthrough). It prints
each delivery's job id, state and whether ``X-Webhook-Signature`` verifies with the secret.
"""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler, HTTPServer

import typer

from framelens.jobs.webhooks import SIGNATURE_HEADER, verify

__all__ = ["listen"]


def listen(port: int, secret: str | None, count: int) -> None:
    """Serve on 127.0.0.1:``port`` until ``count`` deliveries arrived (0 = forever)."""
    received = 0

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            nonlocal received
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            signature = self.headers.get(SIGNATURE_HEADER)
            try:
                job = json.loads(body)
            except json.JSONDecodeError:
                job = {}
            if secret is None:
                check = "unsigned" if signature is None else "signed (no --secret to check)"
            else:
                check = "valid" if verify(body, secret, signature) else "INVALID"
            typer.echo(f"job {job.get('id')} {job.get('state')}: signature {check}")
            self.send_response(204)
            self.end_headers()
            received += 1

        def log_message(self, format: str, *args: object) -> None:
            return

    server = HTTPServer(("127.0.0.1", port), Receiver)
    typer.echo(f"listening on http://127.0.0.1:{port}/", err=True)
    try:
        while count == 0 or received < count:
            server.handle_request()
    finally:
        server.server_close()
