"""Reference Twilio inbound-SMS receiver for scripts/bench.

Written the way Twilio's docs show ("Secure your Flask app by validating
incoming Twilio requests"): a `validate_twilio_request` decorator around
`twilio.request_validator.RequestValidator`, and a TwiML answer built with
`MessagingResponse()`. Each valid message is stored in SQLite (one
INSERT OR IGNORE per request, committed before answering) through one
connection per gunicorn worker. This is a baseline to compare against, not
something to optimise.

Run: TWILIO_AUTH_TOKEN=... REFERENCE_DB=/tmp/ref.db \
     gunicorn -w 2 -b 127.0.0.1:PORT --no-control-socket app:app
"""
import os
import sqlite3
from contextlib import closing
from functools import wraps

from flask import Flask, Response, abort, request
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

app = Flask(__name__)

DATABASE = os.environ['REFERENCE_DB']

SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    message_sid TEXT PRIMARY KEY,
    from_number TEXT NOT NULL,
    to_number   TEXT NOT NULL,
    body        TEXT NOT NULL
)
"""


def connect():
    db = sqlite3.connect(DATABASE, timeout=30)
    # Same durability settings as Viesti, to keep the comparison fair.
    db.execute('PRAGMA journal_mode=WAL')
    db.execute('PRAGMA synchronous=NORMAL')
    return db


with closing(connect()) as conn:
    conn.execute(SCHEMA)

# One connection per worker process, opened on its first request (after
# gunicorn forks). Not one per request: closing the last connection to a WAL
# database checkpoints and deletes the WAL, an fsync on every request that
# would make this baseline unfairly slow.
_db = None


def get_db():
    global _db
    if _db is None:
        _db = connect()
    return _db


def validate_twilio_request(f):
    """Validates that incoming requests genuinely originated from Twilio"""
    @wraps(f)
    def decorated_function(*args, **kwargs):
        # Create an instance of the RequestValidator class
        validator = RequestValidator(os.environ['TWILIO_AUTH_TOKEN'])

        # Validate the request using its URL, POST data,
        # and X-Twilio-Signature header
        request_valid = validator.validate(
            request.url,
            request.form,
            request.headers.get('X-Twilio-Signature', ''))

        # Continue processing the request if it's valid, return a 403 error if
        # it's not
        if request_valid:
            return f(*args, **kwargs)
        else:
            return abort(403)
    return decorated_function


@app.route('/sms', methods=['POST'])
@validate_twilio_request
def incoming_sms():
    """Twilio Messaging webhook: store the message, answer empty TwiML."""
    db = get_db()
    db.execute(
        'INSERT OR IGNORE INTO messages (message_sid, from_number, to_number, body)'
        ' VALUES (?, ?, ?, ?)',
        (request.form['MessageSid'], request.form['From'],
         request.form['To'], request.form.get('Body', '')))
    db.commit()

    resp = MessagingResponse()
    return Response(str(resp), mimetype='text/xml')


@app.route('/healthz')
def healthz():
    return 'ok'
