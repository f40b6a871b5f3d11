# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# The one QEMU runner of the tests: boots Debian's 6.1 kernel under TCG with
# an initramfs, its serial console in a file, and keeps track of the process.
# tests/lib/guest.sh (e2e guests, tests/bench/tcp.sh, tools/demo.sh) and
# tests/kmod/lib.sh use it. Needs nothing else sourced (vx_diag if defined).
# See docs/guest-harness.md.
#
#   vx_qemu_start NAME [key=value...] [-- QEMU-ARGS...]
#       Starts QEMU in the background, stdin /dev/null. Keys:
#         dir=DIR        where the files go (default $VX_TMP): DIR/NAME.log is
#                        the serial console (emptied first), DIR/NAME.qemu.log
#                        QEMU's own output
#         kernel=FILE    default $VX_GUEST_KERNEL, else the newest /boot/vmlinuz-6.1.*-amd64
#         initrd=FILE    (required)
#         append=TEXT    kernel parameters after "console=ttyS0 panic=-1"
#         mem=MB         guest memory (default 512)
#         shared=1       guest memory is a memfd with share=on (a vhost-user or
#                        vhost back-end maps it); default private RAM
#         smp=N          vCPUs (default 1)
#         cpu=MODEL      -cpu MODEL (default: QEMU's)
#         netns=NS       run QEMU in network namespace NS (nsenter, /run/netns/NS)
#         cpus=LIST      run QEMU under taskset -c LIST
#       QEMU-ARGS (netdevs, devices...) go at the end of the command line.
#       The fixed part: -accel tcg -nodefaults -no-reboot -display none
#       -monitor none -serial file:CONSOLE. The prefixes exec, so the pid
#       kept (VX_QEMU_PID[NAME]) is QEMU's own. A NAME still running is
#       forgotten, not stopped: give each QEMU of a test its own NAME.
#   vx_qemu_running NAME            status 0 while QEMU runs
#   vx_qemu_console_wait NAME REGEX SECONDS
#       0 once a console line matches; 1 on timeout, or when QEMU exited
#       without printing it
#   vx_qemu_wait NAME SECONDS       waits for QEMU to exit by itself; 1 if it
#       still runs then. Sets VX_QEMU_RC (its exit status if it was our child)
#   vx_qemu_stop NAME [SECONDS]     SIGTERM, SIGKILL after SECONDS (default 5)
#   vx_qemu_kill NAME [SIGNAL]      sends SIGNAL (default KILL) and reaps it
#   vx_qemu_stop_all                vx_qemu_stop on every QEMU still known
#   vx_qemu_dump NAME [LINES] [PREFIX]
#       the console's last LINES (default 20) without \r, and QEMU's output,
#       as "# " lines (PREFIX: a word before each console line)
#   vx_qemu_console NAME / vx_qemu_out NAME   print the two file names
#
# Bookkeeping (associative arrays, by NAME): VX_QEMU_PID (the pid; unset once
# QEMU is gone and reaped), VX_QEMU_LOG (console file), VX_QEMU_OUT (output
# file). A caller may enter a QEMU it did not start (libvirt's, say) in these
# to wait on its console or stop it.

VX_QEMU=${VX_QEMU:-qemu-system-x86_64}
declare -gA VX_QEMU_PID VX_QEMU_LOG VX_QEMU_OUT
VX_QEMU_RC=

_vx_qemu_diag() { if declare -F vx_diag >/dev/null; then vx_diag "$@"; else echo "# $*" >&2; fi; }

# The newest Debian 6.1 kernel image on this machine (empty if none).
vx_qemu_kernel() { ls /boot/vmlinuz-6.1.*-amd64 2>/dev/null | sort -V | tail -n1; }

vx_qemu_start() { # NAME [key=value...] [-- QEMU-ARGS...]
	local name=$1 dir=${VX_TMP:-} kernel=${VX_GUEST_KERNEL:-} initrd='' append='' mem=512
	local shared=0 smp=1 cpu='' netns='' cpus='' kv
	shift
	while [ $# -gt 0 ]; do
		kv=$1
		shift
		case "$kv" in
		--) break ;;
		dir=*) dir=${kv#*=} ;;
		kernel=*) kernel=${kv#*=} ;;
		initrd=*) initrd=${kv#*=} ;;
		append=*) append=${kv#*=} ;;
		mem=*) mem=${kv#*=} ;;
		shared=*) shared=${kv#*=} ;;
		smp=*) smp=${kv#*=} ;;
		cpu=*) cpu=${kv#*=} ;;
		netns=*) netns=${kv#*=} ;;
		cpus=*) cpus=${kv#*=} ;;
		*) _vx_qemu_diag "vx_qemu_start: unknown argument $kv"; return 1 ;;
		esac
	done
	[ -n "$kernel" ] || kernel=$(vx_qemu_kernel)
	[ -n "$kernel" ] || { _vx_qemu_diag "vx_qemu_start: no /boot/vmlinuz-6.1.*-amd64"; return 1; }
	[ -n "$dir" ] && [ -d "$dir" ] || { _vx_qemu_diag "vx_qemu_start: no dir= (or \$VX_TMP)"; return 1; }
	[ -n "$initrd" ] || { _vx_qemu_diag "vx_qemu_start: no initrd="; return 1; }

	local pre=() mach=()
	[ -n "$netns" ] && pre+=(nsenter --net="/run/netns/$netns")
	[ -n "$cpus" ] && pre+=(taskset -c "$cpus")
	[ -n "$cpu" ] && mach+=(-cpu "$cpu")
	[ "$shared" = 1 ] && mach+=(-machine pc,memory-backend=mem
		-object "memory-backend-memfd,id=mem,size=${mem}M,share=on")
	local log=$dir/$name.log out=$dir/$name.qemu.log
	: >"$log"
	"${pre[@]}" "$VX_QEMU" -accel tcg "${mach[@]}" -m "$mem" -smp "$smp" -nodefaults -no-reboot \
		-display none -monitor none -serial "file:$log" \
		-kernel "$kernel" -initrd "$initrd" -append "console=ttyS0 panic=-1${append:+ $append}" \
		"$@" </dev/null >"$out" 2>&1 &
	VX_QEMU_PID[$name]=$!
	VX_QEMU_LOG[$name]=$log
	VX_QEMU_OUT[$name]=$out
}

vx_qemu_console() { echo "${VX_QEMU_LOG[$1]:-${VX_TMP:-.}/$1.log}"; }
vx_qemu_out() { echo "${VX_QEMU_OUT[$1]:-${VX_TMP:-.}/$1.qemu.log}"; }

vx_qemu_running() { # NAME
	local pid=${VX_QEMU_PID[$1]:-}
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

vx_qemu_console_wait() { # NAME REGEX SECONDS
	local log end=$((SECONDS + $3))
	log=$(vx_qemu_console "$1")
	while [ $SECONDS -lt $end ]; do
		grep -qaE "$2" "$log" 2>/dev/null && return 0
		if ! vx_qemu_running "$1"; then
			grep -qaE "$2" "$log" 2>/dev/null
			return
		fi
		sleep 0.2
	done
	return 1
}

# Reaps a QEMU that is gone (a no-op for one we did not start) and forgets it.
_vx_qemu_reap() { # NAME
	local pid=${VX_QEMU_PID[$1]:-}
	VX_QEMU_RC=
	if [ -n "$pid" ]; then
		wait "$pid" 2>/dev/null
		VX_QEMU_RC=$?
	fi
	unset "VX_QEMU_PID[$1]"
}

vx_qemu_wait() { # NAME SECONDS
	local end=$((SECONDS + $2))
	[ -n "${VX_QEMU_PID[$1]:-}" ] || return 0
	while vx_qemu_running "$1"; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.2
	done
	_vx_qemu_reap "$1"
	return 0
}

vx_qemu_stop() { # NAME [SECONDS]
	local pid=${VX_QEMU_PID[$1]:-}
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	vx_qemu_wait "$1" "${2:-5}" && return 0
	kill -KILL "$pid" 2>/dev/null
	_vx_qemu_reap "$1"
}

vx_qemu_kill() { # NAME [SIGNAL]
	local pid=${VX_QEMU_PID[$1]:-}
	[ -n "$pid" ] || return 1
	kill "-${2:-KILL}" "$pid" 2>/dev/null || return 1
	# KILL ends it at once: reap it now (bash would otherwise report "Killed"
	# when it notices the death between two commands). A signal QEMU
	# catches (TERM, INT) lets it shut down first.
	if [ "${2:-KILL}" = KILL ] || [ "${2:-KILL}" = 9 ]; then
		_vx_qemu_reap "$1"
		return 0
	fi
	vx_qemu_wait "$1" 10
}

vx_qemu_stop_all() {
	local name
	for name in "${!VX_QEMU_PID[@]}"; do
		vx_qemu_stop "$name"
	done
}

vx_qemu_dump() { # NAME [LINES] [PREFIX]
	local log out
	log=$(vx_qemu_console "$1")
	out=$(vx_qemu_out "$1")
	_vx_qemu_diag "--- console of $1 (last ${2:-20} lines)"
	tail -n "${2:-20}" "$log" 2>/dev/null | tr -d '\r' | sed "s/^/#   ${3:+$3 }/"
	[ -s "$out" ] && sed 's/^/#   qemu: /' "$out"
	return 0
}
