"""NATS consumers of the moderation service: the chat's stored messages, whose verdicts are
recorded here (a strike, a review item for a held message, fines), once per message id.

Recording from the chat's events rather than inside the chat's CheckMessage call means nothing
is recorded for a message the chat never stored (the thread closed meanwhile, its write failed).

Only an event that can never be recorded is poison (terminated): one that is missing what a
record needs or whose fields cannot be read. Everything else - the database unavailable, a
write conflict, an enum number from a newer version of the producer - fails the delivery, and
the platform redelivers it until it is recorded."""
from __future__ import annotations

from prilavok.chat.v1 import events_pb2 as chat_events
from prilavok_platform.errors import InvalidArgument
from prilavok_platform.nats import EventDispatcher, PoisonMessage, TransientError
from services.moderation.adapters import protos
from services.moderation.service_layer.handlers import ModerationHandlers


def chat_messages_dispatcher(handlers: ModerationHandlers) -> EventDispatcher:
    async def on_message(event: chat_events.MessageDelivered | chat_events.MessageHeld | chat_events.MessageBlocked) -> None:
        try:
            command = protos.record_message(event)  # read and validated here, so the handler's errors are not poison
        except InvalidArgument as exc:
            # a malformed event stays malformed however often it is redelivered
            raise PoisonMessage(f"chat message {event.message.message_id}: {exc}") from None
        except protos.NewerThanThisVersion as exc:
            raise TransientError(f"chat message {event.message.message_id}: {exc}; left for a newer moderation") from None
        if command is not None:
            await handlers.record_message(command)

    return (
        EventDispatcher()
        .on(chat_events.MessageDelivered, on_message)
        .on(chat_events.MessageHeld, on_message)
        .on(chat_events.MessageBlocked, on_message)
    )
