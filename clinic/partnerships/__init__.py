"""Partnerships (issue 21): the service owner's list and "Add a partnership", and each
coordinator's "Partnership settings" page; ``flask partnerships create``."""
