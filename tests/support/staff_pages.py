"""Signing in on the sessions staff pages through a Flask test client, and posting their forms with the CSRF token.

Staff added in tests get :data:`PASSWORD` (``flask staff set-password``); the ``staff`` and ``admin``
fixtures of tests/sessions/conftest.py do that for every role.
"""

from __future__ import annotations

import re

PASSWORD = "a long passphrase for tests"


def csrf(client, url="/login") -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(url).text).group(1)


def sign_in(client, email, password=PASSWORD):
    return client.post("/login", data={"email": email, "password": password, "csrf_token": csrf(client, "/login/forgot")})


def post(client, url, data=None, page="/admin/staff"):
    return client.post(url, data={**(data or {}), "csrf_token": csrf(client, page)})
