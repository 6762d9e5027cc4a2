"""What the Meta Graph API spiders (facebook, instagram) share: the versioned URL, the token, Meta's
error codes and usage headers, and cursor paging.

The token travels in the Authorization header, never in a URL (URLs end up in logs and run errors).
Meta's usage headers (x-app-usage, x-page-usage, x-business-use-case-usage) are percentages of an hourly
share: above `usage_limit` (default 80) the spider asks only for what it must (no further pages, no more
comment threads) and notes it in the run; at 100 the rate-limit middleware holds every further request.
"""
from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode, urlsplit

from ..apis import OptionError, meta_usage
from .api import API_SETTINGS, PlatformSpider

DEFAULT_VERSION = "v21.0"
# Graph API error codes: https://developers.facebook.com/docs/graph-api/guides/error-handling
EXPIRED_CODES = {190, 102, 463, 467}  # invalid or expired access token, session expired
EXPIRED_SUBCODES = {458, 459, 460, 463, 464, 467, 492}  # app removed, checkpoint, password changed, expired
THROTTLED_CODES = {4, 17, 32, 341, 368, 613, 80001, 80002, 80004, 80005, 80006, 80008, 80014}
PERMISSION_CODES = {10, 100, 200, 210, 230, 294}


def graph_error(body: bytes) -> dict[str, Any]:
    """The "error" object of a Graph API answer ({} when there is none)."""
    try:
        data = json.loads(body)
    except ValueError:
        return {}
    error = data.get("error") if isinstance(data, dict) else None
    return error if isinstance(error, dict) else {}


class GraphSpider(PlatformSpider):
    custom_settings = API_SETTINGS
    token_variable = ""  # the kind's default environment variable
    permissions = ""  # which permissions the token needs, named in reasons

    def configure_graph(self) -> None:
        self.version = (self.options.text("api_version", DEFAULT_VERSION) or DEFAULT_VERSION).strip("/")
        if not self.version.startswith("v"):
            raise OptionError(f"option api_version must look like 'v21.0', got {self.version!r}")
        token, variable = self.options.secret("token_env", self.token_variable)
        if not token:
            raise OptionError(f"no access token: put one in {variable} (see docs/platforms.md); {self.permissions}")
        self.use_credentials({"Authorization": f"Bearer {token}"}, self.base_url, variable)
        self.usage_limit = self.options.number("usage_limit", 80, 1, 100)
        self.holding_back = False

    def graph_url(self, path: str, params: dict[str, Any] | None = None) -> str:
        query = f"?{urlencode(params)}" if params else ""
        return f"{self.base_url}/{self.version}/{path.lstrip('/')}{query}"

    def next_page(self, data: dict[str, Any]) -> str | None:
        """paging.next, when it points to the API we read (a next page elsewhere is not followed)."""
        link = (data.get("paging") or {}).get("next")
        if not isinstance(link, str) or urlsplit(link).netloc != urlsplit(self.base_url).netloc:
            return None
        return link

    def may_continue(self, response) -> bool:
        """False once Meta's usage headers say we are close to the hourly share: then ask only what we must."""
        usage = meta_usage(response.headers)
        if usage is not None and usage[0] >= (self.usage_limit or 80) and not self.holding_back:
            self.holding_back = True
            self.job.counts.messages.append(
                f"Meta-gebruikslimiet op {usage[0]:.0f}% (grens {self.usage_limit:g}%): "
                "verdere pagina's en reacties uitgesteld tot een volgende crawl"
            )
        return not self.holding_back

    def token_expired(self, status: int, body: bytes, request) -> bool:
        error = graph_error(body)
        return error.get("code") in EXPIRED_CODES or error.get("error_subcode") in EXPIRED_SUBCODES

    def explain(self, failure) -> str:
        reason = super().explain(failure)
        response = getattr(failure.value, "response", None)
        if response is None:
            return reason
        error = graph_error(response.body)
        code = error.get("code")
        if code in EXPIRED_CODES or error.get("error_subcode") in EXPIRED_SUBCODES:
            reason += (f" (vraag een nieuw token aan en zet het in {self.secret_variable}; "
                       "hoe: docs/platforms.md)")
        elif code in THROTTLED_CODES:
            reason += " (Meta's rate limit: the next crawl tries again; lower `every` if this repeats)"
        elif code in PERMISSION_CODES:
            reason += f" (the token lacks a permission: {self.permissions})"
        return reason
