"""The worker's job: claim due messages, send them over SMTP, record the outcome.

Vocabulary and guarantees:

- *claim*: a due ``pending`` row (or a ``sending`` row whose *lease* ran
  out, i.e. its worker died) becomes ``sending`` with ``lease_until`` set,
  committed before anything is sent. Rows are claimed one at a time, with
  ``FOR UPDATE SKIP LOCKED`` on PostgreSQL and a conditional UPDATE
  everywhere, so workers never share a row. A worker killed mid-batch leaves
  at most the row it was sending in ``sending``; it is sent again after the
  lease (possibly twice, with the same Message-ID), every other row once.
  The outcome of a send is committed together with the next claim.
- *temporary failure*: connection refused or lost, timeout, any 4xx, or a 5xx
  that is not about the recipient: the row goes back to ``pending`` with an
  exponential backoff, and becomes ``failed`` (see ``GET
  /api/v1/deliveries``) once it has failed for ``RETRY_HOURS``.
- *unbuildable*: the message cannot be built from what is stored (a line
  break in a subject accepted before input refused it): ``failed`` at once,
  with the reason, never retried.
- *bounce*: a 5xx for the recipient (RCPT or DATA): the row is ``bounced``;
  ``MAX_BOUNCES`` in a row pause the subscriber.
- *dropped*: no longer useful (the occurrence started, a later reminder is
  also due, the subscriber left or paused, a newer sequence replaced it, its
  program was closed: subscriptions stay, and mail resumes when it reopens).

Recorded errors have addresses removed; nothing here logs an address.
"""

from __future__ import annotations

import logging
import random
import re
import smtplib
import ssl
from datetime import datetime, timedelta
from email.utils import parseaddr

from flask import current_app
from sqlalchemy import delete, select, update

from docbox_shared.clock import aware, now as clock_now

from . import messages, schedule
from .models import Delivery, Link, OccurrenceRecord, RateHit, Subscriber, db

log = logging.getLogger(__name__)
_ADDRESS = re.compile(r"[^\s<>@\"']+@[^\s<>\"']+")
MAX_BACKOFF = timedelta(hours=1)


def scrub(text: str) -> str:
    return _ADDRESS.sub("<address>", text)[:500]


class TemporaryFailure(Exception):
    def __init__(self, detail: str, server_down: bool = False):
        super().__init__(detail)
        self.server_down = server_down


class PermanentFailure(Exception):
    pass


class Unbuildable(Exception):
    """The message cannot be built from what is stored: retrying would fail the same way."""


class Mailer:
    """One SMTP connection, opened on first use and reused for a batch."""

    def __init__(self, config):
        self.config = config
        self.conn: smtplib.SMTP | None = None
        self.sender = parseaddr(config["MAIL_FROM"])[1]
        self.timeout = max(1.0, min(30.0, config["LEASE_SECONDS"] / 3))

    def _connect(self) -> smtplib.SMTP:
        c = self.config
        if c["SMTP_TLS"] == "tls":
            conn = smtplib.SMTP_SSL(c["SMTP_HOST"], c["SMTP_PORT"], timeout=self.timeout,
                                    context=ssl.create_default_context())
        else:
            conn = smtplib.SMTP(c["SMTP_HOST"], c["SMTP_PORT"], timeout=self.timeout)
            if c["SMTP_TLS"] == "starttls":
                conn.starttls(context=ssl.create_default_context())
        if c["SMTP_USERNAME"]:
            conn.login(c["SMTP_USERNAME"], c["SMTP_PASSWORD"])
        return conn

    def send(self, msg, recipient: str) -> None:
        try:
            if self.conn is None:
                self.conn = self._connect()
            self.conn.send_message(msg, from_addr=self.sender, to_addrs=[recipient])
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            self._classify(code, text)
        except smtplib.SMTPDataError as exc:
            self._classify(exc.smtp_code, exc.smtp_error)
        except smtplib.SMTPResponseException as exc:  # sender refused, auth, ...: not the recipient's fault
            self.close()
            raise TemporaryFailure(scrub(f"{exc.smtp_code} {_text(exc.smtp_error)}"))
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            down = isinstance(exc, (ConnectionRefusedError, smtplib.SMTPConnectError, TimeoutError))
            raise TemporaryFailure(scrub(f"{type(exc).__name__}: {exc}"), server_down=down)

    def _classify(self, code: int, text) -> None:
        detail = scrub(f"{code} {_text(text)}")
        if 500 <= code < 600:
            raise PermanentFailure(detail)
        self.close()
        raise TemporaryFailure(detail)

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self.conn = None


def _text(value) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def housekeeping(now: datetime) -> None:
    """Plan what came within reach and forget what is no longer needed. Commits."""
    schedule.extend_horizon(now)
    schedule.plan_digests(now)
    db.session.execute(delete(RateHit).where(RateHit.at < now - timedelta(days=2)))
    db.session.execute(delete(Link).where(Link.expires_at.is_not(None), Link.expires_at < now))
    # Addresses that never confirmed are forgotten a week after their last request.
    stale = select(Subscriber.id).where(Subscriber.status == "pending", Subscriber.confirmed_at.is_(None),
                                        Subscriber.created_at < now - timedelta(days=messages.CONFIRM_DAYS + 1))
    for sub_id in db.session.scalars(stale).all():
        if not db.session.scalar(select(Delivery.id).where(Delivery.subscriber_id == sub_id,
                                                            Delivery.status.in_(("pending", "sending")))):
            db.session.delete(db.session.get(Subscriber, sub_id))
    db.session.commit()


def claim_next(now: datetime) -> Delivery | None:
    """Claim the next due row: first one whose worker died (lease ran out), else the oldest due."""
    lease = timedelta(seconds=current_app.config["LEASE_SECONDS"])
    # Two single-status queries, so each walks its index in order instead of sorting every due row.
    candidates = (
        ((Delivery.status == "sending", Delivery.lease_until <= now), Delivery.lease_until),
        ((Delivery.status == "pending", Delivery.due_at <= now), Delivery.due_at),
    )
    for _ in range(5):
        for due, order in candidates:
            query = select(Delivery.id).where(*due).order_by(order).limit(1)
            if db.engine.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            row_id = db.session.scalar(query)
            if row_id is not None:
                break
        else:
            db.session.commit()
            return None
        claimed = db.session.execute(update(Delivery).where(Delivery.id == row_id, *due).values(
            status="sending", lease_until=now + lease, attempts=Delivery.attempts + 1)).rowcount
        db.session.commit()
        if claimed:
            return db.session.get(Delivery, row_id)
    return None


def _obsolete(row: Delivery, sub: Subscriber | None, now: datetime) -> str | None:
    """Why ``row`` should not be sent any more, or None."""
    if sub is None:
        return "subscriber gone"
    if row.expires_at is not None and aware(row.expires_at) <= now:
        return "too late to be useful"
    if row.kind == "confirm":
        return None if row.sequence == sub.requests and sub.requested else "replaced by a newer request"
    if sub.status != "active":
        return f"subscriber {sub.status}"
    if row.kind in ("reminder", "moved", "cancelled"):
        record = db.session.get(OccurrenceRecord, row.occurrence_id)
        if record is None or record.sequence != row.sequence:
            return "the occurrence changed since"
        if not messages.program_state(record.program_id).get("open"):
            return "the program is closed"  # closed: nothing reaches people without an account (README)
        if row.kind == "reminder":
            if record.status != "scheduled":
                return "the occurrence is cancelled"
            later = db.session.scalar(select(Delivery.id).where(
                Delivery.subscriber_id == row.subscriber_id, Delivery.occurrence_id == row.occurrence_id,
                Delivery.kind == "reminder", Delivery.status == "pending", Delivery.due_at <= now,
                Delivery.offset_minutes < row.offset_minutes))
            if later is not None:
                return "a later reminder is due as well"
    if row.kind == "digest" and not messages.digest_occurrences(sub, now):
        return "no session this week"
    return None


def process(row: Delivery, mailer: Mailer, now: datetime, cache: dict | None = None) -> str:
    """Send one claimed (committed) row; returns its new status.

    The outcome and the link row of the message are left in the session: the
    next claim commits them in the same transaction (one commit per message).
    If the worker dies before that, this row is the one "in flight": it is
    sent again after its lease, with a fresh link, so no message ever carries
    a link that was not stored. Temporary failures commit at once.
    """
    sub = db.session.get(Subscriber, row.subscriber_id)
    reason = _obsolete(row, sub, now)
    if reason:
        row.status, row.lease_until, row.last_error = "dropped", None, reason
        return row.status
    try:
        msg = messages.build(row, sub, now, cache)
    except Exception as exc:  # noqa: BLE001 - e.g. a line break in a subject from before input refused it
        raise Unbuildable(exc) from exc
    recipient = sub.email
    try:
        mailer.send(msg, recipient)
    except PermanentFailure as exc:
        row.status, row.lease_until, row.last_error = "bounced", None, str(exc)
        sub.bounces += 1
        if sub.bounces >= current_app.config["MAX_BOUNCES"]:
            sub.status = "paused"
        log.warning("delivery bounced", extra={"delivery_id": row.id, "kind": row.kind})
        return row.status
    except TemporaryFailure as exc:
        db.session.rollback()   # not sent: its link is not needed
        first = aware(row.first_failure_at) or now
        row.first_failure_at, row.last_error, row.lease_until = first, str(exc), None
        if now - first >= timedelta(hours=current_app.config["RETRY_HOURS"]):
            row.status = "failed"
        else:
            backoff = min(timedelta(minutes=2 ** min(row.attempts - 1, 10)), MAX_BACKOFF)
            row.status, row.due_at = "pending", now + backoff * random.uniform(1.0, 1.2)
        db.session.commit()
        log.warning("delivery deferred" if row.status == "pending" else "delivery failed",
                    extra={"delivery_id": row.id, "kind": row.kind, "attempts": row.attempts})
        if exc.server_down:
            raise
        return row.status
    row.status, row.sent_at, row.lease_until, row.last_error = "sent", now, None, None
    sub.bounces = 0
    log.info("delivery sent", extra={"delivery_id": row.id, "kind": row.kind})
    return row.status


def _fail_unbuildable(row_id: int, exc: Unbuildable) -> None:
    """Marked failed at once (GET /api/v1/deliveries?status=failed, docbox_mail_failed), never retried for a day."""
    db.session.rollback()
    row = db.session.get(Delivery, row_id)
    if row is None:
        return
    cause = type(exc.__cause__).__name__
    row.status, row.lease_until, row.last_error = "failed", None, f"the message could not be built ({cause})"
    db.session.commit()
    log.error("delivery failed: message could not be built", extra={"delivery_id": row_id, "kind": row.kind,
                                                                     "error": cause})


def _defer_after_crash(row_id: int, exc: Exception, now: datetime) -> None:
    """A bug or a bad row must not stall the queue: treat it as a temporary failure of that row."""
    db.session.rollback()
    row = db.session.get(Delivery, row_id)
    if row is None:
        return
    first = aware(row.first_failure_at) or now
    row.first_failure_at, row.last_error, row.lease_until = first, f"internal error: {type(exc).__name__}", None
    if now - first >= timedelta(hours=current_app.config["RETRY_HOURS"]):
        row.status = "failed"
    else:
        row.status, row.due_at = "pending", now + MAX_BACKOFF
    db.session.commit()
    # The exception text may quote message content; log only its type.
    log.error("delivery crashed", extra={"delivery_id": row_id, "error": type(exc).__name__})


def run_pass(limit: int | None = None, should_stop=lambda: False) -> dict[str, int]:
    """One pass of the worker: housekeeping, then every due message. Returns counts by outcome.

    ``should_stop`` is asked between messages (SIGTERM lets the current one finish).
    """
    housekeeping(clock_now())
    counts: dict[str, int] = {}
    mailer = Mailer(current_app.config)
    cache: dict = {}
    try:
        while (limit is None or sum(counts.values()) < limit) and not should_stop():
            now = clock_now()
            row = claim_next(now)
            if row is None:
                break
            row_id = row.id
            try:
                status = process(row, mailer, now, cache)
            except TemporaryFailure:
                counts["pending"] = counts.get("pending", 0) + 1
                break   # the server is down: the rest waits for the next pass
            except Unbuildable as exc:
                _fail_unbuildable(row_id, exc)
                status = "failed"
            except Exception as exc:  # noqa: BLE001 - see _defer_after_crash
                mailer.close()
                _defer_after_crash(row_id, exc, now)
                status = "pending"
            counts[status] = counts.get(status, 0) + 1
    finally:
        mailer.close()
        try:
            db.session.commit()   # the outcome of the last message
        finally:
            db.session.remove()
    return counts
