"""Mail delivery for any service: a durable queue in the service's own database.

A service adds a model with :class:`MailMixin` (messages built at send time)
or :class:`StoredMessageMixin` (messages written when enqueued, bodies
cleared once sent) to its metadata, adds :data:`SMTP_SETTINGS` to its
settings, and runs ``MailQueue(db, Model, composer).run_pass()`` in its
worker loop (:mod:`docbox_shared.loop`). Guarantees, whatever the service:
one recipient per message, retries with backoff for a day
(``RETRY_HOURS``), bounces and unbuildable messages parked as ``bounced`` /
``failed`` (never retried), and across any crash no message lost; a crash
of the worker (SIGKILL included) sends at most one twice per SMTP connection
(``DOCBOX_MAIL_CONNECTIONS``, default 2), a crash of the PostgreSQL server at
most ``UNFLUSHED`` (10) per connection, always with the same Message-ID (see
:mod:`.queue` for the commit policy).

    queue = MailQueue(db, Invitation)               # StoredMessageMixin: no composer needed
    queue.enqueue(key=f"invite:{staff.id}", recipient=staff.email, message=msg)
    db.session.commit()                             # with the change that caused the mail
    queue.run_pass()                                # in the worker

Display names in From and To are written so every mail client reads them as
given (:func:`.addresses.address_header`; :data:`POLICY` for messages built
with the email package, which the queue writes with it).
"""

from .addresses import POLICY, address_header
from .models import CLAIMABLE, FINAL, STATUSES, MailMixin, StoredMessageMixin
from .queue import BATCH, UNFLUSHED, Composer, MailQueue, Unbuildable
from .smtp import SMTP_SETTINGS, Mailer, PermanentFailure, TemporaryFailure, scrub

__all__ = ["POLICY", "address_header", "BATCH", "CLAIMABLE", "FINAL", "SMTP_SETTINGS", "STATUSES", "Composer", "MailMixin", "MailQueue",
           "Mailer", "PermanentFailure", "StoredMessageMixin", "TemporaryFailure", "UNFLUSHED", "Unbuildable", "scrub"]
