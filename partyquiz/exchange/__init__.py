"""The hub-authenticated exchange: a JupyterHub service (`service`) and nbgrader's exchange classes
that talk to it (`nbgrader_exchange`), with bounded, link-free archives (`archive`) in between.

`factory_config(url)` is the configuration that selects it through nbgrader's ExchangeFactory.
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
