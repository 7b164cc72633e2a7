"""Counts for the partnership by school and month; they survive anonymisation."""
