#!/usr/bin/env bash
# bench/http.sh - camada's HTTP server against nginx and h2o, the anchors of
# the anchor runs' anchors/http.txt, measured the same way: wrk -t1 --latency,
# the server pinned to one core and wrk to the other, one worker each, fresh
# server per run, rounds alternated, medians, the server's CPU time per
# request from /proc/PID/stat over its process tree, camada's ratios; then
# the servers' RSS idle and holding 1,000 idle keep-alive connections.
#
# Environment (defaults in brackets):
#   DURATION [5s]  each wrk run (the anchors used 10s)
#   ROUNDS [3]     rounds; each round runs every server once per test
#   TESTS [small_ka_c50 small_close_c50 100k_ka_c50 small_ka_c1000 10m_ka_c4]
#                  a subset, in the order given; 'none' runs only the RSS part
#   SERVERS [camada nginx h2o]   a subset, e.g. SERVERS='camada nginx'
#   RSS_CONNS [1000]  idle keep-alive connections held for the RSS figure;
#                     0 skips the RSS part
#   SERVER_CPU [0]  LOAD_CPU [1]
#   CAMADA_BIN [build/camada]  a camada binary; only build/camada is built here
#   CAMADA_CMD  the camada slot's whole command, split on blanks, with @PORT@
#               and @ROOT@ filled in [$CAMADA_BIN http -l 127.0.0.1:@PORT@
#               -r @ROOT@ --workers 1 --access-log off --max-requests 100000000]
#   NICE [0]    nice value of the servers and wrk (as root, e.g. -10 to take
#               back some CPU from other work on the machine; see README)
#   NGINX_TCP_NOPUSH [on]  as the anchors ran; 'off' drops nginx's ~40 ms
#               stalls on some 100 KiB responses
#   QUIET_WAIT [0]  before each run, wait up to this many seconds for the two
#               cores to be under 15% busy with other work (0: do not wait)
#   KEEP_LOGS   if set, keep the servers' and wrk's output (path printed)
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."

ALL_TESTS="small_ka_c50 small_close_c50 100k_ka_c50 small_ka_c1000 10m_ka_c4"
DURATION=${DURATION:-5s}
ROUNDS=${ROUNDS:-3}
TESTS=${TESTS:-$ALL_TESTS}
SERVERS=${SERVERS:-camada nginx h2o}
RSS_CONNS=${RSS_CONNS:-1000}
SERVER_CPU=${SERVER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
CAMADA_BIN=${CAMADA_BIN:-build/camada}
NGINX_TCP_NOPUSH=${NGINX_TCP_NOPUSH:-on}
NICE=${NICE:-0}
QUIET_WAIT=${QUIET_WAIT:-0}
PYTHON=${PYTHON:-$(command -v /usr/bin/python3 || command -v python3 || echo python3)}
HZ=$(getconf CLK_TCK)

die() { echo "http.sh: $*" >&2; exit 1; }

[[ $DURATION =~ ^([1-9][0-9]*)s?$ ]] || die "DURATION must be whole seconds (5 or 5s), not '$DURATION'"
SECS=${BASH_REMATCH[1]}
DURATION=${SECS}s
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive integer, not '$ROUNDS'"
[[ $RSS_CONNS =~ ^[0-9]+$ ]] || die "RSS_CONNS must be a number, not '$RSS_CONNS'"
[[ $NGINX_TCP_NOPUSH =~ ^(on|off)$ ]] || die "NGINX_TCP_NOPUSH must be on or off"
[[ $NICE =~ ^-?[0-9]+$ ]] || die "NICE must be a number, not '$NICE'"
[[ $QUIET_WAIT =~ ^[0-9]+$ ]] || die "QUIET_WAIT must be whole seconds, not '$QUIET_WAIT'"
read -r -a tests <<< "${TESTS/#none/}"
read -r -a servers <<< "$SERVERS"
((${#tests[@]})) || ((RSS_CONNS)) || die "TESTS=none and RSS_CONNS=0: nothing to do"
((${#servers[@]})) || die "SERVERS is empty"
for t in "${tests[@]}"; do
	[[ " $ALL_TESTS " == *" $t "* ]] || die "unknown test '$t' (known: $ALL_TESTS)"
done
for s in "${servers[@]}"; do
	[[ $s =~ ^(camada|nginx|h2o)$ ]] || die "unknown server '$s' (camada, nginx, h2o)"
done

# --- tools: what is missing is installed when root (like make deps) ---------
need=()
for pair in wrk:wrk h2o:h2o nginx:nginx-light curl:curl "$PYTHON":python3 \
    ss:iproute2 pgrep:procps taskset:util-linux; do
	command -v "${pair%%:*}" >/dev/null || need+=("${pair#*:}")
done
if ((${#need[@]})); then
	if [ "$(id -u)" = 0 ]; then
		echo "# installing: ${need[*]}" >&2
		export DEBIAN_FRONTEND=noninteractive
		{ apt-get update -qq && apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null; } ||
		    die "apt-get install ${need[*]} failed"
	else
		die "missing packages: ${need[*]} (run: sudo apt-get install -y ${need[*]})"
	fi
fi
PYTHON=$(command -v "$PYTHON")

if [ -z "${CAMADA_CMD:-}" ]; then
	CAMADA_CMD="$CAMADA_BIN http -l 127.0.0.1:@PORT@ -r @ROOT@ --workers 1 --access-log off --max-requests 100000000"
	if [ "$CAMADA_BIN" = build/camada ] && [[ " $SERVERS " == *" camada "* ]]; then
		make -s build/camada || die "make build/camada failed" \
		    "(to bench a binary built earlier: cp build/camada /tmp/c && CAMADA_BIN=/tmp/c $0)"
	fi
fi
read -r -a words <<< "$CAMADA_CMD"
[[ " $SERVERS " != *" camada "* ]] || command -v "${words[0]}" >/dev/null ||
    die "camada slot: ${words[0]} not found"

# wrk -c1000, 1,000 held connections and the servers all need descriptors.
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 8192 ]; then
	ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
	[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge 2048 ] ||
	    die "open-file limit $(ulimit -n) is too low for 1000 connections"
fi

# tree_ticks, free_port, stop_tree, cpu_jiffies, other_busy, wait_quiet, make_index
. "$(dirname "$0")/lib.sh"

# --- the run dir: files served, configs, logs --------------------------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/camada-bench-http.XXXXXX")
SRV_PID="" LOAD_PID="" HOLD_PID="" PORT=""
# h2o and nginx's worker drop to nobody when started as root: the path to
# the files must be world-readable.
chmod 755 "$tmp"
mkdir -m 755 "$tmp/www" "$tmp/nginx"

make_index "$tmp/www/index.html" # 612 bytes, the size of nginx's default page
head -c 102400 /dev/urandom > "$tmp/www/100k.bin"
head -c 10485760 /dev/urandom > "$tmp/www/10m.bin"
chmod 644 "$tmp/www/"*

CAMADA_SHOWN=$CAMADA_CMD
# The camada binary is copied into the run dir, so a rebuild of build/camada
# during the run cannot change what later rounds measure.
if [[ " $SERVERS " == *" camada "* ]] && [[ "${words[0]}" == */* ]]; then
	cp "${words[0]}" "$tmp/camada-bin" || die "cannot copy ${words[0]}"
	CAMADA_CMD="$tmp/camada-bin ${CAMADA_CMD#"${words[0]}"}"
fi

# wrk prints exact counts through done() (no per-request Lua: the request
# stays static and no response() hook is installed).
cat > "$tmp/report.lua" <<'EOF'
done = function(summary, latency, requests)
	local e = summary.errors
	io.write(string.format(
		"wrk_result requests=%.0f bytes=%.0f duration_us=%.0f p50_us=%.0f p99_us=%.0f "
		.. "connect=%.0f read=%.0f write=%.0f status=%.0f timeout=%.0f\n",
		summary.requests, summary.bytes, summary.duration,
		latency:percentile(50), latency:percentile(99),
		e.connect, e.read, e.write, e.status, e.timeout))
end
EOF

# Opens N connections, sends one keep-alive GET on each, reads the whole
# reply, then holds them all until killed.
cat > "$tmp/hold.py" <<'EOF'
import socket, sys, time
host, port, n, path = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
req = ("GET %s HTTP/1.1\r\nHost: %s:%d\r\n\r\n" % (path, host, port)).encode()
held = []
for i in range(n):
    s = socket.create_connection((host, port), timeout=10)
    s.sendall(req)
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = s.recv(65536)
        if not d:
            sys.exit("hold.py: connection %d closed before its reply" % i)
        buf += d
    head, _, body = buf.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    if lines[0].split()[1:2] != [b"200"]:
        sys.exit("hold.py: connection %d: %r" % (i, lines[0]))
    length = 0
    for h in lines[1:]:
        k, _, v = h.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v)
    while len(body) < length:
        d = s.recv(65536)
        if not d:
            sys.exit("hold.py: connection %d closed in its body" % i)
        body += d
    held.append(s)
print("held %d" % len(held), flush=True)
time.sleep(3600)
EOF

# --- processes ------------------------------------------------------------------
stop_server() { stop_tree "$SRV_PID"; SRV_PID=""; }

stop_pid() { # stop_pid VAR: TERM and reap the background job whose PID VAR holds
	local pid=${!1}
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	printf -v "$1" ''
}

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	stop_pid LOAD_PID
	stop_pid HOLD_PID
	stop_server
	if [ -n "${KEEP_LOGS:-}" ]; then echo "# logs kept in $tmp" >&2; else rm -rf "$tmp"; fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# server_cmd LABEL: the command line of that server on $PORT, into cmd[].
server_cmd() {
	local line conf
	case $1 in
	camada)
		line=${CAMADA_CMD//@PORT@/$PORT}
		line=${line//@ROOT@/$tmp/www}
		read -r -a cmd <<< "$line"
		;;
	nginx)
		conf=$tmp/nginx-$PORT.conf
		sed -e "s|@RUN@|$tmp|g" -e "s|@PORT@|$PORT|g" -e "s|@ACCESS_LOG@|access_log off;|" \
		    -e "s|@TCP_NOPUSH@|$NGINX_TCP_NOPUSH|" bench/conf/nginx.conf.in > "$conf"
		cmd=(nginx -c "$conf" -p "$tmp/nginx/" -g 'daemon off;')
		;;
	h2o)
		conf=$tmp/h2o-$PORT.conf
		sed -e "s|@RUN@|$tmp|g" -e "s|@PORT@|$PORT|g" bench/conf/h2o.conf.in > "$conf"
		[ "$(id -u)" = 0 ] || sed -i '/^user:/d' "$conf"
		cmd=(h2o -c "$conf")
		;;
	esac
}

# http_get PATH: "CODE SIZE" of one GET on the current server.
http_get() {
	curl -s -o /dev/null --max-time 2 -w '%{http_code} %{size_download}' \
	    "http://127.0.0.1:$PORT$1" 2>/dev/null || true
}

# start_server LABEL: starts it on SERVER_CPU, waits for camada's "listening
# on 127.0.0.1:PORT (tcp)" line, then until a GET of every file is answered
# in full (so the worker is up); sets SRV_PID and PORT.
start_server() {
	local try log="$tmp/$1.log" ok file want
	for try in 1 2 3; do
		PORT=$(free_port)
		server_cmd "$1"
		rm -f "$log"
		nice -n "$NICE" taskset -c "$SERVER_CPU" "${cmd[@]}" > "$log" 2>&1 < /dev/null &
		SRV_PID=$!
		for _ in {1..200}; do # 10 s
			alive "$SRV_PID" || break
			ok=1
			if [ "$1" = camada ] && ! grep -qsF "listening on 127.0.0.1:$PORT (tcp)" "$log"; then
				ok=0
			else
				for file in index.html 100k.bin 10m.bin; do
					want="200 $(wc -c < "$tmp/www/$file")"
					[ "$(http_get "/$file")" = "$want" ] || { ok=0; break; }
				done
			fi
			((ok)) && return 0
			sleep 0.05
		done
		echo "http.sh: $1 (${cmd[*]}) not ready (try $try); its output:" >&2
		tail -n 20 "$log" >&2
		[ "$1" != nginx ] || tail -n 5 "$tmp/nginx-$PORT-error.log" >&2 2>/dev/null || true
		[ "$1" != h2o ] || tail -n 5 "$tmp/h2o-error.log" >&2 2>/dev/null || true
		stop_server
	done
	die "$1 would not start"
}

# test_params TEST: sets t_path, t_conns, t_close, t_desc.
test_params() {
	t_close=0
	case $1 in
	small_ka_c50) t_path=/index.html t_conns=50 ;;
	small_close_c50) t_path=/index.html t_conns=50 t_close=1 ;;
	100k_ka_c50) t_path=/100k.bin t_conns=50 ;;
	small_ka_c1000) t_path=/index.html t_conns=1000 ;;
	10m_ka_c4) t_path=/10m.bin t_conns=4 ;;
	esac
	t_desc="GET $t_path ($(wc -c < "$tmp/www${t_path}") B), $( ((t_close)) && echo "Connection: close" || echo keep-alive), $t_conns connections"
}

kv() { sed -n "/^wrk_result /s/.* $1=\([0-9]*\).*/\1/p" "$tmp/wrk.out"; }

# CPU ticks of this shell's reaped children (cutime+cstime): read around the
# wait for wrk, their difference is wrk's own CPU time.
self_child_ticks() { stat_fields $$ && child_ticks=$((f[13] + f[14])); }

# run_one TEST ROUND LABEL: one fresh server, one wrk run, one result row.
run_one() {
	local rc=0 c0 c1 w0 w1 s0 s1 l0 l1 t0 t1 hdr=()
	test_params "$1"
	((t_close)) && hdr=(-H 'Connection: close')
	wait_quiet
	start_server "$3"
	s0=$(cpu_jiffies "$SERVER_CPU") l0=$(cpu_jiffies "$LOAD_CPU")
	c0=$(tree_ticks "$SRV_PID")
	self_child_ticks; w0=$child_ticks
	t0=$EPOCHREALTIME
	nice -n "$NICE" taskset -c "$LOAD_CPU" wrk -t1 -c "$t_conns" -d "$DURATION" --latency -s "$tmp/report.lua" \
	    "${hdr[@]}" "http://127.0.0.1:$PORT$t_path" > "$tmp/wrk.out" 2>&1 &
	LOAD_PID=$!
	wait "$LOAD_PID" || rc=$?
	t1=$EPOCHREALTIME
	self_child_ticks; w1=$child_ticks
	LOAD_PID=""
	c1=$(tree_ticks "$SRV_PID")
	s1=$(cpu_jiffies "$SERVER_CPU") l1=$(cpu_jiffies "$LOAD_CPU")
	alive "$SRV_PID" || rc=99
	[ "$rc" -ne 0 ] || grep -q '^wrk_result ' "$tmp/wrk.out" || rc=98
	[ -z "${KEEP_LOGS:-}" ] || cp "$tmp/wrk.out" "$tmp/wrk-$1-$2-$3.out"
	stop_server
	if [ "$rc" -ne 0 ]; then
		cat "$tmp/wrk.out" >&2
		[ "$rc" -eq 99 ] && { echo "--- $3 output:" >&2; tail -n 20 "$tmp/$3.log" >&2; }
		die "$1 round $2, $3: $(case $rc in 99) echo "the server died" ;; 98) echo "no result from wrk" ;; *) echo "wrk failed (exit $rc)" ;; esac)"
	fi
	# srv% and cli% are the server's and wrk's own CPU over the wall time;
	# oth% is what the two cores spent on anything else (other processes,
	# interrupts): near 0 on a quiet machine.
	awk -v t="$1" -v r="$2" -v l="$3" -v req="$(kv requests)" -v bytes="$(kv bytes)" \
	    -v us="$(kv duration_us)" -v p50="$(kv p50_us)" -v p99="$(kv p99_us)" \
	    -v errs="$(($(kv connect) + $(kv read) + $(kv write) + $(kv status) + $(kv timeout)))" \
	    -v dt=$((c1 - c0)) -v dw=$((w1 - w0)) -v hz="$HZ" -v t0="$t0" -v t1="$t1" \
	    -v s0="$s0" -v s1="$s1" -v l0="$l0" -v l1="$l1" 'BEGIN {
		wall = t1 - t0
		srv = 100 * dt / hz / wall; cli = 100 * dw / hz / wall
		split(s0, a, " "); split(s1, b, " "); busy = b[1] - a[1]; tot = b[2] - a[2]
		split(l0, a, " "); split(l1, b, " "); busy += b[1] - a[1]; tot += b[2] - a[2]
		oth = 200 * busy / tot - srv - cli
		if (oth < 0) oth = 0
		secs = us / 1e6
		cpu = req > 0 ? dt * 1e6 / hz / req : 0
		printf "%-16s %5d  %-7s %9.0f %8.3f %8.3f %8.1f %10.2f %5.0f %5.0f %5.0f %6d\n", t, r, l,
		    req / secs, p50 / 1000, p99 / 1000, bytes / secs / 1048576, cpu, srv, cli, oth, errs
	}' | tee -a "$tmp/results"
	if [ "$(kv status)" != 0 ] || [ "$(kv connect)" != 0 ]; then
		echo "http.sh: warning: $1 round $2, $3: wrk saw $(kv status) non-2xx replies and $(kv connect) connect errors" >&2
	fi
}

# --- RSS: idle, then holding RSS_CONNS idle keep-alive connections -----------
# rss_tree: "SUM_RSS SUM_PSS PER_PROCESS_RSS,... THREADS" (KiB) over the
# server's processes: its tree, less helpers that run another program (h2o
# starts a perl crash handler, annotate-backtrace-symbols, that never serves).
rss_tree() {
	local p r s t sum=0 pss=0 per="" thr=0 exe
	exe=$(readlink "/proc/$SRV_PID/exe")
	for p in $(tree_pids "$SRV_PID"); do
		[ "$(readlink "/proc/$p/exe" 2>/dev/null)" = "$exe" ] || continue
		r=$(awk '/^VmRSS:/ { print $2 }' "/proc/$p/status" 2>/dev/null || true)
		t=$(awk '/^Threads:/ { print $2 }' "/proc/$p/status" 2>/dev/null || true)
		s=$(awk '/^Pss:/ { print $2 }' "/proc/$p/smaps_rollup" 2>/dev/null || true)
		[ -n "$r" ] || continue
		sum=$((sum + r)) pss=$((pss + ${s:-0})) per+="${per:+,}$r" thr=$((thr + ${t:-0}))
	done
	echo "$sum $pss $per $thr"
}

rss_one() {
	local idle held n hold_out=$tmp/hold-$1.out
	start_server "$1"
	sleep 0.5
	read -r -a idle <<< "$(rss_tree)"
	taskset -c "$LOAD_CPU" "$PYTHON" "$tmp/hold.py" 127.0.0.1 "$PORT" "$RSS_CONNS" /index.html \
	    > "$hold_out" 2>&1 &
	HOLD_PID=$!
	for _ in {1..600}; do # 30 s
		grep -qs '^held ' "$hold_out" && break
		alive "$HOLD_PID" || { cat "$hold_out" >&2; die "$1: holding $RSS_CONNS connections failed"; }
		sleep 0.05
	done
	grep -q '^held ' "$hold_out" || die "$1: holding $RSS_CONNS connections took over 30 s"
	sleep 0.5
	read -r -a held <<< "$(rss_tree)"
	n=$(ss -Htn state established "sport = :$PORT" | wc -l)
	stop_pid HOLD_PID
	stop_server
	printf '%-7s %9d %9d %9d %8d %8d %6d %5d  %s -> %s\n' "$1" "${idle[0]}" "${held[0]}" \
	    $(((held[0] - idle[0]) * 1024 / (RSS_CONNS > 0 ? RSS_CONNS : 1))) "${idle[1]}" "${held[1]}" \
	    "$n" "${held[3]}" "${idle[2]}" "${held[2]}" | tee -a "$tmp/rss"
}

# --- the runs ----------------------------------------------------------------
runs=$((${#tests[@]} * ROUNDS * ${#servers[@]}))
echo "# http bench -- $(date -u +%Y-%m-%dT%H:%MZ)"
echo "# host: nproc=$(nproc)  cpu=\"$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)\"  kernel=$(uname -r)"
echo "# $(nginx -v 2>&1 | sed 's/.*: //'), h2o $(h2o --version 2>/dev/null | sed -n 's/^h2o version //p'), wrk $(dpkg-query -W -f '${Version}' wrk 2>/dev/null || echo '?')"
echo "# wrk -t1 -d$DURATION --latency; server CPU$SERVER_CPU, wrk CPU$LOAD_CPU, both at nice $NICE; $ROUNDS rounds, server order rotated each round; fresh server per run"
echo "# camada: $CAMADA_SHOWN  (binary copied into the run dir)"
echo "# nginx:  bench/conf/nginx.conf.in (1 worker, sendfile, tcp_nopush $NGINX_TCP_NOPUSH, open_file_cache, access_log off)"
echo "# h2o:    bench/conf/h2o.conf.in (num-threads 1, no access-log)"
echo "# files: index.html 612 B, 100k.bin 102400 B, 10m.bin 10485760 B; $runs runs of $DURATION (about $((runs * (SECS + 1) / 60 + 1)) min)"
echo "# cpu us/req = server CPU (utime+stime over its process tree, /proc/PID/stat) per request;"
echo "#   srv%/cli% = the server's (process tree) / wrk's CPU time over the run's wall time, 100 = that side is the bottleneck"
echo "#   oth% = CPU$SERVER_CPU+CPU$LOAD_CPU busy time spent on anything else (other processes, irqs), 0 on a quiet machine"
echo "#   rps/core = req/s divided by srv%/100; errs = wrk socket errors + non-2xx"
busy=$(other_busy 1)
echo "# before the runs the two cores were $busy% busy with other work$( ((busy >= 10)) && echo ": the figures will be noisy" )$( ((QUIET_WAIT)) && echo "; each run waits up to ${QUIET_WAIT}s for under 15%")"
printf '%-16s %5s  %-7s %9s %8s %8s %8s %10s %5s %5s %5s %6s\n' test round server "req/s" "p50 ms" "p99 ms" "MiB/s" "cpu us/req" "srv%" "cli%" "oth%" errs
: > "$tmp/results"
for t in "${tests[@]}"; do
	for ((r = 1; r <= ROUNDS; r++)); do
		for ((i = 0; i < ${#servers[@]}; i++)); do
			run_one "$t" "$r" "${servers[(i + r - 1) % ${#servers[@]}]}"
		done
	done
done

# --- medians and ratios ------------------------------------------------------
echo
((${#tests[@]} == 0)) || awk -v order="$TESTS" -v srvs="$SERVERS" -v descs="$(for t in "${tests[@]}"; do test_params "$t"; printf '%s\t' "$t_desc"; done)" '
function median(s,   a, n, i, j, x) { # mawk has no asort: insertion sort
	n = split(s, a, " ")
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) {
			x = a[j]; a[j] = a[j - 1]; a[j - 1] = x
		}
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function ratio(a, b) { return b > 0 ? sprintf("%.2f", a / b) : "-" }
{
	k = $1 SUBSEP $3
	rps[k] = rps[k] " " $4; p50[k] = p50[k] " " $5; p99[k] = p99[k] " " $6
	mib[k] = mib[k] " " $7; cpu[k] = cpu[k] " " $8; srv[k] = srv[k] " " $9; cli[k] = cli[k] " " $10
	oth[k] = oth[k] " " $11; err[k] += $12; allo = allo " " $11; per[k] = per[k] (per[k] == "" ? "" : "/") $4
}
END {
	nt = split(order, tn, " "); ns = split(srvs, sn, " "); split(descs, dn, "\t")
	for (i = 1; i <= nt; i++) {
		t = tn[i]
		printf "== %s: %s\n", t, dn[i]
		printf "%-8s %9s %8s %8s %8s %10s %5s %5s %5s %9s %5s  %s\n", "server", "req/s", "p50 ms", "p99 ms",
		    "MiB/s", "cpu us/req", "srv%", "cli%", "oth%", "rps/core", "errs", "per-round req/s"
		for (j = 1; j <= ns; j++) {
			k = t SUBSEP sn[j]
			if (!(k in rps)) continue
			R[sn[j]] = median(rps[k]); C[sn[j]] = median(cpu[k]); S = median(srv[k])
			printf "%-8s %9.0f %8.3f %8.3f %8.1f %10.2f %5.0f %5.0f %5.0f %9.0f %5d  %s\n", sn[j], R[sn[j]],
			    median(p50[k]), median(p99[k]), median(mib[k]), C[sn[j]], S, median(cli[k]),
			    median(oth[k]), (S > 0 ? R[sn[j]] * 100 / S : 0), err[k], per[k]
		}
		for (j = 1; j <= ns; j++) {
			if (sn[j] == "camada" || !((t SUBSEP "camada") in rps) || !((t SUBSEP sn[j]) in rps)) continue
			line = sprintf("camada/%-5s  req/s %s  cpu/req %s", sn[j], ratio(R["camada"], R[sn[j]]), ratio(C["camada"], C[sn[j]]))
			print line
			any = 1
			summ[t] = summ[t] sprintf("  %-5s %5s %5s", sn[j], ratio(R["camada"], R[sn[j]]), ratio(C["camada"], C[sn[j]]))
		}
		print ""
	}
	if (median(allo) > 10)
		printf "!! other load took a median %.0f%% of the two cores during the runs: req/s are depressed, compare cpu us/req\n\n", median(allo)
	if (!any) exit
	print "== camada against each: req/s ratio, cpu-per-request ratio (>1 req/s and <1 cpu favour camada)"
	for (i = 1; i <= nt; i++) printf "%-16s%s\n", tn[i], summ[tn[i]]
	print ""
}' "$tmp/results"

if ((RSS_CONNS > 0)); then
	echo "== RSS (KiB): VmRSS summed over the server's processes, idle -> holding $RSS_CONNS idle keep-alive connections"
	echo "#  (each connection has made one GET /index.html; conns = established at the server; B/conn = extra RSS per connection)"
	printf '%-7s %9s %9s %9s %8s %8s %6s %5s  %s\n' server idle_kib held_kib "B/conn" idle_pss held_pss conns thr "per process RSS idle -> held"
	: > "$tmp/rss"
	for s in "${servers[@]}"; do rss_one "$s"; done
	awk '{ held[$1] = $3 } END {
		for (s in held) if (s != "camada" && ("camada" in held) && held[s] > 0)
			printf "camada/%-5s held RSS %.2f\n", s, held["camada"] / held[s]
	}' "$tmp/rss" | sort
fi
