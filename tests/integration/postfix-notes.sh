#!/bin/sh
# SPDX-License-Identifier: ISC
# Real Postfix, set up as contrib/postfix ships it (one recipient per
# pipe run), delivers an agent's mail to the reply address and the
# comment address: two runs, in Postfix's order.  The note reaches no
# customer, with the comment address in Cc and with it only in the
# envelope (Bcc).
. "$TOP/tests/lib/common.sh"
. "$TOP/tests/lib/mailstack.sh"

if [ "$(id -u)" != 0 ]; then
	t_skip_dep "postfix notes" "needs root to run Postfix"
	t_done
fi
require_cmd /usr/sbin/postfix swaks sqlite3 /usr/bin/python3
at_exit ms_stop_all
ms_init || { t_fail "mailstack init"; t_done; }

D=$MAILSTACK_DIR/pd
"$POSTDESK" init --address support@support.example.test \
    --agent 'Maria Ivanova <maria@support.example.test>' \
    --agent 'Peter Petrov <peter@support.example.test>' "$D" >/dev/null ||
	{ t_fail "postdesk init"; t_done; }
CONF=$D/postdesk.conf
sed -i 's|^\taddress "support@support.example.test"|&\n\tcomment-address "support-comment@support.example.test"|' "$CONF"
# The pipe runs as nobody, who may not reach this tree.
cp -R "$TOP/templates" "$MAILSTACK_DIR/templates"
chmod -R a+rX "$MAILSTACK_DIR/templates"
echo "templates \"$MAILSTACK_DIR/templates\"" >>"$CONF"
t_ok "config checks" "$POSTDESK" -c "$CONF" check
RT_TOKEN() { /usr/bin/python3 -I "$TOP/tests/lib/mktoken.py" "$D/secret" "$@"; }
chown -R nobody:nogroup "$D"
DB=$D/postdesk.db
sql() { sqlite3 "$DB" "$1"; }

ms_install_bin "$POSTDESK_DELIVER"
ms_smtpsink_start || { t_fail "smtp-sink start"; t_done; }
ms_postfix_start "$MS_BIN/postdesk-deliver" -c "$CONF" deliver \
    -f '${sender}' -r '${recipient}' || { t_fail "postfix start"; t_done; }
t_pass "postfix started with the postdesk-deliver pipe"

send() {	# from envelope-to < message
	cat >"$MAILSTACK_DIR/msg.eml"
	swaks --silent 2 --server "127.0.0.1:$POSTFIX_PORT" --from "$1" \
	    --to "$2" --data "$MAILSTACK_DIR/msg.eml" >>"$MAILSTACK_DIR/swaks.log" 2>&1
}

printf 'From: Alice <alice@customer.example>\nTo: support@support.example.test\nSubject: Printer\nMessage-ID: <pc.%d@customer.example>\n\nIt prints blank pages.\n' $$ |
    send alice@customer.example support@support.example.test
ms_postfix_wait_empty 20
T=$(sql "select ticket from messages where message_id='pc.$$@customer.example'")
t_ok "the customer's mail is a ticket" test -n "$T"
RT=support+t$T.$(RT_TOKEN reply "$T" maria@support.example.test)@support.example.test
CM=support-comment@support.example.test
runs() { sql "select count(*) from message_rcpts r join messages m on m.id=r.message where m.message_id='$1'"; }
unsent_or_sent() { sql "select count(*) from outbox where rcpt='alice@customer.example' and state <> 'failed' and cast(raw as text) like '%$1%'"; }
agent_mail() {	# id cc-line body
	printf 'From: Maria Ivanova <maria@support.example.test>\nTo: %s\n%sSubject: Re: [Support #%s] Printer\nMessage-ID: <%s.%d@support.example.test>\n\n%s\n' \
	    "$RT" "$2" "$T" "$1" $$ "$3"
}

# The comment address in Cc: both runs see it.
agent_mail pfcc "Cc: $CM
" "Pf-cc-note: she has not paid." | send maria@support.example.test "$RT,$CM"
ms_postfix_wait_empty 20
t_is "$(runs "pfcc.$$@support.example.test")" 2 "Cc: Postfix ran the pipe once per recipient"
t_is "$(sql "select flags & 393216 from messages where message_id='pfcc.$$@support.example.test'")" 131072 \
    "Cc: a proven agent's note"
t_is "$(sql "select count(*) from outbox where rcpt='alice@customer.example' and cast(raw as text) like '%Pf-cc-note%'")" 0 \
    "Cc: no outbox row to the customer"

# The comment address only in the envelope (Bcc).
agent_mail pfbcc "" "Pf-bcc-note: refund denied." |
    send maria@support.example.test "$RT,$CM"
ms_postfix_wait_empty 20
t_is "$(runs "pfbcc.$$@support.example.test")" 2 "Bcc: Postfix ran the pipe once per recipient"
t_is "$(sql "select flags & 131072 from messages where message_id='pfbcc.$$@support.example.test'")" 131072 \
    "Bcc: a note, whichever run came first"
t_is "$(unsent_or_sent Pf-bcc-note)" 0 "Bcc: nothing left to go (or gone) to the customer"
t_is "$(sql "select count(*) from events where what like 'note may have%'")" 0 \
    "Bcc: no leak reported"
t_is "$(sql 'pragma integrity_check')" ok "database integrity"
t_done
