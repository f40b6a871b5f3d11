# SPDX-License-Identifier: GPL-2.0
# The TAP emitter of the shell tests (tests/lib/tap.c is the C programs').
# Source it (tests/lib/ns.sh and tests/kmod/lib.sh do); every check goes
# through vx_ok, and vx_done prints the plan and gives the exit status.
#
#   vx_ok <rc> <description>        ok if rc is 0
#   vx_check <description> <cmd...> runs cmd, vx_ok on its status
#   vx_skip <description> <reason>  a check that could not run here, and why
#   vx_todo <rc> <description> <reason>  reported, never fails the test
#   vx_diag <text...>               a "# " line
#   vx_relay_tap                    TAP lines of another producer on stdin,
#                                   renumbered into ours ("# " lines kept)
#   vx_failed                       status 0 if a check failed so far
#   vx_done                         the plan; status 1 if any check failed
#   vx_skip_all <reason>            "1..0 # SKIP": the whole test cannot run here

_vx_tap_n=0
_vx_tap_fail=0

vx_ok() { # vx_ok <rc> <description>
	_vx_tap_n=$((_vx_tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $_vx_tap_n - $2"
	else
		echo "not ok $_vx_tap_n - $2"
		_vx_tap_fail=$((_vx_tap_fail + 1))
	fi
}

vx_check() { # vx_check <description> <command...>
	local d=$1
	shift
	"$@"
	vx_ok $? "$d"
}

vx_skip() { # vx_skip <description> <reason>
	_vx_tap_n=$((_vx_tap_n + 1))
	echo "ok $_vx_tap_n - $1 # SKIP $2"
}

vx_todo() { # vx_todo <rc> <description> <reason>
	_vx_tap_n=$((_vx_tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $_vx_tap_n - $2 # TODO $3"
	else
		echo "not ok $_vx_tap_n - $2 # TODO $3"
	fi
}

vx_diag() { echo "# $*"; }

vx_relay_tap() {
	local line
	while IFS= read -r line; do
		case "$line" in
		"ok "* | "not ok "*)
			_vx_tap_n=$((_vx_tap_n + 1))
			case "$line" in
			"not ok "*) case "$line" in *"# TODO"*) ;; *) _vx_tap_fail=$((_vx_tap_fail + 1)) ;; esac ;;
			esac
			echo "$line" | sed -E "s/^(not )?ok( [0-9]+)?/\1ok $_vx_tap_n/"
			;;
		"# "*) echo "$line" ;;
		esac
	done
}

vx_failed() { [ "$_vx_tap_fail" -ne 0 ]; }

vx_done() {
	echo "1..$_vx_tap_n"
	[ "$_vx_tap_fail" -eq 0 ]
}

vx_skip_all() {
	echo "1..0 # SKIP $*"
	exit 0
}
