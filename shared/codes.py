"""The one registry of error codes: every code a client can see, declared once with its
meaning. `Problem` (payload errors) and `NexoError` (GraphQL errors) accept only these
members, so mypy refuses a typo and a test refuses a string literal posing as a code."""

from __future__ import annotations

from enum import StrEnum


class Code(StrEnum):
    meaning: str

    def __new__(cls, value: str, meaning: str) -> Code:
        member = str.__new__(cls, value)
        member._value_ = value
        member.meaning = meaning
        return member

    # --- GraphQL errors (`extensions.code`) ------------------------------------------
    UNAUTHENTICATED = "UNAUTHENTICATED", "No valid access token came with the request."
    FORBIDDEN = "FORBIDDEN", "The caller's roles do not grant the permission needed."
    BAD_USER_INPUT = "BAD_USER_INPUT", "An argument is malformed (cursor, page size, key)."
    CONFLICT = "CONFLICT", "The request collides with another (e.g. a reused Idempotency-Key)."
    RATE_LIMITED = "RATE_LIMITED", "Too many attempts; retry later."
    INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR", "A fault of ours; logged with the requestId."
    GRAPHQL_VALIDATION_FAILED = (
        "GRAPHQL_VALIDATION_FAILED",
        "The document is not valid against the schema.",
    )
    SUBGRAPH_FETCH_FAILED = "SUBGRAPH_FETCH_FAILED", "The router could not get a subgraph's answer."
    OPERATION_TOO_COMPLEX = (
        "OPERATION_TOO_COMPLEX",
        "The operation exceeds a limit (depth, aliases, cost, tokens, ...).",
    )
    TIMEOUT = "TIMEOUT", "The request ran past its deadline; its work was cancelled."
    PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND", "Unknown hash: send the text too."
    OPERATION_NOT_TRUSTED = "OPERATION_NOT_TRUSTED", "The document is not in the safelist."
    RESPONSE_TOO_LARGE = "RESPONSE_TOO_LARGE", "The answer would exceed the response size limit."

    # --- payload errors: presence and shape of values --------------------------------
    NOT_FOUND = "NOT_FOUND", "No object with this id in the caller's tenant."
    REQUIRED = "REQUIRED", "The field must be given and not blank."
    TOO_LONG = "TOO_LONG", "The text is longer than the field allows."
    TOO_MANY = "TOO_MANY", "The list has more entries than allowed."
    INVALID = "INVALID", "The value is not of the accepted form."
    INVALID_EMAIL = "INVALID_EMAIL", "Not an email address."
    INVALID_CURRENCY = "INVALID_CURRENCY", "Not an ISO 4217 currency code."
    INVALID_AMOUNT = "INVALID_AMOUNT", "Not a non-negative amount of at most 4 decimal places."
    INVALID_CHOICE = "INVALID_CHOICE", "Not one of the allowed values."
    INVALID_TAGS = "INVALID_TAGS", "Too many tags or a tag too long."
    INVALID_RANGE = "INVALID_RANGE", "A range whose end lies before its start."
    OUT_OF_RANGE = "OUT_OF_RANGE", "A number outside the allowed bounds."
    TOO_PRECISE = "TOO_PRECISE", "More decimal places than the field stores."
    MUST_BE_POSITIVE = "MUST_BE_POSITIVE", "The number must be greater than zero."
    NEGATIVE = "NEGATIVE", "The number must not be below zero."
    DUPLICATE = "DUPLICATE", "Another object already uses this unique value."
    TAKEN = "TAKEN", "The name or slug is already in use."

    # --- payload errors: state and rules ---------------------------------------------
    INVALID_STATE = "INVALID_STATE", "The object's state does not allow this action."
    INVALID_TRANSITION = "INVALID_TRANSITION", "The state cannot change this way."
    ARCHIVED = "ARCHIVED", "The object is archived and read-only."
    ALREADY_ARCHIVED = "ALREADY_ARCHIVED", "The object is archived already."
    NOT_ARCHIVED = "NOT_ARCHIVED", "The object is not archived."
    NOT_EDITABLE = "NOT_EDITABLE", "The document is posted; corrections are new documents."
    ALREADY_DONE = "ALREADY_DONE", "The action was completed before."
    HAS_MOVES = "HAS_MOVES", "Stock has moved for this product; the attribute is fixed."

    # --- identity --------------------------------------------------------------------
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS", "Unknown tenant, email or wrong password."
    INVALID_TOKEN = "INVALID_TOKEN", "The token is unknown, expired or revoked."
    PASSWORD_TOO_SHORT = "PASSWORD_TOO_SHORT", "The password is shorter than 12 characters."
    PASSWORD_TOO_LONG = "PASSWORD_TOO_LONG", "The password is longer than allowed."
    UNKNOWN_ROLE = "UNKNOWN_ROLE", "No role with this name in the tenant."
    UNKNOWN_PERMISSION = "UNKNOWN_PERMISSION", "No such permission exists."
    BUILTIN_ROLE = "BUILTIN_ROLE", "Built-in roles cannot be changed."
    CANNOT_DEACTIVATE_SELF = "CANNOT_DEACTIVATE_SELF", "A user cannot deactivate themselves."
    SIGNUP_CLOSED = "SIGNUP_CLOSED", "Sign-up or invitations are not open here (NEXO_SIGNUP)."
    MFA_CODE_INVALID = "MFA_CODE_INVALID", "The one-time or recovery code is wrong or used."
    MFA_ALREADY_ENABLED = "MFA_ALREADY_ENABLED", "TOTP is active already; an admin can reset it."
    MFA_NOT_STARTED = "MFA_NOT_STARTED", "No TOTP enrolment is pending: begin one first."
    MFA_REQUIRED = "MFA_REQUIRED", "The user has TOTP: the login needs its second step."

    # --- crm -------------------------------------------------------------------------
    LEAD_CLOSED = "LEAD_CLOSED", "The lead is converted or lost."
    NOT_QUALIFIED = "NOT_QUALIFIED", "Only a qualified lead can be converted."
    DEAL_CLOSED = "DEAL_CLOSED", "The deal is won or lost."
    SAME_STAGE = "SAME_STAGE", "The deal is in that stage already."
    STAGE_IN_USE = "STAGE_IN_USE", "Deals are in the stage; it cannot be removed."
    LINK_REQUIRED = "LINK_REQUIRED", "The activity must concern a customer, contact, lead or deal."
    CUSTOMER_ARCHIVED = "CUSTOMER_ARCHIVED", "The customer is archived and takes no orders."
    UNKNOWN_CUSTOMER = "UNKNOWN_CUSTOMER", "No active customer with this id."

    # --- stock -----------------------------------------------------------------------
    INSUFFICIENT_STOCK = "INSUFFICIENT_STOCK", "Less is available than the demand asks for."
    NOT_STOCKABLE = "NOT_STOCKABLE", "The product is not kept in stock."
    NOT_INTERNAL = "NOT_INTERNAL", "The location is not inside a warehouse."
    SAME_LOCATION = "SAME_LOCATION", "Source and destination are the same location."
    BELOW_MIN = "BELOW_MIN", "The value is below the allowed minimum."

    # --- sales -----------------------------------------------------------------------
    EXCHANGE_RATE_MISSING = "EXCHANGE_RATE_MISSING", "No exchange rate for the currency and day."
    BASE_CURRENCY = "BASE_CURRENCY", "The base currency has no exchange rate to itself."
    NOTHING_TO_DELIVER = "NOTHING_TO_DELIVER", "Every line is delivered already."
    ALREADY_DELIVERED = "ALREADY_DELIVERED", "The line is delivered in full."
    EXCEEDS_ORDERED = "EXCEEDS_ORDERED", "More than the order line still has open."
    NOTHING_TO_INVOICE = "NOTHING_TO_INVOICE", "Nothing delivered is left uninvoiced."
    RETURN_EXCEEDS_DELIVERED = "RETURN_EXCEEDS_DELIVERED", "More returned than was delivered."
    NOT_PAYABLE = "NOT_PAYABLE", "The document does not take payments."
    ALREADY_PAID = "ALREADY_PAID", "The invoice is paid in full."
    OVERPAYMENT = "OVERPAYMENT", "The payment exceeds the amount due."
    CREDIT_LIMIT_EXCEEDED = (
        "CREDIT_LIMIT_EXCEEDED",
        "Confirming would take the customer's exposure over their credit limit.",
    )
    CURRENCY_MISMATCH = "CURRENCY_MISMATCH", "The documents are in different currencies."
    OTHER_CUSTOMER = "OTHER_CUSTOMER", "The documents belong to different customers."
    BEFORE_INVOICE_DATE = "BEFORE_INVOICE_DATE", "The date lies before the invoice's date."
    IN_THE_FUTURE = "IN_THE_FUTURE", "The date lies after today."
    CLOSED_PERIOD = "CLOSED_PERIOD", "A later document is posted; the date would break the order."

    # --- production ------------------------------------------------------------------
    BOM_CYCLE = "BOM_CYCLE", "The bill of materials would contain its own product at some depth."
    NO_ACTIVE_BOM = "NO_ACTIVE_BOM", "The product has no active bill of materials."
    WORK_ORDERS_OPEN = "WORK_ORDERS_OPEN", "Work orders of the production order are not all done."
    QUALITY_BLOCKED = "QUALITY_BLOCKED", "A failed required quality check blocks the order."
    EXCEEDS_PRODUCED = "EXCEEDS_PRODUCED", "More than the production order produced and kept."

    # --- purchases -------------------------------------------------------------------
    APPROVAL_REQUIRED = "APPROVAL_REQUIRED", "Above the approval threshold; needs approval first."
    OVER_RECEIPT = "OVER_RECEIPT", "More received than ordered beyond the tenant's tolerance."
    NOTHING_TO_RECEIVE = "NOTHING_TO_RECEIVE", "Every line is received or closed already."
    NOTHING_TO_BILL = "NOTHING_TO_BILL", "Nothing received is left unbilled."

    # --- notifications ---------------------------------------------------------------
    TEMPLATE_INVALID = "TEMPLATE_INVALID", "The template does not compile or render on sample data."


def reference() -> str:
    """docs/error-codes.md: regenerate with `python -m shared.codes > docs/error-codes.md`."""
    lines = [
        "# Error codes",
        "",
        "Generated from `shared/codes.py` (`python -m shared.codes > docs/error-codes.md`);",
        "a test fails when this page is stale. GraphQL errors carry the code in",
        "`extensions.code`; payload errors in `errors { field code message }`.",
        "",
        "| code | meaning |",
        "|---|---|",
    ]
    lines += [f"| `{code}` | {code.meaning} |" for code in Code]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(reference(), end="")
