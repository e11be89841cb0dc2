"""Every setting kefu reads, resolved once from the environment and typed.

Stages set these in `.chalice/config.json`; local mode and tests set them the same way, so the code
never asks which stage it runs in (no `if LOCAL:` in business code).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Settings:
    stage: str
    region: str
    timezone: ZoneInfo
    licensing_table: str
    audit_table: str
    # The one switch that points boto3 and PynamoDB at DynamoDB Local; None on AWS.
    dynamodb_endpoint: str | None
    license_cache_ttl_seconds: float
    expiring_window_days: int
    data_dir: Path
    metrics_enabled: bool  # EMF lines (KEFU_METRICS=emf to standard output, =file to data_dir/metrics/)
    mailer: str  # outbox | smtp | ses
    # Email (issue 4). Defaults let code that builds Settings by hand keep working.
    mail_table: str = "kefu-local-mail"
    mail_domain: str = "kefu.local"  # the licensor's mail domain: support and reply+token addresses
    mail_bucket: str = "kefu-local-mail"  # raw inbound mail (SES writes it) and attachments
    inbound_prefix: str = "inbound/"
    blobs: str = "folder"  # folder | s3
    reply_secrets: tuple[bytes, ...] = ()  # newest first; signs reply+<token> addresses
    smtp_relay: str = "127.0.0.1:1025"  # where the smtp mailer sends (local mode)
    smtp_listen: str = "127.0.0.1:2525"  # where local mode's inbound SMTP server listens
    ses_configuration_set: str | None = None
    acknowledgements_per_hour: int = 3  # per sender and merchant
    # clause 6.1: on-demand table backups older than this are deleted by the nightly backup job.
    backup_retention_days: int = 35
    billing_table: str = "kefu-local-billing"
    notice_sender: str = "billing@kefu.local"  # the From of invoices, reminders and other notices
    chat_table: str = "kefu-local-chat"
    chat_retention_days: int = 180        # default; a merchant's own retention period overrides it
    chat_conversations_per_ip_hour: int = 10
    chat_messages_per_minute: int = 20
    chat_presence_cache_seconds: float = 10.0
    chat_polls_per_visitor_minute: int = 120  # the widget polls every few seconds; more is a script
    mail_tickets_per_sender_hour: int = 20    # new tickets one address may open at one merchant per hour
    # On AWS the reply secrets live in Secrets Manager (read once per process); KEFU_REPLY_SECRET wins if set.
    reply_secret_arn: str | None = None
    # Push (issue 11): where widgets and consoles connect (wss://… of the WebSocket API, or ws://127.0.0.1:…
    # locally); empty means push is off and the widget polls. The Management API endpoint it posts through is
    # https://… of the same API and stage.
    realtime_url: str = ""
    realtime_endpoint: str = ""
    realtime_connection_hours: int = 2  # a connection's record expires after this (API Gateway closes at 2 h)
    support_table: str = "kefu-local-support"  # technical-support requests, training sessions, support calendar
    support_desk_address: str = ""  # the licensor's own support address (default helpdesk@<mail domain>)
    metrics_file: Path | None = None  # where local mode keeps its EMF lines (KEFU_METRICS=file)
    failed_events: str = "folder"  # folder (data_dir/failed) | sqs (the stage's on-failure destination queue)
    # Where SES stores raw inbound mail, when it receives in another region than the main one (SES receives
    # only in some regions; infra/ingress.py): that region's bucket. Unset: the mail bucket, in this region.
    inbound_bucket: str | None = None
    receiving_region: str | None = None

    @property
    def licensor_support_address(self) -> str:
        """Mail to this address opens (or threads into) a technical-support request to the licensor (clause 3.2)."""
        return (self.support_desk_address or f"helpdesk@{self.mail_domain}").strip().lower()

    @property
    def raw_mail_bucket(self) -> str:
        return self.inbound_bucket or self.mail_bucket

    @property
    def raw_mail_region(self) -> str:
        return self.receiving_region or self.region
    # Phone (issue 14): call records, and where Connect's recordings are kept in kefu's bucket.
    phone_table: str = "kefu-local-phone"
    recording_prefix: str = "recordings/"
    contacts: str = "local"  # local | connect: who answers DescribeContact
    # Clause 9: who staff are (os: the login locally | sts: the caller's AWS identity), and where the daily digest
    # of the audit chains is kept (an S3 bucket with Object Lock on AWS; a folder of the data directory locally).
    identity: str = "os"
    audit_bucket: str = "kefu-local-audit-digests"
    # Privacy (issue 15): requests, retention periods, export windows after termination (clause 11.2).
    privacy_table: str = "kefu-local-privacy"
    export_window_days: int = 30

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        stage = env.get("KEFU_STAGE", "local")
        return cls(
            stage=stage,
            region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "ap-southeast-1",
            timezone=ZoneInfo(env.get("KEFU_TIMEZONE", "Asia/Shanghai")),
            licensing_table=env.get("KEFU_TABLE_LICENSING", f"kefu-{stage}-licensing"),
            audit_table=env.get("KEFU_TABLE_AUDIT", f"kefu-{stage}-audit"),
            dynamodb_endpoint=env.get("AWS_ENDPOINT_URL_DYNAMODB") or None,
            license_cache_ttl_seconds=float(env.get("KEFU_LICENSE_CACHE_TTL", "60")),
            expiring_window_days=int(env.get("KEFU_EXPIRING_WINDOW_DAYS", "30")),
            data_dir=Path(env.get("KEFU_DATA_DIR", ".data")),
            metrics_enabled=env.get("KEFU_METRICS", "emf") in ("emf", "file"),
            mailer=env.get("KEFU_MAILER", "outbox"),
            mail_table=env.get("KEFU_TABLE_MAIL", f"kefu-{stage}-mail"),
            mail_domain=env.get("KEFU_MAIL_DOMAIN", "kefu.local").strip().lower(),
            mail_bucket=env.get("KEFU_MAIL_BUCKET", f"kefu-{stage}-mail"),
            inbound_prefix=env.get("KEFU_MAIL_INBOUND_PREFIX", "inbound/"),
            blobs=env.get("KEFU_BLOBS", "folder"),
            reply_secrets=tuple(s.strip().encode() for s in env.get("KEFU_REPLY_SECRET", "").split(",") if s.strip()),
            smtp_relay=env.get("KEFU_SMTP_RELAY", "127.0.0.1:1025"),
            smtp_listen=env.get("KEFU_SMTP_LISTEN", "127.0.0.1:2525"),
            ses_configuration_set=env.get("KEFU_SES_CONFIGURATION_SET") or None,
            acknowledgements_per_hour=int(env.get("KEFU_ACK_PER_HOUR", "3")),
            backup_retention_days=int(env.get("KEFU_BACKUP_RETENTION_DAYS", "35")),
            billing_table=env.get("KEFU_TABLE_BILLING", f"kefu-{stage}-billing"),
            notice_sender=env.get("KEFU_NOTICE_FROM", "billing@kefu.local"),
            chat_table=env.get("KEFU_TABLE_CHAT", f"kefu-{stage}-chat"),
            chat_retention_days=int(env.get("KEFU_CHAT_RETENTION_DAYS", "180")),
            chat_conversations_per_ip_hour=int(env.get("KEFU_CHAT_CONVERSATIONS_PER_IP_HOUR", "10")),
            chat_messages_per_minute=int(env.get("KEFU_CHAT_MESSAGES_PER_MINUTE", "20")),
            chat_presence_cache_seconds=float(env.get("KEFU_CHAT_PRESENCE_CACHE_SECONDS", "10")),
            chat_polls_per_visitor_minute=int(env.get("KEFU_CHAT_POLLS_PER_VISITOR_MINUTE", "120")),
            mail_tickets_per_sender_hour=int(env.get("KEFU_MAIL_TICKETS_PER_SENDER_HOUR", "20")),
            reply_secret_arn=env.get("KEFU_REPLY_SECRET_ARN") or None,
            realtime_url=env.get("KEFU_REALTIME_URL", ""),
            realtime_endpoint=env.get("KEFU_REALTIME_ENDPOINT", ""),
            support_table=env.get("KEFU_TABLE_SUPPORT", f"kefu-{stage}-support"),
            support_desk_address=env.get("KEFU_SUPPORT_DESK_ADDRESS", ""),
            failed_events=env.get("KEFU_FAILED_EVENTS", "folder"),
            metrics_file=(Path(env.get("KEFU_DATA_DIR", ".data")) / "metrics" / "emf.jsonl"
                          if env.get("KEFU_METRICS") == "file" else None),
            inbound_bucket=env.get("KEFU_MAIL_INBOUND_BUCKET") or None,
            receiving_region=env.get("KEFU_MAIL_RECEIVING_REGION") or None,
            phone_table=env.get("KEFU_TABLE_PHONE", f"kefu-{stage}-phone"),
            recording_prefix=env.get("KEFU_RECORDING_PREFIX", "recordings/"),
            # DescribeContact: Amazon Connect on AWS; the local stand-in wherever DynamoDB Local is used.
            privacy_table=env.get("KEFU_TABLE_PRIVACY", f"kefu-{stage}-privacy"),
            export_window_days=int(env.get("KEFU_EXPORT_WINDOW_DAYS", "30")),
            contacts=env.get("KEFU_CONTACTS", "local" if env.get("AWS_ENDPOINT_URL_DYNAMODB") else "connect"),
            identity=env.get("KEFU_IDENTITY", "os" if env.get("AWS_ENDPOINT_URL_DYNAMODB") else "sts"),
            audit_bucket=env.get("KEFU_AUDIT_BUCKET", f"kefu-{stage}-audit-digests"),
        )
