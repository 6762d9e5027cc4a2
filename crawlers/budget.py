"""Read budgets of paid or metered APIs (X's monthly post reads, YouTube's daily quota units), spent evenly.

A budget belongs to a period (a month, a day in the platform's own time zone) and is kept in the
source's state under "budget", so `newsroom sources`, /api/sources and the workspace show what is left.
Spending evenly: by any moment, a crawl may have used the period's budget in proportion to the time
gone by (plus one crawl interval, so the first crawl of a period can read something). A crawl that finds
the allowance used up asks for nothing and says until when it waits.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo


@dataclass
class Budget:
    unit: str  # "posts" (X) or "quota units" (YouTube)
    period: str  # "month" or "day"
    limit: int
    tz: str = "UTC"
    start: datetime | None = None  # the current period's start (aware)
    used: int = 0
    exhausted_until: datetime | None = None  # the platform said the budget is used up until then

    @classmethod
    def load(cls, state: dict[str, Any] | None, *, unit: str, period: str, limit: int, tz: str, now: datetime) -> Budget:
        """The budget from a source's state, rolled over to a new period when one began."""
        budget = cls(unit=unit, period=period, limit=limit, tz=tz)
        budget.start, _end = budget.bounds(now)
        if state and state.get("period_start") == budget.start.isoformat() and state.get("unit") == unit:
            budget.used = int(state.get("used") or 0)
            until = state.get("exhausted_until")
            budget.exhausted_until = datetime.fromisoformat(until) if until else None
        return budget

    def bounds(self, now: datetime) -> tuple[datetime, datetime]:
        local = now.astimezone(ZoneInfo(self.tz))
        if self.period == "day":
            start = local.replace(hour=0, minute=0, second=0, microsecond=0)
            end = (start + timedelta(days=1, hours=2)).replace(hour=0)  # DST-proof next midnight
        else:
            start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
            end = (start + timedelta(days=32)).replace(day=1)
        return start, end

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)

    def allowance(self, now: datetime, interval: timedelta) -> int:
        """What this crawl may spend: the even share up to now plus one interval, less what is used."""
        if self.exhausted_until and now < self.exhausted_until:
            return 0
        start, end = self.bounds(now)
        share = min(1.0, ((now - start) + interval) / (end - start))
        return max(0, min(self.remaining, int(self.limit * share) - self.used))

    def resets_at(self, now: datetime) -> datetime:
        return self.bounds(now)[1].astimezone(timezone.utc)

    def spend(self, amount: int) -> None:
        self.used += max(0, amount)

    def exhaust(self, now: datetime) -> None:
        """The platform says the budget is used up (YouTube's quotaExceeded): nothing until the reset."""
        self.used = max(self.used, self.limit)
        self.exhausted_until = self.resets_at(now)

    def as_state(self, now: datetime) -> dict[str, Any]:
        return {
            "unit": self.unit,
            "period": self.period,
            "period_start": self.start.isoformat() if self.start else None,
            "limit": self.limit,
            "used": self.used,
            "remaining": self.remaining,
            "resets_at": self.resets_at(now).isoformat(),
            "exhausted_until": self.exhausted_until.isoformat() if self.exhausted_until else None,
        }
