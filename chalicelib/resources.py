"""Names of the AWS resources kefu's code and `infra/` must agree on, declared once.

The code reads each name from the environment variable given here (set by `infra/` on every function);
`infra/` creates the resource under the name given here. An area that starts using one of these resources
reads the variable through Settings and must not invent another name.
"""

from __future__ import annotations

# The bucket for raw mail and attachments: SES stores inbound mail under INBOUND_PREFIX.
MAIL_BUCKET_ENV = "KEFU_MAIL_BUCKET"
INBOUND_PREFIX = "inbound/"

# SES receives mail only in some regions: where the main region does not, a mail-ingress stack in a receiving
# region (infra/ingress.py) stores raw mail in a bucket of its own, which mail_inbound reads there.
INBOUND_BUCKET_ENV = "KEFU_MAIL_INBOUND_BUCKET"
RECEIVING_REGION_ENV = "KEFU_MAIL_RECEIVING_REGION"

# SES: the receipt rule set (made active once by hand, CloudFormation cannot) and the configuration set
# every outbound message names, whose bounce and complaint events reach MAIL_EVENTS_FUNCTION.
RECEIPT_RULE_SET_ENV = "KEFU_SES_RULE_SET"
CONFIGURATION_SET_ENV = "KEFU_SES_CONFIGURATION_SET"
MAIL_DOMAIN_ENV = "KEFU_MAIL_DOMAIN"

# Lambda functions (the names of `@app.lambda_function(name=...)` in app.py) that the email area declares.
# Until they exist, infra stores inbound mail in the bucket and leaves the Lambda step out.
MAIL_INBOUND_FUNCTION = "mail_inbound"
MAIL_EVENTS_FUNCTION = "mail_delivery_events"
# Phone: Amazon Connect's contact events reach this function through an EventBridge rule; Connect stores call
# recordings in the mail bucket under RECORDING_PREFIX (the function may read only there).
PHONE_EVENTS_FUNCTION = "phone_events"
PHONE_TABLE_ENV = "KEFU_TABLE_PHONE"
RECORDING_PREFIX = "recordings/"

# The only AWS services the package's code calls. The Lambda package keeps botocore's models for these
# and drops the rest (botocore alone is 16 MB zipped); a test fails when code calls a service not listed.
AWS_SERVICES: tuple[str, ...] = ("dynamodb", "s3", "ses", "sesv2", "sts", "cloudwatch", "logs", "secretsmanager",
                                 "lambda", "apigatewaymanagementapi", "sqs", "connect")

# The API Gateway stage of every deployed stage (.chalice/config.json `api_gateway_stage`): REST and WebSocket.
API_STAGE = "v1"

# The secrets that sign reply+<token> addresses: comma-separated, newest first (Secrets Manager, read once per
# process by chalicelib/adapters/secrets.py). Set only on the functions allowed to read it.
REPLY_SECRET_ARN_ENV = "KEFU_REPLY_SECRET_ARN"  # noqa: S105 - the name of a variable, not a secret
# Where kefu writes attachments in the mail bucket (the mail code builds keys under it).
ATTACHMENTS_PREFIX = "attachments/"
# Where the mail code keeps message texts too long to ride on their items (chalicelib/mail/tickets.py).
BODIES_PREFIX = "bodies/"
# Where privacy exports lie (chalicelib/privacy/): one archive per request, for a short while.
EXPORTS_PREFIX = "exports/"
# Where shoppers' chat files go (chalicelib/chat/service.py builds keys under it; browsers POST there directly).
CHAT_FILES_PREFIX = "chat/"


def bucket_name(stage: str, account: str) -> str:
    return f"kefu-{stage}-mail-{account}"


AUDIT_BUCKET_ENV = "KEFU_AUDIT_BUCKET"


def audit_bucket_name(stage: str, account: str) -> str:
    """The audit trail's digests (clause 9): Object Lock in compliance mode, so nobody can change one."""
    return f"kefu-{stage}-audit-{account}"


def inbound_bucket_name(stage: str, account: str, region: str) -> str:
    """The receiving region's raw-mail bucket (the region in the name: a bucket name is global)."""
    return f"kefu-{stage}-inbound-{account}-{region}"


def rule_set_name(stage: str) -> str:
    return f"kefu-{stage}-inbound"


def configuration_set_name(stage: str) -> str:
    return f"kefu-{stage}-outbound"


def reply_secret_name(stage: str) -> str:
    return f"kefu-{stage}/reply-token-secrets"


def failed_events_queue_name(stage: str) -> str:
    """The on-failure destination of every asynchronously invoked function: what `./kefu mail replay` reads."""
    return f"kefu-{stage}-failed-events"
