#!/usr/bin/env bash
# What the tests need beyond Python packages, installed once and quietly:
# Debian's Chromium for the browser tests (Playwright drives /usr/bin/chromium;
# it cannot download a browser here) and the Node packages of tests/*/js
# (ical.js for the feed parity test, axe-core for the accessibility checks).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null \
      || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null; }
  else
    echo "The browser tests need Debian's chromium: sudo apt-get install chromium" >&2
  fi
fi
for dir in tests/*/js; do
  if [ -f "$dir/package.json" ] && [ ! -d "$dir/node_modules" ]; then
    if [ -f "$dir/package-lock.json" ]; then
      (cd "$dir" && npm ci --silent --no-audit --no-fund)
    else
      (cd "$dir" && npm install --silent --no-audit --no-fund)
    fi
  fi
done
