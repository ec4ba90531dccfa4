"""Reach tests use a guide with real audio (radio) and accounts in each group (accounts)."""

from tests.accounts.conftest import account_in, groups  # noqa: F401  (fixtures)
from tests.radio.conftest import spanish_audio  # noqa: F401  (a fixture)
