# JupyterHub for an organisation on one server with REAL unix users (PAM or LDAP).
# Install: see docs/deploy.md. Every user's Jupyter runs under their own uid
# (LocalProcessSpawner; the hub runs as root, or use SudoSpawner), so learners cannot read each
# other's homes. Assignments, submissions and feedback go through the `exchange` hub service
# (partyquiz/exchange): the student is the owner of the calling hub token, times are the server's.
import os

from partyquiz.hub import frame

c = get_config()  # noqa: F821

STATE = os.environ.get("JUPYTERHUB_STATE", "/srv/jupyterhub")
INSTRUCTORS = [u for u in os.environ.get("PARTYQUIZ_INSTRUCTORS", "").split(",") if u]

# --- network: listen on localhost only, TLS is done by nginx in front (docs/deploy.md) ---------
c.JupyterHub.bind_url = "http://127.0.0.1:8000"
c.JupyterHub.hub_ip = "127.0.0.1"
c.ConfigurableHTTPProxy.command = ["/opt/partyquiz/node_modules/.bin/configurable-http-proxy"]
c.JupyterHub.cookie_secret_file = f"{STATE}/jupyterhub_cookie_secret"  # mode 600
c.JupyterHub.pid_file = f"{STATE}/jupyterhub.pid"
# Hub state on PostgreSQL (sqlite works for one small site).
c.JupyterHub.db_url = os.environ.get("JUPYTERHUB_DB_URL", f"sqlite:///{STATE}/jupyterhub.sqlite")

# --- who may log in ----------------------------------------------------------------------------
if os.environ.get("PARTYQUIZ_AUTH", "pam") == "ldap":
    c.JupyterHub.authenticator_class = "ldapauthenticator.LDAPAuthenticator"
    c.LDAPAuthenticator.server_address = os.environ.get("LDAP_SERVER", "ldap.example.org")
    c.LDAPAuthenticator.tls_strategy = "before_bind"
    c.LDAPAuthenticator.lookup_dn = True
    c.LDAPAuthenticator.lookup_dn_search_user = os.environ.get("LDAP_BIND_DN", "")
    c.LDAPAuthenticator.lookup_dn_search_password = os.environ.get("LDAP_BIND_PASSWORD", "")
    c.LDAPAuthenticator.user_search_base = os.environ.get("LDAP_USER_BASE", "ou=people,dc=example,dc=org")
    c.LDAPAuthenticator.user_attribute = "uid"
    c.LDAPAuthenticator.allowed_groups = [os.environ.get("LDAP_LEARNERS_GROUP", "cn=partyquiz,ou=groups,dc=example,dc=org")]
    # LDAP users must also exist as unix users (sssd / nslcd) for LocalProcessSpawner.
else:
    c.JupyterHub.authenticator_class = "pam"
    c.PAMAuthenticator.allowed_groups = {os.environ.get("PARTYQUIZ_UNIX_GROUP", "partyquiz")}
c.Authenticator.admin_users = set(INSTRUCTORS)

# --- roles: JupyterHub groups; the instructor group gets formgrader (via PARTYQUIZ_ROLE) --------
c.JupyterHub.load_groups = {"instructors": {"users": INSTRUCTORS}}
c.JupyterHub.load_roles = [
    {"name": "instructor-access", "groups": ["instructors"], "scopes": ["access:servers", "read:users"]},
]

# --- single-user servers -----------------------------------------------------------------------
c.JupyterHub.spawner_class = "localprocess"
# jupyterhub-singleuser without optional imports nothing in a user's server uses (partyquiz/launch.py)
c.Spawner.cmd = ["/opt/partyquiz/.venv/bin/python", "-P", "-m", "partyquiz.launch", "singleuser"]
# Learners land on the learner app, instructors on the workbench: Voilà pages, no code
# (partyquiz/hub/frame.py). JupyterLab stays at /user/<name>/lab, in Chinese.
c.Spawner.default_url = frame.landing_path("learner")
# Per-role server configs (Voilà template, kernel culling, learners without instructor tools),
# written at install: `python -m partyquiz.hub.frame /srv/jupyterhub/singleuser-config` (docs/deploy.md).
c.Spawner.mem_limit = "1G"  # enforced only by spawners that can (systemdspawner); a hint here
c.Spawner.environment = {
    "PATH": "/opt/partyquiz/.venv/bin:/usr/local/bin:/usr/bin:/bin",
    "PARTYQUIZ_LANG": "zh-CN",
    **frame.role_environment("learner", f"{STATE}/singleuser-config"),
}


def pre_spawn_hook(spawner):
    """Instructors get formgrader, the course root, the gradebook and ledger URLs; learners do not."""
    groups = {g.name for g in spawner.user.groups}
    if "instructors" in groups:
        spawner.environment.update({
            "PARTYQUIZ_ROLE": "instructor",
            "PARTYQUIZ_GRADER_ROOT": os.environ.get("PARTYQUIZ_GRADER_ROOT", "/srv/nbgrader/course"),
            "PARTYQUIZ_GRADEBOOK_URL": os.environ.get("PARTYQUIZ_GRADEBOOK_URL", ""),
            "PARTYQUIZ_LEDGER_URL": os.environ.get("PARTYQUIZ_LEDGER_URL", ""),
            **frame.role_environment("instructor", f"{STATE}/singleuser-config"),
        })
        spawner.default_url = frame.landing_path("instructor")


c.Spawner.pre_spawn_hook = pre_spawn_hook
# The hub's own pages in Chinese (partyquiz/hub/templates); the idle culler is configured below.
frame.configure_hub(c, lang="zh-CN", cull=False)

# 我的学习档案: the records service alone reads the ledger (read-only role), and answers each
# caller for their own token only (partyquiz/hub/records_service.py).
c.JupyterHub.services = [
    {"name": "records", "url": "http://127.0.0.1:10101",
     "command": ["/opt/partyquiz/.venv/bin/python", "-m", "partyquiz.hub.records_service"],
     "environment": {"PARTYQUIZ_LEDGER_URL": os.environ.get("PARTYQUIZ_LEDGER_READONLY_URL", "")}},
    # Stop servers idle for 30 minutes (answers are on disk; kernels are culled after 20 minutes).
    frame.idle_culler_service("/opt/partyquiz/.venv/bin/python"),
]
c.Spawner.server_token_scopes = ["users:activity!user", "access:servers!server", "access:services!service=records"]
c.Spawner.environment["PARTYQUIZ_RECORDS_URL"] = "http://127.0.0.1:10101/services/records/me"
c.JupyterHub.load_roles += [
    # every user (the default `user` role, extended) may call the records service for themselves
    {"name": "user", "scopes": ["self", "access:services!service=records", "access:services!service=exchange"]},
    {"name": "idle-culler", "services": ["idle-culler"], "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"]},
]

# The exchange service (runs as the hub's user; its files in a folder no learner can read).
from partyquiz.exchange.hub import configure_hub as configure_exchange  # noqa: E402

c.Spawner.environment["PARTYQUIZ_EXCHANGE_URL"] = configure_exchange(
    c, port=10102, data_dir=os.environ.get("PARTYQUIZ_EXCHANGE_DATA", "/srv/nbgrader/exchange-service"),
    python="/opt/partyquiz/.venv/bin/python", groups=())
