"""A real SMTP server (aiosmtpd) on a free port that keeps every message it accepts.

``SmtpSink`` has knobs for the failure modes of a mail server: ``stop()`` and
``start()`` it (server down), ``rcpt_reply`` answers each recipient with an
SMTP error, ``data_delay`` acknowledges a message late, ``max_connections``
greets each connection beyond it with "421 too many connections" and hangs up
(as relays that limit connections per client do); ``open`` counts the
connections it holds. The ``smtp`` fixture (tests/conftest.py) gives one per test.
"""

from __future__ import annotations

import asyncio
import email
import re
import threading
from datetime import datetime
from email import policy
from email.header import decode_header, make_header
from email.utils import parseaddr, parsedate_to_datetime

import icalendar
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP


class Received:
    """One message as the SMTP server got it."""

    def __init__(self, envelope):
        self.mail_from = envelope.mail_from
        self.rcpt_tos = list(envelope.rcpt_tos)
        self.raw = envelope.original_content or envelope.content
        self.msg = email.message_from_bytes(self.raw, policy=policy.default)

    def __getitem__(self, header):
        return self.msg[header]

    @property
    def text(self) -> str:
        return self.msg.get_body(("plain",)).get_content()

    def calendar_parts(self):
        return [p for p in self.msg.walk() if p.get_content_type() == "text/calendar"]

    def invitation(self) -> tuple[str, bytes]:
        """The iMIP invitation's method and calendar bytes, in the structure Google Calendar sends
        (and Outlook shows its accept bar, Gmail its event card, for; neither runs here)::

            multipart/mixed [multipart/alternative [text/plain, text/calendar; method=M], application/ics]

        The calendar is inline (no Content-Disposition), its ``method`` parameter is its METHOD,
        icalendar reads it, and the attached file holds the same bytes.
        """
        assert self.msg.get_content_type() == "multipart/mixed"
        alternative, attached = self.msg.get_payload()
        assert alternative.get_content_type() == "multipart/alternative"
        plain, calendar = alternative.get_payload()
        assert (plain.get_content_type(), calendar.get_content_type()) == ("text/plain", "text/calendar")
        assert calendar.get_content_disposition() is None and calendar.get_content_charset() == "utf-8"
        assert self.msg.get_body(("plain",)) is plain
        assert (attached.get_content_type(), attached.get_content_disposition()) == ("application/ics", "attachment")
        ics, method = calendar.get_payload(decode=True), calendar.get_param("method")
        assert attached.get_payload(decode=True) == ics
        assert attached.get_filename() == {"REQUEST": "invite.ics", "CANCEL": "cancel.ics"}[method]
        assert icalendar.Calendar.from_ical(ics)["METHOD"] == method
        assert not any(part.defects for part in self.msg.walk())
        return method, ics

    def origination_date(self) -> datetime:
        """The one Date header, as a mail provider reads the raw header section (RFC 5322 3.6: it must be there).

        Also what every provider checks of the head: ASCII, CRLF line ends, lines of at most 998
        octets, one From, one To naming the one recipient, one Message-ID, no Cc or Bcc.
        """
        head = self.raw.split(b"\r\n\r\n", 1)[0]
        assert head.isascii() and b"\n" not in head.replace(b"\r\n", b"") and b"\r" not in head.replace(b"\r\n", b"")
        assert all(len(line) <= 998 for line in head.split(b"\r\n"))
        names = [line.split(b":", 1)[0].lower() for line in head.split(b"\r\n") if line[:1] not in (b" ", b"\t")]
        for name in (b"from", b"to", b"message-id"):
            assert names.count(name) == 1, f"{name.decode()} appears {names.count(name)} times in\n{head.decode()}"
        assert b"cc" not in names and b"bcc" not in names
        assert [a.addr_spec for a in self.msg["To"].addresses] == self.rcpt_tos
        assert names.count(b"date") == 1, f"no single Date header in\n{head.decode()}"
        return parsedate_to_datetime(self.msg["Date"])

    def links(self, kind: str, base: str = "https://docbox.test") -> list[str]:
        """Tokens of the ``base/<kind>/<token>`` links (confirm, manage, unsubscribe) in the text."""
        return re.findall(rf"{re.escape(base)}/{kind}/([A-Za-z0-9_-]+)", self.text)


class _CountingSMTP(SMTP):
    """aiosmtpd's server, counting its open connections and refusing those beyond the sink's ``max_connections``."""

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        sink = self.event_handler
        with sink.lock:
            sink.open += 1
            refuse = sink.max_connections is not None and sink.open > sink.max_connections
        if refuse:   # before the greeting the handler would send: the client reads this as its greeting
            sink.refused += 1
            transport.write(b"421 4.7.0 Too many connections from your host, try again later\r\n")
            transport.close()

    def connection_lost(self, error) -> None:
        with self.event_handler.lock:
            self.event_handler.open -= 1
        super().connection_lost(error)


class _Controller(Controller):
    def factory(self):
        return _CountingSMTP(self.handler, **self.SMTP_kwargs)


class SmtpSink:
    """A real SMTP server for the tests, with knobs for failure modes."""

    def __init__(self, port: int):
        self.port = port
        self.messages: list[Received] = []
        self.lock = threading.Lock()
        self.rcpt_reply: str | None = None    # e.g. "450 mailbox busy", "550 no such user"
        self.data_delay = 0.0
        self.max_connections: int | None = None
        self.open = self.refused = 0
        self.controller: Controller | None = None

    # aiosmtpd handler hooks
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append(Received(envelope))
        if self.data_delay:
            # Slow to acknowledge: a client killed now has delivered a message it never heard about.
            await asyncio.sleep(self.data_delay)
        return "250 Message accepted"

    def start(self) -> None:
        self.controller = _Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def to(self, address: str) -> list[Received]:
        return [m for m in self.messages if m.rcpt_tos == [address]]

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()


# Display names as people and operators write them: non-ASCII, near and past the 78-character line,
# with a comma, quotes and parentheses (each of which RFC 5322 lets only a quoted-string or an
# RFC 2047 encoded-word carry in a name).
DISPLAY_NAMES = [
    "Dr. Zoë Ångström-Łukasiewicz, MD",
    "Équipe Doc Box — Département de médecine interne, Hôpital Universitaire de Genève",
    'Zoë "Zo" Ångström (peer support), Łódź',
    "Department of Anesthesiology, Perioperative and Pain Medicine: Peer Support",
    "Łukasz Żółć-Gęślą Ångström Dvořák",
]


def mailbox_as_read(received: Received, header: str) -> tuple[str, str]:
    """``header``'s one (display name, address), checked as a mail client reads the raw bytes.

    The head is ASCII with lines of at most 78 characters; Python's modern parser and an RFC 2047
    reading (compat32's address parsing, then email.header's decoding of the name, which ignores
    the space between two adjacent encoded-words as RFC 2047 section 6.2 asks) agree on the name.
    """
    head = received.raw.split(b"\r\n\r\n", 1)[0]
    assert head.isascii() and all(len(line) <= 78 for line in head.split(b"\r\n")
                                  if not line.startswith(b"List-Unsubscribe:")), head.decode()
    [mailbox] = received.msg[header].addresses
    old = email.message_from_bytes(received.raw, policy=policy.compat32)
    name, address = parseaddr(re.sub(r"\r?\n(?=[ \t])", "", old[header]))   # unfolded, as RFC 5322 2.2.3 says
    rfc2047 = str(make_header(decode_header(name)))
    assert (rfc2047, address) == (mailbox.display_name, mailbox.addr_spec), head.decode()
    return mailbox.display_name, mailbox.addr_spec


def written_mailbox(name: str, address: str) -> str:
    """``name <address>`` as an operator writes DOCBOX_MAIL_FROM: the name as a quoted-string, as typed."""
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + f'" <{address}>'
