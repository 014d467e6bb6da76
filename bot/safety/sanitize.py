"""Clean user-supplied text and names before they reach a prompt: no control characters, no chat-template
tokens, bounded length, and names that can't fake another speaker's attribution."""

from __future__ import annotations

import re
import unicodedata

# Chat-template markers (<|im_start|>, <|eot_id|>, [INST], <s>) would let a user write their own
# system turn. Break them so the tokenizer can't read them as special tokens.
_TEMPLATE_TOKENS = re.compile(r"<\|[^|>]{0,40}\|>|\[/?INST\]|</?s>", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_BLANK_LINES = re.compile(r"\n{3,}")
_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")  # half a UTF-16 pair: no encoder takes it
MAX_NAME_CHARS = 32


def encodable(text: str) -> str:
    """The text with any lone surrogate replaced by U+FFFD, so UTF-8 encoding (JSON to the model server, Redis)
    can never fail on it. A platform's JSON may carry one ("\\ud83d" alone); Python decodes it into the str."""
    return _LONE_SURROGATE.sub("\ufffd", text) if _LONE_SURROGATE.search(text) else text


def clean_text(text: str, max_chars: int) -> str:
    """Normalize, strip control and bidi characters, break template tokens, and cap the length."""
    text = encodable(text)
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    text = _CONTROL.sub("", text)
    text = _TEMPLATE_TOKENS.sub(lambda m: m.group(0).replace("<", "‹").replace(">", "›").replace("[", "⟦"), text)
    text = _BLANK_LINES.sub("\n\n", text).strip()
    if len(text) > max_chars:
        text = text[: max_chars - 1].rstrip() + "…"
    return text


def clean_name(name: str) -> str:
    """A display name that is one short line without the ':' that attributes a history line."""
    name = clean_text(name, 200).replace("\n", " ").replace(":", "").strip()
    name = " ".join(name.split())
    return name[:MAX_NAME_CHARS] or "someone"
