"""The app gunicorn serves for ``make bench`` and the burst tests.

The test settings on the database in BENCH_DATABASE_URL: email stays in the outbox
(nothing is sent) and the booking rate limits are lifted, so every request reaches the
booking rules.  ``TestConfig`` fixes its database to ``sqlite://``, hence the override.

Two things are added here and nowhere in ``clinic/``, so production never carries them:

- an ``X-Bench-Queries`` response header: how many SQL statements the request sent (the
  ``BEGIN`` the SQLite listener issues is not counted);
- the references the bench compares two pages with (``bench/refs.py``);
- ``?bench-rebuild`` on the officer feed: the feeds this worker kept are forgotten first,
  so the request builds the feed as it does after a change (``refs.forget_feeds``).
"""

import gc
import os

from flask import g, has_app_context
from sqlalchemy import event
from sqlalchemy.engine import Engine

from clinic import create_app

from . import refs

app = create_app(
    {
        "SQLALCHEMY_DATABASE_URI": os.environ["BENCH_DATABASE_URL"],
        "OUTBOX_SEND_MODE": "off",
        "MAIL_SERVER": "",
        "BOOKING_LIMIT_PER_ADDRESS": "1000000 per hour",
        "BOOKING_LIMIT_PER_EMAIL": "1000000 per hour",
        "BOOKING_LIMIT_PER_SESSION": "1000000 per hour",
    }
)

# --- queries per request ----------------------------------------------------------------


@event.listens_for(Engine, "before_cursor_execute")
def _count_query(conn, cursor, statement, parameters, context, executemany):
    if has_app_context() and not statement.startswith("BEGIN"):
        g.bench_queries = g.get("bench_queries", 0) + 1


@app.after_request
def _queries_header(response):
    response.headers["X-Bench-Queries"] = str(g.get("bench_queries", 0))
    return response


refs.add_to(app)

# As wsgi.py: what importing made is left out of garbage collection (shared after a fork).
gc.freeze()
