"""The MemoryStore contract, run against Redis (a real redis-server the suite starts) and the in-memory twin."""

from __future__ import annotations

import dataclasses
import time

import numpy as np

from bot.memory.base import ChannelSettings, HistoryLine, TurnRecord
from bot.memory.facts import Change, new_fact
from bot.memory.stores import Stores
from tests.contract.conftest import Everything


def _rec(user: str, text: str, uid: str | None = None, channel: str = "c1", platform: str = "console",
         reply: str = "ok", at: float = 1000.0) -> TurnRecord:
    return TurnRecord(platform=platform, channel=channel, account_id=user.lower(), uid=uid,
                      display_name=user, user_text=text, bot_name="Pip", reply=reply, at=at)


async def test_first_load_knows_nothing(stores: Stores) -> None:
    ctx = await stores.memory.load_turn("console", "c1", "alice")
    assert ctx.uid is None and ctx.history == () and ctx.summary == "" and ctx.facts == ()
    assert ctx.settings == ChannelSettings()


async def test_turn_round_trip_with_attribution(stores: Stores) -> None:
    memory = stores.memory
    uid = await memory.record_turn(_rec("Alice", "I love Celeste", reply="Great pick!"))
    ctx = await memory.load_turn("console", "c1", "alice")
    assert ctx.uid == uid
    assert [(h.speaker, h.name, h.text) for h in ctx.history] == [
        ("user", "Alice", "I love Celeste"), ("bot", "Pip", "Great pick!")]
    assert ctx.history[0].uid == uid and ctx.history[1].uid is None
    assert ctx.history[0].account == "console:alice"


async def test_uid_is_stable_and_per_account(stores: Stores) -> None:
    memory = stores.memory
    a1 = await memory.record_turn(_rec("Alice", "one"))
    a2 = await memory.record_turn(_rec("Alice", "two", uid=None))  # a second "first" turn must reuse it
    b = await memory.record_turn(_rec("Bob", "three"))
    assert a1 == a2 != b
    assert await memory.resolve_uid("console", "alice") == a1


async def test_a_turn_written_again_is_stored_once(stores: Stores) -> None:
    # A write that timed out after Redis took it is sent again: the turn id makes the second one a no-op.
    memory = stores.memory
    record = _rec("Alice", "only once")
    uid = await memory.record_turn(record)
    assert await memory.record_turn(record) == uid
    assert await memory.record_turn(_rec("Alice", "a new turn", uid=uid)) == uid
    assert [h.text for h in await memory.history("console", "c1")] == ["only once", "ok", "a new turn", "ok"]
    profile = await memory.profile(uid)
    assert profile is not None and profile.turns == 2


async def test_the_turn_read_brings_what_the_model_wrote_for_the_speaker_today(stores: Stores) -> None:
    memory, now = stores.memory, time.time()
    record = dataclasses.replace(_rec("Alice", "one", at=now), tokens=120)
    uid = await memory.record_turn(record)
    await memory.record_turn(record)  # a retry counts nothing twice
    await memory.record_turn(dataclasses.replace(_rec("Alice", "two", uid=uid, at=now), tokens=30))
    assert (await memory.load_turn("console", "c1", "alice")).tokens_today == 150
    assert (await memory.load_turn("console", "c1", "bob")).tokens_today == 0
    await memory.record_turn(dataclasses.replace(_rec("Bob", "long ago", at=now - 2 * 86400), tokens=999))
    assert (await memory.load_turn("console", "c1", "bob")).tokens_today == 0  # another day's


async def test_profile_has_names_and_times(stores: Stores) -> None:
    memory = stores.memory
    uid = await memory.record_turn(_rec("Alice", "hi", at=100.0))
    await memory.record_turn(_rec("Alice B.", "again", uid=uid, at=200.0))
    profile = await memory.profile(uid)
    assert profile is not None
    assert profile.names == {"console": "Alice B."}
    assert profile.first_seen == 100.0 and profile.last_seen == 200.0 and profile.turns == 2
    assert await memory.profile("nobody") is None


async def test_history_is_per_channel(stores: Stores) -> None:
    memory = stores.memory
    await memory.record_turn(_rec("Alice", "in one", channel="one"))
    await memory.record_turn(_rec("Alice", "in two", channel="two"))
    assert [h.text for h in await memory.history("console", "one")] == ["in one", "ok"]
    assert [h.text for h in await memory.history("console", "two")] == ["in two", "ok"]


async def test_history_offers_its_oldest_lines_once_and_they_leave_with_their_summary(stores: Stores) -> None:
    # history_max=8: past 8 lines, all but the newest 4 are offered for the summary, once, and stay until the
    # summary that folds them is stored; with no summary, past 16 the oldest are cut down to the newest 4.
    memory = stores.memory
    offered: list[list[str]] = []
    memory.on_trim = lambda _p, _c, lines: offered.append([ln.text for ln in lines])
    lengths = []
    for i in range(9):
        await memory.record_turn(_rec("Alice", f"m{i}"))
        lengths.append(len(await memory.history("console", "c1")))
    assert lengths == [2, 4, 6, 8, 10, 12, 14, 16, 4]
    assert offered[0] == ["m0", "ok", "m1", "ok", "m2", "ok"]  # as the list crossed 8, not again at 12 or 14
    assert offered[1][0] == "m0" and len(offered) == 2  # the cut past 16, of every line it took
    texts = [h.text for h in await memory.history("console", "c1")]
    assert texts == ["m7", "ok", "m8", "ok"]

    for i in range(9, 12):
        await memory.record_turn(_rec("Alice", f"m{i}"))
    assert offered[2][::2] == ["m7", "m8", "m9"]
    history = await memory.history("console", "c1")
    await memory.set_summary("console", "c1", "Alice counted.", folded=history[:6])
    assert [h.text for h in await memory.history("console", "c1")] == ["m10", "ok", "m11", "ok"]
    assert await memory.summary("console", "c1") == "Alice counted."
    # A folded line already gone from the head (forgotten, cut) takes nothing else with it.
    await memory.set_summary("console", "c1", "again", folded=history[:2])
    assert len(await memory.history("console", "c1")) == 4


async def test_unicode_and_quotes_survive(stores: Stores) -> None:
    text = 'héllo "wörld" 🔥 \\ {json}\nsecond line'
    await stores.memory.record_turn(_rec("Zoë", text))
    hist = await stores.memory.history("console", "c1")
    assert hist[0].text == text and hist[0].name == "Zoë"


async def test_overheard_lines_are_written_by_the_turns_read(stores: Stores) -> None:
    lines = (HistoryLine("user", "Bob", "did you see that", account="twitch:8"),
             HistoryLine("user", "Cy", "so clean", account="twitch:9"))
    ctx = await stores.memory.load_turn("twitch", "100", "7", overheard=lines)
    assert [h.text for h in ctx.history] == ["did you see that", "so clean"]
    assert [h.text for h in await stores.memory.history("twitch", "100")] == ["did you see that", "so clean"]


async def test_observe_appends(stores: Stores) -> None:
    await stores.memory.observe("twitch", "100", [HistoryLine("user", "Bob", "hey", account="twitch:8")])
    assert [h.name for h in await stores.memory.history("twitch", "100")] == ["Bob"]


async def test_the_turn_read_brings_the_speakers_facts_and_only_theirs(stores: Stores) -> None:
    memory, facts = stores.memory, stores.facts
    alice = await memory.record_turn(_rec("Alice", "hi"))
    bob = await memory.record_turn(_rec("Bob", "hi"))
    vec = np.ones(4, dtype=np.float32) / 2
    await facts.apply(alice, [Change("ADD", new_fact("User loves Celeste", "preference", "s"), vec)])
    await facts.apply(bob, [Change("ADD", new_fact("User hates mornings", "preference", "s"), vec)])
    for _ in range(2):  # the second read goes by the uid the first one learned
        ctx = await memory.load_turn("console", "c1", "alice")
        assert [f.text for f in ctx.facts] == ["User loves Celeste"]
        assert set(ctx.vectors) == {ctx.facts[0].id} and np.allclose(ctx.vectors[ctx.facts[0].id], vec)


async def test_summary(stores: Stores) -> None:
    assert await stores.memory.summary("console", "c1") == ""
    await stores.memory.set_summary("console", "c1", "Alice talked about Celeste.")
    assert await stores.memory.summary("console", "c1") == "Alice talked about Celeste."
    assert (await stores.memory.load_turn("console", "c1", "x")).summary == "Alice talked about Celeste."


async def test_channel_settings_are_typed(stores: Stores) -> None:
    memory = stores.memory
    await memory.set_channel_setting("console", "c1", "persona", "critic")
    await memory.set_channel_setting("console", "c1", "cadence", "2.5")
    await memory.set_channel_setting("console", "c1", "enabled", "0")
    settings = await memory.channel_settings("console", "c1")
    assert (settings.persona, settings.cadence, settings.enabled, settings.free) == ("critic", 2.5, False, False)
    assert (await memory.load_turn("console", "c1", "x")).settings == settings
    await memory.set_channel_setting("console", "c1", "persona", None)
    assert (await memory.channel_settings("console", "c1")).persona is None
    assert await memory.channel_settings("console", "other") == ChannelSettings()


async def test_space_settings_are_inherited_and_channel_wins(stores: Stores) -> None:
    memory = stores.memory
    await memory.set_space_setting("discord", "g1", "persona", "critic")
    assert (await memory.channel_settings("discord", "c1", space="g1")).persona == "critic"
    await memory.set_channel_setting("discord", "c1", "persona", "narrator")
    assert (await memory.load_turn("discord", "c1", "7", space="g1")).settings.persona == "narrator"
    assert (await memory.channel_settings("discord", "c2", space="g1")).persona == "critic"


async def test_opt_outs(stores: Stores) -> None:
    await stores.memory.set_opt_out("twitch", "8", True)
    assert await stores.memory.opted_out() == {"twitch:8"}
    await stores.memory.set_opt_out("twitch", "8", False)
    assert await stores.memory.opted_out() == set()


async def test_forget_account_leaves_nothing_of_that_user(stores: Stores, everything: Everything) -> None:
    memory = stores.memory
    alice = await memory.record_turn(_rec("Alice", "I live in Lyon", channel="one", reply="Lyon is lovely"))
    await memory.record_turn(_rec("Bob", "hi all", channel="one", reply="hi Bob"))
    await memory.record_turn(_rec("Alice", "secret two", uid=alice, channel="two", reply="noted"))
    # Overheard before, in a channel she never had a turn in: only her account marks the line.
    await memory.observe("console", "three", [HistoryLine("user", "Alice", "overheard secret",
                                                          account="console:alice")])
    await stores.facts.apply(alice, [Change("ADD", new_fact("User lives in Lyon", "fact", "s"),
                                            np.ones(4, dtype=np.float32))])
    await memory.set_summary("console", "one", "Alice lives in Lyon")
    gone = await memory.forget_account("console", "alice")
    assert gone.lines == 5 and gone.uid == alice  # her three lines, and the bot's reply to two of them
    assert gone.accounts == ("console:alice",) and gone.names == ("Alice",)
    assert [h.text for h in await memory.history("console", "one")] == ["hi all", "hi Bob"]
    assert await memory.history("console", "two") == ()
    assert await memory.history("console", "three") == ()
    assert await memory.summary("console", "one") == ""
    everything_left = await everything.text()
    for trace in (alice, "Lyon", "secret", "console:alice"):
        assert trace not in everything_left, trace
    assert await memory.resolve_uid("console", "alice") is None
    assert await memory.resolve_uid("console", "bob") is not None
    assert (await memory.load_turn("console", "one", "alice")).facts == ()


async def test_claim_uid_gives_one_uid_that_forget_removes(stores: Stores, everything: Everything) -> None:
    memory = stores.memory
    uid = await memory.claim_uid("twitch", "55")
    assert await memory.claim_uid("twitch", "55") == uid == await memory.resolve_uid("twitch", "55")
    assert (await memory.load_turn("twitch", "c", "55")).uid == uid
    await memory.forget_account("twitch", "55")
    assert await memory.resolve_uid("twitch", "55") is None
    left = await everything.text()
    assert uid not in left and "twitch:55" not in left


async def test_forget_unknown_account_is_a_no_op(stores: Stores) -> None:
    gone = await stores.memory.forget_account("console", "nobody")
    assert gone.lines == 0 and gone.uid is None


async def test_forget_wins_over_writes_already_in_flight(stores: Stores, everything: Everything) -> None:
    from bot.memory.facts import Change, new_fact

    memory = stores.memory
    uid = await memory.record_turn(_rec("Alice", "I live at 12 Elm St", at=1000.0))
    in_flight = _rec("Alice", "my code word is PAPAYA", uid=uid, at=1001.0)  # loaded before the forget
    first_turn = _rec("Alice", "hello again", uid=None, at=1001.0)  # a first turn begun before it, too
    await memory.forget_account("console", "alice")
    assert await memory.record_turn(in_flight) == ""  # refused by the uid's tombstone
    assert await memory.record_turn(first_turn) == ""  # refused by the account's: no new uid for it
    await stores.facts.apply(uid, [Change("ADD", new_fact("User's code word is PAPAYA", "fact", "s"))])
    left = await everything.text()
    assert "PAPAYA" not in left and "Elm" not in left and "hello again" not in left and uid not in left
    # Talking again after the forget is a new start, under a new uid.
    again = await memory.record_turn(_rec("Alice", "hi, new here", uid=None, at=9e9))
    assert again and again != uid and [h.text for h in await memory.history("console", "c1")] == [
        "hi, new here", "ok"]
