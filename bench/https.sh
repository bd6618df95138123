#!/usr/bin/env bash
# bench/https.sh - camada's HTTPS server against nginx (Mozilla's
# "intermediate" TLS settings) and h2o, one worker each, measured as
# bench/http.sh measures HTTP: the server pinned to one core and the load to
# the other, a fresh server per run, rounds alternated, medians, the server's
# CPU time per unit from /proc/PID/stat over its process tree, camada's
# ratios against each anchor and the best of them. Every line runs with an
# ECDSA P-256 certificate, then with an RSA-2048 one (made here): full and
# resumed handshakes (h2load), keep-alive requests over TLS (wrk) and one
# 1 GiB download (curl). It does not measure HTTP/2 (camada speaks
# HTTP/1.1) nor kTLS where the kernel has none (it says which ran).
#
# Environment (defaults in brackets):
#   DURATION [2s]   each timed run (the handshake and keep-alive lines)
#   ROUNDS [3]      rounds; each round runs every server once per line
#   TESTS [hs_full hs_resumed small_ka_c50 100k_ka_c50 1g_c1]  a subset, in
#                   the order given
#   CERTS [ecdsa rsa]           a subset, in the order given
#   SERVERS [camada nginx h2o]  a subset; the ratios need camada and another
#   HS_CONNS [200]  hs_full: connections per h2load run (each makes one
#                   request on one new connection: a full handshake)
#   RESUME_CONNS [50] RESUME_REQS [2000]  hs_resumed: h2load clients and
#                   requests per h2load run, each on a new connection
#                   (Connection: close); a client's first is full, the
#                   rest resume its session
#   BIG_MIB [1024]  size of the file of the 1g_c1 line
#   SERVER_CPU [0]  LOAD_CPU [1]
#   CAMADA_BIN [build/camada]  a camada binary; only build/camada is built here
#   CAMADA_CMD  the camada slot's whole command, split on blanks, with @PORT@
#               (TLS), @PLAIN@ (a second port for the plain listener),
#               @ROOT@, @CERT@, @KEY@ filled in [$CAMADA_BIN http
#               -l 127.0.0.1:@PLAIN@ --tls-listen 127.0.0.1:@PORT@ --tls-cert
#               @CERT@ --tls-key @KEY@ -r @ROOT@ --workers 1 --access-log off
#               --max-requests 100000000]
#   KTLS [on]       'on': nginx asks OpenSSL for kTLS (ssl_conf_command
#                   Options KTLS) where the kernel has it; 'off': never
#   NICE [0]        nice value of the servers and the load tools
#   QUIET_WAIT [0]  before each run, wait up to this many seconds for the two
#                   cores to be under 15% busy with other work
#   KEEP_LOGS       if set, keep the run dir (configs, certificates, logs)
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."

ALL_TESTS="hs_full hs_resumed small_ka_c50 100k_ka_c50 1g_c1"
DURATION=${DURATION:-2s}
ROUNDS=${ROUNDS:-3}
TESTS=${TESTS:-$ALL_TESTS}
CERTS=${CERTS:-ecdsa rsa}
SERVERS=${SERVERS:-camada nginx h2o}
HS_CONNS=${HS_CONNS:-200}
RESUME_CONNS=${RESUME_CONNS:-50}
RESUME_REQS=${RESUME_REQS:-2000}
BIG_MIB=${BIG_MIB:-1024}
SERVER_CPU=${SERVER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
CAMADA_BIN=${CAMADA_BIN:-build/camada}
KTLS=${KTLS:-on}
NICE=${NICE:-0}
QUIET_WAIT=${QUIET_WAIT:-0}
HZ=$(getconf CLK_TCK)

die() { echo "https.sh: $*" >&2; exit 1; }

[[ $DURATION =~ ^([1-9][0-9]*)s?$ ]] || die "DURATION must be whole seconds (2 or 2s), not '$DURATION'"
SECS=${BASH_REMATCH[1]}
DURATION=${SECS}s
for v in ROUNDS HS_CONNS RESUME_CONNS RESUME_REQS BIG_MIB; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer, not '${!v}'"
done
((RESUME_REQS >= RESUME_CONNS)) || die "RESUME_REQS must be at least RESUME_CONNS"
[[ $KTLS =~ ^(on|off)$ ]] || die "KTLS must be on or off"
[[ $NICE =~ ^-?[0-9]+$ ]] || die "NICE must be a number, not '$NICE'"
[[ $QUIET_WAIT =~ ^[0-9]+$ ]] || die "QUIET_WAIT must be whole seconds, not '$QUIET_WAIT'"
read -r -a tests <<< "$TESTS"
read -r -a certs <<< "$CERTS"
read -r -a servers <<< "$SERVERS"
((${#tests[@]})) || die "TESTS is empty"
((${#certs[@]})) || die "CERTS is empty"
((${#servers[@]})) || die "SERVERS is empty"
for t in "${tests[@]}"; do
	[[ " $ALL_TESTS " == *" $t "* ]] || die "unknown test '$t' (known: $ALL_TESTS)"
done
for c in "${certs[@]}"; do
	[[ $c =~ ^(ecdsa|rsa)$ ]] || die "unknown certificate '$c' (ecdsa, rsa)"
done
for s in "${servers[@]}"; do
	[[ $s =~ ^(camada|nginx|h2o)$ ]] || die "unknown server '$s' (camada, nginx, h2o)"
done

# --- tools: what is missing is installed when root (like make deps) ---------
need=()
for pair in wrk:wrk h2load:nghttp2-client h2o:h2o nginx:nginx-light curl:curl \
    openssl:openssl ss:iproute2 pgrep:procps taskset:util-linux; do
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

if [ -z "${CAMADA_CMD:-}" ]; then
	CAMADA_CMD="$CAMADA_BIN http -l 127.0.0.1:@PLAIN@ --tls-listen 127.0.0.1:@PORT@ --tls-cert @CERT@ --tls-key @KEY@ -r @ROOT@ --workers 1 --access-log off --max-requests 100000000"
	if [ "$CAMADA_BIN" = build/camada ] && [[ " $SERVERS " == *" camada "* ]]; then
		make -s build/camada || die "make build/camada failed" \
		    "(to bench a binary built earlier: cp build/camada /tmp/c && CAMADA_BIN=/tmp/c $0)"
	fi
fi
read -r -a words <<< "$CAMADA_CMD"
[[ " $SERVERS " != *" camada "* ]] || command -v "${words[0]}" >/dev/null ||
    die "camada slot: ${words[0]} not found"

if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 8192 ]; then
	ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
fi

# kTLS needs the kernel's "tls" upper layer protocol; without it every
# server encrypts in user space and sendfile cannot carry TLS records.
if grep -qw tls /proc/sys/net/ipv4/tcp_available_ulp 2>/dev/null; then
	ktls_kernel=1
	KTLS_NOTE="the kernel offers kTLS (tls ULP); nginx: $( [ "$KTLS" = on ] && echo "ssl_conf_command Options KTLS" || echo off), h2o 2.2: none, camada: its own choice (see its log line below)"
else
	ktls_kernel=0
	KTLS_NOTE="off for every server: this kernel has no tls ULP (tcp_available_ulp: $(cat /proc/sys/net/ipv4/tcp_available_ulp 2>/dev/null || echo '?')), so TLS is encrypted in user space and no server can sendfile it"
fi

# --- the run dir: files served, certificates, configs, logs ------------------
. "$(dirname "$0")/lib.sh" # tree_ticks, free_port, stop_tree, cpu_jiffies, other_busy, wait_quiet, make_index
tmp=$(mktemp -d "${TMPDIR:-/tmp}/camada-bench-https.XXXXXX")
SRV_PID="" LOAD_PID="" PORT="" PLAIN=""
stop_server() { stop_tree "$SRV_PID"; SRV_PID=""; }
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	stop_tree "$LOAD_PID" # an h2load loop is a subshell with a child
	stop_server
	if [ -n "${KEEP_LOGS:-}" ]; then echo "# logs kept in $tmp" >&2; else rm -rf "$tmp"; fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# h2o and nginx's worker drop to nobody when started as root: the files
# served must be world-readable (the keys are read before the drop).
chmod 755 "$tmp"
mkdir -m 755 "$tmp/www" "$tmp/nginx" "$tmp/certs"
make_index "$tmp/www/index.html"
head -c 102400 /dev/urandom > "$tmp/www/100k.bin"
if [[ " $TESTS " == *" 1g_c1 "* ]]; then
	head -c $((BIG_MIB * 1048576)) /dev/urandom > "$tmp/www/big.bin" || die "cannot write $BIG_MIB MiB into $tmp"
else
	head -c 4096 /dev/urandom > "$tmp/www/big.bin"
fi
chmod 644 "$tmp/www/"*

# Self-signed certificates for localhost and 127.0.0.1, and the RFC 7919
# ffdhe2048 group that Mozilla's configuration gives nginx for DHE.
for c in "${certs[@]}"; do
	case $c in
	ecdsa) kopt=(-newkey ec -pkeyopt ec_paramgen_curve:P-256) ;;
	rsa) kopt=(-newkey rsa:2048) ;;
	esac
	openssl req -x509 "${kopt[@]}" -nodes -days 30 -subj /CN=localhost \
	    -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
	    -keyout "$tmp/certs/$c.key" -out "$tmp/certs/$c.crt" 2>"$tmp/openssl.log" ||
	    { cat "$tmp/openssl.log" >&2; die "openssl req ($c) failed"; }
done
openssl genpkey -genparam -algorithm DH -pkeyopt group:ffdhe2048 -out "$tmp/certs/dh.pem" 2>"$tmp/openssl.log" ||
    { cat "$tmp/openssl.log" >&2; die "openssl genpkey (ffdhe2048) failed"; }

CAMADA_SHOWN=$CAMADA_CMD
# The camada binary is copied into the run dir, so a rebuild of build/camada
# during the run cannot change what later rounds measure.
if [[ " $SERVERS " == *" camada "* ]] && [[ "${words[0]}" == */* ]]; then
	cp "${words[0]}" "$tmp/camada-bin" || die "cannot copy ${words[0]}"
	CAMADA_CMD="$tmp/camada-bin ${CAMADA_CMD#"${words[0]}"}"
fi

# wrk prints exact counts through done() (no per-request Lua).
cat > "$tmp/report.lua" <<'EOF'
done = function(summary, latency, requests)
	local e = summary.errors
	io.write(string.format(
		"wrk_result requests=%.0f bytes=%.0f duration_us=%.0f "
		.. "connect=%.0f read=%.0f write=%.0f status=%.0f timeout=%.0f\n",
		summary.requests, summary.bytes, summary.duration,
		e.connect, e.read, e.write, e.status, e.timeout))
end
EOF

# --- servers -------------------------------------------------------------------
# server_cmd LABEL CERT: the command line of that server on $PORT, into cmd[].
server_cmd() {
	local line conf crt=$tmp/certs/$2.crt key=$tmp/certs/$2.key ktls=""
	case $1 in
	camada)
		line=${CAMADA_CMD//@PORT@/$PORT}
		line=${line//@PLAIN@/$PLAIN}
		line=${line//@ROOT@/$tmp/www}
		line=${line//@CERT@/$crt}
		line=${line//@KEY@/$key}
		read -r -a cmd <<< "$line"
		;;
	nginx)
		((ktls_kernel)) && [ "$KTLS" = on ] && ktls="ssl_conf_command Options KTLS;"
		conf=$tmp/nginx-$PORT.conf
		sed -e "s|@RUN@|$tmp|g" -e "s|@PORT@|$PORT|g" -e "s|@ACCESS_LOG@|access_log off;|" \
		    -e "s|@CERT@|$crt|" -e "s|@KEY@|$key|" -e "s|@DHPARAM@|$tmp/certs/dh.pem|" \
		    -e "s|@KTLS@|$ktls|" bench/conf/nginx-https.conf.in > "$conf"
		cmd=(nginx -c "$conf" -p "$tmp/nginx/" -g 'daemon off;')
		;;
	h2o)
		conf=$tmp/h2o-$PORT.conf
		sed -e "s|@RUN@|$tmp|g" -e "s|@PORT@|$PORT|g" -e "s|@CERT@|$crt|" -e "s|@KEY@|$key|" \
		    -e "s|@DHPARAM@|$tmp/certs/dh.pem|" bench/conf/h2o-https.conf.in > "$conf"
		[ "$(id -u)" = 0 ] || sed -i '/^user:/d' "$conf"
		cmd=(h2o -c "$conf")
		;;
	esac
}

# https_get PATH [CURL ARGS]: "CODE SIZE" of one GET over HTTP/1.1 (h2o
# would pick HTTP/2 by ALPN).
https_get() {
	curl -sk --http1.1 -o /dev/null --max-time 2 -w '%{http_code} %{size_download}' \
	    "${@:2}" "https://127.0.0.1:$PORT$1" 2>/dev/null || true
}

# start_server LABEL CERT: starts it on SERVER_CPU, waits for camada's
# "listening on 127.0.0.1:PORT (tcp)" line, then until the small files and
# a range of the big one are served in full over TLS (so the worker is up);
# sets SRV_PID and PORT.
start_server() {
	local try log="$tmp/$1.log" ok
	for try in 1 2 3; do
		PORT=$(free_port)
		PLAIN=$(free_port)
		[ "$PLAIN" != "$PORT" ] || continue
		server_cmd "$1" "$2"
		rm -f "$log"
		nice -n "$NICE" taskset -c "$SERVER_CPU" "${cmd[@]}" > "$log" 2>&1 < /dev/null &
		SRV_PID=$!
		for _ in {1..200}; do # 10 s
			alive "$SRV_PID" || break
			ok=0
			if [ "$1" != camada ] || grep -qsF "listening on 127.0.0.1:$PORT (tcp)" "$log"; then
				[ "$(https_get /index.html)" = "200 612" ] &&
				    [ "$(https_get /100k.bin)" = "200 102400" ] &&
				    [ "$(https_get /big.bin -r 0-99)" = "206 100" ] && ok=1
			fi
			((ok)) && return 0
			sleep 0.05
		done
		echo "https.sh: $1 (${cmd[*]}) not ready (try $try); its output:" >&2
		tail -n 20 "$log" >&2
		[ "$1" != nginx ] || tail -n 5 "$tmp/nginx-$PORT-error.log" >&2 2>/dev/null || true
		[ "$1" != h2o ] || tail -n 5 "$tmp/h2o-error.log" >&2 2>/dev/null || true
		stop_server
	done
	die "$1 would not start"
}

# probe LABEL CERT: what OpenSSL's default client offer (wrk's and curl's)
# gets from the running server, and whether a second connection resumes the
# first one's session (openssl s_client -sess_out, then -sess_in).
probe() {
	local brief reused
	brief=$(timeout 5 openssl s_client -connect "127.0.0.1:$PORT" -brief < /dev/null 2>&1 |
	    awk -F': ' '/^Protocol version/ { p = $2 } /^Ciphersuite/ { c = $2 } /^Server Temp Key/ { k = $2 }
	        END { sub(/,.*/, "", k); print p " " c " " k }')
	printf 'GET /index.html HTTP/1.0\r\n\r\n' | timeout 5 openssl s_client -connect "127.0.0.1:$PORT" \
	    -quiet -sess_out "$tmp/sess.pem" > /dev/null 2>&1 || true
	reused=$(printf 'GET /index.html HTTP/1.0\r\n\r\n' | timeout 5 openssl s_client -connect "127.0.0.1:$PORT" \
	    -ign_eof -sess_in "$tmp/sess.pem" 2>/dev/null | grep -m1 -oE '^(New|Reused)' || echo failed)
	printf '%-7s %-6s %-40s %s\n' "$1" "$2" "$brief" "$reused" >> "$tmp/probes"
	[ "$1" != camada ] || grep -im1 ktls "$tmp/$1.log" | sed "s/^/# camada ($2): /" >> "$tmp/ktls-lines" || true
}

# --- the lines -----------------------------------------------------------------
# test_params TEST: t_desc, t_rate (unit of the rate), t_cpu (unit of CPU).
test_params() {
	case $1 in
	hs_full) t_desc="full handshakes: h2load --h1, runs of $HS_CONNS clients x 1 GET /index.html, each on a new connection"
		t_rate=hs/s t_cpu=us/hs ;;
	hs_resumed) t_desc="resumed handshakes: h2load --h1, runs of $RESUME_CONNS clients x $RESUME_REQS GET /index.html with Connection: close ($((100 * (RESUME_REQS - RESUME_CONNS) / RESUME_REQS))% resume)"
		t_rate=hs/s t_cpu=us/hs ;;
	small_ka_c50) t_desc="GET /index.html (612 B), keep-alive, 50 connections (wrk -t1)"
		t_rate=req/s t_cpu=us/req ;;
	100k_ka_c50) t_desc="GET /100k.bin (102400 B), keep-alive, 50 connections (wrk -t1)"
		t_rate=req/s t_cpu=us/req ;;
	1g_c1) t_desc="GET /big.bin ($BIG_MIB MiB), one connection (curl --http1.1 -o /dev/null)"
		t_rate=GiB/s t_cpu=s/GiB ;;
	esac
}

# h2load_loop SECS OUT ARGS...: h2load runs one after another until SECS
# have passed, every run's output appended to OUT. A run's clients each
# keep their TLS session for their next connection, so a run of one
# request per client does full handshakes only.
h2load_loop() {
	local end=$((${EPOCHREALTIME/./} + $1 * 1000000)) out=$2
	shift 2
	: > "$out"
	while ((${EPOCHREALTIME/./} < end)); do
		nice -n "$NICE" taskset -c "$LOAD_CPU" h2load --h1 -t1 "$@" >> "$out" 2>&1 || return 1
	done
}

# CPU ticks of this shell's reaped children (cutime+cstime): read around the
# wait for the load, their difference is the load's own CPU time.
self_child_ticks() { stat_fields $$ && child_ticks=$((f[13] + f[14])); }

# run_one TEST CERT ROUND LABEL: one fresh server, one load run, one row:
# TEST CERT ROUND LABEL units rate cpu-per-unit srv% cli% oth% errors.
run_one() {
	local rc=0 c0 c1 w0 w1 s0 s1 l0 l1 t0 t1 n=0 errs=0 url out=$tmp/load.out
	test_params "$1"
	wait_quiet
	start_server "$4" "$2"
	[ -s "$tmp/probes" ] && grep -q "^$4 *$2 " "$tmp/probes" || probe "$4" "$2"
	case $1 in
	hs_full|hs_resumed|small_ka_c50) url=https://127.0.0.1:$PORT/index.html ;;
	100k_ka_c50) url=https://127.0.0.1:$PORT/100k.bin ;;
	1g_c1) url=https://127.0.0.1:$PORT/big.bin ;;
	esac
	s0=$(cpu_jiffies "$SERVER_CPU") l0=$(cpu_jiffies "$LOAD_CPU")
	c0=$(tree_ticks "$SRV_PID")
	self_child_ticks; w0=$child_ticks
	t0=$EPOCHREALTIME
	case $1 in
	hs_full) h2load_loop "$SECS" "$out" -c "$HS_CONNS" -n "$HS_CONNS" "$url" & ;;
	hs_resumed) h2load_loop "$SECS" "$out" -c "$RESUME_CONNS" -n "$RESUME_REQS" \
	    -H 'Connection: close' "$url" & ;;
	small_ka_c50|100k_ka_c50)
		nice -n "$NICE" taskset -c "$LOAD_CPU" wrk -t1 -c 50 -d "$DURATION" -s "$tmp/report.lua" \
		    "$url" > "$out" 2>&1 & ;;
	1g_c1)
		nice -n "$NICE" taskset -c "$LOAD_CPU" curl -sSk --http1.1 -o /dev/null \
		    -w 'curl_result %{http_code} %{size_download}\n' "$url" > "$out" 2>&1 & ;;
	esac
	LOAD_PID=$!
	wait "$LOAD_PID" || rc=$?
	t1=$EPOCHREALTIME
	self_child_ticks; w1=$child_ticks
	LOAD_PID=""
	c1=$(tree_ticks "$SRV_PID")
	s1=$(cpu_jiffies "$SERVER_CPU") l1=$(cpu_jiffies "$LOAD_CPU")
	alive "$SRV_PID" || rc=99
	[ -z "${KEEP_LOGS:-}" ] || cp "$out" "$tmp/load-$1-$2-$3-$4.out"
	stop_server
	if [ "$rc" -eq 0 ]; then
		case $1 in
		hs_*)
			# requests: N total, N started, N done, N succeeded, N failed, N errored, N timeout
			read -r n errs < <(awk '/^requests:/ { n += $8; e += $10 + $12 + $14 }
			    /^status codes:/ { e += $5 + $7 + $9 } END { print n + 0, e + 0 }' "$out")
			((n > 0)) || rc=98 ;;
		*_ka_c50)
			grep -q '^wrk_result ' "$out" || rc=98
			if ((rc == 0)); then
				n=$(sed -n 's/^wrk_result requests=\([0-9]*\).*/\1/p' "$out")
				errs=$(sed -n 's/^wrk_result .* connect=\([0-9]*\) read=\([0-9]*\) write=\([0-9]*\) status=\([0-9]*\) timeout=\([0-9]*\).*/\1 \2 \3 \4 \5/p' "$out" |
				    awk '{ print $1 + $2 + $3 + $4 + $5 }')
			fi ;;
		1g_c1)
			[ "$(sed -n 's/^curl_result //p' "$out")" = "200 $((BIG_MIB * 1048576))" ] || rc=97
			n=$BIG_MIB ;;
		esac
	fi
	if [ "$rc" -ne 0 ]; then
		tail -n 20 "$out" >&2
		[ "$rc" -eq 99 ] && { echo "--- $4 output:" >&2; tail -n 20 "$tmp/$4.log" >&2; }
		die "$1 $2 round $3, $4: $(case $rc in 99) echo "the server died" ;; 98) echo "no result from the load" ;;
		    97) echo "the download was not 200 with $BIG_MIB MiB" ;; *) echo "the load failed (exit $rc)" ;; esac)"
	fi
	# srv% and cli% are the server's and the load's own CPU over the wall
	# time; oth% is what the two cores spent on anything else.
	awk -v t="$1" -v c="$2" -v r="$3" -v l="$4" -v n="$n" -v errs="$errs" -v big="$([ "$1" = 1g_c1 ] && echo 1 || echo 0)" \
	    -v dt=$((c1 - c0)) -v dw=$((w1 - w0)) -v hz="$HZ" -v t0="$t0" -v t1="$t1" \
	    -v s0="$s0" -v s1="$s1" -v l0="$l0" -v l1="$l1" 'BEGIN {
		wall = t1 - t0
		srv = 100 * dt / hz / wall; cli = 100 * dw / hz / wall
		split(s0, a, " "); split(s1, b, " "); busy = b[1] - a[1]; tot = b[2] - a[2]
		split(l0, a, " "); split(l1, b, " "); busy += b[1] - a[1]; tot += b[2] - a[2]
		oth = 200 * busy / tot - srv - cli
		if (oth < 0) oth = 0
		if (big) { rate = n / 1024 / wall; cpu = dt / hz / (n / 1024) }  # GiB/s, s/GiB
		else { rate = n / wall; cpu = n > 0 ? dt * 1e6 / hz / n : 0 }      # per s, us per
		# the rows are read back below: GiB figures keep three decimals
		printf "%-12s %-5s %5d  %-7s %10." (big ? 3 : 0) "f %10." (big ? 3 : 1) "f %5.0f %5.0f %5.0f %6d\n",
		    t, c, r, l, rate, cpu, srv, cli, oth, errs
	}' | tee -a "$tmp/results"
}

# --- the runs ------------------------------------------------------------------
runs=$((${#tests[@]} * ${#certs[@]} * ROUNDS * ${#servers[@]}))
echo "# https bench -- $(date -u +%Y-%m-%dT%H:%MZ)"
echo "# host: nproc=$(nproc)  cpu=\"$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)\"  kernel=$(uname -r)"
echo "# $(nginx -v 2>&1 | sed 's/.*: //'), h2o $(h2o --version 2>/dev/null | sed -n 's/^h2o version //p'), $(openssl version | cut -d' ' -f1-2), h2load $(dpkg-query -W -f '${Version}' nghttp2-client 2>/dev/null || echo '?'), wrk $(dpkg-query -W -f '${Version}' wrk 2>/dev/null || echo '?'), curl $(curl --version | sed -n '1s/^curl \([^ ]*\).*/\1/p')"
echo "# server CPU$SERVER_CPU, load CPU$LOAD_CPU, both at nice $NICE; $ROUNDS rounds, server order rotated each round; fresh server per run; runs of $DURATION"
echo "# camada: $CAMADA_SHOWN  (binary copied into the run dir)"
echo "# nginx:  bench/conf/nginx-https.conf.in (1 worker, Mozilla intermediate: TLS 1.2+1.3, its ciphers, session cache, no tickets)"
echo "# h2o:    bench/conf/h2o-https.conf.in (num-threads 1, Mozilla intermediate protocols and ciphers, h2o's resumption, neverbleed off)"
echo "# certificates: self-signed ECDSA P-256 and RSA-2048 (openssl req), the same files for the three servers"
echo "# kTLS: $KTLS_NOTE"
echo "# $runs runs (about $((runs * (SECS + 1) / 60 + 1)) min)"
echo "# cpu per unit = server CPU (utime+stime over its process tree, /proc/PID/stat) per handshake, request or GiB;"
echo "#   srv%/cli% = the server's (process tree) / the load's CPU time over the run's wall time, 100 = that side is the bottleneck"
echo "#   oth% = CPU$SERVER_CPU+CPU$LOAD_CPU busy time spent on anything else (other processes, irqs), 0 on a quiet machine"
busy=$(other_busy 1)
echo "# before the runs the two cores were $busy% busy with other work$( ((busy >= 10)) && echo ": the figures will be noisy" )"
printf '%-12s %-5s %5s  %-7s %10s %10s %5s %5s %5s %6s\n' line cert round server rate "cpu/unit" "srv%" "cli%" "oth%" errs
: > "$tmp/results"
: > "$tmp/probes"
: > "$tmp/ktls-lines"
for t in "${tests[@]}"; do
	for c in "${certs[@]}"; do
		for ((r = 1; r <= ROUNDS; r++)); do
			for ((i = 0; i < ${#servers[@]}; i++)); do
				run_one "$t" "$c" "$r" "${servers[(i + r - 1) % ${#servers[@]}]}"
			done
		done
	done
done

# --- medians and ratios ------------------------------------------------------
echo
echo "== what each server negotiated with OpenSSL's default offer (wrk, curl; h2load offers TLS_AES_128_GCM_SHA256 first), and whether s_client -sess_in resumed"
sort "$tmp/probes"
cat "$tmp/ktls-lines"
echo
awk -v order="$TESTS" -v corder="$CERTS" -v srvs="$SERVERS" \
    -v descs="$(for t in "${tests[@]}"; do test_params "$t"; printf '%s|%s|%s\t' "$t_desc" "$t_rate" "$t_cpu"; done)" '
function median(s,   a, n, i, j, x) { # mawk has no asort: insertion sort
	n = split(s, a, " ")
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) {
			x = a[j]; a[j] = a[j - 1]; a[j - 1] = x
		}
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function ratio(a, b) { return b > 0 ? sprintf("%.2f", a / b) : "-" }
function num(x, big) { return big ? sprintf("%.3f", x) : sprintf("%.1f", x) }
{
	k = $1 SUBSEP $2 SUBSEP $4
	rate[k] = rate[k] " " $5; cpu[k] = cpu[k] " " $6; srv[k] = srv[k] " " $7; cli[k] = cli[k] " " $8
	oth[k] = oth[k] " " $9; err[k] += $10; allo = allo " " $9
	per[k] = per[k] (per[k] == "" ? "" : "/") ($1 == "1g_c1" ? sprintf("%.2f", $5) : sprintf("%.0f", $5))
}
END {
	nt = split(order, tn, " "); nc = split(corder, cn, " "); ns = split(srvs, sn, " "); split(descs, dn, "\t")
	for (i = 1; i <= nt; i++) for (m = 1; m <= nc; m++) {
		t = tn[i]; c = cn[m]; split(dn[i], d, "|"); big = (t == "1g_c1")
		printf "== %s %s: %s\n", t, c, d[1]
		printf "%-8s %10s %10s %5s %5s %5s %5s  %s\n", "server", d[2], d[3], "srv%", "cli%", "oth%", "errs", "per-round " d[2]
		best = ""; low = ""
		for (j = 1; j <= ns; j++) {
			k = t SUBSEP c SUBSEP sn[j]
			if (!(k in rate)) continue
			R[sn[j]] = median(rate[k]); C[sn[j]] = median(cpu[k])
			printf "%-8s %10s %10s %5.0f %5.0f %5.0f %5d  %s\n", sn[j], (big ? sprintf("%.3f", R[sn[j]]) : sprintf("%.0f", R[sn[j]])),
			    num(C[sn[j]], big), median(srv[k]), median(cli[k]), median(oth[k]), err[k], per[k]
			if (sn[j] == "camada") continue
			if (best == "" || R[sn[j]] > R[best]) best = sn[j]
			if (low == "" || C[sn[j]] < C[low]) low = sn[j]
		}
		if (!((t SUBSEP c SUBSEP "camada") in rate) || best == "") { print ""; continue }
		for (j = 1; j <= ns; j++) {
			if (sn[j] == "camada" || !((t SUBSEP c SUBSEP sn[j]) in rate)) continue
			printf "camada/%-5s  %s %s  cpu %s\n", sn[j], d[2], ratio(R["camada"], R[sn[j]]), ratio(C["camada"], C[sn[j]])
		}
		summ[t, c] = sprintf("%5s %-8s  %5s %-8s", ratio(R["camada"], R[best]), "(" best ")", ratio(C["camada"], C[low]), "(" low ")")
		any = 1
		print ""
	}
	if (median(allo) > 10)
		printf "!! other load took a median %.0f%% of the two cores during the runs: rates are depressed, compare CPU per unit\n\n", median(allo)
	if (!any) exit
	print "== camada against the best anchor: rate / the highest anchor rate, CPU per unit / the lowest anchor CPU (>1 and <1 favour camada)"
	printf "%-12s %-5s  %-14s %-14s\n", "line", "cert", "rate", "cpu per unit"
	for (i = 1; i <= nt; i++) for (m = 1; m <= nc; m++)
		if ((tn[i], cn[m]) in summ) printf "%-12s %-5s  %s\n", tn[i], cn[m], summ[tn[i], cn[m]]
	print ""
}' "$tmp/results"
