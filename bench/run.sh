#!/bin/sh
# SPDX-License-Identifier: ISC
# make bench: the parse-stage benchmarks.  Generates message sets into a
# temporary directory (deterministic: awk with a fixed seed), then prints
#  1. parse throughput, postdesk against a bare GMime parse that decodes
#     every part (bench/parse-bench.c), goal ratio >= 0.8;
#  2. peak RSS of `postdesk parse --json` on 50 MB messages, goal <= 3x.
# BUILD names the build directory (default build); CORPUS a directory of
# real mail added as one more set (default ../shared/corpus).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$top/$BUILD ;; esac
BENCH=$BUILD/parse-bench
POSTDESK=$BUILD/postdesk
CORPUS=${CORPUS:-$top/../shared/corpus}
BIG_BYTES=${BIG_BYTES:-50000000}
REPS=${REPS:-5}

if [ ! -x "$BENCH" ]; then
	echo "bench: $BENCH missing (make bench builds it)" >&2
	exit 1
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/postdesk-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
export LC_ALL=C

# Russian text for the windows-1251 set, converted once.
cat >"$tmp/ru.utf8" <<'TEXT'
Здравствуйте! Прошу помочь с заказом номер 4821, он до сих пор не пришёл.
Оплата прошла три дня назад, деньги списаны с карты, а статус не меняется.
В личном кабинете написано, что заказ передан в службу доставки.
Курьер не звонил, трек-номер не работает, на сайте перевозчика пусто.
Пожалуйста, проверьте, что случилось, и сообщите сроки доставки.
Если заказ потерян, верните деньги или отправьте товар повторно.
Спасибо за ответ, с уважением, Иван Петрович Сидоров, Екатеринбург.
TEXT
iconv -f UTF-8 -t WINDOWS-1251 "$tmp/ru.utf8" >"$tmp/ru.1251"

# One awk run writes a whole set: N messages as DIR/NNNNN.eml, or for
# big64 and bigtext one DIR/SET.eml of about BIG bytes.
cat >"$tmp/gen.awk" <<'AWK'
function sentence(  s, k, n) {
	n = 6 + int(rand() * 10)
	s = words[int(rand() * nw) + 1]
	for (k = 1; k < n; k++)
		s = s " " words[int(rand() * nw) + 1]
	return toupper(substr(s, 1, 1)) substr(s, 2) "."
}
function headers(f, m, subj, ctype) {
	printf "Return-Path: <customer%d@example.com>\n", m > f
	printf "Received: from mx%d.example.com (mx%d.example.com " \
	    "[192.0.2.%d])\n\tby mail.example.org (Postfix) with ESMTPS " \
	    "id 4Tq%05dZ\n\tfor <support@example.org>; " \
	    "Mon, 4 Mar 2024 10:%02d:%02d +0100 (CET)\n", \
	    m % 7, m % 7, m % 250, m, m % 60, (m * 7) % 60 > f
	printf "From: \"Customer %d\" <customer%d@Example.COM>\n", m, m > f
	printf "To: Support <support@example.org>\n" > f
	printf "Cc: team@example.org, \"Ops\" <ops@example.org>\n" > f
	printf "Subject: %s\n", subj > f
	printf "Date: Mon, 4 Mar 2024 10:%02d:%02d +0100\n", m % 60, m % 53 > f
	printf "Message-ID: <%d.%s@mail.example.com>\n", m, SET > f
	if (m % 3 == 1)
		printf "In-Reply-To: <%d.%s@mail.example.com>\n" \
		    "References: <%d.%s@mail.example.com>\n", \
		    m - 1, SET, m - 1, SET > f
	printf "MIME-Version: 1.0\nContent-Type: %s\n", ctype > f
}
function plain(f, m,  i, n) {
	headers(f, m, "Re: " sentence(), "text/plain; charset=utf-8")
	printf "Content-Transfer-Encoding: 7bit\n\n" > f
	n = 10 + m % 25
	for (i = 0; i < n; i++)
		print sentence() > f
}
function attach(f, m,  i) {
	headers(f, m, "Invoice " m, "multipart/mixed; boundary=\"=_b" m "\"")
	printf "\nThis is a MIME message.\n\n--=_b%d\n" \
	    "Content-Type: text/plain; charset=utf-8\n\n", m > f
	for (i = 0; i < 8; i++)
		print sentence() > f
	printf "\n--=_b%d\nContent-Type: application/pdf; " \
	    "name=\"invoice-%d.pdf\"\nContent-Disposition: attachment; " \
	    "filename=\"invoice-%d.pdf\"\n" \
	    "Content-Transfer-Encoding: base64\n\n", m, m, m > f
	for (i = 0; i < 1330; i++)
		print pool[(m * 31 + i * 7) % 512] > f
	printf "\n--=_b%d--\n", m > f
}
function html(f, m,  i, n) {
	headers(f, m, "Newsletter " m, "text/html; charset=utf-8")
	printf "Content-Transfer-Encoding: 8bit\n\n<!DOCTYPE html>\n" \
	    "<html><head><title>News</title><style>p { margin: 0 }" \
	    "</style></head><body>\n<h1>Issue %d</h1>\n", m > f
	n = 12 + m % 20
	for (i = 0; i < n; i++) {
		printf "<p>%s <b>%s</b> &amp; <a href=\"https://example.com/" \
		    "p/%d\">read more</a>&nbsp;&rarr;</p>\n", sentence(), \
		    sentence(), i > f
		if (i % 5 == 4)
			printf "<ul><li>%s</li><li>%s</li></ul>\n<table><tr>" \
			    "<td>caf\303\251</td><td>%d &euro;</td></tr>" \
			    "</table>\n", sentence(), sentence(), i > f
	}
	printf "</body></html>\n" > f
}
function cp1251(f, m,  i, n) {
	headers(f, m, m % 2 ? ru[m % nru] : "Order " m,
	    "text/plain; charset=windows-1251")
	printf "Content-Transfer-Encoding: 8bit\n\n" > f
	n = 15 + m % 25
	for (i = 0; i < n; i++)
		print ru[(m + i) % nru] > f
}
function big64(f,  i, n) {
	headers(f, 0, "Big attachment", "multipart/mixed; boundary=\"=_big\"")
	printf "\n--=_big\nContent-Type: text/plain\n\nSee attached.\n\n" \
	    "--=_big\nContent-Type: application/octet-stream; " \
	    "name=\"big.bin\"\nContent-Disposition: attachment\n" \
	    "Content-Transfer-Encoding: base64\n\n" > f
	n = int((BIG - 1200) / 77)
	for (i = 0; i < n; i++)
		print pool[(i * 7) % 512] > f
	printf "\n--=_big--\n" > f
}
function bigtext(f,  i, bytes, s) {
	headers(f, 0, "Big text", "text/plain; charset=utf-8")
	printf "\n" > f
	for (i = 0; i < 1000; i++)
		text[i] = sentence()
	for (bytes = 1000; bytes < BIG; i++) {
		s = text[(i * 13) % 1000]
		print s > f
		bytes += length(s) + 1
	}
}
BEGIN {
	srand(1)
	alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for (i = 0; i < 512; i++) {
		s = ""
		for (j = 0; j < 76; j++)
			s = s substr(alpha, int(rand() * 64) + 1, 1)
		pool[i] = s
	}
	nw = split("the a ticket order customer please account invoice " \
	    "refund shipping delivery support request update password " \
	    "login error page report problem thanks regards help issue " \
	    "payment card billing address email phone number week today " \
	    "yesterday attached screenshot version browser server", words, " ")
	while ((getline l < RU) > 0)
		ru[nru++] = l
	if (SET == "big64" || SET == "bigtext") {
		f = DIR "/" SET ".eml"
		if (SET == "big64")
			big64(f)
		else
			bigtext(f)
		close(f)
		exit
	}
	for (m = 0; m < N; m++) {
		f = sprintf("%s/%05d.eml", DIR, m)
		if (SET == "plain")
			plain(f, m)
		else if (SET == "attach")
			attach(f, m)
		else if (SET == "html")
			html(f, m)
		else
			cp1251(f, m)
		close(f)
	}
}
AWK
gen() {	# set, directory, count
	mkdir -p "$2"
	awk -v SET="$1" -v DIR="$2" -v N="$3" -v BIG="$BIG_BYTES" \
	    -v RU="$tmp/ru.1251" -f "$tmp/gen.awk"
}

gen plain "$tmp/sets/plain" 2000
gen attach "$tmp/sets/attach" 100
gen html "$tmp/sets/html" 1000
gen cp1251 "$tmp/sets/cp1251" 1000
sets="plain=$tmp/sets/plain attach=$tmp/sets/attach html=$tmp/sets/html"
sets="$sets cp1251=$tmp/sets/cp1251"
if [ -d "$CORPUS" ]; then
	sets="$sets corpus=$CORPUS"
else
	echo "bench: no shared corpus at $CORPUS, set skipped" >&2
fi
# shellcheck disable=SC2086
"$BENCH" -r "$REPS" $sets
echo

gen big64 "$tmp/big" 1
gen bigtext "$tmp/big" 1
if [ -x /usr/bin/time ] && [ -x "$POSTDESK" ]; then
	how="postdesk parse --json, max RSS from /usr/bin/time"
else
	how="parse_message() in parse-bench, VmHWM"
fi
printf 'peak memory: %s\n' "$how"
printf '%-10s %9s %9s %6s\n' message "size MB" "peak MB" ratio
missed=0
for f in big64 bigtext; do
	path=$tmp/big/$f.eml
	size=$(wc -c <"$path" | tr -d ' ')
	if [ -x /usr/bin/time ] && [ -x "$POSTDESK" ]; then
		POSTDESK_CONF='' /usr/bin/time -o "$tmp/rss" -f %M \
		    "$POSTDESK" parse --json "$path" >/dev/null
		kb=$(tail -n 1 "$tmp/rss")
	else
		kb=$("$BENCH" -m "$path")
	fi
	awk -v f="$f" -v s="$size" -v k="$kb" 'BEGIN {
		printf "%-10s %9.2f %9.2f %6.2f\n", f, s / 1e6, k * 1024 / 1e6,
		    k * 1024 / s
		exit !(k * 1024 <= 3 * s)
	}' || missed=1
done
if [ "$missed" -eq 0 ]; then
	echo "goal: ratio <= 3.00: met"
else
	echo "goal: ratio <= 3.00: MISSED"
fi

# The other tables: delivery, sending, fetching, rules (each prints its
# own; one that cannot run here says why and the rest go on).
for b in deliver send fetch sieve; do
	[ -f "$top/bench/$b.sh" ] || continue
	echo
	BUILD=$BUILD sh "$top/bench/$b.sh" || echo "(bench/$b.sh: exit $?)"
done
if [ -x "$BUILD/sieve-bench" ]; then
	echo
	echo "filter rules: compile + evaluate per message (CPU time, best of 5)"
	"$BUILD/sieve-bench" -n 10 -n 100 -n 1000 || true
fi
exit 0
