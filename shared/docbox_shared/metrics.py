"""Prometheus metrics at ``/metrics``: requests and latency per route, plus gauges
a service computes from its database at scrape time (so every gunicorn worker
answers the same numbers: outbox pending, queue depth, failures ...).

Labels are route rules (``/feeds/<token>.ics``), methods and status codes only:
never a path, a token or an address.

With several gunicorn workers, set ``PROMETHEUS_MULTIPROC_DIR`` to an empty
folder so request counters add up across workers (prometheus_client's
multiprocess mode); without it each worker reports its own counters.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from flask import Flask, Response, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily

GaugeFn = Callable[[], float | int | None]
GaugesFn = Callable[[], dict[str, float | int | None]]


class _DatabaseGauges:
    """Collects the gauges registered with :func:`gauge` and :func:`gauges`, inside an app context."""

    def __init__(self, app: Flask):
        self.app = app
        self.sources: list[tuple[GaugesFn, dict[str, str]]] = []

    def collect(self):
        with self.app.app_context():
            for fn, helps in self.sources:
                try:
                    values = fn()
                except Exception:  # noqa: BLE001 - a database outage must not break /metrics
                    values = {}
                for name, help_text in helps.items():
                    family = GaugeMetricFamily(name, help_text)
                    if values.get(name) is not None:
                        family.add_metric([], float(values[name]))
                    yield family


def init_metrics(app: Flask, service: str) -> None:
    registry = CollectorRegistry(auto_describe=True)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Values go to the shared files whatever the registry; the collector reads them all back.
        multiprocess.MultiProcessCollector(registry)
        kwargs = {"registry": None}
    else:
        kwargs = {"registry": registry}
    requests_total = Counter("docbox_http_requests_total", "HTTP requests by route, method and status.",
                             ["service", "route", "method", "status"], **kwargs)
    latency = Histogram("docbox_http_request_seconds", "Request latency by route.", ["service", "route"], **kwargs)
    gauges = _DatabaseGauges(app)
    registry.register(gauges)
    app.extensions["docbox_metrics"] = gauges
    # For a path answered before Flask (calendar_sync's feed URL) to count itself the same way.
    app.extensions["docbox_http_metrics"] = (service, requests_total, latency)

    @app.before_request
    def _start_timer():
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _count(response):
        route = request.url_rule.rule if request.url_rule else "<unmatched>"
        if route != "/metrics":
            requests_total.labels(service, route, request.method, str(response.status_code)).inc()
            latency.labels(service, route).observe(time.perf_counter() - g.get("metrics_started", time.perf_counter()))
        return response

    @app.get("/metrics")
    def metrics():
        return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


def gauge(app: Flask, name: str, help_text: str, fn: GaugeFn) -> None:
    """Publish ``fn()`` (run in an app context at each scrape) as gauge ``name``."""
    gauges(app, lambda: {name: fn()}, {name: help_text})


def gauges(app: Flask, fn: GaugesFn, helps: dict[str, str]) -> None:
    """Publish several gauges computed together: ``fn()`` runs once a scrape and returns
    ``{name: value}`` for the names in ``helps`` (``{name: help text}``)."""
    app.extensions["docbox_metrics"].sources.append((fn, helps))
