from datetime import datetime, timedelta, timezone

import pytest
from analytics_data import add_post, prepare

from core.analytics.timeline import timeline
from core.store.filters import PostFilter

UTC = timezone.utc


def test_hour_buckets_by_label_zero_filled(engine):
    now = datetime(2026, 11, 20, 12, 30, tzinfo=UTC)
    with engine.begin() as conn:
        prepare(conn)
        add_post(conn, "mastodon", at=datetime(2026, 11, 20, 9, 5, tzinfo=UTC), text="Boos over de kliko", label="negative")
        add_post(conn, "mastodon", at=datetime(2026, 11, 20, 9, 55, tzinfo=UTC), text="Ook boos", label="negative")
        add_post(conn, "reddit", at=datetime(2026, 11, 20, 11, 0, tzinfo=UTC), text="Fijne markt vandaag", label="positive")
        add_post(conn, "dvhn", at=datetime(2026, 11, 20, 12, 10, tzinfo=UTC), text="Raadsvergadering live")
        result = timeline(conn, window=timedelta(hours=4), bucket="hour", by="label", now=now)
    starts = [b["start"] for b in result["buckets"]]
    # 08:30 UTC .. 12:30 UTC touches the hours 08, 09, 10, 11, 12 UTC = 09..13 in Amsterdam (CET)
    assert starts == [f"2026-11-20T{h:02d}:00:00+01:00" for h in (9, 10, 11, 12, 13)]
    counts = [b["counts"] for b in result["buckets"]]
    assert counts[0] == {"negative": 0, "neutral": 0, "positive": 0, "unscored": 0, "other_language": 0}
    assert counts[1]["negative"] == 2
    assert counts[3]["positive"] == 1
    assert counts[4]["unscored"] == 1
    assert result["keys"] == ["negative", "neutral", "positive", "unscored", "other_language"]


def test_day_buckets_follow_amsterdam_midnight_and_dst(engine):
    # 2026-10-25: clocks go back in Amsterdam (CEST -> CET); that day lasts 25 hours.
    now = datetime(2026, 10, 27, 12, 0, tzinfo=UTC)
    with engine.begin() as conn:
        prepare(conn)
        # 23:30 UTC on the 24th is 01:30 on the 25th in Amsterdam (CEST, +2)
        add_post(conn, "rtvnoord", at=datetime(2026, 10, 24, 23, 30, tzinfo=UTC), text="Nachtelijk nieuws")
        # 22:30 UTC on the 25th is 23:30 on the 25th (CET, +1): the same local day
        add_post(conn, "mastodon", at=datetime(2026, 10, 25, 22, 30, tzinfo=UTC), text="Laat nog een bericht")
        # 23:30 UTC on the 25th is 00:30 on the 26th
        add_post(conn, "reddit", at=datetime(2026, 10, 25, 23, 30, tzinfo=UTC), text="Na middernacht")
        result = timeline(conn, window=timedelta(days=3), bucket="day", by="channel", now=now)
    by_start = {b["start"]: b["counts"] for b in result["buckets"]}
    assert list(by_start) == [
        "2026-10-24T00:00:00+02:00", "2026-10-25T00:00:00+02:00",
        "2026-10-26T00:00:00+01:00", "2026-10-27T00:00:00+01:00",
    ]
    assert by_start["2026-10-25T00:00:00+02:00"] == {"news": 1, "forum": 0, "social": 1}
    assert by_start["2026-10-26T00:00:00+01:00"] == {"news": 0, "forum": 1, "social": 0}
    assert by_start["2026-10-24T00:00:00+02:00"] == {"news": 0, "forum": 0, "social": 0}


def test_timeline_filters_and_bad_arguments(engine):
    now = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    with engine.begin() as conn:
        prepare(conn)
        add_post(conn, "mastodon", at=now - timedelta(minutes=30), text="Grofvuil op de stoep", label="negative")
        add_post(conn, "mastodon", at=now - timedelta(minutes=20), text="Mooi weer in de Stad", label="positive")
        result = timeline(conn, PostFilter(theme="afval"), window=timedelta(hours=1), now=now)
        assert sum(sum(b["counts"].values()) for b in result["buckets"]) == 1
        with pytest.raises(ValueError, match="bucket"):
            timeline(conn, bucket="week", now=now)
        with pytest.raises(ValueError, match="by"):
            timeline(conn, by="author", now=now)
