"""Staff see and change only their own schools' clinics (404 otherwise); GETs change nothing."""

import pytest
from sqlalchemy import func, select

from clinic.models import AuditEvent, Clinic
from tests.conftest import sign_in

PUBLIC = {"schedule.calendar_feed"}  # the feed: its token is the key (tests in test_feed.py)
READ_ONLY = {"schedule.dashboard", "schedule.show_clinic"}


def schedule_urls(app, clinic) -> list[tuple[str, str, str]]:
    """(endpoint, method, url) for every officer page and action about one clinic."""
    ids = {"clinic_id": clinic.id, "slot_id": clinic.slots[0].id}
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("schedule.") and rule.endpoint not in PUBLIC:
            if not set(rule.arguments) <= set(ids):
                continue
            url = rule.build({name: ids[name] for name in rule.arguments})[1]
            found += [(rule.endpoint, m, url) for m in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return found


def clinic_urls(app, clinic):
    return [(e, m, u) for e, m, u in schedule_urls(app, clinic) if str(clinic.id) in u]


def test_every_clinic_page_is_checked(app, clinic):
    assert len(clinic_urls(app, clinic)) >= 14


def test_an_officer_of_another_school_gets_not_found(app, make, other_school, clinic):
    stranger = make.user(role="officer", schools=[other_school])
    client = sign_in(app.test_client(), stranger)
    for _, method, url in clinic_urls(app, clinic):
        assert client.open(url, method=method).status_code == 404, (method, url)


def test_school_staff_of_another_school_get_not_found(app, make, other_school, clinic):
    elsewhere = make.user(role="school", school=other_school)
    client = sign_in(app.test_client(), elsewhere)
    for _, method, url in clinic_urls(app, clinic):
        assert client.open(url, method=method).status_code == 404, (method, url)


def test_school_staff_may_only_look(app, school_client, clinic, session):
    for endpoint, method, url in clinic_urls(app, clinic):
        expected = 200 if endpoint in READ_ONLY else 404
        assert school_client.open(url, method=method).status_code == expected, (method, url)
    assert session.get(Clinic, clinic.id).status == "published"


def test_visitors_are_asked_to_sign_in(app, client, clinic):
    for _, method, url in schedule_urls(app, clinic):
        response = client.open(url, method=method)
        assert response.status_code == 302, (method, url)
        assert "/staff/sign-in" in response.headers["Location"]


@pytest.mark.parametrize(
    "url", ["/staff/clinics/x", "/staff/clinics/99999999999", "/staff/clinics/1.5"]
)
def test_malformed_ids_are_not_found(officer_client, url):
    assert officer_client.get(url).status_code == 404


def test_a_slot_of_another_clinic_is_not_found(officer_client, make, school, officer_user, clinic):
    other = make.clinic(school, officer_user, days_ahead=20)
    url = f"/staff/clinics/{clinic.id}/slots/{other.slots[0].id}/edit"
    assert officer_client.get(url).status_code == 404


def test_gets_change_nothing(app, officer_client, clinic, session):
    before = session.scalar(select(func.count()).select_from(AuditEvent))
    for _, method, url in schedule_urls(app, clinic):
        if method == "GET":
            assert officer_client.get(url).status_code in (200, 302), url
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == before
    assert session.get(Clinic, clinic.id).version == clinic.version


def test_posts_without_a_csrf_token_change_nothing(app, officer_client, clinic, session):
    version = clinic.version
    for _, method, url in schedule_urls(app, clinic):
        if method == "POST":
            response = officer_client.post(url, data={"version": str(version), "reason": "x"})
            assert response.status_code in (200, 302, 400), url
    session.expire_all()
    assert session.get(Clinic, clinic.id).version == version
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == 0
