"""YouTube: videos found by search (region NL, language nl) and uploaded by chosen channels, with their
comment threads and replies, through the YouTube Data API v3, within a daily quota.

Source options (TOML):
  url             the API, "https://www.googleapis.com/youtube/v3"
  query           search queries (search.list q); default: the watch terms, "Groningen|Stad|…"
  region          regionCode (default "NL"); language: relevanceLanguage (default "nl")
  channels        channel ids (UC…) whose uploads to follow (channels.list, playlistItems.list)
  comments        read the comment threads of recent videos (default true)
  watch_comments  how long after it was published a video's comments are followed (default "7d")
  max_videos      videos whose comments are read per crawl (default 20)
  max_pages       pages per search, upload list or comment list per crawl (default 2)
  backfill        how far back the first search reaches (default "2d")
  daily_quota     quota units this source may spend per day (default NEWSROOM_YOUTUBE_DAILY_QUOTA,
                  shared evenly by the youtube sources); the day is Google's (midnight Pacific time)
  key_env         the variable with the API key (default NEWSROOM_YOUTUBE_KEY); sent as the
                  x-goog-api-key header, never in a URL
  delay           seconds between requests (default: the crawl settings)

Quota: search.list costs 100 units, the other calls 1. The spider spends its even share of the day
(plus one crawl interval), keeps the count in the source's state (shown in source health), and after
Google's quotaExceeded asks nothing more until the quota resets.

Incremental: each search asks with publishedAfter from the newest video seen, each upload list stops at
the newest video seen, each followed video reads its comments newest first down to the newest seen,
and only when its comment count grew. A video is a post by its channel; comments and replies are posts
by private people, pseudonymised at ingest (only the display name and channel id are read, no avatar).
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Iterable
from urllib.parse import urlencode

from core.config.settings import get_settings

from ..apis import ApiError, OptionError, count, listing
from ..budget import Budget
from ..extract import normalise_text, parse_datetime
from ..items import Post
from .api import API_SETTINGS, PlatformSpider

KEY_VARIABLE = "NEWSROOM_YOUTUBE_KEY"
COSTS = {"search": 100, "channels": 1, "playlistItems": 1, "videos": 1, "commentThreads": 1, "comments": 1}
QUOTA_REASONS = {"quotaExceeded", "dailyLimitExceeded", "rateLimitExceeded", "userRateLimitExceeded"}
KEY_REASONS = {"keyInvalid", "keyExpired", "API_KEY_INVALID", "API_KEY_EXPIRED"}
QUOTA_TZ = "America/Los_Angeles"  # YouTube's quota day ends at midnight Pacific time


def error_reasons(body: bytes) -> set[str]:
    """Google's error reasons ({"error": {"errors": [{"reason": …}], "status": …}})."""
    try:
        error = json.loads(body).get("error") or {}
    except (ValueError, AttributeError):
        return set()
    if not isinstance(error, dict):
        return set()
    reasons = {e.get("reason") for e in error.get("errors") or [] if isinstance(e, dict)}
    reasons |= {d.get("reason") for d in error.get("details") or [] if isinstance(d, dict)}
    return {r for r in reasons if isinstance(r, str)}


class YoutubeSpider(PlatformSpider):
    kind = "youtube"
    platform = "YouTube"
    custom_settings = API_SETTINGS

    def configure(self) -> None:
        watch = self.job.ingest.config.watch
        self.queries = self.options.texts("query") or ["|".join(watch.terms)]
        self.channels = self.options.texts("channels")
        self.region = self.options.text("region", "NL")
        self.language = self.options.text("language", watch.languages[0] if watch.languages else "nl")
        self.comments = self.options.flag("comments", True)
        self.watch_for = self.options.duration("watch_comments", "7d")
        self.max_videos = self.options.integer("max_videos", 20, 0, 500)
        self.max_pages = self.options.integer("max_pages", 2, 1, 20)
        self.backfill = self.options.duration("backfill", "2d")
        key, variable = self.options.secret("key_env", KEY_VARIABLE)
        if not key:
            raise OptionError(f"no API key: put a YouTube Data API key in {variable} (see docs/platforms.md)")
        self.use_credentials({"x-goog-api-key": key}, self.base_url, variable)
        siblings = sum(1 for s in self.job.ingest.config.sources if s.kind == "youtube" and s.enabled) or 1
        limit = self.options.integer("daily_quota", get_settings().youtube_daily_quota // siblings, 0, 100_000_000)
        now = datetime.now(timezone.utc)
        self.budget = Budget.load(self.job.state.get("budget"), unit="quota units", period="day", limit=limit,
                                  tz=QUOTA_TZ, now=now)
        self.allowance = self.budget.allowance(now, self.job.source.interval)
        self.used_before = self.budget.used
        self.short_of_quota = False
        self.newest: dict[str, str] = self.job.new_state.setdefault("newest", {})
        self.videos: dict[str, dict[str, Any]] = self.job.new_state.setdefault("videos", {})
        self.uploads: dict[str, str] = self.job.new_state.setdefault("uploads", {})
        self.seen_videos: set[str] = set()
        self.queued: set[str] = set()

    def credentials_help(self) -> str:
        return f"put a YouTube Data API key in {KEY_VARIABLE} or in the variable named by key_env"

    # --- quota -------------------------------------------------------------------------------------

    def call(self, method: str, params: dict[str, Any], callback, **kwargs):
        """A request to `method` when the day's share of the quota allows it, else None (noted once)."""
        cost = COSTS[method]
        if self.budget.used - self.used_before + cost > self.allowance:
            if not self.short_of_quota:
                self.short_of_quota = True
                now = datetime.now(timezone.utc)
                why = ("Google meldde quotaExceeded" if self.budget.exhausted_until and now < self.budget.exhausted_until
                       else f"{self.budget.used} van {self.budget.limit} eenheden vandaag gebruikt")
                self.job.counts.messages.append(
                    f"YouTube-quotum: deze crawl is zijn gelijkmatige deel op ({why}); de rest wacht op een "
                    f"volgende crawl (quotum vernieuwt {self.budget.resets_at(now):%Y-%m-%d %H:%M} UTC)"
                )
            return None
        self.budget.spend(cost)
        return self.api_request(f"{self.base_url}/{method}?{urlencode(params)}", callback, **kwargs)

    def token_expired(self, status: int, body: bytes, request) -> bool:
        return status in (400, 401, 403) and bool(error_reasons(body) & KEY_REASONS)

    def explain(self, failure) -> str:
        reason = super().explain(failure)
        response = getattr(failure.value, "response", None)
        if response is not None and error_reasons(response.body) & QUOTA_REASONS:
            now = datetime.now(timezone.utc)
            if error_reasons(response.body) & {"quotaExceeded", "dailyLimitExceeded"}:
                self.budget.exhaust(now)
                reason = (f"YouTube-quotum voor vandaag op (quotaExceeded): geen verzoeken meer tot "
                          f"{self.budget.resets_at(now):%Y-%m-%d %H:%M} UTC; {reason}")
            else:
                reason = f"YouTube-snelheidslimiet (rateLimitExceeded): {reason}"
        return reason

    # --- listings ------------------------------------------------------------------------------------

    def first_requests(self) -> Iterable:
        cutoff = self.job.started_at - self.watch_for
        for video_id in [v for v, info in self.videos.items() if datetime.fromisoformat(info["published"]) < cutoff]:
            del self.videos[video_id]
        # Followed videos first: their comment counts say whose comments to read (1 unit per 50).
        followed = sorted(self.videos, key=lambda v: self.videos[v]["published"], reverse=True)
        for start in range(0, len(followed), 50):
            request = self.call("videos", {"part": "statistics", "id": ",".join(followed[start:start + 50])},
                                self.parse_counts, primary=False, cb_kwargs={"what": "comment counts of videos"})
            if request is not None:
                yield request
        for query in self.queries:
            request = self.search(query)
            if request is not None:
                yield request
        missing = [c for c in self.channels if c not in self.uploads]
        if missing:
            request = self.call("channels", {"part": "contentDetails", "id": ",".join(missing), "maxResults": 50},
                                self.parse_channels, cb_kwargs={"what": f"channels {', '.join(missing)}"})
            if request is not None:
                yield request
        for channel in self.channels:
            if channel in self.uploads:
                request = self.upload_list(channel)
                if request is not None:
                    yield request

    def search(self, query: str, token: str | None = None, page: int = 1):
        key = f"search:{query}"
        after = self.job.state.get("newest", {}).get(key) or (self.job.started_at - self.backfill).isoformat()
        params = {"part": "snippet", "type": "video", "order": "date", "q": query, "maxResults": 50,
                  "regionCode": self.region, "relevanceLanguage": self.language,
                  "publishedAfter": _rfc3339(after)}
        if token:
            params["pageToken"] = token
        return self.call("search", params, self.parse_listing,
                         cb_kwargs={"key": key, "what": f"search {query!r}", "page": page, "again": query})

    def parse_channels(self, response, what: str):
        for channel in self.json(response, dict).get("items") or []:
            uploads = ((channel.get("contentDetails") or {}).get("relatedPlaylists") or {}).get("uploads")
            if channel.get("id") and uploads:
                self.uploads[channel["id"]] = uploads
        for channel in self.channels:
            if channel not in self.uploads:
                self.job.error(f"YouTube kent kanaal {channel} niet")
            else:
                request = self.upload_list(channel)
                if request is not None:
                    yield request

    def upload_list(self, channel: str, token: str | None = None, page: int = 1):
        params = {"part": "snippet,contentDetails", "playlistId": self.uploads[channel], "maxResults": 50}
        if token:
            params["pageToken"] = token
        return self.call("playlistItems", params, self.parse_listing,
                         cb_kwargs={"key": f"channel:{channel}", "what": f"uploads of {channel}", "page": page,
                                    "again": channel})

    def parse_listing(self, response, key: str, what: str, page: int, again: str):
        data = self.json(response, dict)
        items = data.get("items")
        if not isinstance(items, list):
            raise ApiError(f"expected 'items' in the answer for {what}")
        known = self.job.state.get("newest", {}).get(key) or ""
        fresh, reached_known = [], False
        for item in items:
            snippet = item.get("snippet") or {}
            video_id = _video_id(item)
            published = (item.get("contentDetails") or {}).get("videoPublishedAt") or snippet.get("publishedAt")
            if not video_id or not published:
                continue
            if published > self.newest.get(key, ""):
                self.newest[key] = published
            if known and published <= known:
                reached_known = True
                continue
            if video_id not in self.seen_videos:
                self.seen_videos.add(video_id)
                fresh.append(video_id)
        if fresh:
            request = self.call("videos", {"part": "snippet,statistics", "id": ",".join(fresh[:50])},
                                self.parse_videos, cb_kwargs={"what": f"videos of {what}"})
            if request is not None:
                yield request
        token = data.get("nextPageToken")
        if token and not reached_known and page < self.max_pages:
            request = (self.search(again, token, page + 1) if key.startswith("search:")
                       else self.upload_list(again, token, page + 1))
            if request is not None:
                yield request

    def parse_videos(self, response, what: str):
        for item in self.json(response, dict).get("items") or []:
            post = video_post(item)
            if post is None:
                continue
            if self.comments and post["published_at"] >= self.job.started_at - self.watch_for:
                self.videos.setdefault(post["external_id"], {"published": post["published_at"].isoformat(),
                                                             "newest": "", "comments": 0, "seen": 0})
                self.videos[post["external_id"]]["seen"] = post["replies"] or 0
            if self.keep(post):
                yield Post(post)
        yield from self.comment_requests()

    def parse_counts(self, response, what: str):
        for item in listing(self.json(response, dict).get("items")):
            # An id that is not a string (a malformed answer) is not one of ours, and is not hashable either.
            if isinstance(item, dict) and isinstance(item.get("id"), str) and item["id"] in self.videos:
                self.videos[item["id"]]["seen"] = _number((item.get("statistics") or {}).get("commentCount")) or 0
        yield from self.comment_requests()

    # --- comments ----------------------------------------------------------------------------------

    def comment_requests(self) -> Iterable:
        """Followed videos whose comment count grew, newest first, up to max_videos per crawl."""
        if not self.comments:
            return
        grown = [v for v, info in self.videos.items() if info.get("seen", 0) > info["comments"] and v not in self.queued]
        grown.sort(key=lambda v: self.videos[v]["published"], reverse=True)
        for video_id in grown[:max(0, self.max_videos - len(self.queued))]:
            request = self.threads(video_id)
            if request is None:
                return
            self.queued.add(video_id)
            yield request

    def threads(self, video_id: str, token: str | None = None, page: int = 1):
        params = {"part": "snippet,replies", "videoId": video_id, "order": "time", "maxResults": 100,
                  "textFormat": "plainText"}
        if token:
            params["pageToken"] = token
        return self.call("commentThreads", params, self.parse_threads, primary=False,
                         cb_kwargs={"video_id": video_id, "what": f"comments of video {video_id}", "page": page})

    def parse_threads(self, response, video_id: str, what: str, page: int):
        data = self.json(response, dict)
        video = self.videos[video_id]
        known = (self.job.state.get("videos", {}).get(video_id) or {}).get("newest", "")
        reached_known = False
        for thread in data.get("items") or []:
            snippet = thread.get("snippet") or {}
            top = snippet.get("topLevelComment") or {}
            replies = (thread.get("replies") or {}).get("comments") or []
            for comment, parent in [(top, video_id), *((r, top.get("id")) for r in replies)]:
                post = comment_post(comment, video_id, parent)
                if post is None:
                    continue
                stamp = (comment.get("snippet") or {}).get("publishedAt") or ""
                video["newest"] = max(video["newest"], stamp)
                if known and stamp <= known:
                    if comment is top:
                        reached_known = True
                    continue
                if self.keep(post):
                    yield Post(post)
            total = count(snippet.get("totalReplyCount")) or 0
            if total > len(replies) and top.get("id"):
                # commentThreads carries at most five replies; comments.list has the rest.
                request = self.call("comments", {"part": "snippet", "parentId": top["id"], "maxResults": 100,
                                                 "textFormat": "plainText"}, self.parse_replies, primary=False,
                                    cb_kwargs={"video_id": video_id, "what": f"replies to {top['id']}"})
                if request is not None:
                    yield request
        video["comments"] = max(video["comments"], video.get("seen", 0))
        token = data.get("nextPageToken")
        if token and not reached_known and page < self.max_pages:
            request = self.threads(video_id, token, page + 1)
            if request is not None:
                yield request

    def parse_replies(self, response, video_id: str, what: str):
        known = (self.job.state.get("videos", {}).get(video_id) or {}).get("newest", "")
        for comment in self.json(response, dict).get("items") or []:
            stamp = (comment.get("snippet") or {}).get("publishedAt") or ""
            post = comment_post(comment, video_id, (comment.get("snippet") or {}).get("parentId"))
            if post is None or (known and stamp <= known):
                continue
            self.videos[video_id]["newest"] = max(self.videos[video_id]["newest"], stamp)
            if self.keep(post):
                yield Post(post)


def _rfc3339(value: str) -> str:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _video_id(item: dict[str, Any]) -> str | None:
    """The video of a search result ({"id": {"videoId": …}}) or an upload ({"contentDetails": {"videoId": …}})."""
    ident = item.get("id")
    if isinstance(ident, dict):
        return ident.get("videoId")
    return (item.get("contentDetails") or {}).get("videoId") or ((item.get("snippet") or {}).get("resourceId") or {}).get("videoId")


def video_post(item: dict[str, Any]) -> dict[str, Any] | None:
    """A video (videos.list item) as a post by its channel: title, description; its views in extra."""
    snippet = item.get("snippet") or {}
    published = parse_datetime(snippet.get("publishedAt"))
    if not item.get("id") or not isinstance(item["id"], str) or published is None:
        return None
    stats = item.get("statistics") or {}
    thumbnails = snippet.get("thumbnails") or {}
    image = next((thumbnails[size]["url"] for size in ("high", "medium", "default")
                  if isinstance(thumbnails.get(size), dict) and thumbnails[size].get("url")), None)
    extra: dict[str, Any] = {}
    views = _number(stats.get("viewCount"))
    if views is not None:
        extra["views"] = views
    if snippet.get("liveBroadcastContent") in ("live", "upcoming"):
        extra["live"] = snippet["liveBroadcastContent"]
    return {
        "external_id": item["id"],
        "url": f"https://www.youtube.com/watch?v={item['id']}",
        "title": normalise_text(snippet.get("title")) or None,
        "text": normalise_text(snippet.get("description")),
        "author": normalise_text(snippet.get("channelTitle")) or None,
        "author_id": snippet.get("channelId"),
        "author_reach": None,  # subscriber counts cost a channels.list call per channel; views are in extra
        "likes": _number(stats.get("likeCount")),
        "reposts": None,
        "replies": _number(stats.get("commentCount")),
        "image_url": image,
        "lang": (snippet.get("defaultAudioLanguage") or snippet.get("defaultLanguage") or "")[:2] or None,
        "parent_external_id": None,
        "thread_url": None,
        "published_at": published,
        "extra": extra,
    }


def comment_post(comment: dict[str, Any], video_id: str, parent_id: str | None) -> dict[str, Any] | None:
    """A top-level comment (parent: the video) or a reply (parent: its comment) as a post."""
    snippet = comment.get("snippet") or {}
    published = parse_datetime(snippet.get("publishedAt"))
    text = normalise_text(snippet.get("textOriginal") or snippet.get("textDisplay"))
    if not comment.get("id") or published is None or not text:
        return None
    channel = (snippet.get("authorChannelId") or {}).get("value") if isinstance(snippet.get("authorChannelId"), dict) else None
    return {
        "external_id": comment["id"],
        "url": f"https://www.youtube.com/watch?v={video_id}&lc={comment['id']}",
        "title": None,
        "text": text,
        "author": normalise_text(snippet.get("authorDisplayName")) or None,
        "author_id": channel,
        "author_reach": None,
        "likes": count(snippet.get("likeCount")),
        "reposts": None,
        "replies": None,
        "image_url": None,
        "lang": None,
        "parent_external_id": parent_id or video_id,
        "thread_url": f"https://www.youtube.com/watch?v={video_id}",
        "published_at": published,
        "extra": {},
    }


def _number(value: Any) -> int | None:
    """YouTube writes its counts as strings ("1234")."""
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return count(value)
