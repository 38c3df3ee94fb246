import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from prilavok.common.v1 import common_pb2 as _common_pb2
from prilavok.moderation.v1 import moderation_pb2 as _moderation_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ThreadKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    THREAD_KIND_UNSPECIFIED: _ClassVar[ThreadKind]
    THREAD_KIND_ORDER: _ClassVar[ThreadKind]
    THREAD_KIND_CLAIM: _ClassVar[ThreadKind]
    THREAD_KIND_SUPPORT: _ClassVar[ThreadKind]

class ThreadStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    THREAD_STATUS_UNSPECIFIED: _ClassVar[ThreadStatus]
    THREAD_STATUS_OPEN: _ClassVar[ThreadStatus]
    THREAD_STATUS_CLOSED: _ClassVar[ThreadStatus]

class InitiationReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INITIATION_REASON_UNSPECIFIED: _ClassVar[InitiationReason]
    INITIATION_REASON_ORDER_DETAILS: _ClassVar[InitiationReason]
    INITIATION_REASON_DELIVERY_PROBLEM: _ClassVar[InitiationReason]
    INITIATION_REASON_STOCK_CONFIRMATION: _ClassVar[InitiationReason]
    INITIATION_REASON_BUYER_REQUEST: _ClassVar[InitiationReason]

class MessageStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MESSAGE_STATUS_UNSPECIFIED: _ClassVar[MessageStatus]
    MESSAGE_STATUS_DELIVERED: _ClassVar[MessageStatus]
    MESSAGE_STATUS_HELD: _ClassVar[MessageStatus]
    MESSAGE_STATUS_BLOCKED: _ClassVar[MessageStatus]
    MESSAGE_STATUS_UNDELIVERED: _ClassVar[MessageStatus]

class Direction(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DIRECTION_UNSPECIFIED: _ClassVar[Direction]
    DIRECTION_OLDER: _ClassVar[Direction]
    DIRECTION_NEWER: _ClassVar[Direction]
THREAD_KIND_UNSPECIFIED: ThreadKind
THREAD_KIND_ORDER: ThreadKind
THREAD_KIND_CLAIM: ThreadKind
THREAD_KIND_SUPPORT: ThreadKind
THREAD_STATUS_UNSPECIFIED: ThreadStatus
THREAD_STATUS_OPEN: ThreadStatus
THREAD_STATUS_CLOSED: ThreadStatus
INITIATION_REASON_UNSPECIFIED: InitiationReason
INITIATION_REASON_ORDER_DETAILS: InitiationReason
INITIATION_REASON_DELIVERY_PROBLEM: InitiationReason
INITIATION_REASON_STOCK_CONFIRMATION: InitiationReason
INITIATION_REASON_BUYER_REQUEST: InitiationReason
MESSAGE_STATUS_UNSPECIFIED: MessageStatus
MESSAGE_STATUS_DELIVERED: MessageStatus
MESSAGE_STATUS_HELD: MessageStatus
MESSAGE_STATUS_BLOCKED: MessageStatus
MESSAGE_STATUS_UNDELIVERED: MessageStatus
DIRECTION_UNSPECIFIED: Direction
DIRECTION_OLDER: Direction
DIRECTION_NEWER: Direction

class SupportTopic(_message.Message):
    __slots__ = ("category", "topic", "references")
    class ReferencesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    REFERENCES_FIELD_NUMBER: _ClassVar[int]
    category: str
    topic: str
    references: _containers.ScalarMap[str, str]
    def __init__(self, category: _Optional[str] = ..., topic: _Optional[str] = ..., references: _Optional[_Mapping[str, str]] = ...) -> None: ...

class Thread(_message.Message):
    __slots__ = ("thread_id", "kind", "status", "order_id", "claim_id", "buyer_id", "shop_id", "author", "support", "initiated_by", "initiation_reason", "linked_thread_id", "created_at", "updated_at", "last_message_at", "last_seq", "unread_count", "reply_due_at", "closed_at", "rating", "participants", "rating_comment", "close_reason", "closed_by")
    THREAD_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    CLAIM_ID_FIELD_NUMBER: _ClassVar[int]
    BUYER_ID_FIELD_NUMBER: _ClassVar[int]
    SHOP_ID_FIELD_NUMBER: _ClassVar[int]
    AUTHOR_FIELD_NUMBER: _ClassVar[int]
    SUPPORT_FIELD_NUMBER: _ClassVar[int]
    INITIATED_BY_FIELD_NUMBER: _ClassVar[int]
    INITIATION_REASON_FIELD_NUMBER: _ClassVar[int]
    LINKED_THREAD_ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    LAST_MESSAGE_AT_FIELD_NUMBER: _ClassVar[int]
    LAST_SEQ_FIELD_NUMBER: _ClassVar[int]
    UNREAD_COUNT_FIELD_NUMBER: _ClassVar[int]
    REPLY_DUE_AT_FIELD_NUMBER: _ClassVar[int]
    CLOSED_AT_FIELD_NUMBER: _ClassVar[int]
    RATING_FIELD_NUMBER: _ClassVar[int]
    PARTICIPANTS_FIELD_NUMBER: _ClassVar[int]
    RATING_COMMENT_FIELD_NUMBER: _ClassVar[int]
    CLOSE_REASON_FIELD_NUMBER: _ClassVar[int]
    CLOSED_BY_FIELD_NUMBER: _ClassVar[int]
    thread_id: str
    kind: ThreadKind
    status: ThreadStatus
    order_id: str
    claim_id: str
    buyer_id: str
    shop_id: str
    author: _common_pb2.Actor
    support: SupportTopic
    initiated_by: _common_pb2.Role
    initiation_reason: InitiationReason
    linked_thread_id: str
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    last_message_at: _timestamp_pb2.Timestamp
    last_seq: int
    unread_count: int
    reply_due_at: _timestamp_pb2.Timestamp
    closed_at: _timestamp_pb2.Timestamp
    rating: int
    participants: _containers.RepeatedCompositeFieldContainer[_common_pb2.Party]
    rating_comment: str
    close_reason: str
    closed_by: _common_pb2.Actor
    def __init__(self, thread_id: _Optional[str] = ..., kind: _Optional[_Union[ThreadKind, str]] = ..., status: _Optional[_Union[ThreadStatus, str]] = ..., order_id: _Optional[str] = ..., claim_id: _Optional[str] = ..., buyer_id: _Optional[str] = ..., shop_id: _Optional[str] = ..., author: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., support: _Optional[_Union[SupportTopic, _Mapping]] = ..., initiated_by: _Optional[_Union[_common_pb2.Role, str]] = ..., initiation_reason: _Optional[_Union[InitiationReason, str]] = ..., linked_thread_id: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_message_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_seq: _Optional[int] = ..., unread_count: _Optional[int] = ..., reply_due_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., closed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., rating: _Optional[int] = ..., participants: _Optional[_Iterable[_Union[_common_pb2.Party, _Mapping]]] = ..., rating_comment: _Optional[str] = ..., close_reason: _Optional[str] = ..., closed_by: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ...) -> None: ...

class ModerationOutcome(_message.Message):
    __slots__ = ("action", "categories", "reason", "policy_version")
    ACTION_FIELD_NUMBER: _ClassVar[int]
    CATEGORIES_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    POLICY_VERSION_FIELD_NUMBER: _ClassVar[int]
    action: _moderation_pb2.Action
    categories: _containers.RepeatedScalarFieldContainer[_moderation_pb2.Category]
    reason: str
    policy_version: str
    def __init__(self, action: _Optional[_Union[_moderation_pb2.Action, str]] = ..., categories: _Optional[_Iterable[_Union[_moderation_pb2.Category, str]]] = ..., reason: _Optional[str] = ..., policy_version: _Optional[str] = ...) -> None: ...

class Message(_message.Message):
    __slots__ = ("message_id", "thread_id", "seq", "sender", "text", "status", "moderation", "attachment_ids", "created_at", "status_reason")
    MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    THREAD_ID_FIELD_NUMBER: _ClassVar[int]
    SEQ_FIELD_NUMBER: _ClassVar[int]
    SENDER_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    MODERATION_FIELD_NUMBER: _ClassVar[int]
    ATTACHMENT_IDS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    STATUS_REASON_FIELD_NUMBER: _ClassVar[int]
    message_id: str
    thread_id: str
    seq: int
    sender: _common_pb2.Actor
    text: str
    status: MessageStatus
    moderation: ModerationOutcome
    attachment_ids: _containers.RepeatedScalarFieldContainer[str]
    created_at: _timestamp_pb2.Timestamp
    status_reason: str
    def __init__(self, message_id: _Optional[str] = ..., thread_id: _Optional[str] = ..., seq: _Optional[int] = ..., sender: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., text: _Optional[str] = ..., status: _Optional[_Union[MessageStatus, str]] = ..., moderation: _Optional[_Union[ModerationOutcome, _Mapping]] = ..., attachment_ids: _Optional[_Iterable[str]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., status_reason: _Optional[str] = ...) -> None: ...

class CreateThreadRequest(_message.Message):
    __slots__ = ("request_id", "kind", "order_id", "claim_id", "buyer_id", "shop_id", "support", "initiation_reason", "linked_thread_id")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    CLAIM_ID_FIELD_NUMBER: _ClassVar[int]
    BUYER_ID_FIELD_NUMBER: _ClassVar[int]
    SHOP_ID_FIELD_NUMBER: _ClassVar[int]
    SUPPORT_FIELD_NUMBER: _ClassVar[int]
    INITIATION_REASON_FIELD_NUMBER: _ClassVar[int]
    LINKED_THREAD_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    kind: ThreadKind
    order_id: str
    claim_id: str
    buyer_id: str
    shop_id: str
    support: SupportTopic
    initiation_reason: InitiationReason
    linked_thread_id: str
    def __init__(self, request_id: _Optional[str] = ..., kind: _Optional[_Union[ThreadKind, str]] = ..., order_id: _Optional[str] = ..., claim_id: _Optional[str] = ..., buyer_id: _Optional[str] = ..., shop_id: _Optional[str] = ..., support: _Optional[_Union[SupportTopic, _Mapping]] = ..., initiation_reason: _Optional[_Union[InitiationReason, str]] = ..., linked_thread_id: _Optional[str] = ...) -> None: ...

class CreateThreadResponse(_message.Message):
    __slots__ = ("thread", "created")
    THREAD_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    thread: Thread
    created: bool
    def __init__(self, thread: _Optional[_Union[Thread, _Mapping]] = ..., created: _Optional[bool] = ...) -> None: ...

class GetThreadRequest(_message.Message):
    __slots__ = ("thread_id",)
    THREAD_ID_FIELD_NUMBER: _ClassVar[int]
    thread_id: str
    def __init__(self, thread_id: _Optional[str] = ...) -> None: ...

class GetThreadResponse(_message.Message):
    __slots__ = ("thread",)
    THREAD_FIELD_NUMBER: _ClassVar[int]
    thread: Thread
    def __init__(self, thread: _Optional[_Union[Thread, _Mapping]] = ...) -> None: ...

class ListThreadsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "kind", "status", "unread_only", "order_id")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    UNREAD_ONLY_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    kind: ThreadKind
    status: ThreadStatus
    unread_only: bool
    order_id: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., kind: _Optional[_Union[ThreadKind, str]] = ..., status: _Optional[_Union[ThreadStatus, str]] = ..., unread_only: _Optional[bool] = ..., order_id: _Optional[str] = ...) -> None: ...

class ListThreadsResponse(_message.Message):
    __slots__ = ("threads", "next_page_token")
    THREADS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    threads: _containers.RepeatedCompositeFieldContainer[Thread]
    next_page_token: str
    def __init__(self, threads: _Optional[_Iterable[_Union[Thread, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class SendMessageRequest(_message.Message):
    __slots__ = ("request_id", "thread_id", "text", "attachment_ids")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    THREAD_ID_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    ATTACHMENT_IDS_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    thread_id: str
    text: str
    attachment_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, request_id: _Optional[str] = ..., thread_id: _Optional[str] = ..., text: _Optional[str] = ..., attachment_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class SendMessageResponse(_message.Message):
    __slots__ = ("message", "moderation", "created")
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    MODERATION_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    message: Message
    moderation: ModerationOutcome
    created: bool
    def __init__(self, message: _Optional[_Union[Message, _Mapping]] = ..., moderation: _Optional[_Union[ModerationOutcome, _Mapping]] = ..., created: _Optional[bool] = ...) -> None: ...

class ListMessagesRequest(_message.Message):
    __slots__ = ("thread_id", "page_size", "page_token", "direction", "start_seq")
    THREAD_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    START_SEQ_FIELD_NUMBER: _ClassVar[int]
    thread_id: str
    page_size: int
    page_token: str
    direction: Direction
    start_seq: int
    def __init__(self, thread_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., direction: _Optional[_Union[Direction, str]] = ..., start_seq: _Optional[int] = ...) -> None: ...

class ListMessagesResponse(_message.Message):
    __slots__ = ("messages", "next_page_token")
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    messages: _containers.RepeatedCompositeFieldContainer[Message]
    next_page_token: str
    def __init__(self, messages: _Optional[_Iterable[_Union[Message, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class MarkReadRequest(_message.Message):
    __slots__ = ("thread_id", "up_to_seq")
    THREAD_ID_FIELD_NUMBER: _ClassVar[int]
    UP_TO_SEQ_FIELD_NUMBER: _ClassVar[int]
    thread_id: str
    up_to_seq: int
    def __init__(self, thread_id: _Optional[str] = ..., up_to_seq: _Optional[int] = ...) -> None: ...

class MarkReadResponse(_message.Message):
    __slots__ = ("unread_count",)
    UNREAD_COUNT_FIELD_NUMBER: _ClassVar[int]
    unread_count: int
    def __init__(self, unread_count: _Optional[int] = ...) -> None: ...

class StreamEventsRequest(_message.Message):
    __slots__ = ("thread_id",)
    THREAD_ID_FIELD_NUMBER: _ClassVar[int]
    thread_id: str
    def __init__(self, thread_id: _Optional[str] = ...) -> None: ...

class StreamEventsResponse(_message.Message):
    __slots__ = ("message_delivered", "read", "thread_changed")
    MESSAGE_DELIVERED_FIELD_NUMBER: _ClassVar[int]
    READ_FIELD_NUMBER: _ClassVar[int]
    THREAD_CHANGED_FIELD_NUMBER: _ClassVar[int]
    message_delivered: Message
    read: ReadReceipt
    thread_changed: Thread
    def __init__(self, message_delivered: _Optional[_Union[Message, _Mapping]] = ..., read: _Optional[_Union[ReadReceipt, _Mapping]] = ..., thread_changed: _Optional[_Union[Thread, _Mapping]] = ...) -> None: ...

class ReadReceipt(_message.Message):
    __slots__ = ("thread_id", "reader", "up_to_seq")
    THREAD_ID_FIELD_NUMBER: _ClassVar[int]
    READER_FIELD_NUMBER: _ClassVar[int]
    UP_TO_SEQ_FIELD_NUMBER: _ClassVar[int]
    thread_id: str
    reader: _common_pb2.Actor
    up_to_seq: int
    def __init__(self, thread_id: _Optional[str] = ..., reader: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., up_to_seq: _Optional[int] = ...) -> None: ...

class CloseThreadRequest(_message.Message):
    __slots__ = ("thread_id", "reason")
    THREAD_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    thread_id: str
    reason: str
    def __init__(self, thread_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class CloseThreadResponse(_message.Message):
    __slots__ = ("thread",)
    THREAD_FIELD_NUMBER: _ClassVar[int]
    thread: Thread
    def __init__(self, thread: _Optional[_Union[Thread, _Mapping]] = ...) -> None: ...

class AttachmentMetadata(_message.Message):
    __slots__ = ("thread_id", "file_name", "content_type", "size_bytes", "sha256")
    THREAD_ID_FIELD_NUMBER: _ClassVar[int]
    FILE_NAME_FIELD_NUMBER: _ClassVar[int]
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    thread_id: str
    file_name: str
    content_type: str
    size_bytes: int
    sha256: str
    def __init__(self, thread_id: _Optional[str] = ..., file_name: _Optional[str] = ..., content_type: _Optional[str] = ..., size_bytes: _Optional[int] = ..., sha256: _Optional[str] = ...) -> None: ...

class UploadAttachmentRequest(_message.Message):
    __slots__ = ("metadata", "chunk")
    METADATA_FIELD_NUMBER: _ClassVar[int]
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    metadata: AttachmentMetadata
    chunk: bytes
    def __init__(self, metadata: _Optional[_Union[AttachmentMetadata, _Mapping]] = ..., chunk: _Optional[bytes] = ...) -> None: ...

class Attachment(_message.Message):
    __slots__ = ("attachment_id", "metadata", "created_at")
    ATTACHMENT_ID_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    attachment_id: str
    metadata: AttachmentMetadata
    created_at: _timestamp_pb2.Timestamp
    def __init__(self, attachment_id: _Optional[str] = ..., metadata: _Optional[_Union[AttachmentMetadata, _Mapping]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class UploadAttachmentResponse(_message.Message):
    __slots__ = ("attachment",)
    ATTACHMENT_FIELD_NUMBER: _ClassVar[int]
    attachment: Attachment
    def __init__(self, attachment: _Optional[_Union[Attachment, _Mapping]] = ...) -> None: ...

class DownloadAttachmentRequest(_message.Message):
    __slots__ = ("attachment_id",)
    ATTACHMENT_ID_FIELD_NUMBER: _ClassVar[int]
    attachment_id: str
    def __init__(self, attachment_id: _Optional[str] = ...) -> None: ...

class DownloadAttachmentResponse(_message.Message):
    __slots__ = ("attachment", "chunk")
    ATTACHMENT_FIELD_NUMBER: _ClassVar[int]
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    attachment: Attachment
    chunk: bytes
    def __init__(self, attachment: _Optional[_Union[Attachment, _Mapping]] = ..., chunk: _Optional[bytes] = ...) -> None: ...

class RateThreadRequest(_message.Message):
    __slots__ = ("thread_id", "score", "comment")
    THREAD_ID_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    thread_id: str
    score: int
    comment: str
    def __init__(self, thread_id: _Optional[str] = ..., score: _Optional[int] = ..., comment: _Optional[str] = ...) -> None: ...

class RateThreadResponse(_message.Message):
    __slots__ = ("thread",)
    THREAD_FIELD_NUMBER: _ClassVar[int]
    thread: Thread
    def __init__(self, thread: _Optional[_Union[Thread, _Mapping]] = ...) -> None: ...
