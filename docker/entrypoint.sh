#!/bin/sh
# Entrypoint of every Doc Box image: bring this service's database schema to the
# newest migration, then become the container's command (gunicorn, the relay, a
# worker, or an admin command such as `flask --app docbox_sessions staff add`).
#
# Every process of a service migrates before it starts, so none ever runs against
# an older schema, whichever container happens to start first after an upgrade.
# docker/migrate.py is `flask --app docbox_$DOCBOX_SERVICE db upgrade` plus a wait
# for the database and a PostgreSQL advisory lock, so replicas starting together
# take turns instead of racing. DOCBOX_MIGRATE=0 skips it (e.g. a read-only replica
# of the database).
set -eu

: "${DOCBOX_SERVICE:?DOCBOX_SERVICE must name the service (sessions, calendar_sync, notifications, outreach)}"

if [ "${DOCBOX_MIGRATE:-1}" != "0" ]; then
    python /app/migrate.py
fi

exec "$@"
