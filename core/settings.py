"""The one typed settings object, read from the environment (prefix NEWSROOM_).

Deployment-specific secrets and locations live here; what is watched (city, themes, sources) lives in
the TOML watch configuration (core.config).
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NEWSROOM_", env_file=None, extra="ignore")

    database_url: str = "sqlite:///newsroom.db"
    config: Path = PROJECT_ROOT / "config" / "groningen.toml"
    # A local directory or a Hugging Face hub id; empty means the model shipped in sentiment/.
    model: str = ""
    # Where converted base models and other regenerable files are cached.
    cache_dir: Path = Path.home() / ".cache" / "newsroom"
    threads: int = Field(default=2, ge=1, description="torch threads for scoring")
    smtp_url: str = ""
    api_token: str = ""
    # When true, API reads need a token too (API token or read token); writes always need the API token.
    read_token: str = ""
    reads_need_token: bool = False
    timezone: str = "Europe/Amsterdam"
    host: str = "127.0.0.1"
    port: int = 8000
    # Secret key for pseudonymising private authors; set it in production.
    pseudonym_salt: str = "change-me"
    # Max crawl processes at once; each is a Python process of ~100 MB.
    crawl_concurrency: int = Field(default=2, ge=1)
    # Loopback-only crawling (tests, demo): any request to another host is refused.
    loopback_only: bool = False
    user_agent: str = "newsroom/0.1 (+https://github.com/newsroom; gemeentelijke webmonitor)"


    def as_env(self) -> dict[str, str]:
        """These settings as NEWSROOM_* variables, for child processes (crawls) to read the same."""
        env = {}
        for name, value in self.model_dump().items():
            if isinstance(value, bool):
                value = "true" if value else "false"
            env[f"NEWSROOM_{name.upper()}"] = str(value)
        return env


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
