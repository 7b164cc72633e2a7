"""gunicorn settings for the booking service: ``gunicorn --config deploy/gunicorn.conf.py``.

Used as it is by ``make run`` and by the production unit (``deploy/clinic-web.service``);
each value can be changed with the environment variable named beside it, so one file
serves a laptop and a server.  ``gunicorn --check-config --config deploy/gunicorn.conf.py``
checks it (the tests do, and start it).
"""

import os
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = Path(os.environ.get("CLINIC_INSTANCE_DIR", ROOT / "instance"))
# systemd's RuntimeDirectory= sets RUNTIME_DIRECTORY (/run/clinics); elsewhere instance/run.
RUN_DIR = Path(os.environ.get("RUNTIME_DIRECTORY", INSTANCE / "run"))

wsgi_app = "wsgi:app"
chdir = str(ROOT)

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",")
# Threaded workers, one per core, 4 threads each: what measured best with `make bench`
# (README, "Why threaded workers"); a sync worker waits idle on every database round trip.
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
workers = int(os.environ.get("GUNICORN_WORKERS", str(os.cpu_count() or 2)))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# Generous: a PDF of a long attendance list or SQLite queueing writers under a rush can
# take seconds; gunicorn kills a worker silent for this long and the parent sees a 502.
# The master imports the app once and forks the workers from it, which share those pages
# (with wsgi.py's gc.freeze(): 55 MiB of its own per worker instead of 81, `python -m
# bench.memory`; README, "Workers share the imported app").  Each worker opens its own
# database connections after the fork (clinic/__init__.py).  New code needs a restart
# (`systemctl restart`); a reload (HUP) re-reads these settings and renews the workers.
preload_app = os.environ.get("GUNICORN_PRELOAD", "1") == "1"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# A worker is replaced after this many requests (with jitter), so a slow leak cannot grow.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "200"))

# The proxy in front (nginx, the load balancer) is the only one allowed to set
# X-Forwarded-*; list its addresses when it is on another machine.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# gunicorn 27 opens a control socket, by default ~/.gunicorn/gunicorn.ctl: two servers of
# one user would take each other's.  One per instance, named after the port.
_port = bind[0].rsplit(":", 1)[-1].replace("/", "_")
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET", str(RUN_DIR / f"gunicorn-{_port}.ctl"))

# Logs: to stderr (journald under systemd), through the service's logger, which blanks
# parents' link tokens and email addresses and writes JSON when LOG_FORMAT=json (the
# production default).  Access lines carry the request id the app gives each request.
logger_class = "clinic.ops.gunicorn_logging.Logger"
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = os.environ.get("GUNICORN_ERROR_LOG", "-")
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%(h)s [%({x-request-id}o)s] "%(r)s" %(s)s %(b)s %(M)sms "%(f)s" "%(a)s"'

# Prometheus: each worker writes its counts to files in this folder, /metrics adds them
# up.  The folder is emptied when gunicorn starts (old workers' counts would otherwise
# linger), and a worker's live gauges are dropped when it exits.
_metrics = Path(os.environ.get("PROMETHEUS_MULTIPROC_DIR", RUN_DIR / f"metrics-{_port}"))
os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(_metrics)
_metrics.mkdir(parents=True, exist_ok=True)  # `--check-config` loads the app without on_starting


def on_starting(server):
    shutil.rmtree(_metrics, ignore_errors=True)
    _metrics.mkdir(parents=True, exist_ok=True)
    Path(control_socket).parent.mkdir(parents=True, exist_ok=True)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def when_ready(server):
    # Imported here: without preload_app the master never loads the app.
    from clinic.prefork import when_ready as warm_before_forking

    warm_before_forking(server)
