"""Queueing and sending email through the outbox table (design rule 4)."""
