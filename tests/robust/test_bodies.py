"""Forms accept only what a browser sends (issue 12): every POST route in ``app.url_map``
answers a JSON body, a value repeated where one is expected, numbers too big for an id
column, a body that is not UTF-8 and a 10 MB body with a 4xx page — never a 500."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from clinic.models import MAX_ID

from .world import BY_ENDPOINT, TARGETS, World


@pytest.fixture
def world(app, session, make):
    return World(app, session, make)


def test_every_post_route_is_in_the_table(app):
    posted = {rule.endpoint for rule in app.url_map.iter_rules() if "POST" in rule.methods}
    assert posted == set(BY_ENDPOINT), "add the new route to tests/robust/world.py TARGETS"


def _json(target, client, url, token, form):
    fields = dict(form.defaults()) if form else {}
    fields = {name: {"nested": [value]} for name, value in fields.items()}
    return client.post(url, json={**fields, "csrf_token": token, "email": {"a": 1}}), {415}


def _repeated(target, client, url, token, form):
    """Every single-value field twice: no browser sends that.  The form refuses it; a
    route with no such field gets its CSRF token twice, which the request check refuses."""
    pairs, repeated = [("csrf_token", token)], False
    for name, value in form.defaults() if form else []:
        control = form.controls[name]
        if name == "csrf_token" or control.many or control.kind == "date-parts":
            pairs.append((name, value))
        else:
            pairs += [(name, value or "a"), (name, value or "b")]
            repeated = True
    if not repeated:
        pairs.append(("csrf_token", token))
    return client.post(url, data=urlencode(pairs), content_type=FORM), {400}


def _not_utf8(target, client, url, token, form):
    body = f"csrf_token={token}&".encode() + b"parent_name=%ED%A0%80%FF&title=%C0%AF"
    return client.post(url, data=body, content_type=FORM), {400}


def _raw_bytes(target, client, url, token, form):
    body = f"csrf_token={token}&name=".encode() + b"\xff\xfe\x00"
    return client.post(url, data=body, content_type=FORM), {400}


def _ten_megabytes(target, client, url, token, form):
    body = f"csrf_token={token}&description=".encode() + b"x" * (10 * 1024 * 1024)
    return client.post(url, data=body, content_type=FORM), {413}


def _big_numbers(target, client, url, token, form):
    """Every field an id or count too big for its column (and the route's own ids are
    checked by the URL converter).  The answer may be a page with a message, a redirect
    or a 4xx; it is never a 500."""
    numbers = [str(MAX_ID + 1), str(2**63), "9" * 40, "-1"]
    pairs = [("csrf_token", token)]
    for n, (name, _) in enumerate(form.defaults() if form else []):
        if name != "csrf_token":
            pairs.append((name, numbers[n % len(numbers)]))
    return client.post(url, data=urlencode(pairs), content_type=FORM), None


FORM = "application/x-www-form-urlencoded"
BAD_BODIES = {
    "json": _json,
    "repeated": _repeated,
    "not-utf8": _not_utf8,
    "raw-bytes": _raw_bytes,
    "10MB": _ten_megabytes,
    "big-numbers": _big_numbers,
}


def test_every_post_route_answers_a_bad_body_with_a_4xx_page(world):
    """Each route × each bad body (one world per engine: building one per case would
    make this the slowest file in the suite); every wrong answer is listed."""
    wrong = []
    for body, send in BAD_BODIES.items():  # big numbers last: they may change records
        for target in TARGETS:
            client, url, token, form = target.open(world)
            response, expected = send(target, client, url, token, form)
            status = response.status_code
            if expected is None:
                ok = status < 500
            else:
                ok = status in expected and "Sorry" in response.get_data(as_text=True)
            if not ok:
                wrong.append(f"{body} {target.endpoint}: {status}")
    assert wrong == []
