"""Notify's gRPC face over the fakes: requests become commands (the `inbox` field included) and
the Subscribe stream notices a client that went away while idle. No server."""
from __future__ import annotations

import asyncio
import datetime as dt
from types import SimpleNamespace

import pytest

from prilavok.notify.v1 import notify_pb2 as pb
from prilavok_platform import grpc_server
from prilavok_platform.auth import bind_identity, reset_identity
from prilavok_platform.clock import FixedClock
from prilavok_platform.errors import InvalidArgument, PermissionDenied, ResourceExhausted
from prilavok_platform.identity import Identity, Party, Role
from services.notify.adapters.preferences_cache import TtlPreferencesCache
from services.notify.domain import commands
from services.notify.entrypoints import grpc_servicer
from services.notify.service_layer.handlers import NotifyHandlers
from tests.unit.notify.fakes import FakeFanout, fake_unit_of_work

NOW = dt.datetime(2026, 11, 22, 10, 0, tzinfo=dt.UTC)
AGENT = Identity("agent", Role.SUPPORT)


class FakeContext:
    def __init__(self) -> None:
        self.gone = False

    def done(self) -> bool:
        return self.gone


def make_env(queue_limit: int = 1000) -> SimpleNamespace:
    uow = fake_unit_of_work()
    fanout = FakeFanout(queue_limit)
    handlers = NotifyHandlers(uow, fanout, TtlPreferencesCache(FixedClock(NOW)))
    return SimpleNamespace(repos=uow.repos, fanout=fanout, handlers=handlers, servicer=grpc_servicer.NotifyServicer(handlers))


@pytest.fixture
def env():
    return make_env()


@pytest.fixture(autouse=True)
def as_agent():
    token = bind_identity(AGENT)
    yield
    reset_identity(token)


@pytest.fixture
def quick_idle_checks(monkeypatch):
    monkeypatch.setattr(grpc_server, "IDLE_CHECK_SECONDS", 0.01)


async def tell(env, event_id: str, recipient: Party) -> None:
    await env.handlers.penalty_issued(commands.TellPenaltyIssued(event_id, NOW, recipient, 100, "RUB", "Причина."))


async def test_subscribe_streams_the_chosen_inbox_and_ends_soon_after_the_client_went_away(env, quick_idle_checks):
    context = FakeContext()
    stream = env.servicer.Subscribe(pb.SubscribeRequest(inbox="user:agent"), context)
    first = asyncio.ensure_future(anext(stream))
    await asyncio.sleep(0.02)  # idle checks pass while the client is there: the stream stays open
    assert not first.done() and env.fanout.hub.open_feeds == 1
    await tell(env, "desk", Party.support())  # the agent's other inbox: not on this stream
    await tell(env, "own", Party.user("agent"))
    response = await asyncio.wait_for(first, 1)
    assert (response.notification.notification_id, response.notification.recipient) == ("own:user:agent", "user:agent")
    context.gone = True  # the client cancels; nothing more arrives
    with pytest.raises(StopAsyncIteration):
        await asyncio.wait_for(anext(stream), 1)
    assert env.fanout.hub.open_feeds == 0  # the feed is let go


async def test_subscribe_without_an_inbox_streams_the_main_one(env, quick_idle_checks):
    stream = env.servicer.Subscribe(pb.SubscribeRequest(), FakeContext())
    first = asyncio.ensure_future(anext(stream))
    await asyncio.sleep(0)
    await tell(env, "desk", Party.support())
    assert (await asyncio.wait_for(first, 1)).notification.recipient == "support"
    await stream.aclose()
    assert env.fanout.hub.open_feeds == 0


async def test_a_stream_that_falls_behind_fails_with_resource_exhausted_and_lets_go_of_its_feed(quick_idle_checks):
    env = make_env(queue_limit=1)
    stream = env.servicer.Subscribe(pb.SubscribeRequest(), FakeContext())
    first = asyncio.ensure_future(anext(stream))
    await asyncio.sleep(0)
    for i in range(3):
        await tell(env, f"e{i}", Party.support())
    assert (await first).notification.notification_id == "e0:support"
    with pytest.raises(ResourceExhausted):
        await anext(stream)
    assert env.fanout.hub.open_feeds == 0


@pytest.mark.parametrize("inbox, error", [("user:agent-2", PermissionDenied), ("shop:s1", PermissionDenied),
                                          ("bogus", InvalidArgument), ("user:", InvalidArgument)])
async def test_the_inbox_field_is_checked_on_every_call(env, inbox, error):
    calls = [
        env.servicer.ListNotifications(pb.ListNotificationsRequest(inbox=inbox), None),
        env.servicer.MarkNotificationsRead(pb.MarkNotificationsReadRequest(all=True, inbox=inbox), None),
        env.servicer.GetPreferences(pb.GetPreferencesRequest(inbox=inbox), None),
        env.servicer.UpdatePreferences(pb.UpdatePreferencesRequest(inbox=inbox), None),
        anext(env.servicer.Subscribe(pb.SubscribeRequest(inbox=inbox), FakeContext())),
    ]
    for call in calls:
        with pytest.raises(error) as err:
            await call
        if error is InvalidArgument:
            assert [v.field for v in err.value.violations] == ["inbox"]
    assert env.fanout.hub.open_feeds == 0 and env.repos.preferences.stored == {}


async def test_an_agent_lists_marks_and_sets_preferences_of_their_own_inbox(env):
    await tell(env, "own", Party.user("agent"))
    await tell(env, "desk", Party.support())
    own = await env.servicer.ListNotifications(pb.ListNotificationsRequest(inbox="user:agent"), None)
    assert [n.notification_id for n in own.notifications] == ["own:user:agent"]
    desk = await env.servicer.ListNotifications(pb.ListNotificationsRequest(), None)
    assert [n.notification_id for n in desk.notifications] == ["desk:support"]
    marked = await env.servicer.MarkNotificationsRead(pb.MarkNotificationsReadRequest(all=True, inbox="user:agent"), None)
    assert marked.unread_count == 0 and await env.repos.notifications.unread_count(Party.support()) == 1
    request = pb.UpdatePreferencesRequest(inbox="user:agent", preferences=pb.Preferences(muted_kinds=[pb.NOTIFICATION_KIND_PENALTY]))
    await env.servicer.UpdatePreferences(request, None)
    assert list((await env.servicer.GetPreferences(pb.GetPreferencesRequest(inbox="user:agent"), None)).preferences.muted_kinds) == [
        pb.NOTIFICATION_KIND_PENALTY]
    assert list((await env.servicer.GetPreferences(pb.GetPreferencesRequest(), None)).preferences.muted_kinds) == []


async def test_the_preferences_answer_says_suspensions_cannot_be_muted_and_muting_them_is_refused(env):
    answer = (await env.servicer.GetPreferences(pb.GetPreferencesRequest(), None)).preferences
    assert (list(answer.muted_kinds), list(answer.unmutable_kinds)) == ([], [pb.NOTIFICATION_KIND_STANDING])
    request = pb.UpdatePreferencesRequest(preferences=pb.Preferences(muted_kinds=[pb.NOTIFICATION_KIND_STANDING]))
    with pytest.raises(InvalidArgument) as err:
        await env.servicer.UpdatePreferences(request, None)
    assert [v.field for v in err.value.violations] == ["preferences.muted_kinds"]
    saved = await env.servicer.UpdatePreferences(
        pb.UpdatePreferencesRequest(preferences=pb.Preferences(muted_kinds=[pb.NOTIFICATION_KIND_APPEAL])), None)
    assert (list(saved.preferences.muted_kinds), list(saved.preferences.unmutable_kinds)) == (
        [pb.NOTIFICATION_KIND_APPEAL], [pb.NOTIFICATION_KIND_STANDING])
