"""Only coordinators reach the admin pages, and a POST without its CSRF token changes nothing."""

import pytest
from sqlalchemy import func, select

from clinic.forms import CSRF_MESSAGE
from clinic.models import AuditEvent, School, User

from .pages import element_ids


def admin_urls(app, school_id: int, user_id: int) -> list[tuple[str, str]]:
    """(method, url) for every page and action of the admin blueprint."""
    ids = {"school_id": school_id, "user_id": user_id}
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("schools."):
            url = rule.build({name: ids[name] for name in rule.arguments})[1]
            found += [(method, url) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return found


def test_the_admin_pages_are_all_checked(app):
    assert len(admin_urls(app, 1, 1)) >= 14


@pytest.mark.parametrize("who", ["officer_client", "school_client"])
def test_other_staff_get_not_found_everywhere(request, app, who, school, officer_user):
    client = request.getfixturevalue(who)
    for method, url in admin_urls(app, school.id, officer_user.id):
        response = client.open(url, method=method, data={"role": "admin", "name": "x"})
        assert response.status_code == 404, (method, url)


def test_visitors_are_asked_to_sign_in(app, client, school, officer_user):
    for method, url in admin_urls(app, school.id, officer_user.id):
        response = client.open(url, method=method)
        assert response.status_code == 302, (method, url)
        assert "/staff/sign-in" in response.headers["Location"]


@pytest.mark.parametrize("url", ["/admin/schools/x", "/admin/staff/-1", "/admin/staff/1.5/role"])
def test_malformed_ids_are_not_found(admin_client, url):
    assert admin_client.get(url).status_code == 404


def snapshot(session):
    """Everything an admin action could change."""
    session.expire_all()
    schools = session.execute(select(School.id, School.name, School.urn).order_by(School.id)).all()
    users = session.execute(select(User.id, User.role, User.active, User.school_id)).all()
    assignments = sorted((u.id, s.id) for u in session.scalars(select(User)) for s in u.schools)
    events = session.scalar(select(func.count()).select_from(AuditEvent))
    return schools, sorted(users), assignments, events


def test_posts_without_a_csrf_token_change_nothing(admin_client, session, school, officer_user):
    before = snapshot(session)
    school_fields = {
        "name": "Renamed",
        "urn": "999999",
        "address": "x",
        "town": "y",
        "postcode": "EX1 1AA",
        "contact_email": "a@example.org",
    }
    posts = [
        ("/admin/schools/new", school_fields),
        (f"/admin/schools/{school.id}/edit", school_fields),
        ("/admin/staff/invite", {"name": "N", "email": "n@example.org", "role": "admin"}),
        (f"/admin/staff/{officer_user.id}/role", {"role": "admin"}),
        (f"/admin/staff/{officer_user.id}/schools", {"schools": []}),
        (f"/admin/staff/{officer_user.id}/deactivate", {}),
        (f"/admin/staff/{officer_user.id}/send-link", {}),
    ]
    for url, data in posts:
        response = admin_client.post(url, data=data, follow_redirects=True)
        assert CSRF_MESSAGE in response.get_data(as_text=True), url

    assert snapshot(session) == before


def test_every_admin_page_opens_with_unique_element_ids(
    app, admin_client, school, officer_user, school_user
):
    """Several small forms share a page; their fields must not share ids (labels, axe)."""
    for user_id in (officer_user.id, school_user.id):
        for method, url in admin_urls(app, school.id, user_id):
            if method != "GET":
                continue
            # (the GIAS import's preview, with no preview, goes back to the upload page)
            response = admin_client.get(url, follow_redirects=True)
            assert response.status_code == 200, url
            ids = element_ids(response.get_data(as_text=True))
            assert len(ids) == len(set(ids)), (url, sorted(i for i in ids if ids.count(i) > 1))
