"""Every class a page's headline figures use is styled by a stylesheet that page loads
(issue 18 point 10: the forecast's figures were an unstyled list — .kpi lived in the
pipeline's stylesheet only)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import sign_in

STATIC = Path(__file__).resolve().parents[2] / "src" / "nexa" / "web" / "static"


@pytest.mark.parametrize("url", ["/", "/forecast", "/deals/board"])
def test_headline_figures_are_styled_where_they_appear(client: Any, users: Any, url: str) -> None:
    sign_in(client, users.admin)
    page = client.get(url).text
    css = "".join(
        (STATIC / href.removeprefix("/static/")).read_text()
        for href in re.findall(r'<link rel="stylesheet" href="(/static/[^"]+)"', page)
    )
    for name in ("kpis", "kpi", "kpi-label", "kpi-value"):
        if f'class="{name}"' in page or f'class="{name} ' in page:
            assert re.search(rf"\.{name}\b[^{{]*\{{", css), (url, name)
