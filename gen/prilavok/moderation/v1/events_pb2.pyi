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

class AppealOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    APPEAL_OUTCOME_UNSPECIFIED: _ClassVar[AppealOutcome]
    APPEAL_OUTCOME_UPHELD: _ClassVar[AppealOutcome]
    APPEAL_OUTCOME_REVERSED: _ClassVar[AppealOutcome]
APPEAL_OUTCOME_UNSPECIFIED: AppealOutcome
APPEAL_OUTCOME_UPHELD: AppealOutcome
APPEAL_OUTCOME_REVERSED: AppealOutcome

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
    __slots__ = ("event_id", "occurred_at", "sender", "penalty", "offender", "review_id", "appeal_id")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    SENDER_FIELD_NUMBER: _ClassVar[int]
    PENALTY_FIELD_NUMBER: _ClassVar[int]
    OFFENDER_FIELD_NUMBER: _ClassVar[int]
    REVIEW_ID_FIELD_NUMBER: _ClassVar[int]
    APPEAL_ID_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    occurred_at: _timestamp_pb2.Timestamp
    sender: _common_pb2.Actor
    penalty: _moderation_pb2.Penalty
    offender: _common_pb2.Party
    review_id: str
    appeal_id: str
    def __init__(self, event_id: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., sender: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., penalty: _Optional[_Union[_moderation_pb2.Penalty, _Mapping]] = ..., offender: _Optional[_Union[_common_pb2.Party, _Mapping]] = ..., review_id: _Optional[str] = ..., appeal_id: _Optional[str] = ...) -> None: ...

class StandingChanged(_message.Message):
    __slots__ = ("event_id", "occurred_at", "sender", "previous", "current", "offender", "suspended_until", "suspended_party", "standing_version")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    SENDER_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_FIELD_NUMBER: _ClassVar[int]
    CURRENT_FIELD_NUMBER: _ClassVar[int]
    OFFENDER_FIELD_NUMBER: _ClassVar[int]
    SUSPENDED_UNTIL_FIELD_NUMBER: _ClassVar[int]
    SUSPENDED_PARTY_FIELD_NUMBER: _ClassVar[int]
    STANDING_VERSION_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    occurred_at: _timestamp_pb2.Timestamp
    sender: _common_pb2.Actor
    previous: _moderation_pb2.Standing
    current: _moderation_pb2.Standing
    offender: _common_pb2.Party
    suspended_until: _timestamp_pb2.Timestamp
    suspended_party: _common_pb2.Party
    standing_version: int
    def __init__(self, event_id: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., sender: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., previous: _Optional[_Union[_moderation_pb2.Standing, str]] = ..., current: _Optional[_Union[_moderation_pb2.Standing, str]] = ..., offender: _Optional[_Union[_common_pb2.Party, _Mapping]] = ..., suspended_until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., suspended_party: _Optional[_Union[_common_pb2.Party, _Mapping]] = ..., standing_version: _Optional[int] = ...) -> None: ...

class ReviewResolved(_message.Message):
    __slots__ = ("event_id", "occurred_at", "item")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    ITEM_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    occurred_at: _timestamp_pb2.Timestamp
    item: _moderation_pb2.ReviewItem
    def __init__(self, event_id: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., item: _Optional[_Union[_moderation_pb2.ReviewItem, _Mapping]] = ...) -> None: ...

class AppealResolved(_message.Message):
    __slots__ = ("event_id", "occurred_at", "appeal_id", "message_id", "thread_id", "appellant", "outcome", "comment", "penalty_ids", "message_was_blocked")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    APPEAL_ID_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    THREAD_ID_FIELD_NUMBER: _ClassVar[int]
    APPELLANT_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    PENALTY_IDS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_WAS_BLOCKED_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    occurred_at: _timestamp_pb2.Timestamp
    appeal_id: str
    message_id: str
    thread_id: str
    appellant: _common_pb2.Party
    outcome: AppealOutcome
    comment: str
    penalty_ids: _containers.RepeatedScalarFieldContainer[str]
    message_was_blocked: bool
    def __init__(self, event_id: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., appeal_id: _Optional[str] = ..., message_id: _Optional[str] = ..., thread_id: _Optional[str] = ..., appellant: _Optional[_Union[_common_pb2.Party, _Mapping]] = ..., outcome: _Optional[_Union[AppealOutcome, str]] = ..., comment: _Optional[str] = ..., penalty_ids: _Optional[_Iterable[str]] = ..., message_was_blocked: _Optional[bool] = ...) -> None: ...
