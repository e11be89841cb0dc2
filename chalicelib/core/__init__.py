"""What every area shares: clock, ids, errors, input validation and HTTP helpers."""
