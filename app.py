"""kefu's API: creates the app, wires the middleware and registers one Blueprint per area."""

from typing import Any

from chalice import Chalice

from chalicelib.billing.api import billing_api
from chalicelib.core.http import error_middleware
from chalicelib.licensing.api import licensing_api
from chalicelib.operations.api import operations_api

app = Chalice(app_name="kefu")
app.register_middleware(error_middleware, "http")
app.register_blueprint(licensing_api)
app.register_blueprint(operations_api)
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
