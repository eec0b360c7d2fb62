#!/bin/sh
# SPDX-License-Identifier: ISC
# Install what postdesk needs on Debian 12 (bookworm) / Debian-like systems.
#
#   sh contrib/install-deps.sh            build libraries (+ safe test servers)
#   DEPS=yes sh contrib/install-deps.sh   also the test servers, even where
#                                         that replaces another MTA (CI)
#
# Build libraries are installed whenever they are missing (root) or named
# with the command to run (not root; then the exit status is 1).
# Test servers (Postfix, Dovecot, swaks, aiosmtpd) are installed only as
# root, and without DEPS=yes only where nothing changes for the system:
# Postfix not where another MTA is installed (apt would remove it), Dovecot
# not on a machine whose PID 1 is systemd (the package starts a system IMAP
# server).  When everything is present this only asks dpkg: no apt call.
set -u

BUILD_PKGS="build-essential pkg-config libgmime-3.0-dev libetpan-dev
 libsqlite3-dev libxml2-dev libuchardet-dev libjansson-dev libgnutls28-dev
 libsasl2-modules sqlite3 clang libclang-rt-14-dev openssl"
MTA_PKGS="postfix"
IMAP_PKGS="dovecot-imapd dovecot-lmtpd"
TOOL_PKGS="swaks libnet-ssleay-perl python3-aiosmtpd"

DEPS=${DEPS:-}
APT_OPTS="-y -q -o DPkg::Lock::Timeout=600"

say() { printf 'install-deps: %s\n' "$*" >&2; }

missing() {	# packages...: print those not installed (one dpkg call)
	have=" $(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "$@" \
	    2>/dev/null | awk '$2 ~ /^ii/ { printf "%s ", $1 }')"
	for p in "$@"; do
		case $have in *" $p "*) ;; *) printf '%s\n' "$p" ;; esac
	done
}

other_mta() {	# print installed MTA packages other than postfix
	dpkg-query -W -f='${Package} ${db:Status-Abbrev} ${Provides}\n' \
	    2>/dev/null | awk '
		$2 !~ /^[ih]i/ { next }
		$1 == "postfix" { next }
		/mail-transport-agent/ ||
		$1 ~ /^(exim4|exim4-.*|sendmail|sendmail-.*|opensmtpd|nullmailer|msmtp-mta|ssmtp|dma|courier-mta|masqmail|esmtp-run|citadel-mta|lsb-invalid-mta)$/ { print $1 }' |
	    sort -u | tr '\n' ' '
}

systemd_pid1() {
	[ "$(cat /proc/1/comm 2>/dev/null)" = systemd ]
}

if ! command -v dpkg-query >/dev/null 2>&1; then
	say "not a Debian system (no dpkg-query). Install by hand:"
	say "  $BUILD_PKGS $MTA_PKGS $IMAP_PKGS $TOOL_PKGS"
	exit 1
fi

# shellcheck disable=SC2086
need_build=$(missing $BUILD_PKGS | tr '\n' ' ')
# shellcheck disable=SC2086
need_mta=$(missing $MTA_PKGS | tr '\n' ' ')
# shellcheck disable=SC2086
need_imap=$(missing $IMAP_PKGS | tr '\n' ' ')
# shellcheck disable=SC2086
need_tools=$(missing $TOOL_PKGS | tr '\n' ' ')
need_test="$need_mta$need_imap$need_tools"

# shellcheck disable=SC2086
trim() { set -f; set -- $1; set +f; echo "$*"; }	# squeeze blanks

if [ -z "$(trim "$need_build$need_test")" ]; then
	say "all packages present"
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	rc=0
	if [ -n "$(trim "$need_build")" ]; then
		say "missing build packages: $(trim "$need_build")"
		rc=1
	fi
	if [ -n "$(trim "$need_test")" ]; then
		say "missing test servers (their tests will be skipped):" \
		    "$(trim "$need_test")"
	fi
	say "install them as root with:"
	say "  apt-get install -y $(trim "$need_build$need_test")"
	case " $need_mta " in *" postfix "*)
		say "(preseed first: echo 'postfix postfix/main_mailer_type" \
		    "select No configuration' | debconf-set-selections)" ;;
	esac
	exit $rc
fi

# Root: decide which test servers to install.
want="$need_build"
skipped=""
if [ -n "$(trim "$need_mta")" ]; then
	others=$(other_mta)
	if [ "$DEPS" = yes ] || [ -z "$(trim "$others")" ]; then
		want="$want $need_mta"
	else
		skipped="$skipped $need_mta(installed MTA: $(trim "$others"))"
	fi
fi
if [ -n "$(trim "$need_imap")" ]; then
	if [ "$DEPS" = yes ] || ! systemd_pid1; then
		want="$want $need_imap"
	else
		skipped="$skipped $(trim "$need_imap") (systemd would start"
		skipped="$skipped a system IMAP server)"
	fi
fi
want="$want $need_tools"
want=$(trim "$want")
if [ -n "$(trim "$skipped")" ]; then
	say "not installing without DEPS=yes:$skipped"
fi
if [ -z "$want" ]; then
	say "nothing to install"
	exit 0
fi

export DEBIAN_FRONTEND=noninteractive
case " $want " in
*" postfix "*)
	echo 'postfix postfix/main_mailer_type select No configuration' |
	    debconf-set-selections || exit 1
	;;
esac

# Server packages must not start system daemons: where the image has no
# policy-rc.d (Debian's containers have one), put one in place meanwhile.
prc=/usr/sbin/policy-rc.d
case " $want " in
*" postfix "* | *" dovecot-"*)
	if [ ! -e $prc ]; then
		printf '#!/bin/sh\nexit 101\n' >$prc && chmod 755 $prc &&
		    trap 'rm -f $prc' EXIT && trap 'exit 1' INT TERM HUP
	fi
	;;
esac

updated=no
apt_update() {
	[ $updated = yes ] && return 0
	updated=yes
	say "apt-get update"
	# shellcheck disable=SC2086
	apt-get $APT_OPTS update
}

# Package lists: fetch them when there are none or they are older than a
# day; otherwise try the install first and update only if it fails.
lists=/var/lib/apt/lists
if [ -z "$(find "$lists" -maxdepth 1 -name '*_Packages*' 2>/dev/null |
	head -n 1)" ] ||
    [ -n "$(find "$lists" -maxdepth 1 -name '*_Packages*' -mtime +1 \
	2>/dev/null | head -n 1)" ]; then
	apt_update || exit 1
fi
say "apt-get install $want"
# shellcheck disable=SC2086
if ! apt-get $APT_OPTS install $want; then
	[ $updated = yes ] && exit 1
	apt_update || exit 1
	# shellcheck disable=SC2086
	apt-get $APT_OPTS install $want || exit 1
fi

# shellcheck disable=SC2086
still=$(missing $want | tr '\n' ' ')
if [ -n "$(trim "$still")" ]; then
	say "still missing: $(trim "$still")"
	exit 1
fi
say "done"
exit 0
