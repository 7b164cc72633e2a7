"""Passkeys for staff (issue 20), beside the authenticator app: added from the second-factor
page, used instead of a code after the password, named and removed (with the password).

``SoftKey`` below is a real, if minimal, authenticator: a P-256 key pair that answers the
pages' options with the CBOR, authenticator data and ECDSA signature a browser would send
(the ``webauthn`` package checks them for real).  The browser test drives Chromium's
virtual authenticator instead (tests/browser/test_passkeys.py)."""

import hashlib
import html
import json
import re
import secrets
from datetime import timedelta

import cbor2
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url

from clinic.auth import mfa, passkeys
from clinic.auth.mfa_models import Passkey
from clinic.models import AuditEvent, utcnow
from tests.auth.test_mfa import code, give_code, give_factor, signed_in_owing
from tests.conftest import PASSWORD
from tests.helpers import csrf_token

ORIGIN = "http://localhost"  # the test settings' BASE_URL


class SoftKey:
    """A software authenticator (attestation "none", ES256)."""

    def __init__(self):
        self.private = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = secrets.token_bytes(16)
        self.count = 0

    def _public_cose(self) -> bytes:
        numbers = self.private.public_key().public_numbers()
        return cbor2.dumps(
            {
                1: 2,
                3: -7,
                -1: 1,
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )

    def _authenticator_data(self, rp_id: str, *, attested: bool) -> bytes:
        flags = 0x01 | 0x04 | (0x40 if attested else 0)  # present, verified, attested data
        data = hashlib.sha256(rp_id.encode()).digest() + bytes([flags])
        data += self.count.to_bytes(4, "big")
        if attested:
            cid = self.credential_id
            data += bytes(16) + len(cid).to_bytes(2, "big") + cid + self._public_cose()
        return data

    def _client_data(self, kind: str, challenge: str, origin: str) -> bytes:
        return json.dumps(
            {"type": kind, "challenge": challenge, "origin": origin, "crossOrigin": False}
        ).encode()

    def create(self, options: dict, *, origin: str = ORIGIN, challenge: str | None = None) -> str:
        client = self._client_data("webauthn.create", challenge or options["challenge"], origin)
        attestation = cbor2.dumps(
            {
                "fmt": "none",
                "attStmt": {},
                "authData": self._authenticator_data(options["rp"]["id"], attested=True),
            }
        )
        cid = bytes_to_base64url(self.credential_id)
        return json.dumps(
            {
                "id": cid,
                "rawId": cid,
                "type": "public-key",
                "response": {
                    "clientDataJSON": bytes_to_base64url(client),
                    "attestationObject": bytes_to_base64url(attestation),
                },
                "clientExtensionResults": {},
            }
        )

    def get(
        self, options: dict, *, origin: str = ORIGIN, challenge: str | None = None, step: int = 1
    ) -> str:
        self.count += step
        data = self._authenticator_data(options["rpId"], attested=False)
        client = self._client_data("webauthn.get", challenge or options["challenge"], origin)
        signature = self.private.sign(
            data + hashlib.sha256(client).digest(), ec.ECDSA(hashes.SHA256())
        )
        cid = bytes_to_base64url(self.credential_id)
        return json.dumps(
            {
                "id": cid,
                "rawId": cid,
                "type": "public-key",
                "response": {
                    "clientDataJSON": bytes_to_base64url(client),
                    "authenticatorData": bytes_to_base64url(data),
                    "signature": bytes_to_base64url(signature),
                    "userHandle": None,
                },
                "clientExtensionResults": {},
            }
        )


def options_on(page) -> dict:
    found = re.search(r'data-passkey-options="([^"]*)"', page.get_data(as_text=True))
    assert found, "no passkey options on the page"
    return json.loads(html.unescape(found[1]))


def passkey_token(page) -> str:
    found = re.search(r'name="passkey-csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True))
    assert found
    return found[1]


@pytest.fixture
def with_app(session, officer_user):
    """An officer with the authenticator app set up; returns its secret."""
    secret, _ = give_factor(session, officer_user)
    return secret


def signed_in(app, user, secret):
    client = app.test_client()
    signed_in_owing(client, user)
    assert give_code(client, code(secret)).status_code == 302
    return client


def add_passkey(client, key: SoftKey, name="Work laptop", **create):
    page = client.get("/staff/two-factor")
    assert page.status_code == 200
    data = {
        "passkey-csrf_token": passkey_token(page),
        "passkey-name": name,
        "passkey-response": key.create(options_on(page), **create),
    }
    return client.post("/staff/two-factor/passkeys", data=data)


def use_passkey(client, key: SoftKey, **get):
    page = client.get("/staff/sign-in/code")
    assert page.status_code == 200
    data = {
        "passkey-csrf_token": passkey_token(page),
        "passkey-response": key.get(options_on(page), **get),
    }
    return client.post("/staff/sign-in/passkey", data=data)


def test_registration_options_name_this_site_and_leave_out_passkeys_already_added(
    app, session, officer_user, with_app
):
    client = signed_in(app, officer_user, with_app)
    options = options_on(client.get("/staff/two-factor"))
    assert options["rp"] == {"id": "localhost", "name": app.config["SERVICE_NAME"]}
    assert options["user"]["name"] == officer_user.email
    assert options["excludeCredentials"] == []
    assert len(base64url_to_bytes(options["challenge"])) == 32
    key = SoftKey()
    assert add_passkey(client, key).status_code == 302
    again = options_on(client.get("/staff/two-factor"))
    assert again["challenge"] != options["challenge"]  # a new one each time
    assert [c["id"] for c in again["excludeCredentials"]] == [bytes_to_base64url(key.credential_id)]


def test_a_passkey_is_added_and_then_given_instead_of_a_code(app, session, officer_user, with_app):
    client = signed_in(app, officer_user, with_app)
    key = SoftKey()
    added = add_passkey(client, key)
    assert added.status_code == 302 and added.location == "/staff/two-factor"
    page = client.get("/staff/two-factor").text
    assert "Passkey “Work laptop” added." in page and "Not used yet" in page
    stored = session.scalar(select(Passkey))
    assert stored.user_id == officer_user.id and stored.name == "Work laptop"
    assert stored.credential_id == bytes_to_base64url(key.credential_id)
    assert stored.sign_count == 0
    assert session.scalar(select(AuditEvent.action).where(AuditEvent.action == "user.passkey_add"))

    other = app.test_client()
    signed_in_owing(other, officer_user)
    code_page = other.get("/staff/sign-in/code")
    assert "Use a passkey" in code_page.text and "js/passkeys.js" in code_page.text
    assert options_on(code_page)["allowCredentials"][0]["id"] == stored.credential_id
    assert other.get("/staff/account").status_code == 302  # still owed
    used = use_passkey(other, key)
    assert used.status_code == 302
    assert other.get("/staff/account").status_code == 200
    session.expire_all()
    stored = session.scalar(select(Passkey))
    assert stored.sign_count == 1 and stored.last_used_at is not None


def test_a_response_to_another_challenge_or_from_another_site_is_refused(
    app, session, officer_user, with_app
):
    client = signed_in(app, officer_user, with_app)
    stale = passkeys.issue_challenge()[1]["challenge"]
    wrong = add_passkey(client, SoftKey(), challenge=stale)
    assert wrong.status_code == 400 and "Your passkey could not be added" in wrong.text
    assert "There is a problem" in wrong.text and "<title>Error:" in wrong.text
    elsewhere = add_passkey(client, SoftKey(), origin="http://localhost.example.org")
    assert elsewhere.status_code == 400 and "Your passkey could not be added" in elsewhere.text
    assert session.scalar(select(Passkey)) is None

    key = SoftKey()
    assert add_passkey(client, key).status_code == 302
    for refused in ({"challenge": stale}, {"origin": "https://evil.example"}):
        other = app.test_client()
        signed_in_owing(other, officer_user)
        answer = use_passkey(other, key, **refused)
        assert answer.status_code == 400, refused
        assert "Your passkey was not accepted. Try again, or enter a code" in answer.text
        assert other.get("/staff/account").status_code == 302


def test_a_challenge_works_once_and_a_counter_not_above_the_last_is_refused(
    app, session, officer_user, with_app
):
    client = signed_in(app, officer_user, with_app)
    key = SoftKey()
    page = client.get("/staff/two-factor")
    data = {
        "passkey-csrf_token": passkey_token(page),
        "passkey-name": "Phone",
        "passkey-response": key.create(options_on(page)),
    }
    assert client.post("/staff/two-factor/passkeys", data=data).status_code == 302
    # The same answer again: its challenge was used up.
    data["passkey-response"] = SoftKey().create(options_on(page))
    replay = client.post("/staff/two-factor/passkeys", data=data)
    assert replay.status_code == 400 and "could not be checked in time" in replay.text
    assert len(session.scalars(select(Passkey)).all()) == 1

    other = app.test_client()
    signed_in_owing(other, officer_user)
    assert use_passkey(other, key, step=5).status_code == 302  # counter 5
    third = app.test_client()
    signed_in_owing(third, officer_user)
    key.count = 3  # a clone of the authenticator from before
    assert use_passkey(third, key, step=1).status_code == 400
    assert third.get("/staff/account").status_code == 302


def test_passkeys_of_someone_else_are_not_accepted(app, session, officer_user, make, with_app):
    someone = make.user(role="officer", email="sam@example.org", name="Sam")
    their_secret, _ = give_factor(session, someone)
    key = SoftKey()
    assert add_passkey(signed_in(app, someone, their_secret), key).status_code == 302
    # Officer's own passkey, so the page offers one; Sam's key answers.
    assert add_passkey(signed_in(app, officer_user, with_app), SoftKey()).status_code == 302
    other = app.test_client()
    signed_in_owing(other, officer_user)
    assert use_passkey(other, key).status_code == 400


def test_rename_and_remove_with_the_password(app, session, officer_user, with_app):
    client = signed_in(app, officer_user, with_app)
    assert add_passkey(client, SoftKey()).status_code == 302
    stored = session.scalar(select(Passkey))
    rename_url = f"/staff/two-factor/passkeys/{stored.id}/name"
    page = client.get(rename_url)
    blank = client.post(rename_url, data={"csrf_token": csrf_token(page), "name": " "})
    assert "Enter a name for this passkey" in blank.text
    renamed = client.post(rename_url, data={"csrf_token": csrf_token(page), "name": "Desk key"})
    assert renamed.status_code == 302
    assert "Desk key" in client.get("/staff/two-factor").text

    remove_url = f"/staff/two-factor/passkeys/{stored.id}/remove"
    page = client.get(remove_url)
    assert "Remove passkey “Desk key”" in page.text
    wrong = client.post(remove_url, data={"csrf_token": csrf_token(page), "password": "nope"})
    assert wrong.status_code == 200 and "Enter your password correctly" in wrong.text
    assert session.scalar(select(Passkey)) is not None
    removed = client.post(remove_url, data={"csrf_token": csrf_token(page), "password": PASSWORD})
    assert removed.status_code == 302
    session.expire_all()
    assert session.scalar(select(Passkey)) is None
    assert session.scalar(
        select(AuditEvent.details).where(AuditEvent.action == "user.passkey_remove")
    ) == {"name": "Desk key"}


def test_someone_else_cannot_rename_or_remove_a_passkey(app, session, officer_user, make, with_app):
    assert add_passkey(signed_in(app, officer_user, with_app), SoftKey()).status_code == 302
    stored = session.scalar(select(Passkey))
    someone = make.user(role="officer", email="sam@example.org", name="Sam")
    secret, _ = give_factor(session, someone)
    sam = signed_in(app, someone, secret)
    for url in (
        f"/staff/two-factor/passkeys/{stored.id}/name",
        f"/staff/two-factor/passkeys/{stored.id}/remove",
    ):
        assert sam.get(url).location == "/staff/two-factor"


def test_no_passkey_without_the_app_and_turning_the_app_off_removes_them(
    app, session, officer_user, with_app
):
    client = signed_in(app, officer_user, with_app)
    assert add_passkey(client, SoftKey()).status_code == 302
    mfa.remove_own(session, officer_user)
    session.commit()
    assert session.scalar(select(Passkey)) is None
    page = client.get("/staff/two-factor")
    assert "data-passkey-options" not in page.text and "js/passkeys.js" not in page.text
    assert client.post("/staff/two-factor/passkeys", data={}).location == "/staff/two-factor"


def test_without_passkeys_the_code_page_offers_none(app, session, officer_user, with_app):
    client = app.test_client()
    signed_in_owing(client, officer_user)
    page = client.get("/staff/sign-in/code")
    assert "Use a passkey" not in page.text and "js/passkeys.js" not in page.text


def test_a_challenge_is_good_for_five_minutes_only(app):
    issued = utcnow() - timedelta(minutes=passkeys.CHALLENGE_MINUTES, seconds=1)
    challenge, kept = passkeys.issue_challenge(issued)
    with pytest.raises(passkeys.PasskeyError, match="could not be checked in time"):
        passkeys.challenge_from(kept)
    assert passkeys.challenge_from(kept, now=issued + timedelta(minutes=4)) == challenge
    for broken in (None, {}, {"challenge": 5, "at": 0}, {"challenge": "abc"}):
        with pytest.raises(passkeys.PasskeyError):
            passkeys.challenge_from(broken)
