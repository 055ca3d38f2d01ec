"""Templates: Jinja2 in a sandbox, per name (an event type, or `type/audience`), channel
and locale; a tenant's saved version replaces the shipped one.

A template is checked when it is saved: it must compile and render on the event type's
sample data, or the save is refused with `TEMPLATE_INVALID`. At send time a template that
still fails (real data differs from the sample) falls back to the shipped text, then to a
generic line: rendering never stops a delivery.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

import structlog
from jinja2 import ChainableUndefined, TemplateError
from jinja2 import Template as Jinja
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.codes import Code
from shared.db import TenantId
from shared.errors import InvalidInput, not_found
from shared.validation import Checks
from subgraphs.notifications import catalog
from subgraphs.notifications.catalog import TemplateText
from subgraphs.notifications.models import Channel, Template
from subgraphs.notifications.text import no_nul, text

log = structlog.get_logger("nexo.notifications")

NAME = re.compile(r"^[a-z][a-z0-9_.-]*(/[a-z0-9_.-]+)?$")
LOCALE = re.compile(r"^[a-z]{2}(-[A-Z]{2})?$")
SUBJECT_LIMIT = 1_000
BODY_LIMIT = 20_000
OUTPUT_LIMIT = 100_000
"""Characters a rendered text may have; more is a template error (a runaway loop)."""
TIME_LIMIT = 1.0
"""Seconds a rendering may take (checked as output is produced)."""
ITERATION_LIMIT = 10_000
"""Items all `range()` loops of one rendering may yield together."""
_MAX_REPEAT = 1_000
_budget: ContextVar[list[int]] = ContextVar("nexo_template_budget")


def _range(*args: int) -> Iterator[int]:
    """`range` with one budget per rendering, so nested loops cannot multiply."""
    budget = _budget.get()
    for value in range(*args):
        budget[0] -= 1
        if budget[0] < 0:
            raise SecurityError(f"more than {ITERATION_LIMIT} loop iterations")
        yield value


class _Environment(SandboxedEnvironment):
    """The sandbox, with arithmetic that cannot allocate without bound."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int | float) and abs(right) > 100:
            raise SecurityError("exponent too large")
        if operator == "*":
            for seq, count in ((left, right), (right, left)):
                if (
                    isinstance(seq, str | list | tuple)
                    and isinstance(count, int)
                    and (len(seq) * count > OUTPUT_LIMIT or count > _MAX_REPEAT)
                ):
                    raise SecurityError("repetition too large")
        return super().call_binop(context, operator, left, right)


def money(value: Any, currency: Any = "") -> str:
    """`{{ total | money(currency) }}` → `1,234.50 EUR`."""
    try:
        amount = Decimal(str(value))
        formatted = f"{amount.quantize(Decimal('0.01')):,.2f}"
    except (InvalidOperation, ValueError):
        return "" if value is None or isinstance(value, ChainableUndefined) else str(value)
    suffix = "" if isinstance(currency, ChainableUndefined) or not currency else f" {currency}"
    return formatted + suffix


ENV = _Environment(
    autoescape=False,
    undefined=ChainableUndefined,
    keep_trailing_newline=False,
    finalize=lambda v: "" if v is None else v,
)
ENV.filters["money"] = money
ENV.globals["range"] = _range


class TemplateProblem(Exception):
    pass


@lru_cache(maxsize=512)
def _compiled(source: str) -> Jinja:
    return ENV.from_string(source)


def render(source: str, context: Mapping[str, Any]) -> str:
    """The rendered text; `TemplateProblem` for any failure (syntax, sandbox, runtime)."""
    token = _budget.set([ITERATION_LIMIT])
    started = time.monotonic()
    size = 0
    parts: list[str] = []
    try:
        for part in _compiled(source).generate(context):
            size += len(part)
            if size > OUTPUT_LIMIT:
                raise TemplateProblem(f"renders to more than {OUTPUT_LIMIT} characters")
            if time.monotonic() - started > TIME_LIMIT:
                raise TemplateProblem(f"takes longer than {TIME_LIMIT:g} s to render")
            parts.append(part)
    except TemplateError as exc:  # syntax, undefined, sandbox (SecurityError)
        line = getattr(exc, "lineno", None)
        where = f" (line {line})" if line else ""
        raise TemplateProblem(f"{exc.message or type(exc).__name__}{where}") from exc
    except (ArithmeticError, TypeError, ValueError, LookupError, AttributeError) as exc:
        raise TemplateProblem(f"{type(exc).__name__}: {exc}") from exc
    except RecursionError as exc:
        raise TemplateProblem("recursion too deep") from exc
    finally:
        _budget.reset(token)
    return "".join(parts)


def check(checks: Checks, field: str, source: str, context: Mapping[str, Any]) -> str | None:
    """The rendering of `source` on `context`, or a TEMPLATE_INVALID problem at `field`."""
    try:
        return render(source, context)
    except TemplateProblem as exc:
        checks.add(field, Code.TEMPLATE_INVALID, f"The template does not render: {exc}")
        return None


def render_safely(
    candidates: Iterable[TemplateText], context: Mapping[str, Any]
) -> tuple[str, str]:
    """Subject and body from the first candidate that renders; the generic text last."""
    for candidate in [*candidates, catalog.GENERIC]:
        try:
            return render(candidate.subject, context).strip(), render(candidate.body, context)
        except TemplateProblem as exc:
            log.warning("notifications.template_failed", error=str(exc))
    return str(context.get("event", {}).get("type", "notification")), ""


# --- the tenant's templates -------------------------------------------------------------

Key = tuple[str, Channel, str]
"""(name, channel, locale)."""


async def effective(
    session: AsyncSession, tenant: TenantId, keys: Iterable[Key]
) -> dict[Key, list[TemplateText]]:
    """For each key the templates to try in order: the tenant's for the locale, the
    shipped one for the locale (shipped ones are English), then both in English."""
    wanted = set(keys)
    if not wanted:
        return {}
    names = {name for name, _, _ in wanted}
    rows = await session.scalars(
        select(Template).where(Template.tenant_id == tenant, Template.name.in_(names))
    )
    own = {(t.name, t.channel, t.locale): TemplateText(t.subject, t.body) for t in rows}
    result: dict[Key, list[TemplateText]] = {}
    for name, channel, locale in wanted:
        chain: list[TemplateText] = []
        for loc in dict.fromkeys((locale, catalog.DEFAULT_LOCALE)):
            if (mine := own.get((name, channel, loc))) is not None:
                chain.append(mine)
            if loc == catalog.DEFAULT_LOCALE and (
                shipped := catalog.default_template(name, channel)
            ):
                chain.append(shipped)
        result[(name, channel, locale)] = chain
    return result


@dataclass(frozen=True, slots=True)
class Preview:
    subject: str
    body: str


def _check_key(checks: Checks, name: str, locale: str) -> tuple[str, str]:
    name = text(checks, "name", name, limit=100)
    if name and not NAME.match(name):
        checks.add("name", Code.INVALID, "An event type such as stock.low, optionally /audience")
    locale = text(checks, "locale", locale, limit=16)
    if locale and not LOCALE.match(locale):
        checks.add("locale", Code.INVALID, "A language such as en or de-AT")
    return name, locale


def _check_texts(checks: Checks, name: str, subject: str, body: str) -> Preview:
    no_nul(checks, "subject", subject)
    no_nul(checks, "body", body)
    if len(subject) > SUBJECT_LIMIT:
        checks.add("subject", Code.TOO_LONG, f"At most {SUBJECT_LIMIT} characters")
    if len(body) > BODY_LIMIT:
        checks.add("body", Code.TOO_LONG, f"At most {BODY_LIMIT} characters")
    if not body.strip():
        checks.add("body", Code.REQUIRED, "This field is required")
    if not checks.ok:
        return Preview("", "")
    context = catalog.sample_context(name)
    rendered_subject = check(checks, "subject", subject, context)
    rendered_body = check(checks, "body", body, context)
    return Preview((rendered_subject or "").strip(), rendered_body or "")


async def save_template(
    session: AsyncSession,
    tenant: TenantId,
    *,
    name: str,
    channel: Channel,
    locale: str,
    subject: str,
    body: str,
) -> Template:
    """Create or replace the tenant's template of (name, channel, locale); refused with
    TEMPLATE_INVALID at `subject`/`body` unless both compile and render on sample data."""
    checks = Checks()
    name, locale = _check_key(checks, name, locale)
    if checks.ok:
        _check_texts(checks, name, subject, body)
    checks.raise_any()
    stmt = insert(Template).values(
        tenant_id=tenant,
        id=uuid.uuid4(),
        name=name,
        channel=channel,
        locale=locale,
        subject=subject,
        body=body,
    )
    saved_id = await session.scalar(
        stmt.on_conflict_do_update(
            index_elements=["tenant_id", "name", "channel", "locale"],
            set_={"subject": subject, "body": body, "updated_at": func.now()},
        ).returning(Template.id)
    )
    found = await session.get(Template, (tenant, saved_id), populate_existing=True)
    assert found is not None
    return found


async def delete_template(
    session: AsyncSession, tenant: TenantId, template_id: uuid.UUID
) -> Template:
    """Remove the tenant's version: the shipped template applies again."""
    found = await session.get(Template, (tenant, template_id))
    if found is None:
        raise not_found("templateId", "template")
    await session.delete(found)
    await session.flush()
    return found


async def preview(
    session: AsyncSession,
    tenant: TenantId,
    *,
    name: str,
    channel: Channel,
    locale: str,
    subject: str | None = None,
    body: str | None = None,
) -> Preview:
    """`subject`/`body` (or, when not given, the template in effect) rendered on the
    event type's sample data; problems as for saving."""
    checks = Checks()
    name, locale = _check_key(checks, name, locale)
    checks.raise_any()
    if subject is None or body is None:
        chain = (await effective(session, tenant, [(name, channel, locale)]))[
            (name, channel, locale)
        ]
        current = chain[0] if chain else catalog.GENERIC
        subject = current.subject if subject is None else subject
        body = current.body if body is None else body
    result = _check_texts(checks, name, subject, body)
    if not checks.ok:
        raise InvalidInput(checks.problems)
    return result
