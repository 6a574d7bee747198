"""Prometheus metrics at /metrics: figures read at scrape time plus the API's request latencies."""
