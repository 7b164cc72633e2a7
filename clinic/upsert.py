"""The one place that picks the database's own ``INSERT`` for an upsert.

``INSERT … ON CONFLICT`` is not in SQLAlchemy's generic ``insert()``: each dialect has its
own construct (``on_conflict_do_update``, ``on_conflict_do_nothing``), with the same
arguments on SQLite and PostgreSQL.  ``insert_into`` hands back the right one for the
session or connection at hand; each caller writes its own conflict clause.
"""

from __future__ import annotations

from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, scoped_session


def insert_into(bind: Session | scoped_session | Connection, table):
    """``INSERT INTO table`` in the dialect of ``bind``, so ``.on_conflict_do_…()`` works."""
    dialect = bind.dialect if isinstance(bind, Connection) else bind.get_bind().dialect
    insert = postgresql.insert if dialect.name == "postgresql" else sqlite.insert
    return insert(table)
