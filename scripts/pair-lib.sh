# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# The guest side of scripts/vm-pair, shared by selftests/pair/two_kernels.sh
# and scripts/bench-pair-guest: which side this guest is, its link to the
# other guest, and steps the two sides take together.
#
#   guest a: 10.9.0.1 fd00:9::1  --virtio-net--  10.9.0.2 fd00:9::2 :guest b
#
# The two meet in a folder both can write (vm-pair's DIR): a side that
# reaches step S makes the file ROLE.S there and waits for PEER.S.  A side
# that ends makes ROLE.end, so that the other stops waiting for it.

PAIR_BROKEN=0

# pair_init ROLE DIR: PAIR_ROLE, PAIR_PEER, PAIR_DIR, the addresses (ME4,
# PEER4, ME6, PEER6) and the NIC (PAIR_NIC, the only one besides lo).
pair_init() {
	case $1 in
	a) PAIR_PEER=b ME4=10.9.0.1 PEER4=10.9.0.2 ME6=fd00:9::1 PEER6=fd00:9::2 ;;
	b) PAIR_PEER=a ME4=10.9.0.2 PEER4=10.9.0.1 ME6=fd00:9::2 PEER6=fd00:9::1 ;;
	*) return 1 ;;
	esac
	[ -d "$2" ] || return 1
	PAIR_ROLE=$1 PAIR_DIR=$2 PAIR_NIC=
	local d
	for d in /sys/class/net/*; do
		[ "${d##*/}" = lo ] || { PAIR_NIC=${d##*/}; break; }
	done
}

# pair_end: this side is done (for an EXIT trap).
pair_end() {
	: > "$PAIR_DIR/$PAIR_ROLE.end"
}

# pair_sync STEP [SECONDS]: this side reached STEP; wait until the peer has
# too (default 300 s).  Once the peer is missed, every later step fails at
# once: a guest that died is not waited for again and again.
pair_sync() {
	local deadline=$((SECONDS + ${2:-300}))
	: > "$PAIR_DIR/$PAIR_ROLE.$1"
	until [ -e "$PAIR_DIR/$PAIR_PEER.$1" ]; do
		if [ "$PAIR_BROKEN" = 1 ] || [ -e "$PAIR_DIR/$PAIR_PEER.end" ] ||
		   [ $SECONDS -ge $deadline ]; then
			echo "# the peer did not reach step $1"
			PAIR_BROKEN=1
			return 1
		fi
		sleep 0.2
	done
}

# pair_link_up: the NIC up with this side's addresses (IPv6 without DAD:
# usable at once), its driver and offloads shown; then wait for the peer
# (its guest may still be booting: up to 10 minutes) and for its answer to
# a ping over IPv4 and over IPv6.  Fails if the NIC is not virtio-net.
pair_link_up() {
	local deadline
	[ -n "$PAIR_NIC" ] || { echo "# no NIC"; return 1; }
	ip link set "$PAIR_NIC" up &&
		ip addr add "$ME4/24" dev "$PAIR_NIC" &&
		ip addr add "$ME6/64" dev "$PAIR_NIC" nodad || return 1
	ethtool -i "$PAIR_NIC" | head -n 1 | sed 's/^/# /'
	ethtool -k "$PAIR_NIC" |
		grep -E '^(tx-checksumming|scatter-gather|tcp-segmentation-offload|generic-(segmentation|receive)-offload):' |
		sed 's/^/# offload: /'
	ethtool -i "$PAIR_NIC" | grep -qx 'driver: virtio_net' || return 1
	pair_sync up 600 || return 1
	deadline=$((SECONDS + 60))
	until busybox ping -c 1 -W 2 "$PEER4" > /dev/null 2>&1; do
		[ $SECONDS -lt $deadline ] || { echo "# no answer from $PEER4"; return 1; }
		sleep 0.2
	done
	until busybox ping6 -c 1 -W 2 "$PEER6" > /dev/null 2>&1; do
		[ $SECONDS -lt $deadline ] || { echo "# no answer from $PEER6"; return 1; }
		sleep 0.2
	done
}
