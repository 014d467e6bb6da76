"""The IdentityStore, AuditLog and TokenStore contracts, and forget across every store, run against Redis and
the in-memory twin."""

from __future__ import annotations

import numpy as np
import pytest

from bot.memory.audit import REDACTED, AuditEntry
from bot.memory.base import TurnRecord
from bot.memory.facts import Change, new_fact
from bot.memory.forget import Forgetter
from bot.memory.identity import LinkError
from bot.memory.stores import Stores
from tests.contract.conftest import Everything


def _rec(platform: str, account: str, name: str, text: str, uid: str | None = None) -> TurnRecord:
    return TurnRecord(platform=platform, channel="c", account_id=account, uid=uid, display_name=name,
                      user_text=text, bot_name="Pip", reply="ok", at=1.0)


async def test_link_merges_two_memories_and_unlink_splits(stores: Stores) -> None:
    memory, identity = stores.memory, stores.identity
    d = await memory.record_turn(_rec("discord", "7", "Ann", "hi from discord"))
    t = await memory.record_turn(_rec("twitch", "70", "ann_tv", "hi from twitch"))
    await stores.facts.apply(t, [Change("ADD", new_fact("User loves Celeste", "preference", "s"),
                                        np.ones(4, dtype=np.float32))])
    code = await identity.create_code("discord", "7")
    assert len(code) == 6
    assert await identity.redeem(code.lower(), "twitch", "70") == d  # typed in any case
    assert await memory.resolve_uid("twitch", "70") == d
    ctx = await memory.load_turn("discord", "c", "7")
    assert [f.text for f in ctx.facts] == ["User loves Celeste"]  # the twitch side's memory came along
    with pytest.raises(LinkError):
        await identity.redeem(code, "twitch", "70")  # one use only
    assert await identity.unlink("twitch", "70")
    fresh = await memory.resolve_uid("twitch", "70")
    assert fresh not in (None, d)
    assert not await identity.unlink("twitch", "70")  # nothing left to split from


async def test_link_codes_are_checked(stores: Stores) -> None:
    code = await stores.identity.create_code("discord", "7")
    with pytest.raises(LinkError, match="other platform"):
        await stores.identity.redeem(code, "discord", "8")
    with pytest.raises(LinkError, match="6 letters"):
        await stores.identity.redeem("abc", "twitch", "70")
    with pytest.raises(LinkError, match="unknown or has expired"):
        await stores.identity.redeem("ZZZZZZ", "twitch", "70")


async def test_export_holds_everything_of_the_person(stores: Stores) -> None:
    uid = await stores.memory.record_turn(_rec("discord", "7", "Ann", "I love Celeste"))
    await stores.facts.apply(uid, [Change("ADD", new_fact("User loves Celeste", "preference", "s"))])
    data = await stores.identity.export("discord", "7")
    assert data["uid"] == uid and data["accounts"] == ["discord:7"]
    assert [f["text"] for f in data["facts"]] == ["User loves Celeste"]
    assert [line["text"] for line in data["history_lines"]] == ["I love Celeste"]
    assert (await stores.identity.export("discord", "8"))["stored"] == "nothing"


def entry(actor: str, name: str, command: str, target: str | None = None, at: float = 1.0,
          scope: str = "g1") -> AuditEntry:
    return AuditEntry(at=at, platform="discord", scope=scope, channel="10", actor=actor, actor_name=name,
                      command=command, args=f"user={target}" if target else "", target=target)


async def test_audit_keeps_the_newest_first_and_per_scope(stores: Stores) -> None:
    audit = stores.audit
    for i in range(3):
        await audit.record(entry("discord:1", "Mod", f"cmd{i}", at=float(i)))
    await audit.record(entry("discord:1", "Mod", "elsewhere", scope="g2"))
    assert [e.command for e in await audit.latest("discord", "g1")] == ["cmd2", "cmd1", "cmd0"]
    assert [e.command for e in await audit.latest("discord", "g1", limit=1)] == ["cmd2"]
    assert [e.command for e in await audit.latest("discord", "g2")] == ["elsewhere"]


async def test_audit_is_bounded(stores: Stores) -> None:
    keep = getattr(stores.audit, "keep", 500)
    for i in range(keep + 5):
        await stores.audit.record(entry("discord:1", "Mod", f"c{i}", at=float(i)))
    latest = await stores.audit.latest("discord", "g1", limit=keep + 10)
    assert len(latest) == keep and latest[0].command == f"c{keep + 4}"


async def test_forget_redacts_the_person_from_the_audit_log(stores: Stores, everything: Everything) -> None:
    await stores.memory.record_turn(_rec("discord", "9", "Bob", "hi"))
    await stores.audit.record(entry("discord:1", "Mod", "forget", target="discord:9"))
    await stores.audit.record(entry("discord:9", "Bob", "persona"))
    await stores.audit.record(entry("discord:1", "Mod", "cadence"))
    gone = await Forgetter(stores.memory, stores.audit, stores.stories).forget("discord", "9")
    assert gone.accounts == ("discord:9",)
    entries = await stores.audit.latest("discord", "g1")
    assert [(e.actor, e.command, e.target) for e in entries] == [
        ("discord:1", "cadence", None), (REDACTED, "persona", None), ("discord:1", "forget", REDACTED)]
    left = await everything.text()
    assert "discord:9" not in left and "Bob" not in left


async def test_tokens_round_trip_merge_and_remove(stores: Stores) -> None:
    tokens = stores.tokens
    assert await tokens.load() == {}
    await tokens.save({"999": {"token": "a", "refresh": "b"}})
    await tokens.save({"100": {"token": "c", "refresh": "d"}})
    await tokens.save({})  # never erases
    assert await tokens.load() == {"999": {"token": "a", "refresh": "b"}, "100": {"token": "c", "refresh": "d"}}
    await tokens.remove("999")
    assert set(await tokens.load()) == {"100"}
