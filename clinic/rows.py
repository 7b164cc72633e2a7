"""How many rows an UPDATE or DELETE changed, for the services' conditional writes.

Those writes check that they changed the row they meant to (a place still free, an offer
still held, a message still ours) with the statement's row count.  ``Session.execute()``
is typed to return ``Result``, which has no ``rowcount``: an UPDATE or DELETE without
RETURNING gives back a ``CursorResult``, which has it, but the Session cannot promise that
in every case (an execute event may replace the result), so SQLAlchemy leaves the cast to
the caller (its 2.0.44 changelog).  This is that cast, in one place.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, Result


def changed(result: Result[Any]) -> int:
    """The number of rows the UPDATE or DELETE that gave ``result`` matched."""
    return cast(CursorResult[Any], result).rowcount
