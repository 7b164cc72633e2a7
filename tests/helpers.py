"""Small helpers for tests that drive the pages through Flask's test client, and the one
recorder of the SQL the app sends (for tests that count or read its queries)."""

import re
from contextlib import contextmanager

from sqlalchemy import event

from clinic.extensions import db

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(response) -> str:
    """The CSRF token in a page's form, as a browser would send it back."""
    html = response.get_data(as_text=True)
    match = _CSRF.search(html) or re.search(r'value="([^"]+)"[^>]*name="csrf_token"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def post_form(client, url: str, data: dict, *, page_url: str | None = None, **kwargs):
    """GET the page, then POST the form on it with its CSRF token."""
    page = client.get(page_url or url)
    assert page.status_code == 200, page.status_code
    return client.post(url, data={"csrf_token": csrf_token(page), **data}, **kwargs)


@contextmanager
def sql_sent(*, with_parameters: bool = False):
    """Every SQL statement the app sends while the block runs, in order: its text, or
    ``(text, parameters)`` pairs ``with_parameters``."""
    sent: list = []

    def remember(conn, cursor, statement, parameters, context, executemany):
        sent.append((statement, parameters) if with_parameters else statement)

    event.listen(db.engine, "before_cursor_execute", remember)
    try:
        yield sent
    finally:
        event.remove(db.engine, "before_cursor_execute", remember)
