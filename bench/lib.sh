# bench/lib.sh - what every bench script shares: reading /proc for CPU time
# over a server's process tree. Sourced, not run.

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
