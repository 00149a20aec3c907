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
                  max_bytes: int | None = None, extra_env: dict | None = None, host: str = "127.0.0.1") -> str:
    """Add the exchange service to hub config `c`; returns the URL servers should call.

    `host`: where servers reach it: 127.0.0.1 on one machine, the hub's Kubernetes service
    name (`hub`) in a cluster, where the service then listens on every interface of the hub pod.
    """
    env = {"PARTYQUIZ_EXCHANGE_DATA": str(data_dir), "PATH": os.environ.get("PATH", "")}
    if max_bytes:
        env["PARTYQUIZ_EXCHANGE_MAX_BYTES"] = str(max_bytes)
    env.update(extra_env or {})
    services = list(c.JupyterHub.services) if "services" in c.JupyterHub else []
    services.append({"name": SERVICE, "url": f"http://{host}:{port}",
                     "command": [python, "-m", "partyquiz.exchange.service"], "environment": env})
    c.JupyterHub.services = services
    roles = list(c.JupyterHub.load_roles) if "load_roles" in c.JupyterHub else []
    if groups:  # production configs give every user the scope through the default `user` role instead
        roles.append({"name": "exchange-user", "groups": list(groups), "scopes": [ACCESS_SCOPE]})
    # the service asks the hub whether a caller is in `instructors`; nothing more
    roles.append({"name": "exchange-service", "services": [SERVICE], "scopes": ["read:users:groups", "read:users:name"]})
    c.JupyterHub.load_roles = roles
    scopes = list(c.Spawner.server_token_scopes) if "server_token_scopes" in c.Spawner else [
        "users:activity!user", "access:servers!server"]
    if ACCESS_SCOPE not in scopes:
        c.Spawner.server_token_scopes = [*scopes, ACCESS_SCOPE]
    return service_url(port, host)


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


def publish_releases(site, data_dir: Path | str, assignments: list[str]) -> None:
    """Put what `site` released into the service's store before the hub starts (`partyquiz serve`).

    The same operation as an instructor's release through the service, done by the admin who
    lays out the hub: the service is not running yet, and its store is on this machine.
    """
    from .archive import pack
    from .store import Store

    store = Store(data_dir)
    for assignment in assignments:
        store.release(site.course_id, assignment, pack(site.release_dir(assignment), max_bytes=store.limits.release_bytes).data)
