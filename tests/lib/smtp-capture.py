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
  --reject-domain DOMAIN=CODE   answer RCPT TO:<anyone@DOMAIN> with CODE,
                      the same text for every domain (a relay that
                      refuses to relay)
  --reject-data CODE  answer every DATA with CODE (nothing is saved)
  --reject-greeting CODE  greet with CODE and answer every command but
                      QUIT with 503 (a server that refuses service)
  --reject-ehlo CODE  answer EHLO and HELO with CODE
  --reject-auth CODE  answer every AUTH with CODE
  --reject-mail CODE  answer every MAIL FROM with CODE
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
    ap.add_argument("--reject-domain", action="append", default=[],
                    metavar="DOMAIN=CODE")
    ap.add_argument("--reject-data", type=int)
    ap.add_argument("--reject-greeting", type=int)
    ap.add_argument("--reject-ehlo", type=int)
    ap.add_argument("--reject-auth", type=int)
    ap.add_argument("--reject-mail", type=int)
    ap.add_argument("--require-auth", action="store_true")
    ap.add_argument("--delay-reply", type=float, default=0)
    ap.add_argument("--hostname", default="sink.postdesk.test")
    ap.add_argument("--pidfile")
    return ap.parse_args()


REPLY_TEXT = {
    4: "4.2.0 temporary failure (test sink)",
    5: "5.1.1 rejected by test sink",
}
RELAY_TEXT = "5.7.1 relaying denied (test sink)"


def code_specs(specs, what):
    """["x=550", ...] -> {"x": 550}, keys lower case."""
    out = {}
    for spec in specs:
        key, _, code = spec.rpartition("=")
        if not key or not code.isdigit():
            sys.exit("bad --%s %r (want %s=CODE)" % (what, spec,
                                                      what.upper()))
        out[key.lower()] = int(code)
    return out


class Capture:
    def __init__(self, args):
        self.dir = args.dir
        self.reject = code_specs(args.reject_rcpt, "reject-rcpt")
        self.reject_domain = code_specs(args.reject_domain, "reject-domain")
        self.reject_data = args.reject_data
        self.reject_ehlo = args.reject_ehlo
        self.reject_mail = args.reject_mail
        if self.reject_ehlo:
            self.handle_EHLO = self.ehlo
            self.handle_HELO = self.helo
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

    async def ehlo(self, server, session, envelope, hostname, responses):
        return [self.reply(self.reject_ehlo, "rejected")]

    async def helo(self, server, session, envelope, hostname):
        return self.reply(self.reject_ehlo, "rejected")

    async def handle_MAIL(self, server, session, envelope, address, options):
        if self.require_auth and not session.authenticated:
            return "530 5.7.0 Authentication required"
        if self.reject_mail:
            return self.reply(self.reject_mail, "rejected")
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, options):
        code = self.reject.get(address.lower())
        if code is not None:
            return self.reply(code, "rejected")
        code = self.reject_domain.get(address.rpartition("@")[2].lower())
        if code is not None:
            return "%d %s" % (code, RELAY_TEXT if code >= 500 else
                              REPLY_TEXT[4])
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


class RefuseService(asyncio.Protocol):
    """A server that greets with a refusal (RFC 5321 4.3.2: 554) and then
    answers everything but QUIT with 503."""

    def __init__(self, code):
        self.code = code
        self.buf = b""

    def connection_made(self, transport):
        self.transport = transport
        transport.write(b"%d sink.postdesk.test no service here (test "
                        b"sink)\r\n" % self.code)

    def data_received(self, data):
        self.buf += data
        while b"\n" in self.buf:
            line, _, self.buf = self.buf.partition(b"\n")
            if line.strip().upper() == b"QUIT":
                self.transport.write(b"221 2.0.0 bye\r\n")
                self.transport.close()
                return
            self.transport.write(b"503 5.5.1 no service\r\n")


def main():
    args = parse_args()
    # aiosmtpd 1.4 itself sets the deprecated login_data on every AUTH.
    logging.getLogger("mail.log").addFilter(
        lambda r: "login_data is deprecated" not in r.getMessage())
    os.makedirs(args.dir, exist_ok=True)
    handler = Capture(args)

    def authenticator(server, session, envelope, mechanism, auth_data):
        if args.reject_auth:
            return AuthResult(success=False, handled=False,
                              message=Capture.reply(args.reject_auth,
                                                    "rejected"))
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
            if args.reject_greeting:
                return RefuseService(args.reject_greeting)
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
