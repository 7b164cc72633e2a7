"""Settings, read from the environment.

One class per setting: ``development`` (the embedded default: SQLite under ``instance/``,
mail to a local sink), ``test`` and ``production``. ``create_app()`` picks one from
``CLINIC_CONFIG`` (default ``development``).
"""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("CLINIC_INSTANCE_DIR", BASE_DIR / "instance"))


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _database_url(default: str) -> str:
    url = os.environ.get("DATABASE_URL", default)
    # Hosting platforms still hand out postgres:// URLs; SQLAlchemy wants the driver named.
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgres://")
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


SHIPPED_LANGUAGES = ["en", "cy", "pl", "ro", "ur", "ar"]


class Config:
    SERVICE_NAME = "Parental controls clinics"
    SECRET_KEY = os.environ.get("SECRET_KEY", "")
    # Old keys, comma-separated, still accepted (never used to sign) after SECRET_KEY is
    # rotated: parents' links and staff sessions made under them keep working. Drop a key
    # once its links may go (the retention period after the last clinic it signed for).
    SECRET_KEY_FALLBACKS = [
        key.strip() for key in os.environ.get("SECRET_KEY_FALLBACKS", "").split(",") if key.strip()
    ]
    SQLALCHEMY_DATABASE_URI = _database_url(f"sqlite:///{INSTANCE_DIR / 'clinic.sqlite3'}")
    # create_engine's keyword arguments (ProductionConfig adds pool sizes: numbers, not flags).
    # hide_parameters: a database error never carries the values (names, emails) into a log.
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, object] = {"pool_pre_ping": True, "hide_parameters": True}
    # Public pages read their key only when the database says something changed
    # (clinic/changes.py).  The listener needs a direct (session) connection to
    # PostgreSQL: behind pgbouncer in transaction mode, give PostgreSQL's own address here.
    CHANGE_SIGNAL = _bool("CHANGE_SIGNAL", True)
    CHANGE_SIGNAL_DATABASE_URL = os.environ.get("CHANGE_SIGNAL_DATABASE_URL") or None
    CLINIC_TIMEZONE = os.environ.get("CLINIC_TIMEZONE", "Europe/London")
    # Where links in emails point; no request is around when the outbox worker runs.
    BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:5000").rstrip("/")

    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USE_TLS = _bool("MAIL_USE_TLS")
    MAIL_USE_SSL = _bool("MAIL_USE_SSL")
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_DEFAULT_SENDER = os.environ.get(
        "MAIL_DEFAULT_SENDER", "Parental controls clinics <clinics@example.org>"
    )
    # A mailbox the team reads: every email then has a Reply-To header, and the pages tell
    # parents they can reply to any email.  Unset: no Reply-To, and no such promise.
    MAIL_REPLY_TO = os.environ.get("MAIL_REPLY_TO") or None
    # Seconds to wait for the mail server at each step; keep well under the outbox's
    # stale-claim limit (10 minutes).
    MAIL_TIMEOUT = float(os.environ.get("MAIL_TIMEOUT", "30"))
    # A PEM file of the CAs that may sign the relay's certificate (a private CA); when unset
    # the system's trusted CAs are used.  The certificate is checked either way.
    MAIL_CA_FILE = os.environ.get("MAIL_CA_FILE") or None
    # Flask-Mail would follow app.debug and print the SMTP conversation (credentials and
    # parents' details included) to stderr.
    MAIL_DEBUG = _bool("MAIL_DEBUG")
    # With no MAIL_SERVER, mail is written as .eml files here (the embedded default).
    MAIL_FILE_DIR = os.environ.get("MAIL_FILE_DIR", str(INSTANCE_DIR / "mail"))
    # "after_commit": try to send new messages in a background thread once they commit;
    # "sync": send before the request returns (tests); "off": leave it to `flask outbox worker`.
    OUTBOX_SEND_MODE = os.environ.get("OUTBOX_SEND_MODE", "after_commit")
    OUTBOX_MAX_ATTEMPTS = int(os.environ.get("OUTBOX_MAX_ATTEMPTS", "8"))
    # Text messages through GOV.UK Notify (clinic/outbox/sms.py), for households that ticked
    # "Also send me text messages".  The key is "{key name}-{service id}-{secret}"; the
    # template's whole body is ((body)).  With no key, texts are written as files here.
    NOTIFY_API_KEY = os.environ.get("NOTIFY_API_KEY") or None
    NOTIFY_SMS_TEMPLATE_ID = os.environ.get("NOTIFY_SMS_TEMPLATE_ID") or None
    NOTIFY_BASE_URL = os.environ.get("NOTIFY_BASE_URL", "https://api.notifications.service.gov.uk")
    NOTIFY_TIMEOUT = float(os.environ.get("NOTIFY_TIMEOUT", "10"))
    SMS_FILE_DIR = os.environ.get("SMS_FILE_DIR", str(INSTANCE_DIR / "sms"))

    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    # Production refuses memory:// (each worker would count alone) unless this says that
    # one process's counters are wanted on purpose (a single-worker trial).
    RATELIMIT_ALLOW_MEMORY = _bool("RATELIMIT_ALLOW_MEMORY")
    RATELIMIT_HEADERS_ENABLED = True
    # Failed sign-ins (clinic/auth/views.py). One account from one address is slowed
    # soonest; an address trying many accounts next; an account tried from many places
    # last, and then its owner is offered a one-time sign-in link by email, so nobody can
    # keep an officer out by typing their email address with wrong passwords.
    SIGN_IN_LIMIT_PER_ACCOUNT_AND_ADDRESS = os.environ.get(
        "SIGN_IN_LIMIT_PER_ACCOUNT_AND_ADDRESS", "5 per 15 minutes"
    )
    SIGN_IN_LIMIT_PER_ADDRESS = os.environ.get("SIGN_IN_LIMIT_PER_ADDRESS", "20 per 15 minutes")
    SIGN_IN_LIMIT_PER_ACCOUNT = os.environ.get("SIGN_IN_LIMIT_PER_ACCOUNT", "20 per hour")
    # A second factor (clinic/auth/mfa.py): the roles that must have one before they reach
    # any staff page (comma-separated role names; "school" may be added).  Production
    # refuses to start without "owner", "admin" and "officer" in it.  Anyone who has set one up is
    # asked for it whatever their role.  Wrong codes are limited like wrong passwords
    # (SIGN_IN_LIMIT_PER_ACCOUNT_AND_ADDRESS and SIGN_IN_LIMIT_PER_ACCOUNT, per account).
    MFA_REQUIRED_ROLES = tuple(
        role.strip()
        for role in os.environ.get("MFA_REQUIRED_ROLES", "owner,admin,officer").split(",")
        if role.strip()
    )
    # Emailed links (forgotten password, sign-in link): per address typed, per address.
    EMAIL_LINK_LIMIT_PER_EMAIL = os.environ.get("EMAIL_LINK_LIMIT_PER_EMAIL", "3 per hour")
    EMAIL_LINK_LIMIT_PER_ADDRESS = os.environ.get("EMAIL_LINK_LIMIT_PER_ADDRESS", "10 per hour")

    # Public booking forms (clinic/booking/limits.py says why each is keyed as it is):
    # posts per address (Continue and Confirm together; far above a school's rush from one
    # Wi-Fi or mobile network), per browser session, and bookings per email address.
    BOOKING_LIMIT_PER_ADDRESS = os.environ.get("BOOKING_LIMIT_PER_ADDRESS", "1000 per hour")
    BOOKING_LIMIT_PER_SESSION = os.environ.get("BOOKING_LIMIT_PER_SESSION", "20 per hour")
    BOOKING_LIMIT_PER_EMAIL = os.environ.get("BOOKING_LIMIT_PER_EMAIL", "10 per hour")
    # Which privacy notice a parent agreed to (kept on each booking and waiting-list
    # entry); change it whenever templates/core/privacy.html changes what it says.
    CONSENT_VERSION = "2026-12"
    # --- privacy (clinic/privacy; DESIGN rule 7) ---
    # `flask privacy purge`: a clinic's bookings, waiting list, walk-ins and feedback
    # comments are anonymised this many days after its date; sent emails lose their
    # recipient, bodies and invite this many days after they went.
    PRIVACY_KEEP_DAYS = int(os.environ.get("PRIVACY_KEEP_DAYS", "90"))
    PRIVACY_KEEP_SENT_EMAIL_DAYS = int(os.environ.get("PRIVACY_KEEP_SENT_EMAIL_DAYS", "30"))
    # The shortest and longest a partnership's coordinator may set its own retention to
    # (its "Partnership settings" page; issue 21): the service owner's limits, so no
    # partnership deletes families' details sooner than a clinic's follow-up needs, nor
    # keeps them past what the service's DPIA (docs/dpia.md) allows.
    PARTNERSHIP_RETENTION_MIN_DAYS = int(os.environ.get("PARTNERSHIP_RETENTION_MIN_DAYS", "30"))
    PARTNERSHIP_RETENTION_MAX_DAYS = int(os.environ.get("PARTNERSHIP_RETENTION_MAX_DAYS", "730"))
    # Who holds parents' details (the data controller), and where to ask about them;
    # shown on the privacy notice.
    DATA_CONTROLLER = os.environ.get(
        "DATA_CONTROLLER", "the police force that runs the Safer Schools clinics in your area"
    )
    PRIVACY_CONTACT_EMAIL = os.environ.get("PRIVACY_CONTACT_EMAIL", "privacy@example.org")
    # The lawful basis the controller relies on for parents' details (UK GDPR Article 6), as
    # the privacy notice states it: "public_task" (6(1)(e): a police force's or council's
    # safeguarding task, the default), "consent" (6(1)(a)) or "legitimate_interests"
    # (6(1)(f)).  The controller's DPO chooses it (docs/dpia.md).  The booking form's tick
    # stays whichever it is: a record of the notice (CONSENT_VERSION) the parent was shown.
    LAWFUL_BASIS = os.environ.get("LAWFUL_BASIS", "public_task")

    # --- the accessibility statement (templates/core/accessibility.html) ---
    # Where anyone, booked or not, asks for another format or reports a problem: an email
    # (blank: PRIVACY_CONTACT_EMAIL) and a phone number (blank: none; the school office's
    # number is always offered).
    ACCESSIBILITY_CONTACT_EMAIL = os.environ.get("ACCESSIBILITY_CONTACT_EMAIL", "")
    ACCESSIBILITY_CONTACT_PHONE = os.environ.get("ACCESSIBILITY_CONTACT_PHONE", "")
    ACCESSIBILITY_REPLY_DAYS = int(os.environ.get("ACCESSIBILITY_REPLY_DAYS", "5"))
    # "full", "partial" or "none": compliance with WCAG 2.2 AA, as the last test found it.
    ACCESSIBILITY_COMPLIANCE = os.environ.get("ACCESSIBILITY_COMPLIANCE", "partial")
    # When the service was last tested, and by whom (blank: the service's own team); when
    # the statement was prepared and last reviewed (ISO dates; review it every year).
    ACCESSIBILITY_TESTED_ON = os.environ.get("ACCESSIBILITY_TESTED_ON", "2026-12-07")
    ACCESSIBILITY_TESTED_BY = os.environ.get("ACCESSIBILITY_TESTED_BY", "")
    ACCESSIBILITY_PREPARED_ON = os.environ.get("ACCESSIBILITY_PREPARED_ON", "2026-12-07")
    ACCESSIBILITY_REVIEWED_ON = os.environ.get("ACCESSIBILITY_REVIEWED_ON", "2026-12-07")
    # The answers typed into the booking form wait for Confirm on the server this long.
    BOOKING_DRAFT_HOURS = int(os.environ.get("BOOKING_DRAFT_HOURS", "4"))
    # The school finder (/schools) searches every partnership's schools; an installation
    # run for one partnership names its slug here to search only its schools (issue 21),
    # and the finder and the notices linked from it are then drawn in its name.
    FINDER_PARTNERSHIP = os.environ.get("FINDER_PARTNERSHIP", "").strip()
    WAITLIST_LIMIT_PER_ADDRESS = os.environ.get("WAITLIST_LIMIT_PER_ADDRESS", "500 per hour")
    WAITLIST_LIMIT_PER_SESSION = os.environ.get("WAITLIST_LIMIT_PER_SESSION", "10 per hour")
    WAITLIST_LIMIT_PER_EMAIL = os.environ.get("WAITLIST_LIMIT_PER_EMAIL", "5 per hour")
    # The longest a waiting-list offer lasts (shorter near the clinic).
    WAITLIST_OFFER_HOURS = int(os.environ.get("WAITLIST_OFFER_HOURS", "12"))
    # Clinic time when a parent is asleep: these hours do not count in an offer's window
    # ("" counts every hour).  README, "Waiting-list offers".
    WAITLIST_QUIET_HOURS = os.environ.get("WAITLIST_QUIET_HOURS", "22:00-07:00")
    # Reminders go to bookings whose slot starts between these many hours from now.
    REMINDER_WINDOW_HOURS = (24, 48)
    # "Still coming?": this many days before the clinic every family with a booking is
    # asked (email) whether they are still coming (`flask reminders still-coming`; README
    # "Still coming?"). 0 or empty: nobody is asked.
    CONFIRM_ATTENDANCE_DAYS = int(os.environ.get("CONFIRM_ATTENDANCE_DAYS", "3").strip() or "0")
    # Local time the attendance list goes to the school on the working day before.
    ATTENDANCE_LIST_SEND_AT = os.environ.get("ATTENDANCE_LIST_SEND_AT", "09:00")

    MAX_CONTENT_LENGTH = 1024 * 1024  # forms; the one upload has its own limit, below
    # The DfE register's extract (every establishment in England, about 60 MB) uploaded to
    # "Import from GIAS": its size limit in MB, and how long its preview waits for the
    # coordinator's "Import these schools" (README, "Importing schools from GIAS").
    GIAS_MAX_UPLOAD_MB = int(os.environ.get("GIAS_MAX_UPLOAD_MB", "100"))
    GIAS_PREVIEW_MINUTES = int(os.environ.get("GIAS_PREVIEW_MINUTES", "120"))
    WTF_CSRF_TIME_LIMIT = 4 * 3600  # a parent may take a while to fill a form on a phone
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    PASSWORD_TOKEN_MAX_AGE = 3 * 24 * 3600  # an invitation's set-password link
    # A "Forgotten your password?" link; it works once, like every set-password link.
    PASSWORD_RESET_MAX_AGE = int(os.environ.get("PASSWORD_RESET_MAX_AGE", str(3600)))
    SIGN_IN_LINK_MAX_AGE = int(os.environ.get("SIGN_IN_LINK_MAX_AGE", str(15 * 60)))
    PASSWORD_MIN_LENGTH = 12  # OWASP ASVS 4.0.3, 2.1.1
    # Staff sessions (clinic/auth/sessions.py): signed out after this long without a
    # request, and this long after signing in whatever happens.
    STAFF_SESSION_IDLE_MINUTES = int(os.environ.get("STAFF_SESSION_IDLE_MINUTES", "30"))
    STAFF_SESSION_MAX_HOURS = int(os.environ.get("STAFF_SESSION_MAX_HOURS", "12"))
    # How often "last seen" may be moved (the cookie's stamp, and the row on a POST).
    STAFF_SESSION_TOUCH_SECONDS = 60
    # A user's session rows older than this are deleted when they next sign in.
    STAFF_SESSION_KEEP_DAYS = int(os.environ.get("STAFF_SESSION_KEEP_DAYS", "30"))
    # Before a sensitive action (staff and roles, a subject-access export or an erasure,
    # turning off a second factor), the password is asked again when it was last typed
    # more than this long ago (clinic/auth/reauth.py; OWASP ASVS 3.7.1).
    REAUTH_MINUTES = int(os.environ.get("REAUTH_MINUTES", "15"))
    # Wrong passwords on the "Confirm your password" page, per account (like sign-in's).
    REAUTH_LIMIT_PER_ACCOUNT = os.environ.get("REAUTH_LIMIT_PER_ACCOUNT", "5 per 15 minutes")

    # --- languages (clinic/i18n.py; README "Languages") ---
    # The languages parents may choose, English first, comma-separated codes of catalogues
    # in translations/. A partnership switches a language on once a native speaker has read
    # its catalogue; the demo and the tests offer every shipped one.
    LANGUAGES = [
        code.strip() for code in os.environ.get("LANGUAGES", "en").split(",") if code.strip()
    ]
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "translations")

    SHOW_DEMO_ACCOUNTS = False  # on in DevelopmentConfig only
    # Where `flask demo seed` writes the demo accounts it made (and a .txt beside it).
    DEMO_ACCOUNTS_FILE = os.environ.get(
        "DEMO_ACCOUNTS_FILE", str(INSTANCE_DIR / "demo-accounts.json")
    )

    # --- operations (clinic/ops; README "Running in production") ---
    PRODUCTION = False
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")  # "json": one JSON object a line
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
    # Take the proxy's X-Request-ID (when it looks like an id) instead of making one.
    TRUST_REQUEST_ID_HEADER = _bool("TRUST_REQUEST_ID_HEADER")
    # /metrics answers these networks, or a request with "Authorization: Bearer METRICS_TOKEN".
    METRICS_ALLOW_FROM = os.environ.get("METRICS_ALLOW_FROM", "127.0.0.1/32,::1/128")
    METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
    # /readyz says "not ready" past these (0 leaves a check out; see clinic/ops/health.py).
    READY_OUTBOX_MAX_PENDING = int(os.environ.get("READY_OUTBOX_MAX_PENDING", "500"))
    READY_OUTBOX_MAX_AGE_MINUTES = int(os.environ.get("READY_OUTBOX_MAX_AGE_MINUTES", "60"))
    READY_OUTBOX_MAX_FAILED = int(os.environ.get("READY_OUTBOX_MAX_FAILED", "0"))
    BACKUP_DIR = os.environ.get("BACKUP_DIR", str(INSTANCE_DIR / "backups"))
    # Backups hold parents' personal data, so they follow the retention rules (DESIGN rule
    # 7): with one backup a day, keeping 30 means nothing erased, anonymised or purged
    # lives on in a copy for more than 30 days: the days after which `flask privacy purge`
    # removes sent emails' bodies, its shortest retention. Change the two together.
    BACKUP_KEEP = int(os.environ.get("BACKUP_KEEP", "30"))
    PG_DUMP = os.environ.get("PG_DUMP", "pg_dump")  # at least the server's major version
    PG_RESTORE = os.environ.get("PG_RESTORE", "pg_restore")
    # `flask doctor`: each cron command and the hours within which it should have succeeded
    # (a command this release lacks is skipped; attendance lists skip weekends).
    CRON_JOBS = {
        "reminders send": 1,
        "reminders still-coming": 1,
        "waitlist expire-offers": 1,
        "attendance send-lists": 73,
        "followup send": 3,
        "backup create": 26,
        "privacy purge": 26,
    }


MEMORY_RATE_LIMITS = (
    "RATELIMIT_STORAGE_URI is not set (or is memory://), so each process would keep its own "
    "rate-limit counters: with several workers a guesser gets several times the limits, and "
    "a restart forgets them"
)
MEMORY_RATE_LIMITS_FIX = (
    "set RATELIMIT_STORAGE_URI to a Redis that every app server shares, e.g. "
    "redis://cache:6379/0 (or RATELIMIT_ALLOW_MEMORY=1 to run with per-process limits on purpose)"
)


def memory_rate_limits(config) -> bool:
    """Whether rate limits would be counted in one process's memory."""
    return (config.get("RATELIMIT_STORAGE_URI") or "memory://").startswith("memory://")


class DevelopmentConfig(Config):
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-not-secret")
    # The sign-in page lists the demo accounts `flask demo seed` made (DEMO_ACCOUNTS_FILE).
    # Development only: never on in the test or production settings.
    SHOW_DEMO_ACCOUNTS = _bool("SHOW_DEMO_ACCOUNTS", True)
    # The demo offers every shipped language (LANGUAGES=en narrows it).
    LANGUAGES = Config.LANGUAGES if os.environ.get("LANGUAGES") else SHIPPED_LANGUAGES


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-only-not-secret"  # noqa: S105 - tests only, not a secret
    SQLALCHEMY_DATABASE_URI = "sqlite://"  # tests pass a real file or TEST_DATABASE_URL
    OUTBOX_SEND_MODE = "sync"
    RATELIMIT_STORAGE_URI = "memory://"
    BASE_URL = "http://localhost"
    # Flask-Mail suppresses sending when TESTING is on; the tests deliver to a real SMTP
    # server on loopback instead.
    MAIL_SUPPRESS_SEND = False
    LANGUAGES = SHIPPED_LANGUAGES
    MAIL_DEFAULT_SENDER = "Parental controls clinics <clinics@example.org>"
    MAIL_REPLY_TO = None  # tests that want one set it
    # Tests run on the real clock: offers last the same at any hour of the run; the tests
    # of quiet hours set them and a fixed "now".
    WAITLIST_QUIET_HOURS = ""
    # Nobody must have a second factor, so the tests sign in with a password as before;
    # tests/auth/test_mfa.py turns it on (and proves production always asks for one).
    MFA_REQUIRED_ROLES = ()


# Production never lets these roles sign in with a password alone.
MFA_ALWAYS_REQUIRED = frozenset({"owner", "admin", "officer"})


class ProductionConfig(Config):
    PRODUCTION = True
    SHOW_DEMO_ACCOUNTS = False
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "json")
    SESSION_COOKIE_SECURE = True
    # "__Host-": browsers take it only over HTTPS, for Path=/ and with no Domain, so no
    # other host (a sibling subdomain) can set or overwrite it (OWASP ASVS 3.4.4).
    SESSION_COOKIE_NAME = "__Host-session"
    SESSION_COOKIE_PATH = "/"
    SESSION_COOKIE_DOMAIN = None
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"
    SQLALCHEMY_ENGINE_OPTIONS = {
        "pool_pre_ping": True,
        "pool_size": 5,
        "max_overflow": 5,
        "hide_parameters": True,
    }

    @staticmethod
    def check(app) -> None:
        key = app.config.get("SECRET_KEY") or ""
        if len(key) < 32 or "not-secret" in key:
            raise RuntimeError(
                "Set SECRET_KEY to a long random value (for example the output of "
                "`python -c 'import secrets; print(secrets.token_hex(32))'`)."
            )
        missing = MFA_ALWAYS_REQUIRED - set(app.config.get("MFA_REQUIRED_ROLES") or ())
        if missing:
            raise RuntimeError(
                "MFA_REQUIRED_ROLES must include owner, admin and officer in production "
                f"(missing: {', '.join(sorted(missing))}): coordinators and officers see "
                "every family booked at their schools, and the service owner makes "
                "partnerships and their coordinators."
            )
        if memory_rate_limits(app.config) and not app.config.get("RATELIMIT_ALLOW_MEMORY"):
            raise RuntimeError(f"{MEMORY_RATE_LIMITS}. To start, {MEMORY_RATE_LIMITS_FIX}.")
        name = app.config.get("SESSION_COOKIE_NAME", "")
        if name.startswith("__Host-") and (
            app.config.get("SESSION_COOKIE_DOMAIN") or app.config.get("SESSION_COOKIE_PATH") != "/"
        ):
            raise RuntimeError(
                "A __Host- session cookie must have no Domain and Path=/: browsers refuse it "
                "otherwise, and nobody could sign in. Unset SESSION_COOKIE_DOMAIN."
            )


CONFIGS = {
    "development": DevelopmentConfig,
    "test": TestConfig,
    "production": ProductionConfig,
}
