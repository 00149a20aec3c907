"""JupyterHub config for `partyquiz serve`: everything comes from hub.json (PARTYQUIZ_HUB_SETTINGS)."""
import json
import os
import sys
from pathlib import Path

from partyquiz.settings import settings as partyquiz_settings

settings = json.loads(Path(partyquiz_settings().hub_settings).read_text(encoding="utf-8"))
hub_dir = Path(settings["hub_dir"])
bindir = Path(sys.executable).parent
c = get_config()  # noqa: F821

c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = settings["port"]
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = settings["hub_port"]
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{settings['api_port']}"
c.ConfigurableHTTPProxy.command = [settings["proxy"]]
c.ConfigurableHTTPProxy.pid_file = str(hub_dir / "proxy.pid")
c.JupyterHub.cookie_secret_file = str(hub_dir / "jupyterhub_cookie_secret")
c.JupyterHub.db_url = f"sqlite:///{hub_dir / 'jupyterhub.sqlite'}"
c.JupyterHub.pid_file = str(hub_dir / "jupyterhub.pid")
c.JupyterHub.cleanup_servers = True  # Ctrl-C stops every single-user server too
c.JupyterHub.cleanup_proxy = True

c.JupyterHub.authenticator_class = "partyquiz.hub.auth.GeneratedPasswordAuthenticator"
c.GeneratedPasswordAuthenticator.password_file = str(hub_dir / "passwords.json")
users = settings["instructors"] + settings["learners"]
c.Authenticator.allowed_users = set(users)
c.Authenticator.admin_users = set(settings["instructors"])
c.JupyterHub.load_groups = {
    "instructors": {"users": settings["instructors"]},
    "learners": {"users": settings["learners"]},
}

c.JupyterHub.spawner_class = "partyquiz.hub.spawner.PartyquizSpawner"
c.PartyquizSpawner.settings_file = str(partyquiz_settings().hub_settings)
c.PartyquizSpawner.home_dir_template = str(hub_dir / "home" / "{username}")
# jupyterhub-singleuser without optional imports nothing in a user's server uses (partyquiz/launch.py: ≈ 16 MB each)
c.Spawner.cmd = [sys.executable, "-P", "-m", "partyquiz.launch", "singleuser"]
# As root a Jupyter server refuses to start without --allow-root, and the spawn dies quietly.
c.Spawner.args = ["--allow-root"] if os.geteuid() == 0 else []
c.Spawner.http_timeout = settings.get("http_timeout", 120)
c.Spawner.start_timeout = settings.get("http_timeout", 120)
c.JupyterHub.concurrent_spawn_limit = settings.get("concurrent_spawn_limit", 100)
c.JupyterHub.log_level = settings.get("log_level", "INFO")

# 我的学习档案 comes from the `records` service, which alone holds the ledger URL: a learner's
# server token may call it, and it answers only for the token's owner.
records_url = f"http://127.0.0.1:{settings['records_port']}"
c.JupyterHub.services = [{
    "name": "records",
    "url": records_url,
    "command": [sys.executable, "-m", "partyquiz.hub.records_service"],
    "environment": {"PARTYQUIZ_LEDGER_URL": settings["ledger_url"], "PATH": os.environ.get("PATH", "")},
}]
c.Spawner.server_token_scopes = ["users:activity!user", "access:servers!server", "access:services!service=records"]

# Instructors may look at learners' servers (help during a session); learners only their own.
c.JupyterHub.load_roles = [
    {"name": "instructor-access", "groups": ["instructors"], "scopes": ["access:servers!group=learners", "read:users!group=learners"]},
    {"name": "records-reader", "groups": ["instructors", "learners"], "scopes": ["access:services!service=records"]},
]

# The frame (hub/frame.py): the hub's pages in Chinese (hub/templates), idle servers stopped by
# jupyterhub-idle-culler (answers are on disk: a cull loses nothing).
from partyquiz.hub.frame import configure_hub  # noqa: E402

configure_hub(c, lang=settings.get("lang"), cull=settings.get("idle_cull", True), python=sys.executable,
              cull_seconds=settings.get("idle_cull_seconds"))

# Submissions, releases and feedback go through the `exchange` service (partyquiz/exchange): it
# names the student from the caller's hub token and stamps the server's time; no learner-writable
# exchange folder (docs/deploy.md, "The exchange").
from partyquiz.exchange.hub import configure_hub as configure_exchange  # noqa: E402

configure_exchange(c, port=settings["exchange_port"], data_dir=settings["exchange_data"], python=sys.executable)
