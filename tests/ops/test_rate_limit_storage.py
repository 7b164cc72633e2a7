"""Production will not start with per-process (memory://) rate limits unless told so on
purpose, and `flask doctor` says the same."""

import pytest

from clinic import create_app
from clinic.ops import doctor

KEY = "0123456789abcdef" * 4
PRODUCTION = {"SECRET_KEY": KEY, "BASE_URL": "https://clinics.example.org"}


@pytest.mark.parametrize("uri", ["", "memory://"])
def test_production_refuses_memory_rate_limits(monkeypatch, uri):
    monkeypatch.setenv("CLINIC_CONFIG", "production")
    with pytest.raises(RuntimeError) as refused:
        create_app(PRODUCTION | {"RATELIMIT_STORAGE_URI": uri})
    message = str(refused.value)
    assert "RATELIMIT_STORAGE_URI" in message and "RATELIMIT_ALLOW_MEMORY=1" in message
    assert "each process would keep its own" in message


def test_production_starts_with_memory_rate_limits_on_purpose(monkeypatch):
    monkeypatch.setenv("CLINIC_CONFIG", "production")
    app = create_app(
        PRODUCTION | {"RATELIMIT_STORAGE_URI": "memory://", "RATELIMIT_ALLOW_MEMORY": True}
    )
    [finding] = doctor.check_rate_limits(app.config)
    assert finding.ok and "on purpose" in finding.text


def test_production_starts_with_shared_storage(monkeypatch):
    monkeypatch.setenv("CLINIC_CONFIG", "production")
    create_app(PRODUCTION | {"RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/15"})


def test_doctor_agrees():
    production = {"PRODUCTION": True, "RATELIMIT_STORAGE_URI": "memory://"}
    [finding] = doctor.check_rate_limits(production)
    assert not finding.ok
    assert "each process would keep its own" in finding.text
    assert "RATELIMIT_ALLOW_MEMORY=1" in finding.fix
    [development] = doctor.check_rate_limits({"RATELIMIT_STORAGE_URI": "memory://"})
    assert development.ok
