import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from prilavok.common.v1 import common_pb2 as _common_pb2
from prilavok.chat.v1 import chat_pb2 as _chat_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ThreadCreated(_message.Message):
    __slots__ = ("event_id", "occurred_at", "thread", "recipients")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    THREAD_FIELD_NUMBER: _ClassVar[int]
    RECIPIENTS_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    occurred_at: _timestamp_pb2.Timestamp
    thread: _chat_pb2.Thread
    recipients: _containers.RepeatedCompositeFieldContainer[_common_pb2.Party]
    def __init__(self, event_id: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., thread: _Optional[_Union[_chat_pb2.Thread, _Mapping]] = ..., recipients: _Optional[_Iterable[_Union[_common_pb2.Party, _Mapping]]] = ...) -> None: ...

class MessageDelivered(_message.Message):
    __slots__ = ("event_id", "occurred_at", "thread", "message", "recipients")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    THREAD_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    RECIPIENTS_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    occurred_at: _timestamp_pb2.Timestamp
    thread: _chat_pb2.Thread
    message: _chat_pb2.Message
    recipients: _containers.RepeatedCompositeFieldContainer[_common_pb2.Party]
    def __init__(self, event_id: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., thread: _Optional[_Union[_chat_pb2.Thread, _Mapping]] = ..., message: _Optional[_Union[_chat_pb2.Message, _Mapping]] = ..., recipients: _Optional[_Iterable[_Union[_common_pb2.Party, _Mapping]]] = ...) -> None: ...

class MessageHeld(_message.Message):
    __slots__ = ("event_id", "occurred_at", "thread", "message", "recipients")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    THREAD_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    RECIPIENTS_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    occurred_at: _timestamp_pb2.Timestamp
    thread: _chat_pb2.Thread
    message: _chat_pb2.Message
    recipients: _containers.RepeatedCompositeFieldContainer[_common_pb2.Party]
    def __init__(self, event_id: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., thread: _Optional[_Union[_chat_pb2.Thread, _Mapping]] = ..., message: _Optional[_Union[_chat_pb2.Message, _Mapping]] = ..., recipients: _Optional[_Iterable[_Union[_common_pb2.Party, _Mapping]]] = ...) -> None: ...

class MessageBlocked(_message.Message):
    __slots__ = ("event_id", "occurred_at", "thread", "message", "recipients")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    THREAD_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    RECIPIENTS_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    occurred_at: _timestamp_pb2.Timestamp
    thread: _chat_pb2.Thread
    message: _chat_pb2.Message
    recipients: _containers.RepeatedCompositeFieldContainer[_common_pb2.Party]
    def __init__(self, event_id: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., thread: _Optional[_Union[_chat_pb2.Thread, _Mapping]] = ..., message: _Optional[_Union[_chat_pb2.Message, _Mapping]] = ..., recipients: _Optional[_Iterable[_Union[_common_pb2.Party, _Mapping]]] = ...) -> None: ...

class MessageUndelivered(_message.Message):
    __slots__ = ("event_id", "occurred_at", "thread", "message", "recipients", "review_id", "appeal_id")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    THREAD_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    RECIPIENTS_FIELD_NUMBER: _ClassVar[int]
    REVIEW_ID_FIELD_NUMBER: _ClassVar[int]
    APPEAL_ID_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    occurred_at: _timestamp_pb2.Timestamp
    thread: _chat_pb2.Thread
    message: _chat_pb2.Message
    recipients: _containers.RepeatedCompositeFieldContainer[_common_pb2.Party]
    review_id: str
    appeal_id: str
    def __init__(self, event_id: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., thread: _Optional[_Union[_chat_pb2.Thread, _Mapping]] = ..., message: _Optional[_Union[_chat_pb2.Message, _Mapping]] = ..., recipients: _Optional[_Iterable[_Union[_common_pb2.Party, _Mapping]]] = ..., review_id: _Optional[str] = ..., appeal_id: _Optional[str] = ...) -> None: ...

class ThreadRead(_message.Message):
    __slots__ = ("event_id", "occurred_at", "thread_id", "reader", "up_to_seq", "thread", "recipients")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    THREAD_ID_FIELD_NUMBER: _ClassVar[int]
    READER_FIELD_NUMBER: _ClassVar[int]
    UP_TO_SEQ_FIELD_NUMBER: _ClassVar[int]
    THREAD_FIELD_NUMBER: _ClassVar[int]
    RECIPIENTS_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    occurred_at: _timestamp_pb2.Timestamp
    thread_id: str
    reader: _common_pb2.Actor
    up_to_seq: int
    thread: _chat_pb2.Thread
    recipients: _containers.RepeatedCompositeFieldContainer[_common_pb2.Party]
    def __init__(self, event_id: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., thread_id: _Optional[str] = ..., reader: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., up_to_seq: _Optional[int] = ..., thread: _Optional[_Union[_chat_pb2.Thread, _Mapping]] = ..., recipients: _Optional[_Iterable[_Union[_common_pb2.Party, _Mapping]]] = ...) -> None: ...

class ThreadClosed(_message.Message):
    __slots__ = ("event_id", "occurred_at", "thread", "closed_by", "reason", "recipients")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    THREAD_FIELD_NUMBER: _ClassVar[int]
    CLOSED_BY_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    RECIPIENTS_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    occurred_at: _timestamp_pb2.Timestamp
    thread: _chat_pb2.Thread
    closed_by: _common_pb2.Actor
    reason: str
    recipients: _containers.RepeatedCompositeFieldContainer[_common_pb2.Party]
    def __init__(self, event_id: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., thread: _Optional[_Union[_chat_pb2.Thread, _Mapping]] = ..., closed_by: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., reason: _Optional[str] = ..., recipients: _Optional[_Iterable[_Union[_common_pb2.Party, _Mapping]]] = ...) -> None: ...

class ReplyDeadline(_message.Message):
    __slots__ = ("event_id", "occurred_at", "thread", "due_at", "breached", "recipients")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    THREAD_FIELD_NUMBER: _ClassVar[int]
    DUE_AT_FIELD_NUMBER: _ClassVar[int]
    BREACHED_FIELD_NUMBER: _ClassVar[int]
    RECIPIENTS_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    occurred_at: _timestamp_pb2.Timestamp
    thread: _chat_pb2.Thread
    due_at: _timestamp_pb2.Timestamp
    breached: bool
    recipients: _containers.RepeatedCompositeFieldContainer[_common_pb2.Party]
    def __init__(self, event_id: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., thread: _Optional[_Union[_chat_pb2.Thread, _Mapping]] = ..., due_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., breached: _Optional[bool] = ..., recipients: _Optional[_Iterable[_Union[_common_pb2.Party, _Mapping]]] = ...) -> None: ...
