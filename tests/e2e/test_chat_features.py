"""Attachments, support threads and ratings, event streams and notification preferences."""
from __future__ import annotations

import hashlib
import os
import queue
import threading
import uuid

import grpc
import pytest
from google.protobuf import field_mask_pb2

from prilavok.chat.v1 import chat_pb2
from prilavok.notify.v1 import notify_pb2
from prilavok_cli.client import As
from prilavok_platform.auth import Role
from prilavok_platform.replay import REPLAYED_HEADER
from tests.e2e.conftest import eventually, field_violations, fresh, md

pytestmark = pytest.mark.e2e


def pair() -> tuple[As, As]:
    """A buyer and a seller no other test uses (strikes and inboxes never leak between tests)."""
    return fresh(Role.BUYER, "buyer"), fresh(Role.SELLER, "seller")


def new_order_thread(chat, buyer: As, seller: As) -> str:
    request = chat_pb2.CreateThreadRequest(request_id=uuid.uuid4().hex, kind=chat_pb2.THREAD_KIND_ORDER,
                                           order_id=f"o-{uuid.uuid4().hex[:6]}", shop_id=seller.shop_id)
    return chat.CreateThread(request, metadata=md(buyer)).thread.thread_id


def upload(chat, who, thread_id, content: bytes, *, sha=None, size=None, content_type="image/jpeg", chunk=100_000):
    def parts():
        yield chat_pb2.UploadAttachmentRequest(metadata=chat_pb2.AttachmentMetadata(
            thread_id=thread_id, file_name="defect.jpg", content_type=content_type,
            size_bytes=len(content) if size is None else size, sha256=sha or hashlib.sha256(content).hexdigest()))
        for i in range(0, len(content), chunk):
            yield chat_pb2.UploadAttachmentRequest(chunk=content[i:i + chunk])

    return chat.UploadAttachment(parts(), metadata=md(who)).attachment


def test_attachments_upload_in_chunks_verify_and_download(stubs):
    chat = stubs["chat"]
    buyer, seller = pair()
    thread_id = new_order_thread(chat, buyer, seller)
    content = os.urandom(700_000)
    attachment = upload(chat, buyer, thread_id, content)
    assert attachment.metadata.size_bytes == len(content)
    sent = chat.SendMessage(chat_pb2.SendMessageRequest(request_id="a1", thread_id=thread_id, text="Фото брака",
                                                        attachment_ids=[attachment.attachment_id]), metadata=md(buyer))
    assert list(sent.message.attachment_ids) == [attachment.attachment_id]
    # A photo without a word: nothing for moderation to judge (it refuses empty text), delivered.
    photo = upload(chat, buyer, thread_id, b"second photo")
    only = chat.SendMessage(chat_pb2.SendMessageRequest(request_id="a0", thread_id=thread_id, attachment_ids=[photo.attachment_id]),
                            metadata=md(buyer)).message
    assert only.status == chat_pb2.MESSAGE_STATUS_DELIVERED and list(only.attachment_ids) == [photo.attachment_id]
    parts = list(chat.DownloadAttachment(chat_pb2.DownloadAttachmentRequest(attachment_id=attachment.attachment_id), metadata=md(seller)))
    assert parts[0].attachment.attachment_id == attachment.attachment_id
    assert b"".join(p.chunk for p in parts[1:]) == content

    with pytest.raises(grpc.RpcError) as err:
        upload(chat, buyer, thread_id, b"abc", sha="0" * 64)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "metadata.sha256" in field_violations(err.value)
    with pytest.raises(grpc.RpcError) as err:
        upload(chat, buyer, thread_id, b"abcdef", size=3)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.RpcError) as err:
        upload(chat, buyer, thread_id, b"MZ", content_type="application/x-msdownload")
    assert "metadata.content_type" in field_violations(err.value)
    with pytest.raises(grpc.RpcError) as err:
        upload(chat, As(Role.BUYER, "stranger"), thread_id, b"abc")
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.RpcError) as err:
        stranger = md(As(Role.BUYER, "stranger"))
        list(chat.DownloadAttachment(chat_pb2.DownloadAttachmentRequest(attachment_id=attachment.attachment_id), metadata=stranger))
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.RpcError) as err:  # the seller cannot send the buyer's upload as their own
        chat.SendMessage(chat_pb2.SendMessageRequest(request_id="a2", thread_id=thread_id, text="Здравствуйте, смотрим фото",
                                                     attachment_ids=[attachment.attachment_id]), metadata=md(seller))
    assert "attachment_ids[0]" in field_violations(err.value)


def test_support_thread_is_answered_then_rated_once(stubs):
    chat = stubs["chat"]
    _, seller = pair()
    agent = As(Role.SUPPORT, "agent-7")
    create = chat_pb2.CreateThreadRequest(
        request_id=uuid.uuid4().hex, kind=chat_pb2.THREAD_KIND_SUPPORT,
        support=chat_pb2.SupportTopic(category="Приемка товара", topic="Возражения по актам приемки", references={"supply": "WB-123"}))
    opened = chat.CreateThread(create, metadata=md(seller))
    thread = opened.thread
    chat.SendMessage(chat_pb2.SendMessageRequest(request_id="s1", thread_id=thread.thread_id,
                                                 text="Здравствуйте! Не согласны с актом приемки поставки."), metadata=md(seller))
    with pytest.raises(grpc.RpcError) as err:
        chat.RateThread(chat_pb2.RateThreadRequest(thread_id=thread.thread_id, score=5), metadata=md(seller))
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    chat.SendMessage(chat_pb2.SendMessageRequest(request_id="s2", thread_id=thread.thread_id,
                                                 text="Здравствуйте! Проверили поставку, акт исправлен."), metadata=md(agent))
    with pytest.raises(grpc.RpcError) as err:
        chat.RateThread(chat_pb2.RateThreadRequest(thread_id=thread.thread_id, score=9), metadata=md(seller))
    assert "score" in field_violations(err.value)
    rated = chat.RateThread(chat_pb2.RateThreadRequest(thread_id=thread.thread_id, score=5, comment="Спасибо"), metadata=md(seller)).thread
    assert rated.rating == 5 and rated.rating_comment == "Спасибо"
    with pytest.raises(grpc.RpcError) as err:
        chat.RateThread(chat_pb2.RateThreadRequest(thread_id=thread.thread_id, score=4), metadata=md(seller))
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    with pytest.raises(grpc.RpcError) as err:
        chat.RateThread(chat_pb2.RateThreadRequest(thread_id=thread.thread_id, score=4), metadata=md(agent))
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
    # A retry of the ticket's request is answered as it was first (Stripe's semantics): created,
    # the thread as opened (no messages, no rating), marked as a replay in the response metadata.
    replay, call = chat.CreateThread.with_call(create, metadata=md(seller))
    assert replay == opened and opened.created and (replay.thread.last_seq, replay.thread.rating) == (0, 0)
    assert (REPLAYED_HEADER, "true") in call.initial_metadata()


def _collect(stream, into: queue.Queue):
    try:
        for item in stream:
            into.put(item)
    except grpc.RpcError:
        pass


def next_event(events: queue.Queue, kind: str):
    """The next event of a kind; a thread's creation may arrive on a stream at any point."""
    while True:
        event = events.get(timeout=10)
        if event.WhichOneof("event") == kind:
            return event
        assert event.WhichOneof("event") == "thread_changed", event


def test_event_streams_deliver_messages_reads_and_notifications(stubs):
    chat, notify = stubs["chat"], stubs["notify"]
    buyer, seller = pair()
    thread_id = new_order_thread(chat, buyer, seller)
    seller_events: queue.Queue = queue.Queue()
    buyer_events: queue.Queue = queue.Queue()
    seller_notes: queue.Queue = queue.Queue()
    streams = [
        chat.StreamEvents(chat_pb2.StreamEventsRequest(thread_id=thread_id), metadata=md(seller)),
        chat.StreamEvents(chat_pb2.StreamEventsRequest(), metadata=md(buyer)),
        notify.Subscribe(notify_pb2.SubscribeRequest(), metadata=md(seller)),
    ]
    for stream, sink in zip(streams, (seller_events, buyer_events, seller_notes), strict=True):
        threading.Thread(target=_collect, args=(stream, sink), daemon=True).start()
    import time
    time.sleep(0.5)  # the streams are registered
    chat.SendMessage(chat_pb2.SendMessageRequest(request_id="e1", thread_id=thread_id, text="Здравствуйте! Есть ли размер M?"), metadata=md(buyer))
    event = next_event(seller_events, "message_delivered")
    assert event.message_delivered.thread_id == thread_id and event.message_delivered.text.endswith("размер M?")
    note = seller_notes.get(timeout=10)
    assert note.notification.thread_id == thread_id and note.notification.kind == notify_pb2.NOTIFICATION_KIND_NEW_MESSAGE
    chat.MarkRead(chat_pb2.MarkReadRequest(thread_id=thread_id), metadata=md(seller))
    kinds = []
    while "read" not in kinds:
        kinds.append(buyer_events.get(timeout=10).WhichOneof("event"))
    # The buyer's all-threads stream may also carry the thread's creation.
    assert [k for k in kinds if k != "thread_changed"] == ["message_delivered", "read"]
    for stream in streams:
        stream.cancel()


def test_preferences_mute_a_kind(stubs):
    notify, chat = stubs["notify"], stubs["chat"]
    buyer, seller = pair()
    new_message = notify_pb2.NOTIFICATION_KIND_NEW_MESSAGE
    with pytest.raises(grpc.RpcError) as err:  # only muted_kinds may be changed
        notify.UpdatePreferences(notify_pb2.UpdatePreferencesRequest(
            preferences=notify_pb2.Preferences(), update_mask=field_mask_pb2.FieldMask(paths=["webhook_url"])), metadata=md(buyer))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    updated = notify.UpdatePreferences(notify_pb2.UpdatePreferencesRequest(
        preferences=notify_pb2.Preferences(muted_kinds=[new_message]),
        update_mask=field_mask_pb2.FieldMask(paths=["muted_kinds"])), metadata=md(buyer)).preferences
    assert list(updated.muted_kinds) == [new_message]
    assert list(notify.GetPreferences(notify_pb2.GetPreferencesRequest(), metadata=md(buyer)).preferences.muted_kinds) == [new_message]
    thread_id = new_order_thread(chat, buyer, seller)

    def say(who, request_id, text):
        chat.SendMessage(chat_pb2.SendMessageRequest(request_id=request_id, thread_id=thread_id, text=text), metadata=md(who))

    say(buyer, "q1", "Здравствуйте!")
    say(seller, "q2", "Здравствуйте! Отправим сегодня.")
    say(seller, "q3", "Ок")  # blocked: its sender is told
    listed = eventually(
        lambda: notify.ListNotifications(notify_pb2.ListNotificationsRequest(), metadata=md(seller)),
        lambda r: any(n.kind == notify_pb2.NOTIFICATION_KIND_MESSAGE_BLOCKED and n.thread_id == thread_id for n in r.notifications),
        what="the seller told of the blocked message",
    )
    assert any(n.thread_id == thread_id for n in listed.notifications)
    mine = notify.ListNotifications(notify_pb2.ListNotificationsRequest(), metadata=md(buyer))
    assert all(n.kind != new_message for n in mine.notifications), "muted kind was stored"


def test_list_threads_and_messages_page_by_one_to_the_end_under_updates_and_closes(stubs):
    """Every thread and every message is returned exactly once while others write and close."""
    chat = stubs["chat"]
    buyer, seller = pair()
    ids = [new_order_thread(chat, buyer, seller) for _ in range(4)]
    seen, token, n = [], "", 0
    while True:
        page = chat.ListThreads(chat_pb2.ListThreadsRequest(page_size=1, page_token=token), metadata=md(seller))
        seen.extend(t.thread_id for t in page.threads)
        n += 1
        if n == 1:  # the thread just listed gets a message; the second is closed once listed
            chat.SendMessage(chat_pb2.SendMessageRequest(request_id="p1", thread_id=seen[0], text="Здравствуйте!"), metadata=md(buyer))
        if n == 2:
            chat.CloseThread(chat_pb2.CloseThreadRequest(thread_id=seen[1]), metadata=md(seller))
        token = page.next_page_token
        if not token:
            break
    assert sorted(seen) == sorted(ids) and len(seen) == len(ids)

    thread_id = ids[-1] if ids[-1] != seen[1] else ids[0]
    for i in range(3):
        chat.SendMessage(chat_pb2.SendMessageRequest(request_id=f"m{i}", thread_id=thread_id, text="Здравствуйте!"), metadata=md(buyer))
    seqs, token = [], ""
    while True:
        page = chat.ListMessages(chat_pb2.ListMessagesRequest(thread_id=thread_id, page_size=1, page_token=token), metadata=md(seller))
        seqs.extend(m.seq for m in page.messages)
        token = page.next_page_token
        if len(seqs) == 1:  # a newer message meanwhile does not disturb the older pages
            chat.SendMessage(chat_pb2.SendMessageRequest(request_id="late", thread_id=thread_id, text="Здравствуйте!"), metadata=md(buyer))
        if not token:
            break
    assert seqs == sorted(seqs, reverse=True) and len(seqs) == len(set(seqs)) == seqs[0]


def test_an_order_chat_is_found_again_by_either_side_and_its_close_is_visible(stubs):
    """ORDER threads need no request id: the seller opening the buyer's order chat gets it back
    (created=false, without an initiation reason, not marked as a replay: the seller did not start
    it); the reason and the closer are shown to the other side."""
    chat = stubs["chat"]
    buyer, seller = pair()
    order_id = f"o-{uuid.uuid4().hex[:6]}"
    opened = chat.CreateThread(chat_pb2.CreateThreadRequest(kind=chat_pb2.THREAD_KIND_ORDER, order_id=order_id, shop_id=seller.shop_id),
                               metadata=md(buyer))
    # Finding the buyer's chat is not writing first: no initiation_reason needed.
    again, call = chat.CreateThread.with_call(chat_pb2.CreateThreadRequest(
        request_id=uuid.uuid4().hex, kind=chat_pb2.THREAD_KIND_ORDER, order_id=order_id, buyer_id=buyer.user_id), metadata=md(seller))
    assert opened.created and not again.created and again.thread.thread_id == opened.thread.thread_id
    assert REPLAYED_HEADER not in dict(call.initial_metadata())
    thread_id = opened.thread.thread_id
    chat.CloseThread(chat_pb2.CloseThreadRequest(thread_id=thread_id, reason="Вопрос решен"), metadata=md(buyer))
    seen = chat.GetThread(chat_pb2.GetThreadRequest(thread_id=thread_id), metadata=md(seller)).thread
    assert seen.close_reason == "Вопрос решен" and seen.closed_by.user_id == buyer.user_id
    with pytest.raises(grpc.RpcError) as err:
        chat.ListMessages(chat_pb2.ListMessagesRequest(thread_id=thread_id, direction=7), metadata=md(buyer))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "direction" in field_violations(err.value)
