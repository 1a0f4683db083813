"""The OpenAPI schema: valid without a single warning, served to token holders, every route in it."""

import json

import pytest
import yaml
from django.core.management import call_command
from django.urls import reverse

from api.urls import router

from .conftest import token_client

pytestmark = pytest.mark.django_db


def test_schema_generation_is_valid_without_warnings(tmp_path):
    # --fail-on-warn turns every warning (an untyped field, a name collision) into a failure.
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    schema = yaml.safe_load(target.read_text(encoding="utf-8"))
    for prefix, _viewset, _basename in router.registry:
        assert f"/api/v1/{prefix}/" in schema["paths"]
    assert set(schema["components"]["securitySchemes"]) == {"tokenAuth", "cookieAuth"}


def test_the_schema_is_served_as_yaml_and_json(world):
    client = token_client(world.officer)
    response = client.get(reverse("api:schema"))
    assert response.status_code == 200
    assert "/api/v1/tasks/" in yaml.safe_load(response.content)["paths"]
    response = client.get(reverse("api:schema"), {"format": "json"})
    assert response.status_code == 200
    paths = json.loads(response.content)["paths"]
    # Read-only: no path offers anything but GET.
    assert {method for path in paths.values() for method in path} == {"get"}
