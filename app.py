"""kefu's API and functions: creates the app, wires the middleware, registers one Blueprint per area and
declares the event functions (their handlers are listed in chalicelib/functions.py)."""

from typing import Any

from chalice import Chalice

from chalicelib.core.observability import event_middleware
from chalicelib.functions import handle, serves_api

app = Chalice(app_name="kefu")
app.register_middleware(event_middleware, "pure_lambda")  # context, correlation id and trace per event function
# Cold start: an event function's instance (mail_inbound, a job) never serves a route, so it does not import
# the API's areas. Everywhere else (the API's function, local mode, tests, `chalice package`) they are all there.
if serves_api():
    from chalicelib.admin.api import admin_api
    from chalicelib.billing.api import billing_api
    from chalicelib.canned.api import canned_api
    from chalicelib.chat.api import chat_api
    from chalicelib.chat.widget_http import widget_http
    from chalicelib.core.http import error_middleware
    from chalicelib.i18n.api import i18n_api
    from chalicelib.inbox.api import inbox_api
    from chalicelib.licensing.api import licensing_api
    from chalicelib.mail.api import mail_api
    from chalicelib.operations.api import operations_api
    from chalicelib.phone.api import phone_api
    from chalicelib.privacy.api import privacy_api
    from chalicelib.reports.api import reports_api
    from chalicelib.support.api import support_api

    app.register_middleware(error_middleware, "http")
    app.api.binary_types.extend(["image/webp", "application/pdf"])  # chat files served locally (image/png… are there)
    for blueprint in (
        licensing_api,
        operations_api,
        mail_api,
        i18n_api,
        billing_api,
        widget_http,
        chat_api,
        admin_api,
        inbox_api,
        canned_api,
        reports_api,
        phone_api,
        support_api,
        privacy_api,
    ):
        app.register_blueprint(blueprint)


# Event functions, each one line: Chalice's packager needs a module-level function per Lambda function.
# Email: Chalice cannot package `on_s3_event` for CloudFormation, so SES's receipt rule stores the raw mail in S3
# and then invokes mail_inbound, which reads it back by the event's message id.
@app.lambda_function(name="mail_inbound")
def mail_inbound(event: dict[str, Any], context: Any) -> Any:
    return handle("mail_inbound", event, context)


@app.lambda_function(name="mail_delivery_events")
def mail_delivery_events(event: dict[str, Any], context: Any) -> Any:
    return handle("mail_delivery_events", event, context)


# Scheduled jobs (chalicelib/schedules.py).
@app.lambda_function(name="backups")
def backups(event: dict[str, Any], context: Any) -> Any:
    return handle("backups", event, context)


@app.lambda_function(name="health")
def health(event: dict[str, Any], context: Any) -> Any:
    return handle("health", event, context)


@app.lambda_function(name="billing-run")
def billing_run(event: dict[str, Any], context: Any) -> Any:
    return handle("billing-run", event, context)


@app.lambda_function(name="overdue-run")
def overdue_run(event: dict[str, Any], context: Any) -> Any:
    return handle("overdue-run", event, context)


@app.lambda_function(name="renewal-run")
def renewal_run(event: dict[str, Any], context: Any) -> Any:
    return handle("renewal-run", event, context)


@app.lambda_function(name="support-check")
def support_check(event: dict[str, Any], context: Any) -> Any:
    return handle("support-check", event, context)


@app.lambda_function(name="audit-digest")
def audit_digest(event: dict[str, Any], context: Any) -> Any:
    return handle("audit-digest", event, context)


@app.lambda_function(name="privacy-run")
def privacy_run(event: dict[str, Any], context: Any) -> Any:
    return handle("privacy-run", event, context)


# Phone: an EventBridge rule (infra/) sends Amazon Connect's contact events of voice calls here.
@app.lambda_function(name="phone_events")
def phone_events(event: dict[str, Any], context: Any) -> Any:
    return handle("phone_events", event, context)


# Push (issue 11): API Gateway's WebSocket API calls these; chalicelib/realtime/handlers.py does the work.
app.experimental_feature_flags.update({"WEBSOCKETS"})


@app.on_ws_connect(name="realtime_connect")
def realtime_connect(event: Any) -> dict[str, Any]:
    from chalicelib.bootstrap import services
    from chalicelib.realtime.handlers import on_connect

    return on_connect(event.to_dict(), services())


@app.on_ws_disconnect(name="realtime_disconnect")
def realtime_disconnect(event: Any) -> dict[str, Any]:
    from chalicelib.bootstrap import services
    from chalicelib.realtime.handlers import on_disconnect

    return on_disconnect(event.to_dict(), services())


@app.on_ws_message(name="realtime_message")
def realtime_message(event: Any) -> dict[str, Any]:
    from chalicelib.bootstrap import services
    from chalicelib.realtime.handlers import on_message

    return on_message(event.to_dict(), services())
