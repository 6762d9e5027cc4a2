"""The one typed settings object, read from the environment (prefix NEWSROOM_).

Deployment-specific secrets and locations live here; what is watched (city, themes, sources) lives in
the TOML watch configuration (core.config).
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]


class Settings(BaseSettings):
    # An empty variable (NEWSROOM_CONFIG= in a unit file or compose file) means "not set": the default.
    model_config = SettingsConfigDict(env_prefix="NEWSROOM_", env_file=None, extra="ignore",
                                      hide_input_in_errors=True, env_ignore_empty=True)

    database_url: str = "sqlite:///newsroom.db"
    config: Path = PROJECT_ROOT / "config" / "groningen.toml"
    # A local directory or a Hugging Face hub id; empty means the model shipped in sentiment/.
    model: str = ""
    # Where converted base models and other regenerable files are cached.
    cache_dir: Path = Path.home() / ".cache" / "newsroom"
    threads: int = Field(default=2, ge=1, description="CPU threads for scoring")
    # How the sentiment model runs: "onnx" (ONNX Runtime, exported once into cache_dir; about 1.4x as
    # fast on CPU, same scores) or "torch" (eager transformers, e.g. for a model ONNX cannot export).
    runtime: Literal["onnx", "torch"] = "onnx"
    # Binary (negative/positive) models: a post is neutral when |P(positive) - P(negative)| is below this.
    neutral_margin: float = Field(default=0.5, ge=0.0, le=1.0)
    # Posts not in Dutch: false = stored with their language, left unscored; true = scored, flagged.
    score_other_languages: bool = False
    # int8 sentiment model (the default): the ONNX kernel `newsroom model prepare` measured fastest on
    # this CPU (sentiment.kernels), smoothed, FFN output products in fp32. Faster and ~0.3 GB less memory
    # at fp32's pooled held-out macro-F1 (sentiment/model/MODEL_CARD.md); false scores in fp32.
    quantize: bool = True
    smtp_url: str = ""
    api_token: str = ""
    # When true, API reads need a token too (API token or read token); writes always need the API token.
    read_token: str = ""
    reads_need_token: bool = False
    # Named write tokens, so the audit log says who: "kcc:token1,adviseurs:token2".
    api_tokens: str = ""
    # Origins allowed to call the API from a browser, comma-separated ("" = same origin only).
    cors_origins: str = ""
    # Requests per minute per client address on /api (0 = no limit); bodies larger than this are refused.
    rate_limit: int = Field(default=600, ge=0)
    max_request_bytes: int = Field(default=1_000_000, ge=1024)
    timezone: str = "Europe/Amsterdam"
    host: str = "127.0.0.1"
    port: int = 8000
    # Secret key of the keyed hashes (pseudonyms, person-revealing ids): NEWSROOM_PSEUDONYM_KEY, or the
    # older name NEWSROOM_PSEUDONYM_SALT. No default: every entry point refuses to start without one
    # (require_pseudonym_key); the demo makes a random one per run.
    pseudonym_key: str = Field(default="", validation_alias=AliasChoices(
        "pseudonym_key", "NEWSROOM_PSEUDONYM_KEY", "pseudonym_salt", "NEWSROOM_PSEUDONYM_SALT"))
    # Max crawl processes at once; each is a Python process of ~100 MB.
    crawl_concurrency: int = Field(default=2, ge=1)
    # Seconds between runs of theme tagging and alert detection (the scheduler and the task workers).
    analytics_every: int = Field(default=300, ge=10, le=3600)
    # Metered platform APIs, spent evenly over their period (crawlers/budget.py): X's post reads per
    # calendar month (its paid tiers cap them) and YouTube Data API quota units per day (Pacific time).
    x_monthly_reads: int = Field(default=10_000, ge=0)
    youtube_daily_quota: int = Field(default=10_000, ge=0)
    # Loopback-only crawling (tests, demo): any request to another host is refused.
    loopback_only: bool = False
    user_agent: str = "newsroom/0.1 (+https://github.com/newsroom; gemeentelijke webmonitor)"
    # The workspace: hours a sign-in lasts, and a line for the login page (the demo names its accounts).
    session_hours: int = Field(default=12, ge=1, le=24 * 30)
    login_notice: str = ""
    # Single sign-on through an OpenID Connect provider (workspace.oidc, docs/oidc.md); off while the
    # issuer is empty. The issuer's /.well-known/openid-configuration says the rest.
    oidc_issuer: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: str = ""
    oidc_scopes: str = "openid profile email"
    # What the login page's button says: "Inloggen met <name>".
    oidc_provider_name: str = "single sign-on"
    # The ID-token claim that is the account name, and (optional) the claim with the role(s); the
    # role map names which claim value is which role ("Newsroom-Beheer:beheer,…"; empty: the role names).
    oidc_name_claim: str = "preferred_username"
    oidc_role_claim: str = ""
    oidc_role_map: str = ""
    # true: a first sign-on creates its account with OIDC_DEFAULT_ROLE (or the claimed role); false:
    # only accounts beheer created can sign on.
    oidc_create_accounts: bool = False
    oidc_default_role: Literal["webcare", "adviseur", "beheer"] = "webcare"
    # The callback address registered at the provider; empty: derived from the request.
    oidc_redirect_uri: str = ""
    # Where the provider sends the browser after its logout (registered there too); empty: derived.
    oidc_post_logout_redirect_uri: str = ""
    # The city's own NL Design System tokens (a CSS file of custom properties, loaded after the
    # default tokens), the class its tokens are scoped to, a logo file and the organisation's name.
    theme_css: str = ""
    theme_class: str = ""
    theme_logo: str = ""
    theme_organisation: str = ""


    @field_validator("api_tokens")
    @classmethod
    def _named_tokens_parse(cls, value: str) -> str:
        _parse_tokens(value)
        return value

    def named_tokens(self) -> dict[str, str]:
        """{name: token} from api_tokens."""
        return _parse_tokens(self.api_tokens)

    def as_env(self) -> dict[str, str]:
        """These settings as NEWSROOM_* variables, for child processes (crawls) to read the same."""
        env = {}
        for name, value in self.model_dump().items():
            if isinstance(value, bool):
                value = "true" if value else "false"
            env[f"NEWSROOM_{name.upper()}"] = str(value)
        return env


def _parse_tokens(value: str) -> dict[str, str]:
    tokens: dict[str, str] = {}
    entries = [part.strip() for part in value.split(",") if part.strip()]
    for number, entry in enumerate(entries, 1):
        name, _, token = entry.partition(":")
        if not name.strip() or not token.strip():
            # Never echo the entry: it holds a secret.
            raise ValueError(f"NEWSROOM_API_TOKENS entry {number} is not name:token")
        tokens[name.strip()] = token.strip()
    return tokens


# Keys that are no secret: the old default and what example files suggest.
WEAK_PSEUDONYM_KEYS = {"", "change-me", "changeme", "secret", "geheim"}
MIN_PSEUDONYM_KEY = 16


class SettingsError(ValueError):
    """A setting that cannot work (a missing file, an impossible value), found when a part that uses it
    starts; the message names the NEWSROOM_ variable and what is wrong. The CLI prints it plainly."""


class MissingPseudonymKey(ValueError):
    """The pseudonym key is unset, the old default or too short to be a secret."""


def require_pseudonym_key(settings: Settings) -> None:
    """Refuse to go on without a real pseudonym key: every entry point (run, web, worker, crawl) calls this.

    Without a secret key a pseudonym is just a hash anyone can recompute from a handle.
    """
    key = settings.pseudonym_key.strip()
    if key.lower() in WEAK_PSEUDONYM_KEYS or len(key) < MIN_PSEUDONYM_KEY:
        raise MissingPseudonymKey(
            "Er is geen geheime sleutel voor pseudoniemen ingesteld (of alleen een voorbeeldwaarde of een "
            f"te korte, minder dan {MIN_PSEUDONYM_KEY} tekens). Zet een eigen, geheime sleutel in de omgeving, "
            "bijvoorbeeld: export NEWSROOM_PSEUDONYM_KEY=$(openssl rand -hex 32) — en bewaar hem: met een "
            "andere sleutel krijgen dezelfde inwoners andere schuilnamen."
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
