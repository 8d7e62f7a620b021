"""allauth's adapter, with its per-account login limit made per account
and client address.

allauth counts failed logins per account ("login_failed": 5 in 5 minutes
per login name) and then refuses even the right password: anyone could
lock any user out with five wrong guesses. Counted per (login name, client
address) instead, a guesser locks only themself out; the per-address limit
("10/m/ip") still bounds each address over all accounts. What bounds a
guesser with very many addresses is the password rules (README, Security).
The counters live in the cache, which is Redis (project.cache), so every
process shares them; the address is the one TRUSTED_PROXIES vouch for.
"""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest


class AccountAdapter(DefaultAccountAdapter):
    def _get_login_attempts_cache_key(
        self, request: HttpRequest, **credentials: Any
    ) -> str:
        key = super()._get_login_attempts_cache_key(request, **credentials)
        return f"{key}:{self.get_client_ip(request)}"
