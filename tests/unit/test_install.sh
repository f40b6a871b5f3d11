#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make install / uninstall into a scratch DESTDIR, no root needed and no
# network: every file lands where PREFIX and DESTDIR say; systemd-analyze
# verify has nothing to say about the unit; man finds no roff problem in
# the pages; the pages and the bash completion cover every option of
# `vhost-xdpd --help`; the completion completes options, values, port
# SPEC keys and (through vhost-xdpctl) port names; bash-completion's loader
# finds it under both command names; uninstall leaves the administrator's
# files.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../lib/ns.sh"
trap 'rm -rf "$VX_TMP"' EXIT

VXD=$VX_BUILD/vhost-xdpd
[ -x "$VXD" ] || vx_skip_all "no $VXD (run make)"
for t in make man systemd-analyze; do
	command -v "$t" >/dev/null || vx_skip_all "no $t (tools/install-deps.sh)"
done

# mk <make arguments>: quiet unless it fails.
mk() {
	make -s -C "$VX_ROOT" BUILD="$VX_BUILD" "$@" >"$VX_TMP/make.log" 2>&1 && return 0
	sed 's/^/# /' "$VX_TMP/make.log"
	return 1
}
# The files one install makes, relative to DESTDIR, for a PREFIX and SYSCONFDIR.
expected() { # expected <prefix> <sysconfdir>
	local p=${1#/} e=${2#/}
	printf '%s\n' "$p/sbin/vhost-xdpd" \
		"$p/share/man/man8/vhost-xdpd.8" "$p/share/man/man8/vhost-xdpctl.8" \
		"$p/share/bash-completion/completions/vhost-xdpd" \
		"$p/share/bash-completion/completions/vhost-xdpctl" \
		"$p/lib/systemd/system/vhost-xdpd@.service" \
		"$e/vhost-xdp/ports.example" "$e/vhost-xdp/env.example"
	[ -x "$VX_BUILD/vhost-xdpctl" ] && echo "$p/sbin/vhost-xdpctl"
	return 0
}
# Every file under a directory, relative to it, sorted.
files_in() { (cd "$1" && find . -type f -o -type l) | sed 's|^\./||' | sort; }
same_files() { # same_files <dir> <prefix> <sysconfdir>
	diff <(expected "$2" "$3" | sort) <(files_in "$1") >"$VX_TMP/diff" && return 0
	sed 's/^/# /' "$VX_TMP/diff"
	return 1
}

# --- 1. DESTDIR + PREFIX=/usr, as a package build would ---
D=$VX_TMP/destdir
mk install DESTDIR="$D" PREFIX=/usr
vx_ok $? "make install DESTDIR=... PREFIX=/usr"
vx_check "exactly the expected files under DESTDIR, nothing else" same_files "$D" /usr /etc
vx_check "vhost-xdpctl installed executable, identical to the build" \
	cmp -s "$VX_BUILD/vhost-xdpctl" "$D/usr/sbin/vhost-xdpctl"
vx_check "vhost-xdpd installed executable, identical to the build" \
	cmp -s "$VXD" "$D/usr/sbin/vhost-xdpd"
vx_check "  mode 0755" test "$(stat -c %a "$D/usr/sbin/vhost-xdpd")" = 755
UNIT=$D/usr/lib/systemd/system/vhost-xdpd@.service
vx_check "unit: ExecStart is /usr/sbin/vhost-xdpd, files in /etc/vhost-xdp" \
	grep -qx 'ExecStart=/usr/sbin/vhost-xdpd --nic %i --config /etc/vhost-xdp/%i.ports $VHOST_XDPD_OPTS' "$UNIT"
vx_check "no @VARIABLE@ left in the unit or the examples" \
	bash -c "! grep -n '@[A-Z]*@' '$UNIT' '$D/etc/vhost-xdp/'*"
vx_check "unit, pages, completion and examples are mode 0644" \
	bash -c "cd '$D' && [ -z \"\$(find usr/lib usr/share etc -type f ! -perm 0644)\" ]"
vx_check "the two completion names hold the same file" \
	cmp -s "$D/usr/share/bash-completion/completions/vhost-xdpd" \
	"$D/usr/share/bash-completion/completions/vhost-xdpctl"

# --- 2. uninstall keeps what the administrator wrote ---
echo "name=vm0,mac=52:54:00:12:34:56" >"$D/etc/vhost-xdp/eth0.ports"
mk uninstall DESTDIR="$D" PREFIX=/usr
vx_ok $? "make uninstall"
vx_check "only the administrator's eth0.ports is left" \
	test "$(files_in "$D")" = etc/vhost-xdp/eth0.ports
rm "$D/etc/vhost-xdp/eth0.ports"
mk uninstall DESTDIR="$D" PREFIX=/usr
vx_ok $? "uninstall again: nothing left to remove is no error"
vx_check "  ...and the empty /etc/vhost-xdp goes" \
	bash -c "[ ! -e '$D/etc/vhost-xdp' ] && [ -z \"\$(find '$D' ! -type d)\" ]"

# --- 3. the defaults: PREFIX=/usr/local, SYSCONFDIR=/etc ---
mk install DESTDIR="$VX_TMP/defaults"
vx_ok $? "make install DESTDIR=... with the default PREFIX"
vx_check "files under /usr/local, examples under /etc" same_files "$VX_TMP/defaults" /usr/local /etc
vx_check "unit: ExecStart is /usr/local/sbin/vhost-xdpd" \
	grep -q '^ExecStart=/usr/local/sbin/vhost-xdpd ' \
	"$VX_TMP/defaults/usr/local/lib/systemd/system/vhost-xdpd@.service"

# --- 4. systemd-analyze verify ---
# verify wants ExecStart's program and the Documentation= pages where the
# unit says, so this install goes to a PREFIX (no DESTDIR) inside the scratch
# directory; an instance name is verified through a copy named like one.
P=$VX_TMP/prefix
mk install PREFIX="$P" SYSCONFDIR="$P/etc"
vx_ok $? "make install PREFIX=<scratch> SYSCONFDIR=<scratch>/etc"
mkdir -p "$VX_TMP/verify"
cp "$P/lib/systemd/system/vhost-xdpd@.service" "$VX_TMP/verify/vhost-xdpd@eth0.service"
verify() { # verify <unit file>: no output at all, exit 0
	local out rc
	out=$(cd "$VX_TMP/verify" && MANPATH=$P/share/man systemd-analyze verify "$1" 2>&1)
	rc=$?
	[ -n "$out" ] && echo "$out" | sed 's/^/# /'
	[ $rc -eq 0 ] && [ -z "$out" ]
}
vx_check "systemd-analyze verify vhost-xdpd@eth0.service: exit 0, no output" \
	verify "$VX_TMP/verify/vhost-xdpd@eth0.service"
vx_check "systemd-analyze verify of the template itself: exit 0, no output" \
	verify "$P/lib/systemd/system/vhost-xdpd@.service"
# verify exits 0 on an unknown key; the check above must see its warning.
sed 's/^NoNewPrivileges=yes$/&\nNoSuchSetting=1/' "$VX_TMP/verify/vhost-xdpd@eth0.service" \
	>"$VX_TMP/verify/vhost-xdpd@eth1.service"
vx_check "  (a unit with an unknown key does fail that check)" \
	bash -c "$(declare -f verify); VX_TMP='$VX_TMP' P='$P'; ! verify '$VX_TMP/verify/vhost-xdpd@eth1.service' >/dev/null"

# --- 5. man pages ---
for page in vhost-xdpd vhost-xdpctl; do
	f=$D.pages/$page.8
	mkdir -p "${f%/*}"
	cp "$VX_ROOT/man/$page.8" "$f"
	out=$(LC_ALL=C MANWIDTH=80 man --warnings -E UTF-8 -l "$f" 2>&1 >/dev/null)
	[ -n "$out" ] && echo "$out" | sed 's/^/# /'
	vx_ok "$([ -z "$out" ] && echo 0 || echo 1)" "man --warnings $page.8: no warning"
	vx_check "  its NAME line parses (lexgrog)" bash -c "lexgrog '$f' >/dev/null 2>&1 || ! command -v lexgrog >/dev/null"
done
# The long options and words of each command's --help against its man page
# and the completion.
grep -o -- '--[a-z][a-z-]*' "$VX_ROOT/dist/vhost-xdp.bash-completion" | sort -u >"$VX_TMP/opts.comp"
covers() { # covers <program>: --help's long options in <program>.8 and the completion
	local prog=$1 missing
	"$VX_BUILD/$prog" --help | grep -o -- '--[a-z][a-z-]*' | sort -u >"$VX_TMP/opts.help"
	grep -o '\\-\\-[a-z][a-z\\-]*' "$VX_ROOT/man/$prog.8" | tr -d '\\' | sort -u >"$VX_TMP/opts.man"
	vx_diag "$prog --help lists $(wc -l <"$VX_TMP/opts.help") long options"
	missing=$(comm -23 "$VX_TMP/opts.help" "$VX_TMP/opts.man" | tr '\n' ' ')
	vx_ok "$([ -z "$missing" ] && echo 0 || echo 1)" "$prog.8 describes every option of --help${missing:+ (missing: $missing)}"
	missing=$(comm -23 "$VX_TMP/opts.help" "$VX_TMP/opts.comp" | tr '\n' ' ')
	vx_ok "$([ -z "$missing" ] && echo 0 || echo 1)" "the completion offers every option of $prog --help${missing:+ (missing: $missing)}"
}
covers vhost-xdpd
covers vhost-xdpctl
{
	# Its commands: the first word of each "  port add ..." / "  stats ..." line.
	"$VX_BUILD/vhost-xdpctl" --help | sed -n 's/^  \(port [a-z]*\|[a-z][a-z]*\) .*/\1/p' |
		grep -v '^-' | sort -u >"$VX_TMP/cmds.help"
	missing=
	while read -r c; do
		grep -q "^\.B[I]* \"*$c" "$VX_ROOT/man/vhost-xdpctl.8" || missing+="'$c' "
	done <"$VX_TMP/cmds.help"
	vx_ok "$([ -z "$missing" ] && echo 0 || echo 1)" "vhost-xdpctl.8 describes every command of --help${missing:+ (missing: $missing)}"
}

# --- 6. bash completion ---
COMP=$D.comp
mkdir -p "$COMP"
cp "$VX_ROOT/dist/vhost-xdp.bash-completion" "$COMP/vhost-xdp"
vx_check "bash -n on the completion file" bash -n "$COMP/vhost-xdp"
# A fake vhost-xdpctl that logs its arguments and lists two ports as JSON.
mkdir -p "$COMP/bin"
cat >"$COMP/bin/vhost-xdpctl" <<EOF
#!/bin/sh
echo "\$*" >>"$COMP/ctl-args"
echo '[{"name": "vm0", "mac": "52:54:00:00:00:01"}, {"name":"web-1","vlan":5}]'
EOF
chmod +x "$COMP/bin/vhost-xdpctl"
# complete <command line>: prints COMPREPLY, one per line, from a clean
# non-interactive bash that sourced only the completion file.
complete_line() {
	env -i PATH="$COMP/bin:/usr/bin:/bin" bash --norc --noprofile -c '
		. "$1"
		COMP_WORDBREAKS=$3
		COMP_LINE=$2
		COMP_POINT=${#COMP_LINE}
		read -r -a COMP_WORDS <<<"$COMP_LINE"
		[[ $COMP_LINE == *" " ]] && COMP_WORDS+=("")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		f=$(complete -p "${COMP_WORDS[0]}" | sed -n "s/.*-F \([^ ]*\).*/\1/p")
		"$f"
		printf "%s\n" "${COMPREPLY[@]}"' complete "$COMP/vhost-xdp" "$1" \
		$' \t\n"\'><=;|&(:'   # bash's default COMP_WORDBREAKS
}
comp_is() { # comp_is <expected, space-separated> <command line>
	local got
	got=$(complete_line "$2" | tr '\n' ' ')
	got=${got% }
	[ "$got" = "$1" ] && return 0
	vx_diag "'$2': got '$got', want '$1'"
	return 1
}
vx_check "vhost-xdpd --ni -> --nic" comp_is "--nic" "vhost-xdpd --ni"
vx_check "vhost-xdpd --stats-f -> --stats-file --stats-format" \
	comp_is "--stats-file --stats-format" "vhost-xdpd --stats-f"
vx_check "vhost-xdpd --zero-copy o -> on off" comp_is "on off" "vhost-xdpd --zero-copy o"
vx_check "vhost-xdpd --log-level=d -> debug (after '=')" comp_is "debug" "vhost-xdpd --log-level=d"
nic=$(ls /sys/class/net | grep -vx lo | head -n 1)
if [ -n "$nic" ]; then
	vx_check "vhost-xdpd --nic <first letters> -> a NIC from /sys/class/net ($nic)" \
		bash -c "$(declare -f complete_line); COMP='$COMP'; complete_line 'vhost-xdpd --nic ${nic:0:1}' | grep -qx '$nic'"
else
	vx_ok 0 "vhost-xdpd --nic: no NIC but lo here # SKIP"
fi
vx_check "vhost-xdpd --nic: lo is not offered" \
	bash -c "$(declare -f complete_line); COMP='$COMP'; ! complete_line 'vhost-xdpd --nic ' | grep -qx lo"
# After "mac=52:54:...," readline replaces only the text after the last ':'.
vx_check "--port mac=...:56,mo -> mode= (the word after the last ':')" \
	comp_is "56,mode=" "vhost-xdpd --port mac=52:54:00:12:34:56,mo"
vx_check "--port name=a,mode=c -> client" comp_is "client" "vhost-xdpd --port name=a,mode=c"
vx_check "--port name=a,q -> queues= queue=" comp_is "a,queues= a,queue=" "vhost-xdpd --port name=a,q"
vx_check "vhost-xdpctl <tab> -> port stats reload" comp_is "port stats reload" "vhost-xdpctl "
vx_check "vhost-xdpctl --so -> --socket --socket-dir" comp_is "--socket --socket-dir" "vhost-xdpctl --so"
vx_check "vhost-xdpctl -i eth9 port <tab> -> add del list show" \
	comp_is "add del list show" "vhost-xdpctl -i eth9 port "
vx_check "vhost-xdpctl -i eth9 port del <tab> -> the names from port list --json" \
	comp_is "vm0 web-1" "vhost-xdpctl -i eth9 port del "
vx_check "  ...asked of the same daemon (-i eth9 port list --json)" \
	grep -qx -- "-i eth9 port list --json" "$COMP/ctl-args"
vx_check "vhost-xdpctl -s /x.ctl port show w -> web-1" comp_is "web-1" "vhost-xdpctl -s /x.ctl port show w"
vx_check "  (--nic=eth8 --socket-dir /d is passed on as written)" \
	grep -qx -- "--nic=eth8 --socket-dir /d port list --json" \
	<(complete_line "vhost-xdpctl --nic=eth8 --socket-dir /d port del " >/dev/null; tail -n 1 "$COMP/ctl-args")
vx_check "vhost-xdpctl port add mac=...:01,na -> name=" \
	comp_is "01,name=" "vhost-xdpctl port add mac=52:54:00:00:00:01,na"
vx_check "vhost-xdpctl stats - -> --json --prometheus" comp_is "--json --prometheus" "vhost-xdpctl stats -"
vx_check "vhost-xdpd --stats-format=j -> json" comp_is "json" "vhost-xdpd --stats-format=j"

# bash-completion's loader finds the installed files by command name.
BC=/usr/share/bash-completion/bash_completion
mk install DESTDIR="$D" PREFIX=/usr
loaded() { # loaded <command>: `complete -p` after bash-completion loaded it
	env -i HOME="$VX_TMP" XDG_DATA_DIRS="$D/usr/share" bash --norc --noprofile -c '
		. "$1" && __load_completion "$2" && complete -p "$2"' load "$BC" "$1" 2>&1
}
if [ -r "$BC" ]; then
	vx_check "bash-completion loads vhost-xdpd's from DESTDIR/usr/share" \
		bash -c "$(declare -f loaded); BC='$BC' D='$D' VX_TMP='$VX_TMP'; loaded vhost-xdpd | grep -q -- '-F _vhost_xdpd vhost-xdpd$'"
	vx_check "  ...and vhost-xdpctl's" \
		bash -c "$(declare -f loaded); BC='$BC' D='$D' VX_TMP='$VX_TMP'; loaded vhost-xdpctl | grep -q -- '-F _vhost_xdpctl vhost-xdpctl$'"
else
	vx_ok 0 "bash-completion's loader # SKIP no $BC"
fi
vx_done
