"""Technical support (clauses 1.1.4, 3.2): merchants' requests to the licensor, answered in business time."""
