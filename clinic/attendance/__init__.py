"""Attendance on the day: lists, printable sheets, CSV/PDF, sending lists to schools, check-in."""
