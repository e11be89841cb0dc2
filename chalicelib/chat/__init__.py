"""Online chat: the storefront widget, its API, and the agents' side (clauses 1.1.2, 3.1)."""
