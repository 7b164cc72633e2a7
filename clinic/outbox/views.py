from flask import Blueprint

bp = Blueprint("outbox", __name__, url_prefix="/admin/outbox")


@bp.get("/failed")
def failed():
    return "todo"
