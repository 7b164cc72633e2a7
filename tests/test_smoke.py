def test_health_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_sign_in_and_out(admin_client):
    page = admin_client.get("/staff/account")
    assert page.status_code == 200
