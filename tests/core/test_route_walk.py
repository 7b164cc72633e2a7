"""Who may open what: every rule in ``app.url_map`` for every actor, against one table.

``ROUTES`` below gives each endpoint its rule. The test walks every method of every rule
for every actor, with URL values built from the records of ``tests/robust/world.py``,
and checks the answer is the rule's: allowed (any answer below 500 that is not a
refusal) or refused (see ``Rule.refusal``). A route added without an entry in ``ROUTES``
fails ``test_every_route_has_a_rule`` with the endpoint named.

Adding a route
--------------
Add one line to ``ROUTES``: ``"blueprint.endpoint": RULE,`` with one of

===================  =================================================================
``PUBLIC``           anyone, signed in or not (pages, the booking flow, health checks)
``link("manage")``   whoever holds the genuine signed link of that kind (a parent's
                     manage, waiting-list or feedback link, a staff set-password link,
                     an officer's calendar feed); a tampered link, or a genuine link
                     of another kind (another parent's, made for another page), is
                     refused. The kinds are the keys of ``LINKS``; a new kind adds a
                     ``LINKS`` entry: how to make the genuine token from the world.
``SIGNED_IN``        any active staff member, whatever their role, school or
                     partnership, and the service owner: one's own account
``PARTNERSHIP_STAFF`` any staff member of a partnership (each sees their own), not the
                     service owner
``OFFICER_OR_ADMIN`` officers (of any school) and admins, of any partnership (each sees
                     their own); not school staff
``STAFF_OF_SCHOOL``  admins of the record's partnership, officers assigned to the
                     record's school and that school's staff; not an officer or school
                     user of another school, nor anyone of another partnership
``OFFICER_OF_SCHOOL`` the record's partnership's admins and officers assigned to the
                     record's school only
``OFFICERS``         officers (of any school or partnership), not admins: making clinics,
                     calendar feeds
``ASSIGNED_OFFICER`` officers assigned to the record's school, not admins
``BOOKS_FOR_SCHOOL`` the school's staff and its officers, who book for a parent on the
                     phone (admins do not)
``BOOKING_STAFF``    officers and school staff of any school (not admins)
``ADMINS``           admins of any partnership, on pages of their own partnership's
                     records (lists, forms to add one)
``ADMIN_ONLY``       admins of the record's partnership only (a staff account, a
                     guidance link, an email...)
===================  =================================================================

or a ``Rule(name, allowed_actors)`` of its own. If the route's URL takes a value the
walk does not know yet (``VALUES``), add how to get it from the world there; if it
needs another record than the default one (``OVERRIDES``), add it there.

Answers
-------
- Allowed: below 500, and not the refusal below (an empty POST with a valid CSRF token
  may be a form with errors, a redirect after the change, a 409...).
- Refused, not signed in: a redirect to ``/staff/sign-in`` (signing out, ``SIGN_OUTS``,
  answers with that redirect too: it is allowed when the actor is signed out after it).
- Refused, signed in: 404 (``require_role`` and ``require_school_access`` never say 403).
- Refused link: 404, or 410 (the page for a link that expired, was used or whose record
  was erased).

Every answer must also carry the security headers of ``clinic/headers.py``, and every
HTML page hold no inline script or style (the CSP refuses them).

Actors: ``anonymous``; ``parent``, ``wrong_link``, ``tampered_link`` (not signed in, the
genuine link / another kind's genuine link / a tampered link in every token); an
``other_school`` user and an ``other_officer`` (assigned to another school only);
``school`` (the record's school's staff), ``officer`` (assigned), ``admin``; from a second
partnership (issue 21), its coordinator ``other_admin``, an officer
``other_partnership_officer`` and a school user ``other_partnership_school`` (of its own
school, which has clinics and bookings too); and the service ``owner``, who belongs to no
partnership and sees no family's data.  Every record in the URLs is the first
partnership's, so each of the last four is refused every page of a record.
Each actor walks in a world of its own, GETs first, then POSTs (an empty form with the
actor's own CSRF token), signing out last; on both engines.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest

from clinic.auth.service import password_token, sign_in_token
from clinic.links import feedback_token, manage_token, waitlist_token
from clinic.schedule.feed import issue_calendar_token
from tests.conftest import sign_in
from tests.core.test_headers import INLINE_SCRIPT, INLINE_STYLE, assert_secure_headers
from tests.helpers import _CSRF
from tests.robust.world import World

# --- actors ------------------------------------------------------------------------------

ANONYMOUS = "anonymous"
PARENT = "parent"
WRONG_LINK = "wrong_link"
TAMPERED_LINK = "tampered_link"
OTHER_SCHOOL = "other_school"
OTHER_OFFICER = "other_officer"
SCHOOL = "school"
OFFICER = "officer"
ADMIN = "admin"
# Issue 21: another partnership's staff, and the service owner.
OTHER_ADMIN = "other_admin"
OTHER_PARTNERSHIP_OFFICER = "other_partnership_officer"
OTHER_PARTNERSHIP_SCHOOL = "other_partnership_school"
OWNER = "owner"

SIGNED_OUT = (ANONYMOUS, PARENT, WRONG_LINK, TAMPERED_LINK)
OTHER_PARTNERSHIP = (OTHER_ADMIN, OTHER_PARTNERSHIP_OFFICER, OTHER_PARTNERSHIP_SCHOOL)
STAFF = (OTHER_SCHOOL, OTHER_OFFICER, SCHOOL, OFFICER, ADMIN, *OTHER_PARTNERSHIP, OWNER)
ACTORS = SIGNED_OUT + STAFF


# --- rules -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    name: str
    allowed: frozenset[str]
    link: str | None = None  # the kind of token in the URL (a key of LINKS)

    def refusal(self, actor: str) -> str:
        """How ``actor`` is refused: "sign-in" (a redirect to it) or "not found"."""
        if self.link is None and actor in SIGNED_OUT:
            return "sign-in"
        return "not found"


def _rule(name: str, *actors: str) -> Rule:
    return Rule(name, frozenset(actors))


def link(kind: str) -> Rule:
    """Whoever holds the genuine link of ``kind``, signed in or not."""
    return Rule(f"link({kind})", frozenset(set(ACTORS) - {WRONG_LINK, TAMPERED_LINK}), kind)


PUBLIC = _rule("PUBLIC", *ACTORS)
SIGNED_IN = _rule("SIGNED_IN", *STAFF)
PARTNERSHIP_STAFF = _rule("PARTNERSHIP_STAFF", *(set(STAFF) - {OWNER}))
OFFICER_OR_ADMIN = _rule(
    "OFFICER_OR_ADMIN", OTHER_OFFICER, OFFICER, ADMIN, OTHER_ADMIN, OTHER_PARTNERSHIP_OFFICER
)
STAFF_OF_SCHOOL = _rule("STAFF_OF_SCHOOL", SCHOOL, OFFICER, ADMIN)
OFFICER_OF_SCHOOL = _rule("OFFICER_OF_SCHOOL", OFFICER, ADMIN)
OFFICERS = _rule("OFFICERS", OTHER_OFFICER, OFFICER, OTHER_PARTNERSHIP_OFFICER)
ASSIGNED_OFFICER = _rule("ASSIGNED_OFFICER", OFFICER)
BOOKS_FOR_SCHOOL = _rule("BOOKS_FOR_SCHOOL", SCHOOL, OFFICER)
BOOKING_STAFF = _rule(
    "BOOKING_STAFF",
    OTHER_SCHOOL,
    OTHER_OFFICER,
    SCHOOL,
    OFFICER,
    OTHER_PARTNERSHIP_OFFICER,
    OTHER_PARTNERSHIP_SCHOOL,
)
ADMINS = _rule("ADMINS", ADMIN, OTHER_ADMIN)
ADMIN_ONLY = _rule("ADMIN_ONLY", ADMIN)
# The service owner's pages (issue 21): partnerships, and no family's data.
OWNER_ONLY = _rule("OWNER_ONLY", OWNER)

ROUTES: dict[str, Rule] = {
    # pages anyone may open
    "static": PUBLIC,
    "core.home": PUBLIC,
    "core.privacy": PUBLIC,
    "core.accessibility": PUBLIC,
    "core.healthz": PUBLIC,
    "ops.readyz": PUBLIC,
    "ops_metrics.metrics": PUBLIC,  # by network (loopback here) or bearer token: tests/ops
    "booking.find_school": PUBLIC,
    "booking.school_page": PUBLIC,
    "booking.short_link": PUBLIC,
    "booking.poster": PUBLIC,
    "booking.book": PUBLIC,
    "booking.check": PUBLIC,
    "booking.confirmation": PUBLIC,
    "waitlist.join": PUBLIC,
    "waitlist.joined": PUBLIC,
    "auth.sign_in": PUBLIC,
    "auth.forgotten_password": PUBLIC,
    "auth.sign_in_link": PUBLIC,
    # a signed link is the key
    "manage.show": link("manage"),
    "manage.cancel": link("manage"),
    "manage.move": link("manage"),
    "manage.still_coming": link("manage"),
    "manage.invite": link("manage"),
    "waitlist.offer": link("waitlist"),
    "waitlist.leave": link("waitlist"),
    "feedback.give": link("feedback"),
    "auth.set_password": link("password"),
    "auth.sign_in_with_link": link("sign-in"),
    "privacy.delete_booking": link("manage"),
    "privacy.delete_waitlist_entry": link("waitlist"),
    "schedule.calendar_feed": link("calendar"),
    # any staff member
    "auth.account": SIGNED_IN,
    "auth.sign_out_page": SIGNED_IN,
    "auth.sign_out": SIGNED_IN,
    "staff_account.confirm_password": SIGNED_IN,
    "staff_account.your_sessions": SIGNED_IN,
    "staff_account.end_session": SIGNED_IN,
    "staff_account.end_other_sessions": SIGNED_IN,
    # any partnership's staff, each seeing their own (not the service owner)
    "schedule.dashboard": PARTNERSHIP_STAFF,
    # one's own second factor (clinic/auth/mfa_views.py)
    "mfa.code": SIGNED_IN,
    "mfa.set_up": SIGNED_IN,
    "mfa.recovery_codes": SIGNED_IN,
    "mfa.recovery_codes_text": SIGNED_IN,
    "mfa.manage": SIGNED_IN,
    "mfa.new_recovery_codes": SIGNED_IN,
    "mfa.turn_off": SIGNED_IN,
    # one's own passkeys (clinic/auth/passkey_views.py; someone else's id goes back to the
    # second-factor page)
    "passkeys.sign_in": SIGNED_IN,
    "passkeys.add": SIGNED_IN,
    "passkeys.rename": SIGNED_IN,
    "passkeys.remove": SIGNED_IN,
    # officers (any school) and school staff, not admins
    "booking.staff_confirmation": BOOKING_STAFF,
    # officers, not admins
    "schedule.new_clinic": OFFICERS,
    "schedule.calendar_feed_page": OFFICERS,
    "schedule.new_calendar_feed": OFFICERS,
    "schedule.turn_off_calendar_feed": OFFICERS,
    # officers and admins
    "figures.index": OFFICER_OR_ADMIN,
    "figures.csv": OFFICER_OR_ADMIN,
    # the school's own staff, its officers and admins
    "schedule.show_clinic": STAFF_OF_SCHOOL,
    "schedule.mark_interpreter": STAFF_OF_SCHOOL,
    "manage.staff_cancel": STAFF_OF_SCHOOL,
    "manage.staff_move": STAFF_OF_SCHOOL,
    "waitlist.staff_list": STAFF_OF_SCHOOL,
    "attendance.clinic_list": STAFF_OF_SCHOOL,
    "attendance.clinic_csv": STAFF_OF_SCHOOL,
    "attendance.clinic_pdf": STAFF_OF_SCHOOL,
    "attendance.make_pdf": STAFF_OF_SCHOOL,
    "attendance.pdf_page": STAFF_OF_SCHOOL,
    "attendance.send_now": STAFF_OF_SCHOOL,
    "attendance.check_in": STAFF_OF_SCHOOL,
    "attendance.mark": STAFF_OF_SCHOOL,
    "attendance.add_walk_in": STAFF_OF_SCHOOL,
    "attendance.remove_walk_in": STAFF_OF_SCHOOL,
    "attendance.confirm_close": STAFF_OF_SCHOOL,
    "attendance.close": STAFF_OF_SCHOOL,
    # the school's own staff and its officers (booking for a parent on the phone)
    "booking.staff_book": BOOKS_FOR_SCHOOL,
    "booking.staff_check": BOOKS_FOR_SCHOOL,
    # the school's officers
    "schedule.copy_clinic": ASSIGNED_OFFICER,
    # the school's officers and admins
    "schedule.edit_clinic": OFFICER_OF_SCHOOL,
    "schedule.cancel_clinic": OFFICER_OF_SCHOOL,
    "schedule.publish_clinic": OFFICER_OF_SCHOOL,
    "schedule.add_slot": OFFICER_OF_SCHOOL,
    "schedule.edit_slot": OFFICER_OF_SCHOOL,
    "schedule.remove_slot": OFFICER_OF_SCHOOL,
    # admins of any partnership, on their own partnership's lists and forms
    "schools.list_schools": ADMINS,
    "privacy_admin.index": ADMINS,
    "privacy_admin.download": ADMINS,
    "privacy_admin.erase": ADMINS,
    "audit_log.index": ADMINS,
    "schools.add_school": ADMINS,
    "schools.list_staff": ADMINS,
    "schools.invite_staff": ADMINS,
    "outbox.failed": ADMINS,
    "guidance.index": ADMINS,
    "guidance.add": ADMINS,
    "guidance.edit_bring": ADMINS,
    "partnerships.settings": ADMINS,
    "schools.import_schools": ADMINS,
    "schools.import_preview": ADMINS,
    "schools.apply_import": ADMINS,
    # the service owner's own pages
    "partnerships.index": OWNER_ONLY,
    "partnerships.add": OWNER_ONLY,
    # the admins of the record's partnership
    "schools.show_school": ADMIN_ONLY,
    "schools.edit_school": ADMIN_ONLY,
    "schools.show_staff": ADMIN_ONLY,
    "schools.change_staff_role": ADMIN_ONLY,
    "schools.set_staff_schools": ADMIN_ONLY,
    "schools.deactivate_staff": ADMIN_ONLY,
    "schools.reactivate_staff": ADMIN_ONLY,
    "schools.send_staff_link": ADMIN_ONLY,
    "mfa.reset": ADMIN_ONLY,
    "outbox.retry": ADMIN_ONLY,
    "guidance.edit": ADMIN_ONLY,
    "guidance.delete": ADMIN_ONLY,
}


# --- the world and the URL values ------------------------------------------------------------


class RouteWorld(World):
    """tests/robust/world.py's records and clients, plus the two strangers, a second
    partnership (its school with a clinic and a booking, its coordinator, officer and
    school user) and the service owner."""

    def __init__(self, app, session, make):
        super().__init__(app, session, make)
        self.other_school = make.school(name="Hillside Primary School")
        self.other_officer = make.user(
            role="officer", email="stranger@example.org", schools=[self.other_school]
        )
        self.other_school_user = make.user(
            role="school", email="hillside@example.org", school=self.other_school
        )
        # Whose emailed links (a sign-in link, say) the walk opens: no actor's own account.
        self.spare = make.user(role="officer", email="spare@example.org", schools=[self.school])
        self.feed_token = issue_calendar_token(session, self.officer)
        session.commit()
        self.clients[OTHER_OFFICER] = sign_in(app.test_client(), self.other_officer)
        self.clients[OTHER_SCHOOL] = sign_in(app.test_client(), self.other_school_user)
        # Partnership B: records of its own, so its staff have something to see that is
        # theirs, and nothing of the first partnership's (every URL names one of those).
        northshire = make.partnership("Northshire Safeguarding Children Partnership")
        far_school = make.school(name="Far Fields Academy", partnership=northshire)
        far_officer = make.user(
            role="officer", email="far-officer@example.org", schools=[far_school]
        )
        far_clinic = make.clinic(far_school, far_officer, slots=1, capacity=2)
        make.booking(far_clinic.slots[0], parent_name="Bea Beyond")
        far_admin = make.user(role="admin", email="far-admin@example.org", partnership=northshire)
        far_school_user = make.user(
            role="school", email="far-office@example.org", school=far_school
        )
        owner = make.user(role="owner", email="owner@example.org", name="Olu Owner")
        for actor, user in (
            (OTHER_ADMIN, far_admin),
            (OTHER_PARTNERSHIP_OFFICER, far_officer),
            (OTHER_PARTNERSHIP_SCHOOL, far_school_user),
            (OWNER, owner),
        ):
            self.clients[actor] = sign_in(app.test_client(), user)
        for actor in (WRONG_LINK, TAMPERED_LINK):
            self.clients[actor] = app.test_client()


# The genuine token of each kind of link, and a genuine token of another kind (what a
# parent holding another link, for another page, would put in the address).
LINKS: dict[str, tuple[Callable[[RouteWorld], str], Callable[[RouteWorld], str]]] = {
    "manage": (lambda w: manage_token(w.booking), lambda w: feedback_token(w.attended)),
    "waitlist": (lambda w: waitlist_token(w.entry), lambda w: manage_token(w.booking)),
    "feedback": (lambda w: feedback_token(w.attended), lambda w: manage_token(w.attended)),
    "password": (lambda w: password_token(w.colleague), lambda w: manage_token(w.booking)),
    "calendar": (lambda w: w.feed_token, lambda w: manage_token(w.booking)),
    "sign-in": (lambda w: sign_in_token(w.spare), lambda w: password_token(w.spare)),
}


def tampered(token: str) -> str:
    """The token with one character of its middle changed (still URL-safe)."""
    i = len(token) // 2
    return token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1 :]


# Each URL value a rule may take, from the world (the records at the first school).
VALUES: dict[str, Callable[[RouteWorld], object]] = {
    "clinic_id": lambda w: w.clinic.id,
    "slot_id": lambda w: w.slot.id,
    "booking_id": lambda w: w.booking.id,
    "school_id": lambda w: w.school.id,
    "user_id": lambda w: w.colleague.id,
    "link_id": lambda w: w.link.id,
    "message_id": lambda w: w.failed.id,
    "walk_in_id": lambda w: w.walk_in.id,
    "passkey_id": lambda w: w.passkey.id,
    "slug": lambda w: w.school.slug,
    "filename": lambda w: "js/app.js",
    "kind": lambda w: "json",  # a download's format (/admin/privacy/download.<kind>)
    "session_id": lambda w: 2**31 - 1,  # one of "Your sessions" (none: already ended)
    "topic": lambda w: "iphone-ipad",  # a booking-form topic (/admin/guidance/bring/<topic>)
}
# Endpoints that need other records than VALUES gives (as tests/robust/world.py's TARGETS).
OVERRIDES: dict[str, dict[str, Callable[[RouteWorld], object]]] = {
    "waitlist.join": {"clinic_id": lambda w: w.full.id},
    "waitlist.joined": {"clinic_id": lambda w: w.full.id},
    "waitlist.staff_list": {"clinic_id": lambda w: w.full.id},
    "schedule.publish_clinic": {"clinic_id": lambda w: w.draft.id},
    "schedule.edit_slot": {"slot_id": lambda w: w.clinic.slots[2].id},
    "schedule.remove_slot": {"slot_id": lambda w: w.clinic.slots[3].id},
    "attendance.check_in": {"clinic_id": lambda w: w.today.id},
    "attendance.mark": {
        "clinic_id": lambda w: w.today.id,
        "booking_id": lambda w: w.waiting_mark.id,
    },
    "attendance.add_walk_in": {"clinic_id": lambda w: w.today.id},
    "attendance.remove_walk_in": {"clinic_id": lambda w: w.today.id},
    "attendance.confirm_close": {"clinic_id": lambda w: w.today.id},
    "attendance.close": {"clinic_id": lambda w: w.today.id},
}
# POSTs that end or change what later requests rely on go last, in this order.
LAST = ["manage.cancel", "waitlist.leave", "schedule.remove_slot", "schedule.cancel_clinic"]
LAST += ["attendance.close", "guidance.delete"]
LAST += ["privacy.delete_booking", "privacy.delete_waitlist_entry", "privacy_admin.erase"]
# A sign-in link's POST signs the actor in as its owner (``RouteWorld.spare``), so it goes
# after everything the actor does as themselves.
LAST += ["schools.deactivate_staff", "auth.sign_in_with_link", "auth.sign_out"]
# Endpoints whose answer, when allowed, is a redirect to sign-in: allowed when the actor is
# then signed out (their account page sends them to sign in).
SIGN_OUTS = {"auth.sign_out"}


def _url(world: RouteWorld, rule, actor: str) -> str:
    route = ROUTES[rule.endpoint]
    values = {}
    for name in rule.arguments:
        if name == "token":
            genuine, other_kind = LINKS[route.link]
            token = genuine(world)
            values[name] = {WRONG_LINK: other_kind(world), TAMPERED_LINK: tampered(token)}.get(
                actor, token
            )
            continue
        make = OVERRIDES.get(rule.endpoint, {}).get(name) or VALUES.get(name)
        assert make, f"{rule.endpoint}: no URL value for <{name}>; add it to VALUES or OVERRIDES"
        values[name] = make(world)
    return world.app.url_map.bind("localhost").build(rule.endpoint, values)


def _csrf(client, actor: str) -> str:
    """The CSRF token of the client's session (from whichever page it may open now)."""
    pages = ["/staff/sign-out", "/staff/sign-in"]
    for page in pages if actor in STAFF else reversed(pages):
        found = _CSRF.search(client.get(page).get_data(as_text=True))
        if found:
            return found.group(1)
    raise AssertionError(f"no CSRF token for {actor}")


def _requests(app):
    """(rule, method) for every method of every rule: GETs, then POSTs, LAST at the end."""
    found = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule, method))

    def order(item):
        rule, method = item
        last = LAST.index(rule.endpoint) if rule.endpoint in LAST and method == "POST" else -1
        return (last, method != "GET", rule.rule, method)

    return sorted(found, key=order)


def _verdict(route: Rule, actor: str, response) -> str:
    """What the answer was: "allowed", "sign-in" or "not found" (or a 5xx)."""
    status = response.status_code
    if status >= 500:
        return f"error {status}"
    if status in (301, 302, 303, 307, 308):
        if urlsplit(response.headers.get("Location", "")).path == "/staff/sign-in":
            return "sign-in"
        return "allowed"
    if status == 404 or (status == 410 and route.link is not None):
        return "not found"
    return "allowed"


# --- the tests -------------------------------------------------------------------------------


def test_every_route_has_a_rule(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    missing = sorted(endpoints - set(ROUTES))
    assert not missing, (
        "these endpoints have no rule in tests/core/test_route_walk.py ROUTES (say who may "
        "open them; the module's docstring lists the rules): " + ", ".join(missing)
    )
    gone = sorted(set(ROUTES) - endpoints)
    assert not gone, "ROUTES names endpoints the app no longer has: " + ", ".join(gone)
    for endpoint, route in ROUTES.items():
        if route.link:
            assert route.link in LINKS, f"{endpoint}: no LINKS entry for {route.link!r}"


@pytest.fixture
def world(app, session, make):
    for name in ("BOOKING_LIMIT_PER_ADDRESS", "BOOKING_LIMIT_PER_EMAIL"):
        app.config[name] = "1000000 per hour"
    app.config["WAITLIST_LIMIT_PER_ADDRESS"] = "1000000 per hour"
    return RouteWorld(app, session, make)


@pytest.mark.parametrize("actor", ACTORS)
def test_every_route_answers_each_actor_by_its_rule(world, actor):
    client = world.clients[actor]
    csrf = _csrf(client, actor)
    wrong = []
    for rule, method in _requests(world.app):
        route = ROUTES.get(rule.endpoint)
        if route is None:
            continue  # test_every_route_has_a_rule names it
        url = _url(world, rule, actor)
        if method == "GET":
            response = client.get(url)
        else:
            response = client.open(url, method=method, data={"csrf_token": csrf})
            if "Set-Cookie" in response.headers:  # a new session (signed in by a link...)
                csrf = _csrf(client, actor)
        got = _verdict(route, actor, response)
        if got == "sign-in" and rule.endpoint in SIGN_OUTS and actor in STAFF:
            signed_out = client.get("/staff/account").status_code == 302
            got = "allowed" if signed_out else "sign-in, still signed in"
        expected = "allowed" if actor in route.allowed else route.refusal(actor)
        if got != expected:
            wrong.append(
                f"{method} {rule.endpoint} ({route.name}) as {actor}: expected {expected}, "
                f"got {got} ({response.status_code} {response.headers.get('Location', '')})"
            )
        assert_secure_headers(response, f"{method} {url} as {actor}")
        if response.mimetype == "text/html":
            html = response.get_data(as_text=True)
            inline = INLINE_SCRIPT.findall(html) + INLINE_STYLE.findall(html)
            assert not inline, f"{method} {rule.endpoint}: inline script or style {inline[:3]}"
    assert not wrong, "\n".join(wrong)


def test_a_new_route_without_a_rule_fails_the_walk(app):
    """The check that guards the table: a route added without a rule is named."""

    @app.get("/test-only/unlisted")
    def unlisted():
        return "hello"

    with pytest.raises(AssertionError, match="unlisted"):
        test_every_route_has_a_rule(app)


def test_tampering_changes_the_token():
    assert tampered("abcdef") != "abcdef"
    assert tampered("abcAef") != "abcAef"
    assert re.fullmatch(r"[\w.-]+", tampered("a.b-c_d"))
