"""Billing: fees, invoices, payments, late payment, renewals and settlement, as the license agreement sets them.

Clauses carried here: 4.2 (renewal reminders), 5 (fees, payment, payment terms), 6.3 (maintenance fees are fee
items like any other), 8 (late fees, reminders, suspension, reinstatement), 10 (amendments take effect on a
date, with proration), 11.3 (final settlement) and 13.5 (force majeure pauses late fees).

The pure rules, in the order a billing run meets them: `periods` (date ranges, calendar periods), `fees` (the
fee schedule as the license makes it), `facts` (what billing reads of a license, once per account), `charges`,
`invoices` (drafts, credit and payment application), `overdue` (late fees, reminders, suspension, renewal
reminders) and `settlement`. `model` holds what billing keeps, `store` how it is kept; the use cases are split
per family (`fee_schedules`, `issuing`, `runs`, `overdue_run`, `renewals`, `payments`, `notices`) behind the
facade in `service`.

Conventions every rule follows:

* Dates are calendar dates in the licensor's time zone, Asia/Shanghai. Callers convert an instant to a
  Shanghai ``date`` before calling; no rule reads a clock.
* Every date range is inclusive at both ends: a period "31 Jan–28 Feb" includes both days.
* Something "effective on D" (an amendment, a termination) changes things from the start of day D: the old
  terms or the service cover the days up to D - 1.
* Money is ``Decimal`` exact to the fen; every computed amount is rounded once with the money rule
  (ROUND_HALF_UP to the fen, :mod:`chalicelib.core.money`).
* A charge is identified by its business key (agreement, fee item, period, reason, reference). The same
  facts always give the same keys and amounts, so a store that writes each key once makes billing runs,
  retries and catch-up runs issue every charge exactly once.
"""
