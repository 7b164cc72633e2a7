"""Public pages: finding a school, its clinics and places left, the short link and the
poster.  The booking itself is ``flow_views.py``."""

from __future__ import annotations

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from .. import changes, pagecache
from ..auth.scope import may_access_school
from ..extensions import db
from ..links import external_url
from ..localtime import local_today
from ..models import Partnership, School, utcnow
from ..partnership import page_settings, settings_for, use_on_page
from ..qr import qr_svg
from . import finder
from .blueprint import STAFF_ROLES, bp


@bp.get("/schools")
def find_school():
    """Schools matching what was typed.  A results page that found schools is kept, and
    the search is run again only when the database may have changed or the day has
    (``clinic.changes``)."""
    query = request.args.get("q", "").strip()[:100]
    # Every partnership's schools, or the one partnership's the installation names.
    only = current_app.config.get("FINDER_PARTNERSHIP") or None
    return changes.served(("finder", only, query), lambda seen: _find_school(query, only, seen))


def _find_school(query: str, only: str | None, seen):
    now = utcnow()
    matches = finder.find_schools(db.session, query, today=local_today(now), partnership=only)

    def draw() -> str:
        return render_template("booking/find_school.html", query=query, matches=matches)

    if not matches:  # what was typed matched no school: it is drawn, never kept
        return draw()
    shown = tuple(
        (m.school.id, m.school.slug, m.school.name, m.school.town, m.school.postcode, m.next_clinic)
        for m in matches
    )
    # Kept only when schools match, so the words kept are part of public school names,
    # towns or postcodes; the key holds everything the page shows.
    page = pagecache.cached_page(lambda: pagecache.key_of("finder", query, shown), draw)
    return changes.remember(("finder", only, query), seen, changes.next_midnight(now), page)


def _school_or_404(slug: str):
    school = finder.school_by_slug(db.session, slug)
    if school is None:
        abort(404)
    return school


@bp.get("/schools/<slug>")
def school_page(slug: str):
    """The school's clinics and places left; drawn once per worker while nothing on it
    changes (``clinic.pagecache``).  Its key is read, in one query, only when the
    database may have changed since (``clinic.changes``)."""
    use_school_partnership(slug)
    return changes.served(("school", slug), lambda seen: _school_page(slug, seen))


def use_school_partnership(slug: str) -> None:
    """Draw this school's page in its partnership's name, notice and languages (issue 21).

    Kept per worker like the page itself: read again only when the change signal says
    the database may have changed (a partnership's settings signal its schools), and the
    read's transaction is ended at once, so the page's own cache check still trusts it."""
    kept = pagecache.store("school partnership")
    seen = changes.token()
    entry = kept.get(slug)
    if entry is not None and seen is not None and entry[0] == seen:
        use_on_page(entry[1], school_slug=slug)
        return
    partnership = db.session.scalar(select(Partnership).join(School).where(School.slug == slug))
    settings = settings_for(partnership)
    db.session.rollback()  # a read only: no transaction left open
    if seen is not None:
        kept.put(slug, (seen, settings))
    use_on_page(settings, school_slug=slug if partnership is not None else None)


def _school_page(slug: str, seen):
    now, today = utcnow(), local_today()
    shown = finder.school_page_key(db.session, slug, now=now, today=today)
    if shown is None:
        abort(404)
    until = changes.next_midnight(now)
    if shown.changes_at is not None:
        until = min(until, shown.changes_at)

    def draw() -> str:
        school = db.session.get_one(School, shown.school_id)  # just read; schools are never deleted
        listings = finder.upcoming_clinics(db.session, school, now=now, today=today)
        return render_template(
            "booking/school.html",
            school=school,
            listings=listings,
            staff_may_book=_staff_may_book(school.id),
        )

    page = pagecache.cached_page(
        lambda: pagecache.key_of("school", shown.values, page_settings().page_key()), draw
    )
    return changes.remember(("school", slug), seen, until, page)


def _staff_may_book(school_id: int) -> bool:
    """Signed-in officers and school staff of this school get "Book for a parent" links."""
    return (
        current_user.is_authenticated
        and current_user.role in STAFF_ROLES
        and may_access_school(current_user, school_id)
    )


@bp.get("/s/<slug>")
def short_link(slug: str):
    """The short address printed on posters and in newsletters."""
    school = _school_or_404(slug)
    return redirect(url_for("booking.school_page", slug=school.slug))


@bp.get("/schools/<slug>/poster")
def poster(slug: str):
    school = _school_or_404(slug)
    link = external_url("booking.short_link", slug=school.slug)
    listings = finder.upcoming_clinics(db.session, school, now=utcnow(), today=local_today())
    # How long an appointment takes, as the published clinics' slots say (officers choose
    # any length: a group session may take an hour), shortest and longest.
    lengths = sorted(
        {row.slot.ends_at - row.slot.starts_at for listing in listings for row in listing.slots}
    )
    return render_template(
        "booking/poster.html",
        school=school,
        link=link,
        qr=qr_svg(link, _("QR code for %(link)s", link=link)),
        listings=listings,
        lengths=(lengths[0], lengths[-1]) if lengths else None,
    )
