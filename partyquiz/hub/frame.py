"""The frame around the apps: what each single-user server and the hub are told, as pure data.

Learners land on the learner app (`app.ipynb` rendered by Voilà: no code, no file browser, no
menus); instructors on the workbench (`workbench.ipynb`). Voilà runs as a server extension of
each single-user server, so JupyterLab stays at `/lab` (in Chinese: the zh_CN language pack is
the default locale) and the app and the lab share one server per user.

Why these settings:
- Voilà's own frame (spinner, "Executing 1 of 3", error pages, the cell-error instruction) is
  English; our Voilà template `partyquiz` (hub/share/voila/templates/partyquiz, found through
  JUPYTER_PATH) and `VoilaExecutor.*_instruction` say it in Chinese, and load nothing from the
  internet (Voilà's lab template pulls Font Awesome from a CDN).
- The hub's pages come from hub/templates (JupyterHub template overrides, Chinese with an
  English switch).
- Idle learners cost nothing: kernels idle for `KERNEL_CULL_SECONDS` are culled by the server
  (Voilà's kernels are the server's kernels in extension mode, so this is Voilà's culling too),
  and `jupyterhub-idle-culler` stops servers idle for `SERVER_CULL_SECONDS`. Answers are on disk
  (the answer store), so a cull loses nothing.
- Learners' servers run without the extensions only an author or instructor uses (LSP,
  terminals, jupytext, the classic notebook UI, formgrader, course list): less memory, and no
  terminal to run code in.
- `MALLOC_ARENA_MAX=2`: the server and its kernels are mostly idle Python processes with a few
  threads; glibc's default of 8 arenas per core keeps freed memory in per-thread arenas.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
HUB_TEMPLATES = HERE / "templates"  # JupyterHub page overrides
JUPYTER_SHARE = HERE / "share"  # a Jupyter data dir: voila/templates/partyquiz
VOILA_TEMPLATE = "partyquiz"

APP_NOTEBOOK = "app.ipynb"  # the learner app (H4b: partyquiz.app)
WORKBENCH_NOTEBOOK = "workbench.ipynb"  # the instructor workbench (partyquiz.workbench)
APP_NOTEBOOKS = (APP_NOTEBOOK, WORKBENCH_NOTEBOOK)  # faces over the library: always the shipped copy

KERNEL_CULL_SECONDS = 20 * 60
KERNEL_CULL_INTERVAL = 60
SERVER_CULL_SECONDS = 30 * 60
SERVER_CULL_EVERY = 120

LEARNER_DISABLED_SERVER = [
    "nbgrader.server_extensions.formgrader",
    "nbgrader.server_extensions.course_list",
    "jupyter_lsp",
    "jupyter_server_terminals",
    "jupyterlab_jupytext",
    "notebook",
]
# nbgrader's Assignment List and Validate: the learner app fetches, submits and fetches feedback
# through the exchange itself (app/exchange.py), so a learner's server need not import nbgrader
# at all (its package imports every server extension: ~27 MB of each learner's server).
LEARNER_LAB_ASSIGNMENTS = [
    "nbgrader.server_extensions.assignment_list",
    "nbgrader.server_extensions.validate_assignment",
]
# Learners never see the instructor's tools in JupyterLab; nor the Assignment List when its server side is off
# (a menu that answers nothing would mislead).
LEARNER_DISABLED_LAB = ["@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment"]
LEARNER_LAB_ASSIGNMENTS_UI = ["@jupyter/nbgrader:assignment-list", "@jupyter/nbgrader:validate-assignment",
                              "@jupyter/nbgrader:course-list"]


def learner_disabled_lab(lab_assignments: bool = False) -> list[str]:
    return LEARNER_DISABLED_LAB + ([] if lab_assignments else LEARNER_LAB_ASSIGNMENTS_UI)


def page_config(lab_assignments: bool = False) -> dict:
    """A learner's JupyterLab `labconfig/page_config.json`: no menus for the tools that are off."""
    return {"disabledExtensions": {k: True for k in learner_disabled_lab(lab_assignments)}}


# Lesson media a Voilà page may load from the learner's folder (Voilà's default is images only).
MEDIA_ALLOWLIST = [r".*\.(png|jpe?g|gif|svg|webp|mp4|webm|ogg|ogv|mp3|m4a|wav|pdf|vtt)"]

CELL_ERROR_ZH = "页面出错了。请刷新本页重试；如果一再出现，请联系管理员（管理员可查看服务器日志）。"
CELL_TIMEOUT_ZH = "页面打开超时。请刷新本页重试；如果一再出现，请联系管理员。"


def landing_path(role: str) -> str:
    """Where the hub sends a user after log-in (relative to their server, `Spawner.default_url`)."""
    return f"/voila/render/{WORKBENCH_NOTEBOOK if role == 'instructor' else APP_NOTEBOOK}"


def lab_locale(lang: str | None) -> str:
    return "en" if (lang or "zh-CN").lower().startswith("en") else "zh_CN"


IOPUB_TIMEOUT = 120  # seconds a page waits for its one cell's output (nbclient's default is 4)


def server_config(role: str, lang: str | None = None, lab_assignments: bool = False) -> dict:
    """`~/.jupyter/jupyter_server_config.json` for one user: Voilà, kernel culling, extensions.
    `lab_assignments`: a learner keeps nbgrader's Assignment List and Validate in JupyterLab (off:
    the learner app does their work; a deployment whose learners still use /lab for it turns it on)."""
    config: dict = {
        "VoilaConfiguration": {
            "template": VOILA_TEMPLATE,
            "show_tracebacks": False,
            "file_allowlist": MEDIA_ALLOWLIST,
            # a page open for a whole lesson: reconnects are the app's job (issue 11 item 6)
            "http_keep_alive_timeout": 10,
        },
        "VoilaExecutor": {"cell_error_instruction": CELL_ERROR_ZH, "cell_timeout_instruction": CELL_TIMEOUT_ZH,
                          # nbclient waits 4 s for a cell's output after its reply, then renders without it: with
                          # 30 learners starting at once on 2 cores the app's page came out empty (measured)
                          "iopub_timeout": IOPUB_TIMEOUT},
        "MappingKernelManager": {
            "cull_idle_timeout": KERNEL_CULL_SECONDS,
            "cull_interval": KERNEL_CULL_INTERVAL,
            "cull_connected": True,  # a Voilà tab left open all night still holds a websocket
            "cull_busy": False,  # never cut a grading batch short
        },
    }
    if role != "instructor":
        off = LEARNER_DISABLED_SERVER + ([] if lab_assignments else LEARNER_LAB_ASSIGNMENTS)
        config["ServerApp"] = {"jpserver_extensions": {name: False for name in off}}
    return config


def lab_settings_files(lang: str | None) -> dict[str, str]:
    """JupyterLab user settings: the frame in Chinese (language pack), no news pop-up."""
    base = ".jupyter/lab/user-settings/@jupyterlab"
    return {
        f"{base}/translation-extension/plugin.jupyterlab-settings": json.dumps({"locale": lab_locale(lang)}),
        f"{base}/apputils-extension/notification.jupyterlab-settings": json.dumps({"fetchNews": "false", "checkForUpdates": False}),
    }


def server_env(existing_jupyter_path: str | None = None) -> dict[str, str]:
    """Environment for a single-user server: our Voilà template on JUPYTER_PATH, fewer malloc arenas."""
    paths = [str(JUPYTER_SHARE)] + ([existing_jupyter_path] if existing_jupyter_path else [])
    return {"JUPYTER_PATH": ":".join(paths), "MALLOC_ARENA_MAX": "2"}


def idle_culler_service(python: str = sys.executable, timeout: int = SERVER_CULL_SECONDS, every: int = SERVER_CULL_EVERY) -> dict:
    return {
        "name": "idle-culler",
        "command": [python, "-m", "jupyterhub_idle_culler", f"--timeout={timeout}", f"--cull-every={every}"],
    }


IDLE_CULLER_ROLE = {
    "name": "idle-culler",
    "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
    "services": ["idle-culler"],
}


def configure_hub(c, lang: str | None = None, cull: bool = True, python: str = sys.executable,
                  cull_seconds: int | None = None) -> None:
    """Apply the frame to a JupyterHub config object `c` (the demo's and production's configs call this)."""
    c.JupyterHub.template_paths = [str(HUB_TEMPLATES)]
    c.JupyterHub.template_vars = {"pq_lang": "en" if lab_locale(lang) == "en" else "zh-CN", "pq_title": "党员教育学习平台"}
    if cull:
        services = list(c.JupyterHub.services) if "services" in c.JupyterHub else []
        roles = list(c.JupyterHub.load_roles) if "load_roles" in c.JupyterHub else []
        c.JupyterHub.services = [*services, idle_culler_service(python, timeout=cull_seconds or SERVER_CULL_SECONDS)]
        c.JupyterHub.load_roles = [*roles, IDLE_CULLER_ROLE]


def lab_overrides(lang: str | None) -> dict:
    """`<sys-prefix>/share/jupyter/lab/settings/overrides.json`: the same defaults for every user
    of an installed image (production; the demo writes per-user settings instead)."""
    return {
        "@jupyterlab/translation-extension:plugin": {"locale": lab_locale(lang)},
        "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
    }


def write_role_configs(folder: Path, lang: str | None = None) -> dict[str, Path]:
    """Production: one Jupyter config folder per role (`<folder>/<role>/jupyter_server_config.json`),
    world-readable; a spawner points a user's server at theirs with JUPYTER_CONFIG_PATH."""
    from ..files import atomic_write_text

    folders = {}
    for role in ("learner", "instructor"):
        target = Path(folder) / role
        target.mkdir(parents=True, exist_ok=True)
        atomic_write_text(target / "jupyter_server_config.json", json.dumps(server_config(role, lang), ensure_ascii=False, indent=1))
        (target / "jupyter_server_config.json").chmod(0o644)
        if role == "learner":  # JupyterLab reads labconfig/ on the config path too: no menus for tools that are off
            atomic_write_text(target / "labconfig" / "page_config.json", json.dumps(page_config()))
            (target / "labconfig" / "page_config.json").chmod(0o644)
            (target / "labconfig").chmod(0o755)
        target.chmod(0o755)
        folders[role] = target
    return folders


def role_environment(role: str, config_root: Path, existing_jupyter_path: str | None = None) -> dict[str, str]:
    """Production spawners: what a user's server needs in its environment for the frame."""
    return {**server_env(existing_jupyter_path), "JUPYTER_CONFIG_PATH": str(Path(config_root) / role)}


if __name__ == "__main__":  # python -m partyquiz.hub.frame DIR [lang]: write the role configs (image build / install)
    out = Path(sys.argv[1])
    for role, path in write_role_configs(out, sys.argv[2] if len(sys.argv) > 2 else None).items():
        print(role, path)
    atomic = out / "lab-overrides.json"
    atomic.write_text(json.dumps(lab_overrides(sys.argv[2] if len(sys.argv) > 2 else None), ensure_ascii=False, indent=1), encoding="utf-8")
    print("lab overrides", atomic, "(copy to <sys.prefix>/share/jupyter/lab/settings/overrides.json)")
