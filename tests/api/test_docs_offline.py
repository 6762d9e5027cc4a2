"""/docs and /redoc work on an offline network: their assets come from this server, never a CDN."""
from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import lxml.html
import pytest


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_api_docs_load_nothing_from_another_host(client, page):
    response = client.get(page)
    assert response.status_code == 200
    base = str(response.url)
    tree = lxml.html.fromstring(response.text)
    assets = [urljoin(base, v) for v in tree.xpath("//script/@src | //link/@href | //img/@src")]
    mentioned = re.findall(r"""https?://[^\s"'<>)]+""", response.text)
    foreign = [u for u in assets + mentioned if urlsplit(u).hostname != urlsplit(base).hostname]
    assert foreign == []
    assert any(a.endswith(".js") for a in assets)
    for url in assets:
        asset = client.get(url)
        assert asset.status_code == 200 and len(asset.content) > 1000, url
    assert client.get("/openapi.json").status_code == 200


def test_swagger_ui_asks_no_outside_validator(client):
    assert '"validatorUrl": null' in client.get("/docs").text
