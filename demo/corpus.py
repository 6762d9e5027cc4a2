"""The demo corpus: posts generated from texts.py with a fixed seed, published relative to the start.

At the start there is a backlog (posts of the last 48 hours); after it, new posts for as long as the
demo runs, generated lazily in time order from the same random stream, so the same seed gives the
same posts in the same order. Times are demo seconds; the demo's clock runs `speed` times faster than
real time, the backlog included.

The regular stream has the same pace before and after the start (quieter at night, and the day
before yesterday at a quarter), so the emerging-issue analysis, which compares the last hour with the
day before it, sees nothing special in it. The brewing issues come on top of it as bursts.

A post belongs to one platform (a source kind). Threads (forum, Discourse, Reddit) are an opener
plus replies; social posts may reply to, quote or boost an earlier post; news can be syndicated (the
same article in two feeds) and shared by an outlet's social account. Episodes (texts.EPISODES) are
the brewing issues: negative posts about one theme in one neighbourhood come faster and faster, the
municipality answers, residents are relieved.
"""
from __future__ import annotations

import bisect
import heapq
import itertools
import random
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from . import texts

SEED = 20250
PLATFORMS = ("feed", "mastodon", "bluesky", "discourse", "reddit", "forum", "facebook", "instagram", "x", "youtube")
# Platforms where an account (the municipality's page, a channel) posts and residents react underneath.
PAGE_PLATFORMS = ("facebook", "instagram", "youtube")
FEEDS = ("stadsblad", "noorderbode", "gemeente")
SUBREDDIT = "groningen"
AMSTERDAM = ZoneInfo("Europe/Amsterdam")

# How often each platform gets the next post.
# (relative; the four platform APIs came on top of the first six, with EVERY shortened to match.)
PLATFORM_WEIGHTS = {"feed": 0.07, "mastodon": 0.26, "bluesky": 0.22, "discourse": 0.13, "reddit": 0.14, "forum": 0.18,
                    "facebook": 0.07, "instagram": 0.03, "x": 0.05, "youtube": 0.03}
# Where residents post about a brewing issue.
EPISODE_PLATFORMS = {"mastodon": 0.3, "bluesky": 0.25, "x": 0.15, "forum": 0.2, "discourse": 0.1, "reddit": 0.15}
SENTIMENT_WEIGHTS = {"negative": 0.33, "neutral": 0.3, "positive": 0.37}
EMOJI = {
    "negative": ["😡", "🙄", "😤", "🤬", "😞", "👎"],
    "neutral": ["🤔", "ℹ️", "📢", "📅", "👀"],
    "positive": ["👍", "😊", "🙌", "💚", "🎉", "☀️"],
}
THEME_TAGS = {
    "afval": "afval", "parkeren": "parkeren", "verkeer": "verkeer", "openbaar-vervoer": "ov",
    "wonen": "wonen", "veiligheid": "veiligheid", "aardbeving": "aardbeving", "evenementen": "evenementen",
    "zorg-en-inkomen": "zorg", "openbare-ruimte": "buitenruimte",
}
FIRST_NAMES = [
    "Anouk", "Sjoerd", "Ineke", "Henk", "Fleur", "Bart", "Marloes", "Jelle", "Wietske", "Roelof", "Femke",
    "Gerrit", "Tjitske", "Bas", "Lotte", "Harm", "Janneke", "Wouter", "Aaltje", "Kees", "Sanne", "Jan",
    "Mirjam", "Ruben", "Esther", "Geert", "Nienke", "Pieter", "Yara", "Hamza", "Priya", "Tomasz",
    "Nadia", "Joost", "Baukje", "Menno", "Ilse", "Klaas", "Romy", "Daan",
]
HANDLE_SUFFIXES = ["050", "stad", "gron", "noord", "thuis", "fietst", "buurt", "x"]
OPINION_MAKERS = [
    ("stadsflaneur", "De Stadsflaneur", 8400, "Blogt over de stad, haar straten en haar mensen."),
    ("kamerjager050", "Kamerjager 050", 5200, "Komt op voor huurders en studenten op zoek naar een kamer."),
    ("fietsmarieke", "Marieke op de fiets", 3100, "Elke dag op de fiets door Stad. Schrijft over verkeer."),
]
PUBLIC = {
    "gemeente": ("gemeentegroningen", "Gemeente Groningen", 14200,
                 "Nieuws en service van de gemeente Groningen. Webcare op werkdagen 8-20 uur."),
    "stadsblad": ("stadsblad", "Stadsblad Groningen", 6100, "Nieuws uit Stad, elke dag. (demo)"),
    "noorderbode": ("noorderbode", "Noorderbode", 4700, "Nieuws uit het Noorden. (demo)"),
}
JOURNALISTS = {
    "stadsblad": ["Jorien Kuipers", "Sander Mulder", "Fenna de Boer", "Redactie Stadsblad"],
    "noorderbode": ["Rutger Hofman", "Lieke Smit", "Redactie Noorderbode"],
    "gemeente": ["Gemeente Groningen"],
}
WIRE_BYLINE = "Persbureau Noord"
# Mean demo seconds between two regular posts in the daytime (about 2,800 posts in the backlog).
EVERY = 34.0
# Posts per demo minute of a brewing issue at its peak, and before the demo starts (a murmur).
EPISODE_PEAK_RATE = 7.5
EPISODE_MURMUR_RATE = 0.1


@dataclass(frozen=True)
class Author:
    key: str  # handle / username, [a-z0-9] only so every platform accepts it
    name: str
    number: int  # a stable numeric id for platforms that number their accounts
    followers: int
    public: bool = False
    bio: str = ""


@dataclass(eq=False)
class DemoPost:
    n: int  # unique, in order of generation
    platform: str
    at: datetime
    author: Author
    text: str  # plain text; paragraphs separated by blank lines
    sentiment: str
    theme: str | None = None
    title: str | None = None
    teaser: str = ""
    place: str = ""  # the feed's name, the subreddit
    thread: DemoPost | None = None  # the opener of the thread this reply belongs to
    parent: DemoPost | None = None  # the post this one answers
    quote: DemoPost | None = None  # quoted (Bluesky) or, with boost, boosted (Mastodon)
    boost: bool = False
    link: DemoPost | None = None  # a news article this post shares
    image: str | None = None
    lang: str | None = "nl"
    tags: tuple[str, ...] = ()
    likes: int = 0
    reposts: int = 0
    story: int | None = None  # syndicated copies of one article share it
    episode: str | None = None
    paragraphs: tuple[str, ...] = field(default=())

    @property
    def opener(self) -> DemoPost:
        return self.thread or self

    @property
    def is_opener(self) -> bool:
        return self.thread is None


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


class Corpus:
    """All demo posts; `released(moment)` gives those published by then, generating as time goes on."""

    def __init__(self, start: datetime, *, speed: float = 1.0, seed: int = SEED, backlog_hours: float = 48,
                 every: float = EVERY):
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.start = start.astimezone(timezone.utc)
        self.speed = speed
        self.every = every
        self._rng = random.Random(seed)
        self._lock = threading.RLock()
        self._posts: list[DemoPost] = []
        self._keys: list[tuple[datetime, int]] = []
        self._by_platform: dict[str, list[DemoPost]] = {platform: [] for platform in PLATFORMS}
        self._texts: set[str] = set()
        self._counter = itertools.count(1)
        self._story = itertools.count(1)
        self._used: set[str] = set()
        self._episode_threads: dict[tuple[str, str], DemoPost] = {}
        self._scripted: list[tuple[float, int, object]] = []
        self._script_order = itertools.count()
        self.authors = self._make_authors()
        self.public = {key: self.authors[handle] for key, (handle, *_rest) in PUBLIC.items()}
        for episode in texts.EPISODES:
            self._script_episode(episode)
        self._clock = 1.0
        with self._lock:
            for offset in self._backlog_offsets(backlog_hours):
                self._run_scripted(until=offset)
                self._regular(offset)
            self._run_scripted(until=0.0)

    # --- time -----------------------------------------------------------------------------------

    def time_at(self, offset: float) -> datetime:
        """Demo seconds from the start as a moment: the demo's clock runs `speed` times faster than real time."""
        return self.start + timedelta(seconds=offset / self.speed)

    def released(self, moment: datetime, platform: str | None = None) -> list[DemoPost]:
        """Posts published at or before `moment`, oldest first."""
        with self._lock:
            self._extend(moment)
            end = bisect.bisect_right(self._keys, (moment, float("inf")))
            posts = self._posts[:end]
        if platform:
            return [p for p in posts if p.platform == platform]
        return list(posts)

    def offset_of(self, moment: datetime) -> float:
        return (moment - self.start).total_seconds() * self.speed

    def _extend(self, moment: datetime) -> None:
        while self.time_at(self._clock) <= moment:
            self._run_scripted(until=self._clock)
            self._regular(self._clock)
            self._clock += self._gap(self._clock)
        self._run_scripted(until=self.offset_of(moment))

    # --- building blocks ------------------------------------------------------------------------

    def _make_authors(self) -> dict[str, Author]:
        rng = self._rng
        authors: dict[str, Author] = {}
        number = itertools.count(1001)
        for handle, name, followers, bio in PUBLIC.values():
            authors[handle] = Author(handle, name, next(number), followers, public=True, bio=bio)
        for handle, name, followers, bio in OPINION_MAKERS:
            authors[handle] = Author(handle, name, next(number), followers, bio=bio)
        wijken = texts.VARIABLES["wijk"]
        for first in FIRST_NAMES:
            wijk = rng.choice(wijken)
            style = rng.random()
            if style < 0.4:
                name = first
            elif style < 0.75:
                name = f"{first} uit {wijk}"
            else:
                name = f"{first} {rng.choice('BDHJKMPSTVW')}."
            base = re.sub(r"[^a-z0-9]", "", first.lower())
            handle = base + rng.choice(HANDLE_SUFFIXES)
            while handle in authors:
                handle = base + str(rng.randint(10, 99))
            followers = int(rng.lognormvariate(4.6, 1.0))
            authors[handle] = Author(handle, name, next(number), followers)
        return authors

    @property
    def residents(self) -> list[Author]:
        return [a for a in self.authors.values() if not a.public]

    def _resident(self) -> Author:
        # Opinion makers post more often than most residents.
        rng = self._rng
        if rng.random() < 0.15:
            return self.authors[rng.choice(OPINION_MAKERS)[0]]
        return rng.choice(self.residents)

    def _pace(self, offset: float) -> float:
        """How busy the regular stream is at `offset`: 1 in the daytime (Amsterdam), less at night and
        the day before yesterday (older than the day the emerging-issue analysis compares with)."""
        hour = (self.start + timedelta(seconds=offset)).astimezone(AMSTERDAM).hour
        pace = 0.5 if 1 <= hour < 7 else 0.75 if hour in (0, 7, 23) else 1.0
        return pace * (0.25 if offset < -25 * 3600 else 1.0)

    def _gap(self, offset: float) -> float:
        return self.every * self._rng.uniform(0.4, 1.6) / self._pace(offset)

    def _backlog_offsets(self, hours: float) -> list[float]:
        """Offsets of the backlog's regular posts: the same pace as after the start, going back `hours`."""
        offsets: list[float] = []
        offset = -self._gap(0)
        while offset > -hours * 3600:
            offsets.append(offset)
            offset -= self._gap(offset)
        return offsets[::-1]

    def _fill(self, template: str, **fixed: str) -> str:
        values = {name: self._rng.choice(options) for name, options in texts.VARIABLES.items()}
        values.update(fixed)
        return _sentence(template.format(**values))

    def _unique(self, make, decorate=None) -> str:
        """A text no other demo post has: stores de-duplicate identical texts and group near-identical ones."""
        for attempt in range(40):
            text = make()
            if attempt >= 10 and decorate is not None:
                text = decorate(text)
            if text not in self._texts:
                self._texts.add(text)
                return text
        text = f"{make()} ({next(self._counter)})"
        self._texts.add(text)
        return text

    def _decorate(self, sentiment: str):
        return lambda text: f"{text} {self._rng.choice(EMOJI[sentiment])}"

    def _engagement(self, author: Author, boost: float = 1.0) -> tuple[int, int]:
        rng = self._rng
        likes = int(rng.paretovariate(1.5) * (1 + author.followers ** 0.5 / 4) * boost) - 1
        reposts = int(likes * rng.uniform(0.02, 0.3))
        return max(likes, 0), reposts

    def _add(self, post: DemoPost) -> DemoPost:
        key = (post.at, post.n)
        index = bisect.bisect_right(self._keys, key)
        self._keys.insert(index, key)
        self._posts.insert(index, post)
        bisect.insort(self._by_platform[post.platform], post, key=lambda p: (p.at, p.n))
        return post

    def _new(self, platform: str, offset: float, author: Author, text: str, sentiment: str, **fields) -> DemoPost:
        likes, reposts = self._engagement(author, fields.pop("boost_engagement", 1.0))
        post = DemoPost(n=next(self._counter), platform=platform, at=self.time_at(offset), author=author, text=text,
                        sentiment=sentiment, likes=likes, reposts=reposts, **fields)
        return self._add(post)

    def _recent(self, platform: str, offset: float, *, openers: bool = False, limit: int = 30) -> list[DemoPost]:
        moment = self.time_at(offset)
        found = []
        for post in reversed(self._by_platform[platform]):
            if post.at > moment or post.boost:
                continue
            if openers and not post.is_opener:
                continue
            found.append(post)
            if len(found) >= limit:
                break
        return found

    def _pick_recent(self, candidates: list[DemoPost]) -> DemoPost:
        # Recent posts are more likely to get an answer.
        weights = [1.0 / (i + 1) for i in range(len(candidates))]
        return self._rng.choices(candidates, weights)[0]

    def _image(self, theme: str | None, chance: float, prefix: str | None = None) -> str | None:
        if self._rng.random() >= chance:
            return None
        return f"{prefix or theme or 'stad'}-{self._rng.randint(1, 6)}"

    # --- regular posts --------------------------------------------------------------------------

    def _regular(self, offset: float) -> None:
        rng = self._rng
        platform = rng.choices(list(PLATFORM_WEIGHTS), list(PLATFORM_WEIGHTS.values()))[0]
        if platform == "feed":
            self._news_event(offset)
            return
        theme = rng.choice(list(texts.SOCIAL))
        sentiment = rng.choices(list(SENTIMENT_WEIGHTS), list(SENTIMENT_WEIGHTS.values()))[0]
        if platform in ("mastodon", "bluesky", "x"):
            self._social_event(platform, offset, theme, sentiment)
        elif platform in PAGE_PLATFORMS:
            self._page_event(platform, offset, theme, sentiment)
        else:
            self._thread_event(platform, offset, theme, sentiment)

    def _social_event(self, platform: str, offset: float, theme: str, sentiment: str) -> None:
        rng = self._rng
        roll = rng.random()
        recent = self._recent(platform, offset)
        if recent and roll < 0.22:
            parent = self._pick_recent(recent)
            self._reply(platform, offset, parent, sentiment)
        elif recent and roll < 0.34:
            target = self._pick_recent([p for p in recent if p.author.key != "gemeentegroningen"] or recent)
            if platform == "mastodon":
                booster = self.public["gemeente"] if target.sentiment == "positive" else self._resident()
                self._new("mastodon", offset, booster, "", target.sentiment, theme=target.theme, quote=target,
                          boost=True)
            else:
                text = self._unique(lambda: self._fill(rng.choice(texts.REPLIES[sentiment])), self._decorate(sentiment))
                if rng.random() < 0.6:
                    text += " #Groningen"
                self._new("bluesky", offset, self._resident(), text, sentiment, theme=target.theme, quote=target)
        elif rng.random() < 0.06:
            self._english(platform, offset)
        else:
            pool = texts.SOCIAL[theme][sentiment]
            text = self._unique(lambda: self._fill(rng.choice(pool)), self._decorate(sentiment))
            self._social(platform, offset, self._resident(), text, sentiment, theme, image=self._image(theme, 0.18))

    def _page_event(self, platform: str, offset: float, theme: str, sentiment: str) -> None:
        """Facebook, Instagram, YouTube: the municipality's page (or a local channel) posts, residents
        comment underneath and answer each other; on Instagram residents also post with #groningen."""
        rng = self._rng
        openers = [p for p in self._recent(platform, offset, openers=True, limit=12) if p.author.public]
        if openers and rng.random() < 0.75:
            opener = self._pick_recent(openers)
            thread = [p for p in self._recent(platform, offset, limit=200) if p.opener is opener and p is not opener]
            parent = rng.choice(thread) if thread and rng.random() < 0.3 else opener
            self._reply(platform, offset, parent, sentiment if rng.random() < 0.5 else opener.sentiment)
            return
        pool = texts.SOCIAL[theme][sentiment]
        text = self._unique(lambda: self._fill(rng.choice(pool)), self._decorate(sentiment))
        if platform == "instagram" and rng.random() < 0.5:
            self._new(platform, offset, self._resident(), f"{text} #groningen", sentiment, theme=theme,
                      tags=("groningen",), image=f"{theme}-{rng.randint(1, 6)}")
            return
        if platform == "youtube":
            account = self.public[rng.choice(("gemeente", "stadsblad", "noorderbode"))]
            title = f"{text.split('.')[0][:70]} | Groningen"
            self._new(platform, offset, account, text, sentiment, theme=theme, title=title,
                      image=f"{theme}-{rng.randint(1, 6)}", boost_engagement=3.0)
            return
        self._new(platform, offset, self.public["gemeente"], text, sentiment, theme=theme,
                  image=self._image(theme, 0.6), boost_engagement=3.0)

    def _social(self, platform: str, offset: float, author: Author, text: str, sentiment: str, theme: str | None,
                **fields) -> DemoPost:
        """A top-level social post, with the hashtags people add on that platform."""
        tags = ("groningen", THEME_TAGS[theme]) if theme else ("groningen",)
        if platform == "bluesky":
            # Bluesky search finds words in the text; most posts name the city, some do not.
            if "groningen" not in text.lower() and self._rng.random() < 0.85:
                text = f"{text} #Groningen"
            tags = ()
        lang = fields.pop("lang", "nl")
        if platform == "bluesky" and self._rng.random() < 0.1:
            lang = None  # some clients send no language
        return self._new(platform, offset, author, text, sentiment, theme=theme, tags=tags, lang=lang, **fields)

    def _english(self, platform: str, offset: float) -> None:
        rng = self._rng
        sentiment, theme, template = rng.choice(texts.ENGLISH)
        text = self._unique(lambda: template, lambda t: f"{t} {rng.choice(EMOJI[sentiment])}")
        if platform in ("mastodon", "bluesky", "x"):
            self._social(platform, offset, self._resident(), text, sentiment, theme, lang="en")
        else:
            self._new(platform, offset, self._resident(), text, sentiment, theme=theme, lang="en",
                      title=text.split(".")[0][:80], place=SUBREDDIT if platform == "reddit" else "")

    def _reply(self, platform: str, offset: float, parent: DemoPost, sentiment: str, author: Author | None = None,
               text: str | None = None, episode: str | None = None) -> DemoPost:
        rng = self._rng
        theme = parent.theme
        if text is None:
            if theme and rng.random() < 0.5:
                pool = texts.SOCIAL[theme][sentiment]
            else:
                pool = texts.REPLIES[sentiment]
            text = self._unique(lambda: self._fill(rng.choice(pool)), self._decorate(sentiment))
        author = author or self._resident()
        tags: tuple[str, ...] = ()
        if platform == "mastodon" and rng.random() < 0.5:
            tags = ("groningen",)  # many add the hashtag to a reply too, so it shows in the tag timeline
        elif platform == "bluesky" and "groningen" not in text.lower() and rng.random() < 0.4:
            text = f"{text} #Groningen"
        return self._new(platform, offset, author, text, sentiment, theme=theme, parent=parent, thread=parent.opener,
                         tags=tags, place=parent.place, episode=episode, lang="nl",
                         image=self._image(theme, 0.06))

    def _thread_event(self, platform: str, offset: float, theme: str, sentiment: str) -> None:
        rng = self._rng
        openers = self._recent(platform, offset, openers=True, limit=12)
        if openers and rng.random() < 0.65:
            opener = self._pick_recent(openers)
            thread_posts = [p for p in self._recent(platform, offset, limit=200) if p.opener is opener]
            parent = rng.choice(thread_posts) if platform == "reddit" and rng.random() < 0.5 else opener
            mood = opener.sentiment if rng.random() < 0.6 else sentiment
            self._reply(platform, offset, parent, mood)
            return
        if rng.random() < 0.05:
            self._english(platform, offset)
            return
        if platform == "reddit" and rng.random() < 0.2:
            news = self._recent("feed", offset, limit=10)
            if news:
                article = rng.choice(news)
                self._new("reddit", offset, self._resident(), "", article.sentiment, theme=article.theme,
                          title=article.title, place=SUBREDDIT, link=article, image=article.image)
                return
        options = [t for t in texts.THREADS[theme] if t[0] == sentiment] or texts.THREADS[theme]
        mood, title_template, text_template = rng.choice(options)
        values = {name: rng.choice(choices) for name, choices in texts.VARIABLES.items()}
        title = _sentence(title_template.format(**values))
        text = self._unique(lambda: _sentence(text_template.format(**values)), self._decorate(mood))
        self._new(platform, offset, self._resident(), text, mood, theme=theme, title=title,
                  place=SUBREDDIT if platform == "reddit" else "", image=self._image(theme, 0.15))

    # --- news -----------------------------------------------------------------------------------

    def _news_event(self, offset: float) -> None:
        rng = self._rng
        roll = rng.random()
        if roll < 0.12:
            self._syndicated(offset)
            return
        feed = rng.choices(FEEDS, (0.46, 0.32, 0.22))[0]
        if feed == "noorderbode" and rng.random() < 0.3:
            sentiment, title, teaser, paragraphs = rng.choice(texts.REGIONAL)
            theme = None
        elif feed == "gemeente":
            unused = [m for m in texts.MUNICIPAL if m[1] not in self._used]
            if unused:
                theme, title, teaser, paragraphs = unused[0]
                self._used.add(title)
                sentiment = "neutral"
            else:
                theme = rng.choice(list(texts.NEWS))
                sentiment, title, teaser, paragraphs = next(a for a in texts.NEWS[theme] if a[0] == "neutral")
        else:
            theme = rng.choice(list(texts.NEWS))
            sentiment, title, teaser, paragraphs = rng.choice(texts.NEWS[theme])
        self._article(feed, offset, theme, sentiment, title, teaser, paragraphs)

    def _article(self, feed: str, offset: float, theme: str | None, sentiment: str, title: str, teaser: str,
                 paragraphs, *, byline: str | None = None, story: int | None = None, values: dict | None = None,
                 episode: str | None = None, image: str | None = None) -> DemoPost | None:
        rng = self._rng
        for _attempt in range(12):
            chosen = values or {name: rng.choice(choices) for name, choices in texts.VARIABLES.items()}
            full_title = _sentence(title.format(**chosen))
            key = f"{feed}:{full_title}"
            if key not in self._used:
                break
            if values:
                return None
        else:
            return None
        self._used.add(key)
        lead = _sentence(teaser.format(**chosen))
        body = tuple(_sentence(p.format(**chosen)) for p in paragraphs)
        author_name = byline or rng.choice(JOURNALISTS[feed])
        author = self.public["gemeente"] if feed == "gemeente" else Author(
            re.sub(r"[^a-z0-9]", "", author_name.lower()), author_name, 0, 0, public=True)
        text = "\n\n".join((lead, *body))
        self._texts.add(text)
        article = self._new("feed", offset, author, text, sentiment, theme=theme, title=full_title, teaser=lead,
                            paragraphs=body, place=feed, story=story, episode=episode,
                            image=image or f"{theme or 'regio'}-{rng.randint(1, 6)}")
        if story is None and feed in ("stadsblad", "noorderbode") and theme and rng.random() < 0.3:
            self._share(article, offset + rng.uniform(30, 300))
        return article

    def _syndicated(self, offset: float) -> None:
        """The same wire article in two outlets' feeds, minutes apart."""
        rng = self._rng
        unused = [w for w in texts.WIRE if w[1] not in self._used]
        if unused:
            theme, title, teaser, paragraphs = unused[0]
            self._used.add(title)
        else:
            theme = rng.choice(list(texts.NEWS))
            _sentiment, title, teaser, paragraphs = rng.choice(texts.NEWS[theme])
        sentiment = "neutral"
        values = {name: rng.choice(choices) for name, choices in texts.VARIABLES.items()}
        story = next(self._story)
        image = f"{theme}-{rng.randint(1, 6)}"
        first = self._article("stadsblad", offset, theme, sentiment, title, teaser, paragraphs, byline=WIRE_BYLINE,
                              story=story, values=values, image=image)
        if first is not None:
            self._article("noorderbode", offset + rng.uniform(120, 900), theme, sentiment, title, teaser, paragraphs,
                          byline=WIRE_BYLINE, story=story, values=values, image=image)

    def _share(self, article: DemoPost, offset: float) -> None:
        """An outlet posts its article on social media."""
        platform = self._rng.choice(("mastodon", "bluesky"))
        account = self.public[article.place]
        text = f"{article.title}. {article.teaser}"
        if text in self._texts:
            return
        self._texts.add(text)
        self._schedule(offset, lambda at: self._social(platform, at, account, text, article.sentiment, article.theme,
                                                        link=article, image=article.image))

    # --- episodes: the brewing issues -------------------------------------------------------------

    @staticmethod
    def _episode_rate(episode: dict, offset: float) -> float:
        """Posts per demo minute about the episode: a murmur before the demo starts, then faster and
        faster until the municipality answers, then fading; none after it ends."""
        rise, peak = max(episode["starts"], 0), episode["peak"]
        if offset < rise:
            return EPISODE_MURMUR_RATE
        if offset < peak:
            return 1 + (EPISODE_PEAK_RATE - 1) * (offset - rise) / (peak - rise)
        if offset < episode["resolved"]:
            return EPISODE_PEAK_RATE / 2
        return EPISODE_PEAK_RATE / 4

    def _schedule(self, offset: float, action) -> None:
        heapq.heappush(self._scripted, (offset, next(self._script_order), action))

    def _run_scripted(self, until: float) -> None:
        while self._scripted and self._scripted[0][0] <= until:
            offset, _order, action = heapq.heappop(self._scripted)
            action(offset)

    def _script_episode(self, episode: dict) -> None:
        name, theme, starts = episode["name"], episode["theme"], episode["starts"]
        title, text = episode["thread"]
        delays = (600, 1500, 2700) if starts < 0 else (20, 45, 70)
        for platform, delay in zip(("forum", "discourse", "reddit"), delays):
            self._schedule(starts + delay,
                           lambda at, platform=platform: self._episode_thread(episode, platform, at, title, text))
        for at, sentiment, news_title, teaser, paragraphs in episode["news"]:
            feed = "stadsblad" if at < 0 or at == episode["news"][0][0] else "noorderbode"
            self._schedule(at, lambda o, feed=feed, s=sentiment, t=news_title, l=teaser, p=paragraphs:
                           self._article(feed, o, theme, s, t, l, p, episode=name,
                                         image=f"{name}-{self._rng.randint(1, 3)}"))
        answer_at, answer_title, answer_teaser, answer_paragraphs = episode["answer"]
        self._schedule(answer_at, lambda o: self._answer(episode, o, answer_title, answer_teaser, answer_paragraphs))
        closing_at, closing_title, closing_teaser, closing_paragraphs = episode["closing"]
        self._schedule(closing_at, lambda o: self._article("gemeente", o, theme, "positive", closing_title,
                                                           closing_teaser, closing_paragraphs, episode=name))
        self._schedule(starts, lambda o: self._episode_tick(episode, o))

    def _episode_tick(self, episode: dict, offset: float) -> None:
        """One post about the episode, and the next one scheduled: a stream on top of the regular one."""
        if offset >= episode["ends"]:
            return
        rng = self._rng
        self._episode_post(episode, rng.choices(list(EPISODE_PLATFORMS), list(EPISODE_PLATFORMS.values()))[0], offset)
        following = offset + 60 / self._episode_rate(episode, offset) * rng.uniform(0.5, 1.5)
        rise = max(episode["starts"], 0)
        if offset < rise < following:
            following = rise  # the murmur's slow pace must not delay the rise
        self._schedule(following, lambda o: self._episode_tick(episode, o))

    def _episode_thread(self, episode: dict, platform: str, offset: float, title: str, text: str) -> None:
        author = self._resident()
        unique = text if text not in self._texts else f"{text} {self._rng.choice(EMOJI['negative'])}"
        self._texts.add(unique)
        opener = self._new(platform, offset, author, unique, "negative", theme=episode["theme"], title=title,
                           place=SUBREDDIT if platform == "reddit" else "", episode=episode["name"],
                           image=f"{episode['name']}-{self._rng.randint(1, 3)}", boost_engagement=2.0)
        self._episode_threads[(episode["name"], platform)] = opener

    def _answer(self, episode: dict, offset: float, title: str, teaser: str, paragraphs) -> None:
        """The municipality answers: on its news page, on its social accounts, and in the threads."""
        gemeente = self.public["gemeente"]
        theme, name = episode["theme"], episode["name"]
        self._article("gemeente", offset, theme, "neutral", title, teaser, paragraphs, episode=name)
        text = episode["answer_social"]
        self._texts.add(text)
        self._social("mastodon", offset + 20, gemeente, text, "neutral", theme, episode=name, boost_engagement=3.0)
        self._social("bluesky", offset + 25, gemeente, f"{text} Meer info op de website.", "neutral", theme,
                     episode=name)
        for platform in ("discourse", "reddit", "forum"):
            opener = self._episode_threads.get((name, platform))
            if opener is not None:
                reply_text = f"Webcare gemeente: {text}"
                if reply_text not in self._texts:
                    self._texts.add(reply_text)
                    self._reply(platform, offset + 40, opener, "neutral", author=gemeente, text=reply_text,
                                episode=name)

    def _episode_post(self, episode: dict, platform: str, offset: float) -> None:
        rng = self._rng
        if offset < episode["peak"]:
            sentiment, pool = "negative", episode["complaints"]
        elif offset < episode["resolved"]:
            sentiment, pool = rng.choice((("negative", episode["complaints"]), ("neutral", episode["response"]),
                                          ("neutral", episode["response"])))
        else:
            sentiment, pool = rng.choice((("positive", episode["relief"]), ("positive", episode["relief"]),
                                          ("neutral", episode["response"])))
        text = self._unique(lambda: self._fill(rng.choice(pool)), self._decorate(sentiment))
        name, theme = episode["name"], episode["theme"]
        image = self._image(theme, 0.3, prefix=name) if sentiment == "negative" else None
        opener = self._episode_threads.get((name, platform))
        if platform in ("discourse", "reddit", "forum"):
            if opener is None:
                return
            parent = opener
            if platform == "reddit" and rng.random() < 0.4:
                replies = [p for p in self._recent("reddit", offset, limit=100) if p.opener is opener]
                parent = rng.choice(replies) if replies else opener
            self._reply(platform, offset, parent, sentiment, text=text, episode=name)
            return
        recent = [p for p in self._recent(platform, offset, limit=40) if p.episode == name]
        if recent and rng.random() < 0.3:
            self._reply(platform, offset, self._pick_recent(recent), sentiment, text=text, episode=name)
        else:
            self._social(platform, offset, self._resident(), text, sentiment, theme, episode=name, image=image,
                         boost_engagement=2.0)
