#!/usr/bin/python3
"""An SMTP relay for tests that misbehaves on demand (aiosmtpd, Debian's python3-aiosmtpd).

A real server cannot be asked to refuse twice, reject a recipient or stall; this one can:
  --fail-first N   answer the first N DATA commands with 451 (transient), then accept
  --reject-rcpt    answer every RCPT TO with 550 (permanent)
  --delay S        wait S seconds before accepting each message
Accepted messages are written to MAILDIR/new, one file each; every RCPT and DATA command appends
a line ("rcpt <address>", "data <n> <recipients>") to MAILDIR/attempts.log. Prints "ready <port>" once listening.
"""
import argparse
import asyncio
import os
import time

from aiosmtpd.controller import Controller


class Handler:
    def __init__(self, args):
        self.args = args
        self.attempts = 0
        os.makedirs(os.path.join(args.maildir, "new"), exist_ok=True)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with open(os.path.join(self.args.maildir, "attempts.log"), "a") as log:
            log.write(f"rcpt {address}\n")
        if self.args.reject_rcpt:
            return "550 5.1.1 Recipient address rejected: mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.attempts += 1
        with open(os.path.join(self.args.maildir, "attempts.log"), "a") as log:
            log.write(f"data {self.attempts} {','.join(envelope.rcpt_tos)}\n")
        if self.attempts <= self.args.fail_first:
            return "451 4.3.0 Temporary failure, try again later"
        if self.args.delay:
            await asyncio.sleep(self.args.delay)
        name = f"{time.time():.6f}.{os.getpid()}.{self.attempts}.eml"
        path = os.path.join(self.args.maildir, "new", name)
        with open(path + ".tmp", "wb") as out:
            out.write(envelope.original_content or envelope.content)
        os.rename(path + ".tmp", path)
        return "250 Message accepted for delivery"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--maildir", required=True)
    parser.add_argument("--fail-first", type=int, default=0)
    parser.add_argument("--reject-rcpt", action="store_true")
    parser.add_argument("--delay", type=float, default=0)
    args = parser.parse_args()
    controller = Controller(Handler(args), hostname="127.0.0.1", port=args.port)
    controller.start()
    print(f"ready {args.port}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
