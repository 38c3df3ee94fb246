import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from prilavok.common.v1 import common_pb2 as _common_pb2
from prilavok.moderation.v1 import moderation_pb2 as _moderation_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ViolationRecorded(_message.Message):
    __slots__ = ("event_id", "occurred_at", "message_id", "thread_id", "sender", "verdict", "offender")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    THREAD_ID_FIELD_NUMBER: _ClassVar[int]
    SENDER_FIELD_NUMBER: _ClassVar[int]
    VERDICT_FIELD_NUMBER: _ClassVar[int]
    OFFENDER_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    occurred_at: _timestamp_pb2.Timestamp
    message_id: str
    thread_id: str
    sender: _common_pb2.Actor
    verdict: _moderation_pb2.Verdict
    offender: _common_pb2.Party
    def __init__(self, event_id: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., message_id: _Optional[str] = ..., thread_id: _Optional[str] = ..., sender: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., verdict: _Optional[_Union[_moderation_pb2.Verdict, _Mapping]] = ..., offender: _Optional[_Union[_common_pb2.Party, _Mapping]] = ...) -> None: ...

class PenaltyIssued(_message.Message):
    __slots__ = ("event_id", "occurred_at", "sender", "penalty", "offender")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    SENDER_FIELD_NUMBER: _ClassVar[int]
    PENALTY_FIELD_NUMBER: _ClassVar[int]
    OFFENDER_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    occurred_at: _timestamp_pb2.Timestamp
    sender: _common_pb2.Actor
    penalty: _moderation_pb2.Penalty
    offender: _common_pb2.Party
    def __init__(self, event_id: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., sender: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., penalty: _Optional[_Union[_moderation_pb2.Penalty, _Mapping]] = ..., offender: _Optional[_Union[_common_pb2.Party, _Mapping]] = ...) -> None: ...

class PenaltyWithdrawn(_message.Message):
    __slots__ = ("event_id", "occurred_at", "sender", "penalty", "offender", "review_id")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    SENDER_FIELD_NUMBER: _ClassVar[int]
    PENALTY_FIELD_NUMBER: _ClassVar[int]
    OFFENDER_FIELD_NUMBER: _ClassVar[int]
    REVIEW_ID_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    occurred_at: _timestamp_pb2.Timestamp
    sender: _common_pb2.Actor
    penalty: _moderation_pb2.Penalty
    offender: _common_pb2.Party
    review_id: str
    def __init__(self, event_id: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., sender: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., penalty: _Optional[_Union[_moderation_pb2.Penalty, _Mapping]] = ..., offender: _Optional[_Union[_common_pb2.Party, _Mapping]] = ..., review_id: _Optional[str] = ...) -> None: ...

class StandingChanged(_message.Message):
    __slots__ = ("event_id", "occurred_at", "sender", "previous", "current", "offender")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    SENDER_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_FIELD_NUMBER: _ClassVar[int]
    CURRENT_FIELD_NUMBER: _ClassVar[int]
    OFFENDER_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    occurred_at: _timestamp_pb2.Timestamp
    sender: _common_pb2.Actor
    previous: _moderation_pb2.Standing
    current: _moderation_pb2.Standing
    offender: _common_pb2.Party
    def __init__(self, event_id: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., sender: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., previous: _Optional[_Union[_moderation_pb2.Standing, str]] = ..., current: _Optional[_Union[_moderation_pb2.Standing, str]] = ..., offender: _Optional[_Union[_common_pb2.Party, _Mapping]] = ...) -> None: ...

class ReviewResolved(_message.Message):
    __slots__ = ("event_id", "occurred_at", "item")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    ITEM_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    occurred_at: _timestamp_pb2.Timestamp
    item: _moderation_pb2.ReviewItem
    def __init__(self, event_id: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., item: _Optional[_Union[_moderation_pb2.ReviewItem, _Mapping]] = ...) -> None: ...
