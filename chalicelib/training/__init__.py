"""Training (clauses 1.1.5, 3.3): sessions per licensee, scheduled, delivered or cancelled; delivered ones billed."""
