"""Doc Box shared package, the kit: what every service needs and must agree on.

A service is made from it as ``docs/new-service.md`` shows.

- ``frame``      the app frame: ``service_app`` builds a service's Flask app
                 (settings, logs, database, migrations, API, problem errors,
                 request ids, trusted proxies, security headers, health, metrics).
- ``clock``      ``now()`` (tests set ``app.config["CLOCK"]``), ``aware()`` and
                 ``UTCDateTime``, the column type of every instant.
- ``tokens``     capability tokens: generate (256 bits), hash, compare.
- ``keys``       what ``DOCBOX_SECRET_KEYS`` make: encryption at rest, keyed
                 hashes, page-cookie keys.
- ``events``     marshmallow schemas of the event envelope and the entry states
                 (program, one-off session, series) that sessions publishes.
- ``recurrence`` the one expansion of series into occurrences.
- ``signing``    HMAC signatures of event deliveries.
- ``outbox``     the producer side: events written with the change, their
                 status, the ``relay`` and ``outbox`` commands; ``relay``
                 delivers them, signed, with backoff, parking refused ones.
- ``inbox``      the consumer side: verify, apply once, record processed ids,
                 and the replica's questions (programs, occurrences).
- ``clock``      the one clock (``CLOCK`` in tests) and the UTC column type.
- ``problems``   RFC 9457 problem+json errors; ``api`` the flask-smorest Api
                 that documents and answers them.
- ``settings``   environment variables read once, secrets checked in production.
- ``metrics``    the /metrics endpoint and gauges.
- ``database``   engine options (pre-ping, hidden parameters), SQLite set-up;
                 ``migrations`` the Alembic environment.
- ``loop``       the relay and worker loop: passes until SIGTERM, recovering
                 from any database error.
- ``mail``       mail delivery: a queue in the sending service's own database,
                 claimed in batches, one recipient per message, retries, at
                 most one duplicate per worker crash (on PostgreSQL at most
                 ``UNFLUSHED``, 10, per database server crash).
- ``inputs``     the one input validation: texts (one line for names, titles,
                 subjects), numbers, dates, ids, JSON shape; ``vtimezone`` and
                 ``uids`` the time zones and UIDs every calendar object carries.
- ``pages``      the shared look of every service's pages (templates, CSS),
                 the page cookie and CSRF, error pages.
"""
