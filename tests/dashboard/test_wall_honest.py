"""The wall's numbers say what they rest on: other languages apart, the sample and its margin, and no
number at all below the minimum sample (headless Chromium on a live server, a store of its own)."""
from __future__ import annotations

import pytest
from sqlalchemy import select
from wall_data import READ_TOKEN, add_post

from core.store.schema import posts
from core.store.scores import set_languages

pytestmark = pytest.mark.browser

ENGLISH = ["Lovely morning at the Vismarkt", "Great concert in the Oosterpoort tonight", "The trains to Zwolle are late again",
           "Beautiful light over the Martinitoren", "Cycling through Groningen in the rain", "Coffee at the Forum rooftop",
           "Bought fresh cheese at the market", "The canal boats are back in the city", "Museum visit with the kids",
           "Sunset at the Hoornse Plas"]


def test_other_languages_sample_and_too_few(browser, live_wall, artifacts):
    server, engine, config = live_wall
    ids = [add_post(engine, config, "mastodon-groningen", text, label=None) for text in ENGLISH]
    with engine.begin() as conn:
        set_languages(conn, dict.fromkeys(ids, "en"))  # what the scorer records for them
        assert conn.execute(select(posts.c.lang).where(posts.c.id == ids[0])).scalar() == "en"
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    page.goto(f"{server.url}/wall?token={READ_TOKEN}")
    page.wait_for_function("document.getElementById('mood-count').textContent.includes('in andere talen')")
    count = page.text_content("#mood-count")
    assert "10 in andere talen" in count and "verhalen" in count and "nog niet beoordeeld" not in count
    word = page.text_content("#mood-word")
    assert "beoordeelde verhalen" in word and "±" in word  # the sample and, small as it is, the margin
    themes = page.locator("#themes .theme-net").all_text_contents()
    assert any("te weinig berichten" in net for net in themes)  # a theme with a handful of stories
    page.screenshot(path=str(artifacts / "wall-honest-numbers.png"))
    page.close()
