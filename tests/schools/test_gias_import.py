"""Importing schools from the GIAS extract: the preview, the import, the page and the command."""

import io

import pytest
from sqlalchemy import func, select

from clinic.forms import CSRF_MESSAGE
from clinic.models import AuditEvent, School
from clinic.schools import gias, importing
from clinic.schools.models import GiasImport
from tests.helpers import csrf_token

from .gias_file import extract, row
from .pages import element_ids, error_links

ST_MARYS = "St Mary’s C of E Primary School"
YSGOL = "Ysgol Gymraeg Pen-y-Groes"
COLAISTE = "Coláiste Éanna"
FILENAME = "edubasealldata20261207.csv"


def register(**changes) -> bytes:
    """A Devon extract: three open schools (a curly apostrophe, Welsh, accents), a closed
    one, a bad postcode, a school in Torbay and a nursery."""
    rows = {
        "113001": row("113001", ST_MARYS, street="Church Lane", town="Exeter", postcode="EX1 2AB"),
        "113002": row("113002", YSGOL, phase="Secondary", street="Heol y Groes", town="Tiverton",
                      postcode="EX16 6AA"),
        "113003": row("113003", COLAISTE, town="Crediton", postcode="EX17 1AA"),
        "113004": row("113004", "Old Mill Primary School", status="Closed", postcode=""),
        "113005": row("113005", "Nowhere Primary School", postcode="NOT A PC"),
        "113006": row("113006", "Torbay Primary School", la=("880", "Torbay")),
        "113007": row("113007", "Little Acorns Nursery", phase="Nursery"),
    }  # fmt: skip
    for urn, values in changes.items():
        rows[urn] = values
    return extract([values for values in rows.values() if values is not None])


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def actions(session) -> list[str]:
    return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def preview(session, admin, data: bytes, las=("Devon",), phases=("Primary", "Secondary")):
    pending = importing.read_upload(
        session, admin, io.BytesIO(data), filename=FILENAME, las=las, phases=phases,
        keep_minutes=60,
    )  # fmt: skip
    session.commit()
    return pending


# --- the service ----------------------------------------------------------------------------


def test_the_preview_saves_no_school(session, admin_user):
    pending = preview(session, admin_user, register())

    todo = importing.plan(session, admin_user.partnership, importing.establishments_of(pending))
    assert [e.name for e in todo.add] == [ST_MARYS, YSGOL, COLAISTE]
    assert {s.name: s.reason for s in importing.skipped_of(pending)} == {
        "Old Mill Primary School": "closed",
        "Nowhere Primary School": "bad row: “NOT A PC” is not a UK postcode",
    }
    assert pending.outside == 2
    assert count(session, School) == 0
    assert actions(session) == []


def test_import_adds_the_schools_with_no_contact_email_and_audits_each(session, admin_user):
    pending = preview(session, admin_user, register())
    establishments = importing.establishments_of(pending)
    agreed = importing.plan(session, admin_user.partnership, establishments).digest()

    done = importing.apply(
        session, admin_user, admin_user.partnership, establishments, agreed=agreed,
        source=FILENAME,
    )  # fmt: skip
    session.commit()

    assert len(done.add) == 3
    schools = {s.urn: s for s in session.scalars(select(School))}
    st_marys = schools["113001"]
    assert (st_marys.name, st_marys.address, st_marys.town, st_marys.postcode) == (
        ST_MARYS,
        "Church Lane",
        "Exeter",
        "EX1 2AB",
    )
    assert st_marys.slug == "st-marys-c-of-e-primary-school"
    assert schools["113003"].slug == "colaiste-eanna"
    assert {s.contact_email for s in schools.values()} == {""}
    assert {s.partnership_id for s in schools.values()} == {admin_user.partnership_id}
    assert actions(session) == ["school.create"] * 3 + ["school.import_gias"]
    summary = session.scalar(select(AuditEvent).where(AuditEvent.action == "school.import_gias"))
    assert summary.details == {
        "added": 3, "changed": 0, "unchanged": 0, "held_elsewhere": 0, "file": FILENAME,
    }  # fmt: skip
    assert summary.partnership_id == admin_user.partnership_id


def test_a_urn_held_by_another_partnership_is_skipped(session, make, admin_user):
    elsewhere = make.partnership("Torbay Safeguarding Children Partnership")
    theirs = make.school("Their St Mary's", urn="113001", partnership=elsewhere)
    pending = preview(session, admin_user, register())

    todo = importing.plan(session, admin_user.partnership, importing.establishments_of(pending))
    importing.apply(
        session, admin_user, admin_user.partnership, importing.establishments_of(pending)
    )
    session.commit()

    assert [(s.urn, s.reason) for s in todo.held_elsewhere] == [
        ("113001", "another partnership on this service has this URN")
    ]
    session.expire_all()
    assert theirs.name == "Their St Mary's"
    assert theirs.partnership_id == elsewhere.id
    assert count(session, School) == 3  # theirs, and the other two


def test_reimport_changes_names_and_addresses_and_leaves_clinics_alone(session, make, admin_user):
    officer = make.user(role="officer")
    ours = make.school(
        "St Mary's Primary", urn="113001", address="Church Lane", town="Exeter",
        postcode="EX1 2AB", slug="st-marys", contact_email="office@stmarys.example.org",
    )  # fmt: skip
    same = make.school(
        YSGOL, urn="113002", address="Heol y Groes", town="Tiverton", postcode="EX16 6AA"
    )
    officer.schools.append(ours)
    clinic = make.clinic(ours, officer)
    clinic_before = (clinic.title, clinic.school_id, clinic.date, clinic.status)
    pending = preview(session, admin_user, register())

    todo = importing.plan(session, admin_user.partnership, importing.establishments_of(pending))
    assert [(c.urn, c.changes) for c in todo.change] == [
        ("113001", {"name": ("St Mary's Primary", ST_MARYS)})
    ]
    assert todo.unchanged == 1
    assert [e.urn for e in todo.add] == ["113003"]
    importing.apply(
        session, admin_user, admin_user.partnership, importing.establishments_of(pending),
        agreed=todo.digest(),
    )  # fmt: skip
    session.commit()

    session.expire_all()
    assert (ours.name, ours.slug, ours.contact_email) == (
        ST_MARYS,
        "st-marys",
        "office@stmarys.example.org",
    )
    assert (clinic.title, clinic.school_id, clinic.date, clinic.status) == clinic_before
    assert [c.id for c in ours.clinics] == [clinic.id]
    assert ours.officers == [officer]
    assert same.name == YSGOL
    update = session.scalar(select(AuditEvent).where(AuditEvent.action == "school.update"))
    assert update.details == {
        "changed": {"name": ["St Mary's Primary", ST_MARYS]},
        "source": "gias",
    }


def test_nothing_is_imported_when_the_schools_changed_since_the_preview(session, make, admin_user):
    pending = preview(session, admin_user, register())
    establishments = importing.establishments_of(pending)
    agreed = importing.plan(session, admin_user.partnership, establishments).digest()
    make.school("Taken Meanwhile", urn="113002", partnership=make.partnership("Elsewhere"))

    with pytest.raises(importing.ImportRefused, match="changed since this preview"):
        importing.apply(session, admin_user, admin_user.partnership, establishments, agreed=agreed)
    session.rollback()

    assert session.scalars(select(School.urn)).all() == ["113002"]
    assert actions(session) == []


# --- the page -------------------------------------------------------------------------------

PAGE = "/admin/schools/import"
CHOICES = {"las": "Devon", "phases": ["Primary", "Secondary"]}


def upload(client, data: bytes | None, filename: str = FILENAME, **fields):
    page = client.get(PAGE)
    assert page.status_code == 200
    form = {"csrf_token": csrf_token(page), **CHOICES, **fields}
    if data is not None:
        form["file"] = (io.BytesIO(data), filename)
    return client.post(PAGE, data=form, content_type="multipart/form-data")


def press_import(client, preview_url: str):
    page = client.get(preview_url)
    html = page.get_data(as_text=True)
    import_id = preview_url.split("id=")[1]
    plan_key = html.split('name="plan_key" type="hidden" value="')[1].split('"')[0]
    return client.post(
        "/admin/schools/import/preview",
        data={"csrf_token": csrf_token(page), "import_id": import_id, "plan_key": plan_key},
    )


def test_upload_preview_then_import(admin_client, session, make, admin_user):
    make.school("St Mary's Primary", urn="113001", address="Church Lane", town="Exeter",
                postcode="EX1 2AB")  # fmt: skip
    make.school("Their School", urn="113003", partnership=make.partnership("Elsewhere"))

    response = upload(admin_client, register())

    assert response.status_code == 302
    preview_url = response.headers["Location"]
    assert "/admin/schools/import/preview?id=" in preview_url
    page = admin_client.get(preview_url).get_data(as_text=True)
    assert "Will be added: 1" in page and YSGOL in page
    assert "Will be changed: 1" in page
    assert "St Mary&#39;s Primary" in page and "St Mary’s C of E Primary School" in page
    assert "Skipped: 3" in page
    assert "Another partnership on this service has this URN" in page
    assert "Closed" in page
    assert "Bad row: “NOT A PC” is not a UK postcode" in page
    assert "2 rows, not imported" in page
    assert "GIAS does not publish schools’ email addresses" in page
    assert count(session, School) == 2  # the preview saved no school
    assert count(session, GiasImport) == 1

    done = press_import(admin_client, preview_url)

    assert done.status_code == 302
    assert done.headers["Location"].endswith("/admin/schools")
    listing = admin_client.get(done.headers["Location"]).get_data(as_text=True)
    assert "1 school added and 1 changed from GIAS" in listing
    assert "Add contact email" in listing
    assert count(session, School) == 3
    assert count(session, GiasImport) == 0
    added = session.scalar(select(School).where(School.urn == "113002"))
    school_page = admin_client.get(f"/admin/schools/{added.id}").get_data(as_text=True)
    assert "This school has no contact email" in school_page
    # The preview was used up: pressing again changes nothing.
    again = admin_client.post(
        "/admin/schools/import/preview",
        data={"csrf_token": csrf_token(admin_client.get(PAGE)), "import_id": preview_url},
    )
    assert again.headers["Location"].endswith(PAGE)
    assert count(session, School) == 3


def test_the_preview_page_has_unique_element_ids(admin_client, make):
    make.school("St Mary's Primary", urn="113001", address="Church Lane", town="Exeter",
                postcode="EX1 2AB")  # fmt: skip
    preview_url = upload(admin_client, register()).headers["Location"]

    ids = element_ids(admin_client.get(preview_url).get_data(as_text=True))

    assert len(ids) == len(set(ids))


def test_posts_without_a_csrf_token_import_nothing(admin_client, session):
    preview_url = upload(admin_client, register()).headers["Location"]
    html = admin_client.get(preview_url).get_data(as_text=True)
    plan_key = html.split('name="plan_key" type="hidden" value="')[1].split('"')[0]

    pressed = admin_client.post(
        "/admin/schools/import/preview",
        data={"import_id": preview_url.split("id=")[1], "plan_key": plan_key},
    )
    uploaded = admin_client.post(
        PAGE,
        data={**CHOICES, "file": (io.BytesIO(register()), FILENAME)},
        content_type="multipart/form-data",
    )

    for response in (pressed, uploaded):
        assert response.status_code == 200
        assert CSRF_MESSAGE in response.get_data(as_text=True)
    assert count(session, School) == 0
    assert count(session, GiasImport) == 1  # the first upload's preview only


def test_a_urn_taken_meanwhile_imports_nothing_and_says_so(admin_client, session, make):
    preview_url = upload(admin_client, register()).headers["Location"]
    page = admin_client.get(preview_url)
    html = page.get_data(as_text=True)
    plan_key = html.split('name="plan_key" type="hidden" value="')[1].split('"')[0]
    make.school("Taken Meanwhile", urn="113003", partnership=make.partnership("Elsewhere"))

    response = admin_client.post(
        "/admin/schools/import/preview",
        data={
            "csrf_token": csrf_token(page),
            "import_id": preview_url.split("id=")[1],
            "plan_key": plan_key,
        },
    )

    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "changed since this preview" in text
    assert "Will be added: 2" in text  # the new preview
    assert session.scalars(select(School.urn)).all() == ["113003"]
    assert "school.create" not in actions(session)


@pytest.mark.parametrize(
    ("data", "filename", "fields", "field", "message"),
    [
        (None, FILENAME, {}, "file", "Choose the GIAS establishment file"),
        (b"URN\r\n", "schools.xlsx", {}, "file", "The file must be a CSV file"),
        (b"Name,Town\r\nOak,Exeter\r\n", FILENAME, {}, "file", "This is not a GIAS"),
        (b"", FILENAME, {}, "file", "The file is empty"),
        (None, FILENAME, {"las": " , "}, "las", "Enter at least one local authority"),
        (None, FILENAME, {"las": "Devonn"}, "las", "No school in the file is in “Devonn”"),
        (None, FILENAME, {"phases": []}, "phases", "Select at least one phase of education"),
        (None, FILENAME, {"phases": ["Infants"]}, "phases", "Choose phases from the list"),
    ],
)  # fmt: skip
def test_bad_upload_is_shown_next_to_the_field_and_nothing_is_saved(
    admin_client, session, data, filename, fields, field, message
):
    if data is None and field != "file":
        data = register()
    response = upload(admin_client, data, filename, **fields)

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert error_links(page)[:1] == [field]
    assert f'id="{field}-error"' in page
    assert message in page
    assert count(session, School) == 0
    assert count(session, GiasImport) == 0


def test_the_upload_page_works_without_javascript(admin_client):
    page = admin_client.get(PAGE).get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page
    assert 'type="file"' in page and 'name="file"' in page
    assert 'value="Primary" checked' in page


def test_another_coordinators_preview_cannot_be_seen_or_imported(app, session, make, admin_client):
    from tests.conftest import sign_in

    preview_url = upload(admin_client, register()).headers["Location"]
    other = make.user(role="admin", email="other@example.org")
    other_client = sign_in(app.test_client(), other)

    response = other_client.get(preview_url)

    assert response.status_code == 302
    assert response.headers["Location"].endswith(PAGE)
    assert ST_MARYS not in other_client.get(PAGE).get_data(as_text=True)


def test_an_expired_preview_asks_for_the_file_again(app, admin_client, session):
    preview_url = upload(admin_client, register()).headers["Location"]
    app.config["GIAS_PREVIEW_MINUTES"] = 0

    response = admin_client.get(preview_url)

    assert response.headers["Location"].endswith(PAGE)
    page = admin_client.get(PAGE).get_data(as_text=True)
    assert "That preview has expired or was already imported" in page


def test_the_upload_may_be_bigger_than_a_form_up_to_its_own_limit(app, admin_client, session):
    padding = [
        row(f"{300000 + n}", f"Torbay School {n}", la=("880", "Torbay")) for n in range(6000)
    ]
    data = register() + extract(padding).split(b"\r\n", 1)[1]  # rows after the header
    assert len(data) > app.config["MAX_CONTENT_LENGTH"]

    assert upload(admin_client, data).status_code == 302  # over a form's 1 MB, under 100 MB
    app.config["GIAS_MAX_UPLOAD_MB"] = 1
    assert upload(admin_client, data).status_code == 413
    # Every other form keeps the 1 MB limit.
    big = admin_client.post("/admin/schools/new", data={"name": "x" * (2 * 1024 * 1024)})
    assert big.status_code == 413


# --- the command ----------------------------------------------------------------------------


def test_command_dry_run_prints_the_preview_and_saves_nothing(app, session, make, tmp_path):
    make.default_partnership()
    make.partnership("Elsewhere")
    path = tmp_path / FILENAME
    path.write_bytes(register())

    result = app.test_cli_runner().invoke(
        args=["schools", "import-gias", str(path), "--partnership", "default",
              "--la", "878", "--phase", "Primary", "--phase", "Secondary", "--dry-run"]
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert "Will be added: 3" in result.output
    assert f"113001  {ST_MARYS} (Church Lane, Exeter, EX1 2AB; Primary)" in result.output
    assert "line 5: 113004  Old Mill Primary School: closed" in result.output
    assert "Dry run: nothing was saved." in result.output
    assert count(session, School) == 0


def test_command_imports_then_updates(app, session, make, tmp_path):
    make.default_partnership()
    path = tmp_path / FILENAME
    path.write_bytes(register())
    runner = app.test_cli_runner()

    first = runner.invoke(args=["schools", "import-gias", str(path), "--la", "Devon"])
    assert first.exit_code == 0, first.output
    assert "Imported: 3 added, 0 changed." in first.output
    path.write_bytes(register(**{"113003": row("113003", "Coláiste Nua", town="Crediton",
                                               postcode="EX17 1AA")}))  # fmt: skip
    second = runner.invoke(args=["schools", "import-gias", str(path), "--la", "Devon"])

    assert second.exit_code == 0, second.output
    assert f"Name: {COLAISTE} → Coláiste Nua" in second.output
    assert "Imported: 0 added, 1 changed." in second.output
    session.expire_all()
    assert session.scalar(select(School.slug).where(School.urn == "113003")) == "colaiste-eanna"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--la", "Devon", "--partnership", "nope"], "No partnership with slug 'nope'"),
        (["--la", "Devonn"], "No school in the file is in “Devonn”"),
        (["--la", "Devon", "--phase", "Infants"], "'Infants' is not a GIAS phase of education"),
    ],
)
def test_command_refusals(app, session, make, tmp_path, args, message):
    make.default_partnership()
    path = tmp_path / FILENAME
    path.write_bytes(register())

    result = app.test_cli_runner().invoke(args=["schools", "import-gias", str(path), *args])

    assert result.exit_code != 0
    assert message in result.output
    assert count(session, School) == 0


def test_command_needs_the_partnership_when_there_are_several(app, make, tmp_path):
    make.default_partnership()
    make.partnership("Elsewhere")
    path = tmp_path / FILENAME
    path.write_bytes(register())

    result = app.test_cli_runner().invoke(args=["schools", "import-gias", str(path), "--la", "878"])

    assert result.exit_code == 2
    assert "Name the partnership with --partnership SLUG" in result.output


def test_command_refuses_a_file_that_is_not_the_extract(app, make, tmp_path):
    make.default_partnership()
    path = tmp_path / "schools.csv"
    path.write_bytes("Name,Town\r\nOak,Exeter\r\n".encode("cp1252"))

    result = app.test_cli_runner().invoke(args=["schools", "import-gias", str(path), "--la", "878"])

    assert result.exit_code == 1
    assert "This is not a GIAS establishment file" in result.output
    assert gias.URN in result.output
