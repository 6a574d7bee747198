"""Request bodies take what their JSON Schema allows and nothing else: a boolean or a numeric string is not
an integer, 2.0 is; a string is not a boolean (sdmd/jsontypes.py). Nothing is created by a refused body."""

from __future__ import annotations


def test_an_integer_field_takes_json_integers_only(client):
    for value in (True, "30", 2.5):
        r = client.post("/api/security/tokens", json={"name": "ci", "expires_in_days": value})
        assert r.status_code == 422, (value, r.text)
        assert r.json()["error"] == "invalid input" and "expires_in_days" in r.json()["details"]
    assert client.get("/api/security/tokens").json() == []
    r = client.post("/api/security/tokens", json={"name": "ci", "expires_in_days": 2.0})
    assert r.status_code == 201, r.text
    assert [t["name"] for t in client.get("/api/security/tokens").json()] == ["ci"]


def test_a_boolean_field_takes_json_booleans_only(client):
    for value in ("true", 1):
        r = client.put("/api/security/settings", json={"require_mfa": value})
        assert r.status_code == 422, (value, r.text)
    assert client.get("/api/security/settings").json()["require_mfa"] is False
