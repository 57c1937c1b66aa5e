#!/usr/bin/env bash
# What the tests need beyond Python packages: Node packages for the feed parity
# test. Idempotent and quiet when everything is there.
set -euo pipefail
cd "$(dirname "$0")/.."
for dir in tests/*/js; do
  if [ -f "$dir/package.json" ] && [ ! -d "$dir/node_modules" ]; then
    (cd "$dir" && npm install --silent --no-audit --no-fund)
  fi
done
