"""staff_second_factor.totp_secret is stored encrypted

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 22:15:00.000000

An authenticator app's secret must be read back to check a code, so it cannot be hashed;
it is now encrypted with a key derived from SECRET_KEY (``clinic.partnership.
encrypt_secret``, as a partnership's Notify key is), so a copy of the database or a
backup alone makes no codes.  The column widens to hold the token, and the secrets there
are encrypted in place with the installation's SECRET_KEY (``flask db upgrade`` runs in
the app).  Downgrading writes them back in clear; one no key in use can read is deleted
(its owner sets up their app again, as after a coordinator's reset).
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

_ROWS = sa.text("SELECT user_id, totp_secret FROM staff_second_factor")
_SET = sa.text("UPDATE staff_second_factor SET totp_secret = :value WHERE user_id = :user_id")
_DROP = sa.text("DELETE FROM staff_second_factor WHERE user_id = :user_id")


def upgrade():
    from clinic.partnership import encrypt_secret

    with op.batch_alter_table("staff_second_factor", schema=None) as batch_op:
        batch_op.alter_column(
            "totp_secret", existing_type=sa.String(length=64), type_=sa.String(length=255)
        )
    bind = op.get_bind()
    for user_id, secret in bind.execute(_ROWS).all():
        bind.execute(_SET, {"value": encrypt_secret(secret), "user_id": user_id})


def downgrade():
    from clinic.partnership import decrypt_secret

    bind = op.get_bind()
    for user_id, sealed in bind.execute(_ROWS).all():
        secret = decrypt_secret(sealed)
        if secret:
            bind.execute(_SET, {"value": secret, "user_id": user_id})
        else:
            bind.execute(_DROP, {"user_id": user_id})
    with op.batch_alter_table("staff_second_factor", schema=None) as batch_op:
        batch_op.alter_column(
            "totp_secret", existing_type=sa.String(length=255), type_=sa.String(length=64)
        )
