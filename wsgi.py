"""Entry point for gunicorn: ``gunicorn wsgi:app``."""

import gc

from clinic import create_app

app = create_app()
# What importing made lives as long as the process: the collector stops walking it, so a
# worker forked from a preloading master (deploy/gunicorn.conf.py) does not copy the
# pages it shares just to look at them (CPython's advice for forking servers).
gc.freeze()
