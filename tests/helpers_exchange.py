"""A real JupyterHub running the exchange service, for the exchange and hostile-learner tests.

`ExchangeHub` writes a small hub config (the same `partyquiz.exchange.hub.configure_hub` the
product's hub config calls), starts JupyterHub with the project's configurable-http-proxy, and
hands out real hub tokens for its users: `instructor` (group instructors) and learners `u0001`,
`u0002` (group learners). No single-user servers are spawned: the exchange classes run in this
process with each user's own token, as they do inside that user's server.
"""
from __future__ import annotations

import os
import secrets
import sys
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from partyquiz.exchange import factory_config
from partyquiz.hub import free_port
from partyquiz.hub.process import HubProcess

REPO = Path(__file__).resolve().parents[1]
PROXY = REPO / "node_modules" / ".bin" / "configurable-http-proxy"

CONFIG = '''
import sys
from partyquiz.exchange.hub import configure_hub
c = get_config()  # noqa: F821
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {port}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {hub_port}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{api_port}"
c.ConfigurableHTTPProxy.command = [{proxy!r}]
c.ConfigurableHTTPProxy.pid_file = {pid_file!r}
c.JupyterHub.cookie_secret_file = {secret!r}
c.JupyterHub.db_url = "sqlite:///{db}"
c.JupyterHub.pid_file = {hub_pid!r}
c.JupyterHub.cleanup_servers = True
c.JupyterHub.authenticator_class = "null"  # no log-in page: users act through their tokens only
c.Authenticator.allowed_users = set({users!r})
c.Authenticator.admin_users = {{"instructor"}}
c.JupyterHub.load_groups = {{"instructors": {{"users": ["instructor"]}}, "learners": {{"users": {learners!r}}}}}
# the test's own service: it makes tokens for users, nothing else
c.JupyterHub.services = [{{"name": "tester", "api_token": {tester!r}}}]
c.JupyterHub.load_roles = [{{"name": "tester", "services": ["tester"], "scopes": ["tokens", "read:users"]}}]
# tokens made beforehand (the benchmark's 1,000 learners): the same user tokens, without 1,000 API calls
c.JupyterHub.api_tokens = {preset!r}
c.JupyterHub.trust_user_provided_tokens = True
configure_hub(c, port={exchange_port}, data_dir={data!r}, python=sys.executable, max_bytes={max_bytes})
'''


@dataclass
class ExchangeHub:
    folder: Path
    learners: list[str] = field(default_factory=lambda: ["u0001", "u0002"])
    max_bytes: int = 2 * 1024 * 1024
    port: int = field(default_factory=free_port)
    exchange_port: int = field(default_factory=free_port)
    tester: str = field(default_factory=lambda: secrets.token_hex(16))
    preset_tokens: bool = False  # every user's token written into the hub config (fast for many users)
    tokens: dict[str, str] = field(default_factory=dict)
    proc: HubProcess | None = None
    ready_timeout: float = 180  # a hub with a thousand users loads them before it answers

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def exchange_url(self) -> str:
        return f"http://127.0.0.1:{self.exchange_port}/services/exchange/"

    @property
    def data(self) -> Path:
        return self.folder / "exchange-data"

    def start(self) -> "ExchangeHub":
        self.folder.mkdir(parents=True, exist_ok=True)
        secret = self.folder / "cookie_secret"
        secret.write_text(secrets.token_hex(32))
        os.chmod(secret, 0o600)
        config = self.folder / "jupyterhub_config.py"
        if self.preset_tokens:
            self.tokens = {u: secrets.token_hex(24) for u in ["instructor", *self.learners]}
        config.write_text(CONFIG.format(
            port=self.port, hub_port=free_port(), api_port=free_port(), proxy=str(PROXY),
            pid_file=str(self.folder / "proxy.pid"), secret=str(secret), db=self.folder / "hub.sqlite",
            hub_pid=str(self.folder / "hub.pid"), users=["instructor", *self.learners], learners=self.learners,
            tester=self.tester, preset={t: u for u, t in self.tokens.items()}, exchange_port=self.exchange_port, data=str(self.data), max_bytes=self.max_bytes))
        bindir = Path(sys.executable).parent
        env = {**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}"}
        self.proc = HubProcess([str(bindir / "jupyterhub"), "-f", str(config)], env, self.folder, self.folder / "hub.log", self.url)
        self.proc.start()
        self.proc.wait_ready(timeout=self.ready_timeout)
        self._wait_service()
        return self

    def _wait_service(self, timeout: float = 60) -> None:
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                httpx.get(self.exchange_url + "api/courses/x/assignments", timeout=2)
                return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise TimeoutError(f"exchange service not up; see {self.folder / 'hub.log'}")

    def token(self, user: str) -> str:
        if user in self.tokens:
            return self.tokens[user]
        r = httpx.post(f"{self.url}/hub/api/users/{user}/tokens", headers={"Authorization": f"token {self.tester}"},
                       json={"note": "exchange test"}, timeout=30)
        r.raise_for_status()
        return r.json()["token"]

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.stop()

    def config_for(self, token: str) -> dict:
        """GraderSite `extra` sections: the service exchange, called with this token."""
        sections = factory_config(self.exchange_url)
        sections["ServiceExchange"]["token"] = token
        return sections

    def get(self, path: str, token: str | None, **kw) -> httpx.Response:
        headers = {"Authorization": f"token {token}"} if token else {}
        return httpx.get(self.exchange_url + path, headers=headers, timeout=30, **kw)

    def send(self, method: str, path: str, token: str | None, content: bytes = b"", headers: dict | None = None, **kw) -> httpx.Response:
        headers = {**(headers or {}), **({"Authorization": f"token {token}"} if token else {})}
        return httpx.request(method, self.exchange_url + path, headers=headers, content=content, timeout=30, **kw)
