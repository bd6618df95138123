#!/usr/bin/env bash
# bench/dns.sh - camada's DNS servers against the anchors, all driven by
# dnsperf with the anchor's settings (the anchor runs' anchors/dns.txt): the
# authoritative server against NSD, and the resolver against Unbound (warm
# cache, and miss-heavy: every query a miss sent to the authoritative server).
# The same zone and query files, the server pinned to one core and dnsperf to
# the other, rounds alternated, medians, the server's CPU time per query from
# /proc/PID/stat, and camada's ratios.
#
# Environment (defaults in brackets):
#   ROUNDS [3]  SECONDS_PER_RUN [10]  CLIENTS [4]  SERVER_CPU [0]  LOAD_CPU [1]
#   CAMADA_BIN [build/camada]   a camada binary (only build/camada is built here)
#   QUERIES [q-exist q-nx10]    authoritative lines to run (none: skip them)
#   RESOLVER_QUERIES [r-warm r-miss]  resolver lines to run (none: skip them)
#   RESOLVER_AUTH [nsd]         the authoritative server the two resolvers ask
#                               (nsd or camada)
#   AUTH_CPU [LOAD_CPU]         its core
#   MISS_NAMES [150000 per second of run]  distinct names in r-miss
#   KEEP_LOGS                   keep the run directory (path printed)
#   SECONDS_PER_RUN=1 ROUNDS=1 checks the whole script in about 10 s.
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
SECS=${SECONDS_PER_RUN:-10}
CLIENTS=${CLIENTS:-4}
SERVER_CPU=${SERVER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
CAMADA_BIN=${CAMADA_BIN:-build/camada}
QUERIES=${QUERIES:-q-exist q-nx10}
RESOLVER_QUERIES=${RESOLVER_QUERIES:-r-warm r-miss}
RESOLVER_AUTH=${RESOLVER_AUTH:-nsd}
AUTH_CPU=${AUTH_CPU:-$LOAD_CPU}
[ "$QUERIES" = none ] && QUERIES=""
[ "$RESOLVER_QUERIES" = none ] && RESOLVER_QUERIES=""
HZ=$(getconf CLK_TCK)

die() { echo "dns.sh: $*" >&2; exit 1; }

[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive integer"
[[ $SECS =~ ^[1-9][0-9]*$ ]] || die "SECONDS_PER_RUN must be a positive integer"
MISS_NAMES=${MISS_NAMES:-$((SECS * 150000))}
[[ $MISS_NAMES =~ ^[1-9][0-9]*$ ]] || die "MISS_NAMES must be a positive integer"
case $RESOLVER_AUTH in nsd|camada) ;; *) die "RESOLVER_AUTH must be nsd or camada";; esac
for q in $QUERIES; do
	case $q in q-exist|q-nx10) ;; *) die "QUERIES: unknown $q (q-exist q-nx10 none)";; esac
done
for q in $RESOLVER_QUERIES; do
	case $q in r-warm|r-miss) ;; *) die "RESOLVER_QUERIES: unknown $q (r-warm r-miss none)";; esac
done
if ! command -v dnsperf >/dev/null; then
	if [ "$(id -u)" = 0 ]; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends dnsperf >/dev/null \
		    || die "apt-get install dnsperf failed"
	else
		die "needs dnsperf (sudo apt-get install dnsperf)"
	fi
fi
for tool in taskset pgrep ss dig nsd; do
	command -v "$tool" >/dev/null || die "needs $tool (Debian: util-linux, procps, iproute2, dnsutils, nsd)"
done
if [ -n "$RESOLVER_QUERIES" ]; then
	command -v unbound >/dev/null || die "needs unbound (Debian: unbound) for the resolver lines (or RESOLVER_QUERIES=none)"
fi
if [ "$CAMADA_BIN" = build/camada ]; then
	make -s build/camada || die "make build/camada failed"
fi
[ -x "$CAMADA_BIN" ] || die "$CAMADA_BIN not found"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/camada-bench-dns.XXXXXX")
SRV_PID="" PORT=""

# --- the zone and the queries (as the anchor: 10,000 lines A/AAAA/MX/TXT) ---
# make_zone NS1 NS2: example.test with its name servers at those addresses.
make_zone() {
awk -v ns1="$1" -v ns2="$2" 'BEGIN {
	print "$ORIGIN example.test.\n$TTL 3600"
	print "@ SOA ns1 hostmaster 2026112701 7200 3600 1209600 300"
	print "@ NS ns1\n@ NS ns2\nns1 A " ns1 "\nns2 A " ns2
	print "mail A 198.18.255.25\nmail AAAA 2001:db8:ffff::25"
	for (i = 1; i <= 2500; i++) {
		printf "host%d A 198.18.%d.%d\n", i, int((i - 1) / 250), (i - 1) % 250 + 1
		printf "host%d AAAA 2001:db8::%x\n", i, i
		printf "host%d MX 10 mail\n", i
		printf "host%d TXT \"v=spf1 ip4:198.18.0.0/15 -all\"\n", i
	}
}'
}
make_zone 198.18.255.1 198.18.255.2 > "$tmp/example.test.zone"
awk 'BEGIN { split("A AAAA MX TXT", t, " ")
	for (i = 0; i < 10000; i++) printf "host%d.example.test %s\n", i % 2500 + 1, t[i % 4 + 1] }' > "$tmp/q-exist"
awk 'BEGIN { split("A AAAA MX TXT", t, " ")
	for (i = 0; i < 10000; i++)
		if (i % 10 == 9) printf "nx%d.example.test A\n", i
		else printf "host%d.example.test %s\n", i % 2500 + 1, t[i % 4 + 1] }' > "$tmp/q-nx10"

# --- the resolvers' authoritative data ----------------------------------------
# The same example.test, its name servers on loopback (a resolver that follows
# the NS records of an answer still reaches the one server), and miss.test, a
# wildcard: every name of r-miss exists and none repeats, so each query is a
# cache miss that costs one query to the authoritative server.
if [ -n "$RESOLVER_QUERIES" ]; then
	mkdir -p "$tmp/auth"
	make_zone 127.0.0.1 127.0.0.1 > "$tmp/auth/example.test.zone"
	printf '%s\n' '$ORIGIN miss.test.' '$TTL 3600' \
	    '@ SOA ns1 hostmaster 2026120401 7200 3600 1209600 300' \
	    '@ NS ns1' 'ns1 A 127.0.0.1' '* A 198.18.254.1' > "$tmp/auth/miss.test.zone"
	printf '%s\n' '. 3600000 NS a.root-servers.net.' \
	    'a.root-servers.net. 3600000 A 127.0.0.1' > "$tmp/root.hints"
	cp "$tmp/q-exist" "$tmp/r-warm"
	awk -v n="$MISS_NAMES" -v r="$RANDOM$RANDOM" \
	    'BEGIN { for (i = 0; i < n; i++) printf "m%s-%d.miss.test A\n", r, i }' > "$tmp/r-miss"
fi

# --- processes (as bench/echo.sh) ---------------------------------------------
. "$(dirname "$0")/lib.sh"  # tree_ticks, free_port, stop_tree
AUTH_PID="" AUTH_PORT=""
stop_server() { stop_tree "$SRV_PID"; SRV_PID=""; }
stop_auth() { stop_tree "$AUTH_PID"; AUTH_PID=""; }
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	stop_server
	stop_auth
	if [ -n "${KEEP_LOGS:-}" ]; then echo "# logs kept in $tmp" >&2; else rm -rf "$tmp"; fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# launch KIND DIR PORT CPU LOG: starts one server in the background.
#   camada, nsd                 authoritative for DIR/*.zone
#   camada-resolver, unbound    resolvers asking the server on AUTH_PORT
launch() {
	local kind=$1 dir=$2 port=$3 cpu=$4 log=$5 z
	case $kind in
	camada)
		{ printf 'workers = 1\nlog-level = warn\n\n[dns]\nlisten = 127.0.0.1:%s\n' "$port"
		  for z in "$dir"/*.zone; do printf 'zone = %s\n' "$z"; done; } > "$dir/camada.conf"
		taskset -c "$cpu" "$CAMADA_BIN" serve -c "$dir/camada.conf" > "$log" 2>&1 < /dev/null &
		;;
	nsd)
		rm -f "$dir/nsd.pid" "$dir/nsd-xfrd.state" "$dir/nsd-zone.list"
		sed -e "s|@RUN@|$dir|g" -e "s|@PORT@|$port|g" bench/conf/nsd.conf.in > "$dir/nsd.conf"
		# the template's zone is example.test; add the others of dir
		for z in "$dir"/*.zone; do
			z=${z##*/}; z=${z%.zone}
			[ "$z" = example.test ] && continue
			printf 'zone:\n    name: "%s"\n    zonefile: "%s/%s.zone"\n' "$z" "$dir" "$z" >> "$dir/nsd.conf"
		done
		taskset -c "$cpu" nsd -d -c "$dir/nsd.conf" > "$log" 2>&1 < /dev/null &
		;;
	camada-resolver)
		# Like Unbound below: one worker, 96 MiB of cache, every
		# upstream query to the authoritative server (the root hints
		# name it, as Unbound's stub zones do).
		printf 'workers = 1\nlog-level = warn\n\n[resolver]\nlisten = 127.0.0.1:%s\nroot-hints = %s\nupstream-port = %s\ncache-size = 96m\n' \
		    "$port" "$tmp/root.hints" "$AUTH_PORT" > "$tmp/resolver.conf"
		taskset -c "$cpu" "$CAMADA_BIN" serve -c "$tmp/resolver.conf" > "$log" 2>&1 < /dev/null &
		;;
	unbound)
		rm -f "$tmp/unbound.pid"
		sed -e "s|@RUN@|$tmp|g" -e "s|@PORT@|$port|g" -e "s|@AUTH@|$AUTH_PORT|g" \
		    bench/conf/unbound.conf.in > "$tmp/unbound.conf"
		taskset -c "$cpu" unbound -d -c "$tmp/unbound.conf" > "$log" 2>&1 < /dev/null &
		;;
	esac
}

# start KIND DIR CPU: launches it on a free port until it answers; sets
# STARTED_PID and STARTED_PORT.
start() {
	local try log="$tmp/$1.log"
	for try in 1 2 3; do
		STARTED_PORT=$(free_port)
		launch "$1" "$2" "$STARTED_PORT" "$3" "$log"
		STARTED_PID=$!
		for _ in {1..100}; do # 10 s
			if dig +time=1 +tries=1 +short @127.0.0.1 -p "$STARTED_PORT" host1.example.test A 2>/dev/null | grep -q 198.18.0.1; then
				return 0
			fi
			alive "$STARTED_PID" || break
			sleep 0.1
		done
		echo "dns.sh: $1 not ready (try $try); its output:" >&2
		tail -n 20 "$log" >&2
		stop_tree "$STARTED_PID"
	done
	die "$1 would not start"
}

# start_server KIND: the server measured, on SERVER_CPU.
start_server() {
	start "$1" "$tmp" "$SERVER_CPU"
	SRV_PID=$STARTED_PID PORT=$STARTED_PORT
}

# run_one ROUND KIND QUERYFILE: one server, one dnsperf run, one row. The
# resolvers' r-warm run is preceded by one pass over its file (the warm-up,
# not measured, every answer checked NOERROR); r-miss runs through its file at
# most once, so no name is asked twice.
run_one() {
	local c0 c1 a0=0 a1=0 t0 t1 out="$tmp/perf.out" label=$2 once=""
	[ "$2" = camada-resolver ] && label=camada
	start_server "$2"
	if [ "$3" = r-warm ]; then
		taskset -c "$LOAD_CPU" dnsperf -s 127.0.0.1 -p "$PORT" -d "$tmp/$3" -n 1 -c "$CLIENTS" -T 1 \
		    > "$tmp/warm.out" 2>&1 || { cat "$tmp/warm.out" >&2; die "round $1, $2: warm-up failed"; }
		grep -q 'Queries lost: *0 ' "$tmp/warm.out" && ! grep 'Response codes:' "$tmp/warm.out" | grep -qv 'NOERROR [0-9]* (100.00%)' \
		    || { cat "$tmp/warm.out" >&2; die "round $1, $2: the warm-up did not get every answer"; }
	fi
	[ "$3" = r-miss ] && once="-n 1"
	t0=$EPOCHREALTIME
	c0=$(tree_ticks "$SRV_PID")
	[ -n "$AUTH_PID" ] && a0=$(tree_ticks "$AUTH_PID")
	# shellcheck disable=SC2086
	taskset -c "$LOAD_CPU" dnsperf -s 127.0.0.1 -p "$PORT" -d "$tmp/$3" -l "$SECS" $once -c "$CLIENTS" -T 1 \
	    > "$out" 2>&1 || { cat "$out" >&2; die "round $1, $2: dnsperf failed"; }
	c1=$(tree_ticks "$SRV_PID")
	[ -n "$AUTH_PID" ] && a1=$(tree_ticks "$AUTH_PID")
	t1=$EPOCHREALTIME
	alive "$SRV_PID" || { tail -n 20 "$tmp/$2.log" >&2; die "round $1, $2: the server died"; }
	stop_server
	awk -v r="$1" -v l="$label" -v qf="$3" -v dt=$((c1 - c0)) -v hz="$HZ" \
	    -v auth="$( [ -n "$AUTH_PID" ] && echo $((a1 - a0)) || echo -)" \
	    -v wall="$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" '
		/Queries completed:/ { done = $3 }
		/Queries lost:/ { lost = $3 }
		/Queries per second:/ { qps = $4 }
		/Average Latency/ { lat = $4 * 1e6 }
		/Average packet size:/ { split($0, a, "response "); resp = a[2] + 0 }
		/Response codes:/ { codes = $0; sub(/^ *Response codes: */, "", codes) }
		END {
			printf "%5d  %-8s %-7s %9.0f %8.0f %6d %6d %10.2f %5.0f %5s  %s\n", r, qf, l, qps, lat,
			    lost, resp, dt * 1e6 / hz / (done ? done : 1), 100 * dt / hz / wall,
			    auth == "-" ? "-" : sprintf("%.0f", 100 * auth / hz / wall), codes
		}' "$out" | tee -a "$tmp/results"
}

echo "# dns bench -- $(date -u +%Y-%m-%dT%H:%MZ)"
echo "# host: nproc=$(nproc)  cpu=\"$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)\"  kernel=$(uname -r)"
echo "# $(nsd -v 2>&1 | head -n 1), $(unbound -V 2>/dev/null | sed -n 's/^Version /Unbound /p' | head -n 1), dnsperf $(dnsperf -h 2>&1 | sed -n 's/^Version //p' | head -n 1)"
echo "# dnsperf -l $SECS -c $CLIENTS -T 1; servers on CPU$SERVER_CPU (camada workers = 1, NSD server-count 1, RRL off), dnsperf on CPU$LOAD_CPU"
[ -n "$QUERIES" ] && echo "# zone: 2,500 hosts x A/AAAA/MX/TXT; q-exist: 10,000 existing names; q-nx10: 10% NXDOMAIN"
[ -n "$RESOLVER_QUERIES" ] && echo "# resolvers (camada resolver, Unbound: 1 thread, 96 MiB cache, iterator only) ask $RESOLVER_AUTH on CPU$AUTH_CPU;" \
    "r-warm: q-exist after one pass of it; r-miss: $MISS_NAMES distinct names under a wildcard, each asked once"
echo "# cpu us/q = server CPU (process tree, /proc/PID/stat) per completed query; srv% = server CPU / wall; auth% = the resolvers' authoritative server's"
printf '%5s  %-8s %-7s %9s %8s %6s %6s %10s %5s %5s  %s\n' round queries server qps "avg us" lost "resp B" "cpu us/q" "srv%" "auth%" "response codes"
: > "$tmp/results"
# rounds KIND_A KIND_B QUERYFILE: alternated, A first in odd rounds.
rounds() {
	local r
	for ((r = 1; r <= ROUNDS; r++)); do
		if ((r % 2)); then
			run_one "$r" "$1" "$3"; run_one "$r" "$2" "$3"
		else
			run_one "$r" "$2" "$3"; run_one "$r" "$1" "$3"
		fi
	done
}
for qf in $QUERIES; do
	rounds camada nsd "$qf"
done
if [ -n "$RESOLVER_QUERIES" ]; then
	start "$RESOLVER_AUTH" "$tmp/auth" "$AUTH_CPU"
	AUTH_PID=$STARTED_PID AUTH_PORT=$STARTED_PORT
	for qf in $RESOLVER_QUERIES; do
		rounds camada-resolver unbound "$qf"
	done
	stop_auth
fi

awk '
function median(s,   a, n, i, j, t) {
	n = split(s, a, " ")
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
{
	k = $2 " " $3; qps[k] = qps[k] " " $4; cpu[k] = cpu[k] " " $8; srv[k] = srv[k] " " $9
	au[k] = au[k] " " $10; per[k] = per[k] (per[k] == "" ? "" : "/") $4
	if (!($2 in seen)) { seen[$2] = 1; order[++nq] = $2 }
	if ($3 != "camada") other[$2] = $3
}
END {
	printf "\n%-8s %-7s %9s %10s %5s %5s  %s\n", "queries", "server", "qps", "cpu us/q", "srv%", "auth%", "per-round qps"
	for (q = 1; q <= nq; q++) {
		qf = order[q]
		for (i = 1; i <= 2; i++) {
			l = (i == 1 ? "camada" : other[qf]); k = qf " " l
			mq[k] = median(qps[k]); mc[k] = median(cpu[k])
			printf "%-8s %-7s %9.0f %10.2f %5.0f %5s  %s\n", qf, l, mq[k], mc[k], median(srv[k]),
			    au[k] ~ /-/ ? "-" : sprintf("%.0f", median(au[k])), per[k]
		}
		printf "%-8s ratio camada/%s: qps %.2f, server CPU per query %.2f\n", qf, other[qf],
		    mq[qf " camada"] / mq[qf " " other[qf]], mc[qf " camada"] / mc[qf " " other[qf]]
	}
}' "$tmp/results"
