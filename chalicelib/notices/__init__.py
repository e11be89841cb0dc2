"""Notices to licensees (clause 13.1): every kind the agreement implies, its texts from the `notices` catalogue in
the licensee's language (zh-CN with English beneath by default), recorded once under a business key with time,
content and delivery status, and marked undelivered when SES reports a bounce or complaint.

Every area sends through one entry point, `NoticeService.notify(licensee_id, kind, key, params)`:
billing (invoices, reminders, late fees, suspensions, renewals), licensing (extensions, amendments, staff
suspensions, reinstatements, terminations), training, maintenance, and privacy (export windows, erasure
certificates)."""
