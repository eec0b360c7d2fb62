#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""SMTP capture server for postdesk's tests (aiosmtpd, Debian's python3-aiosmtpd).

Every accepted message becomes DIR/NNNNNN.eml (the exact bytes received,
dot-unstuffed, CRLF line ends) and then DIR/NNNNNN.json with the envelope
and session: mail_from, rcpt_tos, rcpt_options, mail_options, helo, peer,
port, tls, tls_version, implicit_tls, auth_user, smtp_utf8, size, eml.
Both are written under a temporary name and renamed into place, the .json
last: a test that sees NNNNNN.json can read both.

  --port N           plain SMTP with STARTTLS (if --cert) and AUTH after it
  --tls-port N       implicit TLS (SMTPS) with AUTH
  --user U --password P   the one account for AUTH PLAIN/LOGIN (sender/secret)
  --reject-rcpt ADDR=CODE   answer RCPT TO:<ADDR> with CODE (550, 451, ...)
  --reject-data CODE  answer every DATA with CODE (nothing is saved)
  --require-auth      refuse MAIL before AUTH (530)
  --delay-reply SECS  wait SECS after saving a message before the 250
                      (a client killed meanwhile has sent it but never
                      heard the 250)
"""

import argparse
import asyncio
import json
import logging
import os
import signal
import ssl
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--tls-port", type=int)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--dir", required=True)
    ap.add_argument("--user", default="sender")
    ap.add_argument("--password", default="secret")
    ap.add_argument("--reject-rcpt", action="append", default=[],
                    metavar="ADDR=CODE")
    ap.add_argument("--reject-data", type=int)
    ap.add_argument("--require-auth", action="store_true")
    ap.add_argument("--delay-reply", type=float, default=0)
    ap.add_argument("--hostname", default="sink.postdesk.test")
    ap.add_argument("--pidfile")
    return ap.parse_args()


REPLY_TEXT = {
    4: "4.2.0 temporary failure (test sink)",
    5: "5.1.1 rejected by test sink",
}


class Capture:
    def __init__(self, args):
        self.dir = args.dir
        self.reject = {}
        for spec in args.reject_rcpt:
            addr, _, code = spec.rpartition("=")
            if not addr or not code.isdigit():
                sys.exit("bad --reject-rcpt %r (want ADDR=CODE)" % spec)
            self.reject[addr.lower()] = int(code)
        self.reject_data = args.reject_data
        self.require_auth = args.require_auth
        self.delay_reply = args.delay_reply
        self.seq = 0
        for name in os.listdir(self.dir):
            stem = name.split(".")[0]
            if stem.isdigit():
                self.seq = max(self.seq, int(stem))

    @staticmethod
    def reply(code, what):
        return "%d %s" % (code, REPLY_TEXT.get(code // 100, what))

    async def handle_MAIL(self, server, session, envelope, address, options):
        if self.require_auth and not session.authenticated:
            return "530 5.7.0 Authentication required"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, options):
        code = self.reject.get(address.lower())
        if code is not None:
            return self.reply(code, "rejected")
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.reject_data:
            return self.reply(self.reject_data, "rejected")
        self.seq += 1
        stem = os.path.join(self.dir, "%06d" % self.seq)
        data = envelope.original_content or b""
        with open(stem + ".eml.tmp", "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.rename(stem + ".eml.tmp", stem + ".eml")
        transport = server.transport
        sslobj = transport.get_extra_info("ssl_object") if transport else None
        user = session.auth_data
        if isinstance(user, LoginPassword):
            user = user.login
        if isinstance(user, bytes):
            user = user.decode("utf-8", "replace")
        sock = transport.get_extra_info("sockname") if transport else None
        meta = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "rcpt_options": list(envelope.rcpt_options),
            "mail_options": list(envelope.mail_options),
            "helo": session.host_name,
            "peer": list(session.peer) if session.peer else None,
            "port": sock[1] if sock else None,
            "tls": sslobj is not None or session.ssl is not None,
            "tls_version": sslobj.version() if sslobj else None,
            "implicit_tls": getattr(server, "capture_implicit_tls", False),
            "auth_user": user if session.authenticated else None,
            "smtp_utf8": bool(envelope.smtp_utf8),
            "size": len(data),
            "eml": os.path.basename(stem) + ".eml",
        }
        with open(stem + ".json.tmp", "w") as f:
            json.dump(meta, f, indent=1, sort_keys=True)
            f.write("\n")
        os.rename(stem + ".json.tmp", stem + ".json")
        seq = self.seq
        if self.delay_reply:
            await asyncio.sleep(self.delay_reply)
        return "250 2.0.0 OK saved %06d" % seq


def main():
    args = parse_args()
    # aiosmtpd 1.4 itself sets the deprecated login_data on every AUTH.
    logging.getLogger("mail.log").addFilter(
        lambda r: "login_data is deprecated" not in r.getMessage())
    os.makedirs(args.dir, exist_ok=True)
    handler = Capture(args)

    def authenticator(server, session, envelope, mechanism, auth_data):
        if (isinstance(auth_data, LoginPassword)
                and auth_data.login == args.user.encode()
                and auth_data.password == args.password.encode()):
            return AuthResult(success=True, auth_data=auth_data.login)
        return AuthResult(success=False, handled=False)

    ctx = None
    if args.cert:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(args.cert, args.key)

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)

    def factory(implicit):
        def make():
            smtp = SMTP(handler, hostname=args.hostname,
                        tls_context=None if implicit else ctx,
                        require_starttls=False,
                        auth_require_tls=not implicit,
                        authenticator=authenticator,
                        auth_required=False,
                        decode_data=False,
                        enable_SMTPUTF8=True,
                        data_size_limit=64 * 1024 * 1024,
                        ident="postdesk test sink", loop=loop)
            smtp.capture_implicit_tls = implicit
            return smtp
        return make

    servers = [loop.run_until_complete(
        loop.create_server(factory(False), args.host, args.port))]
    if args.tls_port:
        if ctx is None:
            sys.exit("--tls-port needs --cert/--key")
        servers.append(loop.run_until_complete(
            loop.create_server(factory(True), args.host, args.tls_port,
                               ssl=ctx)))
    if args.pidfile:
        with open(args.pidfile + ".tmp", "w") as f:
            f.write("%d\n" % os.getpid())
        os.rename(args.pidfile + ".tmp", args.pidfile)
    loop.add_signal_handler(signal.SIGTERM, loop.stop)
    loop.add_signal_handler(signal.SIGINT, loop.stop)
    try:
        loop.run_forever()
    finally:
        for s in servers:
            s.close()


if __name__ == "__main__":
    main()
