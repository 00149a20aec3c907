"""The hub-authenticated exchange: a JupyterHub service (`service`) and nbgrader's exchange classes
that talk to it (`nbgrader_exchange`), with bounded, link-free archives (`archive`) in between.

`nbgrader_config(url)` is the configuration that selects it through nbgrader's ExchangeFactory.
"""
from __future__ import annotations

CLASSES = {
    "exchange": "ServiceExchange",
    "fetch_assignment": "ServiceFetchAssignment",
    "fetch_feedback": "ServiceFetchFeedback",
    "release_assignment": "ServiceReleaseAssignment",
    "release_feedback": "ServiceReleaseFeedback",
    "list": "ServiceList",
    "submit": "ServiceSubmit",
    "collect": "ServiceCollect",
}
MODULE = "partyquiz.exchange.nbgrader_exchange"


def factory_config(url: str | None = None) -> dict[str, dict[str, str]]:
    """Config sections (as for traitlets' Config) that make nbgrader use the exchange service."""
    sections: dict[str, dict[str, str]] = {"ExchangeFactory": {k: f"{MODULE}.{v}" for k, v in CLASSES.items()}}
    if url:
        sections["ServiceExchange"] = {"url": url}
    return sections


def config_lines(url_expression: str) -> str:
    """The same as Python config-file lines; `url_expression` is Python source for the URL."""
    lines = [f"c.ExchangeFactory.{k} = {f'{MODULE}.{v}'!r}" for k, v in CLASSES.items()]
    lines.append(f"c.ServiceExchange.url = {url_expression}")
    return "\n".join(lines) + "\n"
