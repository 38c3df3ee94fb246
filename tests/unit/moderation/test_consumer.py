"""The chat's message events -> recorded verdicts, through the EventDispatcher, over fakes."""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from prilavok.chat.v1 import chat_pb2
from prilavok.chat.v1 import events_pb2 as chat_events
from prilavok.common.v1 import common_pb2
from prilavok.moderation.v1 import moderation_pb2 as mpb
from prilavok_platform.identity import Identity, Party, Role
from prilavok_platform.nats import EVENT_TYPE_HEADER, PoisonMessage, TransientError
from prilavok_platform.protobuf import timestamp
from services.moderation.adapters import protos
from services.moderation.domain.commands import ResolveReview
from services.moderation.domain.events import PenaltyIssued, ReviewResolved, ViolationRecorded
from services.moderation.domain.model import Action, Category, ReviewDecision, ReviewStatus, SenderRole
from services.moderation.entrypoints.consumers import chat_messages_dispatcher
from tests.unit.moderation.fakes import World

AT = dt.datetime(2026, 11, 22, 11, 59, tzinfo=dt.UTC)
SELLER = common_pb2.Actor(role=common_pb2.ROLE_SELLER, user_id="s-1", shop_id="shop-1")
SUPPORT = common_pb2.Actor(role=common_pb2.ROLE_SUPPORT, user_id="sup-1")


def message(action: int, *categories: int, message_id: str = "c1", text: str = "текст",
            sender: common_pb2.Actor = SELLER, status: int = chat_pb2.MESSAGE_STATUS_BLOCKED) -> chat_pb2.Message:
    return chat_pb2.Message(
        message_id=message_id, thread_id="t1", seq=3, sender=sender, text=text, status=status,
        moderation=chat_pb2.ModerationOutcome(action=action, categories=list(categories), reason="причина", policy_version="v7"),
        created_at=timestamp(AT))


def event(kind, msg: chat_pb2.Message):
    return kind(event_id="e1", occurred_at=timestamp(AT), thread=chat_pb2.Thread(thread_id="t1"), message=msg)


async def consume(world: World, e) -> None:
    dispatch = chat_messages_dispatcher(world.handlers)
    # as the chat's outbox relay publishes it: the type and the producer headers, on the chat's subjects
    headers = {EVENT_TYPE_HEADER: e.DESCRIPTOR.full_name, "Prilavok-Producer": "chat"}
    await dispatch(SimpleNamespace(headers=headers, data=e.SerializeToString(), subject="p.chat.message.x"))


async def test_a_blocked_message_is_recorded_once_however_often_the_event_comes():
    world = World()
    e = event(chat_events.MessageBlocked, message(mpb.ACTION_BLOCK, mpb.CATEGORY_CONTACT_EXCHANGE, mpb.CATEGORY_OFF_PLATFORM_LURE))
    await consume(world, e)
    await consume(world, e)
    violation = world.violations.items["c1"]
    assert (violation.thread_id, violation.at, violation.sender.offender) == ("t1", AT, Party.shop("shop-1"))
    assert (violation.verdict.action, violation.verdict.categories, violation.verdict.policy_version) == (
        Action.BLOCK, [Category.CONTACT_EXCHANGE, Category.OFF_PLATFORM_LURE], "v7")
    assert [type(x) for x in world.uow.published].count(ViolationRecorded) == 1
    assert [p.penalty_id for p in world.penalties.items.values()] == ["c1:CONTACT_EXCHANGE"]
    assert len(world.uow.events_of(PenaltyIssued)) == 1


async def test_a_held_message_is_queued_and_its_approval_released_once():
    world = World()
    held = message(mpb.ACTION_REVIEW, mpb.CATEGORY_DISPARAGEMENT, text="Склад дно", status=chat_pb2.MESSAGE_STATUS_HELD)
    await consume(world, event(chat_events.MessageHeld, held))
    assert world.reviews.items["c1"].text == "Склад дно"
    await world.handlers.resolve_review(ResolveReview(Identity("mod", Role.MODERATOR), "c1", ReviewDecision.APPROVE))
    # the chat delivers the released message: the same message id, nothing new is recorded
    released = chat_pb2.Message()
    released.CopyFrom(held)
    released.status = chat_pb2.MESSAGE_STATUS_DELIVERED
    await consume(world, event(chat_events.MessageDelivered, released))
    assert world.reviews.items["c1"].status is ReviewStatus.APPROVED
    assert len(world.uow.events_of(ViolationRecorded)) == 1 and len(world.uow.events_of(ReviewResolved)) == 1


async def test_allowed_and_unmoderated_messages_record_nothing():
    world = World()
    await consume(world, event(chat_events.MessageDelivered, message(mpb.ACTION_ALLOW, status=chat_pb2.MESSAGE_STATUS_DELIVERED)))
    await consume(world, event(chat_events.MessageDelivered, message(mpb.ACTION_UNSPECIFIED, text="")))
    assert world.violations.items == {} and world.uow.commits == 0


async def test_what_is_kept_of_the_stored_text_is_the_domains_whatever_the_event_carries():
    """Moderation reads message.text only (never moderated_text, which the chat is dropping):
    a held message's text is the original (the review shows it), a masked one's the masked text,
    and a blocked one needs none - recorded the same with its text blanked or not."""
    msg = message(mpb.ACTION_MASK, mpb.CATEGORY_PERSONAL_DATA, text="мой номер ***********", status=chat_pb2.MESSAGE_STATUS_DELIVERED)
    masked = protos.record_message(event(chat_events.MessageDelivered, msg))
    assert masked is not None and (masked.text, masked.verdict.masked_text) == ("", "мой номер ***********")
    held = message(mpb.ACTION_REVIEW, mpb.CATEGORY_DISPARAGEMENT, text="мой номер 89161234567", status=chat_pb2.MESSAGE_STATUS_HELD)
    command = protos.record_message(event(chat_events.MessageHeld, held))
    assert command is not None and (command.text, command.verdict.masked_text) == ("мой номер 89161234567", "")
    recorded = []
    for text in ("", "карта 4276 1234 5678 9012"):  # the chat blanks it now; an older chat did not
        world = World()
        e = event(chat_events.MessageBlocked, message(mpb.ACTION_BLOCK, mpb.CATEGORY_PERSONAL_DATA, text=text))
        assert protos.record_message(e).text == ""  # type: ignore[union-attr]
        await consume(world, e)
        recorded.append(world.violations.items["c1"])
    assert recorded[0] == recorded[1] and recorded[0].verdict.action is Action.BLOCK


async def test_a_support_agents_message_counts_against_the_agent():
    world = World()
    await consume(world, event(chat_events.MessageBlocked, message(mpb.ACTION_BLOCK, mpb.CATEGORY_INSULT, sender=SUPPORT)))
    violation = world.violations.items["c1"]
    assert (violation.sender.role, violation.sender.offender) == (SenderRole.SUPPORT, Party.user("sup-1"))


@pytest.mark.parametrize("broken", [
    message(mpb.ACTION_BLOCK, mpb.CATEGORY_INSULT, sender=common_pb2.Actor(role=common_pb2.ROLE_SELLER, user_id="s-1")),  # no shop
    message(mpb.ACTION_BLOCK, mpb.CATEGORY_INSULT, message_id=""),
    message(mpb.ACTION_BLOCK, mpb.CATEGORY_INSULT, sender=common_pb2.Actor(user_id="s-1")),  # no role
    message(mpb.ACTION_BLOCK, mpb.CATEGORY_UNSPECIFIED),
])
async def test_an_event_that_can_never_be_recorded_is_poison_not_retried(broken):
    world = World()
    with pytest.raises(PoisonMessage):
        await consume(world, event(chat_events.MessageBlocked, broken))
    assert world.violations.items == {}


async def test_an_event_without_its_time_is_poison():
    world = World()
    e = event(chat_events.MessageBlocked, message(mpb.ACTION_BLOCK, mpb.CATEGORY_INSULT))
    e.ClearField("occurred_at")
    e.message.ClearField("created_at")
    with pytest.raises(PoisonMessage):
        await consume(world, e)


@pytest.mark.parametrize("newer", [
    message(mpb.ACTION_BLOCK, 99),  # a category this build does not know
    message(42, mpb.CATEGORY_INSULT),  # an action
    message(mpb.ACTION_BLOCK, mpb.CATEGORY_INSULT, sender=common_pb2.Actor(role=77, user_id="s-1")),  # a role
])
async def test_an_event_of_a_newer_version_is_left_for_redelivery_not_terminated(newer):
    world = World()
    with pytest.raises(TransientError) as err:  # redelivered (after a delay), never terminated
        await consume(world, event(chat_events.MessageBlocked, newer))
    assert not isinstance(err.value, PoisonMessage) and world.violations.items == {}


class Unavailable(Exception):
    pass


async def test_a_storage_failure_is_redelivered_and_the_retry_records_once():
    world = World()
    real_add = world.violations.add
    failures = [Unavailable("no primary")]

    async def flaky_add(violation):
        if failures:
            raise failures.pop()
        await real_add(violation)

    world.violations.add = flaky_add  # type: ignore[method-assign]
    e = event(chat_events.MessageBlocked, message(mpb.ACTION_BLOCK, mpb.CATEGORY_CONTACT_EXCHANGE))
    with pytest.raises(Unavailable):  # not PoisonMessage: the platform redelivers it
        await consume(world, e)
    assert world.violations.items == {} and world.penalties.items == {} and world.uow.published == []
    await consume(world, e)
    assert list(world.violations.items) == ["c1"] and len(world.uow.events_of(ViolationRecorded)) == 1
