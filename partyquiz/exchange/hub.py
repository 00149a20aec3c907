"""Wiring the exchange service into a JupyterHub config, and nbgrader into the service.

`configure_hub(c, …)` (called from partyquiz/hub/jupyterhub_config.py and usable from any
production hub config) adds the managed service, lets every member of `learners` and
`instructors` reach it, lets single-user server tokens reach it, and gives the service the one
scope it needs: to read a caller's groups (instructor or not).

`use_service(c, url)` in a user's nbgrader config selects the service exchange classes through
nbgrader's ExchangeFactory. `use_service_from_env(c)` does so when `PARTYQUIZ_EXCHANGE_URL` is
set (the spawner sets it), and leaves the filesystem exchange otherwise (the hub-less demo).
"""
from __future__ import annotations

import os
from pathlib import Path

from . import factory_config

SERVICE = "exchange"
ACCESS_SCOPE = f"access:services!service={SERVICE}"


def service_url(port: int, host: str = "127.0.0.1") -> str:
    return f"http://{host}:{port}/services/{SERVICE}/"


def configure_hub(c, *, port: int, data_dir: Path | str, python: str, groups=("instructors", "learners"),
                  max_bytes: int | None = None, extra_env: dict | None = None) -> str:
    """Add the exchange service to hub config `c`; returns the URL servers should call."""
    env = {"PARTYQUIZ_EXCHANGE_DATA": str(data_dir), "PATH": os.environ.get("PATH", "")}
    if max_bytes:
        env["PARTYQUIZ_EXCHANGE_MAX_BYTES"] = str(max_bytes)
    env.update(extra_env or {})
    services = list(c.JupyterHub.services) if "services" in c.JupyterHub else []
    services.append({"name": SERVICE, "url": f"http://127.0.0.1:{port}",
                     "command": [python, "-m", "partyquiz.exchange.service"], "environment": env})
    c.JupyterHub.services = services
    roles = list(c.JupyterHub.load_roles) if "load_roles" in c.JupyterHub else []
    roles += [
        {"name": "exchange-user", "groups": list(groups), "scopes": [ACCESS_SCOPE]},
        # the service asks the hub whether a caller is in `instructors`; nothing more
        {"name": "exchange-service", "services": [SERVICE], "scopes": ["read:users:groups", "read:users:name"]},
    ]
    c.JupyterHub.load_roles = roles
    scopes = list(c.Spawner.server_token_scopes) if "server_token_scopes" in c.Spawner else [
        "users:activity!user", "access:servers!server"]
    if ACCESS_SCOPE not in scopes:
        c.Spawner.server_token_scopes = [*scopes, ACCESS_SCOPE]
    return service_url(port)


def use_service(c, url: str) -> None:
    for section, values in factory_config(url).items():
        for name, value in values.items():
            setattr(getattr(c, section), name, value)


def use_service_from_env(c) -> bool:
    """In a user's nbgrader config: the service exchange when the spawner gave its URL."""
    from ..settings import settings

    url = settings().exchange_url
    if url:
        use_service(c, url)
    return bool(url)
