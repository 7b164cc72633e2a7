from flask import Blueprint

bp = Blueprint("schools", __name__, url_prefix="/admin")


@bp.get("/schools")
def list_schools():
    return "todo"


@bp.get("/staff")
def list_staff():
    return "todo"
