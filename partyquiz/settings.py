"""One settings object for the whole library: environment, then an optional config file, then defaults.

`settings()` returns a frozen `Settings`; callers take what they need from it and pass values
down as plain arguments (functions deeper in the library never read the environment). It is
built once per distinct environment: the variables below are looked up on each call (a few dict
reads) and the object is rebuilt only when one of them changed, so a notebook or a test that sets
`PARTYQUIZ_LANG` sees it without a restart.

Every variable is documented in docs/configuration.md (a test checks the table lists them all).
The config file is TOML (`partyquiz.toml` in the project root, or the file `PARTYQUIZ_CONFIG`
names); its keys are the field names below, e.g. `ledger_url = "postgresql://…"`. The environment
wins over the file; the file wins over the defaults.
"""
from __future__ import annotations

import os
import sys
import tomllib
import warnings
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

PACKAGE = Path(__file__).resolve().parent
PACKAGE_DATA = PACKAGE / "data"

# field name → environment variable. Order is the order of the table in docs/configuration.md.
ENVIRONMENT: dict[str, str] = {
    "root": "PARTYQUIZ_ROOT",
    "config": "PARTYQUIZ_CONFIG",
    "lang": "PARTYQUIZ_LANG",
    "courses_dir": "PARTYQUIZ_COURSES",
    "var_dir": "PARTYQUIZ_VAR",
    "grader_root": "PARTYQUIZ_GRADER_ROOT",
    "exchange": "PARTYQUIZ_EXCHANGE",
    "gradebook_url": "PARTYQUIZ_GRADEBOOK_URL",
    "ledger_url": "PARTYQUIZ_LEDGER_URL",
    "rules": "PARTYQUIZ_RULES",
    "templates_dir": "PARTYQUIZ_TEMPLATES",
    "roster": "PARTYQUIZ_ROSTER",
    "learner": "PARTYQUIZ_LEARNER",
    "home": "PARTYQUIZ_HOME",
    "records_url": "PARTYQUIZ_RECORDS_URL",
    "hub_settings": "PARTYQUIZ_HUB_SETTINGS",
    "exchange_url": "PARTYQUIZ_EXCHANGE_URL",
    "exchange_data": "PARTYQUIZ_EXCHANGE_DATA",
    "exchange_max_bytes": "PARTYQUIZ_EXCHANGE_MAX_BYTES",
    "instructors_group": "PARTYQUIZ_INSTRUCTORS_GROUP",
    "debug": "PARTYQUIZ_DEBUG",
    "study_report_seconds": "PARTYQUIZ_STUDY_REPORT_SECONDS",
    "hub_user": "JUPYTERHUB_USER",
    "hub_api_token": "JUPYTERHUB_API_TOKEN",
    "service_prefix": "JUPYTERHUB_SERVICE_PREFIX",
    "service_url": "JUPYTERHUB_SERVICE_URL",
}
# Old names still read, with a DeprecationWarning: old name → field.
DEPRECATED = {"PARTYQUIZ_DB_URL": "gradebook_url"}
DEFAULT_COURSE_ID = "jiaoyu-guanli"  # the sample course `partyquiz grade` and the demo use


class SettingsError(ValueError):
    """A config file partyquiz cannot use: keys it does not know (`names`), or not TOML at all
    (`reason`). The message is English here (the catalogs sit above this module, since the
    language is a setting); the CLI words it in the interface language from these fields."""

    def __init__(self, path: Path, names: list[str] | None = None, reason: str | None = None):
        self.path, self.names, self.reason = path, names or [], reason
        super().__init__(f"{path}: unknown settings {', '.join(self.names)}" if self.names else f"{path}: not TOML ({reason})")


class Settings(BaseModel):
    """Where things live and who is asking. `None` means "not configured": the caller's default applies."""

    model_config = ConfigDict(frozen=True)

    root: Path  # the project folder holding courses/, grader/ and var/
    config: Path | None = None  # the TOML file these settings were read from, if any
    lang: str | None = None  # zh-CN | en; unset: Chinese
    courses_dir: Path
    var_dir: Path  # runtime state: the one default ledger (<var>/ledger.db), `partyquiz serve`'s folder, the demo's files
    grader_root: Path | None = None  # nbgrader course root; unset: <root>/grader (hub instructor: ~/grader)
    exchange: Path | None = None  # nbgrader exchange; unset: <grader root>/exchange
    gradebook_url: str | None = None  # nbgrader gradebook; unset: SQLite file in the grader root
    ledger_url: str  # training-record ledger
    rules: Path  # hour rules (YAML)
    templates_dir: Path  # CSV export templates (YAML)
    roster: Path | None = None  # the instructor's roster file inside the hub
    learner: str | None = None  # who the learner is (overrides the hub user)
    home: Path | None = None  # where the start page looks for lessons; unset: the notebook's folder
    records_url: str | None = None  # the hub's records service, for 我的学习档案
    hub_settings: Path | None = None  # hub.json written by `partyquiz serve`
    exchange_url: str | None = None  # the hub's secure exchange service (learner side)
    exchange_data: Path | None = None  # where the exchange service stores files
    exchange_max_bytes: int | None = None  # largest upload the exchange accepts; unset: its own default
    instructors_group: str | None = None  # hub group whose members are instructors; unset: "instructors"
    debug: bool = False  # keep full tracebacks of grading failures
    study_report_seconds: float | None = None  # the learner app reports study time this often; unset: app.agent.STUDY_SECONDS
    hub_user: str | None = None
    hub_api_token: str | None = Field(None, repr=False)  # a secret: never printed
    service_prefix: str | None = None
    service_url: str | None = None

    # --- derived paths: computed here once, never from __file__ elsewhere ------------------------
    @property
    def default_grader_root(self) -> Path:
        return self.grader_root or self.root / "grader"

    @property
    def default_course(self) -> Path:
        return self.courses_dir / DEFAULT_COURSE_ID

    @property
    def notebooks_dir(self) -> Path:
        """The hub's landing notebooks: `<root>/notebooks` when the project has them (a checkout,
        or an organisation's own), else the copies shipped in the package."""
        own = self.root / "notebooks"
        return own if own.is_dir() else PACKAGE_DATA / "notebooks"

    @property
    def default_template(self) -> Path:
        return self.templates_dir / "ganbu-peixun.yml"

    def course_folders(self) -> list[Path]:
        """Every course under the courses folder (a folder with a course.yml)."""
        return sorted(p.parent for p in self.courses_dir.glob("*/course.yml"))


def ledger_url_in(folder: Path | str) -> str:
    """The SQLite ledger a runtime folder keeps (`<folder>/ledger.db`): the one default ledger name."""
    return f"sqlite:///{Path(folder) / 'ledger.db'}"


@lru_cache(maxsize=1)
def _package_checkout() -> Path | None:
    parent = PACKAGE.parent
    return parent if (parent / "pyproject.toml").exists() and (parent / "courses").is_dir() else None


def _checkout_root() -> Path:
    """The source checkout the package runs from; an installed copy uses the working folder."""
    return _package_checkout() or Path.cwd()


def _read_environment(env: os._Environ | dict) -> dict[str, str]:
    values = {field: env[name] for field, name in ENVIRONMENT.items() if env.get(name)}
    for old, field in DEPRECATED.items():
        if env.get(old) and field not in values:
            warnings.warn(f"{old} is deprecated; use {ENVIRONMENT[field]}", DeprecationWarning, stacklevel=3)
            values[field] = env[old]
    return values


def _read_toml(path: Path) -> dict:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(path, reason=str(exc)) from None


def _read_file(path: Path) -> dict:
    data = _read_toml(path)
    unknown = set(data) - set(Settings.model_fields)
    if unknown:
        raise SettingsError(path, sorted(unknown))
    return data


def _config_path(root: Path, config: str | None) -> Path:
    return Path(config).expanduser() if config else root / "partyquiz.toml"


def load_settings(env: os._Environ | dict | None = None) -> Settings:
    """Build settings from `env` (default: the process environment), the config file and defaults."""
    env = os.environ if env is None else env
    from_env = _read_environment(env)
    root = Path(from_env.get("root") or _checkout_root()).expanduser().resolve()
    config = _config_path(root, from_env.get("config"))
    from_file = _read_file(config) if config.is_file() else {}
    values: dict = {**from_file, **from_env, "root": root, "config": config if config.is_file() else None}
    base = Path(values["root"])
    values.setdefault("courses_dir", base / "courses")
    # one runtime folder, wherever the command runs from: the CLI, `make demo` and `partyquiz serve`
    # share its ledger (a relative PARTYQUIZ_VAR is taken from the working folder, as typed)
    values["var_dir"] = Path(values.get("var_dir") or base / "var").expanduser().resolve()
    values.setdefault("ledger_url", ledger_url_in(values["var_dir"]))
    values.setdefault("rules", PACKAGE_DATA / "rules.yml")
    values.setdefault("templates_dir", PACKAGE_DATA / "templates")
    if isinstance(values.get("debug"), str):
        values["debug"] = values["debug"].strip().lower() not in ("", "0", "false", "no")
    return Settings(**values)


_cache: tuple[tuple, Settings] | None = None


def language_setting() -> str | None:
    """The interface language setting alone: PARTYQUIZ_LANG, else the config file's `lang`.

    `i18n.t()` asks for it on every string, so this is three lookups, not a whole `settings()`."""
    lang = os.environ.get(ENVIRONMENT["lang"])
    if lang:
        return lang
    return _file_lang(os.environ.get(ENVIRONMENT["root"]), os.environ.get(ENVIRONMENT["config"]))


@lru_cache(maxsize=8)
def _file_lang(root: str | None, config: str | None) -> str | None:
    # every interface string asks for the language, even the message that reports a broken config
    # file: read `lang` alone and leave the file's faults to `settings()`, which names them
    path = _config_path(Path(root or _checkout_root()).expanduser().resolve(), config)
    try:
        lang = _read_toml(path).get("lang") if path.is_file() else None
    except (OSError, SettingsError):
        return None
    return lang if isinstance(lang, str) else None


def settings() -> Settings:
    """The current settings; rebuilt only when one of the variables above changed."""
    global _cache
    key = tuple(os.environ.get(name) for name in (*ENVIRONMENT.values(), *DEPRECATED))
    if _cache is None or _cache[0] != key:
        _cache = (key, load_settings())
    return _cache[1]


def ensure_venv_on_path() -> None:
    """nbgrader runs the `alembic` executable from PATH when it creates a gradebook: put this
    interpreter's bin folder first, once (the one place the library changes the environment)."""
    bindir = str(Path(sys.executable).parent)
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")
