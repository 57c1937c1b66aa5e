"""Doc Box shared package: what every service needs and must agree on.

- ``events``     marshmallow schemas of the event envelope and the entry states
                 (program, one-off session, series) that sessions publishes.
- ``recurrence`` the one expansion of series into occurrences.
- ``signing``    HMAC signatures of event deliveries.
- ``inbox``      the consumer side: verify, apply once, record processed ids.
- ``problems``   RFC 9457 problem+json errors; ``api`` the flask-smorest Api
                 that documents and answers them.
- ``settings``   environment variables read once, secrets checked in production.
- ``web``        request ids, JSON logs, health endpoints, trusted proxies;
                 ``metrics`` the /metrics endpoint.
- ``database``   engine options (pre-ping, hidden parameters), SQLite set-up;
                 ``migrations`` the Alembic environment.
- ``loop``       the relay and worker loop: passes until SIGTERM, recovering
                 from any database error.
- ``mail``       mail delivery: a queue in the sending service's own database,
                 claimed in batches, one recipient per message, retries, at
                 most one duplicate per crash.
- ``inputs``     the one input validation: texts (one line for names, titles,
                 subjects), numbers, dates, ids, JSON shape; ``vtimezone`` and
                 ``uids`` the time zones and UIDs every calendar object carries.
- ``pages``      the shared look of every service's pages (templates, CSS).
"""
