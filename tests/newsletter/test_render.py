"""Rendering: mail-safe HTML with every section, escaped post text, safe links; a plain-text twin."""
from __future__ import annotations

import base64

from newsletter_data import PRIVATE_NAMES, SECTIONS, TEXT_SECTIONS, WEEK, Page

from newsletter.build import build_week
from newsletter.render import number, render, signed


def test_filters():
    assert number(1234567) == "1.234.567" and number(None) == "–"
    assert signed(12.4) == "+12" and signed(-3.6) == "-4" and signed(0.2) == "0" and signed(None) == "–"
    assert signed(175, "%") == "+175%"


def test_newsletter_html_and_text(filled, newsroom_config):
    with filled.connect() as conn:
        rendered = render(build_week(conn, newsroom_config, WEEK, "Europe/Amsterdam"))
    html, text = rendered.html, rendered.text
    page = Page(html)

    assert rendered.subject == "Online in Groningen — week 47"
    assert page.headings[:2] == ["Online in Groningen", "Kerncijfers"]
    for section in SECTIONS:
        assert section in page.headings, section
    for section in TEXT_SECTIONS:
        assert f"\n{section}\n" in text, section

    # Mail-client safe: no scripts anywhere, layout in tables, styles inline.
    assert page.scripts == 0 and "<script" not in html.lower()
    assert 'role="presentation"' in html and 'width="600"' in html
    # The crawled text is shown, escaped: <script> and <b> arrive as text.
    assert "Kijk dan &lt;script&gt;alert(&#39;xss&#39;)&lt;/script&gt; wat een puinhoop" in html
    assert "Puinhoop &lt;b&gt;Grote Markt&lt;/b&gt;" in html
    assert "Kijk dan <script>alert('xss')</script> wat een puinhoop" in text  # plain text has nothing to escape

    # Links: only absolute http(s); the fixture's javascript: post URL and image are dropped.
    assert "javascript:" not in html and "javascript:" not in text
    assert page.links and all(link.startswith(("https://", "http://")) for link in page.links)
    assert "https://www.rtvnoord.nl/nieuws/1001/gemeente-groningen-gaat-ondergrondse-containers-vaker-legen" in page.links
    assert "https://gemeente.groningen.nl/afval" in page.links
    assert "https://newsroom.groningen.example/newsletters/2026-W47" in page.links

    # The chart travels inside the HTML; images of posts stay links to their own site.
    chart = [src for src in page.images if src.startswith("data:image/png;base64,")]
    assert len(chart) == 1
    assert base64.b64decode(chart[0].split(",", 1)[1]).startswith(b"\x89PNG")
    # Images only from news and public-role authors: the residents' photos of the fixture stay out.
    assert [src for src in page.images if not src.startswith("data:")] == [
        "https://images.rtvnoord.example/winterwelvaart.jpg",
        "https://images.rtvnoord.example/stalling.jpg",
        "https://images.rtvnoord.example/containers.jpg",
    ]

    # Figures as people read them.
    assert "vorige week 12 (+175%)" in html
    assert "Berichten:        33 (vorige week 12, +175%)" in text
    assert "Gemeente Groningen" in html and "(privépersoon)" in html
    for name in PRIVATE_NAMES:
        assert name not in html and name not in text, name


def test_the_mood_carries_its_sample_and_the_city_is_not_its_online_voices(filled, newsroom_config):
    from newsletter.build import SILENT_MAJORITY

    with filled.connect() as conn:
        data = build_week(conn, newsroom_config, WEEK, "Europe/Amsterdam")
    rendered = render(data)
    sentence = SILENT_MAJORITY.format(city="Groningen")
    assert rendered.html.count(sentence) == 1 and rendered.text.count(sentence) == 1
    figures = data["figures"]
    # this week: the number with its margin and its sample; the week before (12 stories): no number
    net = f"{round(figures['net_sentiment']):+d} ±{round(figures['margin'])}"
    assert net in rendered.html
    assert f"Netto sentiment:  {net} (vorige week te weinig berichten; schaal -100 tot +100, over 31 beoordeelde verhalen)" in rendered.text
    assert "vorige week te weinig berichten" in rendered.html
    assert "nog niet beoordeeld" in rendered.text  # the one Dutch post the scorer has not reached


def test_posts_in_other_languages_are_counted_apart(filled, newsroom_config):
    from sqlalchemy import select

    from core.store.schema import posts, scores
    from core.store.scores import set_languages
    from newsletter.weeks import week_range

    since, until = week_range(WEEK, "Europe/Amsterdam")
    with filled.begin() as conn:
        unscored = conn.execute(select(posts.c.id).outerjoin(scores, scores.c.post_id == posts.c.id).where(
            scores.c.post_id.is_(None), posts.c.published_at >= since, posts.c.published_at < until)).scalars().all()
        set_languages(conn, dict.fromkeys(unscored, "en"))  # the scorer found it English
    with filled.connect() as conn:
        data = build_week(conn, newsroom_config, WEEK, "Europe/Amsterdam")
    rendered = render(data)
    assert data["figures"]["other_language"] == len(unscored) == 1 and data["figures"]["unscored"] == 0
    assert "Berichten in andere talen" in rendered.html and "nog niet beoordeeld" not in rendered.html
    assert "Andere talen:     1 bericht in andere talen (geteld, niet in het sentiment)" in rendered.text
