# SPDX-License-Identifier: GPL-2.0
# Shared by the bench wrappers (scripts/bench, bench-loss, bench-flood,
# bench-apps: set up, build, boot the stock kernel with the guest half) and
# their guest halves (scripts/bench*-guest: namespaces joined by veth,
# medians of the rounds, the table's cells).  Sources lib.sh.
# shellcheck shell=bash

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# --- the host half

BENCH_DRY=0		# --dry-run: print the VM's command, build and boot nothing
BENCH_VM_ARGS=()

# bench_passthrough OPTS ARGS...: a wrapper's command line ARGS into
# BENCH_ARGS, for its guest half: the options named in OPTS (a space-
# separated list, each takes a value) as given; --dry-run sets BENCH_DRY,
# -h/--help prints the wrapper's header; anything else is an error.
bench_passthrough() {
	local opts=" $1 "

	shift
	BENCH_ARGS=()
	while [ $# -gt 0 ]; do
		case $1 in
		--dry-run) BENCH_DRY=1; shift ;;
		-h|--help) tcpx_usage; exit 0 ;;
		*)
			[[ $opts == *" $1 "* ]] || tcpx_die "unknown option $1 (see --help)"
			BENCH_ARGS+=("$1" "$2")
			shift 2
			;;
		esac
	done
}

# bench_prepare MODULE [HINT]: scripts/setup if needed and, with MODULE=1,
# tcpx.ko for the stock kernel (HINT follows the error when it does not
# build); MODULE=0 boots without it.
bench_prepare() {
	local module=$1 hint=${2:-}

	BENCH_VM_ARGS=()
	[ "$module" = 1 ] || BENCH_VM_ARGS+=(--no-module)
	[ "$BENCH_DRY" = 1 ] && return 0
	"$TCPX_ROOT/scripts/setup" --check 2>/dev/null || "$TCPX_ROOT/scripts/setup"
	if [ "$module" = 1 ]; then
		"$TCPX_ROOT/scripts/build-module" --kernel stock ||
			tcpx_die "the module does not build${hint:+ ($hint)}"
	fi
}

# bench_boot ETA TIMEOUT GUEST [ARGS...]: replace this process with vm-run
# on the stock kernel running GUEST ARGS --label "tcpx <git describe>";
# ETA is how long it takes, for the log.
bench_boot() {
	local eta=$1 timeout=$2 label cmd

	shift 2
	label=$(git -C "$TCPX_ROOT" describe --always --dirty 2>/dev/null || true)
	cmd=("$TCPX_ROOT/scripts/vm-run" --kernel stock --timeout "$timeout"
	     "${BENCH_VM_ARGS[@]}" -- "$@" ${label:+--label "tcpx $label"})
	if [ "$BENCH_DRY" = 1 ]; then
		printf '%q ' "${cmd[@]}"
		echo
		exit 0
	fi
	tcpx_log "booting the stock kernel in QEMU: $eta"
	exec "${cmd[@]}"
}

# --- the guest half

BENCH_NETNS=()

# bench_netns VAR PREFIX: a new namespace PREFIX-XXXXXX with lo up, its name
# in VAR; bench_netns_cleanup removes every one made.
bench_netns() {
	local name

	name=$2-$(mktemp -u XXXXXX)
	ip netns add "$name" || tcpx_die "cannot create namespace $name"
	BENCH_NETNS+=("$name")
	printf -v "$1" %s "$name"
	ip -n "$name" link set lo up
}

bench_netns_cleanup() {
	local ns

	for ns in "${BENCH_NETNS[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	BENCH_NETNS=()
}

# bench_veth NS1 DEV1 ADDR1 NS2 DEV2 ADDR2: a veth pair between two
# namespaces, each end addressed (/24) and up.
bench_veth() {
	ip link add "$2" netns "$1" type veth peer name "$5" netns "$4" ||
		tcpx_die "cannot create the veth pair $2/$5"
	ip -n "$1" addr add "$3/24" dev "$2"
	ip -n "$4" addr add "$6/24" dev "$5"
	ip -n "$1" link set "$2" up
	ip -n "$4" link set "$5" up
}

# bench_need COMMAND...: die unless each is installed.
bench_need() {
	local c

	for c in "$@"; do
		command -v "$c" >/dev/null || tcpx_die "$c is not installed"
	done
}

# bench_reverse WORDS: the words in reverse order (the family that went
# first goes last in the next round).
bench_reverse() {
	awk '{ for (i = NF; i > 0; i--) printf "%s%s", $i, (i > 1 ? " " : "\n") }' <<< "$1"
}

# bench_median "V1 V2 ..." [FORMAT]: the median; the mean of the middle two
# printed with FORMAT (default %.6g) for an even count; nothing for none.
bench_median() {
	tr ' ' '\n' <<< "$1" | grep . | sort -g |
		awk -v fmt="${2:-%.6g}\n" '{ v[NR] = $1 }
		     END {
			if (NR % 2) print v[(NR + 1) / 2]
			else if (NR) printf fmt, (v[NR / 2] + v[NR / 2 + 1]) / 2
		     }'
}

# bench_cell FAMILY VALUES FAILED [FORMAT]: one cell of a results table, from
# the caller's arrays: "-" when FAMILY is not in $families, "n/a" when
# AVAIL[FAMILY] is not 1, the median of VAL[VALUES] (with "*" when
# FAILS[FAILED] counts failed rounds), or "fail" when no round worked.
# shellcheck disable=SC2154 # families and the arrays are the caller's
bench_cell() {
	local f=$1 values=$2 failed=$3 m

	if [[ " $families " != *" $f "* ]]; then
		echo "-"
	elif [ "${AVAIL[$f]:-0}" != 1 ]; then
		echo "n/a"
	else
		m=$(bench_median "${VAL[$values]:-}" "${4:-}")
		echo "${m:-fail}${m:+${FAILS[$failed]:+*}}"
	fi
}

# bench_ratio A B [IF_FAILED]: A / B to two decimals, both cells (a trailing
# "*" ignored); IF_FAILED when A is "fail" and B a number; "-" otherwise.
bench_ratio() {
	awk -v a="$1" -v b="$2" -v failed="${3:--}" 'BEGIN {
		sub(/\*$/, "", a)
		sub(/\*$/, "", b)
		if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b + 0 > 0)
			printf "%.2f\n", a / b
		else if (a == "fail" && b ~ /^[0-9.]+$/)
			print failed
		else
			print "-"
	}'
}

# bench_md_head TITLE [LABEL]: a results file's title and its date, kernel
# and CPU count line.
bench_md_head() {
	echo "# $1"
	echo
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'), kernel $(uname -r), $(nproc) CPUs${2:+, $2}."
}

# bench_chart MD: the bar chart of results table MD beside it (MD with .png
# for .md), drawn by tools/tcpx-plot; says where, or why there is none.
bench_chart() {
	local png=${1%.md}.png err

	if err=$("$TCPX_ROOT/tools/tcpx-plot" bars "$1" -o "$png" 2>&1); then
		echo "chart: $png"
	else
		echo "no chart: tcpx-plot bars failed: ${err##*$'\n'}"
	fi
}

# bench_md_table COLUMN: the head of a "COLUMN | tcp | tcpx | tcpx/tcp" table.
bench_md_table() {
	echo "| $1 | tcp | tcpx | tcpx/tcp |"
	echo "| --- | ---: | ---: | ---: |"
}
