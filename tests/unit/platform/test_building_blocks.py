"""The platform's pure building blocks: parties, paging, the in-memory unit of work, policy
files, event dispatch and enum mapping."""
from __future__ import annotations

import asyncio
import datetime as dt
import pathlib
import uuid
from dataclasses import dataclass, field

import pytest

from prilavok.common.v1 import common_pb2
from prilavok.moderation.v1 import events_pb2 as moderation_events
from prilavok.moderation.v1 import moderation_pb2
from prilavok_platform import pagination
from prilavok_platform.clock import FixedClock
from prilavok_platform.errors import InvalidArgument
from prilavok_platform.identity import Identity, Party, PartyKind, Role
from prilavok_platform.ids import StableIds, random_id
from prilavok_platform.nats import EVENT_TYPE_HEADER, PRODUCER_HEADER, EventDispatcher, PoisonMessage
from prilavok_platform.policy_file import PolicyError, PolicyHolder, load_policy_file
from prilavok_platform.protobuf import ROLES, datetime_of, party_from_pb, party_to_pb
from prilavok_platform.unit_of_work import InMemoryUnitOfWork, Transaction

T0 = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)


def test_party_of_each_role_and_its_key_round_trip():
    assert Party.of(Identity("u1", Role.BUYER)).key == "user:u1"
    assert Party.of(Identity("u2", Role.SELLER, "s9")).key == "shop:s9"
    assert Party.of(Identity("agent-7", Role.SUPPORT)) == Party.support()
    for party in (Party.user("u1"), Party.shop("s9"), Party.support()):
        assert Party.parse(party.key) == party
        assert party_from_pb(party_to_pb(party)) == party
    for bad in ("", "user:", "shop", "admin:1", "support:x"):
        with pytest.raises(ValueError):
            Party.parse(bad)


def test_party_from_protobuf_rejects_unknown_kind_and_missing_id():
    with pytest.raises(InvalidArgument) as err:
        party_from_pb(common_pb2.Party(kind=9, id="x"), "recipients[0]")
    assert err.value.violations[0].field == "recipients[0].kind"
    with pytest.raises(InvalidArgument):
        party_from_pb(common_pb2.Party(kind=common_pb2.PARTY_KIND_SHOP))
    assert party_from_pb(common_pb2.Party(kind=common_pb2.PARTY_KIND_SUPPORT, id="ignored")).kind is PartyKind.SUPPORT


def test_enum_mapping_names_the_field_and_lists_what_is_accepted():
    assert ROLES.require(common_pb2.ROLE_SELLER, "role") is Role.SELLER
    assert ROLES.from_pb(0, "role", required=False) is None
    with pytest.raises(InvalidArgument) as err:
        ROLES.require(0, "sender_role")
    assert err.value.violations[0].field == "sender_role" and "ROLE_BUYER" in err.value.violations[0].description
    with pytest.raises(InvalidArgument):
        ROLES.require(42, "sender_role")


def test_timestamps_outside_the_protobuf_range_are_invalid_arguments():
    request = common_pb2.Money()  # no timestamp field: use a message that has one
    del request
    from google.protobuf import timestamp_pb2, wrappers_pb2  # noqa: F401 - local use only


    item = moderation_pb2.Penalty()
    item.issued_at.seconds = 10**12
    with pytest.raises(InvalidArgument) as err:
        datetime_of(item, "issued_at")
    assert err.value.violations[0].field == "issued_at"
    item.issued_at.FromDatetime(T0)
    assert datetime_of(item, "issued_at") == T0
    assert datetime_of(moderation_pb2.Penalty(), "issued_at") is None


ORDER = pagination.KeysetOrder(("at", -1, dt.datetime), ("_id", -1, str))


@dataclass
class Row:
    id: str
    at: dt.datetime


def test_keyset_paging_returns_every_item_once_with_ties_and_page_size_one():
    rows = [Row(f"r{i:02d}", T0 + dt.timedelta(minutes=i // 3)) for i in range(10)]  # groups of three equal times
    seen, token = [], ""
    while True:
        page, token = pagination.page_in_memory(rows, ORDER, 1, token, lambda r: (r.at, r.id))
        seen += [r.id for r in page]
        if not token:
            break
    assert seen == [r.id for r in sorted(rows, key=lambda r: (r.at, r.id), reverse=True)]


def test_keyset_paging_continues_after_the_cursor_when_items_move():
    rows = {f"r{i}": Row(f"r{i}", T0 + dt.timedelta(minutes=i)) for i in range(6)}
    first, token = pagination.page_in_memory(rows.values(), ORDER, 2, "", lambda r: (r.at, r.id))
    assert [r.id for r in first] == ["r5", "r4"]
    rows["r1"].at = T0 + dt.timedelta(hours=1)  # r1 becomes the most recent: it now sorts before the cursor
    rest = []
    while token:
        page, token = pagination.page_in_memory(rows.values(), ORDER, 2, token, lambda r: (r.at, r.id))
        rest += [r.id for r in page]
    assert rest == ["r3", "r2", "r0"], "nothing seen twice; a moved item is found on a fresh listing"


@pytest.mark.parametrize("token", ["x", "e30", "eyJzZXEiOiJ4In0", "W10", "WyJ4Il0",
                                   ORDER.token_of([T0, "a"])[:-2], "A" * 2000])
def test_tampered_page_tokens_are_invalid_arguments(token):
    with pytest.raises(InvalidArgument) as err:
        ORDER.decode(token)
    assert err.value.violations[0].field == "page_token"


def test_a_token_round_trips_its_typed_values():
    order = pagination.KeysetOrder(("seq", 1, int))
    assert order.decode(order.token_of([41])) == (41,)
    with pytest.raises(InvalidArgument):
        order.decode(pagination.KeysetOrder(("seq", 1, str)).token_of(["41"]))
    assert ORDER.decode(ORDER.token_of([T0, "z"])) == (T0, "z")


@dataclass
class Box:
    items: dict[str, int] = field(default_factory=dict)


@dataclass
class Repos:
    box: Box


async def test_in_memory_unit_of_work_commits_events_and_rolls_back_state_on_error():
    repos = Repos(Box({"a": 1}))
    held = repos.box
    uow = InMemoryUnitOfWork(repos)

    async def good(tx: Transaction[Repos]) -> int:
        tx.repos.box.items["b"] = 2
        tx.emit("B added")
        return len(tx.repos.box.items)

    assert await uow.transaction(good) == 2 and uow.published == ["B added"]

    async def bad(tx: Transaction[Repos]) -> None:
        tx.repos.box.items["c"] = 3
        tx.emit("C added")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        await uow.transaction(bad)
    assert held.items == {"a": 1, "b": 2}, "the failed transaction left nothing behind"
    assert uow.published == ["B added"] and uow.commits == 1


@dataclass(frozen=True)
class Limits:
    version: str
    max_chars: int

    @staticmethod
    def parse(data: dict) -> Limits:
        value = int(data["max_chars"])
        if value < 1:
            raise ValueError("max_chars must be positive")
        return Limits(str(data["version"]), value)


def test_policy_file_errors_name_the_file(tmp_path: pathlib.Path):
    path = tmp_path / "policy.yaml"
    path.write_text("version: 1\nmax_chars: 0\n")
    with pytest.raises(PolicyError, match="policy.yaml.*positive"):
        load_policy_file(path, Limits.parse)
    path.write_text("version: [\n")
    with pytest.raises(PolicyError, match="not valid YAML"):
        load_policy_file(path, Limits.parse)
    with pytest.raises(PolicyError, match="cannot read"):
        load_policy_file(tmp_path / "missing.yaml", Limits.parse)


async def test_policy_holder_reloads_on_change_and_keeps_the_old_policy_when_the_new_is_broken(tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_text("version: 1\nmax_chars: 10\n")
    holder = PolicyHolder(path, Limits.parse)
    seen: list[Limits] = []
    holder.on_change(seen.append)
    stop = asyncio.Event()
    watcher = asyncio.create_task(holder.watch(stop, interval=0.02))
    path.write_text("version: 2\nmax_chars: 20\n")
    for _ in range(200):
        if holder.current.version == "2":
            break
        await asyncio.sleep(0.01)
    assert holder.current == Limits("2", 20) and seen == [Limits("2", 20)]
    path.write_text("version: 3\nmax_chars: -5\n")
    await asyncio.sleep(0.1)
    assert holder.current == Limits("2", 20), "a broken file is refused; the policy in force stays"
    stop.set()
    await watcher


@dataclass
class FakeMsg:
    data: bytes
    headers: dict[str, str] | None
    subject: str = "p.moderation.review.resolved"


async def test_event_dispatcher_routes_by_full_type_skips_others_and_terms_garbage():
    got: list[str] = []

    async def on_resolved(event: moderation_events.ReviewResolved) -> None:
        got.append(event.event_id)

    dispatcher = EventDispatcher().on(moderation_events.ReviewResolved, on_resolved)
    event = moderation_events.ReviewResolved(event_id="e1")
    await dispatcher(FakeMsg(event.SerializeToString(), {EVENT_TYPE_HEADER: "prilavok.moderation.v1.ReviewResolved", PRODUCER_HEADER: "moderation"}))
    await dispatcher(FakeMsg(b"", {EVENT_TYPE_HEADER: "prilavok.moderation.v1.PenaltyIssued", PRODUCER_HEADER: "moderation"}))
    # A look-alike name is another type: no suffix matching.
    with pytest.raises(PoisonMessage):  # and it is not the producer's type: refused, not skipped
        await dispatcher(FakeMsg(event.SerializeToString(), {EVENT_TYPE_HEADER: "other.ReviewResolved", PRODUCER_HEADER: "moderation"}))
    assert got == ["e1"]
    with pytest.raises(PoisonMessage):
        await dispatcher(FakeMsg(b"\xff\xff", {EVENT_TYPE_HEADER: "prilavok.moderation.v1.ReviewResolved", PRODUCER_HEADER: "moderation"}))
    with pytest.raises(PoisonMessage):
        await dispatcher(FakeMsg(b"", None))


def test_stable_ids_depend_on_every_part_and_on_the_namespace():
    chat_ids, other_ids = StableIds(uuid.UUID(int=1)), StableIds(uuid.UUID(int=2))
    assert chat_ids("order", "o1") == chat_ids("order", "o1") != chat_ids("order", "o2")
    assert chat_ids("ab", "c") != chat_ids("a", "bc"), "parts are joined unambiguously"
    assert chat_ids("order", "o1") != other_ids("order", "o1")
    assert random_id() != random_id() and len(random_id()) == 32


def test_fixed_clock_moves_only_when_told():
    clock = FixedClock(T0)
    assert clock.now() == T0
    assert clock.advance(dt.timedelta(hours=2)) == T0 + dt.timedelta(hours=2) == clock.now()
    with pytest.raises(ValueError):
        FixedClock(dt.datetime(2026, 1, 1))


async def test_live_hub_delivers_to_the_audience_in_order_and_overflow_is_resource_exhausted():
    from prilavok_platform.errors import ResourceExhausted
    from prilavok_platform.live import LiveHub

    hub: LiveHub[str] = LiveHub(queue_limit=3)
    buyer, shop = Party.user("b1"), Party.shop("s1")
    mine = hub.open(buyer)
    only_t1 = hub.open(shop, accepts=lambda item: item.startswith("t1"))
    assert hub.publish("t1:hello", [buyer, shop]) == 2
    assert hub.publish("t2:other", [shop]) == 0, "the shop's feed follows one thread only"
    assert await mine.next(0.1) == "t1:hello" and await only_t1.next(0.1) == "t1:hello"
    assert await mine.next(0.01) is None, "no item: the read times out"
    for i in range(4):
        hub.publish(f"t1:{i}", [buyer])
    with pytest.raises(ResourceExhausted) as err:
        await mine.next(0.1)
    assert err.value.reason == "STREAM_OVERFLOW"
    mine.close()
    only_t1.close()
    assert hub.open_feeds == 0 and hub.publish("t1:late", [buyer, shop]) == 0
