"""Mail as SES would hand it over: the raw message stored under its SES id, then the receipt event."""

from __future__ import annotations

import json
import uuid
from typing import Any

from chalicelib.bootstrap import Services
from chalicelib.core.ids import new_id
from chalicelib.mail.handler import on_inbound
from chalicelib.mail.model import Verdicts, ses_event


def raw_mail(sender: str, to: str, subject: str = "Where is my order?", body: str = "Hello, my tea has not arrived.",
             message_id: str | None = None, extra: str = "") -> bytes:
    message_id = message_id or f"{uuid.uuid4().hex}@client.example"
    return (f"From: Customer <{sender}>\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <{message_id}>\r\n"
            f"Date: Mon, 15 Jun 2026 12:00:00 +0800\r\nMIME-Version: 1.0\r\n{extra}"
            f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n").encode()


def deliver(services: Services, raw: bytes, recipients: list[str], verdicts: Verdicts | None = None,
            ses_id: str | None = None) -> list[dict[str, Any]]:
    """Store `raw` as SES does and run the inbound handler; returns its outcomes."""
    ses_id = ses_id or new_id("ses").replace("_", "")
    services.mail.raw_mail.put(f"{services.settings.inbound_prefix}{ses_id}", raw, "message/rfc822")
    event = ses_event(ses_id, recipients, "sender@client.example", services.clock.now(),
                      verdicts or Verdicts(spam="PASS", virus="PASS"))
    return list(on_inbound(event, services)["outcomes"])


def through_sns(event: dict[str, Any], bucket: str = "kefu-test-inbound", prefix: str = "inbound/",
                topic_arn: str = "arn:aws:sns:us-east-1:111122223333:kefu-test-mail-received") -> dict[str, Any]:
    """The same receipt as SES announces it when the rule's S3 action (not a Lambda action) stored the mail and
    published to an SNS topic, as SNS then invokes a Lambda function: the main region's `mail_inbound` when
    mail is received in another region. Shapes from SES's receipt notification and SNS's Lambda event."""
    records = []
    for record in event["Records"]:
        mail, receipt = record["ses"]["mail"], dict(record["ses"]["receipt"])
        receipt["action"] = {"type": "S3", "topicArn": topic_arn, "bucketName": bucket, "objectKeyPrefix": prefix,
                             "objectKey": f"{prefix}{mail['messageId']}"}
        message = {"notificationType": "Received", "mail": mail, "receipt": receipt}
        records.append({"EventSource": "aws:sns", "EventVersion": "1.0",
                        "EventSubscriptionArn": f"{topic_arn}:{uuid.uuid4()}",
                        "Sns": {"Type": "Notification", "MessageId": str(uuid.uuid4()), "TopicArn": topic_arn,
                                "Subject": "Amazon SES Email Receipt Notification", "Message": json.dumps(message),
                                "Timestamp": mail["timestamp"], "SignatureVersion": "1", "Signature": "",
                                "SigningCertUrl": "", "UnsubscribeUrl": "", "MessageAttributes": {}}})
    return {"Records": records}


def mail_merchant(services: Services, factory: Any, **options: Any) -> tuple[Any, str]:
    """A licensed merchant with a support address of its own."""
    merchant = factory.merchant(**options)
    local = merchant.licensee_id.replace("_", "-")
    address = services.mail.add_address(merchant.licensee_id, local, "test:factory")
    return merchant, address
