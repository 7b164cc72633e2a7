import click
from flask.cli import AppGroup

outbox_cli = AppGroup("outbox", help="Send queued email.")


@outbox_cli.command("send")
def send():
    click.echo("todo")
