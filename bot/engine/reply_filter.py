"""Keep a streamed reply to the persona's own words: drop a leading "Name:" and stop where the model starts
writing another speaker's line (small models like to continue the chat log on their own)."""

from __future__ import annotations

import re

_HANDLE = re.compile(r"[\w.-]{2,25}")
_HANDLE_START = re.compile(r"[\w.-]{1,25}")
_NAME_CHARS = re.compile(r"[\w .'-]")
MAX_NAME = 33


class ReplyFilter:
    def __init__(self, persona_name: str, speakers: set[str]) -> None:
        self._persona = persona_name.lower()
        self._speakers = {s.lower() for s in speakers} | {"user", "assistant", "system", self._persona}
        self._pending = ""  # text held back while we can't yet tell if it starts a speaker line
        self._at_line_start = True
        self._first_line = True
        self._skip_space = False
        self.stopped = False

    def feed(self, delta: str) -> str:
        """Return the text that is safe to show now; sets `stopped` once another speaker's line begins."""
        out = []
        for ch in delta:
            if self.stopped:
                break
            if self._at_line_start:
                self._pending += ch
                out.append(self._decide())
            elif self._skip_space and ch == " ":
                continue
            else:
                self._skip_space = False
                out.append(ch)
                self._at_line_start = ch == "\n"
        return "".join(out)

    def flush(self) -> str:
        if self.stopped:
            return ""
        text, self._pending = self._pending, ""
        return text

    def _decide(self) -> str:
        pending = self._pending
        last = pending[-1]
        if last == ":":
            name = pending[:-1].strip().lower()
            if self._first_line and name == self._persona:
                self._pending, self._first_line, self._at_line_start = "", False, False
                self._skip_space = True  # "Pip: hello" -> "hello"
                return ""
            if not self._first_line and (name in self._speakers or _looks_like_handle(name)):
                self.stopped = True
                self._pending = ""
                return ""
            return self._release()
        if len(pending) > MAX_NAME or not _NAME_CHARS.fullmatch(last) or not self._could_be_a_name(pending):
            return self._release()
        return ""

    def _could_be_a_name(self, pending: str) -> bool:
        """Whether more text could still make this a line's "Name:" that we act on: a speaker's name (or the
        persona's), or a handle (no spaces). Anything else shows at once instead of waiting for a colon."""
        low = pending.lower()
        return any(name.startswith(low) for name in self._speakers) or _HANDLE_START.fullmatch(low) is not None

    def _release(self) -> str:
        text, self._pending = self._pending, ""
        self._first_line = False
        self._at_line_start = text.endswith("\n")
        return text


def _looks_like_handle(name: str) -> bool:
    return bool(_HANDLE.fullmatch(name)) and any(c.isdigit() or c == "_" for c in name)
