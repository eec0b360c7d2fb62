# SPDX-License-Identifier: ISC
# Helpers for postdesk's shell tests (sourced, POSIX sh).  Output is TAP:
# "ok N - name", "not ok N - name", "ok N - name # SKIP reason".
#
#   t_ok NAME CMD...        ok if CMD exits 0 (its output goes to stderr)
#   t_not NAME CMD...       ok if CMD exits non-zero
#   t_is GOT WANT NAME      ok if the strings are equal
#   t_like GOT GLOB NAME    ok if GOT matches the shell pattern GLOB
#   t_grep NAME ERE FILE    ok if FILE has a line matching ERE
#   t_pass NAME / t_fail NAME [WHY]
#   t_skip NAME REASON      a skip (never a failure)
#   t_skip_dep NAME REASON  a skip, but a failure under DEPS=yes
#   t_diag MSG...           a "# " comment line
#   t_done                  print the plan, exit 1 if anything failed
#   need_cmd CMD...         true if all exist; else reports one skip (a
#                           failure under DEPS=yes) and returns 1
#   need_pymod MOD...       the same for /usr/bin/python3 modules
#   require_cmd CMD...      need_cmd, or end the test here (t_done)
#   free_port               print an unused 127.0.0.1 TCP port
#   wait_port HOST PORT SECS   wait until something listens there
#   wait_for SECS CMD...    poll CMD every 50 ms until it succeeds
#   alive PID               true if PID exists and is not a zombie
#   stop_pid PID [SECS]     TERM, wait, then KILL
#   stop_pgrp PID [SECS]    the same for the process group PID leads
#                           (daemons that setsid: Dovecot, Postfix master)
#   at_exit CMD             push CMD on the cleanup stack (run LIFO on exit)
#
# Environment: DEPS=yes turns missing tools into failures (CI must skip
# nothing).  RUNDIR is the world-searchable directory for test state.

_t_n=0
_t_failed=0
_t_atexit=""
T_PY=${T_PY:-/usr/bin/python3}

RUNDIR=${RUNDIR:-/tmp/postdesk-test.$$}
if [ ! -d "$RUNDIR" ]; then
	mkdir -p "$RUNDIR" && chmod 755 "$RUNDIR"
fi
export RUNDIR

t_diag() { printf '# %s\n' "$*"; }

t_pass() {
	_t_n=$((_t_n + 1))
	printf 'ok %d - %s\n' "$_t_n" "$1"
}

t_fail() {
	_t_n=$((_t_n + 1))
	_t_failed=$((_t_failed + 1))
	printf 'not ok %d - %s\n' "$_t_n" "$1"
	[ $# -gt 1 ] && [ -n "$2" ] && printf '%s\n' "$2" | sed 's/^/#   /'
	return 0
}

t_skip() {
	_t_n=$((_t_n + 1))
	printf 'ok %d - %s # SKIP %s\n' "$_t_n" "$1" "$2"
}

t_skip_dep() {
	if [ "${DEPS:-}" = yes ]; then
		t_fail "$1: $2 (DEPS=yes: nothing may be skipped)"
	else
		t_skip "$1" "$2"
	fi
}

t_ok() {
	_name=$1; shift
	if "$@" >&2; then t_pass "$_name"; return 0; fi
	t_fail "$_name" "command failed: $*"
	return 1
}

t_not() {
	_name=$1; shift
	if "$@" >&2; then t_fail "$_name" "command succeeded: $*"; return 1; fi
	t_pass "$_name"
}

t_is() {
	if [ "$1" = "$2" ]; then t_pass "$3"; return 0; fi
	t_fail "$3" "got:  '$1'
want: '$2'"
	return 1
}

t_like() {
	# shellcheck disable=SC2254
	case $1 in
	$2) t_pass "$3"; return 0 ;;
	esac
	t_fail "$3" "got:  '$1'
want: $2"
	return 1
}

t_grep() {
	if grep -Eq -- "$2" "$3" 2>/dev/null; then t_pass "$1"; return 0; fi
	t_fail "$1" "no line matching /$2/ in $3"
	return 1
}

t_done() {
	printf '1..%d\n' "$_t_n"
	[ "$_t_failed" -eq 0 ] && exit 0
	exit 1
}

# --- requirements ---------------------------------------------------------

have_cmd() {
	for _c in "$@"; do
		case $_c in
		/*) [ -x "$_c" ] || return 1 ;;
		*) command -v "$_c" >/dev/null 2>&1 || return 1 ;;
		esac
	done
	return 0
}

need_cmd() {
	_miss=""
	for _c in "$@"; do
		have_cmd "$_c" || _miss="$_miss $_c"
	done
	[ -z "$_miss" ] && return 0
	t_skip_dep "requirements" "missing:$_miss"
	return 1
}

need_pymod() {
	_miss=""
	if [ ! -x "$T_PY" ]; then
		_miss=" $T_PY"
	else
		for _m in "$@"; do
			"$T_PY" -I -c "import $_m" 2>/dev/null ||
			    _miss="$_miss python3-module:$_m"
		done
	fi
	[ -z "$_miss" ] && return 0
	t_skip_dep "requirements" "missing:$_miss"
	return 1
}

require_cmd() {
	need_cmd "$@" || t_done
}

# --- ports and processes --------------------------------------------------

_t_ports_given=""

_t_rand() {	# 0..65535
	od -An -N2 -tu2 /dev/urandom | tr -d ' \n'
}

_t_port_in_use() {	# port: is it in /proc/net/tcp{,6} in any state?
	_hex=$(printf '%04X' "$1")
	cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
	    awk -v p=":$_hex" 'NR > 1 && (substr($2, length($2) - 4) == p ||
		substr($3, length($3) - 4) == p) { f = 1 } END { exit !f }'
}

_t_port_bindable() {	# port: try to bind it (when python3 is there)
	_py=$T_PY
	[ -x "$_py" ] || _py=$(command -v python3 2>/dev/null) || return 0
	"$_py" -I - "$1" <<'EOF' 2>/dev/null
import socket, sys
s = socket.socket()
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
EOF
}

# Print a free 127.0.0.1 TCP port below the ephemeral range (so that no
# outgoing connection takes it before the server binds it), never the same
# one twice in one test.
free_port() {
	_i=0
	while [ $_i -lt 200 ]; do
		_i=$((_i + 1))
		_p=$((20000 + $(_t_rand) % 12000))
		case " $_t_ports_given " in *" $_p "*) continue ;; esac
		_t_port_in_use "$_p" && continue
		_t_port_bindable "$_p" || continue
		_t_ports_given="$_t_ports_given $_p"
		echo "$_p"
		return 0
	done
	echo "free_port: no free port found" >&2
	return 1
}

_t_listening() {	# host port
	_hex=$(printf '%04X' "$2")
	case $1 in
	127.0.0.1 | localhost) _h=0100007F ;;
	*) _h=$(echo "$1" | awk -F. '{ printf "%02X%02X%02X%02X", $4, $3, $2, $1 }') ;;
	esac
	awk -v a="$_h:$_hex" -v any="00000000:$_hex" \
	    'NR > 1 && $4 == "0A" && ($2 == a || $2 == any) { f = 1 }
	     END { exit !f }' /proc/net/tcp 2>/dev/null
}

wait_for() {	# secs cmd...
	_n=$(($1 * 20)); shift
	while :; do
		"$@" && return 0
		[ "$_n" -le 0 ] && return 1
		_n=$((_n - 1))
		sleep 0.05
	done
}

wait_port() {	# host port secs
	wait_for "$3" _t_listening "$1" "$2"
}

alive() {	# pid: exists and is not a zombie (/proc/PID/stat state)
	[ -n "${1:-}" ] || return 1
	_st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	_st=${_st##*) }
	case $_st in
	Z* | X* | x* | "") return 1 ;;
	esac
	return 0
}

_t_dead() { ! alive "$1"; }

stop_pid() {	# pid [secs]: TERM, wait until gone, then KILL
	alive "$1" || return 0
	kill -TERM "$1" 2>/dev/null
	wait_for "${2:-5}" _t_dead "$1" && return 0
	kill -KILL "$1" 2>/dev/null
	wait_for 2 _t_dead "$1"
}

_t_pgrp_of() {	# pid: print its process group (field 5 of /proc/PID/stat)
	_st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	_st=${_st##*) }
	# shellcheck disable=SC2086
	set -- $_st
	echo "$3"
}

_t_pgrp_gone() {	# pgid: no live (non-zombie) process left in it
	cat /proc/[0-9]*/stat 2>/dev/null | awk -v g="$1" '
		{ sub(/^.*\) /, ""); if ($3 == g && $1 !~ /^[ZXx]/) f = 1 }
		END { exit f }'
}

stop_pgrp() {	# pid [secs]: TERM the process group that PID leads (a
		# daemon that called setsid), wait, then KILL what is left
	alive "$1" || return 0
	[ "$(_t_pgrp_of "$1")" = "$1" ] || { stop_pid "$@"; return; }
	kill -TERM "-$1" 2>/dev/null
	wait_for "${2:-5}" _t_pgrp_gone "$1" && return 0
	kill -KILL "-$1" 2>/dev/null
	wait_for 2 _t_pgrp_gone "$1"
}

# --- cleanup stack --------------------------------------------------------

at_exit() {
	_t_atexit="$*
$_t_atexit"
}

_t_cleanup() {
	_cmds=$_t_atexit
	_t_atexit=""
	[ -n "$_cmds" ] && eval "$_cmds"
	return 0
}

trap '_t_rc=$?; _t_cleanup; exit $_t_rc' EXIT
trap '_t_cleanup; trap - EXIT; exit 130' INT
trap '_t_cleanup; trap - EXIT; exit 143' TERM
trap '_t_cleanup; trap - EXIT; exit 129' HUP
