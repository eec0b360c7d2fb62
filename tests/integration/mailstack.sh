#!/bin/sh
# SPDX-License-Identifier: ISC
# Self-test of the test mail stack (tests/lib/mailstack.sh): real Dovecot,
# the aiosmtpd capture sink, smtp-sink and Postfix on loopback.
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TOP/tests/lib/common.sh"
. "$TOP/tests/lib/mailstack.sh"

if [ "$(id -u)" -ne 0 ]; then
	t_skip_dep "mail stack" "needs root (Postfix and Dovecot drop privileges)"
	t_done
fi
need_cmd openssl swaks /usr/sbin/dovecot /usr/bin/doveadm /usr/sbin/postfix \
    /usr/sbin/smtp-sink /usr/sbin/postqueue "$MS_PY" || t_done
need_pymod aiosmtpd || t_done

ms_init || { t_fail "ms_init"; t_done; }
W=$MAILSTACK_DIR/work
mkdir -p "$W" && chmod 755 "$W"

# --- certificates ---------------------------------------------------------
t_ok "ms_ca makes the test certificates" ms_ca
t_ok "server cert verifies against the test CA for localhost" \
    openssl verify -CAfile "$MS_TLS/ca.crt" -verify_hostname localhost \
    -verify_ip 127.0.0.1 "$MS_TLS/server.crt"
t_not "wrong-host cert fails hostname verification for localhost" \
    openssl verify -CAfile "$MS_TLS/ca.crt" -verify_hostname localhost \
    "$MS_TLS/wrong-host.crt"
t_not "rogue-server cert does not verify against the test CA" \
    openssl verify -CAfile "$MS_TLS/ca.crt" "$MS_TLS/rogue-server.crt"

# --- Dovecot --------------------------------------------------------------
imap() {	# mode(plain|starttls|imaps) user pass [subject to find in INBOX]
	"$MS_PY" -I - "$@" <<'EOF'
import imaplib, ssl, sys, os
mode, user, pw = sys.argv[1:4]
want = sys.argv[4] if len(sys.argv) > 4 else None
ctx = ssl.create_default_context(cafile=os.environ["MS_TLS"] + "/ca.crt")
if mode == "imaps":
    c = imaplib.IMAP4_SSL("localhost", int(os.environ["IMAPS_PORT"]),
                          ssl_context=ctx, timeout=10)
else:
    c = imaplib.IMAP4("127.0.0.1", int(os.environ["IMAP_PORT"]), timeout=10)
    if mode == "starttls":
        ctx.check_hostname = False  # connected by IP; cert has it anyway
        c.starttls(ssl_context=ctx)
try:
    c.login(user, pw)
except imaplib.IMAP4.error as e:
    print("LOGIN failed:", e)
    sys.exit(3)
if want:
    typ, data = c.select("INBOX", readonly=True)
    n = int(data[0])
    typ, data = c.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])") if n else ("OK", [])
    subjects = b"".join(p[1] for p in data if isinstance(p, tuple))
    if want.encode() not in subjects:
        print("not found in %d messages: %r" % (n, subjects))
        sys.exit(4)
c.logout()
print("OK", mode)
EOF
}

if t_ok "Dovecot starts (IMAP $IMAP_PORT, IMAPS $IMAPS_PORT)" ms_dovecot_start
then
	t_ok "IMAP LOGIN test@ over plain" \
	    imap plain test@support.example.test secret
	t_ok "IMAP LOGIN other@ after STARTTLS" \
	    imap starttls other@support.example.test secret
	t_ok "IMAPS LOGIN test@ (cert verified against test CA)" \
	    imap imaps test@support.example.test secret
	imap plain test@support.example.test wrong >"$W/badlogin.out" 2>&1
	t_is "$?" 3 "IMAP LOGIN with a wrong password is rejected"
	# The anvil fix: a correct login right after a failed one is fast.
	t0=$(date +%s%N)
	t_ok "IMAP LOGIN right after a failed one" \
	    imap imaps test@support.example.test secret
	ms=$((($(date +%s%N) - t0) / 1000000))
	t_ok "... and it was not delayed by the auth penalty (${ms} ms)" \
	    test "$ms" -lt 2000
	printf '%s\r\n' "From: Alice <alice@customer.example>" \
	    "To: test@support.example.test" "Subject: saved by doveadm $$" \
	    "Message-ID: <ms-$$@customer.example>" "" "hello" >"$W/msg.eml"
	t_ok "doveadm save into test@'s INBOX" \
	    ms_dovecot_save test@support.example.test <"$W/msg.eml"
	t_ok "the saved message is visible over IMAPS" \
	    imap imaps test@support.example.test secret "saved by doveadm $$"
else
	t_diag "$(tail -n 5 "$MS_DOVECOT/dovecot.log" 2>/dev/null)"
fi

# --- aiosmtpd capture sink ------------------------------------------------
jget() {	# file key: print a JSON field (Python repr for non-strings)
	"$MS_PY" -I -c 'import json,sys; v=json.load(open(sys.argv[1]))[sys.argv[2]]
print(v if isinstance(v, str) else json.dumps(v))' "$1" "$2"
}

if t_ok "capture sink starts (SMTP $SINK_PORT, SMTPS $SINK_TLS_PORT)" \
    ms_sink_start --reject-rcpt nobody@customer.example=550
then
	t_ok "swaks STARTTLS + AUTH PLAIN sender/secret is accepted" \
	    swaks --server "127.0.0.1:$SINK_PORT" --tls --auth PLAIN \
	    --auth-user sender --auth-password secret \
	    --from support@support.example.test --to alice@customer.example \
	    --header "Subject: capture test $$" --body "body line" \
	    --silent 2
	ms_sink_wait 1 5
	j=$MS_SINK_DIR/000001.json
	t_ok "000001.eml and 000001.json written" \
	    test -s "$MS_SINK_DIR/000001.eml" -a -s "$j"
	t_is "$(jget "$j" auth_user 2>&1)" sender "json: auth_user is sender"
	t_is "$(jget "$j" tls 2>&1)" true "json: tls is true"
	t_is "$(jget "$j" mail_from 2>&1)" support@support.example.test \
	    "json: mail_from"
	t_is "$(jget "$j" rcpt_tos 2>&1)" '["alice@customer.example"]' \
	    "json: rcpt_tos"
	t_grep "eml has the subject, CRLF line ends" \
	    "^Subject: capture test $$$(printf '\r')\$" \
	    "$MS_SINK_DIR/000001.eml"

	swaks --server "127.0.0.1:$SINK_PORT" --tls --auth PLAIN \
	    --auth-user sender --auth-password wrong \
	    --from support@support.example.test --to alice@customer.example \
	    >"$W/badauth.out" 2>&1
	t_grep "a bad password gets 535" '^<~\* 535' "$W/badauth.out"
	swaks --server "127.0.0.1:$SINK_PORT" --auth PLAIN \
	    --auth-user sender --auth-password secret \
	    --from support@support.example.test --to alice@customer.example \
	    >"$W/notls.out" 2>&1
	t_not "AUTH is not offered before STARTTLS" \
	    grep -q '^<-  250[- ]AUTH' "$W/notls.out"
	swaks --server "127.0.0.1:$SINK_PORT" \
	    --from support@support.example.test \
	    --to nobody@customer.example >"$W/rcpt.out" 2>&1
	t_grep "--reject-rcpt gives 550 at RCPT" '^<\*\* 550' "$W/rcpt.out"
	t_ok "swaks implicit TLS + AUTH LOGIN on the SMTPS port" \
	    swaks --server "127.0.0.1:$SINK_TLS_PORT" --tlsc --auth LOGIN \
	    --auth-user sender --auth-password secret \
	    --from support@support.example.test --to bob@customer.example \
	    --header "Subject: smtps $$" --silent 2
	ms_sink_wait 2 5
	t_is "$(ms_sink_count)" 2 "exactly the two accepted messages captured"
	t_is "$(jget "$MS_SINK_DIR/000002.json" implicit_tls 2>&1)" true \
	    "json: implicit_tls on the SMTPS port"
fi

# --- smtp-sink + Postfix --------------------------------------------------
t_ok "smtp-sink starts (port $SMTPSINK_PORT)" ms_smtpsink_start

out=$W/ticket-out
mkdir -p "$out" && chown nobody "$out" && chmod 755 "$out"
cat >"$W/fake-deliver" <<EOF
#!/bin/sh
# stand-in for postdesk-deliver: args and the message into files
id=\$(od -An -N4 -tx1 /dev/urandom | tr -d ' \\n')
printf '%s\\n' "\$@" >"$out/\$id.args"
{ id -un; env; } >"$out/\$id.env"
cat >"$out/\$id.msg.tmp" && mv "$out/\$id.msg.tmp" "$out/\$id.msg"
EOF
ms_install_bin "$W/fake-deliver"
export G_SLICE="${G_SLICE:-always-malloc}"	# passed through ms_pipe_env

t_ok "Postfix starts (port $POSTFIX_PORT)" \
    ms_postfix_start "$MS_BIN/fake-deliver" -f '${sender}' -r '${recipient}'
t_ok "swaks to test+queue@support.example.test is accepted" \
    swaks --server "127.0.0.1:$POSTFIX_PORT" --from alice@customer.example \
    --to test+queue@support.example.test --header "Subject: via postfix $$" \
    --silent 2
t_ok "Postfix queue drains" ms_postfix_wait_empty 10
msgf=$(ls "$out"/*.msg 2>/dev/null | head -n 1)
t_grep "pipe command got the message with its subject" \
    "^Subject: via postfix $$" "${msgf:-/nonexistent}"
t_grep "flags=DRO: Delivered-To header added" \
    "^Delivered-To: test\\+queue@support.example.test" "${msgf:-/nonexistent}"
t_is "$(cat "${msgf%.msg}.args" 2>/dev/null | tr '\n' ' ')" \
    "-f alice@customer.example -r test+queue@support.example.test " \
    "pipe argv has envelope sender and recipient"
t_grep "pipe command runs as nobody" '^nobody$' "${msgf%.msg}.env"
t_grep "pipe command gets G_SLICE through ms_pipe_env" \
    '^G_SLICE=always-malloc$' "${msgf%.msg}.env"
if [ -n "${ASAN_OPTIONS:-}" ]; then
	t_grep "pipe command gets ASAN_OPTIONS through ms_pipe_env" \
	    "^ASAN_OPTIONS=$ASAN_OPTIONS\$" "${msgf%.msg}.env"
fi
t_grep "Postfix log: status=sent via ticket" \
    'status=sent \(delivered via ticket service\)' "$MS_POSTFIX/log/postfix.log"

swaks --server "127.0.0.1:$POSTFIX_PORT" --from alice@customer.example \
    --to someone@elsewhere.example >"$W/relay.out" 2>&1
t_grep "mail to an unknown domain is rejected at RCPT" \
    '^<\*\* 5[0-9][0-9] .*(outbound mail disabled|Relay access denied)' \
    "$W/relay.out"
t_ok "mail to customer.example is relayed to smtp-sink" \
    swaks --server "127.0.0.1:$POSTFIX_PORT" --from support@support.example.test \
    --to carol@customer.example --header "Subject: to sink $$" --silent 2
ms_smtpsink_wait 1 10
t_grep "smtp-sink received it" "^Subject: to sink $$" \
    "$(find "$MS_SMTPSINK_DIR" -type f | head -n 1)"

# --- stop -----------------------------------------------------------------
pids="$(ms_postfix_pid) $(ms_dovecot_pid) $(cat "$MS_SINK_DIR/capture.pid" \
    "$MS_SMTPSINK_DIR.pid" 2>/dev/null)"
ms_stop_all
left=""
for p in $pids; do alive "$p" && left="$left $p"; done
t_is "$left" "" "ms_stop_all leaves no daemon running"
t_done
