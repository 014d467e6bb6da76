"""The one spelling of a platform account or channel as a single string: "twitch:1234"."""

from __future__ import annotations


def account_key(platform: str, account_id: str) -> str:
    return f"{platform}:{account_id}"
