#!/bin/bash
# tools/mkman.sh: blimp's man pages and default config, generated from the binaries'
# own tables so they cannot drift from the code: `blimpd --help` (its flags),
# `blimpd --print-config` (the settings table in src/daemon/config.c, which also
# makes docs/settings.md), `blimp --help` (the command table in src/cli/commands.c)
# and each `blimp COMMAND --help`.
#
#   tools/mkman.sh blimpd BLIMPD          > blimpd.8
#   tools/mkman.sh conf5 BLIMPD           > blimpd.conf.5
#   tools/mkman.sh blimp BLIMP            > blimp.1
#   tools/mkman.sh guestbuild WRAPPER     > blimp-guest-build.8
#   tools/mkman.sh conf BLIMPD [KEY=VALUE...] > blimpd.conf (every key commented
#       out at its default; KEY=VALUE pairs are set instead)
#   tools/mkman.sh check BLIMPD BLIMP DIR   every setting, flag and command in DIR/*.[158]
# The date is SOURCE_DATE_EPOCH's (dpkg-buildpackage sets it), else today.
set -euo pipefail
export LC_ALL=C

die() {
	echo "mkman: $*" >&2
	exit 1
}
[ $# -ge 2 ] || die "usage: mkman.sh blimpd|conf5|blimp|guestbuild|conf|check BINARY..."
what=$1
bin=$2
shift 2
[ -x "$bin" ] || die "$bin: not an executable"
date=$(date -u -d "@${SOURCE_DATE_EPOCH:-$(date +%s)}" +%Y-%m-%d)

# The settings table, defaults only: no system config file is read.
settings() { "$bin" --config /dev/null --print-config; }
version() { "$bin" --version 2>/dev/null | awk '{ print $2; exit }'; }

# Escape text for troff: backslashes, then a leading . or ' (a request otherwise).
esc() { sed -e 's/\\/\\e/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"; }

# Help text (stdin) to man source: a line at column 0 is prose; an indented line is an
# item, TERM and description split at the first run of two spaces; a line indented
# further continues the item (or the usage line above).
help2man_body() {
	esc | awk '
	function flush() { if (term != "") { printf ".TP\n.B %s\n%s\n", term, desc; term = "" } }
	{ ind = match($0, /[^ ]/) - 1 }
	ind >= 9 { sub(/^ +/, ""); if (term != "") desc = desc " " $0; else print; next }
	ind >= 1 {
		flush(); sub(/^ +/, "")
		if (match($0, /  +/)) { term = substr($0, 1, RSTART - 1); desc = substr($0, RSTART + RLENGTH) }
		else { term = $0; desc = "" }
		gsub(/-/, "\\-", term)
		next
	}
	/^$/ { flush(); print ".PP"; next }
	{ flush(); print }
	END { flush() }'
}

case $what in
blimpd)
	help=$("$bin" --help)
	cat <<MAN
.TH BLIMPD 8 "$date" "blimp $(version)" "System Administration"
.SH NAME
blimpd \- blimp's host memory scheduler for libvirt/QEMU guests
.SH SYNOPSIS
.B blimpd
[\fIOPTIONS\fR]
.SH DESCRIPTION
MAN
	# the help text less its usage line and its options: the description
	echo "$help" | sed -n '2,/^$/p' | sed '/^$/d' | esc
	cat <<'MAN'
.PP
blimpd sets each VM's balloon target through libvirt, tunes KSM, and in hard or low
memory state may limit VMs' cgroups to push idle memory to host swap. It divides the
memory budget by shares, reservations, limits and the idle memory tax. It reads its
settings from blimpd.conf(5); the flags below override the file.
.SH OPTIONS
MAN
	echo "$help" | sed -n '/^$/,/^$/p' | sed '/^$/d' | help2man_body
	echo "$help" | sed -n '/^  --help/,$p' | sed '1,/^$/d' | esc
	cat <<'MAN'
.SH SIGNALS
SIGTERM and SIGINT end blimpd in order: the stats periods and balloon targets it set
on domains it did not start go back (on_exit=restore), KSM, cgroup limits, swap and
zswap settings go back to what it found, and the VMs it started stop (unless
keep_vms). SIGKILL skips all that; the next blimpd restores what the previous one
recorded in the state directory.
.PP
SIGHUP reads the settings again (defaults, the file and its drop-ins, then the
flags blimpd was started with) and applies the runtime keys (blimpd.conf(5)), or
refuses the whole set, keeping the settings in force, if a value is bad or a
restart key differs; the log and the config_refused event say why.
.SH SYSTEMD
Started by systemd (Type=notify), blimpd reports READY=1 once its control socket
serves, a STATUS= line (VMs running, budget, host state) every few seconds,
WATCHDOG=1 when the unit sets WatchdogSec, STOPPING=1 when it begins to exit, and
RELOADING=1 then READY=1 around a SIGHUP reload (systemctl reload blimpd).
.SH EXIT STATUS
0 after an orderly exit, 1 on a runtime failure (libvirt, the control socket),
2 for a configuration blimpd cannot honour (one line on standard error says which),
3 when another blimpd holds the host's lock (the message names its pid and state
directory).
.SH FILES
.TP
.I /etc/blimp/blimpd.conf
settings, section [blimpd]; drop-ins in
.I /etc/blimp/blimpd.conf.d/*.conf
.TP
.I /var/lib/blimp
the state directory: host-originals and domain-originals (what blimpd changed, for
the next run to restore after a crash), embedded libvirt, per-VM files, the swap
file if swapfile_size is set, the built-in guest in guest/
.TP
.I /run/blimp/blimpd.sock
the control socket blimp(1) talks to (mode 0600)
.SH ENVIRONMENT
.TP
.B BLIMPD_CONFIG
the settings file when \-\-config is not given, instead of
.IR /etc/blimp/blimpd.conf ;
empty: no settings file (a source checkout's tests set it so)
.SH SEE ALSO
.BR blimp (1),
.BR blimpd.conf (5),
.BR blimp-guest-build (8),
.BR virsh (1)
MAN
	;;
conf5)
	cat <<MAN
.TH BLIMPD.CONF 5 "$date" "blimp $(version)" "File Formats"
.SH NAME
blimpd.conf \- settings of blimpd(8)
.SH SYNOPSIS
.I /etc/blimp/blimpd.conf
.br
.I /etc/blimp/blimpd.conf.d/*.conf
.SH DESCRIPTION
An INI file: every key sits in section [blimpd]. blimpd reads the file, then the
drop-ins in name order (a later file wins), then its command-line flags (which win
over files). Lines starting with ; or # are comments. Unknown keys, values out of
range and keys outside [blimpd] are errors that name the file and line; blimpd then
exits with status 2. A key marked restart is read at start: change it and restart
blimpd. A key marked runtime also changes while blimpd runs: on SIGHUP (systemctl
reload blimpd) blimpd reads the files again and applies them, or refuses them
whole and keeps the settings in force; \fBblimp config set\fR KEY=VALUE changes
one until the next reload or restart (it is written to no file).
.PP
Types: \fIsize\fR takes a K/M/G/T suffix (powers of 1024); \fIratio\fR takes 0.75
or 75%; \fIbool\fR takes true/false, yes/no, on/off, 1/0; \fIpath\fR is absolute.
.SH SETTINGS
MAN
	# print-config: "; help", "; type, range, default "x", when", "key = value"
	settings | esc | awk '
	/^\[/ { next }
	/^; / && help == "" { help = substr($0, 3); next }
	/^; / { meta = substr($0, 3); next }
	/=/ {
		key = $1
		printf ".TP\n.B %s\n%s\n.br\n(%s)\n", key, help, meta
		help = ""
	}'
	cat <<'MAN'
.SH EXAMPLE
.nf
[blimpd]
connect_uri = qemu:///system
host_mem = 12G
swapfile_size = 4G
.fi
.SH FILES
.I /etc/blimp/blimpd.conf
.SH SEE ALSO
.BR blimpd (8),
.BR blimp (1)
MAN
	;;
blimp)
	help=$("$bin" --help)
	cat <<MAN
.TH BLIMP 1 "$date" "blimp $(version)" "User Commands"
.SH NAME
blimp \- the command-line client of blimpd, blimp's memory scheduler
.SH SYNOPSIS
.B blimp
[\fB\-s\fR \fIPATH\fR] \fICOMMAND\fR [\fIARGS\fR...]
.SH DESCRIPTION
MAN
	echo "$help" | sed -n 2p | esc
	echo ".SH OPTIONS"
	echo "$help" | sed -n '/^Options:/,/^$/p' | sed '1d;/^$/d' | help2man_body
	echo ".SH COMMANDS"
	cmds=$(echo "$help" | sed -n '/^Commands:/,/^$/p' | awk 'NR > 1 && NF { print $1 }')
	for c in $cmds; do
		h=$("$bin" "$c" --help) || die "blimp $c --help failed"
		echo ".SS $c"
		# the usage line (and its continuations) as the subsection's synopsis
		echo "$h" | awk 'NR == 1 || (s && /^         /) { s = 1; sub(/^ +/, ""); sub(/^[Uu]sage: /, ""); print; next } { exit }' |
			esc | sed 's/^/.B /'
		echo ".PP"
		echo "$h" | awk 'NR == 1 { s = 1; next } s && /^         / { next } { s = 0; print }' | help2man_body
	done
	echo ".SH EXIT STATUS"
	echo "$help" | sed -n '/^Exit status:/,$p' | sed 's/^Exit status: //' | esc
	cat <<'MAN'
.SH ENVIRONMENT
.TP
.B BLIMP_SOCKET
blimpd's control socket, if \-s is not given
.SH SEE ALSO
.BR blimpd (8),
.BR blimpd.conf (5)
MAN
	;;
guestbuild)
	help=$("$bin" --help)
	cat <<MAN
.TH BLIMP-GUEST-BUILD 8 "$date" "blimp" "System Administration"
.SH NAME
blimp-guest-build \- build blimp's built-in guest from Debian packages
.SH SYNOPSIS
.B blimp-guest-build
.SH DESCRIPTION
MAN
	echo "$help" | sed 1d | help2man_body
	cat <<'MAN'
.SH SEE ALSO
.BR blimpd (8),
.BR blimp (1)
MAN
	;;
conf)
	cat <<'CONF'
# blimpd's settings (blimpd.conf(5); the table: docs/settings.md).
# Every key is listed at its default, commented out; uncomment to change it, or put
# changes in /etc/blimp/blimpd.conf.d/NAME.conf. Restart blimpd to apply.
CONF
	settings | awk -v sets="$*" '
	BEGIN { n = split(sets, a, " "); for (i = 1; i <= n; i++) { k = a[i]; sub(/=.*/, "", k); v = a[i]; sub(/^[^=]*=/, "", v); set[k] = v } }
	/^\[/ { print; next }
	/^; / && help == "" { help = substr($0, 3); next }
	/^; / { meta = substr($0, 3); next }
	/=/ {
		key = $1
		def = meta; sub(/.*default "/, "", def); sub(/".*/, "", def)
		printf "\n# %s\n# %s\n", help, meta
		if (key in set) {
			printf "# set here, unlike blimpd'\''s built-in default (docs/operators.md says why)\n"
			printf "%s = %s\n", key, set[key]; done[key] = 1
		}
		else printf "#%s = %s\n", key, def
		help = ""
	}
	END { for (k in set) if (!(k in done)) { print "mkman: unknown key " k > "/dev/stderr"; exit 1 } }'
	;;
check)
	[ $# -eq 2 ] || die "usage: mkman.sh check BLIMPD BLIMP DIR"
	cli=$1
	dir=$2
	fail=0
	miss() {
		echo "mkman: $2 missing from $1" >&2
		fail=1
	}
	for k in $(settings | awk -F' = ' '/^[a-z_0-9]+ = / { print $1 }'); do
		grep -q "^\.B $k\$" "$dir/blimpd.conf.5" || miss blimpd.conf.5 "setting $k"
		grep -q "^#\?$k = " "$dir/blimpd.conf" || miss blimpd.conf "setting $k"
	done
	for f in $("$bin" --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
		grep -qF -- "${f//-/\\-}" "$dir/blimpd.8" || miss blimpd.8 "flag $f"
	done
	for f in $("$cli" --help | sed -n '/^Options:/,/^$/p' | grep -o -- '--[a-z][a-z-]*' | sort -u); do
		grep -qF -- "${f//-/\\-}" "$dir/blimp.1" || miss blimp.1 "flag $f"
	done
	for c in $("$cli" --help | sed -n '/^Commands:/,/^$/p' | awk 'NR > 1 && NF { print $1 }'); do
		grep -q "^\.SS $c\$" "$dir/blimp.1" || miss blimp.1 "command $c"
	done
	[ $fail = 0 ] && echo "mkman: every setting, flag and command is in $dir"
	exit $fail
	;;
*) die "unknown page $what" ;;
esac
