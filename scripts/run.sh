#!/usr/bin/env bash
# `make run`: migrate each service's SQLite database under var/, seed demo data on
# the first start, start every process of the Procfile with honcho, wait until
# each service answers /readyz, print what a newcomer needs, and stop it all on Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
export DOCBOX_VAR_DIR="${DOCBOX_VAR_DIR:-$PWD/var}"
export DOCBOX_SESSIONS_PORT="${DOCBOX_SESSIONS_PORT:-5001}"
export DOCBOX_SESSIONS_URL="${DOCBOX_SESSIONS_URL:-http://127.0.0.1:$DOCBOX_SESSIONS_PORT}"
export DOCBOX_EVENT_SUBSCRIBERS="${DOCBOX_EVENT_SUBSCRIBERS-}"
mkdir -p "$DOCBOX_VAR_DIR"

flask --app docbox_sessions db upgrade >/dev/null 2>"$DOCBOX_VAR_DIR/migrate.log" \
  || { cat "$DOCBOX_VAR_DIR/migrate.log"; exit 1; }

tokens_file="$DOCBOX_VAR_DIR/demo-tokens.txt"
seeded=$(flask --app docbox_sessions seed-demo 2>/dev/null)
if [[ "$seeded" != Demo* ]]; then
  umask 077
  printf '%s\n' "$seeded" > "$tokens_file"   # development only: demo staff tokens, readable by you alone
fi

honcho start -f Procfile &
honcho_pid=$!
trap 'kill -TERM $honcho_pid 2>/dev/null; wait $honcho_pid 2>/dev/null; exit 0' INT TERM

wait_ready() {
  for _ in $(seq 1 100); do
    curl -fsS "$1/readyz" >/dev/null 2>&1 && return 0
    kill -0 $honcho_pid 2>/dev/null || return 1
    sleep 0.2
  done
  return 1
}
wait_ready "$DOCBOX_SESSIONS_URL" || { echo "sessions did not become ready"; kill $honcho_pid; exit 1; }

cat <<BANNER

  Doc Box is running (Ctrl-C stops everything).
  sessions API   $DOCBOX_SESSIONS_URL/api/v1/   (OpenAPI: $DOCBOX_SESSIONS_URL/api/v1/openapi.json)

  Demo staff API tokens (development only; also in $tokens_file):
$(sed 's/^/    /' "$tokens_file" 2>/dev/null || echo "    (none: the database was seeded before and $tokens_file is gone)")

  Try: curl -H "Authorization: Bearer <organizer token>" $DOCBOX_SESSIONS_URL/api/v1/occurrences

BANNER
wait $honcho_pid
