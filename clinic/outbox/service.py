"""STUB — being written: queue_email(), send_due(), register(app)."""

from flask import Flask


def queue_email(session, *, to, subject, template, context, kind, calendar=None, attachments=()):
    raise NotImplementedError


def register(app: Flask) -> None:
    pass
