"""Operations: backups, health and readiness, metrics, structured logs, deployment checks.

``register(app)`` (called by ``create_app()``) sets up the logs and request ids, the
``/readyz`` and ``/metrics`` endpoints and the ``flask backup`` and ``flask doctor``
commands.  Cron commands elsewhere mark themselves with ``clinic.ops.jobs.record_run``.
"""

from flask import Flask

from . import models  # noqa: F401 - the job_run table is on the shared metadata


def register(app: Flask) -> None:
    from . import logs, metrics, redact, views
    from .backup_cli import backup_cli
    from .doctor import doctor_command

    logs.configure(app)
    redact.learn_routes(app.url_map)
    metrics.register(app)
    app.register_blueprint(views.bp)
    app.cli.add_command(backup_cli)
    app.cli.add_command(doctor_command)
