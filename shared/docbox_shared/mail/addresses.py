"""Address headers (From, To, ...) whose display names arrive exactly as written, in every mail client.

A name beyond ASCII, or one holding a comma, quotes or parentheses, can only
travel in an RFC 2047 encoded-word or a quoted-string. The email package gets
two things wrong here (Python 3.11):

- its folding puts a long name into encoded-words on separate lines with the
  name's space *between* them, where RFC 2047 (6.2) tells readers to drop it:
  "Département de médecine" arrives as "Département demédecine";
- its parser keeps the space between two adjacent encoded-words in a name,
  which RFC 2047 readers drop: no pair of adjacent encoded-words reads the
  same in both.

:func:`address_header` therefore writes a name word by word: ASCII words as
they are (a quoted-string when they hold a special character), each run of
words beyond ASCII as *one* encoded-word holding its spaces, and folds only at
the spaces between those, so every reader sees the same name. A run longer
than one encoded-word holds (about 40 letters beyond ASCII without an ASCII
word between) is split where RFC 2047 readers put it together again; only
Python's parser reads a space into it. The address is never encoded.
:data:`POLICY` writes messages built with the email package the same way.
"""

from __future__ import annotations

import functools
import re
from email.charset import Charset
from email.headerregistry import Address
from email.policy import EmailPolicy, default

ADDRESS_HEADERS = frozenset({"from", "to", "cc", "bcc", "reply-to", "sender"})
_UTF8 = Charset("utf-8")
_ATOMS = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+")   # RFC 5322 atext: a word needing no quotes
_PRINTABLE = re.compile(r"[ -~]+")
_BARE = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")   # local@domain, nothing to quote
MAX_LINE = 78
MAX_WORD = 75   # RFC 2047: an encoded-word is at most 75 characters


def _encoded(text: str) -> list[str]:
    """``text`` as encoded-words of at most 75 characters each, split between characters."""
    words, start = [], 0
    while start < len(text):
        end = len(text)
        while len(_UTF8.header_encode(text[start:end])) > MAX_WORD:
            end -= 1
        words.append(_UTF8.header_encode(text[start:end]))
        start = end
    return words


def _phrase(name: str) -> list[str]:
    """The display name as words to write with one space (or a fold) between each two."""
    if "  " in name or name != name.strip():
        return _encoded(name)   # spaces that folding would change: all in encoded-words
    out: list[str] = []
    runs: list[tuple[bool, list[str]]] = []
    for word in name.split(" "):
        ascii_word = bool(_PRINTABLE.fullmatch(word))
        if runs and runs[-1][0] == ascii_word:
            runs[-1][1].append(word)
        else:
            runs.append((ascii_word, [word]))
    for ascii_run, words in runs:
        if not ascii_run:
            out += _encoded(" ".join(words))
        elif all(_ATOMS.fullmatch(word) and "=?" not in word for word in words):
            out += words
        else:   # one quoted-string; a fold at one of its spaces keeps the space (RFC 5322 3.2.4)
            quoted = [w.replace("\\", "\\\\").replace('"', '\\"') for w in words]
            quoted[0] = '"' + quoted[0]
            quoted[-1] += '"'
            out += quoted
    return out


def _fold(name: str, words: list[str]) -> str:
    lines = [f"{name}:"]
    for word in words:
        if len(lines[-1]) + 1 + len(word) > MAX_LINE and lines[-1] != f"{name}:":
            lines.append("")
        lines[-1] += " " + word
    return "\r\n".join(lines) + "\r\n"


def address_header(name: str, value: str) -> str:
    """``Name: value`` with its CRLF, ASCII, lines of at most 78 characters where the words allow,
    each mailbox's display name exact; ``value`` as a person writes it (``Zoë Ångström <z@example.org>``,
    ``"Doc Box, Peer Support" <peer@example.org>``). ValueError for what is no list of mailboxes.

    A bare address is written as it is (a round of outreach mail writes one per faculty member);
    anything else is parsed by the email package once per value (cached).
    """
    if _BARE.fullmatch(value) and len(name) + len(value) <= MAX_LINE - 2:
        return f"{name}: {value}\r\n"
    return _address_header(name, value)


@functools.lru_cache(maxsize=256)
def _address_header(name: str, value: str) -> str:
    if "\r" in value or "\n" in value or "\x00" in value:
        raise ValueError(f"The {name} header would hold a line break or NUL")
    parsed = default.header_factory(name, value)
    if parsed.defects or any(group.display_name is not None for group in parsed.groups) or not parsed.addresses:
        raise ValueError(f"The {name} header is no list of mailboxes: {value!r}")
    words: list[str] = []
    for address in parsed.addresses:
        if not address.addr_spec.isascii() or not address.domain:
            raise ValueError(f"The {name} header holds an address no SMTP envelope carries: {value!r}")
        if words:
            words[-1] += ","
        spec = address.addr_spec
        words += [*_phrase(address.display_name), f"<{spec}>"] if address.display_name else [spec]
    return _fold(name, words)


class _Policy(EmailPolicy):
    """policy.SMTP, with address headers written by :func:`address_header`."""

    def fold(self, name, value):
        if name.lower() in ADDRESS_HEADERS:
            return address_header(name, _text(value)).replace("\r\n", self.linesep)
        return super().fold(name, value)

    def fold_binary(self, name, value):
        if name.lower() in ADDRESS_HEADERS:
            return self.fold(name, value).encode("ascii")
        return super().fold_binary(name, value)


def _text(value) -> str:
    """A header's value as :func:`address_header` reads it (a parsed header: its addresses, quoted)."""
    addresses = getattr(value, "addresses", None)
    if addresses is None:
        return str(value)
    return ", ".join(str(Address(a.display_name, addr_spec=a.addr_spec)) for a in addresses)


POLICY = _Policy(linesep="\r\n")
