#!/usr/bin/python3
"""Enqueue-to-accepted latency of background mail (`make bench`, case outbox-latency).

Signs up COUNT new users through CLIENTS parallel clients spread over the server URLs, waits until
the relay (tests/support/smtp_fault_server.py, which names each stored message after the time it
accepted it) holds a mail for each, and prints p50/p99 of
    relay accepted - users.confirmation_sent_at
where confirmation_sent_at is written inside the signup's transaction, just before its commit.
Usage: outbox_latency.py LABEL DATABASE_URL MAILDIR COUNT CLIENTS URL...
"""
import concurrent.futures
import email
import email.policy
import os
import subprocess
import sys
import time
import urllib.request
import uuid


def signup(url, address):
    body = ('{"email":"%s","password":"benchmark-password"}' % address).encode()
    request = urllib.request.Request(url + "/signup", data=body, method="POST")
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def accepted(maildir):
    """recipient -> when the relay accepted its first mail (seconds since the epoch)."""
    times = {}
    folder = os.path.join(maildir, "new")
    for name in os.listdir(folder) if os.path.isdir(folder) else []:
        if name.endswith(".tmp"):
            continue
        with open(os.path.join(folder, name), "rb") as handle:
            message = email.message_from_binary_file(handle, policy=email.policy.default)
        at = float(".".join(name.split(".")[:2]))
        recipient = str(message["To"]).strip().lower()
        times[recipient] = min(at, times.get(recipient, at))
    return times


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main():
    label, database_url, maildir, count, clients = sys.argv[1:6]
    urls = sys.argv[6:]
    count, clients = int(count), int(clients)
    tag = uuid.uuid4().hex[:8]
    addresses = [f"latency-{tag}-{i}@example.com" for i in range(count)]
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        statuses = list(pool.map(lambda i: signup(urls[i % len(urls)], addresses[i]), range(count)))
    ok = [a for a, s in zip(addresses, statuses) if 200 <= s < 300]
    deadline = time.time() + 120
    while time.time() < deadline and not set(ok) <= set(accepted(maildir)):
        time.sleep(0.2)
    times = accepted(maildir)
    rows = subprocess.run(
        ["psql", database_url, "-AtF", " ", "-c",
         "SELECT email, extract(epoch FROM confirmation_sent_at) FROM auth.users "
         f"WHERE email LIKE 'latency-{tag}-%'"],
        check=True, capture_output=True, text=True).stdout.split("\n")
    committed = {line.split(" ")[0]: float(line.split(" ")[1]) for line in rows if line}
    latencies = [(times[a] - committed[a]) * 1000 for a in ok if a in times and a in committed]
    if not latencies:
        print(f"  {label}: no mail arrived ({len(ok)} of {count} signups answered 2xx)")
        return
    print(f"  {label:34} p50 {percentile(latencies, 0.5):8.1f} ms   p99 "
          f"{percentile(latencies, 0.99):8.1f} ms   ({len(latencies)} of {count} mails)")


if __name__ == "__main__":
    main()
