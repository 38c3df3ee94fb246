import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from prilavok.common.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ClaimStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CLAIM_STATUS_UNSPECIFIED: _ClassVar[ClaimStatus]
    CLAIM_STATUS_AWAITING_SELLER: _ClassVar[ClaimStatus]
    CLAIM_STATUS_AWAITING_BUYER: _ClassVar[ClaimStatus]
    CLAIM_STATUS_AWAITING_HANDOVER: _ClassVar[ClaimStatus]
    CLAIM_STATUS_ITEM_IN_TRANSIT: _ClassVar[ClaimStatus]
    CLAIM_STATUS_REJECTED: _ClassVar[ClaimStatus]
    CLAIM_STATUS_SETTLED: _ClassVar[ClaimStatus]
    CLAIM_STATUS_CANCELLED: _ClassVar[ClaimStatus]

class CompensationForm(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    COMPENSATION_FORM_UNSPECIFIED: _ClassVar[CompensationForm]
    COMPENSATION_FORM_FULL_REFUND: _ClassVar[CompensationForm]
    COMPENSATION_FORM_REPLACEMENT: _ClassVar[CompensationForm]
    COMPENSATION_FORM_MISSING_PART: _ClassVar[CompensationForm]
    COMPENSATION_FORM_PARTIAL_REFUND: _ClassVar[CompensationForm]

class ApprovalMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    APPROVAL_MODE_UNSPECIFIED: _ClassVar[ApprovalMode]
    APPROVAL_MODE_DEFECT_CHECK: _ClassVar[ApprovalMode]
    APPROVAL_MODE_TAKE_BACK: _ClassVar[ApprovalMode]
    APPROVAL_MODE_NO_RETURN: _ClassVar[ApprovalMode]
    APPROVAL_MODE_RETURN_TO_SHOP: _ClassVar[ApprovalMode]

class RejectionReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REJECTION_REASON_UNSPECIFIED: _ClassVar[RejectionReason]
    REJECTION_REASON_DEFECT_NOT_FOUND: _ClassVar[RejectionReason]
    REJECTION_REASON_NEED_PHOTO_OR_VIDEO: _ClassVar[RejectionReason]
    REJECTION_REASON_GO_TO_SERVICE_CENTRE: _ClassVar[RejectionReason]
    REJECTION_REASON_OTHER: _ClassVar[RejectionReason]

class HandoverMethod(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    HANDOVER_METHOD_UNSPECIFIED: _ClassVar[HandoverMethod]
    HANDOVER_METHOD_PICKUP_POINT: _ClassVar[HandoverMethod]
    HANDOVER_METHOD_DIRECT_TO_SELLER: _ClassVar[HandoverMethod]

class ClaimAction(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CLAIM_ACTION_UNSPECIFIED: _ClassVar[ClaimAction]
    CLAIM_ACTION_DECIDE: _ClassVar[ClaimAction]
    CLAIM_ACTION_RECONSIDER: _ClassVar[ClaimAction]
    CLAIM_ACTION_RESPOND_TO_OFFER: _ClassVar[ClaimAction]
    CLAIM_ACTION_HAND_OVER: _ClassVar[ClaimAction]
    CLAIM_ACTION_CONFIRM_RECEIPT: _ClassVar[ClaimAction]
    CLAIM_ACTION_CANCEL: _ClassVar[ClaimAction]

class RefundState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REFUND_STATE_UNSPECIFIED: _ClassVar[RefundState]
    REFUND_STATE_PENDING_FUNDS: _ClassVar[RefundState]
    REFUND_STATE_PAID: _ClassVar[RefundState]

class EntryKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ENTRY_KIND_UNSPECIFIED: _ClassVar[EntryKind]
    ENTRY_KIND_SALE: _ClassVar[EntryKind]
    ENTRY_KIND_REFUND: _ClassVar[EntryKind]
    ENTRY_KIND_SHIPPING_REIMBURSEMENT: _ClassVar[EntryKind]
    ENTRY_KIND_FINE: _ClassVar[EntryKind]
    ENTRY_KIND_FINE_REVERSAL: _ClassVar[EntryKind]
CLAIM_STATUS_UNSPECIFIED: ClaimStatus
CLAIM_STATUS_AWAITING_SELLER: ClaimStatus
CLAIM_STATUS_AWAITING_BUYER: ClaimStatus
CLAIM_STATUS_AWAITING_HANDOVER: ClaimStatus
CLAIM_STATUS_ITEM_IN_TRANSIT: ClaimStatus
CLAIM_STATUS_REJECTED: ClaimStatus
CLAIM_STATUS_SETTLED: ClaimStatus
CLAIM_STATUS_CANCELLED: ClaimStatus
COMPENSATION_FORM_UNSPECIFIED: CompensationForm
COMPENSATION_FORM_FULL_REFUND: CompensationForm
COMPENSATION_FORM_REPLACEMENT: CompensationForm
COMPENSATION_FORM_MISSING_PART: CompensationForm
COMPENSATION_FORM_PARTIAL_REFUND: CompensationForm
APPROVAL_MODE_UNSPECIFIED: ApprovalMode
APPROVAL_MODE_DEFECT_CHECK: ApprovalMode
APPROVAL_MODE_TAKE_BACK: ApprovalMode
APPROVAL_MODE_NO_RETURN: ApprovalMode
APPROVAL_MODE_RETURN_TO_SHOP: ApprovalMode
REJECTION_REASON_UNSPECIFIED: RejectionReason
REJECTION_REASON_DEFECT_NOT_FOUND: RejectionReason
REJECTION_REASON_NEED_PHOTO_OR_VIDEO: RejectionReason
REJECTION_REASON_GO_TO_SERVICE_CENTRE: RejectionReason
REJECTION_REASON_OTHER: RejectionReason
HANDOVER_METHOD_UNSPECIFIED: HandoverMethod
HANDOVER_METHOD_PICKUP_POINT: HandoverMethod
HANDOVER_METHOD_DIRECT_TO_SELLER: HandoverMethod
CLAIM_ACTION_UNSPECIFIED: ClaimAction
CLAIM_ACTION_DECIDE: ClaimAction
CLAIM_ACTION_RECONSIDER: ClaimAction
CLAIM_ACTION_RESPOND_TO_OFFER: ClaimAction
CLAIM_ACTION_HAND_OVER: ClaimAction
CLAIM_ACTION_CONFIRM_RECEIPT: ClaimAction
CLAIM_ACTION_CANCEL: ClaimAction
REFUND_STATE_UNSPECIFIED: RefundState
REFUND_STATE_PENDING_FUNDS: RefundState
REFUND_STATE_PAID: RefundState
ENTRY_KIND_UNSPECIFIED: EntryKind
ENTRY_KIND_SALE: EntryKind
ENTRY_KIND_REFUND: EntryKind
ENTRY_KIND_SHIPPING_REIMBURSEMENT: EntryKind
ENTRY_KIND_FINE: EntryKind
ENTRY_KIND_FINE_REVERSAL: EntryKind

class VerifyLedgerRequest(_message.Message):
    __slots__ = ("max_problems",)
    MAX_PROBLEMS_FIELD_NUMBER: _ClassVar[int]
    max_problems: int
    def __init__(self, max_problems: _Optional[int] = ...) -> None: ...

class LedgerProblem(_message.Message):
    __slots__ = ("kind", "subject", "detail")
    KIND_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    kind: str
    subject: str
    detail: str
    def __init__(self, kind: _Optional[str] = ..., subject: _Optional[str] = ..., detail: _Optional[str] = ...) -> None: ...

class VerifyLedgerResponse(_message.Message):
    __slots__ = ("done", "entries_checked", "postings_checked", "accounts_checked", "purchases_checked", "claims_checked", "penalties_checked", "problems", "ok")
    DONE_FIELD_NUMBER: _ClassVar[int]
    ENTRIES_CHECKED_FIELD_NUMBER: _ClassVar[int]
    POSTINGS_CHECKED_FIELD_NUMBER: _ClassVar[int]
    ACCOUNTS_CHECKED_FIELD_NUMBER: _ClassVar[int]
    PURCHASES_CHECKED_FIELD_NUMBER: _ClassVar[int]
    CLAIMS_CHECKED_FIELD_NUMBER: _ClassVar[int]
    PENALTIES_CHECKED_FIELD_NUMBER: _ClassVar[int]
    PROBLEMS_FIELD_NUMBER: _ClassVar[int]
    OK_FIELD_NUMBER: _ClassVar[int]
    done: bool
    entries_checked: int
    postings_checked: int
    accounts_checked: int
    purchases_checked: int
    claims_checked: int
    penalties_checked: int
    problems: _containers.RepeatedCompositeFieldContainer[LedgerProblem]
    ok: bool
    def __init__(self, done: _Optional[bool] = ..., entries_checked: _Optional[int] = ..., postings_checked: _Optional[int] = ..., accounts_checked: _Optional[int] = ..., purchases_checked: _Optional[int] = ..., claims_checked: _Optional[int] = ..., penalties_checked: _Optional[int] = ..., problems: _Optional[_Iterable[_Union[LedgerProblem, _Mapping]]] = ..., ok: _Optional[bool] = ...) -> None: ...

class Purchase(_message.Message):
    __slots__ = ("purchase_id", "order_id", "item_id", "item_name", "buyer_id", "shop_id", "price", "quantity", "paid_at", "delivered_at")
    PURCHASE_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    ITEM_ID_FIELD_NUMBER: _ClassVar[int]
    ITEM_NAME_FIELD_NUMBER: _ClassVar[int]
    BUYER_ID_FIELD_NUMBER: _ClassVar[int]
    SHOP_ID_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    PAID_AT_FIELD_NUMBER: _ClassVar[int]
    DELIVERED_AT_FIELD_NUMBER: _ClassVar[int]
    purchase_id: str
    order_id: str
    item_id: str
    item_name: str
    buyer_id: str
    shop_id: str
    price: _common_pb2.Money
    quantity: int
    paid_at: _timestamp_pb2.Timestamp
    delivered_at: _timestamp_pb2.Timestamp
    def __init__(self, purchase_id: _Optional[str] = ..., order_id: _Optional[str] = ..., item_id: _Optional[str] = ..., item_name: _Optional[str] = ..., buyer_id: _Optional[str] = ..., shop_id: _Optional[str] = ..., price: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., quantity: _Optional[int] = ..., paid_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., delivered_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RecordPurchaseRequest(_message.Message):
    __slots__ = ("request_id", "purchase")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    PURCHASE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    purchase: Purchase
    def __init__(self, request_id: _Optional[str] = ..., purchase: _Optional[_Union[Purchase, _Mapping]] = ...) -> None: ...

class RecordPurchaseResponse(_message.Message):
    __slots__ = ("purchase", "created")
    PURCHASE_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    purchase: Purchase
    created: bool
    def __init__(self, purchase: _Optional[_Union[Purchase, _Mapping]] = ..., created: _Optional[bool] = ...) -> None: ...

class GetPurchaseRequest(_message.Message):
    __slots__ = ("purchase_id",)
    PURCHASE_ID_FIELD_NUMBER: _ClassVar[int]
    purchase_id: str
    def __init__(self, purchase_id: _Optional[str] = ...) -> None: ...

class GetPurchaseResponse(_message.Message):
    __slots__ = ("purchase",)
    PURCHASE_FIELD_NUMBER: _ClassVar[int]
    purchase: Purchase
    def __init__(self, purchase: _Optional[_Union[Purchase, _Mapping]] = ...) -> None: ...

class CompensationOffer(_message.Message):
    __slots__ = ("form", "refund_amount", "shipping_reimbursement", "handover_method")
    FORM_FIELD_NUMBER: _ClassVar[int]
    REFUND_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    SHIPPING_REIMBURSEMENT_FIELD_NUMBER: _ClassVar[int]
    HANDOVER_METHOD_FIELD_NUMBER: _ClassVar[int]
    form: CompensationForm
    refund_amount: _common_pb2.Money
    shipping_reimbursement: _common_pb2.Money
    handover_method: HandoverMethod
    def __init__(self, form: _Optional[_Union[CompensationForm, str]] = ..., refund_amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., shipping_reimbursement: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., handover_method: _Optional[_Union[HandoverMethod, str]] = ...) -> None: ...

class Approval(_message.Message):
    __slots__ = ("mode", "offer")
    MODE_FIELD_NUMBER: _ClassVar[int]
    OFFER_FIELD_NUMBER: _ClassVar[int]
    mode: ApprovalMode
    offer: CompensationOffer
    def __init__(self, mode: _Optional[_Union[ApprovalMode, str]] = ..., offer: _Optional[_Union[CompensationOffer, _Mapping]] = ...) -> None: ...

class Rejection(_message.Message):
    __slots__ = ("reason", "comment")
    REASON_FIELD_NUMBER: _ClassVar[int]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    reason: RejectionReason
    comment: str
    def __init__(self, reason: _Optional[_Union[RejectionReason, str]] = ..., comment: _Optional[str] = ...) -> None: ...

class Claim(_message.Message):
    __slots__ = ("claim_id", "purchase_id", "order_id", "item_id", "buyer_id", "shop_id", "status", "description", "photo_ids", "video_id", "requested_form", "quantity", "thread_id", "approval", "rejection", "reconsideration_count", "pickup_point_id", "refunded", "created_at", "updated_at", "defect_found_at", "version", "notes", "shipping_reimbursed", "refund_state", "refund_held", "refund_paid_at", "available_actions")
    CLAIM_ID_FIELD_NUMBER: _ClassVar[int]
    PURCHASE_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    ITEM_ID_FIELD_NUMBER: _ClassVar[int]
    BUYER_ID_FIELD_NUMBER: _ClassVar[int]
    SHOP_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    PHOTO_IDS_FIELD_NUMBER: _ClassVar[int]
    VIDEO_ID_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_FORM_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    THREAD_ID_FIELD_NUMBER: _ClassVar[int]
    APPROVAL_FIELD_NUMBER: _ClassVar[int]
    REJECTION_FIELD_NUMBER: _ClassVar[int]
    RECONSIDERATION_COUNT_FIELD_NUMBER: _ClassVar[int]
    PICKUP_POINT_ID_FIELD_NUMBER: _ClassVar[int]
    REFUNDED_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    DEFECT_FOUND_AT_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    NOTES_FIELD_NUMBER: _ClassVar[int]
    SHIPPING_REIMBURSED_FIELD_NUMBER: _ClassVar[int]
    REFUND_STATE_FIELD_NUMBER: _ClassVar[int]
    REFUND_HELD_FIELD_NUMBER: _ClassVar[int]
    REFUND_PAID_AT_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_ACTIONS_FIELD_NUMBER: _ClassVar[int]
    claim_id: str
    purchase_id: str
    order_id: str
    item_id: str
    buyer_id: str
    shop_id: str
    status: ClaimStatus
    description: str
    photo_ids: _containers.RepeatedScalarFieldContainer[str]
    video_id: str
    requested_form: CompensationForm
    quantity: int
    thread_id: str
    approval: Approval
    rejection: Rejection
    reconsideration_count: int
    pickup_point_id: str
    refunded: _common_pb2.Money
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    defect_found_at: _timestamp_pb2.Timestamp
    version: int
    notes: _containers.RepeatedCompositeFieldContainer[ClaimNote]
    shipping_reimbursed: _common_pb2.Money
    refund_state: RefundState
    refund_held: _common_pb2.Money
    refund_paid_at: _timestamp_pb2.Timestamp
    available_actions: _containers.RepeatedScalarFieldContainer[ClaimAction]
    def __init__(self, claim_id: _Optional[str] = ..., purchase_id: _Optional[str] = ..., order_id: _Optional[str] = ..., item_id: _Optional[str] = ..., buyer_id: _Optional[str] = ..., shop_id: _Optional[str] = ..., status: _Optional[_Union[ClaimStatus, str]] = ..., description: _Optional[str] = ..., photo_ids: _Optional[_Iterable[str]] = ..., video_id: _Optional[str] = ..., requested_form: _Optional[_Union[CompensationForm, str]] = ..., quantity: _Optional[int] = ..., thread_id: _Optional[str] = ..., approval: _Optional[_Union[Approval, _Mapping]] = ..., rejection: _Optional[_Union[Rejection, _Mapping]] = ..., reconsideration_count: _Optional[int] = ..., pickup_point_id: _Optional[str] = ..., refunded: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., defect_found_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., version: _Optional[int] = ..., notes: _Optional[_Iterable[_Union[ClaimNote, _Mapping]]] = ..., shipping_reimbursed: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., refund_state: _Optional[_Union[RefundState, str]] = ..., refund_held: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., refund_paid_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., available_actions: _Optional[_Iterable[_Union[ClaimAction, str]]] = ...) -> None: ...

class ClaimNote(_message.Message):
    __slots__ = ("author", "text", "status", "at")
    AUTHOR_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    author: _common_pb2.Party
    text: str
    status: ClaimStatus
    at: _timestamp_pb2.Timestamp
    def __init__(self, author: _Optional[_Union[_common_pb2.Party, _Mapping]] = ..., text: _Optional[str] = ..., status: _Optional[_Union[ClaimStatus, str]] = ..., at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class OpenClaimRequest(_message.Message):
    __slots__ = ("request_id", "purchase_id", "description", "photo_ids", "video_id", "requested_form", "quantity", "thread_id", "defect_found_at")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    PURCHASE_ID_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    PHOTO_IDS_FIELD_NUMBER: _ClassVar[int]
    VIDEO_ID_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_FORM_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    THREAD_ID_FIELD_NUMBER: _ClassVar[int]
    DEFECT_FOUND_AT_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    purchase_id: str
    description: str
    photo_ids: _containers.RepeatedScalarFieldContainer[str]
    video_id: str
    requested_form: CompensationForm
    quantity: int
    thread_id: str
    defect_found_at: _timestamp_pb2.Timestamp
    def __init__(self, request_id: _Optional[str] = ..., purchase_id: _Optional[str] = ..., description: _Optional[str] = ..., photo_ids: _Optional[_Iterable[str]] = ..., video_id: _Optional[str] = ..., requested_form: _Optional[_Union[CompensationForm, str]] = ..., quantity: _Optional[int] = ..., thread_id: _Optional[str] = ..., defect_found_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class OpenClaimResponse(_message.Message):
    __slots__ = ("claim", "created")
    CLAIM_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    claim: Claim
    created: bool
    def __init__(self, claim: _Optional[_Union[Claim, _Mapping]] = ..., created: _Optional[bool] = ...) -> None: ...

class GetClaimRequest(_message.Message):
    __slots__ = ("claim_id",)
    CLAIM_ID_FIELD_NUMBER: _ClassVar[int]
    claim_id: str
    def __init__(self, claim_id: _Optional[str] = ...) -> None: ...

class GetClaimResponse(_message.Message):
    __slots__ = ("claim",)
    CLAIM_FIELD_NUMBER: _ClassVar[int]
    claim: Claim
    def __init__(self, claim: _Optional[_Union[Claim, _Mapping]] = ...) -> None: ...

class ListClaimsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "status")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    status: ClaimStatus
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., status: _Optional[_Union[ClaimStatus, str]] = ...) -> None: ...

class ListClaimsResponse(_message.Message):
    __slots__ = ("claims", "next_page_token")
    CLAIMS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    claims: _containers.RepeatedCompositeFieldContainer[Claim]
    next_page_token: str
    def __init__(self, claims: _Optional[_Iterable[_Union[Claim, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class DecideClaimRequest(_message.Message):
    __slots__ = ("request_id", "claim_id", "approve", "reject", "expected_version")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CLAIM_ID_FIELD_NUMBER: _ClassVar[int]
    APPROVE_FIELD_NUMBER: _ClassVar[int]
    REJECT_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    claim_id: str
    approve: Approval
    reject: Rejection
    expected_version: int
    def __init__(self, request_id: _Optional[str] = ..., claim_id: _Optional[str] = ..., approve: _Optional[_Union[Approval, _Mapping]] = ..., reject: _Optional[_Union[Rejection, _Mapping]] = ..., expected_version: _Optional[int] = ...) -> None: ...

class DecideClaimResponse(_message.Message):
    __slots__ = ("claim",)
    CLAIM_FIELD_NUMBER: _ClassVar[int]
    claim: Claim
    def __init__(self, claim: _Optional[_Union[Claim, _Mapping]] = ...) -> None: ...

class RequestReconsiderationRequest(_message.Message):
    __slots__ = ("claim_id", "comment", "photo_ids", "video_id", "request_id")
    CLAIM_ID_FIELD_NUMBER: _ClassVar[int]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    PHOTO_IDS_FIELD_NUMBER: _ClassVar[int]
    VIDEO_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    claim_id: str
    comment: str
    photo_ids: _containers.RepeatedScalarFieldContainer[str]
    video_id: str
    request_id: str
    def __init__(self, claim_id: _Optional[str] = ..., comment: _Optional[str] = ..., photo_ids: _Optional[_Iterable[str]] = ..., video_id: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class RequestReconsiderationResponse(_message.Message):
    __slots__ = ("claim",)
    CLAIM_FIELD_NUMBER: _ClassVar[int]
    claim: Claim
    def __init__(self, claim: _Optional[_Union[Claim, _Mapping]] = ...) -> None: ...

class RespondToOfferRequest(_message.Message):
    __slots__ = ("request_id", "claim_id", "accept", "comment")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CLAIM_ID_FIELD_NUMBER: _ClassVar[int]
    ACCEPT_FIELD_NUMBER: _ClassVar[int]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    claim_id: str
    accept: bool
    comment: str
    def __init__(self, request_id: _Optional[str] = ..., claim_id: _Optional[str] = ..., accept: _Optional[bool] = ..., comment: _Optional[str] = ...) -> None: ...

class RespondToOfferResponse(_message.Message):
    __slots__ = ("claim",)
    CLAIM_FIELD_NUMBER: _ClassVar[int]
    claim: Claim
    def __init__(self, claim: _Optional[_Union[Claim, _Mapping]] = ...) -> None: ...

class HandOverItemRequest(_message.Message):
    __slots__ = ("request_id", "claim_id", "method", "pickup_point_id")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CLAIM_ID_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    PICKUP_POINT_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    claim_id: str
    method: HandoverMethod
    pickup_point_id: str
    def __init__(self, request_id: _Optional[str] = ..., claim_id: _Optional[str] = ..., method: _Optional[_Union[HandoverMethod, str]] = ..., pickup_point_id: _Optional[str] = ...) -> None: ...

class HandOverItemResponse(_message.Message):
    __slots__ = ("claim",)
    CLAIM_FIELD_NUMBER: _ClassVar[int]
    claim: Claim
    def __init__(self, claim: _Optional[_Union[Claim, _Mapping]] = ...) -> None: ...

class ConfirmReceiptRequest(_message.Message):
    __slots__ = ("request_id", "claim_id", "defect_confirmed", "comment")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CLAIM_ID_FIELD_NUMBER: _ClassVar[int]
    DEFECT_CONFIRMED_FIELD_NUMBER: _ClassVar[int]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    claim_id: str
    defect_confirmed: bool
    comment: str
    def __init__(self, request_id: _Optional[str] = ..., claim_id: _Optional[str] = ..., defect_confirmed: _Optional[bool] = ..., comment: _Optional[str] = ...) -> None: ...

class ConfirmReceiptResponse(_message.Message):
    __slots__ = ("claim",)
    CLAIM_FIELD_NUMBER: _ClassVar[int]
    claim: Claim
    def __init__(self, claim: _Optional[_Union[Claim, _Mapping]] = ...) -> None: ...

class CancelClaimRequest(_message.Message):
    __slots__ = ("claim_id", "reason", "request_id")
    CLAIM_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    claim_id: str
    reason: str
    request_id: str
    def __init__(self, claim_id: _Optional[str] = ..., reason: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class CancelClaimResponse(_message.Message):
    __slots__ = ("claim",)
    CLAIM_FIELD_NUMBER: _ClassVar[int]
    claim: Claim
    def __init__(self, claim: _Optional[_Union[Claim, _Mapping]] = ...) -> None: ...

class GetBalanceRequest(_message.Message):
    __slots__ = ("shop_id",)
    SHOP_ID_FIELD_NUMBER: _ClassVar[int]
    shop_id: str
    def __init__(self, shop_id: _Optional[str] = ...) -> None: ...

class Balance(_message.Message):
    __slots__ = ("shop_id", "available", "updated_at", "current", "available_for_withdrawal", "debt", "held_refunds", "overdraft_limit")
    SHOP_ID_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    CURRENT_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_FOR_WITHDRAWAL_FIELD_NUMBER: _ClassVar[int]
    DEBT_FIELD_NUMBER: _ClassVar[int]
    HELD_REFUNDS_FIELD_NUMBER: _ClassVar[int]
    OVERDRAFT_LIMIT_FIELD_NUMBER: _ClassVar[int]
    shop_id: str
    available: _common_pb2.Money
    updated_at: _timestamp_pb2.Timestamp
    current: _common_pb2.Money
    available_for_withdrawal: _common_pb2.Money
    debt: _common_pb2.Money
    held_refunds: _common_pb2.Money
    overdraft_limit: _common_pb2.Money
    def __init__(self, shop_id: _Optional[str] = ..., available: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., current: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., available_for_withdrawal: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., debt: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., held_refunds: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., overdraft_limit: _Optional[_Union[_common_pb2.Money, _Mapping]] = ...) -> None: ...

class GetBalanceResponse(_message.Message):
    __slots__ = ("balance",)
    BALANCE_FIELD_NUMBER: _ClassVar[int]
    balance: Balance
    def __init__(self, balance: _Optional[_Union[Balance, _Mapping]] = ...) -> None: ...

class LedgerEntry(_message.Message):
    __slots__ = ("entry_id", "posting_id", "kind", "amount", "claim_id", "purchase_id", "posted_at", "balance_after", "penalty_id", "note")
    ENTRY_ID_FIELD_NUMBER: _ClassVar[int]
    POSTING_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    CLAIM_ID_FIELD_NUMBER: _ClassVar[int]
    PURCHASE_ID_FIELD_NUMBER: _ClassVar[int]
    POSTED_AT_FIELD_NUMBER: _ClassVar[int]
    BALANCE_AFTER_FIELD_NUMBER: _ClassVar[int]
    PENALTY_ID_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    entry_id: str
    posting_id: str
    kind: EntryKind
    amount: _common_pb2.Money
    claim_id: str
    purchase_id: str
    posted_at: _timestamp_pb2.Timestamp
    balance_after: _common_pb2.Money
    penalty_id: str
    note: str
    def __init__(self, entry_id: _Optional[str] = ..., posting_id: _Optional[str] = ..., kind: _Optional[_Union[EntryKind, str]] = ..., amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., claim_id: _Optional[str] = ..., purchase_id: _Optional[str] = ..., posted_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., balance_after: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., penalty_id: _Optional[str] = ..., note: _Optional[str] = ...) -> None: ...

class ListLedgerEntriesRequest(_message.Message):
    __slots__ = ("shop_id", "page_size", "page_token")
    SHOP_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    shop_id: str
    page_size: int
    page_token: str
    def __init__(self, shop_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListLedgerEntriesResponse(_message.Message):
    __slots__ = ("entries", "next_page_token")
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[LedgerEntry]
    next_page_token: str
    def __init__(self, entries: _Optional[_Iterable[_Union[LedgerEntry, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
