"""Attendance lists, printable sheets, CSV/PDF, check-in, follow-up and figures."""
