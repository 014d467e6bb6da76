"""Twitch's limits: replies fit 500 characters and two messages; the chat rate limiter under a fake clock."""

from __future__ import annotations

import random

import pytest

from bot.adapters.twitch.fit import fit_for_twitch
from bot.adapters.twitch.ratelimit import ChatLimits, ChatRateLimiter
from tests.support.clock import FakeClock


def test_short_reply_is_one_message_with_whitespace_collapsed() -> None:
    assert fit_for_twitch("Hello   there,\n\nfriend!") == ["Hello there, friend!"]


def test_long_reply_fits_two_messages_ending_on_sentences() -> None:
    text = " ".join(f"Sentence number {i} says something mildly interesting." for i in range(60))
    parts = fit_for_twitch(text)
    assert len(parts) == 2
    for part in parts:
        assert len(" ".join(part.split())) <= 500 and part.endswith(".")


def test_huge_sentence_is_cut_at_a_word() -> None:
    parts = fit_for_twitch("word " * 400)
    assert 1 <= len(parts) <= 2 and all(len(p) <= 500 for p in parts) and parts[0].endswith("…")


@pytest.mark.parametrize("evil", ["/ban streamer", ".timeout alice 600", "  /me dances", "\\/ban x", "//.//ban"])
def test_never_starts_with_a_command_character(evil: str) -> None:
    [part] = fit_for_twitch(evil)
    assert part[0] not in "/.\\"


def test_random_replies_always_fit() -> None:
    rng = random.Random(3)
    words = ["lorem", "ipsum.", "dolor!", "sit?", "/amet", ".x", "a" * 60, "\n\n", "emoji🔥"]
    for _ in range(300):
        parts = fit_for_twitch(" ".join(rng.choice(words) for _ in range(rng.randint(1, 300))))
        assert len(parts) <= 2
        assert all(len(" ".join(p.split())) <= 500 and p[0] not in "/." for p in parts)




def _max_in_any_window(times: list[float], window: float = 30.0) -> int:
    return max(sum(1 for t in times if start <= t < start + window) for start in times)


@pytest.mark.parametrize(("elevated", "twitch_limit"), [(False, 20), (True, 100)])
async def test_limiter_stays_under_twitch_limits(elevated: bool, twitch_limit: int) -> None:
    clock = FakeClock()
    limiter = ChatRateLimiter(ChatLimits(account=1000), clock=clock, sleep=clock.sleep)
    sent = []
    for _ in range(250):
        assert await limiter.acquire("chan", elevated, deadline=clock.now + 1000)
        sent.append(clock.now)
    assert _max_in_any_window(sent) <= twitch_limit
    assert _max_in_any_window(sent) >= int(twitch_limit * 0.9)  # and uses most of it


async def test_account_limit_spans_channels() -> None:
    clock = FakeClock()
    limiter = ChatRateLimiter(ChatLimits(account=30), clock=clock, sleep=clock.sleep)
    sent = []
    for i in range(90):
        assert await limiter.acquire(f"chan{i % 9}", True, deadline=clock.now + 1000)
        sent.append(clock.now)
    assert _max_in_any_window(sent) <= 30


async def test_stale_reply_is_refused_without_taking_a_slot() -> None:
    clock = FakeClock()
    limiter = ChatRateLimiter(clock=clock, sleep=clock.sleep)
    for _ in range(18):
        assert await limiter.acquire("c", False, deadline=1.0)
    assert not await limiter.acquire("c", False, deadline=clock.now + 5)  # the next slot is 30 s away
    assert limiter.dropped == 1 and clock.now == 0.0
    assert await limiter.acquire("c", False, deadline=clock.now + 60)  # a patient one gets through
    assert clock.now == pytest.approx(30.0)


async def test_min_gap_spaces_replies() -> None:
    clock = FakeClock()
    limiter = ChatRateLimiter(clock=clock, sleep=clock.sleep)
    await limiter.acquire("c", False, deadline=100, min_gap=5)
    await limiter.acquire("c", False, deadline=100, min_gap=5)
    assert clock.now == pytest.approx(5.0)
