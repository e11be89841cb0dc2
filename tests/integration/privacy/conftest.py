"""The privacy tests' merchant with two customers' data in every channel (tests/privacy_helpers.py)."""

from tests.privacy_helpers import api as api
from tests.privacy_helpers import shop as shop
