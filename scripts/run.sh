#!/usr/bin/env bash
# `make run`: migrate each service's SQLite database under var/, seed demo data on
# the first start, start every process of the Procfile with honcho, wait until
# each service answers /readyz, print what a newcomer needs, and stop it all on Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
export DOCBOX_VAR_DIR="${DOCBOX_VAR_DIR:-$PWD/var}"
export DOCBOX_SESSIONS_PORT="${DOCBOX_SESSIONS_PORT:-5001}"
export DOCBOX_CALENDAR_SYNC_PORT="${DOCBOX_CALENDAR_SYNC_PORT:-5002}"
export DOCBOX_NOTIFICATIONS_PORT="${DOCBOX_NOTIFICATIONS_PORT:-5003}"
export DOCBOX_OUTREACH_PORT="${DOCBOX_OUTREACH_PORT:-5004}"
export DOCBOX_SMTP_PORT="${DOCBOX_SMTP_PORT:-1025}"
export DOCBOX_SESSIONS_URL="${DOCBOX_SESSIONS_URL:-http://127.0.0.1:$DOCBOX_SESSIONS_PORT}"
export DOCBOX_CALENDAR_SYNC_URL="${DOCBOX_CALENDAR_SYNC_URL:-http://127.0.0.1:$DOCBOX_CALENDAR_SYNC_PORT}"
export DOCBOX_NOTIFICATIONS_URL="${DOCBOX_NOTIFICATIONS_URL:-http://127.0.0.1:$DOCBOX_NOTIFICATIONS_PORT}"
export DOCBOX_OUTREACH_URL="${DOCBOX_OUTREACH_URL:-http://127.0.0.1:$DOCBOX_OUTREACH_PORT}"
export DOCBOX_STAFF_LOGIN_URL="${DOCBOX_STAFF_LOGIN_URL:-$DOCBOX_SESSIONS_URL/login}"  # one sign-in for every service
export DOCBOX_EVENT_SUBSCRIBERS="${DOCBOX_EVENT_SUBSCRIBERS-$DOCBOX_CALENDAR_SYNC_URL/api/v1/events,$DOCBOX_NOTIFICATIONS_URL/api/v1/events}"
mkdir -p "$DOCBOX_VAR_DIR"

for app in docbox_sessions docbox_calendar_sync docbox_notifications docbox_outreach; do
  flask --app "$app" db upgrade >/dev/null 2>"$DOCBOX_VAR_DIR/migrate.log" \
    || { cat "$DOCBOX_VAR_DIR/migrate.log"; exit 1; }
done

tokens_file="$DOCBOX_VAR_DIR/demo-tokens.txt"
first_start=""
seeded=$(flask --app docbox_sessions seed-demo 2>/dev/null)
if [[ "$seeded" != Demo* ]]; then
  first_start=yes
  umask 077
  printf '%s\n' "$seeded" > "$tokens_file"   # development only: demo staff tokens, readable by you alone
fi

outreach_seeded=$(flask --app docbox_outreach seed-demo 2>/dev/null || true)

honcho start -f Procfile &
honcho_pid=$!
trap 'kill -TERM $honcho_pid 2>/dev/null; wait $honcho_pid 2>/dev/null; exit 0' INT TERM

wait_ready() {
  for _ in $(seq 1 150); do
    curl -fsS "$1/readyz" >/dev/null 2>&1 && return 0
    kill -0 $honcho_pid 2>/dev/null || return 1
    sleep 0.2
  done
  return 1
}
for url in "$DOCBOX_SESSIONS_URL" "$DOCBOX_CALENDAR_SYNC_URL" "$DOCBOX_NOTIFICATIONS_URL" "$DOCBOX_OUTREACH_URL"; do
  wait_ready "$url" || { echo "$url did not become ready"; kill $honcho_pid; exit 1; }
done

if [ -n "$first_start" ]; then
  # The demo program reaches calendar_sync through the relay within a second or two.
  for _ in $(seq 1 50); do
    feed=$(curl -fsS -X POST -H 'Content-Type: application/json' -d '{"programs": ["doc-box"]}' \
           "$DOCBOX_CALENDAR_SYNC_URL/api/v1/feeds" 2>/dev/null) && break
    sleep 0.3
  done
  url=$(printf '%s' "${feed:-}" | python -c 'import json,sys; print(json.load(sys.stdin)["url"])' 2>/dev/null || true)
  [ -n "$url" ] && printf 'demo-feed    %s\n' "$url" >> "$tokens_file"
fi

cat <<BANNER

  Doc Box is running (Ctrl-C stops everything).
$(for s in "staff pages:$DOCBOX_SESSIONS_URL/" "faculty pages:$DOCBOX_CALENDAR_SYNC_URL/" \
          "reminders:$DOCBOX_NOTIFICATIONS_URL/subscribe" "outreach:$DOCBOX_OUTREACH_URL/" \
          "CalDAV targets:$DOCBOX_CALENDAR_SYNC_URL/admin/targets"; do printf '  %-15s %s\n' "${s%%:http*}" "http${s#*:http}"; done)
  outreach demo   ${outreach_seeded:-the outreach demo data was seeded before}
  APIs            <service URL>/api/v1/openapi.json
  mail sent       $DOCBOX_VAR_DIR/mail/ (one .eml file a message)

  Demo staff API tokens and the demo feed (development only; also in $tokens_file):
$(sed 's/^/    /' "$tokens_file" 2>/dev/null || echo "    (none: the database was seeded before and $tokens_file is gone)")

BANNER
wait $honcho_pid
