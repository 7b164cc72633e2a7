""" "Your sessions" (OWASP ASVS 3.3.4): each of one's own sessions, when it began, when it
was last active and in which browser, with "Sign out of this one" and "Sign out
everywhere else" (POSTs with a CSRF token); nobody else's."""

from sqlalchemy import select

from clinic.auth.models import StaffSession
from tests.conftest import PASSWORD
from tests.helpers import csrf_token, post_form

PAGE = "/staff/account/sessions"
TOKEN_PAGE = "/staff/sign-out"  # a form, for the session's CSRF token, whatever PAGE shows
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1"
)


def _sign_in_with(app, user, agent: str):
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = agent
    page = client.get("/staff/sign-in")
    response = client.post(
        "/staff/sign-in",
        data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(page)},
    )
    assert response.status_code == 302
    return client


def _signed_in(client) -> bool:
    return client.get("/staff/account").status_code == 200


def _rows(session, user):
    session.expire_all()
    query = select(StaffSession).where(StaffSession.user_id == user.id)
    return session.scalars(query.order_by(StaffSession.id)).all()


def test_the_account_page_links_to_your_sessions(officer_client):
    assert PAGE in officer_client.get("/staff/account").get_data(as_text=True)


def test_each_session_is_listed_with_its_browser(app, session, officer_user, admin_user):
    laptop = _sign_in_with(app, officer_user, FIREFOX)
    _sign_in_with(app, officer_user, IPHONE)
    _sign_in_with(app, admin_user, IPHONE)  # someone else's: not listed
    page = laptop.get(PAGE)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Firefox on Linux" in html and "Safari on iPhone" in html
    assert html.count("This browser") == 1
    assert html.count("Sign out of this one") == 1  # the other one, not this one
    assert "Sign out everywhere else" in html
    assert "Mozilla" not in html  # the words, never the user agent
    [first, second] = _rows(session, officer_user)
    assert (first.browser, second.browser) == ("Firefox on Linux", "Safari on iPhone")


def test_sign_out_of_one(app, session, officer_user):
    laptop = _sign_in_with(app, officer_user, FIREFOX)
    phone = _sign_in_with(app, officer_user, IPHONE)
    [_, phone_row] = _rows(session, officer_user)
    done = post_form(laptop, f"{PAGE}/{phone_row.id}/end", {}, page_url=TOKEN_PAGE)
    assert done.status_code == 302
    assert "That browser is signed out" in laptop.get(PAGE).get_data(as_text=True)
    assert not _signed_in(phone) and _signed_in(laptop)
    assert _rows(session, officer_user)[1].end_reason == "ended_by_user"


def test_sign_out_everywhere_else(app, session, officer_user):
    laptop = _sign_in_with(app, officer_user, FIREFOX)
    others = [_sign_in_with(app, officer_user, IPHONE) for _ in range(2)]
    post_form(laptop, f"{PAGE}/end-others", {}, page_url=TOKEN_PAGE)
    page = laptop.get(PAGE).get_data(as_text=True)
    assert "You are signed out everywhere else" in page
    assert "You are not signed in anywhere else" in page
    assert _signed_in(laptop)
    assert not any(_signed_in(other) for other in others)
    assert [row.end_reason for row in _rows(session, officer_user)] == [
        None,
        "ended_by_user",
        "ended_by_user",
    ]


def test_nobody_can_end_another_persons_session(app, session, officer_user, admin_user):
    theirs = _sign_in_with(app, admin_user, FIREFOX)
    mine = _sign_in_with(app, officer_user, FIREFOX)
    [their_row] = _rows(session, admin_user)
    post_form(mine, f"{PAGE}/{their_row.id}/end", {}, page_url=TOKEN_PAGE)
    assert _signed_in(theirs)
    assert _rows(session, admin_user)[0].ended_at is None


def test_without_the_csrf_token_nothing_ends(app, session, officer_user):
    laptop = _sign_in_with(app, officer_user, FIREFOX)
    phone = _sign_in_with(app, officer_user, IPHONE)
    [_, phone_row] = _rows(session, officer_user)
    laptop.post(f"{PAGE}/{phone_row.id}/end", data={})
    laptop.post(f"{PAGE}/end-others", data={})
    assert _signed_in(phone)


def test_this_ones_button_is_the_usual_sign_out(app, session, officer_user):
    laptop = _sign_in_with(app, officer_user, FIREFOX)
    [row] = _rows(session, officer_user)
    done = post_form(laptop, f"{PAGE}/{row.id}/end", {}, page_url=TOKEN_PAGE)
    assert done.headers["Location"] == "/staff/sign-out"
    assert _signed_in(laptop)


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get(PAGE)
    assert response.status_code == 302 and "/staff/sign-in" in response.headers["Location"]
