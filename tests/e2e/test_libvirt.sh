#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# End-to-end with libvirt (Debian's 9.0): the QEMU hook contrib/libvirt/qemu
# adds a vhost-xdpd port when `virsh create` starts a domain with a
# vhost-user interface and removes it when `virsh destroy` ends it. Two
# transient domains in turn, a real Linux guest each (QEMU under TCG, direct
# kernel boot): <source mode='client'> (the daemon listens) and
# <source mode='server'> (QEMU listens, the daemon connects). Each guest pings
# the peer namespace and is pinged back; then its port is deleted behind
# libvirt's back and the hook, run by hand, adds it again (what to do after a
# daemon restart), QEMU attaches again. Before that, the hook alone against
# the running daemon: interfaces outside the socket directory, port names,
# a port left over from an earlier start, no daemon; and a start the hook
# refuses (a socket that belongs to another port), with the first
# interface's port removed again. About 60 s on a quiet machine.
#
# libvirtd reads its hooks when it starts, so the test needs a machine where
# no libvirtd runs: it installs the hook as
# /etc/libvirt/hooks/qemu.d/vhost-xdp-test-ID (a /etc/libvirt/hooks/qemu of
# the machine is left alone), starts virtlogd (if none runs) and libvirtd, and
# afterwards stops what it started and removes what it made. Runs of it on
# one machine take turns (flock).
#
#   VX_LIBVIRT_TIMEOUT=120  seconds for a guest to boot and ping
#   VX_KEEP_TMP=1           keep $VX_TMP (consoles, hook and daemon logs)
set -u

. "$(dirname "$0")/../lib/ns.sh"
. "$(dirname "$0")/../lib/guest.sh"

URI=qemu:///system
QGROUP=libvirt-qemu # Debian's qemu.conf default: QEMU runs as libvirt-qemu:libvirt-qemu
HOOKD=/etc/libvirt/hooks/qemu.d
HOOK=$HOOKD/vhost-xdp-test-$VX_ID
LOCK=/run/lock/vhost-xdp-libvirt-test.lock
TMO=${VX_LIBVIRT_TIMEOUT:-120}
SOCK=$VX_TMP/sock
CTL=$SOCK/$VX_NIC.ctl
XCTL=$VX_BUILD/vhost-xdpctl
GUEST_IP=10.77.0.2

[ "$(id -u)" -eq 0 ] || vx_skip_all "needs root"
for tool in libvirtd virtlogd virsh python3 "$VX_QEMU" ip ethtool flock; do
	command -v "$tool" >/dev/null || vx_skip_all "no $tool (tools/install-deps.sh)"
done
getent group "$QGROUP" >/dev/null || vx_skip_all "no group $QGROUP (libvirt-daemon-system)"
[ -n "$VX_GUEST_KERNEL" ] || vx_skip_all "no /boot/vmlinuz-6.1.*-amd64"
[ -x "$VX_BUILD/vhost-xdpd" ] && [ -x "$XCTL" ] || vx_skip_all "no $VX_BUILD/vhost-xdpd or vhost-xdpctl (run make)"

exec {lockfd}>"$LOCK" || vx_skip_all "cannot open $LOCK"
flock -w 900 "$lockfd" || vx_skip_all "another run of this test held $LOCK for 15 minutes"
if pgrep -x libvirtd >/dev/null; then
	# Not ours to restart, and it would not see the hook without a restart.
	vx_skip_all "a libvirtd runs already (it reads hooks only when it starts)"
fi

failed=0
t_ok() { # <rc> <description>
	[ "$1" -eq 0 ] || failed=1
	vx_ok "$@"
}

vsh() { timeout 120 virsh -q -c "$URI" "$@"; }

started_logd=
started_libvirtd=
made_run_libvirt=
made_hookd=
domains=()

pid_file() { # <file>: prints the pid in it once it is there (5 s)
	local i
	for ((i = 0; i < 50; i++)); do
		[ -s "$1" ] && { cat "$1"; return 0; }
		sleep 0.1
	done
	return 1
}

stop_pid() { # <pid>: SIGTERM, then SIGKILL after 30 s
	local i
	kill -TERM "$1" 2>/dev/null || return 0
	for ((i = 0; i < 300; i++)); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$1" 2>/dev/null
}

cleanup() {
	local d
	for d in "${domains[@]}"; do
		vsh destroy "$d" >/dev/null 2>&1
		rm -f "/var/log/libvirt/qemu/$d.log"
	done
	if [ "$failed" -ne 0 ]; then
		vx_diag "--- hook log"
		sed 's/^/#   /' "$VX_TMP/hook.log" 2>/dev/null
		vx_diag "--- libvirtd log"
		tail -n 20 "$VX_TMP/libvirtd.log" 2>/dev/null | sed 's/^/#   /'
		vx_backend_dump 30
	fi
	[ -n "$started_libvirtd" ] && stop_pid "$started_libvirtd"
	[ -n "$started_logd" ] && stop_pid "$started_logd"
	rm -f "$HOOK"
	[ -n "$made_hookd" ] && rmdir "$HOOKD" 2>/dev/null
	# libvirtd leaves its runtime directories behind; they were not there before.
	if [ -n "$made_run_libvirt" ] && ! pgrep -x libvirtd >/dev/null && ! pgrep -x virtlogd >/dev/null; then
		rm -rf /run/libvirt
	fi
	vx_ns_teardown
}
trap cleanup EXIT

t0=$SECONDS

# --- namespaces, daemon, hook --------------------------------------------
vx_ns_setup || {
	t_ok 1 "namespaces set up"
	vx_done
	exit
}
vx_guest_prepare || {
	t_ok 1 "guest initramfs built"
	vx_done
	exit
}
# QEMU runs as libvirt-qemu: it must pass through $VX_TMP (mktemp makes it
# 0700) and, for <source mode='server'>, create its socket in the socket
# directory. The sticky bit keeps it from removing the daemon's sockets there.
chmod 0711 "$VX_TMP"
install -d -o root -g "$QGROUP" -m 1770 "$SOCK"
# libvirt gives the kernel and the initrd to QEMU's user while the domain runs.
cp "$VX_GUEST_KERNEL" "$VX_TMP/vmlinuz"

# No --port: the hook adds them. --socket-dir after vx_daemon_start's own one.
vx_daemon_start --socket-dir "$SOCK"
rc=0
vx_wait_path "$CTL" 20 || rc=1
t_ok $rc "vhost-xdpd runs with no port, control socket $CTL"
[ $rc -eq 0 ] || { vx_done; exit; }

cat >"$VX_TMP/hook.conf" <<EOF
# written by tests/e2e/test_libvirt.sh
SOCKET_DIR=$SOCK
CTL_SOCKET=$CTL
VHOST_XDPCTL=$XCTL
SOCKET_GROUP=$QGROUP
SOCKET_MODE=0660
LOG_FILE=$VX_TMP/hook.log
SYSLOG=no
EOF
HOOKSRC=$VX_ROOT/contrib/libvirt/qemu
hook() { "$HOOKSRC" --config "$VX_TMP/hook.conf" "$@"; }
ports() { "$XCTL" -s "$CTL" port list --json; }
# Prints "name mode attached socket" per port.
ports_plain() {
	ports | python3 -c 'import json,sys
for p in json.load(sys.stdin): print(p["name"], p["mode"], str(p["attached"]).lower(), p["socket"])'
}
hashed() { # <domain> <index>: the hook's port name for a long domain name
	echo "x$(printf %s "$1" | sha256sum | cut -c1-10)-$2"
}

# --- the hook alone ----------------------------------------------------------
# XML as libvirt hands it over: index 0 a plain network interface, 1 in the
# socket directory (QEMU connects), 2 outside it, 3 in it (QEMU listens, two
# queue pairs). The domain name is too long for a port name: hashed.
hdom=vx-hook-only-domain-with-a-long-name
cat >"$VX_TMP/hook-only.xml" <<EOF
<domain type='qemu'>
  <name>$hdom</name>
  <devices>
    <interface type='network'><mac address='52:54:00:00:01:00'/><source network='default'/></interface>
    <interface type='vhostuser'><mac address='52:54:00:00:01:01'/>
      <source type='unix' path='$SOCK/h1.sock' mode='client'/><model type='virtio'/></interface>
    <interface type='vhostuser'><mac address='52:54:00:00:01:02'/>
      <source type='unix' path='$VX_TMP/elsewhere.sock' mode='server'/><model type='virtio'/></interface>
    <interface type='vhostuser'><mac address='52:54:00:00:01:03'/>
      <source type='unix' path='$SOCK/../sock/h3.sock' mode='server'/><model type='virtio'/>
      <driver queues='2'/></interface>
  </devices>
</domain>
EOF
h1=$(hashed $hdom 1)
h3=$(hashed $hdom 3)
want="$h1 server false $SOCK/h1.sock
$h3 client false $SOCK/h3.sock"
hook "$hdom" prepare begin - <"$VX_TMP/hook-only.xml" 2>"$VX_TMP/hook.err"
rc=$?
got=$(ports_plain | sort)
[ $rc -eq 0 ] && [ "$got" = "$(sort <<<"$want")" ] || rc=1
t_ok $rc "hook prepare: ports $h1 (daemon listens) and $h3 (daemon connects); interfaces 0 and 2 skipped"
[ $rc -eq 0 ] || { vx_diag "rc, ports:"; echo "$got" | sed 's/^/#   /'; sed 's/^/#   /' "$VX_TMP/hook.err"; }
perm=$(stat -c '%G %a' "$SOCK/h1.sock" 2>/dev/null)
t_ok "$([ "$perm" = "$QGROUP 660" ]; echo $?)" "hook prepare: the daemon's socket h1.sock is $QGROUP, 0660 ($perm)"
grep -q "interface 2: socket $VX_TMP/elsewhere.sock is not in $SOCK, skipped" "$VX_TMP/hook.log"
t_ok $? "hook prepare: the log says why interface 2 was skipped"
q=$("$XCTL" -s "$CTL" port show "$h3" | sed -n 's/^spec: //p')
[[ "$q" == *queues=2* ]]
t_ok $? "hook prepare: <driver queues='2'/> became queues=2 ($q)"

hook "$hdom" prepare begin - <"$VX_TMP/hook-only.xml" 2>"$VX_TMP/hook.err"
rc=$?
got=$(ports_plain | sort)
[ $rc -eq 0 ] && [ "$got" = "$(sort <<<"$want")" ] || rc=1
t_ok $rc "hook prepare again (ports left by an earlier start): replaced, still the same two ports"

hook "$hdom" release end - <"$VX_TMP/hook-only.xml"
rc=$?
got=$(ports_plain)
[ $rc -eq 0 ] && [ -z "$got" ] && [ ! -e "$SOCK/h1.sock" ] || rc=1
t_ok $rc "hook release: both ports removed, socket h1.sock gone"

sed "s|^CTL_SOCKET=.*|CTL_SOCKET=$VX_TMP/no-daemon.ctl|" "$VX_TMP/hook.conf" >"$VX_TMP/hook-nod.conf"
"$HOOKSRC" --config "$VX_TMP/hook-nod.conf" "$hdom" prepare begin - <"$VX_TMP/hook-only.xml" \
	2>"$VX_TMP/hook.err"
rc=$?
grep -q "no-daemon.ctl" "$VX_TMP/hook.err"
t_ok $(((rc != 1) | $?)) "hook prepare without a daemon: fails (rc $rc) naming the control socket"
echo "ON_ERROR=continue" >>"$VX_TMP/hook-nod.conf"
"$HOOKSRC" --config "$VX_TMP/hook-nod.conf" "$hdom" prepare begin - <"$VX_TMP/hook-only.xml" \
	2>/dev/null
t_ok $? "hook prepare without a daemon, ON_ERROR=continue: the domain may start"
"$HOOKSRC" --config "$VX_TMP/hook-nod.conf" "$hdom" release end - <"$VX_TMP/hook-only.xml" \
	2>/dev/null
t_ok $? "hook release without a daemon: exits 0"

# The shipped sample configuration is all defaults (SOCKET_DIR /run/vhost-xdp):
# the interface of this test's socket directory is skipped.
"$HOOKSRC" --config "$VX_ROOT/contrib/libvirt/libvirt-hook.conf" "$hdom" prepare begin - \
	<"$VX_TMP/hook-only.xml" 2>"$VX_TMP/hook.err"
rc=$?
[ -s "$VX_TMP/hook.err" ] && rc=1
t_ok $rc "hook: contrib/libvirt/libvirt-hook.conf is accepted, no warning"

# --- libvirt -----------------------------------------------------------------
[ -d /run/libvirt ] || made_run_libvirt=1
[ -d "$HOOKD" ] || { mkdir -p "$HOOKD" && made_hookd=1; }
printf '#!/bin/sh\n# tests/e2e/test_libvirt.sh, removed when it ends\nexec %s --config %s "$@"\n' \
	"$HOOKSRC" "$VX_TMP/hook.conf" >"$HOOK"
chmod 755 "$HOOK"

tl=$SECONDS
rc=0
if ! pgrep -x virtlogd >/dev/null; then
	virtlogd -d </dev/null >/dev/null 2>&1 {lockfd}>&- || rc=1
	started_logd=$(pid_file /run/virtlogd.pid) || rc=1
fi
LIBVIRT_LOG_OUTPUTS="3:file:$VX_TMP/libvirtd.log" libvirtd -d </dev/null >/dev/null 2>&1 {lockfd}>&- || rc=1
started_libvirtd=$(pid_file /run/libvirtd.pid) || rc=1
for ((i = 0; rc == 0 && i < 600; i++)); do
	vsh version >/dev/null 2>&1 && break
	sleep 0.1
done
vsh version >/dev/null 2>&1 || rc=1
t_ok $rc "libvirtd started (pid ${started_libvirtd:-none}), virsh connects to $URI"
vx_diag "timing: libvirtd up in $((SECONDS - tl)) s"
[ $rc -eq 0 ] || { vx_done; exit; }

# dom_xml <name> <mac> <initrd> <console> <interface XML...>
dom_xml() {
	local name=$1 mac=$2 initrd=$3 console=$4 itf
	shift 4
	cat <<EOF
<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>$name</name>
  <memory unit='MiB'>$VX_GUEST_MEM</memory>
  <vcpu>1</vcpu>
  <memoryBacking><source type='memfd'/><access mode='shared'/></memoryBacking>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$VX_TMP/vmlinuz</kernel>
    <initrd>$initrd</initrd>
    <cmdline>console=ttyS0 panic=-1 quiet vx.ip=$GUEST_IP/24 vx.name=$name</cmdline>
  </os>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
EOF
	for itf in "$@"; do
		echo "    $itf"
	done
	cat <<EOF
    <serial type='file'><source path='$console'/><target port='0'/></serial>
    <memballoon model='none'/>
  </devices>
  <qemu:override>
    <qemu:device alias='ua-net0'>
      <qemu:frontend><qemu:property name='vectors' type='unsigned' value='0'/></qemu:frontend>
    </qemu:device>
  </qemu:override>
</domain>
EOF
}
vhostuser() { # <alias> <mac> <socket> <libvirt mode>
	local rec=
	# QEMU connects again after losing the daemon only if told to (client mode only).
	[ "$4" = client ] && rec="<reconnect enabled='yes' timeout='1'/>"
	echo "<interface type='vhostuser'><mac address='$2'/><source type='unix' path='$3' mode='$4'>$rec</source><model type='virtio'/><alias name='$1'/></interface>"
}

# A start the hook refuses: the second interface's socket belongs to a port
# with another MAC. libvirt must not start QEMU, and the first interface's
# port must be gone again.
cdom=vxx$VX_ID
"$XCTL" -s "$CTL" port add name=other,mac=52:54:00:00:02:99,socket=taken.sock >/dev/null
dom_xml "$cdom" - "$VX_TMP/vmlinuz" "$VX_TMP/$cdom.log" \
	"$(vhostuser ua-net0 52:54:00:00:02:00 "$SOCK/free.sock" client)" \
	"$(vhostuser ua-net1 52:54:00:00:02:01 "$SOCK/taken.sock" client)" >"$VX_TMP/$cdom.xml"
domains+=("$cdom")
vsh create "$VX_TMP/$cdom.xml" >"$VX_TMP/create.out" 2>&1
rc=$?
got=$(ports_plain | cut -d' ' -f1 | tr '\n' ' ')
rc2=1
[ $rc -ne 0 ] && grep -q "already belongs to port other" "$VX_TMP/create.out" &&
	[ "$got" = "other " ] && ! vsh domstate "$cdom" >/dev/null 2>&1 && rc2=0
t_ok $rc2 "virsh create refused by the hook with its reason; the first interface's port removed again (ports: $got)"
[ $rc2 -eq 0 ] || sed 's/^/#   /' "$VX_TMP/create.out"
"$XCTL" -s "$CTL" port del other >/dev/null

# One guest per libvirt socket mode. The short domain name gives a port named
# DOMAIN-0, the long one a hashed name.
run_mode() { # <libvirt mode> <domain> <mac>
	local lmode=$1 dom=$2 mac=$3 dmode pname sock=$SOCK/lv-$1.sock rc n ts
	if [ "$lmode" = client ]; then dmode=server; else dmode=client; fi
	if [ ${#dom} -le 13 ]; then pname=$dom-0; else pname=$(hashed "$dom" 0); fi
	vx_diag "libvirt <source mode='$lmode'>: domain $dom, port $pname, daemon in $dmode mode"
	cat >"$VX_TMP/$dom.sh" <<EOF
ping -c 5 -W 2 $VX_PEER_IP >/tmp/ping.out 2>&1
echo "VXGUEST-MARK ping replies=\$(grep -c 'bytes from' /tmp/ping.out)"
sleep 3600
EOF
	_vx_guest_initrd "$VX_TMP/$dom.sh" "$VX_TMP/$dom.initrd" || return 1
	dom_xml "$dom" "$mac" "$VX_TMP/$dom.initrd" "$VX_TMP/$dom.log" \
		"$(vhostuser ua-net0 "$mac" "$sock" "$lmode")" >"$VX_TMP/$dom.xml"
	domains+=("$dom")
	ts=$SECONDS
	vsh create "$VX_TMP/$dom.xml" >"$VX_TMP/create.out" 2>&1
	rc=$?
	t_ok $rc "[$lmode] virsh create $dom"
	if [ $rc -ne 0 ]; then
		sed 's/^/#   /' "$VX_TMP/create.out"
		return 1
	fi
	grep -qx "$pname $dmode [a-z]* $sock" <<<"$(ports_plain)"
	t_ok $? "[$lmode] the hook added port $pname, daemon in $dmode mode, socket $sock"

	# The console file belongs to libvirt's QEMU; vx_guest_wait reads it the same way.
	VX_GUEST_PID[$dom]=$(pgrep -f "guest=$dom," | head -n1)
	cp /dev/null "$VX_TMP/$dom.qemu.log"
	vx_guest_wait "$dom" 'VXGUEST-MARK ping' "$TMO"
	n=$(vx_guest_field "$dom" 'VXGUEST-MARK ping' replies)
	t_ok $((${n:-0} < 4)) "[$lmode] e2e-slow: the guest pings the peer $VX_PEER_IP (${n:-no} of 5 replies)"
	vx_diag "timing: [$lmode] virsh create to the guest's pings $((SECONDS - ts)) s"
	if [ "${n:-0}" -lt 4 ]; then
		vx_guest_dump "$dom" 20
		tail -n 5 "/var/log/libvirt/qemu/$dom.log" | sed 's/^/#   qemu: /'
	fi
	vx_in_peer ping -c 3 -W 2 "$GUEST_IP" >"$VX_TMP/ping-guest.log" 2>&1
	t_ok $? "[$lmode] the peer pings the guest $GUEST_IP"
	grep -qx "$pname $dmode true $sock" <<<"$(ports_plain)"
	t_ok $? "[$lmode] port $pname attached (vhost-xdpctl port list)"

	# What README says to do after the daemon lost its ports (a restart): run
	# the hook by hand. QEMU reconnects (client) or the daemon connects (server).
	"$XCTL" -s "$CTL" port del "$pname" >/dev/null
	vsh dumpxml "$dom" | hook "$dom" prepare begin - 2>"$VX_TMP/hook.err"
	rc=$?
	[ $rc -eq 0 ] || sed 's/^/#   /' "$VX_TMP/hook.err"
	for ((i = 0; rc == 0 && i < 300; i++)); do
		grep -qx "$pname $dmode true $sock" <<<"$(ports_plain)" && break
		sleep 0.1
	done
	grep -qx "$pname $dmode true $sock" <<<"$(ports_plain)" || rc=1
	t_ok $rc "[$lmode] port deleted behind libvirt's back, the hook run by hand adds it again, QEMU attached again ($((i / 10)) s)"
	vx_in_peer ping -c 3 -w 20 "$GUEST_IP" >"$VX_TMP/ping-guest.log" 2>&1
	t_ok $? "[$lmode] the peer pings the guest again"

	vsh destroy "$dom" >"$VX_TMP/destroy.out" 2>&1
	rc=$?
	vsh domstate "$dom" >/dev/null 2>&1 && rc=1
	t_ok $rc "[$lmode] virsh destroy $dom ends the domain"
	unset "VX_GUEST_PID[$dom]"
	rc=1
	for ((i = 0; i < 100; i++)); do
		! grep -q "^$pname " <<<"$(ports_plain)" && [ ! -e "$sock" ] && { rc=0; break; }
		sleep 0.1
	done
	t_ok $rc "[$lmode] the hook removed port $pname; $sock is gone"
	kill -0 "$VX_DAEMON_PID" 2>/dev/null
	t_ok $? "[$lmode] vhost-xdpd still runs"
}

run_mode client "vxc$VX_ID" 52:54:00:00:00:02
run_mode server "vx-libvirt-server-$VX_ID" 52:54:00:00:00:03

# The errors asked for above: the refused start and the missing daemon.
n=$(grep ' error ' "$VX_TMP/hook.log" | grep -cv -e 'already belongs to port other' -e 'no-daemon.ctl')
t_ok "$n" "no other error in the hook's log ($n)"

vx_daemon_stop
t_ok "$([ "${VX_DAEMON_RC:-1}" = 0 ]; echo $?)" "vhost-xdpd exits 0 on SIGTERM"
vx_diag "timing: total $((SECONDS - t0)) s"
vx_done
