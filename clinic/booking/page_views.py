"""Public pages: finding a school, its clinics and places left, the short link and the
poster.  The booking itself is ``flow_views.py``."""

from __future__ import annotations

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import refresh
from flask_login import current_user

from .. import changes, pagecache
from ..auth.scope import may_access_school
from ..extensions import db
from ..links import external_url
from ..localtime import local_today
from ..models import School, utcnow
from ..partnership import public_partnership, settings_for, use_on_page
from ..qr import qr_svg
from . import finder
from .blueprint import STAFF_ROLES, bp


@bp.get("/schools")
def find_school():
    """Schools matching what was typed.  A results page that found schools is kept, and
    the search is run again only when the database may have changed or the day has
    (``clinic.changes``)."""
    query = request.args.get("q", "").strip()[:100]
    # Every partnership's schools, or the one partnership's the installation names: then
    # the page is drawn in its name, notice and languages (kept per worker, as a school
    # page's are, and read again whenever the database may have changed).
    only = current_app.config.get("FINDER_PARTNERSHIP") or None
    if only:
        kept = _partnership_kept().get(("finder", only))
        if kept is None:
            return _find_school(query, only, changes.token() if pagecache.shareable() else None)
        use_on_page(kept)
    return changes.served(("finder", only, query), lambda seen: _find_school(query, only, seen))


def _find_school(query: str, only: str | None, seen):
    now = utcnow()
    settings = None
    if only:
        settings = use_on_page(settings_for(public_partnership(db.session)))
        refresh()  # the page's language is chosen again, among the partnership's
        _partnership_kept().put(("finder", only), settings)
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
    drawn_for = settings.page_key() if settings is not None else None
    page = pagecache.cached_page(lambda: pagecache.key_of("finder", query, shown, drawn_for), draw)
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
    database may have changed since (``clinic.changes``).

    It is drawn for the school's partnership (issue 21: its name, notice and languages),
    known before the page's language is chosen: kept per worker beside the page, and
    read with the page's key otherwise."""
    kept = _partnership_kept().get(slug)
    if kept is None:
        # Not known yet: the key (which reads it) is read whatever is kept.
        return _school_page(slug, changes.token() if pagecache.shareable() else None)
    use_on_page(kept, school_slug=slug)
    return changes.served(("school", slug), lambda seen: _school_page(slug, seen))


def _partnership_kept() -> pagecache.PageStore:
    """The partnership settings a school's page (by slug), or the finder of an
    installation run for one (``("finder", slug)``), was last drawn for."""
    return pagecache.store("school partnership")


def _school_page(slug: str, seen):
    now, today = utcnow(), local_today()
    shown = finder.school_page_key(db.session, slug, now=now, today=today)
    if shown is None:
        abort(404)
    settings = settings_for(shown.partnership)
    use_on_page(settings, school_slug=slug)
    refresh()  # the page's language is chosen again, among the partnership's
    _partnership_kept().put(slug, settings)
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

    page = pagecache.cached_page(lambda: pagecache.key_of("school", shown.values), draw)
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
