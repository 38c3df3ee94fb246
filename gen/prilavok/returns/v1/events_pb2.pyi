import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from prilavok.common.v1 import common_pb2 as _common_pb2
from prilavok.returns.v1 import returns_pb2 as _returns_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ClaimOpened(_message.Message):
    __slots__ = ("event_id", "occurred_at", "claim")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    CLAIM_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    occurred_at: _timestamp_pb2.Timestamp
    claim: _returns_pb2.Claim
    def __init__(self, event_id: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., claim: _Optional[_Union[_returns_pb2.Claim, _Mapping]] = ...) -> None: ...

class ClaimStatusChanged(_message.Message):
    __slots__ = ("event_id", "occurred_at", "claim", "previous", "changed_by", "comment")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    CLAIM_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_FIELD_NUMBER: _ClassVar[int]
    CHANGED_BY_FIELD_NUMBER: _ClassVar[int]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    occurred_at: _timestamp_pb2.Timestamp
    claim: _returns_pb2.Claim
    previous: _returns_pb2.ClaimStatus
    changed_by: _common_pb2.Actor
    comment: str
    def __init__(self, event_id: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., claim: _Optional[_Union[_returns_pb2.Claim, _Mapping]] = ..., previous: _Optional[_Union[_returns_pb2.ClaimStatus, str]] = ..., changed_by: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., comment: _Optional[str] = ...) -> None: ...

class RefundIssued(_message.Message):
    __slots__ = ("event_id", "occurred_at", "claim_id", "buyer_id", "shop_id", "amount", "posting_id", "refund", "shipping_reimbursement")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    CLAIM_ID_FIELD_NUMBER: _ClassVar[int]
    BUYER_ID_FIELD_NUMBER: _ClassVar[int]
    SHOP_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    POSTING_ID_FIELD_NUMBER: _ClassVar[int]
    REFUND_FIELD_NUMBER: _ClassVar[int]
    SHIPPING_REIMBURSEMENT_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    occurred_at: _timestamp_pb2.Timestamp
    claim_id: str
    buyer_id: str
    shop_id: str
    amount: _common_pb2.Money
    posting_id: str
    refund: _common_pb2.Money
    shipping_reimbursement: _common_pb2.Money
    def __init__(self, event_id: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., claim_id: _Optional[str] = ..., buyer_id: _Optional[str] = ..., shop_id: _Optional[str] = ..., amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., posting_id: _Optional[str] = ..., refund: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., shipping_reimbursement: _Optional[_Union[_common_pb2.Money, _Mapping]] = ...) -> None: ...

class BalanceChanged(_message.Message):
    __slots__ = ("event_id", "occurred_at", "balance", "delta", "posting_id")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    BALANCE_FIELD_NUMBER: _ClassVar[int]
    DELTA_FIELD_NUMBER: _ClassVar[int]
    POSTING_ID_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    occurred_at: _timestamp_pb2.Timestamp
    balance: _returns_pb2.Balance
    delta: _common_pb2.Money
    posting_id: str
    def __init__(self, event_id: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., balance: _Optional[_Union[_returns_pb2.Balance, _Mapping]] = ..., delta: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., posting_id: _Optional[str] = ...) -> None: ...
