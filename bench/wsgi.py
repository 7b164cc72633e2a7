"""The app gunicorn serves for a burst: the test settings on the database in BENCH_DATABASE_URL.

Email stays in the outbox (nothing is sent) and the booking rate limits are lifted, so
every request reaches the booking rules.  ``TestConfig`` fixes its database to
``sqlite://``, hence the override here.
"""

import os

from clinic import create_app

app = create_app(
    {
        "SQLALCHEMY_DATABASE_URI": os.environ["BENCH_DATABASE_URL"],
        "OUTBOX_SEND_MODE": "off",
        "MAIL_SERVER": "",
        "BOOKING_LIMIT_PER_ADDRESS": "1000000 per hour",
        "BOOKING_LIMIT_PER_EMAIL": "1000000 per hour",
    }
)
