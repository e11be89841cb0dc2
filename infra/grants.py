"""Least privilege per function. Chalice's policy generator cannot see PynamoDB's calls (autogen_policy is
off), so each function's role is written here: exactly the tables, bucket and actions its code uses.

A function not named in GRANTS (another area's new job) gets DEFAULT: the data of every table. Give it its
own entry when it needs less, or more (the bucket, the mailer)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from aws_cdk import Aws
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager

from chalicelib.resources import (
    ATTACHMENTS_PREFIX,
    BODIES_PREFIX,
    CHAT_FILES_PREFIX,
    EXPORTS_PREFIX,
    INBOUND_PREFIX,
    MAIL_EVENTS_FUNCTION,
    MAIL_INBOUND_FUNCTION,
    PHONE_EVENTS_FUNCTION,
    RECORDING_PREFIX,
)

# What PynamoDB and the services do with items: reads, conditional writes, transactions (which IAM checks as
# the item actions they contain), and DescribeTable for the health check. Never Scan, never a wildcard.
TABLE_READ = ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query"]
TABLE_DATA = ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:PutItem",
              "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem",
              "dynamodb:ConditionCheckItem", "dynamodb:DescribeTable"]
KMS_DATA = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"]
# Actions IAM does not scope to a resource, so that "*" is their only possible resource.
UNSCOPED = {"dynamodb:ListBackups", "ses:GetAccount", "ses:GetSendQuota", "xray:PutTraceSegments",
            "xray:PutTelemetryRecords"}


@dataclass(frozen=True)
class Targets:
    tables: dict[str, dynamodb.Table]   # by model name
    key: kms.IKey
    bucket: s3.IBucket
    mail_domain: str = ""                         # the SES domain identity mail is sent from
    configuration_set: str = ""                   # the SES configuration set outbound mail names
    reply_secret: secretsmanager.ISecret | None = None
    websocket_api_id: str = ""                    # the WebSocket API (push) Chalice packaged, when there is one
    raw_mail: s3.IBucket | None = None            # where SES stores inbound mail, when not `bucket`
    own_function_arn: str = ""                    # the function the policy is for (its name as CloudFormation makes it)
    audit_bucket: s3.IBucket | None = None        # the audit trail's daily digests (Object Lock, compliance mode)


Grant = Callable[[Targets], list[iam.PolicyStatement]]


# Clause 9: the audit table is append-only. Entries are put (a chain head is put over itself under a condition)
# and read; no role updates or deletes one, and a Deny in every function's policy says so whatever else it holds.
AUDIT_APPEND = ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:PutItem",
                "dynamodb:ConditionCheckItem", "dynamodb:DescribeTable"]
AUDIT_DENIED = ["dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "dynamodb:PartiQLUpdate",
                "dynamodb:PartiQLDelete", "dynamodb:DeleteTable", "dynamodb:UpdateTable"]
AUDIT_MODEL = "AuditItem"


def table_data(t: Targets) -> list[iam.PolicyStatement]:
    resources = [arn for name, table in t.tables.items() if name != AUDIT_MODEL
                 for arn in (table.table_arn, f"{table.table_arn}/index/*")]
    return [iam.PolicyStatement(sid="TableData", actions=TABLE_DATA, resources=resources), *audit_append(t)]


def table_describe(t: Targets) -> list[iam.PolicyStatement]:
    return [iam.PolicyStatement(sid="TableDescribe", actions=["dynamodb:DescribeTable"],
                                resources=[table.table_arn for table in t.tables.values()])]


def kms_data(t: Targets) -> list[iam.PolicyStatement]:
    return [iam.PolicyStatement(sid="TableKey", actions=KMS_DATA, resources=[t.key.key_arn])]


def backups(t: Targets) -> list[iam.PolicyStatement]:
    tables = list(t.tables.values())
    return [
        iam.PolicyStatement(sid="BackupCreate", actions=["dynamodb:CreateBackup", "dynamodb:DescribeTable"],
                            resources=[table.table_arn for table in tables]),
        iam.PolicyStatement(sid="BackupExpire", actions=["dynamodb:DeleteBackup", "dynamodb:DescribeBackup"],
                            resources=[f"{table.table_arn}/backup/*" for table in tables]),
        iam.PolicyStatement(sid="BackupList", actions=["dynamodb:ListBackups"], resources=["*"]),
    ]


def audit_append(t: Targets) -> list[iam.PolicyStatement]:
    table = t.tables[AUDIT_MODEL]
    return [iam.PolicyStatement(sid="AuditAppend", actions=AUDIT_APPEND,
                                resources=[table.table_arn, f"{table.table_arn}/index/*"])]


def audit_deny(t: Targets) -> list[iam.PolicyStatement]:
    table = t.tables[AUDIT_MODEL]
    return [iam.PolicyStatement(sid="AuditNeverEdited", effect=iam.Effect.DENY, actions=AUDIT_DENIED,
                                resources=[table.table_arn, f"{table.table_arn}/index/*"])]


def audit_digest(t: Targets) -> list[iam.PolicyStatement]:
    """The nightly digest: reads the chain heads, writes (and reads back) the day's object in the locked bucket."""
    assert t.audit_bucket is not None
    return [iam.PolicyStatement(sid="AuditDigest", actions=["s3:PutObject", "s3:GetObject"],
                                resources=[t.audit_bucket.arn_for_objects("digests/*")])]


def notice_delivery(t: Targets) -> list[iam.PolicyStatement]:
    """A bounce or complaint of a notice (clause 13.1): the licensee's notices read and one marked, in the
    billing table, with its audit record."""
    billing = t.tables["BillingItem"]
    return [iam.PolicyStatement(sid="NoticeDelivery", actions=["dynamodb:Query", "dynamodb:GetItem",
                                                               "dynamodb:UpdateItem"],
                                resources=[billing.table_arn]), *audit_append(t)]


def bucket_check(t: Targets) -> list[iam.PolicyStatement]:
    """HeadBucket of the mail bucket, and of the receiving region's raw-mail bucket where there is one."""
    buckets = [t.bucket, *([t.raw_mail] if t.raw_mail is not None and t.raw_mail is not t.bucket else [])]
    return [iam.PolicyStatement(sid="BucketCheck", actions=["s3:ListBucket"],
                                resources=[b.bucket_arn for b in buckets])]


def _area_table(t: Targets, model: str, sid: str) -> list[iam.PolicyStatement]:
    """One area's table's items, and reading licenses (the area's gate); nothing else of the database."""
    own, licensing = t.tables[model], t.tables["LicensingItem"]
    return [iam.PolicyStatement(sid=sid, actions=TABLE_DATA, resources=[own.table_arn, f"{own.table_arn}/index/*"]),
            iam.PolicyStatement(sid="LicenseRead", actions=TABLE_READ,
                                resources=[licensing.table_arn, f"{licensing.table_arn}/index/*"])]


def mail_table(t: Targets) -> list[iam.PolicyStatement]:
    """The mail table's items, and reading licenses (the mail gate)."""
    return _area_table(t, "MailItem", "MailTable")


def inbound_read(t: Targets) -> list[iam.PolicyStatement]:
    """The raw mail SES stored under the inbound prefix (in the receiving region's bucket where SES receives in
    another region): read, never written or deleted by kefu."""
    raw_mail = t.raw_mail or t.bucket
    return [iam.PolicyStatement(sid="InboundRead", actions=["s3:GetObject"],
                                resources=[raw_mail.arn_for_objects(f"{INBOUND_PREFIX}*")])]


def attachments_write(t: Targets) -> list[iam.PolicyStatement]:
    return [iam.PolicyStatement(sid="AttachmentsWrite", actions=["s3:PutObject"],
                                resources=[t.bucket.arn_for_objects(f"{ATTACHMENTS_PREFIX}*")])]


def bodies(t: Targets) -> list[iam.PolicyStatement]:
    """Long message texts beside their items: written by whoever stores a message (arriving mail, agents'
    replies), read back when a ticket is shown."""
    return [iam.PolicyStatement(sid="Bodies", actions=["s3:PutObject", "s3:GetObject"],
                                resources=[t.bucket.arn_for_objects(f"{BODIES_PREFIX}*")])]


def attachments_read(t: Targets) -> list[iam.PolicyStatement]:
    """Agents download attachments through links this role signs, so the role must be able to read them."""
    return [iam.PolicyStatement(sid="AttachmentsRead", actions=["s3:GetObject"],
                                resources=[t.bucket.arn_for_objects(f"{ATTACHMENTS_PREFIX}*")])]


def chat_files(t: Targets) -> list[iam.PolicyStatement]:
    """Shoppers' files: the presigned POST and links this role signs act with its rights, under chat/ only."""
    return [iam.PolicyStatement(sid="ChatFiles", actions=["s3:PutObject", "s3:GetObject"],
                                resources=[t.bucket.arn_for_objects(f"{CHAT_FILES_PREFIX}*")])]


def reply_secret(t: Targets) -> list[iam.PolicyStatement]:
    assert t.reply_secret is not None
    return [iam.PolicyStatement(sid="ReplySecret", actions=["secretsmanager:GetSecretValue"],
                                resources=[t.reply_secret.secret_arn])]


def mailer_check(t: Targets) -> list[iam.PolicyStatement]:
    return [iam.PolicyStatement(sid="MailerCheck", actions=["ses:GetAccount", "ses:GetSendQuota"], resources=["*"])]


def mailer_send(t: Targets) -> list[iam.PolicyStatement]:
    """Sending from the mail domain's identity, through kefu's configuration set; no other identity."""
    ses_arn = f"arn:{Aws.PARTITION}:ses:{Aws.REGION}:{Aws.ACCOUNT_ID}"
    return [iam.PolicyStatement(sid="MailerSend", actions=["ses:SendEmail", "ses:SendRawEmail"],
                                resources=[f"{ses_arn}:identity/{t.mail_domain}",
                                           f"{ses_arn}:configuration-set/{t.configuration_set}"])]


def phone_table(t: Targets) -> list[iam.PolicyStatement]:
    """The phone table's items, and reading licenses (the phone gate)."""
    return _area_table(t, "PhoneItem", "PhoneTable")


def recordings_read(t: Targets) -> list[iam.PolicyStatement]:
    """Connect's call recordings under the recording prefix: read (agents' links are signed by this role)."""
    return [iam.PolicyStatement(sid="RecordingsRead", actions=["s3:GetObject"],
                                resources=[t.bucket.arn_for_objects(f"{RECORDING_PREFIX}*")])]


def connect_describe(t: Targets) -> list[iam.PolicyStatement]:
    """DescribeContact on contacts of any Connect instance of the account (each merchant brings its own
    instance, routed in the phone table), and DescribeQueue / DescribeUser to name a call's queue and agent;
    no other Connect action."""
    instances = f"arn:{Aws.PARTITION}:connect:{Aws.REGION}:{Aws.ACCOUNT_ID}:instance/*/"
    return [iam.PolicyStatement(sid="ConnectDescribeContact", actions=["connect:DescribeContact"],
                                resources=[f"{instances}contact/*"]),
            iam.PolicyStatement(sid="ConnectNames", actions=["connect:DescribeQueue", "connect:DescribeUser"],
                                resources=[f"{instances}queue/*", f"{instances}agent/*"])]


def privacy_blobs(t: Targets) -> list[iam.PolicyStatement]:
    """Privacy (clauses 7.2, 11.2): a customer's or merchant's blobs read for an export and deleted, every version
    (the bucket is versioned), for an erasure or retention; archives written and read under the export prefix.
    Raw mail is deleted where SES stored it, one action a statement."""
    content = [t.bucket.arn_for_objects(f"{prefix}*") for prefix in
               (ATTACHMENTS_PREFIX, BODIES_PREFIX, CHAT_FILES_PREFIX, RECORDING_PREFIX, INBOUND_PREFIX,
                EXPORTS_PREFIX)]
    found = [iam.PolicyStatement(sid="PrivacyRead", actions=["s3:GetObject"], resources=content),
             iam.PolicyStatement(sid="PrivacyDelete", actions=["s3:DeleteObject", "s3:DeleteObjectVersion"],
                                 resources=content),
             iam.PolicyStatement(sid="PrivacyExports", actions=["s3:PutObject"],
                                 resources=[t.bucket.arn_for_objects(f"{EXPORTS_PREFIX}*")]),
             iam.PolicyStatement(sid="PrivacyList", actions=["s3:ListBucket", "s3:ListBucketVersions"],
                                 resources=[t.bucket.bucket_arn])]
    if t.raw_mail is not None and t.raw_mail is not t.bucket:
        raw = t.raw_mail.arn_for_objects(f"{INBOUND_PREFIX}*")
        found += [iam.PolicyStatement(sid=f"PrivacyRawMail{n}", actions=[action], resources=[raw])
                  for n, action in enumerate(("s3:GetObject", "s3:DeleteObject", "s3:DeleteObjectVersion"))]
        found.append(iam.PolicyStatement(sid="PrivacyRawMailList", actions=["s3:ListBucketVersions"],
                                         resources=[t.raw_mail.bucket_arn]))
    return found


def invoke_itself(t: Targets) -> list[iam.PolicyStatement]:
    """A long run that is short of time continues in a new invocation of its own function, and only that."""
    return [iam.PolicyStatement(sid="InvokeItself", actions=["lambda:InvokeFunction"],
                                resources=[t.own_function_arn, f"{t.own_function_arn}:*"])]


def push(t: Targets) -> list[iam.PolicyStatement]:
    """Posting to the stack's own WebSocket connections (chat's push), nothing else of API Gateway."""
    api = f"arn:{Aws.PARTITION}:execute-api:{Aws.REGION}:{Aws.ACCOUNT_ID}"
    return [iam.PolicyStatement(sid="Push", actions=["execute-api:ManageConnections"],
                                resources=[f"{api}:{t.websocket_api_id or '*'}/*/POST/@connections/*"])]


def push_consoles(t: Targets) -> list[iam.PolicyStatement]:
    """New mail told to the merchant's consoles: the open connections kept in the chat table under `RT#…` read,
    the gone ones forgotten, and posts to them; nothing else of the chat table."""
    chat = t.tables["ChatItem"]
    return [iam.PolicyStatement(sid="PushListeners", actions=["dynamodb:Query", "dynamodb:DeleteItem"],
                                resources=[chat.table_arn],
                                conditions={"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["RT#*", "RTC#*"]}}),
            *push(t)]


DEFAULT: tuple[Grant, ...] = (table_data, kms_data)
GRANTS: dict[str, tuple[Grant, ...]] = {
    # Agents reply by mail (sign reply addresses, send) and download attachments.
    # Phone (issue 14): agents open recordings through links this role signs.
    "api_handler": (table_data, kms_data, attachments_read, bodies, mailer_send, reply_secret, push, chat_files,
                    recordings_read, privacy_blobs),
    # The WebSocket routes keep connections in the chat table; a shopper's typing is pushed to the consoles.
    "websocket_connect": (table_data, kms_data),
    "websocket_disconnect": (table_data, kms_data),
    "websocket_message": (table_data, kms_data, push),
    "backups": (backups, audit_append, kms_data),
    "health": (table_describe, bucket_check, mailer_check),
    # Reads the raw mail, keeps attachments, routes reply addresses, sends acknowledgements, tells the consoles.
    MAIL_INBOUND_FUNCTION: (mail_table, kms_data, inbound_read, attachments_write, bodies, mailer_send,
                            reply_secret, push_consoles),
    MAIL_EVENTS_FUNCTION: (mail_table, kms_data, notice_delivery),
    # Connect's contact events: the phone table, the license, DescribeContact. It only notes a recording's key
    # (from DescribeContact); reading recordings is the API's, which signs agents' links.
    PHONE_EVENTS_FUNCTION: (phone_table, kms_data, connect_describe),
    # Clause 13.1: invoices, reminders and renewal notices go out by mail from the mail domain.
    # ... and a run short of time continues itself with a cursor.
    "billing-run": (table_data, kms_data, mailer_send, invoke_itself),
    "overdue-run": (table_data, kms_data, mailer_send, invoke_itself),
    "renewal-run": (table_data, kms_data, mailer_send, invoke_itself),
    # Clause 9: the chain heads in, the day's digest out to the Object Lock bucket.
    "audit-digest": (audit_append, kms_data, audit_digest),
    # Clauses 7, 11.2: privacy requests continued, erasure after termination with its notice, retention.
    "privacy-run": (table_data, kms_data, privacy_blobs, mailer_send, invoke_itself),
}


def reads_reply_secret(function_name: str) -> bool:
    """Whether the function may read the reply secret (and so is told where it is)."""
    return reply_secret in GRANTS.get(function_name, DEFAULT)


def statements(function_name: str, t: Targets, log_groups_arn: str) -> list[iam.PolicyStatement]:
    """The whole policy of one function: its own log lines, then its grants."""
    found = [iam.PolicyStatement(sid="Logs", actions=["logs:CreateLogGroup", "logs:CreateLogStream",
                                                      "logs:PutLogEvents"], resources=[log_groups_arn])]
    for grant in GRANTS.get(function_name, DEFAULT):
        found += grant(t)
    return found + audit_deny(t)
