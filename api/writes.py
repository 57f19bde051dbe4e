"""What the API writes: spend returns, milestone evidence, payments and recoveries, through the same services as
the pages.

Each operation is the page's view without the form: the same role (``role_required`` with the page's roles:
403 for any other, once ninja has read the body, so a body that breaks the schema is a 422 first), the same scoped queryset to find the object (404 outside the owner's scope), and the same
service call, which checks every money rule under its row locks and raises ValidationError or MoneyRuleError
(422, naming the field) before it writes anything.

The input schemas do what the pages' form fields do, with the same parsers (core.fields): money is pounds and
pence, a decimal string such as "1250.50" (a JSON number is read too, but a string is the safe way to send it),
0 or more (more than 0 for a payment or recovery), below £1,000,000,000,000 and with no more than two decimal
places; a date is ISO 8601 (2016-03-31). Strings have the pages' lengths. A JSON body with a field the
operation does not know is refused (422 naming the field), so a misspelt "refrence" is never silently lost.
Values are not coerced: "3" is not the quarter 3, and 1 is not true.
"""

import datetime as dt
import re
from decimal import Decimal
from enum import Enum
from typing import Annotated

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from ninja import File, Form, Path, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import AfterValidator, ConfigDict, Field, PlainValidator, Strict, WithJsonSchema
from pydantic_core import PydanticCustomError

from accounts.permissions import FINANCE, RECIPIENTS, role_required
from api.auth import write_token
from api.schemas import MilestoneSubmissionOut, PaymentOut, SpendReturnOut
from core import fields
from grants import services
from grants.forms import FIRST_DAY
from grants.models import Allocation, RecoveryReason, SpendReturn
from grants.spend_returns import amend_spend_return, submit_spend_return
from projects.models import Milestone
from projects.services import submit_milestone

router = Router()

# Primary keys are 64-bit: a larger number is refused by the schema rather than reaching the database, where
# PostgreSQL would fail on it instead of finding nothing.
ID_LIMIT = 2**63 - 1
# What a strict decimal string may look like: digits, and at most two of them after the point. The limit on the
# whole pounds is core.fields.MONEY_LIMIT, twelve digits.
_MONEY_TEXT = re.compile(r"[0-9]{1,12}(?:\.[0-9]{1,2})?")
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _refuse(message: str):
    # A custom error keeps the message as the pages word it, without pydantic's "Value error, " before it.
    return PydanticCustomError("invalid", message)


def _money_reader(noun: str, min_value: Decimal):
    def read(value) -> Decimal:
        try:
            if isinstance(value, str):
                # The page's parser says what is wrong: negative, too many places, too large, not a number.
                amount = fields.parse_money(value, noun=noun, min_value=min_value)
                if not _MONEY_TEXT.fullmatch(value):
                    # What a person may type ("£25,000", " 25000 ") is not what the description promises a machine.
                    raise fields.Unreadable(f'{fields.sentence(noun)} must be a decimal string, like "1250.50"')
                return amount
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                # A float is read by its shortest repr, so 0.1 is 0.1 and 0.30000000000000004 is refused for its
                # places rather than rounded to a penny nobody sent.
                number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
                return fields.check_money(number, noun=noun, min_value=min_value)
        except fields.Unreadable as error:
            raise _refuse(error.message) from None
        raise _refuse(f'{fields.sentence(noun)} must be a decimal string, like "1250.50"')

    return read


def _money(noun: str, *, min_value: Decimal):
    minimum = {"exclusiveMinimum": 0} if min_value > 0 else {"minimum": 0}
    return Annotated[
        Decimal,
        PlainValidator(_money_reader(noun, min_value)),
        WithJsonSchema(
            {
                "anyOf": [
                    {"type": "string", "pattern": r"^[0-9]{1,12}(\.[0-9]{1,2})?$", "examples": ["1250.50"]},
                    {"type": "number", **minimum, "maximum": 999999999999.99},
                ],
                "description": "Pounds and pence: a decimal string with no more than two places, such as "
                '"1250.50" (a number is read too).',
            }
        ),
    ]


def _read_day(value) -> dt.date:
    if not isinstance(value, str) or not _ISO_DAY.fullmatch(value):
        raise _refuse("The date must be written as YYYY-MM-DD, such as 2016-03-31")
    try:
        day = fields.parse_date(value)
        # The pages' earliest date; a day in the future is the services' to refuse, with their reason.
        return fields.check_date(day, earliest=FIRST_DAY, latest=None)
    except fields.Unreadable as error:
        raise _refuse(error.message) from None


IsoDate = Annotated[
    dt.date, PlainValidator(_read_day), WithJsonSchema({"type": "string", "format": "date", "examples": ["2016-03-31"]})
]


def _storable(text: str) -> str:
    # The pages' text fields refuse a NUL character (PostgreSQL cannot store one), and a lone surrogate (which
    # JSON can carry) cannot be written as UTF-8 by either database.
    if "\x00" in text:
        raise _refuse("The text cannot contain a NUL character")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise _refuse("The text must be valid Unicode") from None
    return text.strip()


def _text(max_length: int):
    return Annotated[str, Strict(), Field(max_length=max_length), AfterValidator(_storable)]


Id = Annotated[int, Strict(), Field(ge=1, le=ID_LIMIT)]
# In a path every value is text: the id is read from it, but only whole positive numbers.
PathId = Path[Annotated[int, Field(ge=1, le=ID_LIMIT)]]
Reference = _text(60)
Reason = _text(1000)


class _Body(Schema):
    model_config = ConfigDict(extra="forbid")


class SpendReturnIn(_Body):
    """A quarter's return for one allocation of the token owner's organisation."""

    allocation_id: Id
    quarter: Annotated[int, Strict(), Field(ge=1, le=4, description="The quarter of the allocation's year, 1-4.")]
    spent: _money("the amount spent this quarter", min_value=Decimal("0"))
    forecast: _money("the forecast for the rest of the year", min_value=Decimal("0"))
    comment: _text(2000) = ""


class SpendReturnChangeIn(_Body):
    """The corrected figures of a return that has not been reviewed: a different quarter is a different return."""

    spent: _money("the amount spent this quarter", min_value=Decimal("0"))
    forecast: _money("the forecast for the rest of the year", min_value=Decimal("0"))
    comment: _text(2000) = ""


class PaymentIn(_Body):
    """Money paid to an allocation's recipient. With ``milestone_id`` it is that milestone's payment: an accepted
    milestone's (exactly the amount it releases, once, approved by someone other than who accepted it), or a
    payment ahead of one not yet accepted (``in_advance`` with ``advance_reason``)."""

    allocation_id: Id
    amount: _money("the amount", min_value=fields.PENNY)
    paid_on: IsoDate
    reference: Reference = Field("", description="The remittance reference on the remittance advice or ledger.")
    milestone_id: Id | None = None
    in_advance: Annotated[bool, Strict()] = False
    advance_reason: Reason = ""
    late_reason: Reason = Field("", description="Needed for a final payment after the grant's planned end.")
    note: Reason = ""


# The reasons as an enumeration, so the description lists them and anything else is refused by name.
RecoveryReasonChoice = Enum("RecoveryReasonChoice", {value: value for value in RecoveryReason.values}, type=str)


class RecoveryIn(_Body):
    """Money recovered (clawed back) from an allocation's recipient: held, and not payable again until a
    programme officer varies the allocation."""

    allocation_id: Id
    amount: _money("the amount recovered", min_value=fields.PENNY)
    paid_on: IsoDate
    recovery_reason: RecoveryReasonChoice
    note: Reason = Field(description="The details of the recovery: why, in the officer's words.")
    reference: Reference = ""


class EvidenceIn(Schema):
    narrative: _text(10000)


def _renamed(error: ValidationError, names: dict[str, str]) -> ValidationError:
    """A service's refusal with its field names as this API calls them."""
    if not hasattr(error, "error_dict"):
        return error
    return ValidationError({names.get(name, name): messages for name, messages in error.error_dict.items()})


@router.post(
    "/spend-returns",
    response={201: SpendReturnOut},
    auth=write_token,
    summary="Submit a spend return",
    operation_id="create_spend_return",
    tags=["Money"],
)
@role_required(*RECIPIENTS)
def create_spend_return(request, payload: SpendReturnIn):
    """A recipient's return for one quarter of one of its own organisation's allocations (a lead cannot send its
    partners' returns): what was spent in the quarter and the forecast for the rest of the year. One return per
    quarter, none before the quarter has begun, none outside the grant and the project. Programme officers are
    told it waits for review."""
    allocation = get_object_or_404(
        Allocation.objects.for_user(request.user)
        .editable_by_recipient(request.user)
        .select_related("grant__project", "recipient"),
        pk=payload.allocation_id,
    )
    spend_return = submit_spend_return(
        allocation=allocation,
        by=request.user,
        quarter=payload.quarter,
        spent=payload.spent,
        forecast=payload.forecast,
        comment=payload.comment,
    )
    return Status(201, spend_return)


@router.put(
    "/spend-returns/{spend_return_id}",
    response={200: SpendReturnOut},
    auth=write_token,
    summary="Correct a spend return",
    operation_id="update_spend_return",
    tags=["Money"],
)
@role_required(*RECIPIENTS)
def update_spend_return(request, spend_return_id: PathId, payload: SpendReturnChangeIn):
    """Correct the figures and comment of a return of the owner's organisation while it waits for review; a
    reviewed return cannot be changed (422)."""
    own = SpendReturn.objects.for_user(request.user).filter(
        allocation__in=Allocation.objects.editable_by_recipient(request.user)
    )
    spend_return = get_object_or_404(own.select_related("allocation"), pk=spend_return_id)
    return amend_spend_return(
        spend_return=spend_return,
        by=request.user,
        spent=payload.spent,
        forecast=payload.forecast,
        comment=payload.comment,
    )


@router.post(
    "/milestones/{milestone_id}/submissions",
    response={201: MilestoneSubmissionOut},
    auth=write_token,
    summary="Submit milestone evidence",
    operation_id="create_milestone_submission",
    tags=["Projects"],
)
@role_required(*RECIPIENTS)
def create_milestone_submission(
    request,
    milestone_id: PathId,
    form: Form[EvidenceIn],
    files: File[list[UploadedFile]] = None,
):
    """Evidence that a milestone of the owner's organisation was delivered: a multipart form with `narrative` and
    up to ten `files` (PDF, Word, Excel, OpenDocument, CSV, PNG or JPEG, checked by their content, each within
    the service's size limit); as on the page, the files may be left out. One file refused refuses the
    submission: nothing is stored. Programme officers are told it waits for review. Form fields other than these
    two are ignored."""
    milestone = get_object_or_404(
        Milestone.objects.for_user(request.user)
        .submittable_by(request.user)
        .select_related("project", "organisation", "allocation"),
        pk=milestone_id,
    )
    submission = submit_milestone(milestone=milestone, by=request.user, narrative=form.narrative, files=files or [])
    return Status(201, submission)


@router.post(
    "/payments",
    response={201: PaymentOut},
    auth=write_token,
    summary="Record a payment",
    operation_id="create_payment",
    tags=["Money"],
)
@role_required(*FINANCE)
def create_payment(request, payload: PaymentIn):
    """A finance officer records money paid to an allocation's recipient, with its remittance reference. Never
    past the allocation's headroom (money committed to milestones, or recovered and held, is not payable), never
    to a closed or withdrawn project's grants, never dated in the future or before the award; a milestone's
    payment is made once. The recipient's staff are told."""
    allocation = get_object_or_404(Allocation.objects.for_user(request.user), pk=payload.allocation_id)
    # An accepted milestone's page calls pay_milestone, which is record_payment with the milestone's amount:
    # here the amount sent is passed instead, and record_payment refuses it unless it is that amount.
    milestone = None
    if payload.milestone_id is not None:
        milestone = get_object_or_404(Milestone.objects.for_user(request.user), pk=payload.milestone_id)
    payment = services.record_payment(
        allocation=allocation,
        amount=payload.amount,
        paid_on=payload.paid_on,
        by=request.user,
        milestone=milestone,
        in_advance=payload.in_advance,
        advance_reason=payload.advance_reason,
        reference=payload.reference,
        note=payload.note,
        late_reason=payload.late_reason,
    )
    return Status(201, payment)


@router.post(
    "/recoveries",
    response={201: PaymentOut},
    auth=write_token,
    summary="Record a recovery",
    operation_id="create_recovery",
    tags=["Money"],
)
@role_required(*FINANCE)
def create_recovery(request, payload: RecoveryIn):
    """A finance officer records money recovered from an allocation's recipient: never more than its net paid.
    The money is held, not payable again until a programme officer varies the allocation. A closed project's
    grants still take recoveries."""
    allocation = get_object_or_404(Allocation.objects.for_user(request.user), pk=payload.allocation_id)
    try:
        recovery = services.record_recovery(
            allocation=allocation,
            amount=payload.amount,
            paid_on=payload.paid_on,
            by=request.user,
            reason=payload.note,
            recovery_reason=payload.recovery_reason.value,
            reference=payload.reference,
        )
    except ValidationError as error:
        # The service calls the officer's words "reason"; here they are the recovery's note, as PaymentOut says.
        raise _renamed(error, {"reason": "note"}) from None
    return Status(201, recovery)
