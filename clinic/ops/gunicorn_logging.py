"""gunicorn's logger for this service: ``logger_class = "clinic.ops.gunicorn_logging.Logger"``
(set in ``deploy/gunicorn.conf.py``, which ``make run`` and production both use).

gunicorn's own access log writes the raw request line, path, query and referrer, and a
parent's manage link is ``/booking/<token>``: with the stock logger every token a parent
opened would sit in the access log.  This class passes each value through
``clinic.ops.redact``, shortens the client address to its network (the last IPv4 octet,
or all but the first three IPv6 groups, become zero: enough to spot a network, not a
household), and writes JSON lines when ``LOG_FORMAT`` is json (production's default).
gunicorn's error log gets the same redaction and format.
"""

from __future__ import annotations

import ipaddress
import json
from datetime import UTC, datetime

from gunicorn import glogging

from .logs import default_format, json_formatter, protect
from .redact import redact


def network_of(address: str) -> str:
    """203.0.113.7 -> 203.0.113.0; 2001:db8:1:2::7 -> 2001:db8:1::"""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return "-"
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False).network_address)


class Logger(glogging.Logger):
    def setup(self, cfg) -> None:
        super().setup(cfg)
        self.json = default_format() == "json"
        for handler in self.error_log.handlers + self.access_log.handlers:
            protect(handler)
        if self.json:
            for handler in self.error_log.handlers:
                handler.setFormatter(json_formatter())

    def atoms(self, resp, req, environ, request_time) -> dict:
        atoms = super().atoms(resp, req, environ, request_time)
        for key, value in atoms.items():
            if isinstance(value, str):
                atoms[key] = redact(value)
        atoms["h"] = network_of(environ.get("REMOTE_ADDR", ""))
        return atoms

    def access(self, resp, req, environ, request_time) -> None:
        if not self.access_log_enabled:
            return
        if not self.json:
            super().access(resp, req, environ, request_time)
            return
        atoms = self.atoms(resp, req, environ, request_time)
        line = {
            "timestamp": datetime.now(UTC).isoformat(),
            "level": "INFO",
            "logger": "gunicorn.access",
            "request_id": atoms.get("{x-request-id}o", "-"),
            "method": atoms["m"],
            "path": atoms["U"],
            "query": atoms["q"] or "",
            "status": str(atoms["s"]),
            "bytes": atoms["b"],
            "duration_ms": atoms["M"],
            "remote_network": atoms["h"],
            "referrer": atoms["f"],
            "user_agent": atoms["a"],
        }
        try:
            self.access_log.info(json.dumps(line))
        except Exception:  # noqa: BLE001 - as gunicorn's own access(): never fail a request
            self.exception("Could not write the access log line")
