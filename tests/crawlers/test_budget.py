"""Metered APIs: Meta's usage headers, X's rate-limit headers, the platforms' error bodies, and read
budgets spent evenly over their period (crawlers.budget)."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from crawlers.apis import api_message, meta_usage, rate_limit_exhausted
from crawlers.budget import Budget

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=timezone.utc)


def test_meta_usage_headers_say_how_close_the_hourly_share_is():
    assert meta_usage({"x-app-usage": '{"call_count": 28, "total_time": 25, "total_cputime": 91}'}) == (91.0, None)
    business = {"X-Business-Use-Case-Usage": json.dumps({"1650": [{"type": "pages", "call_count": 40, "total_cputime": 3,
                                                                   "total_time": 5, "estimated_time_to_regain_access": 7}]})}
    assert meta_usage(business) == (100.0, 420.0)  # locked out: percentages below 100 do not matter
    assert meta_usage({"Content-Type": "application/json"}) is None
    assert rate_limit_exhausted(business) == 420.0
    assert rate_limit_exhausted({"x-page-usage": '{"call_count": 100}'}) == 3600.0  # used up, no time given
    assert rate_limit_exhausted({"x-app-usage": '{"call_count": 99}'}) is None


def test_x_rate_limit_headers_pause_until_the_reset():
    reset = str(int(NOW.timestamp()) + 300)
    assert rate_limit_exhausted({"x-rate-limit-remaining": "0", "x-rate-limit-reset": reset}, now=NOW) == 300.0
    assert rate_limit_exhausted({"x-rate-limit-remaining": "12", "x-rate-limit-reset": reset}, now=NOW) is None


def test_error_bodies_of_meta_google_and_x_are_read():
    meta = {"error": {"message": "Error validating access token", "type": "OAuthException", "code": 190}}
    assert api_message(json.dumps(meta).encode()) == "Error validating access token"
    google = {"error": {"code": 403, "message": "quota", "errors": [{"reason": "quotaExceeded", "message": "quota"}]}}
    assert api_message(json.dumps(google).encode()) == "quota: quotaExceeded"
    x = {"title": "Unauthorized", "detail": "Unauthorized", "status": 401}
    assert api_message(json.dumps(x).encode()) == "Unauthorized"
    assert api_message(b'{"errors": ["invalid api key"]}') == "invalid api key"  # Discourse, as before


def test_a_monthly_budget_is_spent_evenly():
    budget = Budget.load(None, unit="posts", period="month", limit=31_000, tz="UTC", now=NOW)
    # 3.5 days of December gone, plus one 12-hour interval: 4 days' share of 31 000 posts.
    assert budget.allowance(NOW, timedelta(hours=12)) == 4000
    budget.spend(3900)
    state = budget.as_state(NOW)
    assert (state["used"], state["remaining"], state["resets_at"]) == (3900, 27_100, "2027-01-01T00:00:00+00:00")
    again = Budget.load(state, unit="posts", period="month", limit=31_000, tz="UTC", now=NOW)
    assert again.allowance(NOW, timedelta(hours=12)) == 100
    january = Budget.load(state, unit="posts", period="month", limit=31_000, tz="UTC", now=datetime(2027, 1, 1, 1, tzinfo=timezone.utc))
    assert january.used == 0  # a new month, a new budget


def test_a_daily_quota_follows_the_platforms_day_and_an_exhausted_one_waits_for_the_reset():
    budget = Budget.load(None, unit="quota units", period="day", limit=10_000, tz="America/Los_Angeles", now=NOW)
    assert budget.resets_at(NOW) == datetime(2026, 12, 5, 8, 0, tzinfo=timezone.utc)  # midnight Pacific
    budget.exhaust(NOW)
    assert budget.allowance(NOW + timedelta(hours=1), timedelta(hours=1)) == 0 and budget.remaining == 0
    state = budget.as_state(NOW)
    tomorrow = Budget.load(state, unit="quota units", period="day", limit=10_000, tz="America/Los_Angeles",
                           now=datetime(2026, 12, 5, 9, tzinfo=timezone.utc))
    assert tomorrow.used == 0 and tomorrow.allowance(datetime(2026, 12, 5, 9, tzinfo=timezone.utc), timedelta(hours=1)) > 0
