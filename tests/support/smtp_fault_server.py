#!/usr/bin/python3
"""An SMTP relay for tests that misbehaves on demand (aiosmtpd, Debian's python3-aiosmtpd).

A real server cannot be asked to refuse twice, reject a recipient or stall; this one can:
  --fail-first N   answer the first N DATA commands with 451 (transient), then accept
  --reject-rcpt    answer every RCPT TO with 550 (permanent)
  --fail-rate P    answer a random share P (0..1) of DATA commands with 451 (transient);
                   --seed makes the sequence repeatable
  --delay S        wait S seconds before accepting each message
  --idle-timeout S close a connection idle for S seconds (a relay's own timeout)
  --greeting-delay S  wait S seconds before the 220 greeting (what a connection costs on a real
                   relay: round trips, TLS, slow reverse DNS)
  --reuse-fault F  on a connection that already delivered a message: "mail421" answers MAIL FROM
                   with 421 and closes; "data-drop" closes after reading the message, unanswered
Accepted messages are written to MAILDIR/new, one file each; every RCPT and DATA command appends
a line ("rcpt <address>", "data <n> <recipients>") to MAILDIR/attempts.log, and so do connections
("connect <n> open <k>" at EHLO: the n-th client connection, k open now; "quit <n>"; "close <n>";
the Controller's own probe at startup is not counted). Prints
"ready <port>" once listening.
"""
import argparse
import asyncio
import os
import random
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP


class Handler:
    def __init__(self, args):
        self.args = args
        self.attempts = 0
        self.connections = 0
        self.open = 0
        self.random = random.Random(args.seed)
        os.makedirs(os.path.join(args.maildir, "new"), exist_ok=True)

    def log(self, line):
        with open(os.path.join(self.args.maildir, "attempts.log"), "a") as log:
            log.write(line + "\n")

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self.connections += 1
        session.number = self.connections
        session.host_name = hostname
        self.log(f"connect {session.number} open {self.open}")
        return responses

    async def handle_QUIT(self, server, session, envelope):
        self.log(f"quit {session.number}")
        return "221 Bye"

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.args.reuse_fault == "mail421" and session.delivered > 0:
            asyncio.get_running_loop().call_soon(server.transport.close)
            return "421 4.3.2 Service shutting down, closing transmission channel"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.log(f"rcpt {address}")
        if self.args.reject_rcpt:
            return "550 5.1.1 Recipient address rejected: mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.attempts += 1
        self.log(f"data {self.attempts} {','.join(envelope.rcpt_tos)}")
        if self.args.reuse_fault == "data-drop" and session.delivered > 0:
            server.transport.abort()
            return "451 4.3.0 never seen: the connection is gone"
        if self.attempts <= self.args.fail_first:
            return "451 4.3.0 Temporary failure, try again later"
        if self.args.fail_rate and self.random.random() < self.args.fail_rate:
            return "451 4.3.0 Temporary failure, try again later"
        if self.args.delay:
            await asyncio.sleep(self.args.delay)
        name = f"{time.time():.6f}.{os.getpid()}.{self.attempts}.eml"
        path = os.path.join(self.args.maildir, "new", name)
        with open(path + ".tmp", "wb") as out:
            out.write(envelope.original_content or envelope.content)
        os.rename(path + ".tmp", path)
        session.delivered += 1
        return "250 Message accepted for delivery"


class CountingSMTP(SMTP):
    """Counts open connections and logs when a numbered one closes."""

    def connection_made(self, transport):
        super().connection_made(transport)
        self.event_handler.open += 1
        self.session.number = 0
        self.session.delivered = 0

    async def push(self, status):
        if status.startswith("220 ") and self.event_handler.args.greeting_delay:
            await asyncio.sleep(self.event_handler.args.greeting_delay)
        await super().push(status)

    def connection_lost(self, error):
        self.event_handler.open -= 1
        if self.session.number:
            self.event_handler.log(f"close {self.session.number}")
        super().connection_lost(error)


class CountingController(Controller):
    def factory(self):
        return CountingSMTP(self.handler, **self.SMTP_kwargs)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--maildir", required=True)
    parser.add_argument("--fail-first", type=int, default=0)
    parser.add_argument("--fail-rate", type=float, default=0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--reject-rcpt", action="store_true")
    parser.add_argument("--delay", type=float, default=0)
    parser.add_argument("--idle-timeout", type=float, default=300)
    parser.add_argument("--reuse-fault", choices=["mail421", "data-drop"])
    parser.add_argument("--greeting-delay", type=float, default=0)
    args = parser.parse_args()
    controller = CountingController(
        Handler(args), hostname="127.0.0.1", port=args.port, timeout=args.idle_timeout
    )
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
