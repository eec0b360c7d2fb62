#!/bin/sh
# SPDX-License-Identifier: ISC
#
# postdesk-setup.sh: prepare a host for postdesk.  Run as root, once after
# `make install`; running it again changes nothing that is already right.
#
#   sh contrib/postdesk-setup.sh ADDRESS ['Agent Name <agent@example.org>']...
#
# It
#   1. creates the system user and group "postdesk" (home /var/lib/postdesk,
#      no login shell) unless they exist: the MTA runs postdesk-deliver as
#      this user;
#   2. creates /var/lib/postdesk (0750, postdesk:postdesk) and /etc/postdesk
#      (0755, root);
#   3. unless /etc/postdesk/postdesk.conf exists, runs
#      `postdesk init --address ADDRESS [--agent ...] /var/lib/postdesk`,
#      which writes the database, the secret and the outbox Maildir there,
#      and moves the configuration it writes (which names those files by
#      absolute path) to /etc/postdesk/postdesk.conf (0644, root);
#   4. gives /var/lib/postdesk and everything in it to postdesk:postdesk and
#      makes the secret 0600.  The database AND its directory must belong to
#      the delivery user: SQLite creates postdesk.db-wal and -shm next to it;
#   5. runs `postdesk check` and, as the delivery user, checks that it can
#      open the database and read the secret.
#
# Environment:
#   POSTDESK       the postdesk binary (default /usr/local/bin/postdesk)
#   POSTDESK_USER  the delivery user and group (default postdesk)
#   ROOT           a directory to put etc/postdesk and var/lib/postdesk under
#                  instead of /, for trying the script out; the paths in the
#                  configuration then include it.  The user is still created
#                  on this system.

set -eu

POSTDESK=${POSTDESK:-/usr/local/bin/postdesk}
PD_USER=${POSTDESK_USER:-postdesk}
ROOT=${ROOT:-}
ROOT=${ROOT%/}
HOME_DIR=/var/lib/postdesk
STATE_DIR=$ROOT$HOME_DIR
CONF_DIR=$ROOT/etc/postdesk
CONF=$CONF_DIR/postdesk.conf

say() { printf 'postdesk-setup: %s\n' "$*"; }
die() { printf 'postdesk-setup: %s\n' "$*" >&2; exit 1; }

usage() {
	echo "usage: $0 ADDRESS ['Agent Name <agent@example.org>']..." >&2
	exit 64
}

[ $# -ge 1 ] || usage
ADDRESS=$1
shift
case $ADDRESS in
*@*) ;;
*) usage ;;
esac
# The agents become --agent options.
for a do
	set -- "$@" --agent "$a"
	shift
done

[ "$(id -u)" -eq 0 ] || die "run me as root"
[ -x "$POSTDESK" ] || die "$POSTDESK: not found (set POSTDESK=...)"
case $ROOT in
"" | /*) ;;
*) die "ROOT must be an absolute path" ;;
esac

# --- 1. the user and group -------------------------------------------------

nologin=/bin/false
for s in /usr/sbin/nologin /sbin/nologin; do
	if [ -x "$s" ]; then
		nologin=$s
		break
	fi
done

if id -u "$PD_USER" >/dev/null 2>&1; then
	say "user $PD_USER exists"
else
	if command -v adduser >/dev/null 2>&1 &&
	    adduser --help 2>&1 | grep -q -- '--system'; then
		# Debian's adduser; --group: a group of the same name.
		adduser --quiet --system --group --home "$HOME_DIR" \
		    --no-create-home --shell "$nologin" \
		    --gecos "postdesk mail delivery" "$PD_USER"
	elif command -v useradd >/dev/null 2>&1; then
		useradd --system --user-group --home-dir "$HOME_DIR" \
		    --no-create-home --shell "$nologin" \
		    --comment "postdesk mail delivery" "$PD_USER"
	else
		die "neither adduser nor useradd found: create the system" \
		    "user $PD_USER yourself"
	fi
	say "created system user $PD_USER"
fi
PD_GROUP=$(id -gn "$PD_USER")

# --- 2. directories ---------------------------------------------------------

mkdir -p "$CONF_DIR" "$STATE_DIR"
chown root:root "$CONF_DIR"
chmod 0755 "$CONF_DIR"

# --- 3. configuration, database, secret, outbox -----------------------------

if [ -e "$CONF" ]; then
	say "$CONF exists; keeping it"
else
	for f in postdesk.conf secret postdesk.db outbox; do
		[ ! -e "$STATE_DIR/$f" ] || die "$STATE_DIR/$f exists but" \
		    "$CONF does not: move it away, or write $CONF yourself"
	done
	(umask 027 && "$POSTDESK" init --address "$ADDRESS" "$@" \
	    "$STATE_DIR" >/dev/null)
	mv "$STATE_DIR/postdesk.conf" "$CONF"
	chown root:root "$CONF"
	chmod 0644 "$CONF"
	say "wrote $CONF (database and secret in $STATE_DIR)"
fi

# --- 4. ownership ------------------------------------------------------------

chown -R "$PD_USER:$PD_GROUP" "$STATE_DIR"
chmod 0750 "$STATE_DIR"
if [ -e "$STATE_DIR/secret" ]; then
	chmod 0600 "$STATE_DIR/secret"
fi

# --- 5. check -----------------------------------------------------------------

"$POSTDESK" -c "$CONF" check
if command -v runuser >/dev/null 2>&1; then
	runuser -u "$PD_USER" -- "$POSTDESK" -c "$CONF" ticket list \
	    >/dev/null || die "$PD_USER cannot open the database (is every" \
	    "directory above $STATE_DIR searchable?)"
	if [ -e "$STATE_DIR/secret" ]; then
		runuser -u "$PD_USER" -- test -r "$STATE_DIR/secret" ||
		    die "$PD_USER cannot read $STATE_DIR/secret"
	fi
	say "user $PD_USER can open the database and read the secret"
fi

cat <<EOF
postdesk-setup: done.  Next: have the MTA run, as user $PD_USER,
  ${POSTDESK%/*}/postdesk-deliver -c $CONF deliver -f SENDER -r RECIPIENT
for mail to $ADDRESS and its +extensions; see contrib/postfix,
contrib/exim or contrib/opensmtpd.  Admin commands, e.g.
  postdesk -c $CONF ticket list
may run as root: they switch to the owner of the database.
EOF
