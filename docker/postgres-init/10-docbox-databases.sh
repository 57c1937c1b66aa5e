#!/bin/sh
# One database and one login role per Doc Box service, each role owning only its own database.
#
# The postgres image runs this once, when its data volume is empty. It is idempotent, so it can
# be run again to set new passwords from the environment:
#   docker compose exec postgres sh /docker-entrypoint-initdb.d/10-docbox-databases.sh
# Names: ${DOCBOX_DB_PREFIX}sessions, ${DOCBOX_DB_PREFIX}calendar_sync,
# ${DOCBOX_DB_PREFIX}notifications, ${DOCBOX_DB_PREFIX}outreach (prefix `docbox_`), for both the database and its role.
set -eu

prefix="${DOCBOX_DB_PREFIX:-docbox_}"

create() {
    # $1: service, $2: its password. psql variables quote both (:"name" identifier, :'password' literal).
    psql -v ON_ERROR_STOP=1 --quiet --no-psqlrc \
         --username "${POSTGRES_USER:-postgres}" --dbname "${POSTGRES_DB:-postgres}" \
         -v name="$prefix$1" -v password="$2" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN', :'name')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'name') \gexec
ALTER ROLE :"name" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'password';
SELECT format('CREATE DATABASE %I OWNER %I ENCODING ''UTF8''', :'name', :'name')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'name') \gexec
-- Only the service's own role (and superusers) may connect to its database.
REVOKE ALL ON DATABASE :"name" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"name" TO :"name";
SQL
    echo "docbox: database and role $prefix$1 ready"
}

create sessions      "${DOCBOX_SESSIONS_DB_PASSWORD:?DOCBOX_SESSIONS_DB_PASSWORD is not set (see .env.example)}"
create calendar_sync "${DOCBOX_CALENDAR_SYNC_DB_PASSWORD:?DOCBOX_CALENDAR_SYNC_DB_PASSWORD is not set (see .env.example)}"
create notifications "${DOCBOX_NOTIFICATIONS_DB_PASSWORD:?DOCBOX_NOTIFICATIONS_DB_PASSWORD is not set (see .env.example)}"
create outreach      "${DOCBOX_OUTREACH_DB_PASSWORD:?DOCBOX_OUTREACH_DB_PASSWORD is not set (see .env.example)}"
