#!/usr/bin/python3
"""A Prometheus scraper, independent of Vigil's code: fetches a /metrics URL
over HTTPS and parses it with python3-prometheus-client's own text parser
(Debian's package). That parser is lenient, so on top of it this checks what
Prometheus relies on: no series twice, and per histogram, buckets in
increasing "le" order ending in +Inf, counts that never decrease, and _count
equal to the +Inf bucket.

usage: scrape_metrics.py URL [CLIENT_CERT CLIENT_KEY]
  Prints the samples as JSON: [{"name", "labels", "value"}, ...] and exits 0;
  exits 1 with the reason on stderr when the fetch (TLS handshake included)
  or the parse fails. HTTPS trust comes from SSL_CERT_FILE.
"""
import json
import ssl
import sys
import urllib.request

from prometheus_client.parser import text_string_to_metric_families


def main():
    url = sys.argv[1]
    context = ssl.create_default_context()
    if len(sys.argv) > 3:
        context.load_cert_chain(sys.argv[2], sys.argv[3])
    try:
        with urllib.request.urlopen(url, context=context, timeout=10) as r:
            content_type = r.headers.get("Content-Type", "")
            text = r.read().decode("utf-8")
    except Exception as e:  # the reason is the output
        print(f"fetch failed: {e}", file=sys.stderr)
        return 1
    if not content_type.startswith("text/plain; version=0.0.4"):
        print(f"content type {content_type!r}", file=sys.stderr)
        return 1
    samples = []
    try:
        for family in text_string_to_metric_families(text):
            for s in family.samples:
                samples.append(
                    {"name": s.name, "labels": s.labels, "value": s.value})
            if family.type == "histogram":
                check_histogram(family)
    except Exception as e:
        print(f"parse failed: {e}", file=sys.stderr)
        return 1
    seen = set()
    for s in samples:
        key = (s["name"], tuple(sorted(s["labels"].items())))
        if key in seen:
            print(f"series twice: {key}", file=sys.stderr)
            return 1
        seen.add(key)
    print(json.dumps(samples))
    return 0


def check_histogram(family):
    """Raises ValueError unless every series of `family` is well formed."""
    series = {}
    for s in family.samples:
        rest = tuple(sorted((k, v) for k, v in s.labels.items() if k != "le"))
        series.setdefault(rest, []).append(s)
    for rest, items in series.items():
        buckets = [s for s in items if s.name.endswith("_bucket")]
        counts = [s.value for s in items if s.name.endswith("_count")]
        bounds = [float(s.labels["le"]) for s in buckets]
        if not buckets or bounds[-1] != float("inf"):
            raise ValueError(f"{family.name}{rest}: no +Inf bucket")
        if bounds != sorted(bounds) or len(set(bounds)) != len(bounds):
            raise ValueError(f"{family.name}{rest}: le not increasing")
        values = [s.value for s in buckets]
        if values != sorted(values):
            raise ValueError(f"{family.name}{rest}: bucket counts decrease")
        if counts != [values[-1]]:
            raise ValueError(f"{family.name}{rest}: _count {counts} != +Inf "
                             f"bucket {values[-1]}")


if __name__ == "__main__":
    sys.exit(main())
