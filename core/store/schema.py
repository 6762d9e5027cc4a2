"""The data model as SQLAlchemy Core tables. Migrations in core/migrations create exactly this.

Times are stored as naive UTC (UTCDateTime) so SQLite and PostgreSQL compare them the same way.
"""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out; stored naive UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass an aware datetime")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, str):  # raw SQLite text from a func/aggregate
            value = datetime.fromisoformat(value)
        return value.replace(tzinfo=timezone.utc)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


sources = Table(
    "sources",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("kind", String(20), nullable=False),
    Column("channel", String(10), nullable=False),
    Column("url", Text, nullable=False),
    Column("local", Boolean, nullable=False, default=False),
    Column("enabled", Boolean, nullable=False, default=True),
    Column("every_seconds", Integer, nullable=False, default=900),
    Column("options", JSON, nullable=False, default=dict),
    # Incremental crawl state owned by the spider: ETag/Last-Modified per URL, cursors, since-ids.
    Column("state", JSON, nullable=False, default=dict),
    Column("created_at", UTCDateTime, nullable=False, default=utcnow),
    Column("updated_at", UTCDateTime, nullable=False, default=utcnow),
)

crawl_runs = Table(
    "crawl_runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("source_id", ForeignKey("sources.id", ondelete="CASCADE"), nullable=False),
    Column("started_at", UTCDateTime, nullable=False, default=utcnow),
    Column("finished_at", UTCDateTime),
    # running | ok | failed  (a run with some item errors but stored posts is ok with errors > 0)
    Column("status", String(10), nullable=False, default="running"),
    Column("fetched", Integer, nullable=False, default=0),
    Column("new", Integer, nullable=False, default=0),
    Column("duplicates", Integer, nullable=False, default=0),
    Column("errors", Integer, nullable=False, default=0),
    Column("not_modified", Integer, nullable=False, default=0),
    Column("requests", Integer, nullable=False, default=0),
    Column("duration_s", Float),
    Column("error", Text),
    Column("pid", Integer),
    # Which machine ran it and when it last said it was alive (core.store.sources.abandon_stale_runs).
    Column("host", String(255)),
    Column("heartbeat_at", UTCDateTime),
    Index("ix_crawl_runs_source_started", "source_id", "started_at"),
    # Running runs (abandon_stale_runs), and failed runs counted per source (source_health) from the
    # index alone.
    Index("ix_crawl_runs_status_source", "status", "source_id"),
    # A source's latest run (core.store.sources.latest_run) in one index step: without it each lookup
    # sorted all the source's runs, about 300 ms per source after a year of 10-minute crawls.
    Index("ix_crawl_runs_source_id", "source_id", "id"),
)

stories = Table(
    "stories",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("first_post_id", Integer),
    Column("title", Text),
    Column("posts", Integer, nullable=False, default=1),
    Column("first_seen", UTCDateTime, nullable=False, default=utcnow),
    Column("last_seen", UTCDateTime, nullable=False, default=utcnow),
)

posts = Table(
    "posts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("source_id", ForeignKey("sources.id", ondelete="CASCADE"), nullable=False),
    Column("channel", String(10), nullable=False),
    # The platform's own id (guid, status id, fullname); unique per source.
    Column("external_id", String(512), nullable=False),
    Column("url", Text),
    Column("canonical_url", String(1024)),
    Column("content_hash", String(64), nullable=False),
    Column("title", Text),
    Column("text", Text, nullable=False, default=""),
    Column("author", String(300)),
    Column("author_id", String(300)),  # the platform handle, pseudonymised for private individuals
    Column("author_public", Boolean, nullable=False, default=False),
    Column("author_reach", Integer),  # followers / subscribers where the platform gives it
    Column("likes", Integer),
    Column("reposts", Integer),
    Column("replies", Integer),
    Column("image_url", Text),
    # The platform's language tag at first (a hint), the detected language once `lang_checked`.
    Column("lang", String(10)),
    Column("lang_checked", Boolean, nullable=False, default=False, server_default=false()),
    Column("parent_external_id", String(512)),  # thread / reply-to / repost-of
    Column("thread_url", Text),
    Column("story_id", ForeignKey("stories.id", ondelete="SET NULL")),
    Column("published_at", UTCDateTime, nullable=False),
    Column("fetched_at", UTCDateTime, nullable=False, default=utcnow),
    Column("extra", JSON, nullable=False, default=dict),
    UniqueConstraint("source_id", "external_id"),
    Index("ix_posts_published_at", "published_at"),
    Index("ix_posts_channel_published", "channel", "published_at"),
    Index("ix_posts_source_published", "source_id", "published_at"),
    Index("ix_posts_canonical_url", "canonical_url"),
    Index("ix_posts_content_hash", "content_hash"),
    Index("ix_posts_story", "story_id"),
    Index("ix_posts_thread", "source_id", "parent_external_id"),
)
# Full-text search on posts lives beside this table, per database (migration 0003, core/search.py):
# SQLite the FTS5 table `posts_fts` with its triggers, PostgreSQL the generated column
# `posts.search_vector` (tsvector, Dutch) with a GIN index. Neither is a column SQLAlchemy selects.

# One current score per post; rescoring replaces it. `label` is the effective label every output shows:
# the model's, or the latest correction by a person (label_corrections) once there is one, which
# rescoring keeps; `model_label` is what the model said.
scores = Table(
    "scores",
    metadata,
    Column("post_id", ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True),
    Column("label", String(10), nullable=False),
    Column("model_label", String(10)),
    Column("negative", Float, nullable=False),
    Column("neutral", Float, nullable=False),
    Column("positive", Float, nullable=False),
    Column("model", String(300), nullable=False),
    Column("model_version", String(100), nullable=False),
    Column("lang", String(10)),
    # Scored although the language is not Dutch (by setting), or text truncated, etc.
    Column("flags", JSON, nullable=False, default=list),
    Column("scored_at", UTCDateTime, nullable=False, default=utcnow),
    Index("ix_scores_label", "label"),
    # Scores of an older model, found and counted without a pass over all (core.store.scores.stale_posts).
    Index("ix_scores_model_version", "model_version", "model", "post_id"),
)

label_corrections = Table(
    "label_corrections",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("post_id", ForeignKey("posts.id", ondelete="CASCADE"), nullable=False),
    Column("label", String(10), nullable=False),
    Column("previous_label", String(10)),
    Column("by", String(100), nullable=False),
    Column("note", Text),
    Column("created_at", UTCDateTime, nullable=False, default=utcnow),
    Index("ix_label_corrections_post", "post_id"),
)

post_themes = Table(
    "post_themes",
    metadata,
    Column("post_id", ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True),
    Column("theme", String(100), primary_key=True),
    Index("ix_post_themes_theme", "theme", "post_id"),
)

alerts = Table(
    "alerts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(20), nullable=False),  # theme | term | source
    Column("key", String(300), nullable=False),  # theme name, term or source name
    Column("status", String(15), nullable=False, default="open"),  # open | acknowledged | resolved
    Column("severity", String(10), nullable=False, default="warning"),
    Column("title", Text, nullable=False),
    Column("page", Text),
    Column("details", JSON, nullable=False, default=dict),
    Column("post_ids", JSON, nullable=False, default=list),
    Column("opened_at", UTCDateTime, nullable=False, default=utcnow),
    Column("updated_at", UTCDateTime, nullable=False, default=utcnow),
    Column("resolved_at", UTCDateTime),
    Column("delivered_at", UTCDateTime),
    Index("ix_alerts_key_opened", "kind", "key", "opened_at"),
)

newsletters = Table(
    "newsletters",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("week", String(10), nullable=False, unique=True),  # ISO week, 2026-W47
    Column("subject", Text, nullable=False),
    Column("html", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("built_at", UTCDateTime, nullable=False, default=utcnow),
    Column("sent_at", UTCDateTime),
    Column("recipients", JSON, nullable=False, default=list),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text),
    # When the first post it quotes is past its retention: then its content goes (core.store.retention).
    Column("expires_at", UTCDateTime),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UTCDateTime, nullable=False, default=utcnow),
    Column("actor", String(100), nullable=False),
    Column("action", String(50), nullable=False),
    Column("detail", JSON, nullable=False, default=dict),
    Index("ix_audit_log_at", "at"),
)

# Small key/value state of the analytics jobs (e.g. the hash of the themes the posts were tagged with).
meta = Table(
    "meta",
    metadata,
    Column("key", String(100), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False, default=utcnow),
)

# The fingerprints (content hash, normalised title/text) a story is known by; core.stories looks new
# posts up here, so syndicated copies join the story of the first post that carried it.
story_keys = Table(
    "story_keys",
    metadata,
    Column("key", String(80), primary_key=True),
    Column("story_id", ForeignKey("stories.id", ondelete="CASCADE"), nullable=False),
    Index("ix_story_keys_story", "story_id"),
)

# Anonymous hourly counts of posts deleted by retention (core.retention), so aggregates still add up.
archived_counts = Table(
    "archived_counts",
    metadata,
    Column("hour", UTCDateTime, primary_key=True),
    Column("source_id", ForeignKey("sources.id", ondelete="CASCADE"), primary_key=True),
    Column("channel", String(10), primary_key=True),
    Column("label", String(20), primary_key=True),
    Column("n", Integer, nullable=False),
)

# The workspace (workspace/): named staff accounts with their role (core.vocabulary.ROLES) and
# argon2 password hash (None: single sign-on only), and their server-side sessions (the cookie holds
# a random key, the store only its SHA-256), each with its CSRF token.
accounts = Table(
    "accounts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("role", String(10), nullable=False),
    Column("password_hash", Text),
    Column("enabled", Boolean, nullable=False, default=True),
    Column("created_at", UTCDateTime, nullable=False, default=utcnow),
    Column("updated_at", UTCDateTime, nullable=False, default=utcnow),
    Column("last_login_at", UTCDateTime),
    # The OpenID provider's subject ("sub") this account signed in as, bound at its first single
    # sign-on: later sign-ons must be the same person, whatever name the provider then sends.
    Column("oidc_subject", String(255)),
    Index("ix_accounts_oidc_subject", "oidc_subject", unique=True),
)

# A single sign-on under way (workspace.oidc): the state the browser carries (its SHA-256 only), the
# nonce the ID token must repeat and the PKCE verifier; used once, within minutes. `client_net` (an
# address or IPv6 /64, workspace.auth.client_net) limits how many one client may have pending.
sso_logins = Table(
    "sso_logins",
    metadata,
    Column("state_hash", String(64), primary_key=True),
    Column("nonce", String(100), nullable=False),
    Column("code_verifier", String(200), nullable=False),
    Column("target", Text, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("client_net", String(100)),
    Index("ix_sso_logins_client_net", "client_net"),
)

sessions = Table(
    "sessions",
    metadata,
    Column("key_hash", String(64), primary_key=True),
    Column("account_id", ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False, default=utcnow),
    Column("expires_at", UTCDateTime, nullable=False),
    # A single sign-on's ID token: the hint the provider's logout needs (workspace.oidc); it never
    # leaves the server and goes with the session.
    Column("id_token", Text),
    Index("ix_sessions_account", "account_id"),
)

# A search of /berichten kept under a name: the query string as the page had it.
saved_searches = Table(
    "saved_searches",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("account_id", ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("query", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False, default=utcnow),
    UniqueConstraint("account_id", "name"),
)

# A post the webcare team has dealt with ("afgehandeld"), by whom, with a note; goes with the post.
post_handling = Table(
    "post_handling",
    metadata,
    Column("post_id", ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True),
    Column("by", String(100), nullable=False),
    Column("note", Text),
    Column("handled_at", UTCDateTime, nullable=False, default=utcnow),
)

# The adviser's edits to a coming newsletter edition: intro text, excluded and pinned post ids.
newsletter_edits = Table(
    "newsletter_edits",
    metadata,
    Column("week", String(10), primary_key=True),
    Column("intro", Text),
    Column("excluded", JSON, nullable=False, default=list),
    Column("pinned", JSON, nullable=False, default=list),
    Column("updated_by", String(100), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False, default=utcnow),
)
