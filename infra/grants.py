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

from chalicelib.resources import MAIL_EVENTS_FUNCTION, MAIL_INBOUND_FUNCTION

# What PynamoDB and the services do with items: reads, conditional writes, transactions (which IAM checks as
# the item actions they contain), and DescribeTable for the health check. Never Scan, never a wildcard.
TABLE_DATA = ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:PutItem",
              "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem",
              "dynamodb:ConditionCheckItem", "dynamodb:DescribeTable"]
KMS_DATA = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"]
# Actions IAM does not scope to a resource, so that "*" is their only possible resource.
UNSCOPED = {"dynamodb:ListBackups", "ses:GetAccount", "ses:GetSendQuota"}


@dataclass(frozen=True)
class Targets:
    tables: dict[str, dynamodb.Table]   # by model name
    key: kms.IKey
    bucket: s3.IBucket


Grant = Callable[[Targets], list[iam.PolicyStatement]]


def table_data(t: Targets) -> list[iam.PolicyStatement]:
    resources = [arn for table in t.tables.values() for arn in (table.table_arn, f"{table.table_arn}/index/*")]
    return [iam.PolicyStatement(sid="TableData", actions=TABLE_DATA, resources=resources)]


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
    return [iam.PolicyStatement(sid="AuditAppend", actions=["dynamodb:PutItem"],
                                resources=[t.tables["AuditItem"].table_arn])]


def bucket_check(t: Targets) -> list[iam.PolicyStatement]:
    return [iam.PolicyStatement(sid="BucketCheck", actions=["s3:ListBucket"], resources=[t.bucket.bucket_arn])]


def bucket_objects(t: Targets) -> list[iam.PolicyStatement]:
    return [iam.PolicyStatement(sid="BucketObjects", actions=["s3:GetObject", "s3:PutObject"],
                                resources=[t.bucket.arn_for_objects("*")])]


def mailer_check(t: Targets) -> list[iam.PolicyStatement]:
    return [iam.PolicyStatement(sid="MailerCheck", actions=["ses:GetAccount", "ses:GetSendQuota"], resources=["*"])]


def mailer_send(t: Targets) -> list[iam.PolicyStatement]:
    identities = f"arn:{Aws.PARTITION}:ses:{Aws.REGION}:{Aws.ACCOUNT_ID}"
    return [iam.PolicyStatement(sid="MailerSend", actions=["ses:SendEmail", "ses:SendRawEmail"],
                                resources=[f"{identities}:identity/*", f"{identities}:configuration-set/*"])]


DEFAULT: tuple[Grant, ...] = (table_data, kms_data)
GRANTS: dict[str, tuple[Grant, ...]] = {
    "api_handler": (table_data, kms_data),
    "backups": (backups, audit_append, kms_data),
    "health": (table_describe, bucket_check, mailer_check),
    MAIL_INBOUND_FUNCTION: (table_data, kms_data, bucket_objects, mailer_send),
    MAIL_EVENTS_FUNCTION: (table_data, kms_data),
}


def statements(function_name: str, t: Targets, log_groups_arn: str) -> list[iam.PolicyStatement]:
    """The whole policy of one function: its own log lines, then its grants."""
    found = [iam.PolicyStatement(sid="Logs", actions=["logs:CreateLogGroup", "logs:CreateLogStream",
                                                      "logs:PutLogEvents"], resources=[log_groups_arn])]
    for grant in GRANTS.get(function_name, DEFAULT):
        found += grant(t)
    return found
