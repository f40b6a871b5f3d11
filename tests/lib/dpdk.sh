# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Shell helpers for tests that use DPDK's dpdk-testpmd as a vhost-user peer.
# Source it after ns.sh. Each testpmd instance is named; it runs in
# interactive mode with a FIFO as stdin (testpmd exits as soon as stdin
# closes), and its output goes to $VX_TMP/testpmd-<name>.log.
#
#   vx_huge_setup [pages]            reserve 2 MiB hugepages (default 1024)
#   vx_huge_teardown                 give them back
#   vx_testpmd_start NAME NETNS EAL-ARGS... -- TESTPMD-ARGS...
#   vx_testpmd_launch ...            the same without waiting for the prompt
#   vx_testpmd_ready NAME [SECONDS]  wait for the prompt (a virtio-user in
#                                    server mode only gets there once the
#                                    back-end has connected)
#   vx_testpmd_cmd NAME COMMAND      send one command line
#   vx_testpmd_query NAME COMMAND    send it and print the output it caused
#   vx_testpmd_stat NAME PORT FIELD  e.g. vx_testpmd_stat g 0 TX-packets
#   vx_testpmd_stop NAME             quit (kill after 10 s)

VX_TESTPMD=${VX_TESTPMD:-dpdk-testpmd}
declare -A _vx_tp_pid _vx_tp_fd
_vx_huge_saved=

_vx_huge_field() { awk -v f="$1:" '$1 == f { print $2 }' /proc/meminfo; }

vx_huge_setup() {
	local want=${1:-1024} have
	have=$(cat /proc/sys/vm/nr_hugepages)
	[ -n "$_vx_huge_saved" ] || _vx_huge_saved=$have
	mkdir -p /dev/hugepages
	mountpoint -q /dev/hugepages || mount -t hugetlbfs nodev /dev/hugepages || return 1
	[ "$have" -ge "$want" ] && return 0
	echo "$want" >/proc/sys/vm/nr_hugepages
	have=$(_vx_huge_field HugePages_Total)
	if [ "$have" -lt "$want" ]; then
		vx_diag "only $have of $want hugepages could be reserved"
		return 1
	fi
}

# Back to what it was before vx_huge_setup, unless someone else still has
# pages mapped: shrinking then would only turn their pages into surplus.
vx_huge_teardown() {
	[ -n "$_vx_huge_saved" ] || return 0
	rm -f /dev/hugepages/vx-"$VX_ID"-*
	if [ "$(_vx_huge_field HugePages_Free)" = "$(_vx_huge_field HugePages_Total)" ]; then
		echo "$_vx_huge_saved" >/proc/sys/vm/nr_hugepages
	else
		vx_diag "hugepages still in use by another process; left at $(cat /proc/sys/vm/nr_hugepages)"
	fi
	_vx_huge_saved=
}

# vx_testpmd_launch NAME NETNS EAL-ARGS... -- TESTPMD-ARGS...
# NETNS may be "" for the current namespace. Adds a per-test file prefix
# and interactive mode.
vx_testpmd_launch() {
	local name=$1 ns=$2 fifo log fd
	shift 2
	fifo=$VX_TMP/testpmd-$name.in
	log=$VX_TMP/testpmd-$name.log
	rm -f "$fifo"
	mkfifo "$fifo" || return 1
	local eal=() tp=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		eal+=("$1")
		shift
	done
	[ $# -gt 0 ] && shift
	tp=("$@")
	# testpmd prints with stdio; line buffering makes each reply visible at once.
	local cmd=(stdbuf -oL "$VX_TESTPMD" --file-prefix "vx-$VX_ID-$name" "${eal[@]}" -- -i "${tp[@]}")
	[ -n "$ns" ] && cmd=(ip netns exec "$ns" "${cmd[@]}")
	"${cmd[@]}" <"$fifo" >"$log" 2>&1 &
	_vx_tp_pid[$name]=$!
	# Opening the write end unblocks testpmd's open of the read end.
	exec {fd}>"$fifo"
	_vx_tp_fd[$name]=$fd
}

vx_testpmd_ready() { # vx_testpmd_ready NAME [SECONDS]
	local name=$1 log=$VX_TMP/testpmd-$1.log i
	for ((i = 0; i < ${2:-30} * 10; i++)); do
		grep -q 'testpmd> ' "$log" 2>/dev/null && return 0
		kill -0 "${_vx_tp_pid[$name]}" 2>/dev/null || break
		sleep 0.1
	done
	vx_diag "testpmd $name did not come up; log:"
	sed 's/^/#   /' "$log" | tail -n 30
	vx_testpmd_stop "$name"
	return 1
}

vx_testpmd_start() {
	vx_testpmd_launch "$@" && vx_testpmd_ready "$1"
}

vx_testpmd_cmd() {
	local fd=${_vx_tp_fd[$1]:-}
	[ -n "$fd" ] || return 1
	echo "$2" >&"$fd"
}

# Prints what testpmd wrote after COMMAND, up to its next prompt.
vx_testpmd_query() {
	local log=$VX_TMP/testpmd-$1.log off i
	off=$(stat -c %s "$log")
	vx_testpmd_cmd "$1" "$2" || return 1
	for ((i = 0; i < 50; i++)); do
		sleep 0.1
		tail -c +"$((off + 1))" "$log" | grep -q 'testpmd> ' && break
	done
	tail -c +"$((off + 1))" "$log"
}

# vx_testpmd_stat NAME PORT FIELD: one counter from "show port stats PORT".
vx_testpmd_stat() {
	vx_testpmd_query "$1" "show port stats $2" |
		sed -n "s/.*$3: *\([0-9]*\).*/\1/p" | tail -n 1
}

# vx_testpmd_link_up NAME: waits up to 10 s for port 0 to report its link up.
vx_testpmd_link_up() {
	local i
	for ((i = 0; i < 50; i++)); do
		vx_testpmd_query "$1" "show port info 0" | grep -q 'Link status: up' && return 0
		sleep 0.2
	done
	return 1
}

vx_testpmd_stop() {
	local name=$1 pid=${_vx_tp_pid[$1]:-} fd=${_vx_tp_fd[$1]:-} i
	[ -n "$pid" ] || return 0
	if [ -n "$fd" ]; then
		{ echo quit >&"$fd"; } 2>/dev/null
		exec {fd}>&-
	fi
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	unset "_vx_tp_pid[$name]" "_vx_tp_fd[$name]"
	rm -f "$VX_TMP/testpmd-$name.in" /dev/hugepages/vx-"$VX_ID-$name"map_*
	rm -rf "/var/run/dpdk/vx-$VX_ID-$name"
}

vx_testpmd_stop_all() {
	local name
	for name in "${!_vx_tp_pid[@]}"; do
		vx_testpmd_stop "$name"
	done
}
