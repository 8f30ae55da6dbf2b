"""The dashboard's pages: one entry per navigation item (the extension point, see docs/dashboard.md).

A page is a template ``templates/pages/<name>.html`` (extends ``base.html``), an ES module
``static/js/pages/<name>.js`` exporting ``mount(root, ctx)``, and one :class:`Page` here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Page:
    name: str  # template and module name
    path: str  # URL path served by the dashboard router
    title: str  # navigation label and <title>
    nav: bool = True  # shown in the navigation bar
    admin: bool = False  # the link is shown only to admins (the API still enforces access)


PAGES: tuple[Page, ...] = (
    Page("chain", "/", "Chain"),
    Page("analytics", "/analytics", "Analytics"),
    Page("volatility", "/volatility", "Volatility"),
    Page("candles", "/candles", "Candles"),
    Page("ai", "/ai", "AI"),
    Page("login", "/login", "Sign in", nav=False),
)
