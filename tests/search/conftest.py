"""Every search test runs on each search backend (tests/fixtures/app.py: search_backend)."""

import pytest


@pytest.fixture
def app(request, search_app, search_backend):
    if search_backend != "whoosh" and request.node.get_closest_marker("whoosh_only"):
        pytest.skip("Whoosh's own machinery (file lock, update queue, searcher): not in postgres")
    return search_app
