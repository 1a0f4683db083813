"""What changed since the last period (本期 vs 上期) and the pages as of a past date."""
