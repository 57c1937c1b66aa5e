"""A real OpenID provider for the single sign-on tests, and a person who signs in at it.

:func:`start_provider` runs panva's oidc-provider (``tests/sessions/js``,
installed by ``scripts/test-setup.sh``) with node on a free port: discovery,
the authorization code flow with PKCE, signed ID tokens, its development
sign-in form. ``provider.js`` says which clients it knows (``docbox`` and two
that misbehave on purpose).

:func:`sign_in_at_provider` plays the person's browser at the provider with
``requests``: it follows the redirects, fills the provider's sign-in form with
a login (the email), and returns the URL the provider sends the browser back
to, which the test then opens in the Doc Box client.
"""

from __future__ import annotations

import re
import socket
import subprocess
import time
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from urllib.parse import urljoin

import requests

JS = Path(__file__).resolve().parents[1] / "sessions" / "js"
SECRET = "provider-test-client-secret-0123456789"


@dataclass
class Provider:
    issuer: str
    process: subprocess.Popen

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start_provider(port: int | None, redirect_uris: list[str], issuer_port: int | None = None) -> Provider:
    """The provider on ``port`` (None: a free one), sending browsers back to ``redirect_uris``; with
    ``issuer_port``, reached (and named in its issuer) through a proxy on that port forwarding to ``port``."""
    if port is None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
    if not (JS / "node_modules" / "oidc-provider").exists():
        raise RuntimeError(f"oidc-provider is missing: run 'bash scripts/test-setup.sh' (npm ci in {JS})")
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "PORT": str(port), "REDIRECT_URIS": ",".join(redirect_uris),
           "CLIENT_SECRET": SECRET, **({"ISSUER_PORT": str(issuer_port)} if issuer_port else {})}
    process = subprocess.Popen(["node", "provider.mjs"], cwd=JS, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    issuer = f"http://127.0.0.1:{issuer_port or port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the OpenID provider stopped: {process.stdout.read()}")
        try:
            if requests.get(f"{issuer}/.well-known/openid-configuration", timeout=2).ok:
                return Provider(issuer, process)
        except requests.ConnectionError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("the OpenID provider did not start within 30 seconds")


def sign_in_at_provider(authorize_url: str, login: str, back_to: str, browser: requests.Session | None = None) -> str:
    """Signs ``login`` in at the provider, starting at ``authorize_url``; the URL it sends back to ``back_to``."""
    browser = browser or requests.Session()
    url, method, data = authorize_url, "GET", None
    for _ in range(12):
        response = browser.request(method, url, data=data, allow_redirects=False, timeout=10)
        if response.is_redirect:
            url, method, data = urljoin(url, response.headers["Location"]), "GET", None
            if url.startswith(back_to):
                return url
            continue
        form = re.search(r'<form[^>]*action="([^"]+)"[^>]*method="post"', response.text)
        assert response.status_code == 200 and form, f"unexpected answer of the provider: {response.status_code}"
        url, method = urljoin(url, unescape(form.group(1))), "POST"
        data = {"prompt": "login", "login": login, "password": "any"} if 'name="login"' in response.text \
            else {"prompt": "consent"}
    raise AssertionError("the provider never sent the browser back")
