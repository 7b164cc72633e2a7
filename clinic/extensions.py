"""Flask extensions, created unbound and initialised in ``create_app()``.

Mail is sent by ``clinic.outbox.sender`` with the standard library, not Flask-Mail: see
that module for why (calendar invites need ``method=REQUEST`` on their MIME part).
"""

from flask import request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Named constraints so Alembic can alter them on SQLite (batch mode) and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
login_manager = LoginManager()


def client_address() -> str:
    """The caller's address (ProxyFix has already applied X-Forwarded-For when configured)."""
    return get_remote_address() or request.remote_addr or "unknown"


limiter = Limiter(key_func=client_address)
