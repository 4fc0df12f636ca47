#!/usr/bin/python3
"""A test SMTP server that delivers into a Maildir (the test Dovecot's), after
shared/notes/test-servers.md section 2.

    smtpsink.py CERT KEY USER PASSWORD MAILDIR LOG

Listens on two free loopback ports: one plain with STARTTLS required before AUTH, one with
implicit TLS. AUTH is required on both. Every accepted message lands in MAILDIR/new owned by
the mail user (65534) and adds one JSON line to LOG. A recipient whose local part starts with
"reject" is refused with 550, so a client's permanent-failure path can be tested. Prints
"ready STARTTLS_PORT TLS_PORT" once both listen; stops on SIGTERM.
"""
import json
import mailbox
import os
import signal
import socket
import ssl
import sys
import warnings

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

MAIL_UID = 65534


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    # aiosmtpd warns about AUTH without TLS on the implicit-TLS port, which is TLS.
    warnings.filterwarnings("ignore")
    cert, key, user, password, maildir, log = sys.argv[1:7]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)

    def auth(server, session, envelope, mechanism, data):
        ok = (
            isinstance(data, LoginPassword)
            and data.login == user.encode()
            and data.password == password.encode()
        )
        # handled=False: the server answers 535 itself instead of dropping the line.
        return AuthResult(success=ok, handled=False, auth_data=data)

    class Deliver:
        def __init__(self, port):
            self.port = port

        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            if address.split("@", 1)[0].lower().startswith("reject"):
                return "550 5.1.1 mailbox unavailable"
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, server, session, envelope):
            box = mailbox.Maildir(maildir, factory=None, create=True)
            name = box.add(envelope.original_content)
            for d in ("", "tmp", "new", "cur"):
                os.chown(os.path.join(maildir, d), MAIL_UID, MAIL_UID)
            os.chown(os.path.join(maildir, "new", name), MAIL_UID, MAIL_UID)
            entry = {
                "port": self.port,
                "from": envelope.mail_from,
                "to": envelope.rcpt_tos,
                "auth": session.auth_data.login.decode() if session.auth_data else None,
                "file": name,
            }
            with open(log, "a", encoding="utf-8") as f:
                f.write(json.dumps(entry) + "\n")
            return "250 OK delivered"

    # Blocked before the controllers start their threads, so only sigwait sees them.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
    plain_port, tls_port = free_port(), free_port()
    plain = Controller(
        Deliver(plain_port), hostname="127.0.0.1", port=plain_port,
        authenticator=auth, auth_required=True, tls_context=ctx, require_starttls=True,
    )
    # aiosmtpd 1.4 does not notice implicit TLS, so it must be told AUTH is fine here.
    implicit = Controller(
        Deliver(tls_port), hostname="127.0.0.1", port=tls_port,
        authenticator=auth, auth_required=True, auth_require_tls=False, ssl_context=ctx,
    )
    plain.start()
    implicit.start()
    print(f"ready {plain_port} {tls_port}", flush=True)
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    plain.stop()
    implicit.stop()


if __name__ == "__main__":
    main()
