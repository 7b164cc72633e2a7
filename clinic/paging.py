"""One page of a long list: which page was asked for, how many there are, and which rows
to read.  The audit log and the clinics dashboard page the same way, and draw their links
with the ``pagination`` macro of ``templates/_pagination.html`` (GOV.UK's pagination)."""

from __future__ import annotations

from dataclasses import dataclass

PER_PAGE = 50


def asked(value: str | None) -> int:
    """The page number in a query string: a whole number, else the first page (a typed
    "?page=x" or an absurdly long number is not worth an error page)."""
    text = (value or "").strip()
    return int(text) if text.isdigit() and len(text) < 7 else 1


@dataclass(frozen=True)
class Window:
    """Page ``number`` of ``pages`` over ``total`` rows, ``per_page`` a page."""

    number: int
    pages: int
    total: int
    per_page: int = PER_PAGE

    @classmethod
    def over(cls, total: int, page: int, per_page: int = PER_PAGE) -> Window:
        """The page asked for, brought within the pages there are (past the last: the last)."""
        pages = max(1, -(-total // per_page))
        return cls(min(max(page, 1), pages), pages, total, per_page)

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.per_page
