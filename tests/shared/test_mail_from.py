"""The sender every service writes into its mail: one mailbox, or the service does not start.

``Doc Box, Peer Support <peer@hospital.test>`` looks like a name, but a comma
separates two mailboxes in a From header: the mail went out with a From
naming "Doc Box" (no address) and a second mailbox, and with ``Doc`` as the
SMTP envelope sender, which providers refuse or file as spam. The operator
learns it at start-up, naming the variable, not from people who never got
their reminders.
"""

from __future__ import annotations

from email.headerregistry import Address

import pytest

from docbox_notifications import mime
from docbox_notifications.config import SETTINGS as NOTIFICATIONS
from docbox_outreach.config import SETTINGS as OUTREACH
from docbox_sessions.config import SETTINGS as SESSIONS
from docbox_shared.mail.smtp import Mailer
from docbox_shared.settings import ConfigError, load

SERVICES = pytest.mark.parametrize("settings", [SESSIONS, NOTIFICATIONS, OUTREACH],
                                   ids=["sessions", "notifications", "outreach"])


@SERVICES
@pytest.mark.parametrize("value", [
    "Doc Box, Peer Support <peer@hospital.test>",   # two mailboxes
    "Doc Box: Peer Support <peer@hospital.test>",   # a group
    "Doc Box",                                      # no address
    "peer@hospital.test, other@hospital.test",
    "Doc Box <peer@hôpital.test>",                  # no SMTP envelope carries it without SMTPUTF8
])
def test_a_sender_that_is_not_one_mailbox_stops_start_up_naming_the_variable(settings, value):
    with pytest.raises(ConfigError, match="DOCBOX_MAIL_FROM"):
        load(settings, {"DOCBOX_MAIL_FROM": value})


@SERVICES
@pytest.mark.parametrize("value, name", [
    ('"Doc Box, Peer Support" <peer@hospital.test>', "Doc Box, Peer Support"),
    ("Équipe Doc Box <peer@hospital.test>", "Équipe Doc Box"),
    ("peer@hospital.test", ""),
])
def test_one_mailbox_is_the_envelope_sender_and_the_one_from(settings, value, name):
    config = load(settings, {"DOCBOX_MAIL_FROM": value})
    assert Mailer(config).sender == "peer@hospital.test"
    [sender] = mime.POLICY.header_factory("From", mime.header("From", config["MAIL_FROM"])[6:-2]).addresses
    assert sender == Address(name, "peer", "hospital.test")
