"""STUB: `flask attendance send-lists`."""

from flask.cli import AppGroup

attendance_cli = AppGroup("attendance", help="Attendance lists for schools.")
