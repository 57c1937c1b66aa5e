"""Fixtures of the cross-service tests: ``suite`` (module-scoped: starting
everything costs a few seconds) runs every Doc Box process for real; see
``support/suite.py``."""

from __future__ import annotations

import pytest

from support.suite import Suite


@pytest.fixture(scope="module")
def suite(tmp_path_factory, module_databases):
    suite = Suite(tmp_path_factory.mktemp("suite"), module_databases)
    suite.prepare()
    try:
        suite.start_all()
        yield suite
    finally:
        suite.stop_all()
