"""kefu's API: creates the app, wires the middleware and registers one Blueprint per area."""

from chalice import Chalice

from chalicelib.chat.api import chat_api
from chalicelib.core.http import error_middleware
from chalicelib.licensing.api import licensing_api
from chalicelib.operations.api import operations_api

app = Chalice(app_name="kefu")
app.register_middleware(error_middleware, "http")
app.register_blueprint(licensing_api)
app.register_blueprint(operations_api)
app.register_blueprint(chat_api)
