#!/usr/bin/env bash
# The deployment test: tests/deploy/stack on a private Docker engine (scripts/docker-engine.sh).
#
#   bash scripts/deploy-test.sh [PYTEST ARGS...]
#
# Builds the images of HEAD and of HEAD~1 from clean checkouts (git archive: committed files
# only; DOCBOX_STACK_REV and DOCBOX_UPGRADE_FROM choose others, e.g. DOCBOX_UPGRADE_FROM=main),
# runs the compose stack with stand-ins for the third-party images, and drives it through nginx
# (tests/deploy/stack/test_stack.py says what it checks). Exit status: pytest's; 77 when this
# machine cannot run the engine (the reason is printed). Needs `make install` done (.venv).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || make install >/dev/null
export DOCBOX_STACK_TEST=1
exec bash scripts/docker-engine.sh .venv/bin/python -m pytest tests/deploy/stack -x -p no:randomly -v --durations=0 "$@"
