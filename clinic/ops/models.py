"""The one table operations add: when each cron command last ran (``flask doctor``,
``/metrics``).

It lives here rather than in ``clinic/models.py`` because only ``clinic.ops`` writes or
reads it; ``clinic.ops`` is imported by ``create_app()``, so the table is on the shared
metadata for Alembic like every other.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from ..models import UTCDateTime


class JobRun(Model):
    """The last start, success and failure of one cron command, by its name
    (``"reminders send"``). Holds no personal data: ``last_error`` is the kind of error and
    its first line with email addresses and tokens blanked (``clinic.ops.redact``)."""

    __tablename__ = "job_run"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    last_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_succeeded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(300))
    # The log reference of the last run: its log lines carry it as request_id.
    last_run_id: Mapped[str | None] = mapped_column(String(40))
