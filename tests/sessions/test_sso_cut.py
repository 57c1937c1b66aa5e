"""The network to the institution's OpenID provider drops mid-answer (a proxy in front of the real provider
cuts the connection; tests/support/cut.py): while Doc Box reads the discovery document at "Sign in with your
institution's account", or the token answer or the provider's keys when the browser comes back. The staff
member gets a page that says the sign-in service does not answer (503, never a 500), is not signed in, and
the next try, same app, no restart, signs them in.
"""

from __future__ import annotations

import pytest
from sessions.test_sso import CALLBACK, PUBLIC_URL, _callback

from support.apps import running_app
from support.cut import CuttingProxy
from support.oidc import SECRET, start_provider
from support.ports import free_port


@pytest.fixture(scope="module")
def cut_provider():
    port = free_port()
    proxy = CuttingProxy("127.0.0.1", port)
    running = start_provider(port, [CALLBACK], issuer_port=proxy.port)
    yield proxy, running
    running.stop()
    proxy.close()


@pytest.fixture
def app(app_config, cut_provider):
    _, provider = cut_provider
    with running_app("sessions", {**app_config, "PUBLIC_URL": PUBLIC_URL, "OIDC_ISSUER": provider.issuer,
                                  "OIDC_CLIENT_ID": "docbox", "OIDC_CLIENT_SECRET": SECRET}) as app:
        out = app.test_cli_runner().invoke(args=["staff", "add", "organizer@example.org", "--role", "organizer"])
        assert out.exit_code == 0, out.output
        yield app


def does_not_answer(response) -> bool:
    return response.status_code == 503 and "The sign-in service does not answer" in response.text


def signed_in(client) -> bool:
    return client.get("/upcoming").status_code == 200


def test_the_discovery_document_cut_off_at_the_start_gives_a_page_and_the_next_try_works(app, cut_provider):
    proxy, _ = cut_provider
    client = app.test_client()
    proxy.cut_when(b'"authorization_endpoint"', from_server=True, keep=5)
    assert does_not_answer(client.get("/login/sso")) and proxy.cuts == 1
    assert client.get(_callback(client, "organizer@example.org")).status_code == 302 and signed_in(client)


@pytest.mark.parametrize("pattern", [b'"id_token"', b'"keys"'], ids=["token answer", "provider's keys"])
def test_an_answer_cut_off_on_the_way_back_gives_a_page_and_the_next_try_works(app, cut_provider, pattern):
    proxy, _ = cut_provider
    client = app.test_client()
    back = _callback(client, "organizer@example.org")
    cuts = proxy.cuts
    proxy.cut_when(pattern, from_server=True, keep=4)
    assert does_not_answer(client.get(back)) and proxy.cuts == cuts + 1
    assert not signed_in(client)
    assert client.get(_callback(client, "organizer@example.org")).status_code == 302 and signed_in(client)
