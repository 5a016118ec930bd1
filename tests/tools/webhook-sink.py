#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""webhook-sink: records every POST it gets, for the alert tests.

usage: webhook-sink.py PORT-FILE LOG [FAIL-FIRST-N]

Listens on 127.0.0.1 (a free port, written to PORT-FILE once listening),
appends each POST body as one line to LOG, answers 200 (or 500 to the first
FAIL-FIRST-N requests of each alert key, to exercise retries), and serves
until SIGTERM.
"""
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

port_file, log_path = sys.argv[1], sys.argv[2]
fail_first = int(sys.argv[3]) if len(sys.argv) > 3 else 0
seen = {}


class Sink(BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        try:
            doc = json.loads(body)
        except ValueError:
            doc = {"unparsable": body.decode("utf-8", "replace")}
        key = doc.get("key") if isinstance(doc, dict) else None
        seen[key] = seen.get(key, 0) + 1
        status = 500 if seen[key] <= fail_first else 200
        with open(log_path, "a") as log:
            # One line per request: the body re-serialised compactly.
            log.write(json.dumps(doc, sort_keys=True) + "\n")
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, fmt, *args):
        pass


server = HTTPServer(("127.0.0.1", 0), Sink)
tmp = port_file + ".tmp"
with open(tmp, "w") as f:
    f.write(str(server.server_address[1]))
os.rename(tmp, port_file)
server.serve_forever()
