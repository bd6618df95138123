#!/usr/bin/env bash
# bench/echo.sh - camada's echo server against a one-thread epoll reference
# (bench/ref_echo.c), both driven by bench/echo_load.c. This is the pattern
# every bench/ script follows: the same load for both servers, the server
# pinned to one core and the load to the other, rounds alternated, medians,
# the server's CPU time per request from /proc/PID/stat, camada's ratios.
#
# Environment (defaults in brackets):
#   ROUNDS [3]  SECONDS_PER_RUN [5]  CONNS [50]  SERVER_CPU [0]  LOAD_CPU [1]
#   CAMADA_BIN [build/camada]  a camada binary; only build/camada is built here
#   CAMADA_CMD  the camada slot's whole command, split on blanks, with @PORT@
#               and @CONF@ filled in
#               [$CAMADA_BIN echo-server -l 127.0.0.1:@PORT@ -c @CONF@];
#               e.g. CAMADA_CMD='build/bench/ref_echo @PORT@' to test this
#               script before camada exists.
#   KEEP_LOGS   if set, keep the servers' and the load's logs (path printed)
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
SECS=${SECONDS_PER_RUN:-5}
CONNS=${CONNS:-50}
SERVER_CPU=${SERVER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
CAMADA_BIN=${CAMADA_BIN:-build/camada}
REF_CMD="build/bench/ref_echo @PORT@"
BENCH_CFLAGS="-std=c11 -O2 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wformat=2 -Wvla -Wpointer-arith"
HZ=$(getconf CLK_TCK)

die() { echo "echo.sh: $*" >&2; exit 1; }

[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive integer, not '$ROUNDS'"
[[ $SECS =~ ^[0-9]*\.?[0-9]+$ && ! $SECS =~ ^[0.]+$ ]] || die "SECONDS_PER_RUN must be a positive number, not '$SECS'"
[[ $CONNS =~ ^[1-9][0-9]*$ ]] || die "CONNS must be a positive integer, not '$CONNS'"
for tool in taskset pgrep ss "${CC:-gcc}"; do
	command -v "$tool" >/dev/null || die "needs $tool (Debian: util-linux, procps, iproute2, gcc)"
done

# --- build -------------------------------------------------------------------
mkdir -p build/bench
for prog in ref_echo echo_load; do
	if [ ! -x "build/bench/$prog" ] || [ "bench/$prog.c" -nt "build/bench/$prog" ]; then
		# shellcheck disable=SC2086
		"${CC:-gcc}" $BENCH_CFLAGS -o "build/bench/$prog" "bench/$prog.c" || die "building $prog failed"
	fi
done
if [ -z "${CAMADA_CMD:-}" ]; then
	CAMADA_CMD="$CAMADA_BIN echo-server -l 127.0.0.1:@PORT@ -c @CONF@"
	if [ "$CAMADA_BIN" = build/camada ]; then
		make -s build/camada || die "make build/camada failed" \
		    "(to try this script without camada: CAMADA_CMD='build/bench/ref_echo @PORT@' $0)"
	fi
fi
read -r -a words <<< "$CAMADA_CMD"
command -v "${words[0]}" >/dev/null || die "camada slot: ${words[0]} not found"

# --- processes ---------------------------------------------------------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/camada-bench-echo.XXXXXX")
SRV_PID="" LOAD_PID="" PORT=""

# tree_ticks, free_port, stop_tree
. "$(dirname "$0")/lib.sh"
stop_server() { stop_tree "$SRV_PID"; SRV_PID=""; }

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if [ -n "$LOAD_PID" ]; then
		kill -TERM "$LOAD_PID" 2>/dev/null || true
		wait "$LOAD_PID" 2>/dev/null || true
	fi
	stop_server
	if [ -n "${KEEP_LOGS:-}" ]; then echo "# logs kept in $tmp" >&2; else rm -rf "$tmp"; fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start_server LABEL TEMPLATE: starts it on SERVER_CPU and waits for its
# "listening on 127.0.0.1:PORT (tcp)" line; sets SRV_PID and PORT.
start_server() {
	local try line cmd log="$tmp/$1.log"
	for try in 1 2 3; do
		PORT=$(free_port)
		printf 'workers = 1\n\n[echo]\nlisten = 127.0.0.1:%s\n' "$PORT" > "$tmp/camada.conf"
		line=${2//@PORT@/$PORT}
		line=${line//@CONF@/$tmp/camada.conf}
		read -r -a cmd <<< "$line"
		taskset -c "$SERVER_CPU" "${cmd[@]}" > "$log" 2>&1 < /dev/null &
		SRV_PID=$!
		for _ in {1..200}; do # 10 s
			grep -qF "listening on 127.0.0.1:$PORT (tcp)" "$log" && return 0
			alive "$SRV_PID" || break
			sleep 0.05
		done
		echo "echo.sh: $1 ($line) not ready (try $try); its output:" >&2
		tail -n 20 "$log" >&2
		stop_server
	done
	die "$1 would not start"
}

# run_one ROUND LABEL TEMPLATE: one server, one load run, one result row.
run_one() {
	local rc=0 c0 c1 t0 t1 rt rps cli
	start_server "$2" "$3"
	t0=$EPOCHREALTIME
	c0=$(tree_ticks "$SRV_PID")
	taskset -c "$LOAD_CPU" build/bench/echo_load -c "$CONNS" -d "$SECS" 127.0.0.1 "$PORT" \
	    > "$tmp/load.out" 2> "$tmp/load.err" &
	LOAD_PID=$!
	wait "$LOAD_PID" || rc=$?
	LOAD_PID=""
	c1=$(tree_ticks "$SRV_PID")
	t1=$EPOCHREALTIME
	alive "$SRV_PID" || rc=99
	stop_server
	if [ "$rc" -ne 0 ]; then
		cat "$tmp/load.out" "$tmp/load.err" >&2
		[ "$rc" -eq 99 ] && { echo "--- $2 output:" >&2; tail -n 20 "$tmp/$2.log" >&2; }
		die "round $1, $2: $([ "$rc" -eq 99 ] && echo "the server died" || echo "echo_load failed (exit $rc)")"
	fi
	rt=$(sed -n 's/.*round_trips=\([0-9]*\).*/\1/p' "$tmp/load.out")
	rps=$(sed -n 's/.*rt_per_s=\([0-9]*\).*/\1/p' "$tmp/load.out")
	cli=$(sed -n 's/.*cli_cpu_pct=\([0-9]*\).*/\1/p' "$tmp/load.out")
	awk -v r="$1" -v l="$2" -v rt="$rt" -v rps="$rps" -v cli="$cli" -v dt=$((c1 - c0)) \
	    -v hz="$HZ" -v wall="$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" 'BEGIN {
		printf "%5d  %-9s %9d %10.2f %5.0f %5d %12d\n", r, l, rps, dt * 1e6 / hz / rt, 100 * dt / hz / wall, cli, rt
	}' | tee -a "$tmp/results"
}

# --- the runs ----------------------------------------------------------------
echo "# echo bench -- $(date -u +%Y-%m-%dT%H:%MZ)"
echo "# host: nproc=$(nproc)  cpu=\"$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)\"  kernel=$(uname -r)"
echo "# load: echo_load -c $CONNS -d $SECS (23-byte lines, closed loop, replies checked); server CPU$SERVER_CPU, load CPU$LOAD_CPU"
echo "# camada:    $CAMADA_CMD$([[ $CAMADA_CMD == *@CONF@* ]] && echo "  (@CONF@: workers = 1, [echo] listen = 127.0.0.1:@PORT@)")"
echo "# reference: $REF_CMD  (one thread, epoll, level-triggered)"
echo "# $ROUNDS rounds, order alternated; cpu us/rt = server CPU (process tree, /proc/PID/stat) per round trip;"
echo "#   srv% = server CPU / wall time, cli% = echo_load's own CPU / its run time"
printf '%5s  %-9s %9s %10s %5s %5s %12s\n' round server "rt/s" "cpu us/rt" "srv%" "cli%" "round trips"
: > "$tmp/results"
for ((r = 1; r <= ROUNDS; r++)); do
	if ((r % 2)); then
		run_one "$r" camada "$CAMADA_CMD"
		run_one "$r" reference "$REF_CMD"
	else
		run_one "$r" reference "$REF_CMD"
		run_one "$r" camada "$CAMADA_CMD"
	fi
done

# --- medians and ratios ------------------------------------------------------
awk '
function median(s,   a, n, i, j, t) { # mawk has no asort: insertion sort
	n = split(s, a, " ")
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) {
			t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
		}
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
{
	rps[$2] = rps[$2] " " $3; cpu[$2] = cpu[$2] " " $4
	srv[$2] = srv[$2] " " $5; cli[$2] = cli[$2] " " $6
	per[$2] = per[$2] (per[$2] == "" ? "" : "/") $3
}
END {
	printf "\n%-6s %-9s %9s %10s %5s %5s  %s\n", "", "server", "rt/s", "cpu us/rt", "srv%", "cli%", "per-round rt/s"
	split("camada reference", names, " ")
	for (i = 1; i <= 2; i++) {
		l = names[i]; m_rps[l] = median(rps[l]); m_cpu[l] = median(cpu[l])
		printf "%-6s %-9s %9.0f %10.2f %5.0f %5.0f  %s\n", "median", l, m_rps[l], m_cpu[l], median(srv[l]), median(cli[l]), per[l]
	}
	printf "ratio camada/reference: throughput %.2f, CPU per round trip %.2f\n",
	    m_rps["camada"] / m_rps["reference"], m_cpu["camada"] / m_cpu["reference"]
}' "$tmp/results"
