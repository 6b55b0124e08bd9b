"""LiteLLM's proxy's key check for tests/gateway.py: one key per user, from `TEAM_KEYS`
("user=key,user=key"). A real team's gateway keeps its keys in LiteLLM's database (Postgres);
without one, LiteLLM answers any key but the master key with HTTP 400 "No connected db.".
"""

from __future__ import annotations

import os

from fastapi import Request
from litellm.proxy._types import ProxyErrorTypes, ProxyException, UserAPIKeyAuth


async def user_api_key_auth(request: Request, api_key: str) -> UserAPIKeyAuth:
    users = dict(pair.split("=", 1) for pair in os.environ["TEAM_KEYS"].split(","))
    for user, key in users.items():
        if api_key == key:
            return UserAPIKeyAuth(api_key=api_key, user_id=user)
    raise ProxyException(
        message="Authentication Error: unknown key",
        type=ProxyErrorTypes.auth_error,
        param="api_key",
        code=401,
    )
