"""One stack per stage: the Chalice app (API and functions), tables, the mail bucket, SES, schedules, the
dashboard and alarms. Its construct id is the stage, which is how Chalice's construct picks the stage of
.chalice/config.json."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from aws_cdk import Aws, Duration, Fn, RemovalPolicy, Stack
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_ses as ses
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_wafv2 as wafv2
from chalice.cdk import Chalice
from constructs import Construct

from chalicelib import resources
from chalicelib.privacy import model as privacy_model
from infra import bundle, catalogue, dashboard, grants, ingress, nag
from infra.catalogue import FunctionSpec, TableSpec
from infra.options import StageOptions, options

ROOT = Path(__file__).resolve().parents[1]
ATTRIBUTE_TYPES = {"S": dynamodb.AttributeType.STRING, "N": dynamodb.AttributeType.NUMBER,
                   "B": dynamodb.AttributeType.BINARY}
PROJECTIONS = {"ALL": dynamodb.ProjectionType.ALL, "KEYS_ONLY": dynamodb.ProjectionType.KEYS_ONLY,
               "INCLUDE": dynamodb.ProjectionType.INCLUDE}
AUDIT_DIGEST_DAYS = 3653   # ten years: the limitation period of a dispute under the agreement and the law, with margin
# raw mail; what was parsed from it lives in the tables (clause 7: retention limits; merchants may set less)
RAW_MAIL_DAYS = privacy_model.MAX_DAYS[privacy_model.Retained.RAW_MAIL]
ACCESS_LOG_DAYS = 90
SCHEDULE_RETRIES, SCHEDULE_MAX_AGE_SECONDS = 3, 3600
SCHEDULED_TIME = "<aws.scheduler.scheduled-time>"  # EventBridge Scheduler's context attribute
# Lambda's own retries of an asynchronous event (at most 2), and how long it keeps trying, before the event
# goes to the on-failure destination; failed events wait there for `./kefu mail replay` or a look, 14 days.
ASYNC_RETRIES, ASYNC_MAX_AGE_SECONDS, FAILED_EVENTS_DAYS = 2, 6 * 3600, 14
API_STAGE = "v1"  # .chalice/config.json's api_gateway_stage for dev and prod
ACCESS_LOG_FORMAT = {
    "requestId": "$context.requestId", "ip": "$context.identity.sourceIp", "time": "$context.requestTime",
    "method": "$context.httpMethod", "route": "$context.resourcePath", "status": "$context.status",
    "latencyMs": "$context.responseLatency", "integrationMs": "$context.integration.latency",
    "bytes": "$context.responseLength", "waf": "$context.waf.status", "error": "$context.error.message"}
# Contact events are retried for a day if the function fails (EventBridge's limits); events are idempotent.
EVENT_RETRIES, EVENT_MAX_AGE_SECONDS = 185, 86400


class KefuChalice(Chalice):
    """Chalice's construct, packaging the way `bundle.package` does (botocore models of unused services out)."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id, source_dir=str(ROOT), stage_config=bundle.CHALICE_CONFIG)

    def _package_app(self) -> None:
        super()._package_app()
        bundle.prune(Path(self._sam_package_dir) / "deployment.zip")

    @property
    def packaged_template(self) -> dict[str, Any]:
        return json.loads((Path(self._sam_package_dir) / "sam.json").read_text())


def apigateway_account(scope: Construct, role: iam.Role) -> Any:
    from aws_cdk import aws_apigateway as apigateway

    return apigateway.CfnAccount(scope, "ApiGatewayAccount", cloud_watch_role_arn=role.role_arn)


class KefuStack(Stack):
    def __init__(self, scope: Construct, stage: str, layout: ingress.Layout, **kwargs: Any) -> None:
        super().__init__(scope, stage, stack_name=f"kefu-{stage}", description=f"kefu ({stage})", **kwargs)
        self.stage = stage
        self.options: StageOptions = options(stage)
        # SES receives here, or in the receiving region's ingress stack (infra/ingress.py).
        self.layout = layout
        self.ingress = ingress.IngressNames(stage, layout.receiving_region) if layout.split else None
        prod = stage == "prod"
        self.removal = RemovalPolicy.RETAIN if prod else RemovalPolicy.DESTROY

        self.key = kms.Key(self, "Key", alias=f"alias/kefu-{stage}", enable_key_rotation=True,
                           description="kefu: tables, topics", removal_policy=self.removal)
        self.tables = {spec.key: self.table(spec, prod) for spec in catalogue.tables(stage)}
        self.bucket = self.mail_bucket()
        self.audit_bucket = self.audit_digests()
        self.raw_mail = self.bucket if self.ingress is None else s3.Bucket.from_bucket_attributes(
            self, "RawMail", bucket_name=self.ingress.bucket_name, region=self.ingress.region)
        self.reply_secret = self.reply_token_secret()

        self.app = KefuChalice(self, "App")
        self.functions = catalogue.functions(self.app.packaged_template)
        self.dead_letters = sqs.Queue(self, "ScheduleDeadLetters", encryption=sqs.QueueEncryption.SQS_MANAGED,
                                      enforce_ssl=True, retention_period=Duration.days(14))
        self.failed_events = sqs.Queue(
            self, "FailedEvents", queue_name=resources.failed_events_queue_name(stage),
            encryption=sqs.QueueEncryption.SQS_MANAGED, enforce_ssl=True,
            retention_period=Duration.days(FAILED_EVENTS_DAYS))
        self.log_groups: dict[str, logs.CfnLogGroup] = {}
        self.configure_functions()
        self.api_log_group = self.configure_api()
        self.gateway_responses()

        self.alarm_topic = self.topic("Alarms", "cloudwatch.amazonaws.com")
        for subscriber in self.options.alarm_subscribers:
            self.alarm_topic.add_subscription(subscriptions.EmailSubscription(subscriber.endpoint)
                                              if subscriber.protocol == "email"
                                              else subscriptions.UrlSubscription(subscriber.endpoint))
        self.mail_topic = self.topic("MailEvents", "ses.amazonaws.com")
        self.mail()
        self.schedules()
        functions = [dashboard.Function(f.name, self.app.get_resource(f.logical_id).ref,
                                        self.log_groups[f.name].ref, f.asynchronous)
                     for f in self.functions]
        watched = dashboard.Watched(functions, f"kefu-{stage}", API_STAGE, self.dead_letters, self.failed_events,
                                    self.options.api_latency_p95_ms)
        self.phone()
        dashboard.dashboard(self, stage, watched)
        dashboard.alarms(self, watched, self.alarm_topic)
        nag.suppressions(self)

    # -- tables -------------------------------------------------------------------------------------------
    def table(self, spec: TableSpec, prod: bool) -> dynamodb.Table:
        def attribute(key: tuple[str, str] | None) -> dynamodb.Attribute | None:
            return dynamodb.Attribute(name=key[0], type=ATTRIBUTE_TYPES[key[1]]) if key else None

        table = dynamodb.Table(
            self, f"Table{spec.key}", table_name=spec.name, partition_key=attribute(spec.partition),
            sort_key=attribute(spec.sort), billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True),
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED, encryption_key=self.key,
            time_to_live_attribute=spec.ttl_attribute, deletion_protection=prod, removal_policy=self.removal)
        for index in spec.indexes:
            table.add_global_secondary_index(
                index_name=index.name, partition_key=attribute(index.partition), sort_key=attribute(index.sort),
                projection_type=PROJECTIONS[index.projection],
                non_key_attributes=list(index.non_key_attributes) or None)
        return table

    # -- the mail bucket --------------------------------------------------------------------------------
    def mail_bucket(self) -> s3.Bucket:
        access_logs = self.access_logs = s3.Bucket(
            self, "AccessLogs", encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL, enforce_ssl=True, removal_policy=self.removal,
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(ACCESS_LOG_DAYS))])
        # SSE-S3: SES writes inbound mail itself, and can only do so with S3-managed keys or a KMS key that
        # SES encrypts with client-side; the tables hold the parsed mail under the KMS key.
        return s3.Bucket(
            self, "MailBucket", bucket_name=resources.bucket_name(self.stage, Aws.ACCOUNT_ID),
            encryption=s3.BucketEncryption.S3_MANAGED, block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True, versioned=True, removal_policy=self.removal,
            server_access_logs_bucket=access_logs, server_access_logs_prefix="mail/",
            # Shoppers' browsers post chat files straight here, from any merchant's storefront; each POST carries
            # a policy this stack's API signed for one key, one size range and one content type.
            cors=[s3.CorsRule(allowed_methods=[s3.HttpMethods.POST], allowed_origins=["*"], allowed_headers=["*"],
                              max_age=600)],
            lifecycle_rules=[
                s3.LifecycleRule(id="raw-mail", prefix=resources.INBOUND_PREFIX,
                                 expiration=Duration.days(RAW_MAIL_DAYS)),
                # privacy exports: an archive's link lasts minutes; the archive itself goes within days
                s3.LifecycleRule(id="exports", prefix=resources.EXPORTS_PREFIX,
                                 expiration=Duration.days(privacy_model.EXPORT_ARCHIVE_DAYS)),
                s3.LifecycleRule(id="old-versions", noncurrent_version_expiration=Duration.days(30),
                                 abort_incomplete_multipart_upload_after=Duration.days(1)),
            ])

    def audit_digests(self) -> s3.Bucket:
        """Clause 9: the daily digests of the audit chains, under Object Lock in compliance mode, so that not even
        the account's root can change or delete one before its retention ends (and so a rewritten audit table
        cannot agree with them)."""
        return s3.Bucket(
            self, "AuditBucket", bucket_name=resources.audit_bucket_name(self.stage, Aws.ACCOUNT_ID),
            encryption=s3.BucketEncryption.S3_MANAGED, block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True, versioned=True, object_lock_enabled=True,
            object_lock_default_retention=s3.ObjectLockRetention.compliance(Duration.days(AUDIT_DIGEST_DAYS)),
            removal_policy=RemovalPolicy.RETAIN, server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix="audit/")

    # -- the reply secret ------------------------------------------------------------------------------------
    def reply_token_secret(self) -> secretsmanager.Secret:
        """The HMAC secret that signs reply+<token> addresses, generated here and never seen by anyone. Its
        value is a comma-separated list, newest first: rotation adds a new one in front (docs/email.md)."""
        return secretsmanager.Secret(
            self, "ReplySecret", secret_name=resources.reply_secret_name(self.stage),
            description="kefu: signs reply addresses (comma-separated, newest first)",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=64, exclude_punctuation=True, include_space=False),
            removal_policy=self.removal)

    # -- functions ----------------------------------------------------------------------------------------
    def configure_functions(self) -> None:
        mail_domain = catalogue.stage_environment(self.stage)[resources.MAIL_DOMAIN_ENV]
        websocket = self.app.get_resource("WebsocketAPI")  # Chalice's WebSocket API: chat's push
        targets = grants.Targets(self.tables, self.key, self.bucket, mail_domain,
                                 resources.configuration_set_name(self.stage), self.reply_secret, websocket.ref,
                                 self.raw_mail, audit_bucket=self.audit_bucket)
        log_groups = f"arn:{Aws.PARTITION}:logs:{Aws.REGION}:{Aws.ACCOUNT_ID}:log-group:/aws/lambda/{Aws.STACK_NAME}-*"
        environment = {resources.MAIL_BUCKET_ENV: self.bucket.bucket_name,
                       resources.AUDIT_BUCKET_ENV: self.audit_bucket.bucket_name,
                       resources.INBOUND_BUCKET_ENV: self.raw_mail.bucket_name,
                       resources.RECEIVING_REGION_ENV: self.layout.receiving_region,
                       resources.RECEIPT_RULE_SET_ENV: resources.rule_set_name(self.stage),
                       resources.CONFIGURATION_SET_ENV: resources.configuration_set_name(self.stage)}
        # Where widgets connect for push and where the functions post to them: the same API and stage.
        socket_host = f"{websocket.ref}.execute-api.{Aws.REGION}.{Aws.URL_SUFFIX}/{resources.API_STAGE}"
        environment["KEFU_REALTIME_URL"] = f"wss://{socket_host}"
        environment["KEFU_REALTIME_ENDPOINT"] = f"https://{socket_host}"
        for function in self.functions:
            cfn = self.app.get_resource(function.logical_id)
            cfn.add_property_override("MemorySize", function.memory_mb)
            cfn.add_property_override("Timeout", function.timeout_seconds)
            self.production_settings(function, cfn)
            for name, value in environment.items():
                self.app.add_environment_variable(name, value, function.logical_id)
            if grants.reads_reply_secret(function.name):  # only where the role may read it
                self.app.add_environment_variable(resources.REPLY_SECRET_ARN_ENV, self.reply_secret.secret_arn,
                                                  function.logical_id)
            # Set on the imported role itself (not as an override), so that cdk-nag checks the real policy.
            role = self.app.get_resource(function.role_logical_id)
            assert isinstance(role, iam.CfnRole)
            # By name, not by the function's Arn: the function depends on its role, so the role cannot on it.
            own = replace(targets, own_function_arn=f"arn:{Aws.PARTITION}:lambda:{Aws.REGION}:{Aws.ACCOUNT_ID}"
                                                    f":function:{Aws.STACK_NAME}-{function.logical_id}-*")
            statements = grants.statements(function.name, own, log_groups)
            statements.append(iam.PolicyStatement(sid="Traces", actions=["xray:PutTraceSegments",
                                                                         "xray:PutTelemetryRecords"],
                                                  resources=["*"]))
            if function.asynchronous:
                statements.append(iam.PolicyStatement(sid="FailedEvents", actions=["sqs:SendMessage"],
                                                      resources=[self.failed_events.queue_arn]))
            role.policies = [iam.CfnRole.PolicyProperty(
                policy_name=f"{function.role_logical_id}Policy",
                policy_document=iam.PolicyDocument(statements=statements))]

    def production_settings(self, function: FunctionSpec, cfn: Any) -> None:
        """What every function runs with on AWS: traced, on arm64 and a pinned runtime, its own log group with
        the stage's retention, a correlation-friendly name in its environment, and, when invoked
        asynchronously, an on-failure destination so that no event is lost after Lambda's retries."""
        cfn.add_property_override("Tracing", "Active")
        cfn.add_property_override("Architectures", [catalogue.ARCHITECTURE])
        cfn.add_property_override("Runtime", catalogue.RUNTIME)
        group = self.log_group(f"Logs{function.logical_id}", f"/aws/lambda/kefu-{self.stage}-{function.name}")
        self.log_groups[function.name] = group
        cfn.add_property_override("LoggingConfig", {"LogGroup": group.ref})
        self.app.add_environment_variable("KEFU_FUNCTION", function.name, function.logical_id)
        reserved = self.options.reserved_concurrency.get(function.name)
        if reserved is not None:
            cfn.add_property_override("ReservedConcurrentExecutions", reserved)
        if function.asynchronous:
            cfn.add_property_override("EventInvokeConfig", {
                "MaximumRetryAttempts": ASYNC_RETRIES, "MaximumEventAgeInSeconds": ASYNC_MAX_AGE_SECONDS,
                "DestinationConfig": {"OnFailure": {"Type": "SQS", "Destination": self.failed_events.queue_arn}}})

    # -- the API stage --------------------------------------------------------------------------------------
    def log_group(self, construct_id: str, name: str) -> logs.CfnLogGroup:
        """A log group with the stage's retention (CloudWatch would keep a group Lambda makes forever)."""
        group = logs.CfnLogGroup(self, construct_id, log_group_name=name,
                                 retention_in_days=self.options.log_retention_days)
        group.apply_removal_policy(self.removal)
        return group

    def configure_api(self) -> logs.CfnLogGroup:
        """The REST API as the public meets it: regional, traced, throttled, access-logged, optionally behind
        a custom domain whose root maps to the stage (public URLs read .../v1/... once), and a WAF web ACL."""
        api = self.app.get_resource("RestAPI")
        access_logs = self.log_group("ApiAccessLogs", f"/aws/apigateway/kefu-{self.stage}")
        api.add_property_override("Name", f"kefu-{self.stage}")
        api.add_property_override("EndpointConfiguration", {"Type": "REGIONAL"})
        api.add_property_override("TracingEnabled", True)
        api.add_property_override("MethodSettings", [{
            "ResourcePath": "/*", "HttpMethod": "*", "ThrottlingRateLimit": self.options.api_rate_per_second,
            "ThrottlingBurstLimit": self.options.api_burst, "MetricsEnabled": True, "LoggingLevel": "ERROR",
            "DataTraceEnabled": False}])
        api.add_property_override("AccessLogSetting", {"DestinationArn": access_logs.attr_arn,
                                                       "Format": json.dumps(ACCESS_LOG_FORMAT)})
        domain = self.options.domain
        if domain is not None:
            api.add_property_override("Domain", {
                "DomainName": domain.name, "CertificateArn": domain.certificate_arn,
                "EndpointConfiguration": "REGIONAL", "SecurityPolicy": "TLS_1_2", "BasePath": ["/"]})
        # API Gateway writes logs through one role per account and region (the stage's logging needs it).
        logging_role = iam.Role(self, "ApiGatewayLogging", assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"),
                                managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name(
                                    "service-role/AmazonAPIGatewayPushToCloudWatchLogs")])
        account = apigateway_account(self, logging_role)
        api.node.add_dependency(account)
        if self.options.waf is not None:
            self.web_acl(api)
        return access_logs

    def web_acl(self, api: Any) -> None:
        """Rate limits per 5 minutes before requests reach the API: per client IP, and per widget key (a key
        copied off a storefront cannot be used to flood one merchant's chat). Over the limit: 403 from WAF."""
        waf = self.options.waf
        assert waf is not None
        no_transformation = [{"Priority": 0, "Type": "NONE"}]

        def rate_rule(name: str, priority: int, limit: int, keys: dict[str, Any]) -> dict[str, Any]:
            return {"Name": name, "Priority": priority, "Action": {"Block": {}},
                    "Statement": {"RateBasedStatement": {**keys, "Limit": limit, "EvaluationWindowSec": 300}},
                    "VisibilityConfig": {"CloudWatchMetricsEnabled": True, "MetricName": name,
                                         "SampledRequestsEnabled": True}}

        widget_key = {"AggregateKeyType": "CUSTOM_KEYS", "CustomKeys": [
            {"Header": {"Name": "x-widget-key", "TextTransformations": no_transformation}}],
            "ScopeDownStatement": {"SizeConstraintStatement": {
                "FieldToMatch": {"SingleHeader": {"Name": "x-widget-key"}}, "ComparisonOperator": "GT", "Size": 0,
                "TextTransformations": no_transformation}}}
        acl = wafv2.CfnWebACL(
            self, "WebAcl", name=f"kefu-{self.stage}-api", scope="REGIONAL",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=wafv2.CfnWebACL.VisibilityConfigProperty(
                cloud_watch_metrics_enabled=True, metric_name=f"kefu-{self.stage}-api", sampled_requests_enabled=True))
        acl.add_property_override("Rules", [
            rate_rule("PerClientIp", 0, waf.per_ip_per_5_minutes, {"AggregateKeyType": "IP"}),
            rate_rule("PerWidgetKey", 1, waf.per_widget_key_per_5_minutes, widget_key)])
        # `RestAPI.Stage` is SAM's reference to the stage it makes of the API: the association waits for it.
        wafv2.CfnWebACLAssociation(
            self, "WebAclAssociation", web_acl_arn=acl.attr_arn,
            resource_arn=Fn.sub("arn:${AWS::Partition}:apigateway:${AWS::Region}::/restapis/${RestAPI}/stages/"
                                "${RestAPI.Stage}"))

    def function(self, name: str) -> FunctionSpec | None:
        return next((f for f in self.functions if f.name == name), None)

    def function_arn(self, function: FunctionSpec) -> str:
        return self.app.get_resource(function.logical_id).get_att("Arn").to_string()

    # -- topics -------------------------------------------------------------------------------------------
    def topic(self, construct_id: str, publisher: str) -> sns.Topic:
        topic = sns.Topic(self, construct_id, master_key=self.key, enforce_ssl=True,
                          topic_name=f"kefu-{self.stage}-{construct_id.lower()}")
        topic.add_to_resource_policy(iam.PolicyStatement(
            principals=[iam.ServicePrincipal(publisher)], actions=["sns:Publish"], resources=[topic.topic_arn],
            conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}}))
        self.key.add_to_resource_policy(iam.PolicyStatement(
            principals=[iam.ServicePrincipal(publisher)], actions=["kms:Decrypt", "kms:GenerateDataKey*"],
            resources=["*"], conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}}))
        return topic

    # -- SES ----------------------------------------------------------------------------------------------
    def mail(self) -> None:
        """Inbound: store in the bucket, then invoke the inbound function (when app.py declares it); or, where
        SES receives in another region, the inbound function subscribed to that region's ingress topic.
        Outbound: a configuration set whose bounces and complaints go to the mail events function."""
        inbound = self.function(resources.MAIL_INBOUND_FUNCTION)
        if self.ingress is None:
            self.receiving(inbound)
        elif inbound is not None:
            ingress.deliver_to(self, self.ingress, self.function_arn(inbound))
        self.sending()

    def receiving(self, inbound: FunctionSpec | None) -> None:
        self.bucket.add_to_resource_policy(iam.PolicyStatement(
            principals=[iam.ServicePrincipal("ses.amazonaws.com")], actions=["s3:PutObject"],
            resources=[self.bucket.arn_for_objects(f"{resources.INBOUND_PREFIX}*")],
            conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}}))
        rule_set = ses.CfnReceiptRuleSet(self, "ReceiptRuleSet",
                                         rule_set_name=resources.rule_set_name(self.stage))
        actions = [ses.CfnReceiptRule.ActionProperty(s3_action=ses.CfnReceiptRule.S3ActionProperty(
            bucket_name=self.bucket.bucket_name, object_key_prefix=resources.INBOUND_PREFIX))]
        permission = None
        if inbound is not None:
            permission = lambda_.CfnPermission(self, "InboundFromSes", action="lambda:InvokeFunction",
                                               function_name=self.function_arn(inbound),
                                               principal="ses.amazonaws.com", source_account=Aws.ACCOUNT_ID)
            actions.append(ses.CfnReceiptRule.ActionProperty(lambda_action=ses.CfnReceiptRule.LambdaActionProperty(
                function_arn=self.function_arn(inbound), invocation_type="Event")))
        rule = ses.CfnReceiptRule(self, "ReceiptRule", rule_set_name=rule_set.ref, rule=ses.CfnReceiptRule.RuleProperty(
            name=f"kefu-{self.stage}-store-then-process", enabled=True, scan_enabled=True, tls_policy="Require",
            actions=actions))
        assert self.bucket.policy is not None
        rule.node.add_dependency(self.bucket.policy)  # SES checks it may write before it accepts the rule
        if permission is not None:
            rule.add_dependency(permission)

    def sending(self) -> None:
        configuration_set = ses.CfnConfigurationSet(
            self, "ConfigurationSet", name=resources.configuration_set_name(self.stage),
            delivery_options=ses.CfnConfigurationSet.DeliveryOptionsProperty(tls_policy="REQUIRE"),
            reputation_options=ses.CfnConfigurationSet.ReputationOptionsProperty(reputation_metrics_enabled=True))
        ses.CfnConfigurationSetEventDestination(
            self, "BouncesAndComplaints", configuration_set_name=configuration_set.ref,
            event_destination=ses.CfnConfigurationSetEventDestination.EventDestinationProperty(
                name="bounces-and-complaints", enabled=True, matching_event_types=["bounce", "complaint"],
                sns_destination=ses.CfnConfigurationSetEventDestination.SnsDestinationProperty(
                    topic_arn=self.mail_topic.topic_arn)))
        events = self.function(resources.MAIL_EVENTS_FUNCTION)
        if events is not None:
            lambda_.CfnPermission(self, "MailEventsFromSns", action="lambda:InvokeFunction",
                                  function_name=self.function_arn(events), principal="sns.amazonaws.com",
                                  source_arn=self.mail_topic.topic_arn)
            # A notification SNS cannot deliver after its retries goes to the dead-letter queue, not away.
            sns.CfnSubscription(self, "MailEventsSubscription", protocol="lambda", topic_arn=self.mail_topic.topic_arn,
                                endpoint=self.function_arn(events),
                                redrive_policy={"deadLetterTargetArn": self.dead_letters.queue_arn})
            self.dead_letters.add_to_resource_policy(iam.PolicyStatement(
                principals=[iam.ServicePrincipal("sns.amazonaws.com")], actions=["sqs:SendMessage"],
                resources=[self.dead_letters.queue_arn],
                conditions={"ArnEquals": {"aws:SourceArn": self.mail_topic.topic_arn}}))

    # -- phone --------------------------------------------------------------------------------------------
    def phone(self) -> None:
        """Amazon Connect's contact events of voice calls, from every instance of the account, to the phone
        function (when app.py declares it); the function routes each instance to its merchant."""
        function = self.function(resources.PHONE_EVENTS_FUNCTION)
        if function is None:
            return
        rule = events.CfnRule(self, "ConnectContactEvents", name=f"kefu-{self.stage}-connect-contact-events",
                              description="Amazon Connect contact events of voice calls, to kefu's phone function",
                              state="ENABLED", event_pattern={
                                  "source": ["aws.connect"], "detail-type": ["Amazon Connect Contact Event"],
                                  "detail": {"channel": ["VOICE"]}},
                              targets=[events.CfnRule.TargetProperty(
                                  id="phone-events", arn=self.function_arn(function),
                                  retry_policy=events.CfnRule.RetryPolicyProperty(
                                      maximum_retry_attempts=EVENT_RETRIES,
                                      maximum_event_age_in_seconds=EVENT_MAX_AGE_SECONDS))])
        lambda_.CfnPermission(self, "PhoneEventsFromEventBridge", action="lambda:InvokeFunction",
                              function_name=self.function_arn(function), principal="events.amazonaws.com",
                              source_arn=rule.attr_arn)

    # -- schedules ----------------------------------------------------------------------------------------
    def schedules(self) -> None:
        """One EventBridge Scheduler schedule per entry of schedules.JOBS, in the entry's time zone, with
        retries and a dead-letter queue. The event carries the scheduled instant: `{"time": ...}`."""
        dead_letters = self.dead_letters
        jobs = [f for f in self.functions if f.job is not None]
        role = iam.Role(self, "SchedulerRole", assumed_by=iam.ServicePrincipal(
            "scheduler.amazonaws.com", conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}}))
        if jobs:
            role.add_to_policy(iam.PolicyStatement(actions=["lambda:InvokeFunction"],
                                                   resources=[self.function_arn(f) for f in jobs]))
        dead_letters.grant_send_messages(role)
        for function in jobs:
            job = function.job
            assert job is not None
            scheduler.CfnSchedule(
                self, f"Schedule{function.logical_id}", name=f"kefu-{self.stage}-{job.name}",
                description=job.description, schedule_expression=job.expression,
                schedule_expression_timezone=job.timezone, state="ENABLED",
                flexible_time_window=scheduler.CfnSchedule.FlexibleTimeWindowProperty(mode="OFF"),
                target=scheduler.CfnSchedule.TargetProperty(
                    arn=self.function_arn(function), role_arn=role.role_arn,
                    input=json.dumps({"time": SCHEDULED_TIME}),
                    retry_policy=scheduler.CfnSchedule.RetryPolicyProperty(
                        maximum_retry_attempts=SCHEDULE_RETRIES,
                        maximum_event_age_in_seconds=SCHEDULE_MAX_AGE_SECONDS),
                    dead_letter_config=scheduler.CfnSchedule.DeadLetterConfigProperty(arn=dead_letters.queue_arn)))

    # -- cdk-nag ------------------------------------------------------------------------------------------
    # -- answers API Gateway gives itself ---------------------------------------------------------------
    def gateway_responses(self) -> None:
        """What API Gateway answers before a function runs comes in the API's one error shape too: an unknown
        route is a 404 (API Gateway's own 403 echoes the Authorization header back), and other refusals say
        so without repeating the request. Local mode does the same in chalicelib/local/http_server.py."""
        api = self.app.get_resource("RestAPI").ref
        for name, kind, status, code, message in (
                ("UnknownRoute", "MISSING_AUTHENTICATION_TOKEN", "404", "NOT_FOUND",
                 "There is no such route in this API."),
                ("Refused", "DEFAULT_4XX", None, "REFUSED", "The request was refused before it reached the API."),
                ("Failed", "DEFAULT_5XX", None, "UNAVAILABLE", "The API is unavailable; try again shortly.")):
            apigateway.CfnGatewayResponse(
                self, f"Gateway{name}", rest_api_id=api, response_type=kind, status_code=status,
                response_templates={"application/json": json.dumps({"error": {"code": code, "message": message}})},
                response_parameters={"gatewayresponse.header.Content-Type": "'application/json; charset=utf-8'",
                                     "gatewayresponse.header.Cache-Control": "'no-store'"})
