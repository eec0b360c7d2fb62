#!/bin/sh
# SPDX-License-Identifier: ISC
# make demo: postdesk on its embedded default (SQLite) against the sample
# mails in contrib/samples.  Builds nothing itself (make does); writes
# everything under demo/ (removed and made anew each time).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$top/$BUILD ;; esac
pd=$BUILD/postdesk
dir=$top/demo
rm -rf "$dir"
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "postdesk init --address support@example.org $dir"
"$pd" init --address support@example.org \
    --agent 'Maria Ivanova <maria@example.org>' "$dir"
conf=$dir/postdesk.conf
# An agent's answer waits relay-hold (60s) in the outbox, in case the
# same mail still arrives for the comment address; the demo can't wait.
echo "relay-hold 0" >>"$conf"

say "postdesk check"
"$pd" -c "$conf" check

say "how postdesk parses a Bulgarian mail with no charset declared"
"$pd" -c "$conf" parse "$top/contrib/samples/2-bulgarian-undeclared.eml"

for m in "$top"/contrib/samples/*.eml; do
	from=$(sed -n 's/^From: .*<\(.*\)>.*/\1/p' "$m" | head -n 1)
	say "postdesk-deliver -f $from -r support@example.org < $(basename "$m")"
	set +e
	"$BUILD/postdesk-deliver" -d -c "$conf" deliver -f "$from" \
	    -r support@example.org <"$m"
	echo "exit status $? (0 = stored, acknowledged to the MTA)"
	set -e
done

say "the same mail again (an MTA retry): stored once"
"$BUILD/postdesk-deliver" -d -c "$conf" deliver -f alice@customer.example \
    -r support@example.org <"$top/contrib/samples/1-new.eml"

say "postdesk send --once: the acknowledgements go out (here into the Maildir $dir/outbox)"
"$pd" -c "$conf" send --once
for f in "$dir"/outbox/new/*; do
	case $(sed -n 's/^Content-Language: *//Ip' "$f") in
	en*) [ -z "${shown_en:-}" ] || continue; shown_en=1 ;;
	bg*) [ -z "${shown_bg:-}" ] || continue; shown_bg=1 ;;
	*) continue ;;
	esac
	say "an acknowledgement as the customer reads it ($(basename "$f"))"
	sed -n '/^Date:/,/^$/p' "$f" | grep -iE '^(From|To|Reply-To|Subject|Message-I[dD]|In-Reply-To|Auto-Submitted|Content-Language):'
	echo
	"$pd" parse "$f" | sed '1,/^Flags:/d'
done

say "Maria (an agent) got a notification; she answers from her mail client"
n=$(grep -l '^To: Maria Ivanova' "$dir"/outbox/new/* | head -n 1)
grep -E '^(From|Reply-To|Subject):' "$n"
rt=$(sed -n 's/^Reply-To: //p' "$n")
nid=$(sed -n 's/^Message-I[dD]: //p' "$n")
cat >"$dir/reply.eml" <<EOF
From: Maria Ivanova <maria@example.org>
To: $rt
Subject: Re: [Support #1] Printer prints blank pages
Message-ID: <demo-reply@example.org>
In-Reply-To: $nid

#status pending

Hi Alice,

please open the printer settings and switch off "Save toner".

Maria

On 25.11.26 10:00, Alice Customer via Support wrote:
> ##- Reply above this line -##
>
> Alice Customer wrote on ticket [Support #1]
EOF
sed 's/^/    /' "$dir/reply.eml"
"$BUILD/postdesk-deliver" -d -c "$conf" deliver -f maria@example.org -r "$rt" \
    <"$dir/reply.eml"
"$pd" -c "$conf" send --once
a=$(grep -l '^From: "Maria Ivanova (Support)"' "$dir"/outbox/new/* | head -n 1)
say "Alice receives the answer: from the support address, under Maria's name, without the quote"
grep -E '^(From|To|Reply-To|Subject|In-Reply-To):' "$a"
echo
"$pd" parse "$a" | sed '1,/^Flags:/d'

say "postdesk ticket list"
"$pd" -c "$conf" ticket list

say "postdesk ticket show 1"
"$pd" -c "$conf" ticket show 1

say "postdesk ticket search blank"
"$pd" -c "$conf" ticket search blank
printf '\nThe demo lives in %s; try: %s -c %s ticket show 2 --json\n' \
    "$dir" "$pd" "$conf"
