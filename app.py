"""kefu's API: creates the app, wires the middleware and registers one Blueprint per area."""

from typing import Any

from chalice import Chalice

from chalicelib.billing.api import billing_api
from chalicelib.bootstrap import services
from chalicelib.chat.api import chat_api
from chalicelib.core.http import error_middleware
from chalicelib.core.observability import event_middleware
from chalicelib.i18n.api import i18n_api
from chalicelib.licensing.api import licensing_api
from chalicelib.mail.api import mail_api
from chalicelib.operations.api import operations_api
from chalicelib.schedules import event_time
from chalicelib.support.api import support_api

app = Chalice(app_name="kefu")
app.register_middleware(error_middleware, "http")
app.register_middleware(event_middleware, "pure_lambda")  # context, correlation id and trace per event function
app.register_blueprint(licensing_api)
app.register_blueprint(operations_api)
app.register_blueprint(mail_api)
app.register_blueprint(i18n_api)


# Email (issue 4). Chalice cannot package `on_s3_event` for CloudFormation, so SES's receipt rule stores the raw
# mail in S3 and then invokes this function, which reads it back by the event's message id.
@app.lambda_function(name="mail_inbound")
def mail_inbound(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from chalicelib.bootstrap import services
    from chalicelib.mail.handler import on_inbound

    return on_inbound(event, services())


@app.lambda_function(name="mail_delivery_events")
def mail_delivery_events(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from chalicelib.bootstrap import services
    from chalicelib.mail.handler import on_delivery_events

    return on_delivery_events(event, services())


@app.lambda_function(name="backups")
def backups(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Nightly: back up every table, delete backups past the retention window (clause 6.1)."""
    built = services()
    return built.operations.back_up(event_time(event, built.clock.now())).as_dict()


@app.lambda_function(name="health")
def health(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Every few minutes: ask the tables, the bucket and the mailer; each answer becomes a metric."""
    built = services()
    return built.operations.health(event_time(event, built.clock.now())).as_dict()
app.register_blueprint(billing_api)


# Scheduled jobs (chalicelib/schedules.py): each gets the instant it stands for in the event's `time`.
@app.lambda_function(name="billing-run")
def billing_run(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from chalicelib.billing.jobs import run

    return run("billing", event)


@app.lambda_function(name="overdue-run")
def overdue_run(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from chalicelib.billing.jobs import run

    return run("overdue", event)


@app.lambda_function(name="renewal-run")
def renewal_run(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from chalicelib.billing.jobs import run

    return run("renewal", event)
app.register_blueprint(chat_api)
app.register_blueprint(support_api)


@app.lambda_function(name="support-check")
def support_check(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Every 15 minutes: breaches of support targets recorded once, approaching ones counted (clause 3.2)."""
    built = services()
    return built.support.check(event_time(event, built.clock.now()))
