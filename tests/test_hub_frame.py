"""The frame around the apps: users land on Voilà pages, and every hub page speaks Chinese.

Unit part: what each user's server and the hub are told (hub/frame.py, hub/home.py). Browser
part (real JupyterHub + Voilà + Chromium): a learner logs in and lands on the learner app with no
JupyterLab chrome; an instructor lands on the workbench; login, home, 403/404, not-running and
Voilà's own error page hold none of JupyterHub's / JupyterLab's / Voilà's English strings;
JupyterLab (at /lab) has Chinese menus; the English switch works.
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from conftest import CHROMIUM_ARGS, REPO, require
from partyquiz.hub import frame
from partyquiz.hub.home import HomeSpec, files_for, prepare_home

sys.path.insert(0, str(Path(__file__).parent))
from helpers_hub import HubUser, browser_login, english_strings_in, start_app_hub  # noqa: E402


def _spec(tmp_path, role, lang="zh-CN"):
    return HomeSpec(home=tmp_path / role, user="u0001" if role == "learner" else "instructor", role=role, course_id="partyquiz",
                    exchange=tmp_path / "exchange", ignore=(".*.lock",), lang=lang,
                    grader_root=tmp_path / "instructor" / "grader" if role == "instructor" else None)


def test_learners_land_on_the_app_instructors_on_the_workbench():
    assert frame.landing_path("learner") == "/voila/render/app.ipynb"
    assert frame.landing_path("instructor") == "/voila/render/workbench.ipynb"


def test_learner_server_runs_voila_in_chinese_without_instructor_tools(tmp_path):
    files = files_for(_spec(tmp_path, "learner"))
    server = json.loads(files[".jupyter/jupyter_server_config.json"])
    assert server["VoilaConfiguration"]["template"] == "partyquiz"
    assert server["VoilaConfiguration"]["show_tracebacks"] is False
    assert "刷新" in server["VoilaExecutor"]["cell_error_instruction"]  # not "Please run Voilà with --show_tracebacks"
    # with 30 learners opening at once the app's output came after nbclient's 4 s and the page stayed empty
    assert server["VoilaExecutor"]["iopub_timeout"] >= 60
    off = server["ServerApp"]["jpserver_extensions"]
    for name in ("nbgrader.server_extensions.formgrader", "jupyter_server_terminals", "jupyter_lsp"):
        assert off[name] is False
    assert "voila.server_extension" not in off
    culling = server["MappingKernelManager"]
    assert culling["cull_idle_timeout"] > 0 and culling["cull_busy"] is False
    locale = json.loads(files[".jupyter/lab/user-settings/@jupyterlab/translation-extension/plugin.jupyterlab-settings"])
    assert locale["locale"] == "zh_CN"
    english = json.loads(files_for(_spec(tmp_path, "learner", lang="en"))[".jupyter/lab/user-settings/@jupyterlab/translation-extension/plugin.jupyterlab-settings"])
    assert english["locale"] == "en"


def test_learner_server_loads_no_nbgrader_unless_asked(tmp_path):
    """The app fetches and submits through the exchange itself: a learner's server imports no
    nbgrader (Assignment List, Validate off, with their JupyterLab menus), unless the deployment
    keeps JupyterLab's Assignment List for its learners."""
    lean = files_for(_spec(tmp_path, "learner"))
    off = json.loads(lean[".jupyter/jupyter_server_config.json"])["ServerApp"]["jpserver_extensions"]
    assert [name for name in off if name.startswith("nbgrader.") and off[name] is not False] == []
    assert {"nbgrader.server_extensions.assignment_list", "nbgrader.server_extensions.validate_assignment"} <= set(off)
    menus = json.loads(lean[".jupyter/labconfig/page_config.json"])["disabledExtensions"]
    assert menus["@jupyter/nbgrader:assignment-list"] is True and menus["@jupyter/nbgrader:formgrader"] is True
    spec = _spec(tmp_path, "learner")
    kept = files_for(HomeSpec(**{**spec.__dict__, "lab_assignments": True}))
    off = json.loads(kept[".jupyter/jupyter_server_config.json"])["ServerApp"]["jpserver_extensions"]
    assert "nbgrader.server_extensions.assignment_list" not in off and off["nbgrader.server_extensions.formgrader"] is False
    assert "@jupyter/nbgrader:assignment-list" not in json.loads(kept[".jupyter/labconfig/page_config.json"])["disabledExtensions"]
    # production: the role configs the spawners point at (JUPYTER_CONFIG_PATH) say the same
    written = frame.write_role_configs(tmp_path / "cfg")
    role = json.loads((written["learner"] / "jupyter_server_config.json").read_text())["ServerApp"]["jpserver_extensions"]
    assert role["nbgrader.server_extensions.assignment_list"] is False
    page = json.loads((written["learner"] / "labconfig" / "page_config.json").read_text())["disabledExtensions"]
    assert page["@jupyter/nbgrader:assignment-list"] is True
    assert not (written["instructor"] / "labconfig").exists()


def test_instructor_server_keeps_formgrader_and_terminals(tmp_path):
    server = json.loads(files_for(_spec(tmp_path, "instructor"))[".jupyter/jupyter_server_config.json"])
    assert "ServerApp" not in server
    assert server["VoilaConfiguration"]["template"] == "partyquiz"


def test_app_notebooks_are_always_the_shipped_copy_other_notebooks_never_overwritten(tmp_path):
    notebooks = tmp_path / "nb"
    notebooks.mkdir()
    (notebooks / "app.ipynb").write_text("shipped app")
    (notebooks / "my_records.ipynb").write_text("shipped records")
    spec = _spec(tmp_path, "learner")
    prepare_home(spec, notebooks)
    (spec.home / "app.ipynb").write_text("old app")
    (spec.home / "my_records.ipynb").write_text("mine")
    prepare_home(spec, notebooks)
    assert (spec.home / "app.ipynb").read_text() == "shipped app"
    assert (spec.home / "my_records.ipynb").read_text() == "mine"


def test_voila_template_is_found_and_loads_nothing_from_the_internet(monkeypatch):
    from voila.paths import collect_template_paths

    monkeypatch.setenv("JUPYTER_PATH", frame.server_env()["JUPYTER_PATH"])
    paths = collect_template_paths(["voila", "nbconvert"], frame.VOILA_TEMPLATE)
    assert str(frame.JUPYTER_SHARE / "voila" / "templates" / "partyquiz") == paths[0]
    loads = re.compile(r"""(src|href)\s*=\s*["']https?://|url\(\s*["']?https?://|@import""")
    for template in (frame.JUPYTER_SHARE / "voila" / "templates" / "partyquiz").iterdir():
        assert not loads.search(template.read_text(encoding="utf-8")), template.name


def test_hub_templates_extend_nothing_missing():
    from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PrefixLoader
    from jupyterhub._data import DATA_FILES_PATH

    default = Path(DATA_FILES_PATH) / "templates"
    env = Environment(loader=ChoiceLoader([PrefixLoader({"templates": FileSystemLoader([str(default)])}, "/"),
                                           FileSystemLoader([str(frame.HUB_TEMPLATES), str(default)])]))
    for name in ("login.html", "home.html", "error.html", "404.html", "not_running.html", "spawn_pending.html",
                 "spawn.html", "stop_pending.html", "logout.html"):
        env.get_template(name)  # parses, and every template it extends or imports exists


def test_hub_config_applies_templates_and_idle_culler():
    from traitlets.config import Config

    c = Config()
    c.JupyterHub.services = [{"name": "records"}]
    frame.configure_hub(c, lang="zh-CN", cull_seconds=600)
    assert c.JupyterHub.template_paths == [str(frame.HUB_TEMPLATES)]
    names = [s["name"] for s in c.JupyterHub.services]
    assert names == ["records", "idle-culler"]
    culler = c.JupyterHub.services[1]["command"]
    assert "jupyterhub_idle_culler" in culler and "--timeout=600" in culler
    assert any(r["name"] == "idle-culler" and "delete:servers" in r["scopes"] for r in c.JupyterHub.load_roles)


# --- real hub + Voilà + Chromium -------------------------------------------------------------

@pytest.fixture(scope="module")
def app_hub(tmp_path_factory):
    require((REPO / "node_modules/.bin/configurable-http-proxy").exists(), "configurable-http-proxy in node_modules (npm install)")
    from helpers_hub import notebooks_with

    hub_dir = tmp_path_factory.mktemp("framehub")
    setup, prepared, proc = start_app_hub(hub_dir, learners=2, notebooks=notebooks_with(hub_dir / "nb", app="standin"))
    yield setup, prepared
    proc.stop()


def _visible_text(page) -> str:
    return page.locator("body").inner_text()


@pytest.mark.slow
@pytest.mark.browser
def test_learner_lands_on_the_app_and_instructor_on_the_workbench_all_in_chinese(app_hub, chromium_path):
    from playwright.sync_api import sync_playwright

    setup, prepared = app_hub
    learner = prepared.learners[0].id.lower()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True).new_page()
            page.goto(f"{setup.url}/hub/login")
            assert page.locator("h1").inner_text().strip() == "登录学习平台"
            assert english_strings_in(_visible_text(page)) == []
            assert page.locator("#login_submit").get_attribute("value") == "登录"

            # a wrong password: a Chinese message that says what to do
            page.fill("input[name=username]", learner)
            page.fill("input[name=password]", "wrong")
            page.click("#login_submit")
            page.locator(".login_error").wait_for()
            assert "用户名或密码不对" in page.locator(".login_error").inner_text()
            assert english_strings_in(_visible_text(page)) == []

            # log in: the hub sends the learner straight to the app, rendered by Voilà
            browser_login(page, setup.url, learner, prepared.passwords[learner])
            assert page.url.endswith(f"/user/{learner}/voila/render/app.ipynb")
            page.locator(".pq-standin").wait_for()
            assert page.get_by_role("button", name="开始学习").is_visible()
            for chrome in (".jp-MenuBar", ".jp-FileBrowser", "#jp-top-panel", ".jp-InputArea-editor", ".jp-InputPrompt"):
                assert page.locator(chrome).filter(visible=True).count() == 0, chrome
            assert english_strings_in(_visible_text(page)) == []
            assert "cdn.jsdelivr.net" not in page.content()  # offline: nothing from the internet

            # the hub's own pages: home, 404, 403, Voilà's 404
            for path, marker in (("/hub/home", "进入学习页面"), ("/hub/no-such-page", "页面不存在"),
                                 ("/hub/admin", "无权访问"), (f"/user/{learner}/voila/render/nothing.ipynb", "页面不存在")):
                page.goto(setup.url + path)
                page.get_by_text(marker).first.wait_for()
                assert english_strings_in(_visible_text(page)) == [], path

            # a page whose cell fails: Voilà's error says only the (Chinese) instruction, no "There was an error…"
            nb = {"cells": [{"cell_type": "code", "execution_count": None, "id": "x", "metadata": {}, "outputs": [],
                             "source": ["raise RuntimeError('boom')"]}],
                  "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
                  "nbformat": 4, "nbformat_minor": 5}
            (setup.home / learner / "broken.ipynb").write_text(json.dumps(nb), encoding="utf-8")
            page.goto(f"{setup.url}/user/{learner}/voila/render/broken.ipynb")
            page.get_by_text("页面出错了").first.wait_for(timeout=90_000)
            assert "boom" not in _visible_text(page) and "There was an error" not in _visible_text(page)
            assert english_strings_in(_visible_text(page)) == []

            # JupyterLab is still there for a learner who asks, with a Chinese frame
            page.set_viewport_size({"width": 1366, "height": 768})
            page.goto(f"{setup.url}/user/{learner}/lab")
            menu = page.locator(".lm-MenuBar-content")
            menu.wait_for(timeout=90_000)
            page.get_by_text("文件", exact=True).first.wait_for(timeout=60_000)
            assert "File" not in menu.inner_text().split()

            # English on request: the switch on the hub's pages
            page.goto(f"{setup.url}/hub/home")
            page.locator("#pq-lang-switch").click()
            page.get_by_text("Open my learning page").wait_for()
            page.locator("#pq-lang-switch").click()
            page.get_by_text("进入学习页面").wait_for()

            # the instructor lands on the workbench
            ins = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
            browser_login(ins, setup.url, setup.instructor, prepared.passwords[setup.instructor])
            assert ins.url.endswith(f"/user/{setup.instructor}/voila/render/workbench.ipynb")
            ins.locator(".pq-workbench-title").wait_for(timeout=60_000)
            assert ins.locator(".jp-MenuBar").filter(visible=True).count() == 0
            assert english_strings_in(_visible_text(ins)) == []

            # a stopped server: the not-running page says so in Chinese and offers to continue
            user = HubUser(setup.url, learner, prepared.passwords[learner])
            assert user.login()
            user.make_token()
            user.stop()
            page.goto(f"{setup.url}/hub/user/{learner}/voila/render/app.ipynb")
            page.get_by_text("继续学习").first.wait_for(timeout=60_000)
            assert english_strings_in(_visible_text(page)) == []
            user.close()
        finally:
            browser.close()


def test_production_configs_send_users_to_the_apps(monkeypatch, tmp_path):
    import yaml

    sys.path.insert(0, str(Path(__file__).parent))
    from test_hub_config import load_py_config

    config = load_py_config(REPO / "deploy/unix/jupyterhub_config.py", monkeypatch, {"PARTYQUIZ_INSTRUCTORS": "zhang"})
    assert config.Spawner.default_url == "/voila/render/app.ipynb"
    assert config.Spawner.environment["JUPYTER_CONFIG_PATH"].endswith("singleuser-config/learner")
    assert config.JupyterHub.template_paths == [str(frame.HUB_TEMPLATES)]
    assert [s["name"] for s in config.JupyterHub.services].count("idle-culler") == 1
    written = frame.write_role_configs(tmp_path / "cfg")
    learner = json.loads((written["learner"] / "jupyter_server_config.json").read_text())
    assert learner["ServerApp"]["jpserver_extensions"]["jupyter_server_terminals"] is False
    values = yaml.safe_load((REPO / "deploy/k8s/values.yaml").read_text())
    assert values["singleuser"]["defaultUrl"] == "/voila/render/app.ipynb"
    assert "workbench.ipynb" in values["hub"]["extraConfig"]["partyquiz-roles"]
