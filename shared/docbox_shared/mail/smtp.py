"""Talking to the SMTP server: one connection per pass, and what its answers mean.

- *temporary failure*: connection refused or lost, timeout, any 4xx, or a 5xx
  that is not about the recipient (sender refused, authentication): try again
  later. ``server_down`` says the server could not be reached at all, so the
  rest of the pass waits too.
- *permanent failure* (a bounce): a 5xx for the recipient, at RCPT or DATA.

Every error text is scrubbed of addresses before anyone stores or logs it.
The settings are the same for every service (``DOCBOX_SMTP_*``,
``DOCBOX_MAIL_FROM``): add :data:`SMTP_SETTINGS` to the service's list.
"""

from __future__ import annotations

import re
import smtplib
import socket
import ssl
from collections.abc import Callable
from email import policy
from email.message import Message
from email.utils import parseaddr

from ..settings import Setting


def one_mailbox(value: str) -> str:
    """``value`` if it is one sender (``Doc Box <docbox@example.org>``) an SMTP envelope carries, else ValueError.

    An unquoted comma or colon in the name makes two mailboxes or a group, and the
    envelope sender became a fragment of the name: every mail went out broken.
    """
    header = policy.default.header_factory("From", value)
    mailboxes = header.addresses
    if (len(mailboxes) != 1 or header.groups[0].display_name is not None or header.defects
            or not mailboxes[0].domain or not mailboxes[0].addr_spec.isascii()):
        raise ValueError(f"must be one sender like 'Doc Box <docbox@example.org>' (quote a name holding , : or ; "
                         f"and write the domain in its xn-- form), not {value!r}")
    return value


def connections(value: str) -> int:
    """A number of SMTP connections: 1 or more."""
    if int(value) < 1:
        raise ValueError(f"must be 1 or more, not {value!r}")
    return int(value)


SMTP_SETTINGS = [
    Setting("DOCBOX_SMTP_HOST", "SMTP_HOST", "127.0.0.1", "SMTP server host."),
    Setting("DOCBOX_SMTP_PORT", "SMTP_PORT", 1025, "SMTP server port (1025: the `mailsink` of `make run`).", int),
    Setting("DOCBOX_SMTP_USERNAME", "SMTP_USERNAME", "", "SMTP login (empty: no AUTH)."),
    Setting("DOCBOX_SMTP_PASSWORD", "SMTP_PASSWORD", "", "SMTP password."),
    Setting("DOCBOX_SMTP_TLS", "SMTP_TLS", "none",
            "`none`, `starttls` or `tls` (implicit TLS, usually port 465)."),
    Setting("DOCBOX_MAIL_CONNECTIONS", "MAIL_CONNECTIONS", 2,
            "SMTP connections a worker sends through at once (relays limit them per client).", connections),
    Setting("DOCBOX_MAIL_FROM", "MAIL_FROM", "Doc Box <docbox@localhost>", "From address of every message.",
            one_mailbox),
]

_ADDRESS = re.compile(r"[^\s<>@\"']+@[^\s<>\"']+")
_LEADING_DOT = re.compile(rb"(?m)^\.")   # dot-stuffing (RFC 5321 4.5.2), as smtplib does it


def scrub(text: str) -> str:
    """``text`` without email addresses, at most 500 characters: safe to store and log."""
    return _ADDRESS.sub("<address>", text)[:500]


class TemporaryFailure(Exception):
    def __init__(self, detail: str, server_down: bool = False):
        super().__init__(detail)
        self.server_down = server_down


class PermanentFailure(Exception):
    """The recipient's server refused the message for good (a bounce)."""


class Mailer:
    """One SMTP connection, opened on first use and reused for every message of a pass."""

    def __init__(self, config, timeout: float = 30.0):
        self.config = config
        self.conn: smtplib.SMTP | None = None
        self.sender = parseaddr(config["MAIL_FROM"])[1]
        self.timeout = timeout

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
        # The final "." of a message goes alone (see _transaction): not held back waiting for an ACK.
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return conn

    def open(self) -> None:
        """Connect now rather than at the first message; :class:`TemporaryFailure` if the server refuses."""
        try:
            if self.conn is None:
                self.conn = self._connect()
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise TemporaryFailure(scrub(f"{type(exc).__name__}: {exc}"), server_down=True) from exc

    def send(self, msg: Message | bytes, recipient: str, ready: Callable[[], None] = lambda: None) -> None:
        """Send ``msg`` to ``recipient`` alone, whatever its headers say; raises one of the failures.

        ``ready()`` is called once the server has sender, recipient and
        content, and before the final ``.`` that makes it take the message:
        the worker waits there for the previous message's "sent" mark (see
        :mod:`.queue`).
        """
        data = msg if isinstance(msg, bytes) else msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))
        try:
            if self.conn is None:
                self.conn = self._connect()
            self._transaction(self.conn, data, recipient, ready)
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            self._classify(code, text)
        except smtplib.SMTPDataError as exc:
            self._classify(exc.smtp_code, exc.smtp_error)
        except smtplib.SMTPConnectError as exc:   # a greeting that turns us away (421 too many connections ...)
            self.close()
            raise TemporaryFailure(scrub(f"{exc.smtp_code} {_text(exc.smtp_error)}"), server_down=True)
        except smtplib.SMTPResponseException as exc:  # sender refused, auth, ...: not the recipient's fault
            self.close()
            raise TemporaryFailure(scrub(f"{exc.smtp_code} {_text(exc.smtp_error)}"))
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            down = isinstance(exc, (ConnectionRefusedError, TimeoutError))
            raise TemporaryFailure(scrub(f"{type(exc).__name__}: {exc}"), server_down=down)

    def _transaction(self, conn: smtplib.SMTP, data: bytes, recipient: str, ready: Callable[[], None]) -> None:
        """``smtplib.SMTP.sendmail`` for one recipient, with ``ready()`` between RCPT and DATA."""
        conn.ehlo_or_helo_if_needed()
        code, text = _command(conn, "mail", "FROM:", self.sender)
        if code != 250:
            conn.rset()
            raise smtplib.SMTPSenderRefused(code, text, self.sender)
        code, text = _command(conn, "rcpt", "TO:", recipient)
        if code not in (250, 251):
            conn.rset()
            raise smtplib.SMTPRecipientsRefused({recipient: (code, text)})
        conn.putcmd("data")
        code, text = conn.getreply()
        if code != 354:
            conn.rset()
            raise smtplib.SMTPDataError(code, text)
        # The message, as smtplib.SMTP.data sends it, but the final "." (what makes the server take it)
        # only once ready() returned: the previous mark's commit overlaps this whole exchange.
        content = _LEADING_DOT.sub(b"..", data)
        conn.send(content if content.endswith(b"\r\n") else content + b"\r\n")
        try:
            ready()
        except BaseException:
            conn.close()   # no QUIT (it would be read as content): the server drops a message whose "." never came
            self.conn = None
            raise
        conn.send(b".\r\n")
        code, text = conn.getreply()
        if code != 250:
            conn.rset()
            raise smtplib.SMTPDataError(code, text)

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


_PLAIN = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+")


def _command(conn: smtplib.SMTP, verb: str, prefix: str, address: str) -> tuple[int, bytes]:
    """``MAIL FROM:<address>`` or ``RCPT TO:<address>``, as ``conn.mail``/``conn.rcpt`` send it.

    smtplib parses the address again for every command (``email.utils.parseaddr``,
    a tenth of a millisecond, as much as the rest of the message's SMTP
    conversation costs the client); a plain ASCII address is written as
    it is, anything else goes through smtplib's own quoting.
    """
    if not _PLAIN.fullmatch(address):
        return conn.mail(address) if verb == "mail" else conn.rcpt(address)
    conn.putcmd(verb, f"{prefix}<{address}>")
    return conn.getreply()


def _text(value) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)
