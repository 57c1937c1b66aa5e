#!/bin/sh
# Start the demo Radicale with one user from the environment (compose passes them from .env).
set -eu
: "${RADICALE_USER:=docbox}"
: "${RADICALE_PASSWORD:?RADICALE_PASSWORD must be set (see .env.example)}"
umask 077
printf '%s:%s\n' "$RADICALE_USER" "$RADICALE_PASSWORD" > /tmp/radicale-htpasswd
exec python -m radicale --config "${RADICALE_CONFIG:-/etc/radicale/config}" "$@"
