"""``/metrics`` for Prometheus (``prometheus_client``, the project's own Python client).

Counted as they happen, in each process:

- ``clinic_http_requests_total{route, method, status}`` and
  ``clinic_http_request_duration_seconds{route, method}``: ``route`` is the URL rule
  (``/booking/<token>``), never the path, so no token reaches a label, and unknown paths
  are one ``<unmatched>`` series.
- ``clinic_bookings_made_total`` and ``clinic_bookings_refused_total{reason}``, from
  ``clinic.signals``.
- ``clinic_security_events_total{event}``: the named security events, counted where
  they happen (``clinic.security_events``, in the default registry read here).

Read from the database at each scrape (so every process answers the same):

- ``clinic_outbox_messages{status}``, ``clinic_outbox_oldest_unsent_age_seconds``;
- ``clinic_job_last_success_timestamp_seconds{job}`` (and ``…_last_failure_…``,
  ``…_last_start_…``) from ``job_run``.

Under gunicorn, workers are separate processes: ``PROMETHEUS_MULTIPROC_DIR`` (set by
``deploy/gunicorn.conf.py``, which also clears it at start and tells the library when a
worker exits) makes every worker's counts add up in each answer.  Without it (``flask
run``, tests) the counts are the answering process's own.

Only the addresses in ``METRICS_ALLOW_FROM`` (networks, comma-separated) or a request
with ``Authorization: Bearer <METRICS_TOKEN>`` get an answer; anyone else gets the 404
page, as for a page that does not exist.
"""

from __future__ import annotations

import functools
import hmac
import ipaddress
import logging
import os
import time

from flask import Blueprint, Flask, Response, abort, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import signals
from ..extensions import db
from ..models import OUTBOX_STATUSES, OutboxMessage, utcnow
from .models import JobRun

log = logging.getLogger(__name__)
bp = Blueprint("ops_metrics", __name__)

UNMATCHED = "<unmatched>"

REQUESTS = Counter(
    "clinic_http_requests",
    "HTTP requests answered, by URL rule, method and status.",
    ["route", "method", "status"],
)
LATENCY = Histogram(
    "clinic_http_request_duration_seconds",
    "Time to answer a request, by URL rule and method.",
    ["route", "method"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
BOOKINGS_MADE = Counter("clinic_bookings_made", "Bookings made (committed).")
BOOKINGS_REFUSED = Counter(
    "clinic_bookings_refused", "Bookings refused, by the rule that refused them.", ["reason"]
)


# --- counting requests and bookings ----------------------------------------------------


def _started() -> None:
    g._metrics_started = time.perf_counter()


def _answered(response):
    started = g.pop("_metrics_started", None)
    if started is None:
        return response
    rule = request.url_rule
    route = rule.rule if rule is not None else UNMATCHED
    method = request.method if request.method in _METHODS else "other"
    count, latency = _series(route, method, response.status_code)
    count.inc()
    latency.observe(time.perf_counter() - started)
    return response


_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


@functools.cache
def _series(route: str, method: str, status: int):
    """The counter and histogram of one route, method and status, looked up once per
    process: ``labels()`` checks and locks on every call, and the routes are a fixed set."""
    return REQUESTS.labels(route, method, str(status)), LATENCY.labels(route, method)


def _count_made(sender, **kwargs) -> None:
    BOOKINGS_MADE.inc()


def _count_refused(sender, reason: str = "other", **kwargs) -> None:
    BOOKINGS_REFUSED.labels(reason).inc()


# --- read at scrape time ---------------------------------------------------------------


class DatabaseCollector:
    """Outbox and cron figures, read from the database when Prometheus asks."""

    def __init__(self, session: Session):
        self.session = session

    def collect(self):
        now = utcnow()
        up = GaugeMetricFamily(
            "clinic_database_up", "1 when the database answered this scrape's queries."
        )
        try:
            families = list(self._families(now))
        except Exception:  # a scrape must answer even with the database away
            log.warning("metrics: the database did not answer", exc_info=True)
            self.session.rollback()
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    def _families(self, now):
        by_status = dict(
            self.session.execute(
                select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
            ).all()
        )
        messages = GaugeMetricFamily(
            "clinic_outbox_messages", "Outbox messages by status.", labels=["status"]
        )
        for status in OUTBOX_STATUSES:
            messages.add_metric([status], by_status.get(status, 0))
        yield messages

        oldest = self.session.scalar(
            select(func.min(OutboxMessage.created_at)).where(
                OutboxMessage.status.in_(("pending", "sending"))
            )
        )
        age = GaugeMetricFamily(
            "clinic_outbox_oldest_unsent_age_seconds",
            "Age of the oldest message not sent yet (0 when none waits).",
        )
        age.add_metric([], max((now - oldest).total_seconds(), 0) if oldest else 0)
        yield age

        runs = list(self.session.scalars(select(JobRun).order_by(JobRun.name)))
        for field, what in (
            ("last_succeeded_at", "success"),
            ("last_failed_at", "failure"),
            ("last_started_at", "start"),
        ):
            family = GaugeMetricFamily(
                f"clinic_job_last_{what}_timestamp_seconds",
                f"Unix time of each cron command's last {what}.",
                labels=["job"],
            )
            for run in runs:
                when = getattr(run, field)
                if when is not None:
                    family.add_metric([run.name], when.timestamp())
            yield family
        self.session.rollback()  # end the read (on SQLite every transaction takes the lock)


def exposition(session: Session) -> bytes:
    """The text Prometheus reads: every process's counts, then the database figures."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        processes = CollectorRegistry()
        multiprocess.MultiProcessCollector(processes)
    else:
        processes = REGISTRY
    figures = CollectorRegistry(auto_describe=False)
    figures.register(DatabaseCollector(session))
    return generate_latest(processes) + generate_latest(figures)


# --- who may read it -------------------------------------------------------------------


def allowed_networks(setting: str) -> list:
    networks = []
    for part in setting.split(","):
        if part.strip():
            networks.append(ipaddress.ip_network(part.strip(), strict=False))
    return networks


def may_read(remote_addr: str | None, authorization: str, config) -> bool:
    token = config.get("METRICS_TOKEN") or ""
    if token and authorization.startswith("Bearer "):
        offered = authorization.removeprefix("Bearer ").strip()
        if hmac.compare_digest(offered.encode(), token.encode()):
            return True
    try:
        address = ipaddress.ip_address(remote_addr or "")
    except ValueError:
        return False
    if address.version == 6 and address.ipv4_mapped:
        address = address.ipv4_mapped
    return any(address in network for network in allowed_networks(config["METRICS_ALLOW_FROM"]))


@bp.get("/metrics")
def metrics():
    if not may_read(
        request.remote_addr, request.headers.get("Authorization", ""), current_app.config
    ):
        abort(404)
    return Response(exposition(db.session), mimetype=CONTENT_TYPE_LATEST)


def register(app: Flask) -> None:
    allowed_networks(app.config["METRICS_ALLOW_FROM"])  # a typo fails at start, not at scrape
    app.before_request_funcs.setdefault(None, []).insert(0, _started)
    app.after_request(_answered)
    app.register_blueprint(bp)
    signals.booking_made.connect(_count_made, weak=False)
    signals.booking_refused.connect(_count_refused, weak=False)
