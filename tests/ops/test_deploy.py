"""deploy/: the systemd units parse and their commands run; gunicorn's settings file checks
out and serves; ``make run`` and the documented production command use both.

systemd is not running here (no PID 1 to start units with), so each unit is checked by
``systemd-analyze verify`` (paths pointed at this checkout) and each unit's command line
is run as the unit would run it, on the test's database.
"""

from __future__ import annotations

import configparser
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from clinic.ops import doctor
from tests.conftest import IN_CI
from tests.ops.support import ROOT, app_env, get, gunicorn, wait_for_socket

DEPLOY = ROOT / "deploy"
INSTALLED_AT = "/opt/clinics"
UNITS = sorted(p for p in DEPLOY.iterdir() if p.suffix in (".service", ".timer"))


def _unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str
    parser.read_string(path.read_text())
    return parser


def _command(service: Path) -> list[str]:
    line = _unit(service)["Service"]["ExecStart"].replace(INSTALLED_AT, str(ROOT))
    return shlex.split(line)


def _systemd_analyze() -> str:
    found = shutil.which("systemd-analyze")
    if found is None:
        message = "systemd-analyze is needed (Debian's systemd package)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return found


def test_every_unit_passes_systemd_analyze_verify(tmp_path):
    analyze = _systemd_analyze()
    copies = []
    for unit in UNITS:
        copy = tmp_path / unit.name
        copy.write_text(unit.read_text().replace(INSTALLED_AT, str(ROOT)))
        copies.append(str(copy))
    done = subprocess.run(
        [analyze, "verify", *copies], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == "" and done.stderr.strip() == "", done.stdout + done.stderr


def test_every_timer_is_a_valid_calendar_with_its_service():
    analyze = _systemd_analyze()
    timers = [u for u in UNITS if u.suffix == ".timer"]
    for timer in timers:
        assert (DEPLOY / f"{timer.stem}.service").exists(), timer.name
        calendar = _unit(timer)["Timer"]["OnCalendar"]
        done = subprocess.run(
            [analyze, "calendar", calendar], capture_output=True, text=True, timeout=30, check=False
        )
        assert done.returncode == 0, (timer.name, done.stderr)


def test_every_cron_command_has_a_timer(app):
    """What `flask doctor` expects to have run is what the timers run."""
    timed = {
        " ".join(_command(DEPLOY / f"{t.stem}.service")[3:]) for t in UNITS if t.suffix == ".timer"
    }
    for name in app.config["CRON_JOBS"]:
        assert name in timed, f"no timer in deploy/ runs `flask {name}`"


@pytest.mark.slow
def test_each_unit_command_runs_as_the_unit_would(app, database_url, tmp_path):
    """The oneshot services' commands, and one round of the outbox worker, on this database."""
    sa_url = sa.make_url(database_url)
    env = app_env(tmp_path, database_url, BACKUP_DIR=str(tmp_path / "backups"))
    ran = []
    for service in (u for u in UNITS if u.suffix == ".service" and u.stem != "clinic-web"):
        command = _command(service)
        name = " ".join(command[3:])
        if name not in doctor.scheduled_jobs(app) and "outbox worker" not in name:
            continue  # a command this release does not have yet
        if name == "outbox worker":
            command.append("--once")
        done = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
        )
        assert done.returncode == 0, (service.name, done.stdout, done.stderr)
        ran.append(name)
    assert {"reminders send", "backup create", "outbox worker"} <= set(ran)
    engine = sa.create_engine(sa_url)
    with engine.connect() as conn:
        recorded = set(conn.exec_driver_sql("SELECT name FROM job_run").scalars())
    engine.dispose()
    assert set(ran) - {"outbox worker"} <= recorded


def test_gunicorn_check_config(tmp_path):
    env = app_env(tmp_path, f"sqlite:///{tmp_path / 'c.sqlite3'}")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--check-config",
            "--config",
            str(DEPLOY / "gunicorn.conf.py"),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.slow
def test_gunicorn_serves_with_the_production_settings_file(app, database_url, tmp_path):
    """Production settings, the conf's own defaults for the control socket (one per port,
    in RUNTIME_DIRECTORY as systemd gives it): /healthz and /readyz answer."""
    env = app_env(
        tmp_path,
        database_url,
        CLINIC_CONFIG="production",
        SECRET_KEY="0123456789abcdef" * 4,
        BASE_URL="https://clinics.example.org",
        RUNTIME_DIRECTORY=str(tmp_path / "run"),
        RATELIMIT_STORAGE_URI=os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15"),
    )
    with gunicorn(tmp_path, env, workers=2, threads=2, own_control_socket=False) as server:
        status, headers, body = get(server.base_url + "/healthz")
        assert status == 200 and '"ok"' in body
        assert len(headers["X-Request-ID"]) == 16
        ready = get(server.base_url + "/readyz")
        assert ready[0] == 200 and '"ready"' in ready[2]
        port = server.base_url.rsplit(":", 1)[1]
        control = tmp_path / "run" / f"gunicorn-{port}.ctl"
        assert wait_for_socket(control), (sorted((tmp_path / "run").iterdir()), server.logs())
    logs = server.err.read_text()
    assert logs.count("Booting worker") == 2
    assert "Using worker: gthread" in logs


def test_two_servers_side_by_side_each_have_their_own_control_socket(app, database_url, tmp_path):
    """As two `make run PORT=...` in one checkout: the same folders, two ports."""
    env = app_env(tmp_path, database_url, RUNTIME_DIRECTORY=str(tmp_path / "run"))
    with (
        gunicorn(tmp_path, env, workers=1, threads=2, own_control_socket=False) as first,
        gunicorn(tmp_path, env, workers=1, threads=2, own_control_socket=False) as second,
    ):
        sockets = []
        for server in (first, second):
            assert get(server.base_url + "/healthz")[0] == 200
            port = server.base_url.rsplit(":", 1)[1]
            control = tmp_path / "run" / f"gunicorn-{port}.ctl"
            assert wait_for_socket(control), (sorted((tmp_path / "run").iterdir()), server.logs())
            sockets.append(control)
        # One socket each (both servers were up before either was looked at: neither took,
        # and so unlinked, the other's), and no third one they share.
        assert sockets[0] != sockets[1]
        assert sorted((tmp_path / "run").glob("*.ctl")) == sorted(sockets)


def test_make_run_and_the_documented_command_use_the_settings_file():
    makefile = (ROOT / "Makefile").read_text()
    run = next(line for line in makefile.splitlines() if "gunicorn" in line and "BIN" in line)
    assert "--config deploy/gunicorn.conf.py" in run
    # The settings file names the control socket after the port; a fixed path given here
    # would make two `make run PORT=...` of one checkout take each other's.
    assert "--control-socket" not in run
    assert "GUNICORN_BIND=127.0.0.1:$(PORT)" in makefile
    assert "run: export BASE_URL ?= http://127.0.0.1:$(PORT)" in makefile
    readme = (ROOT / "README.md").read_text()
    assert "gunicorn --config deploy/gunicorn.conf.py" in readme
    assert "--access-logfile" not in run  # the settings file's redacting logger does it
