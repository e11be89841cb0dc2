"""Licensing: licensees, agreements, license status and keys (agreement clauses 1.1.3, 2, 3.1, 4, 10, 11.1, 14)."""
