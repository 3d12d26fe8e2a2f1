#!/usr/bin/env python3
"""Scrapes a Prometheus endpoint and prints its samples as JSON, one object per line.

The text is parsed by prometheus_client's own parser (Debian python3-prometheus-client), a real
reader of the exposition format: a malformed exposition makes this exit non-zero. Used by
tests/integration/metrics_test.cpp.

    scrape_metrics.py http://127.0.0.1:9100/metrics
"""

import json
import sys
import urllib.request

from prometheus_client.parser import text_string_to_metric_families


def main() -> int:
    if len(sys.argv) != 2:
        print("usage: scrape_metrics.py URL", file=sys.stderr)
        return 2
    with urllib.request.urlopen(sys.argv[1], timeout=10) as response:
        content_type = response.headers.get("Content-Type", "")
        text = response.read().decode("utf-8")
    if not content_type.startswith("text/plain"):
        print(f"unexpected Content-Type {content_type!r}", file=sys.stderr)
        return 1
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            print(json.dumps({
                "family": family.name,
                "type": family.type,
                "name": sample.name,
                "labels": sample.labels,
                "value": sample.value,
            }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
