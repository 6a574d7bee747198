"""Every short port form and volume form goes through compose's real parser unchanged in meaning."""

from __future__ import annotations

import pytest

from sdmd.errors import InvalidInput
from sdmd.services.changes import Definition, validate
from tests.support import IMAGE_V1


@pytest.mark.parametrize("port, expected", [
    ("80", {"target": 80, "protocol": "tcp"}),
    (80, {"target": 80, "protocol": "tcp"}),
    ("8080:80", {"target": 80, "published": "8080", "protocol": "tcp"}),
    ("127.0.0.1:8080:80/udp", {"target": 80, "published": "8080", "host_ip": "127.0.0.1", "protocol": "udp"}),
    ("127.0.0.1::80", {"target": 80, "host_ip": "127.0.0.1", "protocol": "tcp"}),
    ("9000-9001:9000-9001", {"target": 9000, "published": "9000", "protocol": "tcp"}),
])
def test_port_short_forms(core, port, expected):
    definition = Definition.from_json({"name": "ports", "image": IMAGE_V1, "ports": [port]})
    model = validate(core, "ports", definition.text(None))
    first = model["services"]["ports"]["ports"][0]
    assert {k: first.get(k) for k in expected} == expected


@pytest.mark.parametrize("environment", [{"A": "1", "B": 2, "C": None}, ["A=1", "B=2", "C"]])
def test_environment_map_or_list(core, environment):
    definition = Definition.from_json({"name": "env", "image": IMAGE_V1, "environment": environment})
    model = validate(core, "env", definition.text(None))
    assert model["services"]["env"]["environment"]["A"] == "1"
    assert model["services"]["env"]["environment"]["B"] == "2"


def test_unknown_compose_key_is_reported_by_compose(core):
    definition = Definition.from_json({"name": "odd", "image": IMAGE_V1, "no_such_key": 1})
    with pytest.raises(InvalidInput) as err:
        validate(core, "odd", definition.text(None))
    assert "no_such_key" in err.value.details
    assert "odd/compose.yaml" in err.value.details and ".draft-" not in err.value.details
