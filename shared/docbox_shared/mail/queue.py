"""The worker side of a mail queue: claim due rows in batches, send, record each outcome.

Commit policy (why a crash of the worker duplicates at most one message per SMTP connection, one
of the database server at most :data:`UNFLUSHED` per connection):

- *claim*: up to :data:`BATCH` due rows (``pending`` ones whose time came, and
  ``sending`` ones whose *lease* ran out because their worker died) become
  ``sending`` with ``lease_until`` set, in one transaction committed before
  anything is sent. ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, and everywhere
  a conditional UPDATE that returns the ids it changed, so two workers never
  hold the same row. One commit per batch instead of one per message is what
  makes batches cheap.
- *prepare*: what the service writes for the whole batch before sending
  (notifications: the hashes of the tokens its messages will carry) is
  committed once, before the first message goes out, so no message carries
  a token that is not stored.
- *send*: up to ``MAIL_CONNECTIONS`` (default 2) SMTP connections a pass, each
  in its own thread with its own batches, session and marks, as if each were a
  worker of its own (:class:`_Pass` says why two). On each connection, every
  ``sent`` mark is committed right after the server's answer, before that
  connection's next message is sent: one
  autocommitted UPDATE on a connection held for the pass (one round trip),
  or, when building the message wrote something, one transaction holding
  both. A worker killed at any point (SIGKILL included) has therefore sent
  at most one message per connection whose outcome is not stored: each is
  sent again after the lease, with the same Message-ID. The rest of a batch is still
  ``sending`` and unsent, and goes out once after the lease. Marking several
  messages sent in one commit would duplicate the whole uncommitted run.
- *durable*: on PostgreSQL a mark's commit does not wait for the disk; one
  flush makes all the marks since the previous one durable while the next
  messages go out (a group commit), and no message is delivered while
  :data:`UNFLUSHED` (10) delivered messages have marks not yet known durable
  (see :class:`Marks`). A crash of the *database server* therefore sends at
  most those 10 per connection again (same Message-ID); a crash of the worker,
  at most one per connection.
  Waiting for the disk after every mark halved the throughput on a quiet machine.
- A batch is given back (``pending`` again) when SIGTERM arrives, when the
  server is down, and when half the lease has passed (a slow server): a row
  is never sent by a worker whose lease on it may have run out. After a
  database error mid-batch (a cut connection: a failover, a restart) its
  unsent rows are given back on a new connection as the pass ends, so they
  go out on the next pass; only a dead worker, or a database that stays
  away, leaves them to wait out the lease.

Outcomes besides ``sent``: a temporary failure goes back to ``pending`` with
an exponential backoff and becomes ``failed`` once it has failed for
``RETRY_HOURS``; a permanent one is ``bounced`` (the service may count it);
a message that cannot be built is ``failed`` at once, never retried; one the
service finds useless now is ``dropped`` with the reason. Stored message
bodies are cleared in every final state.

During a pass the session keeps loaded rows across commits
(``expire_on_commit`` off), so a batch is read once rather than once per
commit. Recorded errors have addresses removed; nothing here logs one.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import random
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage, Message
from email.utils import format_datetime, getaddresses, parseaddr
from select import select as readable

from flask import Flask, current_app
from sqlalchemy import and_, bindparam, func, or_, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm.attributes import set_committed_value

from .addresses import POLICY
from .models import FINAL
from .smtp import Mailer, PermanentFailure, TemporaryFailure

log = logging.getLogger(__name__)
UTC = timezone.utc
# Rows claimed per transaction. A batch costs about ten round trips (claim, the batch's
# subscribers and occurrences, its tokens), a fifth of one per message at 50; a bigger batch
# saves little more (notifications, 2026-11-30: claiming and preparing cost 0.23 ms of CPU a
# message at 50, 0.19 at 200; loading each row is most of it) and leaves more rows waiting out
# a lease after a crash (at 500 messages/s, 50 are a tenth of a second of work). A pass opens
# its further SMTP connections (MAIL_CONNECTIONS) only once a claim comes back full: a queue
# shorter than a batch goes out on one connection.
BATCH = 50
# PostgreSQL: at most this many messages delivered whose "sent" marks are committed but not yet
# known to be on disk (see Marks): what a crash of the database server can send twice. A disk
# flush here takes about as long as 2-5 messages (more under load); 10 lets one flush run while
# the next messages go out without waiting for it.
UNFLUSHED = 10
MAX_BACKOFF = timedelta(hours=1)
LEASE_SECONDS, RETRY_HOURS = 300, 24   # defaults of the config keys ``LEASE_SECONDS`` and ``RETRY_HOURS``


class Unbuildable(Exception):
    """The message cannot be built from what is stored: retrying would fail the same way."""


class Composer:
    """What a service tells the worker about its messages; the default sends stored messages as they are.

    Every hook runs inside the pass's transaction; whatever it adds to the
    session is committed with the row's outcome (or rolled back on a
    temporary failure).
    """

    def prepare(self, rows: list, now: datetime) -> None:
        """Load in bulk what the rows of one claimed batch need (one query per batch, not per row).

        What it adds to the session is committed before the batch is sent.
        """

    def obsolete(self, row, now: datetime) -> str | None:
        """Why ``row`` should not be sent any more, or None."""
        return None

    def build(self, row, now: datetime) -> tuple[Message | bytes, str]:
        """The message for ``row`` and its one recipient."""
        return row.body, row.recipient

    def sent(self, row, now: datetime) -> None:
        """``row`` was accepted by the server."""

    def bounced(self, row, now: datetime) -> None:
        """``row`` was refused for good."""

    def fork(self) -> Composer:
        """The composer of another connection of the same pass (its own thread): a fresh one if this one keeps
        state between calls. The default keeps none."""
        return self


class MarkFailed(Exception):
    """A "sent" mark could not be committed: the pass stops, so no further message goes out unrecorded."""


class _Statement:
    """One statement at a time on a pooled connection's libpq handle, sent without waiting for its answer."""

    def __init__(self, conn):
        self.conn = conn
        self.pg = conn.connection.driver_connection.pgconn
        self.busy = False

    def send(self, sql: bytes, parameters: list[bytes]) -> None:
        self.pg.send_query_params(sql, parameters)
        self.busy = True

    def answered(self, timeout: float) -> bool:
        """Read the answer if it came within ``timeout`` seconds (0: only look); raises if the statement failed."""
        from psycopg import pq

        if not self.busy:
            return True
        deadline = time.monotonic() + timeout
        self.pg.consume_input()
        while self.pg.is_busy():
            left = deadline - time.monotonic()
            if left <= 0:
                if timeout:
                    raise TimeoutError("no answer from the database")
                return False
            if readable([self.pg.socket], [], [], left)[0]:
                self.pg.consume_input()
        self.busy = False
        failed = False
        while (result := self.pg.get_result()) is not None:
            failed = failed or result.status != pq.ExecStatus.COMMAND_OK
        if failed:
            raise RuntimeError("the statement failed")
        return True


class Marks:
    """Writes "sent" marks: one autocommitted UPDATE each, on a connection held for the pass.

    One round trip a message, where a session commit also pays BEGIN, the
    pool's reset and its pre-ping. SQLite commits are cheap and run at once,
    on the driver's connection: SQLAlchemy's execute (compiled-cache lookup,
    parameter processing, result) cost as much again as SQLite's UPDATE.

    On PostgreSQL a commit that waits for its WAL to reach the disk costs
    more than a whole message's SMTP exchange, so a mark is *committed* at
    once and made *durable* together with the marks after it (a group
    commit), on two connections:

    - the marks connection, ``synchronous_commit = off``: each mark is sent as
      libpq's asynchronous query, so the server commits it while the worker
      builds the next message and talks to the SMTP server; :meth:`wait`
      (called before that message's final ``.``) reads the answer, which
      comes once the commit is in the server's memory. A crash of the
      *worker*, SIGKILL included, never loses a committed mark: the server
      writes it to disk on its own (within ``3 x wal_writer_delay``).
    - the flush connection, at the server's ``synchronous_commit`` (``on``):
      whenever it is idle, the newest committed mark is written again there
      (the same UPDATE, same values). Its commit returns once the WAL is on
      disk up to its own commit record, which covers every mark committed
      before it on the other connection: one disk flush makes all the marks
      since the previous one durable, while the next messages go out.

    Before a message's final ``.``, at most ``unflushed - 1`` marks may be
    committed and not yet known durable; otherwise :meth:`wait` waits for
    the flush. So a crash of the *database server* (or of its machine)
    forgets at most the marks of the last ``unflushed`` messages delivered
    (in practice fewer: the server also flushes within 0.6 s), and those go
    out once more after their lease, with the same Message-ID; a lost mark
    means a duplicate, never a message not sent. ``unflushed = 1`` waits for
    every mark's flush before the next message. Measured (bench/reminders.py,
    2026-11-30): with each mark waiting for its own flush the worker waited
    1.4 ms a message for the database at load 17, with this 0.3 ms; on a
    quieter machine, where a flush outlasts a whole message, the worker
    reached 0.25 of the plain smtplib loop with each mark durable and 0.50
    with marks not waiting for the disk at all.

    SQLite: ``synchronous=NORMAL`` (:mod:`docbox_shared.database`): a crash
    of the worker loses no commit; a power cut or a crash of the machine's
    operating system may forget the commits since the last checkpoint.
    """

    TIMEOUT = 30.0   # seconds to wait for the database's answer to a mark

    def __init__(self, db, model, unflushed: int = 1):
        self.window = max(1, unflushed)
        self.conn = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        self.pending = self.flush = None
        self.committed = self.flushing = self.durable = 0   # marks committed / in the flush under way / durable
        self.params = self.last = None
        self.broken = False
        self.driver_sql: tuple[str, list] | None = None   # SQLite: the mark's SQL and its parameters' converters
        if db.engine.dialect.name == "postgresql":
            self.conn.exec_driver_sql("SET synchronous_commit = off")
            self.pending = _Statement(self.conn)
            self.flush = _Statement(db.engine.connect().execution_options(isolation_level="AUTOCOMMIT"))
            quote = db.engine.dialect.identifier_preparer.quote
            table = model.__table__
            sets = ["status = 'sent'", "sent_at = $2", "lease_until = NULL", "last_error = NULL"]
            if "body" in table.c:
                sets.append("body = NULL")
            self.sql = f"UPDATE {quote(table.name)} SET {', '.join(sets)} WHERE id = $1".encode()

    def mark(self, statement, parameters: dict) -> None:
        self.wait()
        try:
            if self.pending is None:
                sql, converters = self.driver_sql or self._compile(statement)
                self.conn.connection.driver_connection.execute(
                    sql, [convert(parameters[key] if key in parameters else value) for key, value, convert in converters])
            else:
                self.params = [str(parameters["mark_id"]).encode(), parameters["sent_at"].isoformat().encode()]
                self.pending.send(self.sql, self.params)
        except Exception as exc:
            raise MarkFailed() from exc

    def _compile(self, statement) -> tuple[str, list]:
        """``statement``'s SQL and, in its parameters' order, ``(key, value if not given, type converter)``."""
        dialect = self.conn.dialect
        compiled = statement.compile(dialect=dialect)
        converters = []
        for name in compiled.positiontup:
            bind = compiled.binds[name]
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            converters.append((bind.key, bind.effective_value, processor or (lambda value: value)))
        self.driver_sql = compiled.string, converters
        return self.driver_sql

    def wait(self, durable: bool = False) -> None:
        """Return once the last mark is committed and, with those before it, durable but for ``unflushed - 1``
        (``durable``: all of them); :class:`MarkFailed` if they could not be."""
        if self.pending is None:
            return
        try:
            if self.pending.busy:
                self.pending.answered(self.TIMEOUT)
                self.committed, self.last = self.committed + 1, self.params
            self._flush(self.committed if durable else self.committed + 1 - self.window)
        except Exception as exc:
            self._drop()   # their state is unknown: the pool will not lend them again
            raise MarkFailed() from exc

    def _flush(self, need: int) -> None:
        """Wait for flushes until ``need`` marks are durable; start one when half the window is not.

        Starting a flush only once half the window waits spares the database a
        write and a flush per message when messages are slower than the disk.
        """
        while True:
            if self.flush.busy:
                if not self.flush.answered(self.TIMEOUT if self.durable < need else 0):
                    return
                self.durable = self.flushing
            if self.committed > self.durable and (self.durable < need or
                                                  self.committed - self.durable >= self.window // 2):
                self.flush.send(self.sql, self.last)
                self.flushing = self.committed
            if self.durable >= need:
                return

    def _drop(self) -> None:
        self.broken = True
        for statement in (self.pending, self.flush):
            statement.conn.invalidate()

    def close(self) -> None:
        """Wait until every mark is durable and give the connections back."""
        try:
            if self.broken:
                return
            self.wait(durable=True)
            if self.pending is not None:
                self.conn.exec_driver_sql("RESET synchronous_commit")   # the connection goes back to the pool
        finally:
            self.conn.close()
            if self.flush is not None:
                self.flush.conn.close()


class _Pass:
    """What the connections of one pass share: the ``limit`` left to claim, the counts, the errors.

    ``MAIL_CONNECTIONS`` (default 2) SMTP connections send at once, each in its own thread with its
    own database session, "sent" marks and batches, exactly as that many workers would: the claim
    never gives one row to two of them, and each keeps the commit policy above, so a SIGKILL
    sends again at most the one message each connection had in flight. Why more than one: the
    exchange with the SMTP server is synchronous, and while one connection waits for the server's
    answer (most of what the server spends on a message), another builds, sends and marks its
    own message. Why few: relays limit concurrent connections per client (Postfix's
    ``smtpd_client_connection_count_limit``, 50 by default; hosted relays often allow fewer), and
    the threads share one CPU for Python (the GIL): two hide most of the wait. The others open only once the first connection has sent a message of a full
    batch (more is due than a batch), and each opens its SMTP connection before it claims anything,
    so a relay that refuses it delays no row.
    """

    def __init__(self, limit: int | None, connections: int):
        self.left, self.connections = limit, connections
        self.counts: dict[str, int] = {}
        self.errors: list[Exception] = []
        self.lock = threading.Lock()

    def take(self, size: int) -> int:
        """How many rows a connection may claim now (``limit`` counts every row claimed and not given back)."""
        with self.lock:
            if self.left is None:
                return size
            size = min(size, self.left)
            self.left -= size
            return size

    def give_back(self, size: int) -> None:
        if self.left is not None and size:
            with self.lock:
                self.left += size

    def add(self, counts: dict[str, int]) -> None:
        with self.lock:
            for status, count in counts.items():
                self.counts[status] = self.counts.get(status, 0) + count


class MailQueue:
    """A service's mail queue: ``db`` its Flask-SQLAlchemy, ``model`` a :class:`.models.MailMixin` model."""

    def __init__(self, db, model, composer: Composer | None = None, *,
                 now: Callable[[], datetime] | None = None, batch: int = BATCH, unflushed: int = UNFLUSHED):
        self.db, self.model, self.composer = db, model, composer or Composer()
        self.now = now or (lambda: datetime.now(UTC))
        self.batch, self.unflushed = batch, unflushed

    # --- enqueueing (services that store their messages) -----------------------------------------

    def enqueue(self, *, key: str, recipient: str, message: EmailMessage, due_at: datetime | None = None,
                expires_at: datetime | None = None):
        """Add ``message`` for ``recipient`` alone to the session (the caller commits it with its cause).

        ``key`` makes it idempotent: a key already queued returns None. The
        message may name nobody but ``recipient`` (To is set if missing; Cc
        and Bcc are refused). A Message-ID derived from the key is set if the
        message has none, so a resend keeps it, and a Date (now, when it was
        written) likewise: RFC 5322 requires one and Gmail refuses mail without.
        """
        if message["Cc"] or message["Bcc"]:
            raise ValueError("a queued message goes to one recipient: no Cc or Bcc")
        named = {address.lower() for _, address in getaddresses(message.get_all("To", []))}
        if named - {recipient.lower()}:
            raise ValueError("a queued message goes to one recipient: To names someone else")
        if self.db.session.scalar(select(self.model.id).where(self.model.key == key)) is not None:
            return None
        if not message["To"]:
            message["To"] = recipient
        if not message["Message-ID"]:
            domain = parseaddr(current_app.config["MAIL_FROM"])[1].rpartition("@")[2] or "docbox.invalid"
            message["Message-ID"] = f"<{hashlib.sha256(key.encode()).hexdigest()[:40]}@{domain}>"
        now = self.now()
        if not message["Date"]:
            message["Date"] = format_datetime(now.astimezone(UTC))
        row = self.model(key=key, message_id=message["Message-ID"], recipient=recipient,
                         body=message.as_bytes(policy=POLICY),
                         due_at=due_at or now, expires_at=expires_at, status="pending", attempts=0, created_at=now)
        self.db.session.add(row)
        return row

    # --- claiming --------------------------------------------------------------------------------

    def _lease(self) -> timedelta:
        return timedelta(seconds=current_app.config.get("LEASE_SECONDS", LEASE_SECONDS))

    def claim(self, now: datetime, size: int) -> list:
        """Claim up to ``size`` due rows (first those whose worker died, then the oldest due); commits."""
        M, session = self.model, self.db.session
        # Two single-status queries, so each walks its index in order instead of sorting every due row.
        due = ((and_(M.status == "sending", M.lease_until <= now), M.lease_until),
               (and_(M.status == "pending", M.due_at <= now), M.due_at))
        ids: list[int] = []
        for condition, order in due:
            query = select(M.id).where(condition).order_by(order).limit(size - len(ids))
            if self.db.engine.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            ids += session.scalars(query).all()
            if len(ids) >= size:
                break
        if not ids:
            session.commit()
            return []
        claimed = set(session.scalars(
            update(M).where(M.id.in_(ids), or_(*(condition for condition, _ in due)))
            .values(status="sending", lease_until=now + self._lease(), attempts=M.attempts + 1)
            .returning(M.id), execution_options={"synchronize_session": False}).all())
        session.commit()
        rows = {row.id: row for row in session.scalars(
            select(M).where(M.id.in_(claimed)).execution_options(populate_existing=True))}
        return [rows[i] for i in ids if i in rows]

    def release(self, ids: list[int]) -> None:
        """Give claimed, unsent rows back at once (SIGTERM, server down, lease half gone, an error); commits."""
        if ids:
            M = self.model
            self.db.session.execute(update(M).where(M.id.in_(ids), M.status == "sending")
                                    .values(status="pending", lease_until=None, attempts=M.attempts - 1),
                                    execution_options={"synchronize_session": False})
            self.db.session.commit()

    # --- one pass --------------------------------------------------------------------------------

    def run_pass(self, limit: int | None = None, should_stop: Callable[[], bool] = lambda: False) -> dict[str, int]:
        """Send every due message (at most ``limit``); returns counts by outcome.

        ``should_stop`` is asked between messages (SIGTERM lets the current one finish). Up to
        ``MAIL_CONNECTIONS`` SMTP connections send at once (see :class:`_Pass`).
        """
        shared = _Pass(limit, max(1, int(current_app.config.get("MAIL_CONNECTIONS", 1))))
        app = current_app._get_current_object()
        others: list[threading.Thread] = []

        def full_batch() -> None:   # more is due than a batch, and the first connection sends: open the others, once
            while len(others) < shared.connections - 1:
                others.append(threading.Thread(target=self._other_connection, args=(app, shared, should_stop),
                                               name=f"mail-connection-{len(others) + 2}"))
                others[-1].start()

        try:
            self._connection(shared, self.composer, should_stop, full_batch)
        finally:
            for thread in others:
                thread.join()
        if shared.errors:
            raise shared.errors[0]
        return shared.counts

    def _other_connection(self, app: Flask, shared: _Pass, should_stop: Callable[[], bool]) -> None:
        """A further connection of the pass, in its own thread, application context and database session.

        It opens its SMTP connection before it claims anything: a relay that refuses one more
        connection (a 421 greeting, a refused connect) leaves every due row to the connections it
        did accept, neither claimed nor deferred.
        """
        with app.app_context():
            try:
                self._connection(shared, self.composer.fork(), should_stop, connect_first=True)
            except Exception as exc:  # noqa: BLE001 - raised by run_pass once every connection has ended
                shared.errors.append(exc)

    def _connection(self, shared: _Pass, composer: Composer, should_stop: Callable[[], bool],
                    full_batch: Callable[[], None] = lambda: None, connect_first: bool = False) -> None:
        """One SMTP connection's share of a pass: claim a batch, send it, mark each message; until none is due."""
        lease_seconds = self._lease().total_seconds()
        mailer = Mailer(current_app.config, timeout=max(1.0, min(30.0, lease_seconds / 3)))
        counts: dict[str, int] = {}
        session = self.db.session()
        expire = session.expire_on_commit
        session.expire_on_commit = False   # a batch is read once, not after every per-message commit
        marks: Marks | None = None
        finished = cut = False
        # The claimed batch's ids; from ``sending`` on, not sent yet (the first perhaps in flight).
        batch_ids, sending, claimed_at = [], 0, time.monotonic()
        try:
            if connect_first:
                try:
                    mailer.open()
                except TemporaryFailure:
                    log.info("the SMTP server refused one more connection; the others send the pass's mail")
                    finished = True
                    return
            marks = Marks(self.db, self.model, self.unflushed)
            down = False
            while not down and not should_stop():
                size = shared.take(self.batch)
                now = self.now()
                rows = self.claim(now, size) if size else []
                shared.give_back(size - len(rows))
                if not rows:
                    break
                claimed_at = time.monotonic()
                batch_ids, sending = [r.id for r in rows], 0
                composer.prepare(rows, now)
                session.commit()   # what prepare wrote for the batch, before anything is sent
                for sending, row in enumerate(rows):
                    if down or should_stop() or time.monotonic() - claimed_at > lease_seconds / 2:
                        self.release(batch_ids[sending:])
                        shared.give_back(len(rows) - sending)
                        break
                    status = self._send_one(row, composer, mailer, marks)
                    if status == "sent" and len(rows) == self.batch:
                        full_batch()   # once this connection is open: a relay's limit never turns away the first
                    down = status == "down"
                    status = "pending" if down else status
                    counts[status] = counts.get(status, 0) + 1
                batch_ids = []
                marks.wait()
            finished = True
        except (MarkFailed, DBAPIError):
            cut = True   # the database connection failed (a failover, a restart), not the code
            raise
        finally:
            shared.add(counts)
            mailer.close()
            session.expire_on_commit = expire
            try:
                if marks is not None:
                    marks.close()
                # After an error (a cut connection, say) the transaction is dead: committing it would
                # only raise PendingRollbackError over the real cause.
                if finished:
                    session.commit()
                else:
                    session.rollback()
                    if cut:
                        self._give_back(batch_ids[sending:], claimed_at, lease_seconds)
            finally:
                self.db.session.remove()

    def _give_back(self, unsent: list[int], claimed_at: float, lease_seconds: float) -> None:
        """After a database error mid-batch, give its unsent rows back on a new connection, so that a
        connection cut (a failover, a restart) delays them by a pass, not by the lease; the one that was in
        flight goes out again (same Message-ID), as it would after the lease. While the database does not
        answer, or once half the lease has passed (another worker may hold them), they wait out their lease;
        after any other error (a bug) too, so a failing batch is retried at the lease's pace, not every pass."""
        if not unsent or time.monotonic() - claimed_at > lease_seconds / 2:
            return
        try:
            self.release(unsent)
        except Exception:  # noqa: BLE001 - the database is still away: the lease brings them back
            self.db.session.rollback()
            log.warning("claimed mail waits for its lease", extra={"count": len(unsent)})

    def _send_one(self, row, composer: Composer, mailer: Mailer, marks) -> str:
        """Build, send and record one claimed row; commits its outcome. ``"down"``: the server is unreachable."""
        row_id, now = row.id, self.now()
        try:
            reason = self._obsolete(row, composer, now)
            if reason:
                self._finish(row, "dropped", reason)
            else:
                try:
                    msg, recipient = composer.build(row, now)
                except Exception as exc:  # noqa: BLE001 - e.g. a line break in a subject stored before input refused it
                    raise Unbuildable(exc) from exc
                mailer.send(msg, recipient, ready=marks.wait)
                self._mark_sent(row, now, marks)
                composer.sent(row, now)
                log.info("delivery sent", extra={"delivery_id": row_id})
            self._commit()
            return row.status
        except PermanentFailure as exc:
            self._finish(row, "bounced", str(exc))
            composer.bounced(row, now)
            self.db.session.commit()
            log.warning("delivery bounced", extra={"delivery_id": row_id})
            return "bounced"
        except TemporaryFailure as exc:
            status = self._defer(row_id, str(exc), now, None)
            log.warning("delivery deferred" if status == "pending" else "delivery failed",
                        extra={"delivery_id": row_id})
            return "down" if exc.server_down else status
        except MarkFailed:
            raise   # the database is failing: the loop retries later; this row is sent again after its lease
        except Unbuildable as exc:
            cause = type(exc.__cause__).__name__
            self.db.session.rollback()
            row = self.db.session.get(self.model, row_id)
            if row is not None:
                self._finish(row, "failed", f"the message could not be built ({cause})")
                self.db.session.commit()
            log.error("delivery failed: message could not be built", extra={"delivery_id": row_id, "error": cause})
            return "failed"
        except Exception as exc:  # noqa: BLE001 - a bug or a bad row must not stall the queue
            mailer.close()
            # The exception text may quote message content; log only its type.
            log.error("delivery crashed", extra={"delivery_id": row_id, "error": type(exc).__name__})
            return self._defer(row_id, f"internal error: {type(exc).__name__}", now, MAX_BACKOFF)

    def _mark_sent(self, row, now: datetime, marks) -> None:
        """Record ``row`` sent, durably, before the next message goes out.

        What building the message wrote (e.g. a token's hash) is committed with
        the mark in one transaction; a message built without touching the
        database (the session holds no transaction: nothing was read or
        written, so no lock is held either) is marked with one autocommitted
        UPDATE.
        """
        if self._holds_changes():
            self._finish(row, "sent", None, sent_at=now)
            self.db.session.commit()
            return
        marks.mark(self._sent_statement, {"mark_id": row.id, "sent_at": now})
        for name, value in (("status", "sent"), ("sent_at", now), ("lease_until", None), ("last_error", None)):
            set_committed_value(row, name, value)

    def _holds_changes(self) -> bool:
        session = self.db.session()
        return session.in_transaction() or bool(session.new or session.dirty or session.deleted)

    def _commit(self) -> None:
        """Commit the session, unless it holds nothing (most sent messages): an empty commit costs 20 µs."""
        if self._holds_changes():
            self.db.session.commit()

    @functools.cached_property
    def _sent_statement(self):
        """The one UPDATE of every "sent" mark, built once (SQLAlchemy then reuses its compiled form)."""
        table = self.model.__table__
        values = {"status": "sent", "sent_at": bindparam("sent_at"), "lease_until": None, "last_error": None}
        if "body" in table.c:
            values["body"] = None
        return update(table).where(table.c.id == bindparam("mark_id")).values(**values)

    def _obsolete(self, row, composer: Composer, now: datetime) -> str | None:
        if row.expires_at is not None and row.expires_at <= now:
            return "too late to be useful"
        return composer.obsolete(row, now)

    def _finish(self, row, status: str, error: str | None, sent_at: datetime | None = None) -> None:
        row.status, row.lease_until, row.last_error = status, None, error
        if sent_at is not None:
            row.sent_at = sent_at
        if status in FINAL and hasattr(row, "body"):
            row.body = None   # what was written to someone does not outlive its delivery

    def _defer(self, row_id: int, error: str, now: datetime, backoff: timedelta | None) -> str:
        """Not sent: roll back what the message added, retry later or give up after RETRY_HOURS; commits."""
        self.db.session.rollback()
        row = self.db.session.get(self.model, row_id)
        if row is None:
            return "dropped"
        first = row.first_failure_at or now
        row.first_failure_at, row.last_error, row.lease_until = first, error, None
        if now - first >= timedelta(hours=current_app.config.get("RETRY_HOURS", RETRY_HOURS)):
            self._finish(row, "failed", error)
        else:
            if backoff is None:   # exponential, with jitter so a queue deferred together does not return together
                backoff = min(timedelta(minutes=2 ** min(row.attempts - 1, 10)), MAX_BACKOFF) * random.uniform(1.0, 1.2)
            row.status, row.due_at = "pending", now + backoff
        self.db.session.commit()
        return row.status

    # --- how it fares (health pages) --------------------------------------------------------------

    def counts(self, days: int, *where) -> dict[str, int]:
        """How the queue fares, numbers only (never an address nor a message), for a health page.

        ``failed`` (given up after a day of temporary errors) and ``bounced`` (refused for good) whose
        last attempt was in the last ``days``; ``retrying`` (a temporary error, tried again later) with
        ``oldest_retrying_seconds`` since its first error; ``due`` (due now, not yet sent: the worker's
        queue) with ``oldest_due_seconds``. An ``oldest_*`` is left out when there is none. ``where``:
        conditions on the rows counted (mail a service keeps off its page).
        """
        from ..clock import aware

        now, M = self.now(), self.model
        since = now - timedelta(days=days)

        def number(*conditions) -> int:
            return self.db.session.scalar(select(func.count()).select_from(M).where(*conditions, *where))

        def seconds_since(column, *conditions) -> int | None:
            oldest = self.db.session.scalar(select(func.min(column)).where(*conditions, *where))
            return None if oldest is None else max(0, int((now - aware(oldest)).total_seconds()))

        retrying = (M.status == "pending", M.first_failure_at.is_not(None))
        due = (M.status == "pending", M.due_at <= now)
        counts = {"days": days, "failed": number(M.status == "failed", M.due_at >= since),
                  "bounced": number(M.status == "bounced", M.due_at >= since),
                  "retrying": number(*retrying), "due": number(*due),
                  "oldest_retrying_seconds": seconds_since(M.first_failure_at, *retrying),
                  "oldest_due_seconds": seconds_since(M.due_at, *due)}
        return {name: value for name, value in counts.items() if value is not None}

    # --- metrics ---------------------------------------------------------------------------------

    def register_gauges(self, app: Flask) -> None:
        """Queue depth and failures on /metrics (counts only, never an address)."""
        from ..metrics import gauge

        M = self.model

        def count(*conditions):
            return lambda: self.db.session.scalar(select(func.count()).select_from(M).where(*conditions))

        gauge(app, "docbox_mail_due", "Messages due now and not yet sent (the worker's queue).",
              lambda: count(M.status == "pending", M.due_at <= self.now())())
        gauge(app, "docbox_mail_pending", "Messages planned and not yet sent, due or not.", count(M.status == "pending"))
        gauge(app, "docbox_mail_failed", "Messages given up after a day of temporary failures.",
              count(M.status == "failed"))
        gauge(app, "docbox_mail_bounced", "Messages refused for good by the recipient's server.",
              count(M.status == "bounced"))
