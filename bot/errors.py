"""Errors the bot shows to users (short and in character) versus ones it only logs."""

from __future__ import annotations


class UserFacingError(Exception):
    """Shown to the user as is; `reason` must be short and safe to display."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ConfigError(Exception):
    """Startup configuration is wrong; the message names the setting and how to fix it."""
