"""A second factor for staff (issue 20): codes from an authenticator app, recovery codes,
required for coordinators and officers, throttled, not replayable, reset by a coordinator.

The test settings require it of nobody (so every other test signs in with a password);
these tests turn it on with ``required`` and prove production always does."""

import re
from datetime import datetime, timedelta

import pyotp
import pytest
from sqlalchemy import select

from clinic import create_app
from clinic.auth import mfa
from clinic.auth.mfa_models import RecoveryCode, SecondFactor
from clinic.models import AuditEvent, utcnow
from tests.conftest import PASSWORD, sign_in
from tests.helpers import csrf_token, post_form

# Several pages each role may see: a session that owes its second factor reaches none.
STAFF_URLS = [
    "/staff/account",
    "/admin/schools",
    "/admin/audit",
    "/staff/clinics/",
    "/staff/two-factor",
]


@pytest.fixture
def required(app):
    app.config["MFA_REQUIRED_ROLES"] = ("admin", "officer")


def code(secret: str, steps: int = 0, at: datetime | None = None) -> str:
    """The code an app shows now, or at ``at`` (and ``steps`` of 30 seconds later): a test
    that gives "the same code" twice passes ``at``, as a 30-second step may turn between."""
    return pyotp.TOTP(secret).at((at or utcnow()) + timedelta(seconds=30 * steps))


def give_factor(session, user) -> tuple[str, list[str]]:
    """Set up a second factor for ``user`` as the set-up page would, with its step used
    well in the past (so the code of now is still unused); returns the secret and codes."""
    secret = mfa.new_secret()
    codes = mfa.enable(session, user, secret, code(secret))
    session.get(SecondFactor, user.id).last_used_step = None
    session.commit()
    return secret, codes


def signed_in_owing(client, user):
    """Password given; the second factor still owed."""
    page = client.get("/staff/sign-in")
    return client.post(
        "/staff/sign-in",
        data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(page)},
    )


def give_code(client, value: str):
    return post_form(client, "/staff/sign-in/code", {"code": value})


def test_production_always_requires_a_second_factor_of_coordinators_and_officers(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("CLINIC_CONFIG", "production")
    from config import CONFIGS

    assert {"owner", "admin", "officer"} <= set(CONFIGS["production"].MFA_REQUIRED_ROLES)
    assert {"owner", "admin", "officer"} <= set(CONFIGS["development"].MFA_REQUIRED_ROLES)
    assert CONFIGS["test"].MFA_REQUIRED_ROLES == ()
    base = {
        "SQLALCHEMY_DATABASE_URI": "sqlite://",
        "SECRET_KEY": "y" * 40,
        "RATELIMIT_ALLOW_MEMORY": True,
        "SQLALCHEMY_ENGINE_OPTIONS": {},
    }
    for weaker in ((), ("admin",), ("officer", "school"), ("admin", "officer")):
        with pytest.raises(RuntimeError, match="MFA_REQUIRED_ROLES"):
            create_app(base | {"MFA_REQUIRED_ROLES": weaker})
    # School staff may be added; that starts.
    every = ("owner", "admin", "officer", "school")
    app = create_app(base | {"MFA_REQUIRED_ROLES": every})
    assert app.config["MFA_REQUIRED_ROLES"] == every


def test_set_up_right_after_the_password_and_nothing_else_until_done(
    app, session, required, admin_user
):
    client = app.test_client()
    response = signed_in_owing(client, admin_user)
    assert response.status_code == 302
    assert response.location.startswith("/staff/two-factor/set-up")
    for url in STAFF_URLS:
        blocked = client.get(url)
        assert blocked.status_code == 302, url
        assert blocked.location.startswith("/staff/two-factor/set-up"), url
    # A POST elsewhere is turned away too.
    assert client.post("/admin/schools/new", data={}).status_code in (302, 400)

    page = client.get("/staff/two-factor/set-up")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<svg" in html and "Set up your authenticator app" in html
    secret = re.search(r'<code id="secret">([A-Z2-7 ]+)</code>', html)[1].replace(" ", "")
    # The key shown as text is the one the QR code holds (same page, same secret).
    assert len(secret) == 32

    wrong = post_form(client, "/staff/two-factor/set-up", {"code": "000000"})
    if code(secret) == "000000":  # pragma: no cover - one chance in a million
        return
    assert wrong.status_code == 200
    assert "Enter the 6-digit code your authenticator app shows now" in wrong.text
    assert session.get(SecondFactor, admin_user.id) is None

    done = post_form(client, "/staff/two-factor/set-up", {"code": code(secret)})
    assert done.status_code == 302 and done.location.startswith("/staff/two-factor/recovery-codes")
    shown = client.get("/staff/two-factor/recovery-codes").text
    codes = re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", shown)
    assert len(codes) == 10 and len(set(codes)) == 10
    text = client.get("/staff/two-factor/recovery-codes.txt")
    assert text.headers["Content-Disposition"] == 'attachment; filename="recovery-codes.txt"'
    assert all(c in text.text for c in codes)
    # Stored hashed: no code is in the table.
    stored = session.scalars(select(RecoveryCode.code_hash)).all()
    assert len(stored) == 10 and not set(stored) & {c.replace("-", "") for c in codes}

    saved = post_form(client, "/staff/two-factor/recovery-codes", {})
    assert saved.status_code == 302
    # Shown once: gone now.
    assert client.get("/staff/two-factor/recovery-codes").status_code == 302
    assert client.get("/staff/two-factor/recovery-codes.txt").status_code == 302
    for url in STAFF_URLS:
        assert client.get(url).status_code == 200, url
    assert (
        session.scalar(select(AuditEvent).where(AuditEvent.action == "user.mfa_enable")).object_id
        == admin_user.id
    )


def test_a_code_is_asked_after_the_password_accepted_once_and_refused_when_wrong(
    app, session, required, officer_user
):
    secret, _ = give_factor(session, officer_user)
    client = app.test_client()
    response = signed_in_owing(client, officer_user)
    assert response.location.startswith("/staff/sign-in/code")
    for url in STAFF_URLS:
        blocked = client.get(url)
        assert blocked.status_code == 302 and blocked.location.startswith("/staff/sign-in/code")
    wrong = give_code(client, "12345x")
    assert wrong.status_code == 200 and "The code is not right" in wrong.text
    assert client.get("/staff/account").status_code == 302
    given_at = utcnow()
    right = give_code(client, code(secret, at=given_at))
    assert right.status_code == 302
    assert client.get("/staff/account").status_code == 200

    # The same code again, in its own window, from another browser: refused (replay).
    other = app.test_client()
    signed_in_owing(other, officer_user)
    replay = give_code(other, code(secret, at=given_at))
    assert replay.status_code == 200 and "The code is not right" in replay.text
    # An older one too; the next step's code is fine.
    assert give_code(other, code(secret, -1, at=given_at)).status_code == 200
    assert give_code(other, code(secret, 1, at=given_at)).status_code == 302


def test_verify_second_factor_window_replay_and_the_clock(app, session, officer_user):
    secret, _ = give_factor(session, officer_user)
    now = utcnow()
    totp = pyotp.TOTP(secret)
    assert not mfa.verify_second_factor(
        session, officer_user, totp.at(now - timedelta(seconds=90)), now=now
    )
    assert mfa.verify_second_factor(
        session, officer_user, totp.at(now - timedelta(seconds=30)), now=now
    )
    assert mfa.verify_second_factor(session, officer_user, totp.at(now), now=now)
    assert not mfa.verify_second_factor(session, officer_user, totp.at(now), now=now)
    later = now + timedelta(seconds=60)
    assert mfa.verify_second_factor(session, officer_user, totp.at(later), now=later)
    for junk in ("", "abc", "1" * 41, "12 34 5"):
        assert not mfa.verify_second_factor(session, officer_user, junk, now=later)


def test_a_recovery_code_works_once(app, session, required, officer_user):
    _, codes = give_factor(session, officer_user)
    client = app.test_client()
    signed_in_owing(client, officer_user)
    # Typed as people do: capitals, spaces, no dash.
    typed = codes[3].upper().replace("-", " ")
    assert give_code(client, typed).status_code == 302
    assert client.get("/staff/account").status_code == 200
    other = app.test_client()
    signed_in_owing(other, officer_user)
    assert give_code(other, codes[3]).status_code == 200
    assert mfa.recovery_codes_left(session, officer_user) == 9
    assert session.scalar(
        select(AuditEvent).where(AuditEvent.action == "user.mfa_recovery_code_used")
    ).details == {"left": 9}


def test_recovery_codes_survive_a_key_rotation(app, session, officer_user):
    _, codes = give_factor(session, officer_user)
    old = app.config["SECRET_KEY"]
    app.config["SECRET_KEY"] = "a-new-key-for-this-test-only-0123456789"
    app.config["SECRET_KEY_FALLBACKS"] = [old]
    assert mfa.verify_second_factor(session, officer_user, codes[0])


def test_the_apps_secret_is_kept_encrypted_and_survives_a_key_rotation(app, session, officer_user):
    """A copy of the table alone makes no codes: the secret is stored as a Fernet token
    under SECRET_KEY.  With the old key in SECRET_KEY_FALLBACKS it is still read; with the
    key lost, it is not (then a coordinator resets the factor, as after a lost phone)."""
    secret, _ = give_factor(session, officer_user)
    stored = session.get(SecondFactor, officer_user.id).totp_secret
    assert secret not in stored and stored.startswith("gAAAAA")  # a Fernet token
    assert mfa.secret_of(session.get(SecondFactor, officer_user.id)) == secret

    old = app.config["SECRET_KEY"]
    app.config["SECRET_KEY"] = "a-new-key-for-this-test-only-0123456789"
    app.config["SECRET_KEY_FALLBACKS"] = [old]
    now = utcnow()
    assert mfa.verify_second_factor(session, officer_user, code(secret, at=now), now=now)

    app.config["SECRET_KEY_FALLBACKS"] = []
    later = now + timedelta(seconds=60)
    assert mfa.secret_of(session.get(SecondFactor, officer_user.id)) == ""
    assert not mfa.verify_second_factor(session, officer_user, code(secret, at=later), now=later)
    app.config["SECRET_KEY_FALLBACKS"] = [old]  # put back: the same code is now accepted
    assert mfa.verify_second_factor(session, officer_user, code(secret, at=later), now=later)


def test_the_sign_in_link_is_a_first_factor_only(app, session, required, officer_user, smtp):
    secret, _ = give_factor(session, officer_user)
    post_form(app.test_client(), "/staff/sign-in-link", {"email": officer_user.email})
    bodies = [m.get_body(("plain",)).get_content() for m in smtp.to(officer_user.email)]
    # (the other email said a second factor was added: ASVS 2.5.5)
    [link] = [
        m[1] for b in bodies if (m := re.search(r"http://localhost(/staff/sign-in-link/\S+)", b))
    ]
    client = app.test_client()
    response = post_form(client, link, {})
    assert response.status_code == 302 and response.location.startswith("/staff/sign-in/code")
    assert client.get("/staff/account").status_code == 302
    assert give_code(client, code(secret)).status_code == 302
    assert client.get("/staff/account").status_code == 200


def test_wrong_codes_are_throttled_like_passwords(app, session, required, officer_user):
    secret, _ = give_factor(session, officer_user)
    app.config["SIGN_IN_LIMIT_PER_ACCOUNT_AND_ADDRESS"] = "3 per 15 minutes"
    client = app.test_client()
    signed_in_owing(client, officer_user)
    for _ in range(3):
        assert give_code(client, "000001").status_code == 200
    stopped = give_code(client, code(secret))  # even the right code waits now
    assert stopped.status_code == 429 and "Too many wrong codes" in stopped.text
    assert client.get("/staff/account").status_code == 302


def test_school_staff_may_choose_a_second_factor(app, session, required, school_user):
    client = sign_in(app.test_client(), school_user)  # not required of them
    assert client.get("/staff/account").status_code == 200
    page = client.get("/staff/two-factor/set-up").text
    secret = re.search(r'<code id="secret">([A-Z2-7 ]+)</code>', page)[1].replace(" ", "")
    assert post_form(client, "/staff/two-factor/set-up", {"code": code(secret)}).status_code == 302
    # From now on they are asked for it.
    again = app.test_client()
    assert signed_in_owing(again, school_user).location.startswith("/staff/sign-in/code")


def test_a_coordinator_resets_someone_elses_second_factor(
    app, session, required, admin_user, officer_user, smtp
):
    admin_secret, _ = give_factor(session, admin_user)
    give_factor(session, officer_user)
    officer_secret = mfa.secret_of(session.get(SecondFactor, officer_user.id))
    officer = app.test_client()
    signed_in_owing(officer, officer_user)
    give_code(officer, code(officer_secret))
    assert officer.get("/staff/account").status_code == 200

    admin = app.test_client()
    signed_in_owing(admin, admin_user)
    give_code(admin, code(admin_secret))
    page = admin.get(f"/admin/staff/{officer_user.id}")
    assert "Reset their second factor" in page.text
    reset = admin.post(
        f"/staff/two-factor/reset/{officer_user.id}", data={"csrf_token": csrf_token(page)}
    )
    assert reset.status_code == 302
    assert "second factor is reset" in admin.get(reset.location).text
    assert session.get(SecondFactor, officer_user.id) is None
    assert not session.scalars(
        select(RecoveryCode).where(RecoveryCode.user_id == officer_user.id)
    ).all()
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "user.mfa_reset"))
    assert (event.actor_id, event.object_id) == (admin_user.id, officer_user.id)
    # (the first email told them a second factor was added: ASVS 2.5.5)
    [email] = [m for m in smtp.to(officer_user.email) if "was turned off" in m["Subject"]]
    assert admin_user.name in email.get_body(("plain",)).get_content()
    # They are signed out everywhere, and set up a new one at their next sign-in.
    assert officer.get("/staff/account").status_code == 302
    assert signed_in_owing(officer, officer_user).location.startswith("/staff/two-factor/set-up")
    # Nobody resets their own here; only coordinators reset.
    own = admin.post(
        f"/staff/two-factor/reset/{admin_user.id}", data={"csrf_token": csrf_token(page)}
    )
    assert session.get(SecondFactor, admin_user.id) is not None and own.status_code == 302


def test_only_a_coordinator_may_reset(app, session, required, officer_user, school_user):
    give_factor(session, school_user)
    officer_secret, _ = give_factor(session, officer_user)
    officer = app.test_client()
    signed_in_owing(officer, officer_user)
    give_code(officer, code(officer_secret))
    page = officer.get("/staff/two-factor")
    response = officer.post(
        f"/staff/two-factor/reset/{school_user.id}", data={"csrf_token": csrf_token(page)}
    )
    assert response.status_code == 404
    assert session.get(SecondFactor, school_user.id) is not None


def test_turning_ones_own_off_needs_the_password_and_a_code(
    app, session, required, officer_user, smtp
):
    secret, codes = give_factor(session, officer_user)
    client = app.test_client()
    signed_in_owing(client, officer_user)
    give_code(client, code(secret))
    url = "/staff/two-factor/turn-off"
    wrong_password = post_form(client, url, {"password": "not it", "code": codes[0]})
    assert (
        wrong_password.status_code == 200 and "Enter your password correctly" in wrong_password.text
    )
    wrong_code = post_form(client, url, {"password": PASSWORD, "code": "000000"})
    assert wrong_code.status_code == 200 and "The code is not right" in wrong_code.text
    assert session.get(SecondFactor, officer_user.id) is not None
    done = post_form(client, url, {"password": PASSWORD, "code": codes[1]})
    assert done.status_code == 302 and done.location.startswith("/staff/two-factor/set-up")
    assert session.get(SecondFactor, officer_user.id) is None
    assert smtp.to(officer_user.email)
    # Their role needs one: nothing else until a new one is set up.
    for url in STAFF_URLS[:3]:
        assert client.get(url).location.startswith("/staff/two-factor/set-up")


def test_a_role_that_comes_to_need_one_is_stopped_mid_session(app, session, officer_user):
    client = sign_in(app.test_client(), officer_user)
    assert client.get("/staff/account").status_code == 200
    app.config["MFA_REQUIRED_ROLES"] = ("admin", "officer")
    blocked = client.get("/staff/account")
    assert blocked.status_code == 302 and blocked.location.startswith("/staff/two-factor/set-up")
    assert client.get("/staff/sign-out").status_code == 200  # signing out still works


def test_new_recovery_codes_replace_the_old(app, session, required, officer_user):
    secret, codes = give_factor(session, officer_user)
    client = app.test_client()
    signed_in_owing(client, officer_user)
    give_code(client, codes[0])
    got = post_form(
        client,
        "/staff/two-factor/recovery-codes/new",
        {"code": code(secret)},
        page_url="/staff/two-factor",
    )
    assert got.status_code == 302
    fresh = re.findall(r"<li><code>([a-z2-9-]{11})</code></li>", client.get(got.location).text)
    assert len(fresh) == 10
    assert not mfa.verify_second_factor(session, officer_user, codes[1])
    assert mfa.verify_second_factor(session, officer_user, fresh[0])


def test_the_demo_gives_a_newcomer_the_code_beside_the_password(app, session, required):
    import json

    result = app.test_cli_runner().invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    saved = json.loads(open(app.config["DEMO_ACCOUNTS_FILE"]).read())
    coordinator = saved[0]
    assert coordinator["role"] == "Coordinator" and coordinator["totp_secret"] in result.output
    assert "totp_secret" not in saved[3]  # school staff: not required, none given
    app.config["SHOW_DEMO_ACCOUNTS"] = True
    assert coordinator["totp_secret"] in app.test_client().get("/staff/sign-in").text
    client = app.test_client()
    page = client.get("/staff/sign-in")
    owing = client.post(
        "/staff/sign-in",
        data={
            "email": coordinator["email"],
            "password": coordinator["password"],
            "csrf_token": csrf_token(page),
        },
    )
    assert owing.location.startswith("/staff/sign-in/code")
    shown = re.search(r"the code now is <code>(\d{6})</code>", client.get(owing.location).text)
    assert shown and give_code(client, shown[1]).status_code == 302
    # Not on a copy that does not show the demo accounts (production never does).
    app.config["SHOW_DEMO_ACCOUNTS"] = False
    other = app.test_client()
    signed = other.post(
        "/staff/sign-in",
        data={
            "email": coordinator["email"],
            "password": coordinator["password"],
            "csrf_token": csrf_token(other.get("/staff/sign-in")),
        },
    )
    assert "the code now is" not in other.get(signed.location).text
