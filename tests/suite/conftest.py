"""Fixtures of the cross-service tests: ``suite`` (module-scoped: starting
everything costs a few seconds) runs every Doc Box process for real, the four
services with their relay and workers; see ``support/suite.py``. Every process
logs at DEBUG, so the privacy checks read every line an operator could turn on."""

from __future__ import annotations

import pytest

from support.suite import Suite


@pytest.fixture(scope="module")
def suite(tmp_path_factory, module_databases):
    suite = Suite(tmp_path_factory.mktemp("suite"), module_databases, log_level="DEBUG")
    suite.prepare()
    try:
        suite.start_all()
        yield suite
    finally:
        suite.stop_all()
