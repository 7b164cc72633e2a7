"""Pages every visitor can reach, error pages and the health check."""

from flask import Blueprint, Flask, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy import text
from werkzeug.exceptions import HTTPException

from .extensions import db

bp = Blueprint("core", __name__)

ERROR_TITLES = {
    400: "Sorry, there is a problem with that request",
    403: "You do not have permission to see this page",
    404: "Page not found",
    405: "Sorry, that action is not possible on this page",
    413: "Sorry, what you sent is too large",
    429: "Too many attempts",
    500: "Sorry, there is a problem with the service",
}


@bp.get("/")
def home():
    return render_template("core/home.html")


@bp.get("/privacy")
def privacy():
    return render_template("core/privacy.html")


@bp.get("/accessibility")
def accessibility():
    return render_template("core/accessibility.html")


@bp.get("/healthz")
def healthz():
    """200 when the database answers, 503 otherwise (for load balancers and monitoring)."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any database failure means unhealthy
        db.session.rollback()
        return {"status": "unavailable", "database": "unreachable"}, 503
    return {"status": "ok", "database": "ok"}, 200


def render_error(status: int, message: str | None = None):
    return (
        render_template(
            "errors/error.html",
            status=status,
            title=ERROR_TITLES.get(status, ERROR_TITLES[500]),
            message=message,
        ),
        status,
    )


def register(app: Flask) -> None:
    app.register_blueprint(bp)

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return (
            render_template("errors/csrf.html", back=request.path),
            400,
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code is None or error.code < 400:
            return error
        response = render_error(error.code)
        if error.code == 405 and error.valid_methods:
            return (*response, {"Allow": ", ".join(error.valid_methods)})
        if error.code == 429:
            retry = getattr(error, "retry_after", None)
            return render_error(429, retry and f"Try again in {retry} seconds.")
        return response

    @app.errorhandler(Exception)
    def server_error(error: Exception):
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        return render_error(500)
