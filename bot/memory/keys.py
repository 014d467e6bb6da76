"""The one place that formats Redis key names. Owners sit in a hash tag so their keys share a slot."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote


def _check(part: str, what: str) -> str:
    """Escape a key part so that any id is safe: no braces (hash tags), spaces, colons or newlines."""
    if not part:
        raise ValueError(f"empty {what} in a key")
    if len(part) > 256:
        raise ValueError(f"{what} too long for a key ({len(part)} characters)")
    return quote(part, safe="-_.@+=!~*'()")


@dataclass(frozen=True, slots=True)
class Keys:
    prefix: str = "fs"

    # Aliases: one per platform account, each holds the uid it points to.
    def alias(self, platform: str, account_id: str) -> str:
        return f"{self.prefix}:{{a:{_check(platform, 'platform')}:{_check(account_id, 'account id')}}}"

    def account_gone(self, platform: str, account_id: str) -> str:
        """When this account was last forgotten (beside its alias, in its slot): a turn begun before then,
        still in flight, never claims a new uid for it."""
        return f"{self.alias(platform, account_id)}:gone"

    def user_gone(self, uid: str) -> str:
        """The tombstone of a forgotten uid: every write to the user's slot checks it in its own atomic step."""
        return self.user(uid, "gone")

    def flood_count(self, name: str, window: int) -> str:
        """Turns one limiter let through in one minute, all processes together (`name` is a digest)."""
        return f"{self.prefix}:{{r:{_check(name, 'limiter')}}}:{window}"

    # Per user (uid): everything in one slot, so a user's writes can be one transaction.
    def user(self, uid: str, part: str) -> str:
        return f"{self.prefix}:{{u:{_check(uid, 'uid')}}}:{_check(part, 'key part')}"

    def profile(self, uid: str) -> str:
        return self.user(uid, "profile")

    def user_aliases(self, uid: str) -> str:
        return self.user(uid, "aliases")

    def user_channels(self, uid: str) -> str:
        """The channels a user has spoken in, so that forget can find their lines."""
        return self.user(uid, "channels")

    def facts(self, uid: str) -> str:
        return self.user(uid, "facts")

    def fact_vectors(self, uid: str) -> str:
        return self.user(uid, "factvec")

    def fact_log(self, uid: str) -> str:
        return self.user(uid, "factlog")

    def likes(self, uid: str) -> str:
        return self.user(uid, "likes")

    def recommended(self, uid: str) -> str:
        return self.user(uid, "recs")

    def recommended_latest(self, uid: str) -> str:
        return self.user(uid, "reclast")

    def ratings(self, uid: str) -> str:
        return self.user(uid, "ratings")

    def fan_of(self, uid: str) -> str:
        """The crowds (scopes) a user's likes are counted in, so that forget can take them out."""
        return self.user(uid, "fanof")

    # Per crowd scope ("all", or one channel): uid -> the catalog items they like, for the collaborative signal.
    def fans(self, scope: str) -> str:
        return f"{self.prefix}:{{f:{_check(scope, 'crowd scope')}}}:fans"

    # Per space (a Discord server): settings that channels inherit.
    def space_settings(self, platform: str, space_id: str) -> str:
        return f"{self.prefix}:{{s:{_check(platform, 'platform')}:{_check(space_id, 'space id')}}}:settings"

    # Per channel: history, summary, settings.
    def channel(self, platform: str, channel_id: str, part: str) -> str:
        return (
            f"{self.prefix}:{{c:{_check(platform, 'platform')}:{_check(channel_id, 'channel id')}}}:"
            f"{_check(part, 'key part')}"
        )

    def turn_ids(self, platform: str, channel_id: str) -> str:
        """The ids of the turns written lately in a channel (random: no one's data), so a retry adds nothing."""
        return self.channel(platform, channel_id, "turnids")

    def history(self, platform: str, channel_id: str) -> str:
        return self.channel(platform, channel_id, "hist")

    def history_sibling(self, history_key: str, part: str) -> str:
        """Another key of the channel a history key belongs to (found by SCAN, so its ids are not at hand)."""
        if not history_key.endswith(":hist"):
            raise ValueError(f"not a history key: {history_key!r}")
        return f"{history_key.removesuffix(':hist')}:{_check(part, 'key part')}"

    def summary(self, platform: str, channel_id: str) -> str:
        return self.channel(platform, channel_id, "summary")

    def channel_settings(self, platform: str, channel_id: str) -> str:
        return self.channel(platform, channel_id, "settings")

    # Per channel: a running story, its votes (voter -> choice) and its transcript.
    def story(self, platform: str, channel_id: str) -> str:
        return self.channel(platform, channel_id, "story")

    def story_votes(self, platform: str, channel_id: str) -> str:
        return self.channel(platform, channel_id, "votes")

    def story_log(self, platform: str, channel_id: str) -> str:
        return self.channel(platform, channel_id, "storylog")

    def story_suggestions(self, platform: str, channel_id: str) -> str:
        return self.channel(platform, channel_id, "ideas")

    def stories_running(self) -> str:
        """One small set of "platform:channel" with a story not ended, resumed after a restart."""
        return f"{self.prefix}:stories"

    def votes_pattern(self) -> str:
        return f"{self.prefix}:{{c:*}}:votes"

    def story_pattern(self, part: str) -> str:
        """SCAN pattern for one kind of story key in every channel (story, votes, ideas, storylog)."""
        return f"{self.prefix}:{{c:*}}:{_check(part, 'key part')}"

    # Per catalog (an operator's titles to recommend from): its items and what it is, in one slot.
    def catalog_items(self, name: str) -> str:
        return f"{self.prefix}:{{k:{_check(name, 'catalog name')}}}:items"

    def catalog_staging(self, name: str) -> str:
        """Where an import is written before it replaces the items in one RENAME."""
        return f"{self.prefix}:{{k:{_check(name, 'catalog name')}}}:staging"

    def catalog_meta(self, name: str) -> str:
        return f"{self.prefix}:{{k:{_check(name, 'catalog name')}}}:meta"

    def catalogs(self) -> str:
        return f"{self.prefix}:catalogs"

    # Per scope (a Discord server, or a channel where there is none): the admin audit log.
    def audit(self, platform: str, scope: str) -> str:
        return f"{self.prefix}:{{s:{_check(platform, 'platform')}:{_check(scope, 'scope')}}}:audit"

    # Leases: which replica serves a channel now ("twitch:<id>"), and the replicas alive in each pool.
    def lease(self, name: str) -> str:
        return f"{self.prefix}:{{l:{_check(name, 'lease')}}}"

    def replicas(self, pool: str) -> str:
        return f"{self.prefix}:replicas:{_check(pool, 'replica pool')}"

    # Global, small: one-time link codes, platform OAuth tokens.
    def link_code(self, code: str) -> str:
        return f"{self.prefix}:link:{_check(code, 'link code')}"

    def oauth_tokens(self, platform: str) -> str:
        return f"{self.prefix}:{_check(platform, 'platform')}:tokens"

    def opt_outs(self) -> str:
        """One small set of opted-out accounts ("platform:id"): read at start and cached by the bot."""
        return f"{self.prefix}:optout"

    def user_pattern(self, uid: str) -> str:
        """SCAN pattern that matches every key of one user (for forget and tests)."""
        return f"{self.prefix}:{{u:{_check(uid, 'uid')}}}:*"

    def all_users_pattern(self) -> str:
        """SCAN pattern for every per-user key (the schema migration visits each user once)."""
        return f"{self.prefix}:{{u:*"

    def schema(self) -> str:
        """The version of the stored data's shapes; the migration at start sets it."""
        return f"{self.prefix}:schema"

    def schema_lock(self) -> str:
        return f"{self.prefix}:schema:lock"

    def history_pattern(self) -> str:
        """SCAN pattern for every channel history (forget sweeps them for an account that never got a uid)."""
        return f"{self.prefix}:{{c:*}}:hist"

    def audit_pattern(self) -> str:
        return f"{self.prefix}:{{s:*}}:audit"
