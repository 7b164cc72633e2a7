"""Starting the app stays quick and small: the heavy libraries load only where they are used.

Every `flask` command, cron run and gunicorn worker imports wsgi; WeasyPrint (with its
fonts and CSS engine), qrcode (with Pillow) and holidays cost a second or more on a busy
machine, and only PDFs, posters and the clinic-day check need them.  Flask-Migrate with
Alembic, Mako and Pygments (about 25 MiB) and zxcvbn's password lists (11 MiB) are for
`flask db` and for setting a password, never in every web worker (issue 19); redis only
when rate limits are kept in it; cryptography (9 MiB) only when a partnership's own Notify
key is read or written."""

import subprocess
import sys

from tests.conftest import ROOT

HEAVY = (
    "weasyprint",
    "qrcode",
    "PIL",
    "holidays",
    "fontTools",
    "notifications_python_client",
    "requests",
    "webauthn",
    "flask_migrate",
    "alembic",
    "mako",
    "pygments",
    "zxcvbn",
    "redis",
    "cryptography",
)


def test_importing_the_app_loads_no_heavy_library():
    code = f"import sys, wsgi; print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    run = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={"CLINIC_CONFIG": "development", "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip() == "", f"imported at start: {run.stdout.strip()}"


def test_the_heavy_libraries_still_load_where_they_are_used():
    """The lazy imports are real: a PDF, a QR code and a bank holiday still come out."""
    from datetime import date

    from clinic.attendance.sheets import build_pdf
    from clinic.booking.page_views import qr_svg
    from clinic.workdays import bank_holiday

    assert build_pdf("<p>Sheet</p>").startswith(b"%PDF")
    assert "<path" in str(qr_svg("https://example.org/s/oak", "QR code"))
    assert bank_holiday(date(2026, 12, 28)) == "Boxing Day (observed)"


def test_flask_db_loads_flask_migrate_when_it_is_run(app):
    """``flask db`` lists and runs Flask-Migrate's commands, loaded when asked (the
    password checks that load zxcvbn are tests/auth/test_passwords.py)."""
    result = app.test_cli_runner().invoke(args=["db", "--help"])
    assert result.exit_code == 0, result.output
    assert "upgrade" in result.output and "downgrade" in result.output
    result = app.test_cli_runner().invoke(args=["db", "heads"])
    assert result.exit_code == 0, result.output  # Alembic read the migrations' heads
