"""Merchant self-service: a shop's administrators manage their own agents' keys and the shop's settings."""
