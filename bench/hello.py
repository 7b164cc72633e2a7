"""The reference every throughput figure is compared with: a bare Flask "hello" page.

Served by ``make bench`` with the same gunicorn settings as the app, in the same run, so a
ratio says how much of the framework's own speed a page keeps.
"""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "<!doctype html><title>Hello</title><p>Hello, world</p>"
