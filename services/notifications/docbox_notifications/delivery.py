"""The worker's job: plan what came within reach, then send what is due through the kit's mail queue.

How a message is claimed, sent, retried and recorded exactly once (at most
once more for the one in flight on each SMTP connection when a worker dies) is
:mod:`docbox_shared.mail`. What this service adds (:class:`Reminders`):

- the message is built when it is sent (:func:`.messages.build`), with a
  fresh manage token whose hash is committed with the outcome, so no message
  ever carries a link that was not stored;
- *dropped*: no longer useful (the occurrence started, a later reminder is
  also due, the subscriber left or paused, a newer sequence replaced it, its
  program was closed: subscriptions stay, and mail resumes when it reopens);
- a digest's lines (:class:`.models.DigestLine`) are stored with the batch's
  tokens, before it is sent: from then on its reader counts as told of them;
- *bounce*: ``MAX_BOUNCES`` in a row pause the subscriber; a message sent
  resets the count.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import instance_state

from docbox_shared.clock import now as clock_now
from docbox_shared.mail import Composer, MailQueue
from docbox_shared.tokens import hash_token, new_token

from . import messages, schedule
from .models import Delivery, Entry, Link, OccurrenceRecord, RateHit, Subscriber, db


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


class Reminders(Composer):
    """Confirmations, reminders, notices and digests: built from the replica and the subscriber at send time.

    One instance per pass: ``cache`` keeps what every recipient of an
    occurrence shares (keyed by occurrence and sequence, so a change is never
    missed).
    """

    def __init__(self):
        self.cache: dict = {}
        self.latest_due: dict[tuple[str, str], int] = {}
        self.tokens: dict[int, str] = {}
        self.verdicts: dict[int, str | None] = {}
        self.listings: dict[int, list] = {}   # digest row -> the occurrences it will list
        self.loaded: dict = {}

    def prepare(self, rows: list[Delivery], now: datetime) -> None:
        """The batch's subscribers, occurrences and programs in three queries, and which reminders have a later one due.

        ``loaded`` holds them for the batch by model and primary key (see :meth:`get`); it also keeps them
        in the session's identity map, which holds objects only while something refers to them.
        """
        sub_ids = {row.subscriber_id for row in rows}
        occurrence_ids = {row.occurrence_id for row in rows if row.occurrence_id}
        self.loaded = {(Subscriber, s.id): s for s in db.session.scalars(
            select(Subscriber).where(Subscriber.id.in_(sub_ids)))}
        if occurrence_ids:
            records = db.session.scalars(select(OccurrenceRecord).where(
                OccurrenceRecord.occurrence_id.in_(occurrence_ids))).all()
            self.loaded.update({(OccurrenceRecord, r.occurrence_id): r for r in records})
            self.loaded.update({(Entry, e.entry_id): e for e in db.session.scalars(select(Entry).where(
                Entry.kind == "program", Entry.entry_id.in_({r.program_id for r in records})))})
        reminders = {row.occurrence_id for row in rows if row.kind == "reminder"}
        # A due reminder, also one claimed in this very batch ("sending"), makes every earlier one useless.
        self.latest_due = {}   # (subscriber, occurrence) -> the smallest offset due: the latest reminder
        if reminders:
            for sub_id, occurrence_id, offset in db.session.execute(select(
                    Delivery.subscriber_id, Delivery.occurrence_id, Delivery.offset_minutes).where(
                    Delivery.occurrence_id.in_(reminders), Delivery.subscriber_id.in_(sub_ids),  # the batch's pairs only
                    Delivery.kind == "reminder",
                    Delivery.status.in_(("pending", "sending")), Delivery.due_at <= now)):
                key = (sub_id, occurrence_id)
                self.latest_due[key] = min(offset, self.latest_due.get(key, offset))
        self.reserve_links(rows, now)

    def reserve_links(self, rows: list[Delivery], now: datetime) -> None:
        """A manage token for each message of the batch still worth sending, stored (hashed) before it is sent,
        and what each digest of it lists.

        Committed with the batch, so a message is then marked sent in one
        statement. A token whose message is not sent after all (dropped,
        deferred, a crash) is held by nobody; the next attempt gets its own. If
        a subscriber was deleted meanwhile (the insert fails), the batch's
        messages store their tokens one by one instead.
        """
        self.tokens, self.listings = {}, {}
        self.verdicts = {row.id: self._obsolete(row, now) for row in rows}
        links = []
        for row in rows:
            if self.verdicts[row.id] is None:
                if row.id in self.listings:
                    messages.list_in_digest(row, self.listings[row.id])
                self.tokens[row.id] = token = new_token()
                links.append(dict(token_hash=hash_token(token), subscriber_id=row.subscriber_id, purpose="manage",
                                  created_at=now, expires_at=None))
        try:
            if links:   # one INSERT for the batch, without the unit of work's bookkeeping per object
                db.session.execute(insert(Link), links)
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            self.tokens = {}

    def get(self, model, key):
        """``db.session.get(model, key)`` (``Entry``: the program ``key``) from what :meth:`prepare` loaded.

        A dictionary lookup: ``db.session.get`` costs some 15 µs even when the object is in the identity map,
        and a message asks five times. An object a rollback expired (a deferred message) is asked of the
        session again, which also tells whether its row is gone.
        """
        found = self.loaded.get((model, key))
        if found is None or instance_state(found).expired:
            return db.session.get(model, ("program", key) if model is Entry else key)
        return found

    def obsolete(self, row: Delivery, now: datetime) -> str | None:
        """The verdict of :meth:`prepare` (it read the same state, loaded once for the batch)."""
        if row.id in self.verdicts:
            return self.verdicts.pop(row.id)
        return self._obsolete(row, now)

    def _obsolete(self, row: Delivery, now: datetime) -> str | None:
        sub = self.get(Subscriber, row.subscriber_id)
        if sub is None:
            return "subscriber gone"
        if row.kind == "confirm":
            return None if row.sequence == sub.requests and sub.requested else "replaced by a newer request"
        if sub.status != "active":
            return f"subscriber {sub.status}"
        if row.kind in ("reminder", "moved", "restored", "cancelled"):
            record = self.get(OccurrenceRecord, row.occurrence_id)
            if record is None or record.sequence != row.sequence:
                return "the occurrence changed since"
            program = self.get(Entry, record.program_id)
            if program is None or not program.data.get("open"):
                return "the program is closed"  # closed: nothing reaches people without an account (README)
            if row.kind == "reminder":
                if record.status != "scheduled":
                    return "the occurrence is cancelled"
                if self.latest_due.get((row.subscriber_id, row.occurrence_id), row.offset_minutes) < row.offset_minutes:
                    return "a later reminder is due as well"
        if row.kind == "digest":
            self.listings[row.id] = messages.digest_records(sub, now)
            if not self.listings[row.id]:
                return "no session this week"
        return None

    def fork(self) -> Reminders:
        return Reminders()   # its batch's tokens, verdicts and cache belong to one connection

    def build(self, row: Delivery, now: datetime):
        sub = self.get(Subscriber, row.subscriber_id)
        return messages.build(row, sub, now, self.cache, self.tokens.pop(row.id, None)), sub.email

    def sent(self, row: Delivery, now: datetime) -> None:
        sub = self.get(Subscriber, row.subscriber_id)
        if sub.bounces:
            sub.bounces = 0

    def bounced(self, row: Delivery, now: datetime) -> None:
        sub = self.get(Subscriber, row.subscriber_id)
        sub.bounces += 1
        if sub.bounces >= current_app.config["MAX_BOUNCES"]:
            sub.status = "paused"


MAIL_COUNT_DAYS = 7   # failed and bounced messages count on the health page for this long


def mail_counts() -> dict[str, int]:
    """How reminder mail fares, for the sessions health page (``GET /internal/mail-counts``): the kit's
    :meth:`~docbox_shared.mail.MailQueue.counts` of the last ``MAIL_COUNT_DAYS``, and ``max_bounces``
    (bounces in a row that pause a subscriber) so that the page can say what the numbers mean."""
    return {**mail_queue().counts(MAIL_COUNT_DAYS), "max_bounces": current_app.config["MAX_BOUNCES"]}


def mail_queue(composer: Composer | None = None) -> MailQueue:
    return MailQueue(db, Delivery, composer or Reminders(), now=clock_now)


def run_pass(limit: int | None = None, should_stop=lambda: False) -> dict[str, int]:
    """One pass of the worker: housekeeping, then every due message. Returns counts by outcome.

    ``should_stop`` is asked between messages (SIGTERM lets the current one finish).
    """
    housekeeping(clock_now())
    return mail_queue().run_pass(limit, should_stop)
