# SPDX-License-Identifier: ISC
# Real mail servers on loopback for postdesk's integration tests (sourced,
# POSIX sh, after tests/lib/common.sh).  Debian 12: dovecot-imapd(+lmtpd),
# postfix, python3-aiosmtpd, swaks, openssl.  Must run as root (Postfix and
# Dovecot drop to their own users).
#
# All state lives under $MAILSTACK_DIR (default $RUNDIR/ms.TEST.PID), whose
# parents must all be world-searchable.  Ports come from free_port unless
# already set in the environment; ms_init exports them:
#   IMAP_PORT IMAPS_PORT SINK_PORT SINK_TLS_PORT SMTPSINK_PORT POSTFIX_PORT
#   LMTP_PORT
# Daemons are stopped by the PIDs in their pid files, never by name.
#
#   ms_init                  make the directory, pick ports (called by all)
#   ms_ca                    test CA + certificates in $MS_TLS (see below)
#   ms_dovecot_start / ms_dovecot_stop
#   ms_dovecot_save USER [MAILBOX] < msg     doveadm save
#   ms_doveadm ARGS...       doveadm -c our config
#   ms_sink_start [ARGS...]  aiosmtpd capture (tests/lib/smtp-capture.py);
#                            ARGS e.g. --reject-rcpt bad@x=550; writes to
#                            $MS_SINK_DIR/NNNNNN.{eml,json}
#   ms_sink_wait N SECS      wait for N .json files;  ms_sink_count
#   ms_sink_stop
#   ms_smtpsink_start / ms_smtpsink_stop     postfix smtp-sink, dumps in
#                            $MS_SMTPSINK_DIR;  ms_smtpsink_wait N SECS
#   ms_postfix_start ARGV... Postfix with the "ticket" pipe transport
#                            running ARGV (as nobody, flags=DRO)
#   ms_postfix_wait_empty SECS   ms_postfix_flush   ms_postfix_log
#   ms_postfix_stop
#   ms_pipe_env              the "/usr/bin/env VAR=..." prefix that
#                            ms_postfix_start puts before ARGV
#   ms_install_bin FILE...   copy into $MS_BIN (mode 755, for nobody)
#   ms_stop_all              stop everything (registered with at_exit)
#
# Certificates ($MS_TLS): ca.crt/ca.key (test CA); server.crt/server.key
# (localhost, 127.0.0.1; signed by ca); wrong-host.crt/.key (only
# wrong.example.test; signed by ca); rogue-ca.crt/.key (an unrelated CA);
# rogue-server.crt/.key (localhost, 127.0.0.1; signed by rogue-ca).
#
# Accounts: IMAP test@support.example.test and other@support.example.test,
# password "secret".  SMTP sink AUTH: sender / secret (after STARTTLS, or
# on the implicit-TLS port SINK_TLS_PORT).
#
# Postfix routes: support.example.test -> pipe "ticket" (one recipient per
# run, as nobody); lmtp.example.test -> lmtp:inet:127.0.0.1:$LMTP_PORT;
# customer.example -> smtp-sink on $SMTPSINK_PORT; anything else is
# rejected at RCPT ("outbound mail disabled in tests").  Extra main.cf
# lines: MS_POSTFIX_MAIN (newline-separated), before start.

MS_LIB=${MS_LIB:-$TOP/tests/lib}
MS_PY=${MS_PY:-/usr/bin/python3}
_ms_inited=""

_ms_err() { echo "mailstack: $*" >&2; }

_ms_backdate() {	# files...: mtime 10 s in the past (Postfix re-reads new ones)
	touch -d "@$(($(date +%s) - 10))" "$@"
}

_ms_check_path() {	# every parent must be searchable by others
	_d=$1
	while [ -n "$_d" ] && [ "$_d" != / ]; do
		if [ -d "$_d" ]; then
			_perm=$(stat -c %A "$_d")
			case $_perm in
			d????????[xt]) ;;
			*)
				_ms_err "$_d is $_perm: not searchable by other" \
				    "users (Postfix, Dovecot, nobody); use a" \
				    "world-searchable RUNDIR/MAILSTACK_DIR"
				return 1 ;;
			esac
		fi
		_d=$(dirname "$_d")
	done
	return 0
}

ms_init() {
	[ -n "$_ms_inited" ] && return 0
	if [ -z "${MAILSTACK_DIR:-}" ]; then
		MAILSTACK_DIR=$RUNDIR/ms.$(basename "$0" .sh).$$
	fi
	case $MAILSTACK_DIR in /*) ;; *) MAILSTACK_DIR=$(pwd)/$MAILSTACK_DIR ;; esac
	mkdir -p "$MAILSTACK_DIR" && chmod 755 "$MAILSTACK_DIR" || return 1
	_ms_check_path "$MAILSTACK_DIR" || return 1
	export MAILSTACK_DIR
	MS_TLS=$MAILSTACK_DIR/tls
	MS_BIN=$MAILSTACK_DIR/bin
	MS_DOVECOT=$MAILSTACK_DIR/dovecot
	MS_SINK_DIR=$MAILSTACK_DIR/sink
	MS_SMTPSINK_DIR=$MAILSTACK_DIR/smtp-sink
	MS_POSTFIX=$MAILSTACK_DIR/postfix
	export MS_TLS MS_BIN MS_DOVECOT MS_SINK_DIR MS_SMTPSINK_DIR MS_POSTFIX
	for _v in IMAP_PORT IMAPS_PORT SINK_PORT SINK_TLS_PORT SMTPSINK_PORT \
	    POSTFIX_PORT LMTP_PORT; do
		eval "_p=\${$_v:-}"
		if [ -z "$_p" ]; then
			_p=$(free_port) || return 1
			eval "$_v=$_p"
		fi
		# shellcheck disable=SC2163
		export "$_v"
	done
	mkdir -p "$MS_BIN" && chmod 755 "$MS_BIN"
	at_exit ms_stop_all
	_ms_inited=yes
}

ms_install_bin() {	# files...: copy into $MS_BIN, runnable by anyone
	ms_init || return 1
	for _f in "$@"; do
		cp "$_f" "$MS_BIN/" && chmod 755 "$MS_BIN/$(basename "$_f")" ||
		    return 1
	done
}

# --- TLS ------------------------------------------------------------------

_ms_ca_new() {	# name subject
	openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
	    -nodes -keyout "$MS_TLS/$1.key" -out "$MS_TLS/$1.crt" -days 3650 \
	    -subj "$2" -addext "basicConstraints=critical,CA:TRUE" \
	    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}

_ms_cert_new() {	# name ca subject san
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
	    -nodes -keyout "$MS_TLS/$1.key" -out "$MS_TLS/$1.csr" \
	    -subj "$3" 2>/dev/null || return 1
	printf '%s\n' "basicConstraints=critical,CA:FALSE" \
	    "keyUsage=critical,digitalSignature,keyEncipherment" \
	    "extendedKeyUsage=serverAuth" "subjectAltName=$4" \
	    >"$MS_TLS/$1.ext"
	openssl x509 -req -in "$MS_TLS/$1.csr" -CA "$MS_TLS/$2.crt" \
	    -CAkey "$MS_TLS/$2.key" -set_serial "0x$(od -An -N8 -tx1 \
	    /dev/urandom | tr -d ' \n')" -days 3650 -extfile "$MS_TLS/$1.ext" \
	    -out "$MS_TLS/$1.crt" 2>/dev/null || return 1
	rm -f "$MS_TLS/$1.csr" "$MS_TLS/$1.ext"
}

ms_ca() {
	ms_init || return 1
	[ -s "$MS_TLS/rogue-server.crt" ] && return 0
	mkdir -p "$MS_TLS" && chmod 755 "$MS_TLS"
	_ms_ca_new ca "/O=postdesk tests/CN=postdesk test CA" &&
	_ms_cert_new server ca "/O=postdesk tests/CN=localhost" \
	    "DNS:localhost,IP:127.0.0.1" &&
	_ms_cert_new wrong-host ca "/O=postdesk tests/CN=wrong.example.test" \
	    "DNS:wrong.example.test" &&
	_ms_ca_new rogue-ca "/O=somebody else/CN=unrelated test CA" &&
	_ms_cert_new rogue-server rogue-ca "/O=somebody else/CN=localhost" \
	    "DNS:localhost,IP:127.0.0.1" || {
		_ms_err "openssl failed to make the test certificates"
		return 1
	}
	# Test keys only: readable by the unprivileged test processes.
	chmod 644 "$MS_TLS"/*.key "$MS_TLS"/*.crt
}

# --- Dovecot --------------------------------------------------------------

ms_dovecot_pid() {
	[ -f "$MS_DOVECOT/run/master.pid" ] &&
	    tr -d ' \n' <"$MS_DOVECOT/run/master.pid" || true
}

ms_dovecot_start() {
	ms_ca || return 1
	_d=$MS_DOVECOT
	if alive "$(ms_dovecot_pid)"; then return 0; fi
	mkdir -p "$_d/run" "$_d/state" "$_d/mail" || return 1
	chmod 755 "$_d" "$_d/run" "$_d/state"
	chown mail:mail "$_d/mail" && chmod 755 "$_d/mail" || return 1
	printf '%s\n' "test@support.example.test:{PLAIN}secret::::::" \
	    "other@support.example.test:{PLAIN}secret::::::" >"$_d/users"
	chmod 644 "$_d/users"
	_protos=imap
	[ -x /usr/lib/dovecot/lmtp ] && _protos="imap lmtp"
	cat >"$_d/dovecot.conf" <<EOF
# postdesk test Dovecot: standalone, nothing from /etc/dovecot.
base_dir = $_d/run
state_dir = $_d/state
log_path = $_d/dovecot.log
info_log_path = $_d/dovecot.log
protocols = $_protos
listen = 127.0.0.1
ssl = yes
ssl_cert = <$MS_TLS/server.crt
ssl_key = <$MS_TLS/server.key
ssl_dh = </usr/share/dovecot/dh.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_verbose = yes
auth_failure_delay = 0
first_valid_uid = 8
mail_location = maildir:~/Maildir
passdb {
  driver = passwd-file
  args = scheme=PLAIN $_d/users
}
userdb {
  driver = static
  args = uid=mail gid=mail home=$_d/mail/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $IMAP_PORT
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $IMAPS_PORT
    ssl = yes
  }
}
service lmtp {
  unix_listener lmtp {
    mode = 0666
  }
}
# One failed login from 127.0.0.1 would delay all later ones by seconds.
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
EOF
	rm -f "$_d/run/anvil-auth-penalty"
	/usr/sbin/dovecot -c "$_d/dovecot.conf" || {
		_ms_err "dovecot failed to start; log:"
		tail -n 20 "$_d/dovecot.log" >&2
		return 1
	}
	wait_port 127.0.0.1 "$IMAP_PORT" 10 &&
	    wait_port 127.0.0.1 "$IMAPS_PORT" 10 || {
		_ms_err "dovecot does not listen on $IMAP_PORT/$IMAPS_PORT"
		tail -n 20 "$_d/dovecot.log" >&2
		return 1
	}
}

ms_doveadm() {
	doveadm -c "$MS_DOVECOT/dovecot.conf" "$@"
}

ms_dovecot_save() {	# user [mailbox] < message
	ms_doveadm save -u "$1" -m "${2:-INBOX}"
}

ms_dovecot_stop() {
	[ -n "${MS_DOVECOT:-}" ] || return 0
	_pid=$(ms_dovecot_pid)
	# TERM to the whole group: the master alone takes ~1 s to reap.
	[ -n "$_pid" ] && stop_pgrp "$_pid" 5
	rm -f "$MS_DOVECOT/run/master.pid"
}

# --- aiosmtpd capture sink ------------------------------------------------

ms_sink_start() {	# [smtp-capture.py options...]
	ms_ca || return 1
	_pf=$MS_SINK_DIR/capture.pid
	if alive "$(cat "$_pf" 2>/dev/null)"; then return 0; fi
	mkdir -p "$MS_SINK_DIR" && chmod 755 "$MS_SINK_DIR"
	rm -f "$_pf"
	"$MS_PY" -I "$MS_LIB/smtp-capture.py" --port "$SINK_PORT" \
	    --tls-port "$SINK_TLS_PORT" --cert "$MS_TLS/server.crt" \
	    --key "$MS_TLS/server.key" --dir "$MS_SINK_DIR" "$@" \
	    </dev/null >>"$MS_SINK_DIR/capture.log" 2>&1 &
	echo $! >"$_pf"
	wait_port 127.0.0.1 "$SINK_PORT" 10 &&
	    wait_port 127.0.0.1 "$SINK_TLS_PORT" 10 || {
		_ms_err "smtp-capture does not listen on $SINK_PORT; log:"
		tail -n 20 "$MS_SINK_DIR/capture.log" >&2
		return 1
	}
}

ms_sink_count() {
	_n=0
	for _f in "$MS_SINK_DIR"/[0-9]*.json; do
		[ -f "$_f" ] && _n=$((_n + 1))
	done
	echo $_n
}

_ms_sink_has() { [ "$(ms_sink_count)" -ge "$1" ]; }

ms_sink_wait() {	# n secs: wait until n messages are captured
	wait_for "$2" _ms_sink_has "$1"
}

ms_sink_stop() {
	[ -n "${MS_SINK_DIR:-}" ] || return 0
	stop_pid "$(cat "$MS_SINK_DIR/capture.pid" 2>/dev/null)" 5
	rm -f "$MS_SINK_DIR/capture.pid"
}

# --- postfix smtp-sink (bounce/DSN catcher) -------------------------------

ms_smtpsink_start() {
	ms_init || return 1
	_pf=$MS_SMTPSINK_DIR.pid
	if alive "$(cat "$_pf" 2>/dev/null)"; then return 0; fi
	mkdir -p "$MS_SMTPSINK_DIR" && chown postfix "$MS_SMTPSINK_DIR" &&
	    chmod 755 "$MS_SMTPSINK_DIR" || return 1
	/usr/sbin/smtp-sink -u postfix -d "$MS_SMTPSINK_DIR/%Y%m%d%H%M%S." \
	    "127.0.0.1:$SMTPSINK_PORT" 100 </dev/null \
	    >>"$MAILSTACK_DIR/smtp-sink.log" 2>&1 &
	echo $! >"$_pf"
	wait_port 127.0.0.1 "$SMTPSINK_PORT" 10 || {
		_ms_err "smtp-sink does not listen on $SMTPSINK_PORT"
		cat "$MAILSTACK_DIR/smtp-sink.log" >&2
		return 1
	}
}

ms_smtpsink_count() {
	find "$MS_SMTPSINK_DIR" -type f 2>/dev/null | wc -l | tr -d ' '
}

_ms_smtpsink_has() { [ "$(ms_smtpsink_count)" -ge "$1" ]; }

ms_smtpsink_wait() {	# n secs
	wait_for "$2" _ms_smtpsink_has "$1"
}

ms_smtpsink_stop() {
	[ -n "${MS_SMTPSINK_DIR:-}" ] || return 0
	stop_pid "$(cat "$MS_SMTPSINK_DIR.pid" 2>/dev/null)" 5
	rm -f "$MS_SMTPSINK_DIR.pid"
}

# --- Postfix --------------------------------------------------------------

# pipe(8) runs its command with an emptied environment: pass the sanitizer
# settings (log_path in SAN_DIR, mode 1777) on its command line.
# LSan's suppressions file is copied next to the test state: the source
# tree may not be readable by nobody.
ms_pipe_env() {
	_e=""
	for _v in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS G_SLICE; do
		eval "_x=\${$_v:-}"
		case $_v:$_x in
		LSAN_OPTIONS:*suppressions=*)
			_sf=${_x#*suppressions=}
			_sf=${_sf%%:*}
			if [ -r "$_sf" ] && cp "$_sf" "$MAILSTACK_DIR/lsan.supp"
			then
				chmod 644 "$MAILSTACK_DIR/lsan.supp"
				_x=$(printf '%s' "$_x" | sed \
				    "s|suppressions=[^:]*|suppressions=$MAILSTACK_DIR/lsan.supp|")
			fi ;;
		esac
		[ -n "$_x" ] && _e="$_e $_v=$_x"
	done
	[ -n "$_e" ] && echo "/usr/bin/env$_e"
	return 0
}

ms_postfix_pid() {
	[ -f "$MS_POSTFIX/queue/pid/master.pid" ] &&
	    tr -d ' \n' <"$MS_POSTFIX/queue/pid/master.pid" || true
}

ms_postfix() { /usr/sbin/postfix -c "$MS_POSTFIX/conf" "$@"; }
ms_postqueue() { /usr/sbin/postqueue -c "$MS_POSTFIX/conf" "$@"; }
ms_postsuper() { /usr/sbin/postsuper -c "$MS_POSTFIX/conf" "$@"; }

ms_postfix_start() {	# pipe argv words (${sender}, ${recipient}, ... kept)
	ms_init || return 1
	_p=$MS_POSTFIX
	if alive "$(ms_postfix_pid)"; then return 0; fi
	if [ $# -eq 0 ]; then
		_ms_err "ms_postfix_start: no pipe command given"
		return 1
	fi
	mkdir -p "$_p/conf" "$_p/queue" "$_p/data" "$_p/log" || return 1
	chmod 755 "$_p" "$_p/conf" "$_p/queue" "$_p/log"
	chown postfix "$_p/data"
	_env=$(ms_pipe_env)
	_mdl=$MAILSTACK_DIR
	_err="error:5.1.1 outbound mail disabled in tests"
	cat >"$_p/conf/main.cf" <<EOF
# postdesk test Postfix: nothing from /etc/postfix, nothing leaves.
compatibility_level = 3.6
queue_directory = $_p/queue
data_directory = $_p/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.postdesk.test
mydomain = postdesk.test
myorigin = \$myhostname
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mydestination =
mynetworks = 127.0.0.0/8
relay_domains = support.example.test, lmtp.example.test
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
transport_maps = inline:{ support.example.test=ticket: ,
  lmtp.example.test=lmtp:inet:127.0.0.1:$LMTP_PORT ,
  customer.example=smtp:[127.0.0.1]:$SMTPSINK_PORT }
default_transport = $_err
relay_transport = $_err
local_transport = error:5.1.1 local delivery disabled in tests
alias_maps =
alias_database =
biff = no
append_dot_mydomain = no
recipient_delimiter = +
ticket_destination_recipient_limit = 1
smtp_tls_security_level = none
smtpd_tls_security_level = none
smtp_dns_support_level = disabled
maillog_file = $_p/log/postfix.log
maillog_file_prefixes = $_mdl, /var, /dev/stdout
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
bounce_queue_lifetime = 1h
maximal_queue_lifetime = 1h
${MS_POSTFIX_MAIN:-}
EOF
	cat >"$_p/conf/master.cf" <<EOF
# service type  private unpriv chroot wakeup maxproc command + args
127.0.0.1:$POSTFIX_PORT inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
ticket    unix  -       n       n       -       -       pipe
  flags=DRO user=nobody argv=${_env:+$_env }$*
EOF
	_ms_backdate "$_p/conf/main.cf" "$_p/conf/master.cf"
	ms_postfix start >"$_p/log/start.log" 2>&1 || {
		_ms_err "postfix failed to start:"
		cat "$_p/log/start.log" >&2
		tail -n 20 "$_p/log/postfix.log" >&2 2>/dev/null
		return 1
	}
	wait_port 127.0.0.1 "$POSTFIX_PORT" 10 || {
		_ms_err "postfix does not listen on $POSTFIX_PORT"
		tail -n 20 "$_p/log/postfix.log" >&2
		return 1
	}
}

_ms_queue_empty() {
	[ -z "$(ms_postqueue -j 2>/dev/null)" ]
}

ms_postfix_wait_empty() {	# secs: until the queue is empty
	wait_for "$1" _ms_queue_empty
}

ms_postfix_flush() { ms_postqueue -f; }

ms_postfix_log() { cat "$MS_POSTFIX/log/postfix.log" 2>/dev/null; }

ms_postfix_stop() {
	[ -n "${MS_POSTFIX:-}" ] || return 0
	_pid=$(ms_postfix_pid)
	# TERM to the master is instant: it kills its process group.
	[ -n "$_pid" ] && stop_pgrp "$_pid" 5
	rm -f "$MS_POSTFIX/queue/pid/master.pid"
}

# --- all ------------------------------------------------------------------

ms_stop_all() {
	ms_postfix_stop
	ms_sink_stop
	ms_smtpsink_stop
	ms_dovecot_stop
	return 0
}
