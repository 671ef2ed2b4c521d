#!/usr/bin/python3
"""A Prometheus scraper, independent of Vigil's code: fetches a /metrics URL
over HTTPS and parses it with python3-prometheus-client's own text parser
(Debian's package), so a format error in the exposition fails here the way it
would fail Prometheus.

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
    except Exception as e:
        print(f"parse failed: {e}", file=sys.stderr)
        return 1
    print(json.dumps(samples))
    return 0


if __name__ == "__main__":
    sys.exit(main())
