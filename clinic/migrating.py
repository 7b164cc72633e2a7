"""Flask-Migrate, loaded only where migrations run.

Flask-Migrate brings Alembic, Mako and Pygments (about 25 MiB a process, a tenth of a
second to import), and a web worker never migrates.  So the app carries a stand-in:
``app.extensions["migrate"]`` knows the migrations' folder (the readiness check reads
it) and makes the real settings the first time anything else is asked of it (Alembic's
``env.py``, ``flask_migrate.upgrade`` in scripts and tests), and ``flask db`` is a group
that loads Flask-Migrate's own commands when it is run.
"""

from __future__ import annotations

import click
from flask import Flask

from config import BASE_DIR

from .extensions import db

DIRECTORY = str(BASE_DIR / "migrations")


def register(app: Flask) -> None:
    app.extensions["migrate"] = _Settings(app)
    app.cli.add_command(_Commands("db", help="Database migrations (Flask-Migrate)."))


def load(app: Flask):
    """Flask-Migrate's settings for ``app``, made now if they were not yet."""
    if isinstance(app.extensions.get("migrate"), _Settings):
        from flask_migrate import Migrate

        Migrate().init_app(app, db, directory=DIRECTORY, render_as_batch=True)
    return app.extensions["migrate"]


class _Settings:
    """Stands for Flask-Migrate's settings until something other than the folder is asked."""

    directory = DIRECTORY

    def __init__(self, app: Flask):
        self._app = app

    def __getattr__(self, name: str):  # only for what is not set here: migrate, db, ...
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(load(self._app), name)


class _Commands(click.Group):
    """``flask db ...``: Flask-Migrate's command group, imported when it is run (click
    makes a command's context first: from then on the real group runs it)."""

    @staticmethod
    def _real() -> click.Group:
        from flask_migrate.cli import db as commands

        return commands

    def make_context(self, info_name, args, parent=None, **extra) -> click.Context:
        return self._real().make_context(info_name, args, parent=parent, **extra)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return self._real().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return self._real().get_command(ctx, cmd_name)
