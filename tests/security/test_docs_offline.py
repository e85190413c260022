"""/api/v1/docs loads Swagger UI from AccountLink itself, never from a CDN."""

from __future__ import annotations

import re

from starlette.applications import Starlette
from starlette.testclient import TestClient

from accountlink_ui.api import api_routes

_REFERENCE = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']|url\s*:\s*["']([^"']+)["']""")


def test_the_docs_page_references_no_external_host() -> None:
    app = Starlette(routes=api_routes(lambda: None))  # type: ignore[arg-type, return-value]
    with TestClient(app) as client:
        page = client.get("/api/v1/docs")
        assert page.status_code == 200
        html = page.text
        references = [a or b for a, b in _REFERENCE.findall(html)]
        assert references, html
        assert not re.search(r"(?:https?:)?//[a-z0-9.-]+", html, re.I), (
            f"the docs page names an external host: {html}"
        )
        scripts_and_styles = [ref for ref in references if ref.endswith((".js", ".css"))]
        assert len(scripts_and_styles) == 2
        for reference in references:
            assert reference.startswith("/api/v1/"), reference
            asset = client.get(reference)
            assert asset.status_code == 200, reference
            assert asset.content, reference
