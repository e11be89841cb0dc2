"""The cdk-nag findings a stage's stack accepts on purpose, each with its reason (any other finding fails
synthesis)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cdk_nag import NagPackSuppression, NagSuppressions, RegexAppliesTo

if TYPE_CHECKING:
    from infra.stack import KefuStack


def suppressions(stack: KefuStack) -> None:
    """Each finding accepted on purpose, with the reason."""
    NagSuppressions.add_resource_suppressions_by_path(stack, f"/{stack.node.path}/AccessLogs/Resource", [
        NagPackSuppression(id="AwsSolutions-S1", reason="This is the access log bucket; logging it into "
                                                        "itself would loop."),
    ])
    NagSuppressions.add_resource_suppressions_by_path(stack, f"/{stack.node.path}/ScheduleDeadLetters/Resource", [
        NagPackSuppression(id="AwsSolutions-SQS3", reason="This queue is itself the dead-letter queue of the "
                                                          "EventBridge Scheduler schedules."),
    ])
    NagSuppressions.add_resource_suppressions_by_path(stack, f"/{stack.node.path}/FailedEvents/Resource", [
        NagPackSuppression(id="AwsSolutions-SQS3", reason="This queue is itself the on-failure destination of "
                                                          "the asynchronously invoked functions."),
    ])
    NagSuppressions.add_resource_suppressions_by_path(stack, f"/{stack.node.path}/ApiGatewayLogging/Resource", [
        NagPackSuppression(id="AwsSolutions-IAM4", reason="API Gateway's account-wide logging role takes AWS's "
                           "own policy for it, which follows the log actions API Gateway needs.",
                           applies_to=[RegexAppliesTo(regex=r"/AmazonAPIGatewayPushToCloudWatchLogs$/g")]),
    ])
    NagSuppressions.add_resource_suppressions(stack.reply_secret, [
        NagPackSuppression(id="AwsSolutions-SMG4", reason="Rotated by hand in two steps (a new secret added "
                           "behind, then moved in front) so that reply addresses already in customers' "
                           "mailboxes keep working; a rotation Lambda would replace the value at once."),
    ])
    wildcard_reasons = [
        (r"/^Resource::.*\/index\/\*$/g", "Queries use the table's indexes, which IAM names under the table."),
        (r"/^Resource::.*\/backup\/\*$/g", "Backup ARNs end in an id DynamoDB makes at backup time; the "
                                           "grant is limited to backups of kefu's own tables."),
        (r"/^Resource::\*$/g", "ListBackups, ses:GetAccount, ses:GetSendQuota and X-Ray's PutTraceSegments and "
                               "PutTelemetryRecords take no resource in IAM; these statements hold only such "
                               "actions."),
        (r"/^Resource::.*:function:.*-\*(:\*)?$/g", "A run continues in its own function (and its versions), "
                                                    "whose name CloudFormation makes from the stack's."),
        (r"/^Resource::.*:log-group:\/aws\/lambda\/.*-\*$/g", "Lambda names its log groups after function "
                                                              "names CloudFormation makes; limited to this "
                                                              "stack's functions."),
        (r"/^Resource::<MailBucket[A-Za-z0-9]*\.Arn>\/(inbound|attachments|bodies|chat|recordings|exports)\/\*$/g",
         "Objects under one prefix of the mail bucket (raw mail, attachments, chat files, call recordings or "
         "privacy exports), whose keys are message, upload, contact or request ids."),
        (r"/^Resource::arn:<AWS::Partition>:connect:<AWS::Region>:<AWS::AccountId>:instance\/\*\/contact\/\*$/g",
         "DescribeContact on the account's Connect instances, whose ids merchants bring; the phone table "
         "routes each instance to one merchant."),
        (r"/^Resource::arn:<AWS::Partition>:connect:<AWS::Region>:<AWS::AccountId>:instance\/\*\/(queue|agent)\/\*$/g",
         "DescribeQueue and DescribeUser name the queue and agent a contact event carries by id, on the "
         "account's Connect instances, whose ids merchants bring."),
        (r"/^Resource::arn:<AWS::Partition>:s3:::kefu-[a-z0-9]+-inbound-<AWS::AccountId>-[a-z0-9-]+\/inbound\/\*$/g",
         "Raw mail under the inbound prefix of the receiving region's bucket, whose keys are SES's message ids."),
        (r"/^Resource::<AuditBucket[A-Za-z0-9]*\.Arn>\/digests\/\*$/g",
         "The audit trail's daily digests, one object per day, under Object Lock."),
        (r"/^Action::kms:(GenerateDataKey|ReEncrypt)\*$/g", "The DynamoDB data-key actions of the table key."),
        (r"/^Resource::.*\/\*\/POST\/@connections\/\*$/g", "Posting to connections of this stack's own "
                                                           "WebSocket API, whose ids API Gateway makes."),
    ]
    for function in stack.functions:
        NagSuppressions.add_resource_suppressions(stack.app.get_resource(function.role_logical_id), [
            NagPackSuppression(id="AwsSolutions-IAM5", reason=reason, applies_to=[RegexAppliesTo(regex=regex)])
            for regex, reason in wildcard_reasons])
    for route in ("Connect", "Disconnect", "Message"):
        NagSuppressions.add_resource_suppressions_by_path(
            stack, f"/{stack.node.path}/App/ChaliceApp/Websocket{route}Route", [NagPackSuppression(
                id="AwsSolutions-APIG4", reason="The $connect function authorizes every socket (widget key and "
                "its origins with the visitor token of the conversation, or an agent key) and refuses the "
                "rest; $disconnect and $default reach only connections it let in.")])
    NagSuppressions.add_resource_suppressions_by_path(
        stack, f"/{stack.node.path}/App/ChaliceApp/WebsocketAPIStage", [NagPackSuppression(
            id="AwsSolutions-APIG1", reason="Each connect, refusal and disconnect is logged by the functions "
            "in structured logs with the connection id; the stage carries no messages of its own.")])
    NagSuppressions.add_resource_suppressions_by_path(
        stack, f"/{stack.node.path}/SchedulerRole/DefaultPolicy/Resource", [NagPackSuppression(
            id="AwsSolutions-IAM5", reason="Granted by the queue construct for sending dead letters.",
            applies_to=[RegexAppliesTo(regex=r"/^Action::kms:(GenerateDataKey|ReEncrypt)\*$/g")])])
