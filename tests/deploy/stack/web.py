"""A person's view of the stack: a browser-like HTTP client at nginx's port, and the mail catcher.

``Browser`` keeps cookies and fills forms the way a browser submits them (hidden fields such as
the CSRF token included). The stack runs in production mode, so its cookies are ``Secure``: the
test talks plain HTTP to nginx's port, standing where the TLS-terminating load balancer of a real
deployment stands, and returns ``Secure`` cookies over that hop (while it sends a request only:
requests copies the session's cookies into jars of the default policy, redirects included).
"""

from __future__ import annotations

import email
import email.policy
import http.cookiejar
import re
import time
from contextlib import contextmanager
from html.parser import HTMLParser
from unittest import mock
from urllib.parse import urljoin, urlsplit

import requests


@contextmanager
def _behind_tls():
    with mock.patch.object(http.cookiejar.DefaultCookiePolicy, "return_ok_secure", lambda *args: True):
        yield


class _Forms(HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attrs.get("action") or "", "method": (attrs.get("method") or "get").lower(),
                               "fields": {}})
        elif tag == "input" and self.forms and attrs.get("name"):
            kind = (attrs.get("type") or "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            if kind not in ("submit", "button"):
                self.forms[-1]["fields"][attrs["name"]] = attrs.get("value") or ""


class Browser:
    """Everything goes to ``origin`` (nginx); absolute links of the public URL are followed there."""

    def __init__(self, origin: str):
        self.origin = origin.rstrip("/")
        self.http = requests.Session()

    def url(self, link: str) -> str:
        """A path, or a link built on DOCBOX_PUBLIC_URL, as a URL at nginx's port."""
        parts = urlsplit(link)
        return self.origin + (parts.path or "/") + (f"?{parts.query}" if parts.query else "")

    def get(self, link: str, **kwargs) -> requests.Response:
        with _behind_tls():
            return self.http.get(self.url(link), timeout=30, **kwargs)

    def post(self, link: str, **kwargs) -> requests.Response:
        with _behind_tls():
            return self.http.post(self.url(link), timeout=30, **kwargs)

    def submit(self, link: str, values: dict[str, str], form_index: int = -1, **kwargs) -> requests.Response:
        """Open the page at ``link``, fill its form (the last one by default: the first is the header's
        sign-out) with ``values`` over its own fields, and submit it as a browser would."""
        page = self.get(link)
        assert page.status_code == 200, (link, page.status_code, page.text[:500])
        parser = _Forms()
        parser.feed(page.text)
        forms = [f for f in parser.forms if f["method"] == "post"]
        assert forms, f"no form on {link}"
        form = forms[form_index]
        target = urljoin(urlsplit(page.url).path, form["action"]) if form["action"] else urlsplit(page.url).path
        return self.post(target, data={**form["fields"], **values}, **kwargs)


class Mailpit:
    """Mailpit's message API (or the stand-in's copy of it) on the port compose publishes."""

    def __init__(self, origin: str):
        self.origin = origin.rstrip("/")

    def wait_for(self, address: str, subject_words: str, timeout: float = 120) -> email.message.EmailMessage:
        deadline = time.monotonic() + timeout
        while True:
            listed = requests.get(f"{self.origin}/api/v1/messages", timeout=10).json()["messages"]
            for message in listed:
                if any(to["Address"] == address for to in message["To"]) and subject_words in message["Subject"]:
                    raw = requests.get(f"{self.origin}/api/v1/message/{message['ID']}/raw", timeout=10).content
                    return email.message_from_bytes(raw, policy=email.policy.default)
            if time.monotonic() > deadline:
                raise AssertionError(f"no message '{subject_words}' to {address} in {timeout:.0f} s: {listed}")
            time.sleep(1)


def text_of(message: email.message.EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def link(text: str, path_word: str) -> str:
    """The first https link in ``text`` whose path contains ``/<path_word>/``."""
    match = re.search(rf"https://\S+/{path_word}/[A-Za-z0-9_\-.]+", text)
    assert match, f"no /{path_word}/ link in:\n{text}"
    return match.group(0)


def wait_until(check, what: str, timeout: float = 120, every: float = 1):
    """``check()``'s first truthy result; AssertionError naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:.0f} s")
        time.sleep(every)
