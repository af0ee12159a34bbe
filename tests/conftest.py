"""Every test's fixtures, from tests/fixtures/ (see each module there)."""

pytest_plugins = [
    "tests.fixtures.app",
    "tests.fixtures.auth",
    "tests.fixtures.mail",
    "tests.fixtures.shop",
    "tests.fixtures.transfer",
    "tests.fixtures.payos",
    "tests.fixtures.catalog",
    "tests.fixtures.pfa",
    "tests.fixtures.browser",
    "tests.fixtures.scratch",
]
