"""Every search test runs on each search backend (tests/fixtures/app.py: search_backend)."""

import pytest


@pytest.fixture
def app(request, search_app, search_backend):
    marker = request.node.get_closest_marker("whoosh_only")
    if search_backend != "whoosh" and marker is not None:
        pytest.skip(
            marker.args[0]
            if marker.args
            else "Whoosh's own machinery (file lock, update queue, searcher): not in postgres"
        )
    return search_app
