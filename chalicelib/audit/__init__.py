"""The append-only evidence trail (clause 9): who changed what, when."""
