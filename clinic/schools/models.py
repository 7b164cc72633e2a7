"""The one table the schools package adds: a GIAS import waiting for its coordinator's
"Import these schools" (``gias_import``).

The upload is read once, on the upload's request; what was read (the chosen local
authorities' open schools and the reasons for the rows skipped) is kept here, keyed by a
random id that is sent back with the button, and bound to the coordinator and their
partnership, until it is imported or ``GIAS_PREVIEW_MINUTES`` pass.  A row rather than a
file under ``instance/``: every app server sees it (they hold no state), it goes with a
backup, and both database engines keep it the same way.  It holds no personal data: the
register is public.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from ..models import OneLine, UTCDateTime, utcnow


class GiasImport(Model):
    __tablename__ = "gias_import"

    id: Mapped[str] = mapped_column(String(43), primary_key=True)  # secrets.token_urlsafe(32)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnership.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    filename: Mapped[str] = mapped_column(OneLine(255), default="")
    las: Mapped[list] = mapped_column(JSON, default=list)
    phases: Mapped[list] = mapped_column(JSON, default=list)
    establishments: Mapped[list] = mapped_column(JSON, default=list)
    skipped: Mapped[list] = mapped_column(JSON, default=list)
    rows: Mapped[int] = mapped_column(Integer, default=0)
    outside: Mapped[int] = mapped_column(Integer, default=0)
