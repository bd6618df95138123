#!/usr/bin/env bash
# bench/dns.sh - camada's authoritative DNS server against NSD, both driven
# by dnsperf with the anchor's settings (/work/shared/anchors/dns.txt): the
# same zone and query files, the server pinned to one core and dnsperf to the
# other, rounds alternated, medians, the server's CPU time per query from
# /proc/PID/stat, and camada's ratios.
#
# Environment (defaults in brackets):
#   ROUNDS [3]  SECONDS_PER_RUN [10]  CLIENTS [4]  SERVER_CPU [0]  LOAD_CPU [1]
#   CAMADA_BIN [build/camada]   a camada binary (only build/camada is built here)
#   QUERIES [q-exist q-nx10]    which query files to run
#   KEEP_LOGS                   keep the run directory (path printed)
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
HZ=$(getconf CLK_TCK)

die() { echo "dns.sh: $*" >&2; exit 1; }

[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive integer"
[[ $SECS =~ ^[1-9][0-9]*$ ]] || die "SECONDS_PER_RUN must be a positive integer"
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
if [ "$CAMADA_BIN" = build/camada ]; then
	make -s build/camada || die "make build/camada failed"
fi
[ -x "$CAMADA_BIN" ] || die "$CAMADA_BIN not found"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/camada-bench-dns.XXXXXX")
SRV_PID="" PORT=""

# --- the zone and the queries (as the anchor: 10,000 lines A/AAAA/MX/TXT) ---
awk 'BEGIN {
	print "$ORIGIN example.test.\n$TTL 3600"
	print "@ SOA ns1 hostmaster 2026112701 7200 3600 1209600 300"
	print "@ NS ns1\n@ NS ns2\nns1 A 198.18.255.1\nns2 A 198.18.255.2"
	print "mail A 198.18.255.25\nmail AAAA 2001:db8:ffff::25"
	for (i = 1; i <= 2500; i++) {
		printf "host%d A 198.18.%d.%d\n", i, int((i - 1) / 250), (i - 1) % 250 + 1
		printf "host%d AAAA 2001:db8::%x\n", i, i
		printf "host%d MX 10 mail\n", i
		printf "host%d TXT \"v=spf1 ip4:198.18.0.0/15 -all\"\n", i
	}
}' > "$tmp/example.test.zone"
awk 'BEGIN { split("A AAAA MX TXT", t, " ")
	for (i = 0; i < 10000; i++) printf "host%d.example.test %s\n", i % 2500 + 1, t[i % 4 + 1] }' > "$tmp/q-exist"
awk 'BEGIN { split("A AAAA MX TXT", t, " ")
	for (i = 0; i < 10000; i++)
		if (i % 10 == 9) printf "nx%d.example.test A\n", i
		else printf "host%d.example.test %s\n", i % 2500 + 1, t[i % 4 + 1] }' > "$tmp/q-nx10"

# --- processes (as bench/echo.sh) ---------------------------------------------
. "$(dirname "$0")/lib.sh"  # stat_fields, alive, starttime, tree_pids, tree_ticks
free_port() {
	local p
	for _ in {1..200}; do
		p=$((20000 + RANDOM % 12000))
		if [ -z "$(ss -Htuan "sport = :$p")" ]; then echo "$p"; return 0; fi
	done
	die "no free port in 20000-31999"
}
stop_server() {
	local pid=$SRV_PID k kids=()
	[ -n "$pid" ] || return 0
	for k in $(tree_pids "$pid" | tail -n +2); do kids+=("$k:$(starttime "$k" || true)"); done
	kill -TERM "$pid" 2>/dev/null || true
	for _ in {1..60}; do alive "$pid" || break; sleep 0.05; done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	for k in "${kids[@]}"; do
		if [ "$(starttime "${k%%:*}" || true)" = "${k#*:}" ]; then
			kill -KILL "${k%%:*}" 2>/dev/null || true
		fi
	done
	SRV_PID=""
}
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	stop_server
	if [ -n "${KEEP_LOGS:-}" ]; then echo "# logs kept in $tmp" >&2; else rm -rf "$tmp"; fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start_server LABEL: camada or nsd on SERVER_CPU; ready when it answers.
start_server() {
	local try log="$tmp/$1.log"
	for try in 1 2 3; do
		PORT=$(free_port)
		if [ "$1" = camada ]; then
			printf 'workers = 1\nlog-level = warn\n\n[dns]\nlisten = 127.0.0.1:%s\nzone = %s\n' \
			    "$PORT" "$tmp/example.test.zone" > "$tmp/camada.conf"
			taskset -c "$SERVER_CPU" "$CAMADA_BIN" serve -c "$tmp/camada.conf" > "$log" 2>&1 < /dev/null &
		else
			rm -f "$tmp/nsd.pid" "$tmp/nsd-xfrd.state" "$tmp/nsd-zone.list"
			sed -e "s|@RUN@|$tmp|g" -e "s|@PORT@|$PORT|g" bench/conf/nsd.conf.in > "$tmp/nsd.conf"
			taskset -c "$SERVER_CPU" nsd -d -c "$tmp/nsd.conf" > "$log" 2>&1 < /dev/null &
		fi
		SRV_PID=$!
		for _ in {1..100}; do # 10 s
			if dig +time=1 +tries=1 +short @127.0.0.1 -p "$PORT" host1.example.test A 2>/dev/null | grep -q 198.18.0.1; then
				return 0
			fi
			alive "$SRV_PID" || break
			sleep 0.1
		done
		echo "dns.sh: $1 not ready (try $try); its output:" >&2
		tail -n 20 "$log" >&2
		stop_server
	done
	die "$1 would not start"
}

# run_one ROUND LABEL QUERYFILE: one server, one dnsperf run, one row.
run_one() {
	local c0 c1 t0 t1 out="$tmp/perf.out"
	start_server "$2"
	t0=$EPOCHREALTIME
	c0=$(tree_ticks "$SRV_PID")
	taskset -c "$LOAD_CPU" dnsperf -s 127.0.0.1 -p "$PORT" -d "$tmp/$3" -l "$SECS" -c "$CLIENTS" -T 1 \
	    > "$out" 2>&1 || { cat "$out" >&2; die "round $1, $2: dnsperf failed"; }
	c1=$(tree_ticks "$SRV_PID")
	t1=$EPOCHREALTIME
	alive "$SRV_PID" || { tail -n 20 "$tmp/$2.log" >&2; die "round $1, $2: the server died"; }
	stop_server
	awk -v r="$1" -v l="$2" -v qf="$3" -v dt=$((c1 - c0)) -v hz="$HZ" \
	    -v wall="$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" '
		/Queries completed:/ { done = $3 }
		/Queries lost:/ { lost = $3 }
		/Queries per second:/ { qps = $4 }
		/Average Latency/ { lat = $4 * 1e6 }
		/Average packet size:/ { split($0, a, "response "); resp = a[2] + 0 }
		/Response codes:/ { codes = $0; sub(/^ *Response codes: */, "", codes) }
		END {
			printf "%5d  %-8s %-7s %9.0f %8.0f %6d %6d %10.2f %5.0f  %s\n", r, qf, l, qps, lat,
			    lost, resp, dt * 1e6 / hz / (done ? done : 1), 100 * dt / hz / wall, codes
		}' "$out" | tee -a "$tmp/results"
}

echo "# dns bench -- $(date -u +%Y-%m-%dT%H:%MZ)"
echo "# host: nproc=$(nproc)  cpu=\"$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)\"  kernel=$(uname -r)"
echo "# $(nsd -v 2>&1 | head -n 1), dnsperf $(dnsperf -h 2>&1 | sed -n 's/^Version //p' | head -n 1)"
echo "# dnsperf -l $SECS -c $CLIENTS -T 1; servers on CPU$SERVER_CPU (camada workers = 1, NSD server-count 1, RRL off), dnsperf on CPU$LOAD_CPU"
echo "# zone: 2,500 hosts x A/AAAA/MX/TXT; q-exist: 10,000 existing names; q-nx10: 10% NXDOMAIN"
echo "# cpu us/q = server CPU (process tree, /proc/PID/stat) per completed query; srv% = server CPU / wall"
printf '%5s  %-8s %-7s %9s %8s %6s %6s %10s %5s  %s\n' round queries server qps "avg us" lost "resp B" "cpu us/q" "srv%" "response codes"
: > "$tmp/results"
for qf in $QUERIES; do
	for ((r = 1; r <= ROUNDS; r++)); do
		if ((r % 2)); then
			run_one "$r" camada "$qf"; run_one "$r" nsd "$qf"
		else
			run_one "$r" nsd "$qf"; run_one "$r" camada "$qf"
		fi
	done
done

awk '
function median(s,   a, n, i, j, t) {
	n = split(s, a, " ")
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
{
	k = $2 " " $3; qps[k] = qps[k] " " $4; cpu[k] = cpu[k] " " $8; srv[k] = srv[k] " " $9
	per[k] = per[k] (per[k] == "" ? "" : "/") $4; seen[$2] = 1
}
END {
	printf "\n%-8s %-7s %9s %10s %5s  %s\n", "queries", "server", "qps", "cpu us/q", "srv%", "per-round qps"
	for (qf in seen) {
		for (i = 1; i <= 2; i++) {
			l = (i == 1 ? "camada" : "nsd"); k = qf " " l
			mq[k] = median(qps[k]); mc[k] = median(cpu[k])
			printf "%-8s %-7s %9.0f %10.2f %5.0f  %s\n", qf, l, mq[k], mc[k], median(srv[k]), per[k]
		}
		printf "%-8s ratio camada/nsd: qps %.2f, server CPU per query %.2f\n", qf,
		    mq[qf " camada"] / mq[qf " nsd"], mc[qf " camada"] / mc[qf " nsd"]
	}
}' "$tmp/results"
