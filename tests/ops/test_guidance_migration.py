"""Migration 0010: "what to bring" and guidance links per language.

On both engines, from a database at 0009 holding English texts (one of them rewritten by a
coordinator) and links: the upgrade keeps every English row, makes the links English,
adds the shipped defaults in every shipped language for each topic whose English is still
the default (not for the rewritten one); the downgrade keeps the English rows only."""

from __future__ import annotations

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from clinic import create_app
from clinic.extensions import db
from config import SHIPPED_LANGUAGES
from tests.conftest import ROOT
from tests.ops.support import spare_database

MIGRATIONS = str(ROOT / "migrations")
TOPICS = 11  # 0006's defaults


def _rows(url: str, sql: str) -> list[tuple]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.exec_driver_sql(sql).all()]
    finally:
        engine.dispose()


def test_0010_adds_each_language_keeps_english_and_goes_back(database_url, tmp_path):
    with spare_database(database_url, tmp_path) as url:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            upgrade(directory=MIGRATIONS, revision="0009")
            with db.engine.begin() as conn:
                conn.exec_driver_sql(
                    "UPDATE bring_advice SET text = 'The Discord app, signed in'"
                    " WHERE topic = 'discord'"
                )
                conn.exec_driver_sql(
                    "INSERT INTO guidance_link (topic, title, url, position)"
                    " VALUES ('roblox', 'Roblox guide', 'https://r.example/', 1)"
                )
            english_before = _rows(url, "SELECT topic, text FROM bring_advice ORDER BY topic")
            assert len(english_before) == TOPICS

            upgrade(directory=MIGRATIONS, revision="0010")
            rows = _rows(url, "SELECT topic, language, text FROM bring_advice")
            by_language: dict[str, dict[str, str]] = {}
            for topic, language, text in rows:
                by_language.setdefault(language, {})[topic] = text
            assert sorted(by_language["en"].items()) == english_before
            others = [code for code in SHIPPED_LANGUAGES if code != "en"]
            assert sorted(by_language) == sorted(SHIPPED_LANGUAGES)
            for code in others:
                # every default but the rewritten one, translated (not the English copied)
                assert set(by_language[code]) == set(by_language["en"]) - {"discord"}, code
                for topic, text in by_language[code].items():
                    assert text.strip() and text != by_language["en"][topic], (code, topic)
                    assert text.count("\n") == by_language["en"][topic].count("\n"), (code, topic)
            assert "Czasu przed ekranem" in by_language["pl"]["iphone-ipad"]
            assert _rows(url, "SELECT title, language FROM guidance_link") == [
                ("Roblox guide", "en")
            ]

            with db.engine.begin() as conn:
                conn.exec_driver_sql(
                    "INSERT INTO guidance_link (topic, title, url, position, language)"
                    " VALUES ('roblox', 'Roblox: poradnik', 'https://r.example/', 1, 'pl')"
                )
            downgrade(directory=MIGRATIONS, revision="0009")
            assert _rows(url, "SELECT topic, text FROM bring_advice ORDER BY topic") == (
                english_before
            )
            assert _rows(url, "SELECT title FROM guidance_link") == [("Roblox guide",)]

            upgrade(directory=MIGRATIONS)
            assert len(_rows(url, "SELECT topic FROM bring_advice")) == TOPICS + 5 * (TOPICS - 1)
            db.engine.dispose()
