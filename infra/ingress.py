"""Where SES receives kefu's mail. SES receives email only in some regions, so each stage names two regions
(`.chalice/config.json`): `KEFU_REGION`, where the API, tables and functions live and SES sends, and
`KEFU_MAIL_RECEIVING_REGION`, where SES receives. When they differ, a small mail-ingress stack in the receiving
region holds the receipt rule set, the raw-mail bucket and an SNS topic to which the main region's
`mail_inbound` is subscribed; when they are the same region, the main stack receives itself and there is no
second stack.

No resource of one stack refers to the other by a CloudFormation reference (there are none across regions):
both derive the names they share from the stage, the receiving region and the account (`IngressNames`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aws_cdk import Aws, Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_ses as ses
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct

from chalicelib import resources

# The regions where SES receives email, as AWS lists them: "Email receiving endpoints" in the SES developer
# guide (Regions and Amazon SES), whose table is in the AWS General Reference. The one place this list lives;
# a stage whose receiving region is not on it fails at synthesis. When AWS adds a region, add it here with the
# date you read the page.
RECEIVING_REGIONS: dict[str, str] = {
    "us-east-1": "US East (N. Virginia)",
    "us-west-2": "US West (Oregon)",
    "eu-west-1": "Europe (Ireland)",
}
RECEIVING_REGIONS_CHECKED = "2026-12-01"
RECEIVING_REGIONS_SOURCE = ("https://docs.aws.amazon.com/ses/latest/dg/regions.html#region-receive-email, "
                            "https://docs.aws.amazon.com/general/latest/gr/ses.html")
DEFAULT_RECEIVING_REGION = "us-east-1"
MAIN_REGION_ENV = "KEFU_REGION"
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")

RAW_MAIL_DAYS = 180        # as in the main region's bucket (clause 7: retention limits)
ACCESS_LOG_DAYS = 90
DEAD_LETTER_DAYS = 14      # SQS's longest retention: time to find and replay what could not be delivered


@dataclass(frozen=True)
class Layout:
    """A stage's two regions, and whether SES receives in a region of its own."""

    stage: str
    main_region: str
    receiving_region: str

    @property
    def split(self) -> bool:
        return self.main_region != self.receiving_region

    @property
    def mx_record(self) -> str:
        """The MX record the mail domain publishes: SES's inbound endpoint in the receiving region."""
        return f"10 inbound-smtp.{self.receiving_region}.amazonaws.com"


def layout(stage: str, env: Mapping[str, str]) -> Layout:
    """The stage's regions from its settings, checked: a receiving region SES does not list fails here,
    at synthesis, rather than as mail that never arrives."""
    main = env.get(MAIN_REGION_ENV, "")
    receiving = env.get(resources.RECEIVING_REGION_ENV) or DEFAULT_RECEIVING_REGION
    if not _REGION.match(main):
        raise SystemExit(f"Stage {stage}: {MAIN_REGION_ENV} must name the AWS region of the API and tables "
                         f"(e.g. ap-southeast-1) in .chalice/config.json; it is {main!r}.")
    if receiving not in RECEIVING_REGIONS:
        listed = ", ".join(f"{code} ({name})" for code, name in RECEIVING_REGIONS.items())
        raise SystemExit(f"Stage {stage}: SES does not receive email in {receiving} "
                         f"({resources.RECEIVING_REGION_ENV}). Regions that receive, as checked on "
                         f"{RECEIVING_REGIONS_CHECKED}: {listed}. Source: {RECEIVING_REGIONS_SOURCE}; if AWS lists "
                         f"the region now, add it to infra/ingress.py RECEIVING_REGIONS with today's date.")
    return Layout(stage, main, receiving)


@dataclass(frozen=True)
class IngressNames:
    """The names the ingress stack creates and the main stack uses, derived the same way in both."""

    stage: str
    region: str   # the receiving region

    @property
    def stack_id(self) -> str:
        return f"{self.stage}-ingress"

    @property
    def bucket_name(self) -> str:
        return resources.inbound_bucket_name(self.stage, Aws.ACCOUNT_ID, self.region)

    @property
    def topic_name(self) -> str:
        return f"kefu-{self.stage}-mail-received"

    @property
    def dead_letter_name(self) -> str:
        return f"kefu-{self.stage}-mail-received-dead-letters"

    @property
    def rule_name(self) -> str:
        return f"kefu-{self.stage}-store-then-notify"

    def arn(self, service: str, name: str) -> str:
        return f"arn:{Aws.PARTITION}:{service}:{self.region}:{Aws.ACCOUNT_ID}:{name}"

    @property
    def topic_arn(self) -> str:
        return self.arn("sns", self.topic_name)

    @property
    def dead_letter_arn(self) -> str:
        return self.arn("sqs", self.dead_letter_name)

    @property
    def rule_arn(self) -> str:
        return self.arn("ses", f"receipt-rule-set/{resources.rule_set_name(self.stage)}:receipt-rule/{self.rule_name}")


class IngressStack(Stack):
    """The receipt rule set and rule (TLS required, spam and virus scanning), the raw-mail bucket only this
    rule may write into, the topic that tells the main region a mail arrived, and the dead-letter queue of
    that delivery, with an alarm on it."""

    def __init__(self, scope: Construct, names: IngressNames, **kwargs: Any) -> None:
        super().__init__(scope, names.stack_id, stack_name=f"kefu-{names.stage}-ingress",
                         description=f"kefu ({names.stage}): mail received by SES in {names.region}", **kwargs)
        self.names = names
        prod = names.stage == "prod"
        self.removal = RemovalPolicy.RETAIN if prod else RemovalPolicy.DESTROY
        self.key = kms.Key(self, "Key", alias=f"alias/kefu-{names.stage}-ingress", enable_key_rotation=True,
                           description="kefu: mail-received and alarm topics", removal_policy=self.removal)
        self.bucket = self.raw_mail_bucket()
        self.topic = self.encrypted_topic("MailReceived", names.topic_name, "ses.amazonaws.com")
        self.dead_letters = self.dead_letter_queue()
        self.alarm_topic = self.encrypted_topic("Alarms", f"kefu-{names.stage}-ingress-alarms",
                                                "cloudwatch.amazonaws.com")
        self.rule = self.receipt_rule()
        cloudwatch.Alarm(
            self, "DeadLetters", alarm_name=f"kefu-{names.stage}-mail-received-dead-letters",
            alarm_description="A mail SES received could not be handed to mail_inbound in the main region; it "
                              "waits in the dead-letter queue (docs/operations.md, Two regions per stage).",
            metric=self.dead_letters.metric_approximate_number_of_messages_visible(period=Duration.minutes(5),
                                                                                statistic="Maximum"),
            threshold=0, comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=1, treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        ).add_alarm_action(cloudwatch_actions.SnsAction(self.alarm_topic))
        self.suppressions()

    def raw_mail_bucket(self) -> s3.Bucket:
        access_logs = s3.Bucket(
            self, "AccessLogs", encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL, enforce_ssl=True, removal_policy=self.removal,
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(ACCESS_LOG_DAYS))])
        # SSE-S3: SES's S3 action writes with it (a KMS key would make SES encrypt client-side, which S3's
        # GetObject cannot read back); the parsed mail lives in the main region's tables under their KMS key.
        bucket = s3.Bucket(
            self, "RawMail", bucket_name=self.names.bucket_name, encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL, enforce_ssl=True, versioned=True,
            removal_policy=self.removal, server_access_logs_bucket=access_logs, server_access_logs_prefix="raw/",
            lifecycle_rules=[
                s3.LifecycleRule(id="raw-mail", prefix=resources.INBOUND_PREFIX,
                                 expiration=Duration.days(RAW_MAIL_DAYS)),
                s3.LifecycleRule(id="old-versions", noncurrent_version_expiration=Duration.days(30),
                                 abort_incomplete_multipart_upload_after=Duration.days(1)),
            ])
        objects = bucket.arn_for_objects("*")
        bucket.add_to_resource_policy(iam.PolicyStatement(
            sid="SesWritesRawMail", principals=[iam.ServicePrincipal("ses.amazonaws.com")], actions=["s3:PutObject"],
            resources=[bucket.arn_for_objects(f"{resources.INBOUND_PREFIX}*")],
            conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID, "aws:SourceArn": self.names.rule_arn}}))
        # Raw mail is evidence of what a customer wrote: nobody but this receipt rule writes into the bucket,
        # not even an administrator of the account.
        bucket.add_to_resource_policy(iam.PolicyStatement(
            sid="OnlySesWrites", effect=iam.Effect.DENY, principals=[iam.AnyPrincipal()], actions=["s3:PutObject"],
            resources=[objects], conditions={"StringNotEquals": {"aws:SourceArn": self.names.rule_arn}}))
        return bucket

    def encrypted_topic(self, construct_id: str, name: str, publisher: str) -> sns.Topic:
        """A topic under the stack's key that one AWS service of this account may publish to."""
        topic = sns.Topic(self, construct_id, topic_name=name, master_key=self.key, enforce_ssl=True)
        conditions = {"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}}
        topic.add_to_resource_policy(iam.PolicyStatement(
            principals=[iam.ServicePrincipal(publisher)], actions=["sns:Publish"], resources=[topic.topic_arn],
            conditions=conditions))
        self.key.add_to_resource_policy(iam.PolicyStatement(
            principals=[iam.ServicePrincipal(publisher)], actions=["kms:Decrypt", "kms:GenerateDataKey*"],
            resources=["*"], conditions=conditions))
        return topic

    def dead_letter_queue(self) -> sqs.Queue:
        """Where SNS puts a notification it could not deliver to mail_inbound (the function missing, not
        permitted, throttled past SNS's retries): kept 14 days, alarmed on, and replayable."""
        queue = sqs.Queue(self, "MailReceivedDeadLetters", queue_name=self.names.dead_letter_name,
                          encryption=sqs.QueueEncryption.SQS_MANAGED, enforce_ssl=True,
                          retention_period=Duration.days(DEAD_LETTER_DAYS))
        queue.add_to_resource_policy(iam.PolicyStatement(
            principals=[iam.ServicePrincipal("sns.amazonaws.com")], actions=["sqs:SendMessage"],
            resources=[queue.queue_arn], conditions={"ArnEquals": {"aws:SourceArn": self.topic.topic_arn}}))
        return queue

    def receipt_rule(self) -> ses.CfnReceiptRule:
        """Store the raw mail under inbound/ and publish SES's notification of it (no content: the mail is
        read from the bucket) to the topic. The rule set must be made active once by hand."""
        rule_set = ses.CfnReceiptRuleSet(self, "ReceiptRuleSet",
                                         rule_set_name=resources.rule_set_name(self.names.stage))
        rule = ses.CfnReceiptRule(self, "ReceiptRule", rule_set_name=rule_set.ref, rule=ses.CfnReceiptRule.RuleProperty(
            name=self.names.rule_name, enabled=True, scan_enabled=True, tls_policy="Require",
            actions=[ses.CfnReceiptRule.ActionProperty(s3_action=ses.CfnReceiptRule.S3ActionProperty(
                bucket_name=self.bucket.bucket_name, object_key_prefix=resources.INBOUND_PREFIX,
                topic_arn=self.topic.topic_arn))]))
        # SES checks that it may write to the bucket and publish to the topic before it accepts the rule.
        for policy in (self.bucket.policy, self.topic.node.try_find_child("Policy")):
            assert policy is not None
            rule.node.add_dependency(policy)
        rule.node.add_dependency(self.key)
        return rule

    def suppressions(self) -> None:
        NagSuppressions.add_resource_suppressions_by_path(self, f"/{self.node.path}/AccessLogs/Resource", [
            NagPackSuppression(id="AwsSolutions-S1", reason="This is the access log bucket; logging it into "
                                                            "itself would loop."),
        ])
        NagSuppressions.add_resource_suppressions(self.dead_letters, [
            NagPackSuppression(id="AwsSolutions-SQS3", reason="This queue is itself the dead-letter queue of the "
                                                              "mail-received subscription."),
        ])


def deliver_to(stack: Stack, names: IngressNames, function_arn: str) -> None:
    """In the main stack: `mail_inbound` subscribed to the receiving region's topic (SNS invokes Lambda across
    regions; the subscription lives in the topic's region, so its dead-letter queue is there too), and
    permitted to be invoked by that topic only."""
    permission = lambda_.CfnPermission(stack, "InboundFromReceivingRegion", action="lambda:InvokeFunction",
                                       function_name=function_arn, principal="sns.amazonaws.com",
                                       source_arn=names.topic_arn)
    subscription = sns.CfnSubscription(
        stack, "InboundSubscription", protocol="lambda", topic_arn=names.topic_arn, endpoint=function_arn,
        region=names.region, redrive_policy={"deadLetterTargetArn": names.dead_letter_arn})
    subscription.node.add_dependency(permission)  # SNS invokes the function as soon as it subscribes
