"""One settings object: environment over config file over defaults; every variable documented;
rules and templates are package data that a non-editable install keeps."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from conftest import REPO
from partyquiz.settings import DEPRECATED, ENVIRONMENT, PACKAGE_DATA, SettingsError, load_settings, settings

DOC = REPO / "docs" / "configuration.md"


def test_environment_wins_over_file_and_file_over_defaults(tmp_path):
    (tmp_path / "partyquiz.toml").write_text('ledger_url = "sqlite:///from-file.db"\nlang = "en"\n', encoding="utf-8")
    from_file = load_settings({"PARTYQUIZ_ROOT": str(tmp_path)})
    assert from_file.ledger_url == "sqlite:///from-file.db" and from_file.lang == "en"
    assert from_file.config == tmp_path / "partyquiz.toml"
    from_env = load_settings({"PARTYQUIZ_ROOT": str(tmp_path), "PARTYQUIZ_LEDGER_URL": "sqlite:///env.db"})
    assert from_env.ledger_url == "sqlite:///env.db" and from_env.lang == "en"
    defaults = load_settings({"PARTYQUIZ_ROOT": str(tmp_path / "elsewhere")})
    # one default ledger, in the var folder under the root, whatever the working folder
    assert defaults.var_dir == tmp_path / "elsewhere" / "var"
    assert defaults.ledger_url == f"sqlite:///{tmp_path / 'elsewhere' / 'var' / 'ledger.db'}"
    assert load_settings({"PARTYQUIZ_VAR": str(tmp_path / "state")}).ledger_url == f"sqlite:///{tmp_path / 'state' / 'ledger.db'}"
    assert defaults.courses_dir == tmp_path / "elsewhere" / "courses"
    assert defaults.rules == PACKAGE_DATA / "rules.yml" and defaults.default_template.exists()


def test_config_file_named_by_variable_and_unknown_keys_refused(tmp_path):
    config = tmp_path / "site.toml"
    config.write_text('rules = "/etc/rules.yml"\n', encoding="utf-8")
    assert load_settings({"PARTYQUIZ_CONFIG": str(config)}).rules == Path("/etc/rules.yml")
    config.write_text('ledger = "typo"\n', encoding="utf-8")
    with pytest.raises(SettingsError, match="site.toml: unknown settings ledger") as refused:
        load_settings({"PARTYQUIZ_CONFIG": str(config)})
    assert refused.value.names == ["ledger"]


def test_one_gradebook_name_the_old_one_warns():
    assert load_settings({"PARTYQUIZ_GRADEBOOK_URL": "postgresql://a/b"}).gradebook_url == "postgresql://a/b"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert load_settings({"PARTYQUIZ_DB_URL": "postgresql://old/b"}).gradebook_url == "postgresql://old/b"
    assert any("PARTYQUIZ_GRADEBOOK_URL" in str(w.message) for w in caught)


def test_settings_follow_the_environment(monkeypatch):
    monkeypatch.setenv("PARTYQUIZ_LEARNER", "p0042")
    assert settings().learner == "p0042"
    monkeypatch.setenv("PARTYQUIZ_LEARNER", "p0043")
    assert settings().learner == "p0043"


def test_the_api_token_is_never_printed():
    assert "secret-token" not in repr(load_settings({"JUPYTERHUB_API_TOKEN": "secret-token"}))


def _documented() -> set[str]:
    return set(re.findall(r"^\| `([A-Z_]+)`", DOC.read_text(encoding="utf-8"), flags=re.M))


def test_every_variable_is_in_the_configuration_table():
    read_by_code = set()
    for folder in ("partyquiz", "deploy", "grader"):
        for path in (REPO / folder).rglob("*.py"):
            read_by_code |= set(re.findall(r"environ(?:\.get)?[\[(]\s*[\"']([A-Z_]+)[\"']", path.read_text(encoding="utf-8")))
    # the project's own configuration; PATH, PYTHONSAFEPATH… are only set for child processes
    read_by_code = {name for name in read_by_code if name.startswith(("PARTYQUIZ_", "JUPYTERHUB_", "LDAP_"))}
    names = set(ENVIRONMENT.values()) | set(DEPRECATED)
    documented = _documented() | set(re.findall(r"`(LDAP_[A-Z_]+)`", DOC.read_text(encoding="utf-8")))
    assert sorted(names - documented) == []
    assert sorted(read_by_code - documented) == []


def test_only_settings_reads_partyquiz_or_hub_variables():
    """Library modules take values from `settings()`; none reads these variables on its own."""
    offenders = []
    for path in (REPO / "partyquiz").rglob("*.py"):
        if path.name in ("settings.py", "jupyterhub_config.py"):
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if line.lstrip().startswith(("f'", 'f"', "'", '"')):
                continue  # text of a generated config file, read by another process
            if re.search(r"(environ(\.get)?[\[(]|getenv\()\s*[\"'](PARTYQUIZ|JUPYTERHUB)_", line):
                offenders.append(f"{path.relative_to(REPO)}:{n}")
    assert offenders == []


@pytest.mark.slow
def test_non_editable_install_finds_rules_and_templates(tmp_path):
    """Install a copy of the package (not editable) into a scratch venv, run it away from the checkout."""
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, src / name)
    # as a checkout holds them: partyquiz/data/notebooks is a link to notebooks/ (the build follows it)
    shutil.copytree(REPO / "partyquiz", src / "partyquiz", symlinks=True, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    shutil.copytree(REPO / "notebooks", src / "notebooks")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)], check=True)
    site = next((venv / "lib").glob("python3*/site-packages"))
    # the project's dependencies (and setuptools, for the offline build) come from the project's venv
    deps = next(p for p in map(Path, sys.path) if p.name == "site-packages" and p.is_dir() and str(p).startswith(sys.prefix))
    (site / "zz_project_dependencies.pth").write_text(str(deps) + "\n", encoding="utf-8")
    python = venv / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", "--no-build-isolation", "--no-index", str(src)],
                   check=True, capture_output=True)
    probe = (
        "import partyquiz, json\n"
        "from partyquiz.records.rules import load_rules\n"
        "from partyquiz.exports.template import load_template\n"
        "from partyquiz.settings import settings\n"
        "from partyquiz.i18n import t\n"
        "s = settings()\n"
        "print(json.dumps({'package': partyquiz.__file__, 'rules': load_rules().path, 'requirements': len(load_rules().requirements),"
        " 'template': load_template(s.default_template).path, 'columns': len(load_template(s.default_template).columns),"
        " 'root': str(s.root), 'text': t('demo.done', lang='en'),"
        " 'notebooks': sorted(str(p) for p in s.notebooks_dir.glob('*.ipynb'))}))\n"
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    out = subprocess.run([str(python), "-I", "-c", probe], cwd=elsewhere, env=env, check=True, capture_output=True, text=True).stdout
    import json

    found = json.loads(out)
    installed = str(site / "partyquiz")
    assert found["package"].startswith(installed), found
    assert found["rules"].startswith(installed) and found["requirements"] > 0
    assert found["template"].startswith(installed) and found["columns"] > 0
    assert found["root"] == str(elsewhere)  # an installed copy works from the folder it is run in
    assert found["text"] != "demo.done"  # catalogs are package data too
    # `partyquiz serve` copies the landing notebooks into every home: shipped in the package too
    shipped = {Path(p).name for p in found["notebooks"] if p.startswith(installed)}
    assert {"app.ipynb", "workbench.ipynb", "start.ipynb", "my_records.ipynb", "instructor.ipynb"} <= shipped


def test_one_default_ledger_for_the_cli_and_the_hub(tmp_path, monkeypatch):
    """Without --ledger, `partyquiz …` and `partyquiz serve` use the same ledger: <var>/ledger.db."""
    from typer.testing import CliRunner

    from partyquiz.cli import _register, app
    from partyquiz.hub import HubSetup
    from partyquiz.records.ledger import engine_for, load_learners

    monkeypatch.setenv("PARTYQUIZ_VAR", str(tmp_path / "var"))
    expected = f"sqlite:///{tmp_path / 'var' / 'ledger.db'}"
    assert settings().ledger_url == expected
    assert HubSetup(hub_dir=tmp_path / "hub").ledger() == expected  # not a second ledger in the hub's folder
    _register()
    roster = tmp_path / "roster.csv"
    roster.write_text("工号,姓名,支部,人员类别\na01,张三,一支部,党员\n", encoding="utf-8")
    imported = CliRunner().invoke(app, ["roster", "import", str(roster), "--gradebook", f"sqlite:///{tmp_path / 'gradebook.db'}"])
    assert imported.exit_code == 0, imported.output
    with engine_for(expected) as engine, engine.connect() as conn:  # the CLI wrote the one default ledger
        assert [p.id for p in load_learners(conn)] == ["a01"]


def test_no_module_keeps_settings_from_import_time(tmp_path, monkeypatch):
    """The hub's folder, the dashboard's courses and the demo's course follow a change of the
    environment made after the modules were imported (nothing is read once at import)."""
    from partyquiz.demo import default_course
    from partyquiz.hub import HubSetup
    from partyquiz.hub.dashboard import Instructor

    monkeypatch.setenv("PARTYQUIZ_VAR", str(tmp_path / "var"))
    monkeypatch.setenv("PARTYQUIZ_COURSES", str(tmp_path / "courses"))
    assert HubSetup().hub_dir == (tmp_path / "var" / "hub").resolve()
    assert Instructor(tmp_path, tmp_path, "sqlite://", None).courses_dir == tmp_path / "courses"
    assert default_course() == tmp_path / "courses" / "dangyuan-jiaoyu"
