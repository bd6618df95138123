# bench/lib.sh - what every bench script shares: CPU time over a server's
# process tree from /proc, ports, stopping what we started. Sourced, not run.

# Fields of /proc/PID/stat after the last ')' (the name may hold spaces and
# parentheses, as in "nginx: worker process"): f[0] is field 3 (state), so
# field N is f[N-3].
stat_fields() {
	local s
	{ read -r s < "/proc/$1/stat"; } 2>/dev/null || return 1
	read -r -a f <<< "${s##*)}"
}
alive() { stat_fields "$1" && [ "${f[0]}" != Z ]; }
starttime() { stat_fields "$1" && echo "${f[19]}"; }

# PID and all its live descendants (camada and nginx fork workers).
tree_pids() {
	local c
	echo "$1"
	for c in $(pgrep -P "$1" || true); do tree_pids "$c"; done
}

# CPU clock ticks used by a process tree: utime+stime of every live process,
# plus cutime+cstime (children that exited and were reaped count too).
tree_ticks() {
	local p total=0
	for p in $(tree_pids "$1"); do
		stat_fields "$p" || continue
		total=$((total + f[11] + f[12] + f[13] + f[14]))
	done
	echo "$total"
}

# A TCP and UDP port nobody uses, in 20000-31999: below the ephemeral range
# that the load's client sockets come from. Calls the script's die.
free_port() {
	local p
	for _ in {1..200}; do
		p=$((20000 + RANDOM % 12000))
		if [ -z "$(ss -Htuan "sport = :$p")" ]; then echo "$p"; return 0; fi
	done
	die "no free port in 20000-31999"
}

# stop_tree PID: TERM to a server we started, KILL after 3 s, and KILL to
# any of its workers that outlive it, each checked by its start time so a
# recycled PID is never hit.
stop_tree() {
	local pid=$1 k kids=()
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
}

# "busy total" jiffies of one CPU from /proc/stat (busy = all but idle+iowait).
cpu_jiffies() {
	awk -v c="cpu$1" '$1 == c { t = 0; for (i = 2; i <= 9; i++) t += $i; print t - $5 - $6, t }' /proc/stat
}

# other_busy SECONDS: % of the cores SERVER_CPU and LOAD_CPU busy over that
# time (called when nothing of ours runs).
other_busy() {
	local a0 b0
	a0=$(cpu_jiffies "$SERVER_CPU") b0=$(cpu_jiffies "$LOAD_CPU")
	sleep "$1"
	awk -v s0="$a0" -v l0="$b0" -v s1="$(cpu_jiffies "$SERVER_CPU")" -v l1="$(cpu_jiffies "$LOAD_CPU")" 'BEGIN {
		split(s0, a, " "); split(s1, b, " "); busy = b[1] - a[1]; tot = b[2] - a[2]
		split(l0, a, " "); split(l1, b, " "); busy += b[1] - a[1]; tot += b[2] - a[2]
		printf "%.0f\n", (tot > 0 ? 100 * busy / tot : 0)
	}'
}

# wait_quiet: waits up to QUIET_WAIT seconds for that to drop under 15%.
wait_quiet() {
	local end
	((QUIET_WAIT > 0)) || return 0
	end=$((SECONDS + QUIET_WAIT))
	while (($(other_busy 0.5) >= 15 && SECONDS < end)); do :; done
}

# make_index FILE: the 612-byte index.html (the size of nginx's default page).
make_index() {
	local pad
	{
		printf '<!DOCTYPE html>\n<html>\n<head>\n<title>Welcome to camada bench</title>\n'
		printf '<style>\nhtml { color-scheme: light dark; }\nbody { width: 35em; margin: 0 auto;\n'
		printf 'font-family: Tahoma, Verdana, Arial, sans-serif; }\n</style>\n</head>\n<body>\n'
		printf '<h1>Welcome!</h1>\n<p>If you see this page, the web server is working.</p>\n'
	} > "$1"
	pad=$((612 - $(wc -c < "$1") - 8 - 16)) # <p></p>\n, </body>\n</html>\n
	{ printf '<p>%*s</p>\n' "$pad" ''; printf '</body>\n</html>\n'; } >> "$1"
	[ "$(wc -c < "$1")" -eq 612 ] || die "index.html is not 612 bytes"
}
