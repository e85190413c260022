"""Accounting domain: claim categories, posting settings, the chart read from a target, and
the balanced voucher every claim becomes. Plain Python: no database, no HTTP, no Reflex."""
