"""bring_advice: what to bring for each topic parents ask help with, with the defaults

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 07:30:00.000000

The defaults are written here, not read from the app, so this migration gives the same
rows whatever the code says later; coordinators change them on the guidance pages.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

DEFAULTS = {
    'general': "Your child's phone, tablet or games console, charged",
    'iphone-ipad': (
        "Your Apple ID and its password (the one that set up Family Sharing, if you use it)\n"
        "Your child's Apple ID and its password\n"
        "The Screen Time passcode, if one is already set on your child's iPhone or iPad"
    ),
    'android': (
        "Your Google account and its password, for Google Family Link\n"
        "Your child's Google account and its password"
    ),
    'consoles': (
        "The email address and password of the console's family account: PlayStation "
        "Network, Microsoft account (Xbox) or Nintendo Account"
    ),
    'discord': "Your child's Discord login: their email address or phone number, and password",
    'tiktok': (
        "Your child's TikTok login\n"
        "Your own phone with TikTok on it, to link the accounts (Family Pairing)"
    ),
    'roblox': "Your child's Roblox username and password",
    'youtube': "The Google account your child uses for YouTube, and its password",
    'snapchat': (
        "Your child's Snapchat login\n"
        "Your own phone with Snapchat on it, for Family Centre"
    ),
    'instagram': (
        "Your child's Instagram login\n"
        "Your own phone with Instagram on it, to set up supervision"
    ),
    'home-broadband': (
        "The admin password of your home broadband router (it is often on a sticker on the "
        "router), or the login for your broadband account"
    ),
}


def upgrade():
    table = op.create_table('bring_advice',
    sa.Column('topic', sa.String(length=60), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('topic', name=op.f('pk_bring_advice'))
    )
    op.bulk_insert(table, [{'topic': topic, 'text': text} for topic, text in DEFAULTS.items()])


def downgrade():
    op.drop_table('bring_advice')
