"""The Kubernetes deployment of the exchange service, parse-checked (issue 13, audit H8).

The hub pod runs partyquiz code (the exchange service, the hub pages): the values file must name
a hub image that has partyquiz installed, the recipe for it must exist and be documented, and
the values file's hub config must configure the service as the product's hub config does.
"""
from __future__ import annotations

import re
from pathlib import Path

import yaml
from traitlets.config import Config

REPO = Path(__file__).resolve().parents[1]
VALUES = REPO / "deploy" / "k8s" / "values.yaml"
DOCKERFILE = REPO / "deploy" / "k8s" / "hub.Dockerfile"


def _values() -> dict:
    return yaml.safe_load(VALUES.read_text(encoding="utf-8"))


def test_the_hub_image_is_ours_not_the_charts_default():
    image = _values()["hub"]["image"]
    assert image["name"] and "k8s-hub" not in image["name"] and "jupyterhub/" not in image["name"]
    assert isinstance(image["tag"], str) and image["tag"]


def test_the_hub_image_recipe_installs_partyquiz_on_the_python_the_service_runs_with():
    recipe = DOCKERFILE.read_text(encoding="utf-8")
    base = re.search(r"^FROM (\S+)", recipe, re.M).group(1)
    assert base.startswith("python:3.11")  # partyquiz requires 3.11 (pyproject.toml)
    assert re.search(r"pip install[^\n]*\\\n\s+partyquiz\b", recipe)
    assert "import partyquiz.exchange.service" in recipe  # the build fails if the service cannot start
    snippet = _values()["hub"]["extraConfig"]["partyquiz-exchange"]
    python = re.search(r'python="([^"]+)"', snippet).group(1)
    assert python == "/usr/local/bin/python"  # where python:3.11 images have it
    assert "USER 1000" in recipe and "/srv/exchange-service" in recipe  # the volume's mount, writable by the hub


def test_the_values_hub_config_sets_up_the_exchange_service():
    values = _values()
    c = Config()
    exec(compile(values["hub"]["extraConfig"]["partyquiz-exchange"], "values.yaml", "exec"), {"c": c})
    [service] = [s for s in c.JupyterHub.services if s["name"] == "exchange"]
    assert service["url"] == "http://hub:10102"
    assert service["command"] == ["/usr/local/bin/python", "-m", "partyquiz.exchange.service"]
    assert service["environment"]["PARTYQUIZ_EXCHANGE_DATA"] == values["hub"]["extraVolumeMounts"][0]["mountPath"]
    assert "access:services!service=exchange" in c.Spawner.server_token_scopes
    ports = {p["port"] for p in values["hub"]["service"]["extraPorts"]}
    assert 10102 in ports and values["singleuser"]["extraEnv"]["PARTYQUIZ_EXCHANGE_URL"] == "http://hub:10102/services/exchange/"


def test_the_guide_says_how_to_build_the_hub_image():
    guide = (REPO / "docs" / "deploy.md").read_text(encoding="utf-8")
    image = _values()["hub"]["image"]
    assert "deploy/k8s/hub.Dockerfile" in guide and f"{image['name']}:{image['tag']}" in guide
    assert "docker build" in guide
