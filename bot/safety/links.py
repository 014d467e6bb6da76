"""Links in what the bot says come only from an allowlist (settings, and per server or channel) or from the
catalog (recommendations put those in by code). Anything else the model writes is defanged: a masked link or
markdown image keeps its words only, a raw or bracketed URL and a bare domain lose their scheme and have their
dots bracketed ("evil[.]example/x"), so no platform turns them into links (Twitch links bare domains)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

# [words](url) and ![alt](url): the words stay, the target goes.
MASKED_LINK = re.compile(r"!?\[([^\]\n]{0,200})\]\(\s*<?([^)\s>]{1,500})>?(?:\s+\"[^\"]*\")?\s*\)")
# A URL with a scheme, www., or a bare domain with a path or a plausible TLD.
_URL = re.compile(
    r"<?\b(?:(?:https?|ftp)://|www\.)[^\s<>()\[\]]+>?"
    r"|\b(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}\b(?:/[^\s<>()\[\]]*)?",
    re.IGNORECASE)
# File names look like domains; these endings are left alone when there is no scheme or path.
_FILE_ENDINGS = frozenset({"txt", "png", "jpg", "jpeg", "gif", "md", "py", "json", "csv", "pdf", "mp3", "mp4",
                           "exe", "zip", "yaml", "yml", "js", "ts", "html", "log", "wav", "doc", "docx"})
_INVITE = re.compile(r"\b(?:discord(?:app)?\.(?:gg|com/invite|io)|dsc\.gg)/", re.IGNORECASE)


@dataclass(frozen=True)
class LinkPolicy:
    # Hosts (and their subdomains) whose links may go out; an entry with a path ("discord.gg/mycommunity") allows
    # links that start with it. An invite needs such an entry: a host alone never lets one through.
    allowed: frozenset[str] = frozenset()

    @classmethod
    def of(cls, *hosts: Iterable[str]) -> LinkPolicy:
        return cls(frozenset(h.strip().lower().removeprefix("www.") for group in hosts for h in group if h.strip()))

    def allows(self, url: str) -> bool:
        plain = _plain(url)
        if any(plain == h or plain.startswith(h.rstrip("/") + "/") for h in self.allowed if "/" in h):
            return True
        if _INVITE.search(url):
            return False
        host = plain.split("/", 1)[0].split(":", 1)[0]
        return bool(host) and any(host == h or host.endswith("." + h) for h in self.allowed if "/" not in h)

    def clean(self, text: str) -> tuple[str, int]:
        """The text with every link not allowed made harmless, and how many were."""
        count = 0

        def masked(m: re.Match[str]) -> str:
            nonlocal count
            words, target = m.group(1), m.group(2)
            if not m.group(0).startswith("!") and self.allows(target):
                return f"{words} ({target})"  # the target shown, never hidden behind words
            count += 1
            return words

        def bare(m: re.Match[str]) -> str:
            nonlocal count
            url = m.group(0).strip("<>")
            trailing = ""
            while url and url[-1] in ".,!?;:'\"":
                url, trailing = url[:-1], url[-1] + trailing
            schemed = re.match(r"(?:https?|ftp)://|www\.", url, re.IGNORECASE) is not None
            if not schemed and "/" not in url and url.rsplit(".", 1)[-1].lower() in _FILE_ENDINGS:
                return m.group(0)
            if self.allows(url):
                return url + trailing
            count += 1
            return _defang(url) + trailing

        text = MASKED_LINK.sub(masked, text)
        return _URL.sub(bare, text), count


def _plain(url: str) -> str:
    """Without scheme and www., the host lower-cased: "HTTPS://www.Example.com/A" -> "example.com/A"."""
    rest = re.sub(r"^(?:[a-z]+://)?(?:www\.)?", "", url.strip("<>"), flags=re.IGNORECASE)
    host, sep, path = rest.partition("/")
    return host.lower() + sep + path


def _defang(url: str) -> str:
    rest = re.sub(r"^(?:[a-z]+://)", "", url, flags=re.IGNORECASE)
    host, sep, path = rest.partition("/")
    return host.replace(".", "[.]") + sep + path


_ENTRY = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}(?::\d{1,5})?(?:/[^\s]*)?", re.IGNORECASE)


def check_link_entry(entry: str) -> str:
    """One allowlist entry, normalised ("https://www.Example.org/" -> "example.org"); ValueError names it."""
    plain = _plain(entry.strip()).rstrip("/")
    if not _ENTRY.fullmatch(plain):
        raise ValueError(f"{entry[:80]!r} is not a host (example.org) or a link prefix (discord.gg/yours)")
    return plain


class LinkGate:
    """For a raw stream (a story scene): text is let out up to its last whitespace, so a URL, which has none, is
    always cleaned whole."""

    def __init__(self, policy: LinkPolicy) -> None:
        self.policy = policy
        self._held = ""
        self.defanged = 0

    def feed(self, delta: str) -> str:
        self._held += delta
        cut = max(self._held.rfind(" "), self._held.rfind("\n"))
        if cut < 0:
            return ""
        ready, self._held = self._held[:cut + 1], self._held[cut + 1:]
        return self._clean(ready)

    def flush(self) -> str:
        ready, self._held = self._held, ""
        return self._clean(ready)

    def _clean(self, text: str) -> str:
        text, count = self.policy.clean(text)
        self.defanged += count
        return text


def has_link(text: str) -> bool:
    """Anything a platform might make clickable: a masked link, a URL, or a bare domain with any TLD (strict:
    "notes.zip" counts, since .zip is a TLD too; for what gets stored, not for what the bot says)."""
    return MASKED_LINK.search(text) is not None or _URL.search(text) is not None
