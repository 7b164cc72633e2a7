"""Guidance links: content coordinators edit, seeded once from a data file."""

import json

import pytest
from sqlalchemy import select

from clinic.booking.choices import TOPICS
from clinic.followup import service as followup
from clinic.followup.cli import followup_cli
from clinic.forms import CSRF_MESSAGE
from clinic.models import AuditEvent, GuidanceLink, Partnership
from tests.helpers import post_form

GOOD = {
    "topic": "roblox",
    "title": "Roblox: parental controls",
    "url": "https://en.help.roblox.com/hc/en-us",
    "position": "2",
}


def links(session) -> list[tuple]:
    session.commit()
    statement = select(GuidanceLink.topic, GuidanceLink.title, GuidanceLink.url)
    return session.execute(statement.order_by(GuidanceLink.id)).all()


def actions(session) -> list[str]:
    return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


@pytest.fixture
def link(session):
    record = GuidanceLink(
        topic="tiktok",
        title="TikTok: Family Pairing",
        url="https://t.example/",
        partnership_id=session.scalar(select(Partnership.id).order_by(Partnership.id).limit(1)),
    )
    session.add(record)
    session.commit()
    return record


def guidance_urls(app, link_id: int) -> list[tuple[str, str]]:
    """(method, url) for every guidance admin page and action."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("guidance."):
            samples = {"link_id": link_id, "topic": "discord"}
            url = rule.build({a: samples[a] for a in rule.arguments})[1]
            found += [(method, url) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return found


# --- the seed file and command --------------------------------------------------------------


def test_every_seeded_link_is_https_for_a_known_topic():
    entries = json.loads(followup.SEED_FILE.read_text(encoding="utf-8"))
    for entry in entries:
        assert entry["topic"] in followup.GUIDANCE_TOPIC_LABELS, entry
        assert followup.check_https_url(entry["url"]) == entry["url"]
        assert 0 < len(entry["title"]) <= followup.TITLE_MAX
    covered = {entry["topic"] for entry in entries}
    assert {value for value, _ in TOPICS} - covered == {"other"}
    assert "general" in covered


def test_seed_command_fills_an_empty_table_once(app, session):
    runner = app.test_cli_runner()
    expected = len(json.loads(followup.SEED_FILE.read_text(encoding="utf-8")))

    first = runner.invoke(followup_cli, ["seed-guidance"])
    second = runner.invoke(followup_cli, ["seed-guidance"])

    assert first.exit_code == 0, first.output
    assert f"Added {expected} guidance links." in first.output
    assert "nothing added" in second.output
    assert len(links(session)) == expected
    assert actions(session) == ["guidance.seed"]


def test_seeding_leaves_a_language_with_links_alone(session, link):
    """English has a link, so no English is seeded; the other languages, which have
    none, get theirs (a database from before links had languages)."""
    entries = json.loads(followup.SEED_FILE.read_text(encoding="utf-8"))
    others = [entry for entry in entries if entry.get("language", "en") != "en"]

    assert followup.seed_guidance(session) == len(others)

    english = session.scalars(select(GuidanceLink).where(GuidanceLink.language == "en")).all()
    assert [(x.topic, x.title, x.url) for x in english] == [
        ("tiktok", "TikTok: Family Pairing", "https://t.example/")
    ]
    assert followup.seed_guidance(session) == 0


def test_the_seed_file_has_every_english_link_in_every_shipped_language():
    from config import SHIPPED_LANGUAGES

    entries = json.loads(followup.SEED_FILE.read_text(encoding="utf-8"))
    english = [(e["topic"], e["url"]) for e in entries if e.get("language", "en") == "en"]
    for language in SHIPPED_LANGUAGES:
        theirs = [(e["topic"], e["url"]) for e in entries if e.get("language", "en") == language]
        assert theirs == english, language
    titles = [e["title"] for e in entries]
    assert len(set(titles)) == len(titles)  # each translated, none copied


# --- checking web addresses -----------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://www.net-aware.org.uk/",
        "https://support.apple.com/en-gb/108806",
        "  https://discord.com/safety  ",
    ],
)
def test_https_addresses_are_accepted(url):
    assert followup.check_https_url(url) == url.strip()


@pytest.mark.parametrize(
    "url",
    [
        "",
        "http://www.net-aware.org.uk/",
        "javascript:alert(1)",
        "https://",
        "https://localhost/",
        "www.net-aware.org.uk",
        "https://www.net aware.org.uk/",
        "https://example.org/" + "a" * 500,
        "ftp://example.org/file",
    ],
)
def test_other_addresses_are_refused(url):
    with pytest.raises(followup.GuidanceError) as refused:
        followup.check_https_url(url)
    assert refused.value.field == "url"


# --- the admin pages ------------------------------------------------------------------------


def test_the_list_shows_links_by_topic(admin_client, session, link):
    followup.add_guidance(
        session, "test", topic="general", title="Net Aware", url="https://n.example/", position=1
    )
    session.commit()

    page = admin_client.get("/admin/guidance").get_data(as_text=True)

    assert page.index("General advice for every family") < page.index("TikTok")
    assert "TikTok: Family Pairing" in page and "https://t.example/" in page
    assert "No links yet for" in page and "Discord" in page


def test_add_a_link(admin_client, session):
    response = post_form(admin_client, "/admin/guidance/new", GOOD)

    assert response.status_code == 302
    saved = session.scalar(select(GuidanceLink))
    assert (saved.topic, saved.title, saved.url, saved.position) == (
        "roblox",
        "Roblox: parental controls",
        "https://en.help.roblox.com/hc/en-us",
        2,
    )
    assert actions(session) == ["guidance.add"]
    page = admin_client.get("/admin/guidance").get_data(as_text=True)
    assert "“Roblox: parental controls” has been added." in page


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"url": "http://en.help.roblox.com/"}, "url", "starts with https://"),
        ({"url": "javascript:alert(1)"}, "url", "starts with https://"),
        ({"url": ""}, "url", "Enter the web address"),
        ({"title": ""}, "title", "Enter the link text parents will see"),
        ({"title": "x" * 201}, "title", "Link text must be 200 characters or fewer"),
        ({"topic": ""}, "topic", "Choose which app or device the link is for"),
        ({"topic": "fortnite"}, "topic", "Choose which app or device the link is for"),
        ({"position": "first"}, "position", "Enter the position as a whole number, like 1"),
    ],
)
def test_bad_answers_save_nothing(admin_client, session, change, field, message):
    response = post_form(admin_client, "/admin/guidance/new", GOOD | change)

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'id="{field}-error"' in page
    assert message in page
    assert links(session) == []
    assert actions(session) == []


def test_change_a_link(admin_client, session, link):
    url = f"/admin/guidance/{link.id}/edit"
    assert "https://t.example/" in admin_client.get(url).get_data(as_text=True)

    response = post_form(admin_client, url, GOOD | {"topic": "tiktok", "position": ""})

    assert response.status_code == 302
    assert links(session) == [("tiktok", GOOD["title"], GOOD["url"])]
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "guidance.update"))
    assert event.details == {"changed": ["title", "url"]}


def test_a_refused_change_leaves_the_link_as_it_was(admin_client, session, link):
    post_form(admin_client, f"/admin/guidance/{link.id}/edit", GOOD | {"url": "http://x.org/"})
    assert links(session) == [("tiktok", "TikTok: Family Pairing", "https://t.example/")]


def test_delete_asks_first_then_deletes(admin_client, session, link):
    url = f"/admin/guidance/{link.id}/delete"

    page = admin_client.get(url).get_data(as_text=True)
    assert "Delete this guidance link?" in page
    assert len(links(session)) == 1  # looking at the page changes nothing

    response = post_form(admin_client, url, {})

    assert response.status_code == 302
    assert links(session) == []
    assert actions(session) == ["guidance.delete"]


def test_posts_without_a_token_change_nothing(admin_client, session, link):
    for url, data in [
        ("/admin/guidance/new", GOOD),
        (f"/admin/guidance/{link.id}/edit", GOOD),
        (f"/admin/guidance/{link.id}/delete", {}),
    ]:
        response = admin_client.post(url, data=data)
        assert CSRF_MESSAGE in response.get_data(as_text=True), url
    assert links(session) == [("tiktok", "TikTok: Family Pairing", "https://t.example/")]


def test_an_unknown_link_is_not_found(admin_client):
    for url in ("/admin/guidance/999/edit", "/admin/guidance/99999999999/delete"):
        assert admin_client.get(url).status_code == 404


def test_the_pages_are_all_checked(app):
    assert len(guidance_urls(app, 1)) == 9


@pytest.mark.parametrize("who", ["officer_client", "school_client"])
def test_other_staff_get_not_found_everywhere(request, app, session, link, who):
    client = request.getfixturevalue(who)
    for method, url in guidance_urls(app, link.id):
        response = client.open(url, method=method, data=GOOD)
        assert response.status_code == 404, (method, url)
    assert len(links(session)) == 1


def test_visitors_are_asked_to_sign_in(app, client, link):
    for method, url in guidance_urls(app, link.id):
        response = client.open(url, method=method)
        assert response.status_code == 302, (method, url)
        assert "/staff/sign-in" in response.headers["Location"]


def test_guidance_for_picks_the_asked_topics_in_form_order():
    guides = {
        "en": {
            "general": (followup.Guide("All", "https://a.example/"),),
            "roblox": (followup.Guide("R", "https://r.example/"),),
            "android": (followup.Guide("A", "https://g.example/"),),
            "tiktok": (followup.Guide("T", "https://t.example/"),),
        }
    }

    sections = followup.guidance_for(["roblox", "android", "discord"], guides)

    assert [s.topic for s in sections] == ["android", "roblox", "general"]
    assert followup.guidance_for([], {}) == []


def test_guidance_for_takes_the_households_language_and_falls_back_to_english_per_topic():
    guides = {
        "en": {
            "general": (followup.Guide("All", "https://a.example/"),),
            "roblox": (followup.Guide("R", "https://r.example/"),),
        },
        "pl": {"general": (followup.Guide("Wszyscy", "https://a.example/", "pl"),)},
    }

    sections = followup.guidance_for(["roblox"], guides, "pl")

    assert [(s.topic, s.language, [g.title for g in s.guides]) for s in sections] == [
        ("roblox", "en", ["R"]),
        ("general", "pl", ["Wszyscy"]),
    ]
    assert [g.language for s in sections for g in s.guides] == ["en", "pl"]
    english = followup.guidance_for(["roblox"], guides, "en")
    assert [s.language for s in english] == ["en", "en"]
