#!/usr/bin/python3
"""Serves mail templates for tests over HTTP: files from DIR by path; /slow/<file> waits
--slow seconds first; anything missing is a 404. Prints "ready <port>" once listening."""
import argparse
import http.server
import os
import time


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--slow", type=float, default=3)
    args = parser.parse_args()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            path = self.path.split("?")[0]
            if path.startswith("/slow/"):
                time.sleep(args.slow)
                path = path[len("/slow"):]
            file = os.path.join(args.dir, os.path.basename(path))
            if not os.path.isfile(file):
                self.send_error(404)
                return
            body = open(file, "rb").read()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print(f"ready {args.port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
