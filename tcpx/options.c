// SPDX-License-Identifier: GPL-2.0
/*
 * Options: every segment's option list is walked once, on arrival, and what
 * it says is kept in the segment's control block (struct tcpx_skb_cb) for
 * whoever needs it later -- the listener, SYN-SENT, the ACK's SACK blocks,
 * PAWS -- as tcp_parse_options() fills tcp_skb_cb and tcp_options_received.
 */
#include <linux/skbuff.h>

#include "tcpx.h"

/* Length of each option kind with a fixed length (0: any). */
static u8 tcpx_opt_len(u8 kind)
{
	switch (kind) {
	case TCPOPT_MSS:
		return TCPOLEN_MSS;
	case TCPOPT_WINDOW:
		return TCPOLEN_WINDOW;
	case TCPOPT_SACK_PERM:
		return TCPOLEN_SACK_PERM;
	case TCPOPT_TIMESTAMP:
		return TCPOLEN_TIMESTAMP;
	}
	return 0;
}

/*
 * Fill cb's option fields from the header th.  A malformed list drops the
 * segment (contract): a length that runs past the header, or a known kind
 * of the wrong length.  MSS, window scale and SACK-permitted count on SYNs
 * only; timestamps and SACK blocks on every segment.  Of several SACK
 * options the last counts, as for TCP.
 */
int tcpx_parse_options(const struct tcphdr *th, struct tcpx_skb_cb *cb)
{
	const u8 *start = (const u8 *)th, *p = (const u8 *)(th + 1);
	int len = th->doff * 4 - sizeof(*th);

	cb->saw_tstamp = 0;
	cb->wscale_ok = 0;
	cb->sack_ok = 0;
	cb->wscale = 0;
	cb->mss = 0;	/* and sack_off */
	cb->tsval = 0;
	cb->tsecr = 0;
	while (len > 0) {
		u8 kind = *p, olen;

		if (kind == TCPOPT_EOL)
			break;
		if (kind == TCPOPT_NOP) {
			p++;
			len--;
			continue;
		}
		if (len < 2)
			return -EINVAL;
		olen = p[1];
		if (olen < 2 || olen > len)
			return -EINVAL;
		if (tcpx_opt_len(kind) && olen != tcpx_opt_len(kind))
			return -EINVAL;
		switch (kind) {
		case TCPOPT_MSS:
			if (th->syn)
				cb->mss = get_unaligned_be16(p + 2);
			break;
		case TCPOPT_WINDOW:
			if (th->syn) {
				cb->wscale_ok = 1;
				/* RFC 7323 2.3: a larger shift is taken as 14. */
				cb->wscale = min_t(u8, p[2], TCPX_MAX_WSCALE);
			}
			break;
		case TCPOPT_SACK_PERM:
			if (th->syn)
				cb->sack_ok = 1;
			break;
		case TCPOPT_SACK:
			if (olen < TCPOLEN_SACK_BASE + TCPOLEN_SACK_PERBLOCK ||
			    (olen - TCPOLEN_SACK_BASE) % TCPOLEN_SACK_PERBLOCK)
				return -EINVAL;
			if (!th->syn)
				cb->sack_off = p - start;
			break;
		case TCPOPT_TIMESTAMP:
			cb->saw_tstamp = 1;
			cb->tsval = get_unaligned_be32(p + 2);
			cb->tsecr = get_unaligned_be32(p + 6);
			break;
		}
		p += olen;
		len -= olen;
	}
	return 0;
}

/*
 * The SACK blocks of an ACK (RFC 2018 3) as [start, end) pairs, read where
 * tcpx_parse_options() found them: no second walk.  None on a SYN.
 */
int tcpx_sack_blocks(const struct sk_buff *skb, u32 blocks[][2])
{
	const struct tcpx_skb_cb *cb = TCPX_SKB_CB(skb);
	const u8 *p;
	int n, i;

	if ((cb->flags & TCPHDR_SYN) || !cb->sack_off)
		return 0;
	p = (const u8 *)tcp_hdr(skb) + cb->sack_off;
	n = min_t(int, (p[1] - TCPOLEN_SACK_BASE) / TCPOLEN_SACK_PERBLOCK,
		  TCPX_MAX_SACKS);
	for (i = 0; i < n; i++) {
		blocks[i][0] = get_unaligned_be32(p + 2 + 8 * i);
		blocks[i][1] = get_unaligned_be32(p + 6 + 8 * i);
	}
	return n;
}
