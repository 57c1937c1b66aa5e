"""docbox_shared.counts: a signed question for numbers by program; anything but a clean answer is "unavailable"."""

from __future__ import annotations

import pytest
from flask import Flask

from docbox_shared import counts
from docbox_shared.pages import paragraphs


def _answering(body, status=200, content_type="application/json"):
    app = Flask("fake")

    @app.get(counts.PATH)
    def answer():
        return body, status, {"Content-Type": content_type}
    return app


@pytest.mark.parametrize("body, status", [
    ('{"counts": {"p1": 3}}', 500),
    ("<html>proxy error</html>", 200),
    ('{"counts": {"p1": -1}}', 200),
    ('{"counts": {"p1": 2.5}}', 200),
    ('{"counts": ["p1"]}', 200),
    ('["p1"]', 200),
])
def test_an_answer_that_is_not_numbers_by_program_counts_as_unavailable(serve, body, status):
    assert counts.fetch_counts(serve(_answering(body, status)), "secret") is None


def test_a_clean_answer_is_read(serve):
    assert counts.fetch_counts(serve(_answering('{"counts": {"p1": 3, "p2": 0}}')), "secret") == {"p1": 3, "p2": 0}


def test_no_address_means_not_asked():
    assert counts.fetch_counts("", "secret") is None


def test_paragraphs_escape_everything_and_keep_the_breaks_typed():
    text = "First line\r\nsecond <b>line</b>\r\n\r\n\r\n  & a third paragraph  \n"
    assert str(paragraphs(text)) == "<p>First line<br>second &lt;b&gt;line&lt;/b&gt;</p><p>&amp; a third paragraph</p>"
    assert str(paragraphs("")) == "" and str(paragraphs(None)) == ""
