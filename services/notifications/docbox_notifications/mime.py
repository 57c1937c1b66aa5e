"""A message's bytes, written directly: the email package's header rules, without its per-message cost.

Building an ``EmailMessage`` parses every header it is given and flattens
the whole tree again when it is sent: about 2 ms a message, twice what an
SMTP server needs to take one. A reminder goes to hundreds of people with
the same subject and sender, so :func:`compose` writes the bytes itself:

- each header goes through the email package's own parsing, checks (a line
  break in a value is refused with ``ValueError``, as ``msg[name] = value``
  does) and folding (RFC 2047 for non-ASCII), cached by value, so a subject
  is folded once for all its recipients; short plain values that folding
  would leave as they are (an address, a Message-ID, a date) are written
  as they are; address headers with a display name are the kit's
  (:func:`docbox_shared.mail.address_header`: the name exact in every
  reader); ``raw`` headers are written unfolded (``List-Unsubscribe``);
  text holding ``=?`` or non-ASCII is encoded whole (RFC 2047), because the
  email package would read ``=?`` as an encoded-word and write out what it
  decodes to, line breaks included, and its folding loses the space between
  two words it encodes on separate lines; a written header whose line break does not continue it
  is refused with ``ValueError``;
- a text part is ``7bit`` when it is ASCII with short lines, else
  quoted-printable: readable in the source, and 7-bit clean, so no server
  on the way needs 8BITMIME (the email package would write ``8bit``);
- a text may come in chunks of whole lines: those marked :class:`Shared`
  (an occurrence's text and invitation) are encoded once for all its
  recipients, and only each one's own lines (links, attendee) per message.
  Quoted-printable works line by line, so the chunks' encodings joined are
  the whole text's;
- parts are separated by a random boundary starting ``=_``, which neither
  quoted-printable (``=`` is always followed by hex digits or a line break)
  nor text holding it by chance can contain (checked);
- an invitation is an inline alternative of the text, plus the same as a
  file (:func:`compose`).
"""

from __future__ import annotations

import binascii
import functools
import re
import secrets
from email import policy
from email.header import Header

from docbox_shared.mail.addresses import ADDRESS_HEADERS, address_header

POLICY = policy.SMTP   # CRLF line ends, as sent
_PLAIN = re.compile(r"[!-~]+(?: [!-~]+)*")   # printable ASCII, single spaces: nothing to encode or fold
_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+")   # a bare address: written as it is
_BREAK = re.compile(r"\r\n(?![ \t])|\r(?!\n)|(?<!\r)\n|\x00")   # a line break that ends the header, or a NUL


@functools.lru_cache(maxsize=4096)
def _folded(name: str, value: str) -> str:
    if name.lower() in ADDRESS_HEADERS:
        return address_header(name, value)
    if "=?" in value or not value.isascii():
        # Header() encodes the text as it is; header_store_parse would decode encoded-words in it, and its
        # folding drops the space between two words it puts in encoded-words on separate lines.
        if _BREAK.search(value):
            raise ValueError(f"The {name} header would hold a line break or NUL")
        folded = f"{name}: " + Header(value, "utf-8", header_name=name).encode(linesep="\r\n") + "\r\n"
    else:
        folded = POLICY.fold(*POLICY.header_store_parse(name, value))
    if _BREAK.search(folded[:-2]):
        raise ValueError(f"The {name} header would hold a line break or NUL")
    return folded


def header(name: str, value: str) -> str:
    """``Name: value`` with its line end, folded and encoded as the email package would write it."""
    if len(name) + len(value) <= 76 and _PLAIN.fullmatch(value) and "=?" not in value and \
            (name.lower() not in ADDRESS_HEADERS or _ADDRESS.fullmatch(value)):
        return f"{name}: {value}\r\n"
    return _folded(name, value)


def raw_header(name: str, value: str) -> str:
    if "\r" in value or "\n" in value:
        raise ValueError("Header values may not contain linefeed or carriage return characters")
    return f"{name}: {value}\r\n"


class Shared(str):
    """Text that many messages carry alike (an occurrence's text, its invitation): encoded once, cached by value.

    Only text marked so is cached: a message's own lines hold its capability token, which nothing keeps.
    """


def _encoded(text: str) -> tuple[str | None, str]:
    """``text``'s lines ending CRLF as they are (None if they cannot go 7bit), and quoted-printable."""
    data = "\r\n".join(text.splitlines()).encode() + b"\r\n"
    plain = text.isascii() and all(len(line) <= 78 for line in data.split(b"\r\n"))
    return data.decode() if plain else None, binascii.b2a_qp(data, istext=True).decode()


_encoded_shared = functools.lru_cache(maxsize=256)(_encoded)


def text_part(text: str | tuple[str, ...], content_type: str = 'text/plain; charset="utf-8"', head: str = "") -> str:
    """Headers and body of one text part (lines ending CRLF); ``text`` may be chunks, each of whole lines."""
    chunks = [(_encoded_shared if isinstance(chunk, Shared) else _encoded)(chunk)
              for chunk in ((text,) if isinstance(text, str) else text)]
    if all(plain is not None for plain, _ in chunks):
        cte, body = "7bit", "".join(plain for plain, _ in chunks)
    else:
        cte, body = "quoted-printable", "".join(qp for _, qp in chunks)
    return f"Content-Type: {content_type}\r\n{head}Content-Transfer-Encoding: {cte}\r\n\r\n{body}"


def multipart(subtype: str, parts: list[str]) -> str:
    """A ``multipart/<subtype>`` part of ``parts`` (each headers and body), with a boundary none of them holds."""
    boundary = "=_" + secrets.token_hex(16)
    while any(boundary in part for part in parts):
        boundary = "=_" + secrets.token_hex(16)
    inner = "".join(f"--{boundary}\r\n{part}\r\n" for part in parts)
    return f'Content-Type: multipart/{subtype};\r\n boundary="{boundary}"\r\n\r\n{inner}--{boundary}--\r\n'


def compose(headers: list[tuple[str, str]], raw: list[tuple[str, str]], text: str | tuple[str, ...],
            invitation: tuple[str | tuple[str, ...], str, str] | None = None) -> bytes:
    """The message: ``headers`` (folded), ``raw`` headers (as they are), a text body and an optional
    ``(calendar text, filename, iTIP method)`` invitation; each text may be chunks (see :func:`text_part`).

    An invitation is sent as Google Calendar sends one (RFC 6047 iMIP), the structure Outlook,
    Gmail, Apple Mail and Thunderbird all act on::

        multipart/mixed
          multipart/alternative
            text/plain                       the text
            text/calendar; method=REQUEST    the invitation, inline: Outlook's accept bar, Gmail's event card
          application/ics; name=invite.ics   the same calendar as a file, for clients that only offer attachments

    The calendar is an *alternative* of the text, as Microsoft's MIME mapping of meeting messages
    (MS-OXCMAIL 2.1.3.3.8) writes it; clients are reported to offer an iTIP part sent only as an
    attachment as a file, without the accept bar (not tried here: no Outlook or Gmail runs in the
    tests). The file is ``application/ics``, as Google's, so no client takes it for a second iTIP
    message. The ``method`` parameter repeats the calendar's METHOD (RFC 6047 2.4).
    """
    head = "".join(header(name, value) for name, value in headers)
    head += "".join(raw_header(name, value) for name, value in raw) + "MIME-Version: 1.0\r\n"
    body = text_part(text)
    if invitation is None:
        return (head + body).encode()
    ics, filename, method = invitation
    calendar = text_part(ics, f'text/calendar; charset="utf-8"; method={method}')
    attached = text_part(ics, f'application/ics; name="{filename}"',
                         f'Content-Disposition: attachment; filename="{filename}"\r\n')
    return (head + multipart("mixed", [multipart("alternative", [body, calendar]), attached])).encode()
