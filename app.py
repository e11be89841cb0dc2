"""kefu's API: creates the app, wires the middleware and registers one Blueprint per area."""

from typing import Any

from chalice import Chalice

from chalicelib.bootstrap import services
from chalicelib.core.http import error_middleware
from chalicelib.licensing.api import licensing_api
from chalicelib.operations.api import operations_api
from chalicelib.schedules import event_time

app = Chalice(app_name="kefu")
app.register_middleware(error_middleware, "http")
app.register_blueprint(licensing_api)
app.register_blueprint(operations_api)


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
