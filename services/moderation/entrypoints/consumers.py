"""NATS consumers of the moderation service: the chat's stored messages, whose verdicts are
recorded here (a strike, a review item for a held message, fines), once per message id.

Recording from the chat's events rather than inside the chat's CheckMessage call means nothing
is recorded for a message the chat never stored (the thread closed meanwhile, its write failed)."""
from __future__ import annotations

from prilavok.chat.v1 import events_pb2 as chat_events
from prilavok_platform.errors import InvalidArgument
from prilavok_platform.nats import EventDispatcher, PoisonMessage
from services.moderation.adapters import protos
from services.moderation.service_layer.handlers import ModerationHandlers


def chat_messages_dispatcher(handlers: ModerationHandlers) -> EventDispatcher:
    async def on_message(event: chat_events.MessageDelivered | chat_events.MessageHeld | chat_events.MessageBlocked) -> None:
        try:
            command = protos.record_message(event)
            if command is not None:
                await handlers.record_message(command)
        except InvalidArgument as exc:
            # a malformed event stays malformed however often it is redelivered
            raise PoisonMessage(f"chat message {event.message.message_id}: {exc}") from None

    return (
        EventDispatcher()
        .on(chat_events.MessageDelivered, on_message)
        .on(chat_events.MessageHeld, on_message)
        .on(chat_events.MessageBlocked, on_message)
    )
