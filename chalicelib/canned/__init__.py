"""Canned responses: a shop's prepared answers, inserted in the console with a `/` shortcut."""
