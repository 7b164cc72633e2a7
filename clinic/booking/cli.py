"""STUB: `flask reminders send`."""

from flask.cli import AppGroup

reminders_cli = AppGroup("reminders", help="Reminder emails to parents.")
