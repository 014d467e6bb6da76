"""Fit a reply to Twitch chat: at most 500 characters as Twitch counts them (whitespace collapsed), ending on a
sentence, in at most two messages, and never starting with a chat command character."""

from __future__ import annotations

from bot.text.sentences import split_sentences

LIMIT = 500
MAX_PARTS = 2


def _safe_start(text: str) -> str:
    # "/ban x" or ".timeout x" as the first characters would be read as a chat command.
    return text.lstrip("/.\\ ").strip()


def fit_for_twitch(text: str, limit: int = LIMIT, max_parts: int = MAX_PARTS) -> list[str]:
    text = _safe_start(" ".join(text.split()))
    if not text:
        return []
    if len(text) <= limit:
        return [text]
    sentences = split_sentences(text)
    parts: list[str] = []
    current = ""
    for sentence in sentences:
        candidate = f"{current} {sentence}".strip()
        if len(candidate) <= limit:
            current = candidate
            continue
        if current:
            parts.append(current)
            current = ""
            if len(parts) == max_parts:
                break
        if len(sentence) <= limit:
            current = sentence
        else:
            # One sentence longer than a message: cut at a word and mark the cut.
            cut = sentence[: limit - 1].rsplit(" ", 1)[0]
            parts.append(cut.rstrip(",;:") + "…")
            if len(parts) == max_parts:
                break
    if current and len(parts) < max_parts:
        parts.append(current)
    return [p for p in (_safe_start(p) for p in parts[:max_parts]) if p]
