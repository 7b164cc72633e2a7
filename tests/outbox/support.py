"""Helpers for the outbox tests."""

from datetime import timedelta

from sqlalchemy import select, update

from clinic.models import OutboxMessage, utcnow

ICS = (
    b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Tests//EN\r\nMETHOD:REQUEST\r\n"
    b"BEGIN:VEVENT\r\nUID:booking-1@clinics.test\r\nSEQUENCE:0\r\n"
    b"DTSTAMP:20260101T090000Z\r\nDTSTART:20260107T150000Z\r\nDTEND:20260107T151500Z\r\n"
    b"SUMMARY:Parental controls clinic\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


def make_due(session, *ids):
    """Move the next try of these messages into the past, as if time had passed."""
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids))
        .values(next_attempt_at=utcnow() - timedelta(seconds=1))
    )
    session.commit()


def reload(session, message):
    """The row as it is now in the database (ends the session's snapshot first)."""
    session.commit()
    return session.get(OutboxMessage, message.id)


def statuses(session, kind: str) -> list[str]:
    """The status of every outbox message of this kind, oldest first (a fresh read)."""
    session.commit()
    return list(
        session.scalars(
            select(OutboxMessage.status)
            .where(OutboxMessage.kind == kind)
            .order_by(OutboxMessage.id)
        )
    )


def run_cron_as_in_production(app, *args: str):
    """Run a cron command with ``OUTBOX_SEND_MODE=after_commit`` (production's setting),
    where a thread sending after each commit would die with the command."""
    app.config["OUTBOX_SEND_MODE"] = "after_commit"
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result.output
