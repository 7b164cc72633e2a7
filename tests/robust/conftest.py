"""Hypothesis settings for the robustness tests: bounded, so the suite keeps its time.

``HYPOTHESIS_PROFILE=ci`` (the default under CI=true) draws the same examples every run
and keeps no example database; ``dev`` draws new ones each run.  ``thorough`` is for a
long look by hand (``HYPOTHESIS_PROFILE=thorough pytest tests/robust/test_fuzz.py``).
"""

import os

import pytest
from hypothesis import HealthCheck, settings

from tests.conftest import IN_CI

_COMMON = dict(
    deadline=None,  # a request's time is not what is tested (and the machine is shared)
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.register_profile("ci", max_examples=40, derandomize=True, **_COMMON)
settings.register_profile("dev", max_examples=40, **_COMMON)
settings.register_profile("thorough", max_examples=1000, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if IN_CI else "dev"))


@pytest.fixture(autouse=True)
def _no_booking_limits(request):
    """Parents' rate limits would turn most examples into 429s; they have tests of their own."""
    if "app" in request.fixturenames:
        app = request.getfixturevalue("app")
        for name in (
            "BOOKING_LIMIT_PER_ADDRESS",
            "BOOKING_LIMIT_PER_SESSION",
            "BOOKING_LIMIT_PER_EMAIL",
            "WAITLIST_LIMIT_PER_ADDRESS",
            "WAITLIST_LIMIT_PER_SESSION",
            "WAITLIST_LIMIT_PER_EMAIL",
            "EMAIL_LINK_LIMIT_PER_EMAIL",
            "EMAIL_LINK_LIMIT_PER_ADDRESS",
            "REAUTH_LIMIT_PER_ACCOUNT",
        ):
            app.config[name] = "1000000 per hour"
