"""A small world for walking every form: one record of each kind, a client per actor, and
the table of every POST route with the page that carries its form.

``TARGETS`` names every endpoint in ``app.url_map`` that takes a POST; ``test_every_post_
route_is_in_the_table`` fails when a route is added without an entry here, so a new form is
covered by the bad-body tests and the fuzz test from the start.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from urllib.parse import urlsplit

from sqlalchemy import select

from clinic.auth.mfa_models import Passkey
from clinic.auth.models import StaffSession
from clinic.auth.service import password_token, sign_in_token
from clinic.links import feedback_token, manage_token, waitlist_token
from clinic.localtime import local_today
from clinic.models import GuidanceLink, OutboxMessage, WalkIn, utcnow
from clinic.waitlist import service as waitlist
from tests.conftest import sign_in

# --- reading a page's forms as a browser would -----------------------------------------------


@dataclass
class Control:
    name: str
    kind: str  # text, hidden, radio, checkbox, select, select-multiple, textarea, submit...
    value: str = ""
    options: tuple[str, ...] = ()

    @property
    def many(self) -> bool:
        """A browser may send several values under this name."""
        return self.kind in ("checkbox", "select-multiple")


@dataclass
class PageForm:
    action: str
    method: str
    controls: dict[str, Control]

    def fields(self) -> dict[str, Control]:
        """Every control a person fills in or picks (not the CSRF token or buttons)."""
        return {
            name: control
            for name, control in self.controls.items()
            if name != "csrf_token" and control.kind not in ("submit", "button")
        }

    def defaults(self) -> list[tuple[str, str]]:
        """What the browser would send with nothing changed (hidden values, first choices)."""
        sent = []
        for name, control in self.controls.items():
            if control.kind in ("submit", "button"):
                continue
            if control.kind in ("radio", "select", "checkbox", "select-multiple"):
                if control.value:
                    sent.append((name, control.value))
                elif control.options and control.kind in ("radio", "select"):
                    sent.append((name, control.options[-1]))
            else:
                sent.append((name, control.value))
        return sent


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[PageForm] = []
        self._form: PageForm | None = None
        self._select: Control | None = None
        self._textarea: Control | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = PageForm(a.get("action") or "", (a.get("method") or "get").lower(), {})
            self.forms.append(self._form)
            return
        if self._form is None or not a.get("name"):
            return
        controls = self._form.controls
        name = a["name"]
        if tag == "input":
            kind = (a.get("type") or "text").lower()
            existing = controls.get(name)
            if existing and kind in ("radio", "checkbox"):
                existing.options += (a.get("value") or "on",)
                if "checked" in a and not existing.value:
                    existing.value = a.get("value") or "on"
            elif existing and existing.kind == "text":  # the three boxes of a date
                existing.kind = "date-parts"
            else:
                control = Control(name, kind, a.get("value") or "")
                if kind in ("radio", "checkbox"):
                    control.options = (a.get("value") or "on",)
                    control.value = control.value if "checked" in a else ""
                controls[name] = control
        elif tag == "select":
            kind = "select-multiple" if "multiple" in a else "select"
            self._select = controls[name] = Control(name, kind)
        elif tag == "textarea":
            self._textarea = controls[name] = Control(name, "textarea")
        elif tag == "button":
            controls[name] = Control(name, "submit", a.get("value") or "")

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea.value += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)


class _OptionParser(HTMLParser):
    """Second pass for <option>s (kept apart: they nest in a select)."""

    def __init__(self, forms: list[PageForm]):
        super().__init__(convert_charrefs=True)
        self.forms, self._form, self._select = forms, -1, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form += 1
        elif tag == "select" and self._form >= 0:
            self._select = self.forms[self._form].controls.get(a.get("name", ""))
        elif tag == "option" and self._select is not None:
            self._select.options += (a.get("value", ""),)
            if "selected" in a:
                self._select.value = a.get("value", "")

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def page_forms(html: str) -> list[PageForm]:
    parser = _FormParser()
    parser.feed(html)
    _OptionParser(parser.forms).feed(html)
    return [form for form in parser.forms if form.method == "post"]


def form_for(html: str, post_url: str) -> PageForm | None:
    """The form on the page that posts to ``post_url`` (an empty action posts to the page)."""
    forms = page_forms(html)
    for form in forms:
        if urlsplit(form.action).path == urlsplit(post_url).path:
            return form
    empty = [form for form in forms if not form.action]
    return empty[0] if empty else None


# --- the records -------------------------------------------------------------------------------


def token_for(client, html: str, actor: str) -> str:
    """The CSRF token of this client's session: from the page, or from a page that has one."""
    from tests.helpers import _CSRF

    match = _CSRF.search(html)
    if match:
        return match.group(1)
    fallback = "/staff/sign-in" if actor in ("anonymous", "parent") else "/staff/sign-out"
    found = _CSRF.search(client.get(fallback).get_data(as_text=True))
    assert found, f"no CSRF token for {actor}"
    return found.group(1)


class World:
    """One of everything a form can act on, and signed-in clients for each actor."""

    def __init__(self, app, session, make):
        self.app, self.session, self.make = app, session, make
        self.school = make.school()
        self.admin = make.user(role="admin", email="admin@example.org", name="Ada Admin")
        self.owner = make.user(role="owner", email="the.owner@example.org", name="Olu Owner")
        self.officer = make.user(
            role="officer", email="officer@example.org", name="Pat Officer", schools=[self.school]
        )
        self.school_user = make.user(
            role="school", email="office@example.org", name="Sam Office", school=self.school
        )
        self.colleague = make.user(role="officer", schools=[self.school], name="Col League")
        self.clinic = make.clinic(self.school, self.officer, slots=4, capacity=3)
        self.slot = self.clinic.slots[0]
        self.booking = make.booking(
            self.clinic.slots[1], parent_name="Ann Parent", interpreter_language="ar"
        )
        self.draft = make.clinic(self.school, self.officer, status="draft", slots=2, days_ahead=20)
        self.full = make.clinic(self.school, self.officer, slots=1, capacity=1, days_ahead=21)
        make.booking(self.full.slots[0])
        self.entry = waitlist.join(
            session,
            self.full,
            {
                "parent_name": "Wendy Waiting",
                "email": "wendy@example.net",
                "phone": None,
                "child_years": ["Year 3"],
                "topics": ["roblox"],
                "other_topic": None,
                "access_needs": None,
            },
        )
        # A passkey of the officer's (clinic/auth/passkeys.py) to name and remove.
        self.passkey = Passkey(
            user_id=self.officer.id, credential_id="cGFzc2tleQ", public_key=b"-", name="Laptop"
        )
        session.add(self.passkey)
        session.commit()
        self.today = self._todays_clinic()
        self.attended = make.booking(self.today.slots[0], status="attended")
        self.waiting_mark = make.booking(self.today.slots[1])
        self.walk_in = WalkIn(clinic_id=self.today.id, parent_name="Walter In", topics=["roblox"])
        self.link = GuidanceLink(
            topic="general",
            title="Advice",
            url="https://example.org/a",
            partnership_id=self.school.partnership_id,
        )
        self.failed = OutboxMessage(
            kind="test",
            recipient="someone@example.org",
            subject="Hello",
            text_body="Hello",
            status="failed",
            attempts=8,
            next_attempt_at=utcnow(),
            partnership_id=self.school.partnership_id,
        )
        session.add_all([self.walk_in, self.link, self.failed])
        session.commit()
        self.clients = {
            "anonymous": app.test_client(),
            "parent": app.test_client(),
            "officer": sign_in(app.test_client(), self.officer),
            "admin": sign_in(app.test_client(), self.admin),
            "school": sign_in(app.test_client(), self.school_user),
            "owner": sign_in(app.test_client(), self.owner),
        }
        # The school user is signed in on a second browser too, so "Your sessions" shows
        # its buttons ("Sign out of this one", "Sign out everywhere else").
        sign_in(app.test_client(), self.school_user)
        self.other_session_id = session.scalar(
            select(StaffSession.id)
            .where(StaffSession.user_id == self.school_user.id)
            .order_by(StaffSession.id.desc())
        )

    def _todays_clinic(self):
        """A published clinic today (check-in open), its slots early this morning."""
        day = local_today()
        clinic = self.make.clinic(self.school, self.officer, slots=2, capacity=3, days_ahead=14)
        start = datetime(day.year, day.month, day.day, 0, 5, tzinfo=UTC)
        clinic.date = day
        for n, slot in enumerate(clinic.slots):
            slot.starts_at = start + timedelta(minutes=15 * n)
            slot.ends_at = slot.starts_at + timedelta(minutes=15)
        clinic.booking_opens_at = start - timedelta(days=30)
        clinic.booking_closes_at = start - timedelta(hours=1)
        self.session.commit()
        return clinic

    # the signed links, made fresh (a record's uid never changes)
    @property
    def manage(self) -> str:
        return f"/booking/{manage_token(self.booking)}"

    @property
    def offer(self) -> str:
        return f"/booking/waitlist/{waitlist_token(self.entry)}"

    @property
    def feedback(self) -> str:
        return f"/feedback/{feedback_token(self.attended)}"

    @property
    def set_password(self) -> str:
        return f"/staff/set-password/{password_token(self.colleague)}"

    @property
    def sign_in_link(self) -> str:
        return f"/staff/sign-in-link/{sign_in_token(self.colleague)}"


@dataclass(frozen=True)
class Target:
    """One POST route: who uses it, where it posts, and the page its form is on."""

    endpoint: str
    actor: str
    post: object  # World -> str
    page: object = None  # World -> str (default: the post URL itself)
    # Public: a parent (or anyone) reaches it without signing in.
    public: bool = False

    def urls(self, world: World) -> tuple[str, str]:
        post = self.post(world)
        return post, (self.page(world) if self.page else post)

    def open(self, world: World):
        """(client, post URL, CSRF token, the page's form for it or None), as a browser
        that has just opened the page."""
        client = world.clients[self.actor]
        post, page = self.urls(world)
        html = client.get(page).get_data(as_text=True)
        return client, post, token_for(client, html, self.actor), form_for(html, post)


ATTENDANCE = "/staff/attendance/clinics"
TARGETS = [
    # public: parents and anyone
    Target("booking.book", "anonymous", lambda w: f"/book/{w.slot.id}", public=True),
    Target(
        "booking.check",
        "anonymous",
        lambda w: f"/book/{w.slot.id}/check",
        lambda w: f"/book/{w.slot.id}",
        public=True,
    ),
    Target(
        "waitlist.join",
        "anonymous",
        lambda w: f"/booking/clinics/{w.full.id}/waitlist",
        public=True,
    ),
    Target("manage.move", "parent", lambda w: w.manage + "/move", public=True),
    Target("manage.cancel", "parent", lambda w: w.manage + "/cancel", public=True),
    Target("manage.still_coming", "parent", lambda w: w.manage + "/still-coming", public=True),
    Target("waitlist.offer", "parent", lambda w: w.offer, public=True),
    Target(
        "waitlist.leave", "parent", lambda w: w.offer + "/leave", lambda w: w.offer, public=True
    ),
    Target("feedback.give", "parent", lambda w: w.feedback, public=True),
    Target("auth.sign_in", "anonymous", lambda w: "/staff/sign-in", public=True),
    Target("auth.set_password", "anonymous", lambda w: w.set_password, public=True),
    Target(
        "auth.forgotten_password", "anonymous", lambda w: "/staff/forgotten-password", public=True
    ),
    Target("auth.sign_in_link", "anonymous", lambda w: "/staff/sign-in-link", public=True),
    Target("auth.sign_in_with_link", "anonymous", lambda w: w.sign_in_link, public=True),
    # last of the public ones: once pressed, the booking's and the entry's links answer 410
    Target("privacy.delete_booking", "parent", lambda w: w.manage + "/delete", public=True),
    Target("privacy.delete_waitlist_entry", "parent", lambda w: w.offer + "/delete", public=True),
    # staff
    Target("booking.staff_book", "officer", lambda w: f"/staff/book/{w.slot.id}"),
    Target(
        "booking.staff_check",
        "officer",
        lambda w: f"/staff/book/{w.slot.id}/check",
        lambda w: f"/staff/book/{w.slot.id}",
    ),
    Target("manage.staff_cancel", "officer", lambda w: f"/booking/staff/{w.booking.id}/cancel"),
    Target("manage.staff_move", "officer", lambda w: f"/booking/staff/{w.booking.id}/move"),
    Target("schedule.new_clinic", "officer", lambda w: "/staff/clinics/new"),
    Target("schedule.edit_clinic", "officer", lambda w: f"/staff/clinics/{w.clinic.id}/edit"),
    Target("schedule.copy_clinic", "officer", lambda w: f"/staff/clinics/{w.clinic.id}/copy"),
    Target("schedule.cancel_clinic", "officer", lambda w: f"/staff/clinics/{w.clinic.id}/cancel"),
    Target(
        "schedule.publish_clinic",
        "officer",
        lambda w: f"/staff/clinics/{w.draft.id}/publish",
        lambda w: f"/staff/clinics/{w.draft.id}",
    ),
    Target("schedule.add_slot", "officer", lambda w: f"/staff/clinics/{w.clinic.id}/slots/new"),
    Target(
        "schedule.edit_slot",
        "officer",
        lambda w: f"/staff/clinics/{w.clinic.id}/slots/{w.clinic.slots[2].id}/edit",
    ),
    Target(
        "schedule.remove_slot",
        "officer",
        lambda w: f"/staff/clinics/{w.clinic.id}/slots/{w.clinic.slots[3].id}/remove",
    ),
    Target(
        "schedule.mark_interpreter",
        "officer",
        lambda w: f"/staff/clinics/{w.clinic.id}/bookings/{w.booking.id}/interpreter",
        lambda w: f"/staff/clinics/{w.clinic.id}",
    ),
    Target(
        "schedule.new_calendar_feed",
        "officer",
        lambda w: "/staff/clinics/calendar-feed/new",
        lambda w: "/staff/clinics/calendar-feed",
    ),
    Target(
        "schedule.turn_off_calendar_feed",
        "officer",
        lambda w: "/staff/clinics/calendar-feed/turn-off",
        lambda w: "/staff/clinics/calendar-feed",
    ),
    Target(
        "attendance.mark",
        "officer",
        lambda w: f"{ATTENDANCE}/{w.today.id}/bookings/{w.waiting_mark.id}/mark",
        lambda w: f"{ATTENDANCE}/{w.today.id}/check-in",
    ),
    Target(
        "attendance.add_walk_in", "officer", lambda w: f"{ATTENDANCE}/{w.today.id}/walk-ins/new"
    ),
    Target(
        "attendance.remove_walk_in",
        "officer",
        lambda w: f"{ATTENDANCE}/{w.today.id}/walk-ins/{w.walk_in.id}/remove",
        lambda w: f"{ATTENDANCE}/{w.today.id}/check-in",
    ),
    Target(
        "attendance.close",
        "officer",
        lambda w: f"{ATTENDANCE}/{w.today.id}/close",
    ),
    Target(
        "attendance.make_pdf",
        "school",
        lambda w: f"{ATTENDANCE}/{w.clinic.id}/sheet-pdf",
        lambda w: f"{ATTENDANCE}/{w.clinic.id}",
    ),
    Target(
        "attendance.send_now",
        "school",
        lambda w: f"{ATTENDANCE}/{w.clinic.id}/send",
        lambda w: f"{ATTENDANCE}/{w.clinic.id}",
    ),
    # admin
    Target("schools.add_school", "admin", lambda w: "/admin/schools/new"),
    Target("partnerships.settings", "admin", lambda w: "/admin/partnership"),
    # the service owner
    Target("partnerships.add", "owner", lambda w: "/owner/partnerships/new"),
    Target("schools.import_schools", "admin", lambda w: "/admin/schools/import"),
    Target(
        "schools.apply_import",
        "admin",
        lambda w: "/admin/schools/import/preview",
        lambda w: "/admin/schools/import",
    ),
    Target("privacy_admin.index", "admin", lambda w: "/admin/privacy"),
    Target(
        "privacy_admin.download",
        "admin",
        lambda w: "/admin/privacy/download.json",
        lambda w: "/admin/privacy",
    ),
    Target(
        "privacy_admin.erase", "admin", lambda w: "/admin/privacy/erase", lambda w: "/admin/privacy"
    ),
    Target("schools.edit_school", "admin", lambda w: f"/admin/schools/{w.school.id}/edit"),
    Target("schools.invite_staff", "admin", lambda w: "/admin/staff/invite"),
    Target("schools.change_staff_role", "admin", lambda w: f"/admin/staff/{w.colleague.id}/role"),
    Target(
        "schools.set_staff_schools",
        "admin",
        lambda w: f"/admin/staff/{w.colleague.id}/schools",
        lambda w: f"/admin/staff/{w.colleague.id}",
    ),
    Target(
        "schools.deactivate_staff",
        "admin",
        lambda w: f"/admin/staff/{w.colleague.id}/deactivate",
        lambda w: f"/admin/staff/{w.colleague.id}",
    ),
    Target(
        "schools.reactivate_staff",
        "admin",
        lambda w: f"/admin/staff/{w.colleague.id}/reactivate",
        lambda w: f"/admin/staff/{w.colleague.id}",
    ),
    Target(
        "schools.send_staff_link",
        "admin",
        lambda w: f"/admin/staff/{w.colleague.id}/send-link",
        lambda w: f"/admin/staff/{w.colleague.id}",
    ),
    Target(
        "outbox.retry",
        "admin",
        lambda w: f"/admin/outbox/{w.failed.id}/retry",
        lambda w: "/admin/outbox/failed",
    ),
    Target("guidance.add", "admin", lambda w: "/admin/guidance/new"),
    Target("guidance.edit", "admin", lambda w: f"/admin/guidance/{w.link.id}/edit"),
    Target("guidance.delete", "admin", lambda w: f"/admin/guidance/{w.link.id}/delete"),
    Target("guidance.edit_bring", "admin", lambda w: "/admin/guidance/bring/discord"),
    # the second factor (clinic/auth/mfa_views.py)
    Target("mfa.code", "officer", lambda w: "/staff/sign-in/code"),
    Target("mfa.set_up", "officer", lambda w: "/staff/two-factor/set-up"),
    Target("mfa.recovery_codes", "officer", lambda w: "/staff/two-factor/recovery-codes"),
    Target(
        "mfa.new_recovery_codes",
        "officer",
        lambda w: "/staff/two-factor/recovery-codes/new",
        lambda w: "/staff/two-factor",
    ),
    Target("mfa.turn_off", "officer", lambda w: "/staff/two-factor/turn-off"),
    Target(
        "mfa.reset",
        "admin",
        lambda w: f"/staff/two-factor/reset/{w.colleague.id}",
        lambda w: f"/admin/staff/{w.colleague.id}",
    ),
    # passkeys (clinic/auth/passkey_views.py)
    Target(
        "passkeys.sign_in",
        "officer",
        lambda w: "/staff/sign-in/passkey",
        lambda w: "/staff/sign-in/code",
    ),
    Target(
        "passkeys.add",
        "officer",
        lambda w: "/staff/two-factor/passkeys",
        lambda w: "/staff/two-factor",
    ),
    Target(
        "passkeys.rename", "officer", lambda w: f"/staff/two-factor/passkeys/{w.passkey.id}/name"
    ),
    Target(
        "passkeys.remove", "officer", lambda w: f"/staff/two-factor/passkeys/{w.passkey.id}/remove"
    ),
    # one's own sign-in (the school user's: wrong passwords may end that session, and no
    # target after these is theirs)
    Target(
        "staff_account.confirm_password",
        "school",
        lambda w: "/staff/confirm-password?next=/staff/account",
    ),
    Target(
        "staff_account.end_session",
        "school",
        lambda w: f"/staff/account/sessions/{w.other_session_id}/end",
        lambda w: "/staff/account/sessions",
    ),
    Target(
        "staff_account.end_other_sessions",
        "school",
        lambda w: "/staff/account/sessions/end-others",
        lambda w: "/staff/account/sessions",
    ),
    # last: it ends the officer's session
    Target("auth.sign_out", "officer", lambda w: "/staff/sign-out"),
]
BY_ENDPOINT = {target.endpoint: target for target in TARGETS}
