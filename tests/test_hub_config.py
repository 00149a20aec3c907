"""Hub pieces without a running hub: passwords, home folders, and every config file we ship."""
from __future__ import annotations

import json
import re
import stat
from pathlib import Path

import pytest
import yaml
from traitlets.config.loader import PyFileConfigLoader

from conftest import REPO
from partyquiz.hub import HubSetup
from partyquiz.hub.auth import check_password, generate_passwords, hash_password, write_password_file
from partyquiz.hub.home import HomeSpec, files_for, prepare_home
from partyquiz.hub.process import descendants

DEPLOY = REPO / "deploy"


def load_py_config(path: Path, monkeypatch=None, env: dict | None = None):
    for key, value in (env or {}).items():
        monkeypatch.setenv(key, value)
    return PyFileConfigLoader(path.name, path=str(path.parent)).load_config()


def test_generated_passwords_are_unique_and_stored_only_as_hashes(tmp_path):
    passwords = generate_passwords(["instructor", "u0001", "u0002"])
    assert len(set(passwords.values())) == 3 and all(len(p) >= 12 for p in passwords.values())
    path = tmp_path / "passwords.json"
    write_password_file(path, passwords)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    stored = json.loads(path.read_text())
    assert passwords["u0001"] not in path.read_text()
    assert check_password(passwords["u0001"], stored["u0001"])
    assert not check_password(passwords["u0002"], stored["u0001"])
    assert not check_password("x", "garbage")
    assert hash_password("same") != hash_password("same")  # salted


def _spec(tmp_path, role):
    return HomeSpec(home=tmp_path / role, user="u0001" if role == "learner" else "instructor", role=role, course_id="partyquiz",
                    exchange=tmp_path / "exchange", ignore=(".*.lock",), grader_root=tmp_path / "instructor" / "grader" if role == "instructor" else None)


def test_learner_home_student_id_is_hub_user_and_no_formgrader(tmp_path, monkeypatch):
    notebooks = tmp_path / "nb"
    notebooks.mkdir()
    (notebooks / "my_records.ipynb").write_text("{}")
    spec = _spec(tmp_path, "learner")
    prepare_home(spec, notebooks)
    monkeypatch.setenv("JUPYTERHUB_USER", "u0001")
    config = load_py_config(spec.home / ".jupyter" / "nbgrader_config.py")
    assert config.CourseDirectory.student_id == "u0001"
    assert config.Exchange.root == str(tmp_path / "exchange")
    page = json.loads((spec.home / ".jupyter/labconfig/page_config.json").read_text())
    assert page["disabledExtensions"]["@jupyter/nbgrader:formgrader"] is True
    server = json.loads((spec.home / ".jupyter/jupyter_server_config.json").read_text())
    assert server["ServerApp"]["jpserver_extensions"]["nbgrader.server_extensions.formgrader"] is False
    news = json.loads((spec.home / ".jupyter/lab/user-settings/@jupyterlab/apputils-extension/notification.jupyterlab-settings").read_text())
    assert news["fetchNews"] == "false"
    # a learner's own copy is never overwritten
    (spec.home / "my_records.ipynb").write_text("mine")
    prepare_home(spec, notebooks)
    assert (spec.home / "my_records.ipynb").read_text() == "mine"


def test_instructor_home_points_at_course_root_without_student_id(tmp_path):
    spec = _spec(tmp_path, "instructor")
    prepare_home(spec, tmp_path)
    config = load_py_config(spec.home / ".jupyter" / "nbgrader_config.py")
    assert config.CourseDirectory.root == str(tmp_path / "instructor" / "grader")
    assert "student_id" not in config.CourseDirectory
    assert ".jupyter/labconfig/page_config.json" not in files_for(spec)  # formgrader stays on


def test_local_hub_config_loads(tmp_path, monkeypatch):
    setup = HubSetup(hub_dir=tmp_path)
    settings = {"hub_dir": str(tmp_path), "port": 8000, "hub_port": 8081, "api_port": 8001, "proxy": str(setup.proxy),
                "instructors": ["instructor"], "learners": ["u0001", "u0002"], "records_port": 8002, "ledger_url": "sqlite:///x.db",
                "exchange_port": 8003, "exchange_data": str(tmp_path / "exchange-service")}
    (tmp_path / "hub.json").write_text(json.dumps(settings))
    config = load_py_config(REPO / "partyquiz/hub/jupyterhub_config.py", monkeypatch, {"PARTYQUIZ_HUB_SETTINGS": str(tmp_path / "hub.json")})
    assert config.JupyterHub.ip == "127.0.0.1"
    assert config.ConfigurableHTTPProxy.command == [str(REPO / "node_modules/.bin/configurable-http-proxy")]
    assert config.Authenticator.allowed_users == {"instructor", "u0001", "u0002"}
    assert config.JupyterHub.load_groups["learners"]["users"] == ["u0001", "u0002"]
    assert config.PartyquizSpawner.home_dir_template == str(tmp_path / "home" / "{username}")
    records = next(s for s in config.JupyterHub.services if s["name"] == "records")
    assert records["environment"]["PARTYQUIZ_LEDGER_URL"] == "sqlite:///x.db"  # the service holds the ledger, not learners
    assert "access:services!service=records" in config.Spawner.server_token_scopes
    assert "--allow-root" in config.Spawner.args or __import__("os").geteuid() != 0
    # the exchange service: the hub runs it, every server token may call it (issue 13)
    exchange = next(s for s in config.JupyterHub.services if s["name"] == "exchange")
    assert exchange["environment"]["PARTYQUIZ_EXCHANGE_DATA"] == str(tmp_path / "exchange-service")
    assert "access:services!service=exchange" in config.Spawner.server_token_scopes


def test_learner_nbgrader_uses_the_exchange_service_under_the_hub(tmp_path, monkeypatch):
    spec = _spec(tmp_path, "learner")
    prepare_home(spec, tmp_path)
    path = spec.home / ".jupyter" / "nbgrader_config.py"
    monkeypatch.setenv("PARTYQUIZ_EXCHANGE_URL", "http://127.0.0.1:9/services/exchange/")
    config = load_py_config(path)
    assert config.ExchangeFactory.submit == "partyquiz.exchange.nbgrader_exchange.ServiceSubmit"
    assert config.ServiceExchange.url == "http://127.0.0.1:9/services/exchange/"
    monkeypatch.delenv("PARTYQUIZ_EXCHANGE_URL")
    assert "submit" not in load_py_config(path).ExchangeFactory  # no hub: nbgrader's own exchange


@pytest.mark.parametrize("auth", ["pam", "ldap"])
def test_production_unix_config_loads(auth, monkeypatch):
    config = load_py_config(DEPLOY / "unix/jupyterhub_config.py", monkeypatch, {"PARTYQUIZ_AUTH": auth, "PARTYQUIZ_INSTRUCTORS": "zhang,li"})
    assert config.JupyterHub.authenticator_class == ("pam" if auth == "pam" else "ldapauthenticator.LDAPAuthenticator")
    assert config.JupyterHub.spawner_class == "localprocess"  # real unix users, one uid each
    assert config.JupyterHub.load_groups["instructors"]["users"] == ["zhang", "li"]
    assert callable(config.Spawner.pre_spawn_hook)
    # learners reach their records through the service only; the ledger URL is the service's
    assert "access:services!service=records" in config.Spawner.server_token_scopes
    assert "PARTYQUIZ_LEDGER_URL" not in config.Spawner.environment
    user_role = next(r for r in config.JupyterHub.load_roles if r["name"] == "user")
    assert "access:services!service=records" in user_role["scopes"]


@pytest.mark.parametrize("role", ["instructor", "learner"])
def test_production_nbgrader_config_loads(role, monkeypatch, tmp_path):
    env = {"PARTYQUIZ_ROLE": role, "PARTYQUIZ_GRADER_ROOT": str(tmp_path / "course"), "PARTYQUIZ_EXCHANGE": str(tmp_path / "ex"),
           "PARTYQUIZ_GRADEBOOK_URL": "postgresql://nbgrader@db/gradebook"}
    config = load_py_config(DEPLOY / "nbgrader_config.py", monkeypatch, env)
    assert config.Exchange.root == str(tmp_path / "ex")
    if role == "instructor":
        assert config.CourseDirectory.db_url == "postgresql://nbgrader@db/gradebook"
        assert config.ExchangeCollect.check_owner is True
    else:
        assert "root" not in config.CourseDirectory and "db_url" not in config.CourseDirectory


def test_helm_values_have_what_z2jh_expects():
    values = yaml.safe_load((DEPLOY / "k8s/values.yaml").read_text())
    assert set(values) <= {"hub", "proxy", "singleuser", "ingress", "scheduling", "cull", "prePuller", "debug", "rbac", "imagePullSecret", "fullnameOverride", "nameOverride", "custom", "global"}
    assert values["hub"]["db"]["type"] == "postgres"
    assert values["hub"]["config"]["JupyterHub"]["authenticator_class"]
    assert "instructors" in values["hub"]["config"]["JupyterHub"]["load_groups"]
    storage = values["singleuser"]["storage"]
    assert storage["type"] == "dynamic"  # a volume per learner
    # no shared, learner-writable exchange volume: the hub's exchange service instead (issue 13)
    assert not storage.get("extraVolumeMounts") and "PARTYQUIZ_EXCHANGE" not in values["singleuser"]["extraEnv"]
    assert values["singleuser"]["extraEnv"]["PARTYQUIZ_EXCHANGE_URL"] == "http://hub:10102/services/exchange/"
    assert "access:services!service=exchange" in values["hub"]["loadRoles"]["user"]["scopes"]
    compile(values["hub"]["extraConfig"]["partyquiz-exchange"], "extraConfig", "exec")
    compile(values["hub"]["extraConfig"]["partyquiz-roles"], "extraConfig", "exec")  # valid Python


def test_deploy_guide_names_only_files_that_exist():
    guide = (REPO / "docs/deploy.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`((?:deploy|notebooks|partyquiz)/[\w./-]+)`", guide))
    assert named, "the guide names its files"
    assert [n for n in named if not (REPO / n).exists()] == []
    shipped = {str(p.relative_to(REPO)) for p in DEPLOY.rglob("*") if p.is_file()}
    assert shipped <= named, f"files in deploy/ the guide does not mention: {shipped - named}"
    for topic in ("PAM", "LDAP", "OAuth", "Zero to JupyterHub", "PostgreSQL", "wheelhouse", "npm pack", "备份"):
        assert topic in guide


def test_descendants_finds_children_of_a_process():
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "import subprocess,sys; subprocess.run([sys.executable,'-c','import time; time.sleep(30)'])"])
    try:
        import time

        for _ in range(50):
            if len(descendants(child.pid)) >= 1:
                break
            time.sleep(0.1)
        assert len(descendants(child.pid)) == 1
    finally:
        for pid in descendants(child.pid):
            __import__("os").kill(pid, 9)
        child.kill()
        child.wait()
