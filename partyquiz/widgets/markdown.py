"""Moved to `partyquiz.markdown` (build and the question types use it below the widgets);
imported here so `partyquiz.widgets.markdown` keeps working for widgets, the app and tests."""
from ..markdown import *  # noqa: F401,F403
from ..markdown import fix_cjk_emphasis, render_markdown  # noqa: F401  (the names used outside)
