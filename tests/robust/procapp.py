"""The app for processes a test starts itself (``flask --app tests.robust.procapp ...``):
the test settings on the test's own database and mail server, from the environment."""

import os

from clinic import create_app

app = create_app(
    {
        "SQLALCHEMY_DATABASE_URI": os.environ["ROBUST_DATABASE_URL"],
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": int(os.environ["ROBUST_MAIL_PORT"]),
        "MAIL_TIMEOUT": 10,
        "OUTBOX_SEND_MODE": "off",
    }
)
