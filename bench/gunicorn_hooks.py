"""gunicorn's hooks for the bench's servers (``--config python:bench.gunicorn_hooks``):
the production file's ``when_ready``, so a preloaded bench master warms the app as
``deploy/gunicorn.conf.py`` does (``clinic.prefork``)."""


def when_ready(server):
    from clinic.prefork import when_ready as warm_before_forking

    warm_before_forking(server)
