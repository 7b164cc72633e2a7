"""Transaction helpers shared by the services."""

from sqlalchemy.orm import Session


def begin_write(session: Session) -> None:
    """Start a transaction that holds the database's write lock from its first statement.

    On PostgreSQL nothing is needed: conditional UPDATEs and row locks do the work.  On
    SQLite a deferred transaction that has read and then tries to write fails at once with
    "database is locked" when another writer committed in between (the busy timeout does
    not help there), so writes start with ``BEGIN IMMEDIATE`` and wait their turn instead.
    Any read-only transaction already open is ended first; pending changes are a bug.
    """
    if session.get_bind().dialect.name != "sqlite":
        return
    if session.in_transaction():
        if session.new or session.dirty or session.deleted:
            raise RuntimeError("begin_write() called with unsaved changes in the session")
        session.commit()
    session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
