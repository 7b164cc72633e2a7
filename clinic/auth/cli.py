"""`flask users create`: add a staff account from the command line."""

import click
from flask import url_for
from flask.cli import AppGroup
from sqlalchemy import select

from ..extensions import db
from ..models import ROLES, School
from . import service

users_cli = AppGroup("users", help="Manage staff accounts.")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option(
    "--school",
    "school_slug",
    help="School slug: the school of a school user, or a school to assign an officer to.",
)
@click.option("--link", is_flag=True, help="Print a set-password link instead of asking.")
def create(email, name, role, school_slug, link):
    """Create a staff account, asking for its password (or printing a set-password link)."""
    school = None
    if school_slug:
        school = db.session.scalar(select(School).where(School.slug == school_slug))
        if school is None:
            raise click.UsageError(f"No school with slug {school_slug!r}")
    password = None
    if not link:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = service.create_user(
            db.session,
            email=email,
            name=name,
            role=role,
            school=school if role == "school" else None,
            password=password,
            actor="cli",
        )
    except service.AccountError as exc:
        raise click.UsageError(str(exc)) from exc
    if role == "officer" and school is not None:
        user.schools.append(school)
    db.session.commit()
    click.echo(f"Created {role} {user.email}.")
    if link:
        from flask import current_app

        with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
            url = url_for("auth.set_password", token=service.password_token(user), _external=True)
        click.echo(f"Set-password link (valid 3 days, works once):\n{url}")
