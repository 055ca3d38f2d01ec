"""The outbox events notifications emits (`shared.outbox.emit`). Its schedules raise them
into the outbox, so the relay delivers them exactly like any other domain's events."""

from __future__ import annotations

from enum import StrEnum


class NotificationsEvent(StrEnum):
    DIGEST_DUE = "notifications.digest"
    """The daily digest of one tenant is due (aggregate `Schedule`: the firing's id).
    Payload: `schedule` (its name), `period` (the ISO date of the day)."""

    INVOICE_OVERDUE = "invoice.overdue"
    """An invoice is overdue, once per reminder period (`schedules.REMINDER_DAYS`); aggregate
    `Invoice`. Payload: `number`, `customerId`, `currency`, `amountDue`, `dueDate`,
    `daysOverdue`, `schedule`, `period` (`week-<n>`)."""

    ACTIVITY_DUE = "activity.due"
    """A CRM activity falls due today (UTC), once per activity and day; aggregate
    `Activity`. Payload: `subject`, `type`, `dueAt`, `ownerId`, `customerId`, `schedule`,
    `period` (the ISO date)."""


AGGREGATE = "Schedule"
