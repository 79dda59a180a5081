// SPDX-License-Identifier: GPL-2.0
/*
 * Output: building segments and handing them to the family's network layer
 * (icsk_af_ops).
 *
 * The write queue holds every segment not yet acknowledged, SYN and FIN
 * included, in sequence order; send_head is the first one not yet sent.
 * A segment is sent as a clone, so the original stays for retransmission.
 * Checksums are computed in software: no NIC offloads protocol 253.
 *
 * Segments that belong to no full socket (RST for a stray segment, ACK
 * from TIME-WAIT, SYN+ACK from a listener) are built from the segment that
 * caused them and routed on their own, by the family of that segment
 * (tcpx_skb_af()) or of the request sock.
 */
#include <linux/skbuff.h>
#include <net/checksum.h>

#include "mib.h"
#include "trace.h"
#include "tcpx.h"

unsigned int tcpx_opts_len(const struct tcpx_out_opts *o)
{
	if (!o)
		return 0;
	return (o->mss ? TCPOLEN_MSS : 0) +
	       (o->ts_ok || o->sack_perm ? TCPOLEN_TSTAMP_ALIGNED : 0) -
	       (!o->ts_ok && o->sack_perm ? 8 : 0) +
	       (o->ws_ok ? TCPOLEN_WSCALE_ALIGNED : 0) +
	       (o->nsack ? TCPOLEN_SACK_BASE_ALIGNED +
			   o->nsack * TCPOLEN_SACK_PERBLOCK : 0);
}

/* Fill a header at skb->data (pushed by 20 + tcpx_opts_len(o) bytes). */
void tcpx_fill_header(struct sk_buff *skb, __be16 sport, __be16 dport,
		      u32 seq, u32 ack, u8 flags, u16 win,
		      const struct tcpx_out_opts *o)
{
	struct tcphdr *th;
	__be32 *opt;

	skb_reset_transport_header(skb);
	th = tcp_hdr(skb);
	memset(th, 0, sizeof(*th));
	th->source = sport;
	th->dest = dport;
	th->seq = htonl(seq);
	th->ack_seq = (flags & TCPHDR_ACK) ? htonl(ack) : 0;
	tcp_flag_byte(th) = flags;
	th->window = htons(win);
	th->doff = (TCPX_HDR_LEN + tcpx_opts_len(o)) / 4;
	if (!o)
		return;
	/* The layout Linux TCP uses, so middleboxes and dissectors agree. */
	opt = (__be32 *)(th + 1);
	if (o->mss)
		*opt++ = htonl((TCPOPT_MSS << 24) | (TCPOLEN_MSS << 16) | o->mss);
	if (o->ts_ok) {
		if (o->sack_perm)
			*opt++ = htonl((TCPOPT_SACK_PERM << 24) |
				       (TCPOLEN_SACK_PERM << 16) |
				       (TCPOPT_TIMESTAMP << 8) | TCPOLEN_TIMESTAMP);
		else
			*opt++ = htonl((TCPOPT_NOP << 24) | (TCPOPT_NOP << 16) |
				       (TCPOPT_TIMESTAMP << 8) | TCPOLEN_TIMESTAMP);
		*opt++ = htonl(o->tsval);
		*opt++ = htonl(o->tsecr);
	} else if (o->sack_perm) {
		*opt++ = htonl((TCPOPT_NOP << 24) | (TCPOPT_NOP << 16) |
			       (TCPOPT_SACK_PERM << 8) | TCPOLEN_SACK_PERM);
	}
	if (o->ws_ok)
		*opt++ = htonl((TCPOPT_NOP << 24) | (TCPOPT_WINDOW << 16) |
			       (TCPOLEN_WINDOW << 8) | o->ws);
	if (o->nsack) {
		int i;

		*opt++ = htonl((TCPOPT_NOP << 24) | (TCPOPT_NOP << 16) |
			       (TCPOPT_SACK << 8) |
			       (TCPOLEN_SACK_BASE + o->nsack * TCPOLEN_SACK_PERBLOCK));
		for (i = 0; i < o->nsack; i++) {
			*opt++ = htonl(o->sack[i][0]);
			*opt++ = htonl(o->sack[i][1]);
		}
	}
}

/*
 * What a reply outside a connection takes from the sock it answers for (a
 * full socket, a TIME-WAIT one, or NULL): its SO_MARK, unless *mark holds
 * the segment's reflected one, and its SO_PRIORITY, as tcp_v4_send_reset().
 */
void tcpx_reply_mark(const struct sock *sk, u32 *mark, u32 *prio)
{
	*prio = 0;
	if (sk && sk->sk_state == TCP_TIME_WAIT) {
		*mark = *mark ? : inet_twsk(sk)->tw_mark;
		*prio = inet_twsk(sk)->tw_priority;
	} else if (sk) {
		*mark = *mark ? : READ_ONCE(sk->sk_mark);
		*prio = READ_ONCE(sk->sk_priority);
	}
}

/*
 * The checksum of a segment, in software, over its family's pseudo-header
 * sum (RFC 9293 3.1, RFC 8200 8.1).
 */
void tcpx_csum_fill(struct sk_buff *skb, __wsum pseudo)
{
	int off = skb_transport_offset(skb);
	struct tcphdr *th = tcp_hdr(skb);

	th->check = 0;
	th->check = csum_fold(skb_checksum(skb, off, skb->len - off, pseudo));
	skb->ip_summed = CHECKSUM_NONE;
}

/*
 * A connection's segment: summed by the device where the route's device
 * sums any protocol (NETIF_F_HW_CSUM), else here.  Its own features, not
 * sk_route_caps: sk_setup_caps() adds HW_CSUM there for any socket that
 * may do GSO, which with sk_gso_type 0 is every one.  Over veth and
 * loopback the receiver trusts CHECKSUM_PARTIAL and sums nothing.
 *
 * The device's sum starts past the ports, their sum folded into the seed:
 * csum_offset is then 12, neither TCP's 16 nor UDP's 6, which is all
 * skb_csum_hwoffload_help() looks at before handing a segment to a device
 * that sums TCP and UDP only (NETIF_F_IP_CSUM; 8139cp and r8169 WARN and
 * drop ours).  A segment that leaves partial over veth or virtio-net and
 * is forwarded, bridged or tunnelled out of such a device elsewhere is
 * summed in software there (skb_checksum_help()).
 */
#define TCPX_CSUM_SKIP	offsetof(struct tcphdr, seq)

void tcpx_csum_set(struct sock *sk, struct sk_buff *skb, __wsum pseudo)
{
	const struct dst_entry *dst;
	struct tcphdr *th;
	bool hw;

	rcu_read_lock();
	dst = rcu_dereference(sk->sk_dst_cache);
	hw = dst && dst->dev && (dst->dev->features & NETIF_F_HW_CSUM);
	rcu_read_unlock();
	if (!hw) {
		tcpx_csum_fill(skb, pseudo);
		return;
	}
	th = tcp_hdr(skb);
	skb->ip_summed = CHECKSUM_PARTIAL;
	skb->csum_start = skb_transport_header(skb) - skb->head + TCPX_CSUM_SKIP;
	skb->csum_offset = offsetof(struct tcphdr, check) - TCPX_CSUM_SKIP;
	th->check = ~csum_fold(csum_partial(th, TCPX_CSUM_SKIP, pseudo));
}

/*
 * A reply to segment "in" sent outside a connection's output path: RST
 * for a stray segment, ACK from TIME-WAIT or for a request.  Its ports are
 * in's, swapped; the family of "in" routes it from and to in's addresses,
 * swapped, adds its header and sends it.  sk (a full socket, a TIME-WAIT
 * one, or NULL) lends its SO_MARK and SO_PRIORITY (tcpx_reply_mark()).
 */
static void tcpx_reply(struct net *net, const struct sock *sk,
		       const struct sk_buff *in, u32 seq, u32 ack, u8 flags,
		       u16 win, const struct tcpx_out_opts *o)
{
	const struct tcphdr *th = tcp_hdr(in);
	struct sk_buff *skb = alloc_skb(TCPX_MAX_HEADER, GFP_ATOMIC);

	if (!skb)
		return;
	skb_reserve(skb, TCPX_MAX_HEADER);
	skb_push(skb, TCPX_HDR_LEN + tcpx_opts_len(o));
	tcpx_fill_header(skb, th->dest, th->source, seq, ack, flags, win, o);
	tcpx_skb_af(in)->send_reply(net, sk, in, skb);
}

/*
 * A reply, its route and network header set by its family, leaves (the
 * family's local_out next): marked, prioritized and counted as TCP counts
 * its own.
 */
void tcpx_reply_out(struct net *net, struct sk_buff *skb,
		    struct dst_entry *dst, u32 mark, u32 prio)
{
	skb_dst_set(skb, dst);
	skb->mark = mark;
	skb->priority = prio;
	tcpx_inc_stats(net, TCPX_MIB_OUTSEGS);
	if (tcp_hdr(skb)->rst)
		tcpx_inc_stats(net, TCPX_MIB_OUTRSTS);
}

/*
 * RFC 2018 4: the blocks input.c keeps, the one holding the segment that
 * triggered the ACK first, then those reported most recently; if room is
 * left (blocks forgotten when the queue was pruned, or more than
 * TCPX_MAX_SACKS of them), the highest others of the out-of-order queue.
 * A block covers the FIN's sequence number too, as TCP's.  A duplicate to
 * report goes before them all (RFC 2883 4), once.
 */
static void tcpx_build_sack(const struct sock *sk, struct tcpx_out_opts *o,
			    unsigned int max)
{
	const struct tcpx_sock *tsk = tcpx_sk(sk);
	u32 top[TCPX_MAX_SACKS][2];
	unsigned int i, j, nblk, ntop = 0, budget = TCPX_SACK_WALK;
	struct sk_buff *skb;

	o->nsack = 0;
	if (tsk->dsack) {
		o->sack[0][0] = tsk->dsack_seq;
		o->sack[0][1] = tsk->dsack_end;
		o->nsack = 1;
	}
	for (i = 0; i < tsk->sack_nr && o->nsack < max; i++)
		if (!tcpx_before(tsk->sack_blocks[i][0], tsk->rcv_nxt))
			memcpy(o->sack[o->nsack++], tsk->sack_blocks[i],
			       sizeof(o->sack[0]));
	nblk = o->nsack;
	if (nblk == max)
		return;
	/*
	 * The highest blocks of the queue, walked down from its top: a run
	 * of contiguous skbs is one block.  At most TCPX_SACK_WALK skbs are
	 * looked at, so an ACK costs O(log n) however a peer cut the queue
	 * up; a block cut short by that still reports data held.
	 */
	for (skb = skb_rb_last(&tsk->ofo_queue); skb && budget--;
	     skb = skb_rb_prev(skb)) {
		const struct tcpx_skb_cb *cb = TCPX_SKB_CB(skb);

		if (ntop && cb->end_seq == top[ntop - 1][0]) {
			top[ntop - 1][0] = cb->seq;
			continue;
		}
		if (ntop == TCPX_MAX_SACKS)
			break;
		top[ntop][0] = cb->seq;
		top[ntop][1] = cb->end_seq;
		ntop++;
	}
	for (j = 0; j < ntop && o->nsack < max; j++) {
		const u32 *b = top[j];

		for (i = tsk->dsack; i < nblk; i++)
			if (!tcpx_after(b[0], o->sack[i][1]) &&
			    !tcpx_after(o->sack[i][0], b[1]))
				break;
		if (i == nblk)
			memcpy(o->sack[o->nsack++], b, sizeof(o->sack[0]));
	}
}

/* The MSS to announce on a path of MTU mtu, below a network header of hdrlen. */
u16 tcpx_mss_for_mtu(u32 mtu, unsigned int hdrlen)
{
	return clamp_t(u32, mtu - hdrlen - TCPX_HDR_LEN, TCPX_MIN_MSS, 65535U);
}

/*
 * The peer's MSS option (RFC 9293 3.7.1: 536 when it sent none), capped by
 * TCPX_MAXSEG, as tcp_parse_options() sets mss_clamp.
 */
void tcpx_set_mss_clamp(struct sock *sk, u16 peer_mss)
{
	struct tcpx_sock *tsk = tcpx_sk(sk);
	u32 mss = peer_mss ? : TCPX_MSS_DEFAULT;

	if (tsk->user_mss && tsk->user_mss < mss)
		mss = tsk->user_mss;
	tsk->mss_clamp = mss;
}

/*
 * No segment above half the largest window the peer offered (all of it
 * when that is below 536), as tcp_bound_to_half_wnd(): a receiver whose
 * whole window is smaller than our MSS would otherwise get data only from
 * the persist timer, a segment per probe.  68 bytes of IP datagram at the
 * least (RFC 791).
 */
static int tcpx_bound_to_half_wnd(const struct tcpx_sock *tsk, int mss)
{
	int hdr = (int)TCPX_HDR_LEN + (tsk->tstamp_ok ? TCPOLEN_TSTAMP_ALIGNED : 0);
	int cutoff = tsk->max_window;

	if (cutoff > (int)TCPX_MSS_DEFAULT)
		cutoff >>= 1;
	if (cutoff && mss > cutoff)
		return max(cutoff, 68 - hdr);
	return mss;
}

/*
 * As tcp_sync_mss(): the payload of a full segment on a path of MTU pmtu,
 * within the peer's MSS, less IP options (icsk_ext_hdr_len) -- floored at
 * min_snd_mss, so that no peer can make us send in slivers (or in zero-byte
 * segments) -- less the timestamp option.  The icsk_sync_mss hook: IP
 * options and CIPSO call it when the IP header grows.
 */
unsigned int tcpx_sync_mss(struct sock *sk, u32 pmtu)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	struct tcpx_sock *tsk = tcpx_sk(sk);
	int mss = (int)pmtu - (int)icsk->icsk_af_ops->net_header_len -
		  (int)TCPX_HDR_LEN;

	if (tsk->mss_clamp && mss > tsk->mss_clamp)
		mss = tsk->mss_clamp;
	mss -= icsk->icsk_ext_hdr_len;
	mss = max(mss, READ_ONCE(tcpx_pernet(sock_net(sk))->min_snd_mss));
	if (tsk->tstamp_ok)
		mss -= TCPOLEN_TSTAMP_ALIGNED;
	mss = tcpx_bound_to_half_wnd(tsk, mss);
	icsk->icsk_pmtu_cookie = pmtu;
	WRITE_ONCE(tsk->mss_cache, mss);
	return mss;
}

/*
 * Payload the free receive buffer can take: its bytes scaled by the
 * payload/truesize ratio of recent segments, less an eighth for safety,
 * so that what we advertise is what sk_rcvbuf can hold.
 */
u32 tcpx_rcv_space(const struct sock *sk)
{
	int free = READ_ONCE(sk->sk_rcvbuf) - atomic_read(&sk->sk_rmem_alloc);
	u32 space;

	if (free <= 0)
		return 0;
	space = (u64)free * tcpx_sk(sk)->rcv_ratio * 7 / (256 * 8);
	/* TCPX_WINDOW_CLAMP bounds what we offer. */
	if (tcpx_sk(sk)->window_clamp)
		space = min(space, tcpx_sk(sk)->window_clamp);
	/* Under protocol memory pressure the window stops growing (TCP's
	 * rcv_ssthresh clamp): four segments keep the flow alive.
	 */
	if (tcpx_under_memory_pressure(sk))
		space = min_t(u32, space, 4U * tcpx_sk(sk)->advmss);
	return space;
}

/* RFC 7323 2.2: the smallest shift that lets the window cover the buffer. */
u8 tcpx_select_wscale(const struct sock *sk)
{
	int space = READ_ONCE(sk->sk_rcvbuf);
	u8 ws = 0;

	if (!(sk->sk_userlocks & SOCK_RCVBUF_LOCK))
		space = max(space, tcpx_rmem_max(sk));
	while (ws < TCPX_MAX_WSCALE && space > (int)(TCPX_MAX_WIN << ws))
		ws++;
	return ws;
}

/*
 * Receiver-side SWS avoidance (RFC 9293 3.8.6.2.2): the window opens by a
 * segment, or by a fraction of the buffer if that is less -- but never by
 * more than the buffer could ever offer, as __tcp_select_window() caps the
 * MSS at the full space: a TCPX_WINDOW_CLAMP below one segment must not
 * shut the window for good.
 */
u32 tcpx_rcv_sws(const struct sock *sk)
{
	const struct tcpx_sock *tsk = tcpx_sk(sk);
	u64 full = (u64)READ_ONCE(sk->sk_rcvbuf) * tsk->rcv_ratio;
	u32 sws = min_t(u64, tsk->rcv_mss ? : tsk->advmss, full / 512);

	if (tsk->window_clamp)
		sws = min(sws, tsk->window_clamp);
	return max(sws, 1U);
}

/*
 * The window to advertise, as the header's (scaled) field.  The right edge
 * never moves back (RFC 9293 3.8.6); it moves forward only by
 * tcpx_rcv_sws() or more, and not while out-of-order data waits, so the
 * duplicate ACKs stay duplicates.
 */
u32 tcpx_select_window(struct sock *sk)
{
	struct tcpx_sock *tsk = tcpx_sk(sk);
	u32 space = tcpx_rcv_space(sk), cur = 0, win, sws = tcpx_rcv_sws(sk);

	if (tcpx_after(tsk->rcv_wup + tsk->rcv_wnd, tsk->rcv_nxt))
		cur = tsk->rcv_wup + tsk->rcv_wnd - tsk->rcv_nxt;
	if (space <= cur || space - cur < sws ||
	    !RB_EMPTY_ROOT(&tsk->ofo_queue))
		win = cur;
	else
		win = space;
	win = min(win, TCPX_MAX_WIN << tsk->rcv_wscale);
	win = ALIGN(win, 1U << tsk->rcv_wscale);
	tsk->rcv_wnd = win;
	tsk->rcv_wup = tsk->rcv_nxt;
	return win >> tsk->rcv_wscale;
}

/* A SYN's window, as a SYN+ACK's: never scaled (RFC 7323 2.2). */
static u16 tcpx_syn_window(struct sock *sk)
{
	struct tcpx_sock *tsk = tcpx_sk(sk);

	tsk->rcv_wnd = tcpx_synack_window(sk);
	tsk->rcv_wup = tsk->rcv_nxt;
	return tsk->rcv_wnd;
}

/* Send a clone of skb, which stays queued; or skb itself if not queued. */
static int __tcpx_transmit_skb(struct sock *sk, struct sk_buff *skb, bool clone)
{
	const struct inet_connection_sock *icsk = inet_csk(sk);
	struct inet_sock *inet = inet_sk(sk);
	struct tcpx_sock *tsk = tcpx_sk(sk);
	struct tcpx_skb_cb *cb = TCPX_SKB_CB(skb);
	struct tcpx_out_opts opts = {};
	u8 flags = cb->flags;
	unsigned int len;
	u32 now;
	u16 win;
	int err;

	if (clone) {
		/* The scoreboard's list anchor overlays the dst: not copied. */
		unsigned long anchor = skb->_skb_refdst;
		struct sk_buff *orig = skb;

		orig->_skb_refdst = 0UL;
		/* An earlier clone may still be in flight: copy the header room. */
		if (skb_cloned(orig))
			skb = pskb_copy(orig, GFP_ATOMIC);
		else
			skb = skb_clone(orig, GFP_ATOMIC);
		orig->_skb_refdst = anchor;
		if (!skb)
			return -ENOBUFS;
	}
	len = skb->len;

	/* Everything but the first SYN of an active open carries an ACK. */
	if (sk->sk_state != TCP_SYN_SENT)
		flags |= TCPHDR_ACK;
	if (flags & TCPHDR_SYN) {
		opts.mss = tsk->advmss;
		opts.sack_perm = tsk->sack_ok;
		opts.ws_ok = tsk->wscale_ok;
		opts.ws = tsk->rcv_wscale;
		win = tcpx_syn_window(sk);
	} else {
		win = tcpx_select_window(sk);
	}
	now = tcpx_ts_now();
	/*
	 * The clock our first SYN carries, to the tick: the oldest echo that
	 * SYN-SENT takes (tcpx_rcv_synsent(), as TCP's retrans_stamp).
	 */
	if (sk->sk_state == TCP_SYN_SENT && !icsk->icsk_retransmits)
		tsk->syn_ts = now;
	if (tsk->tstamp_ok) {
		opts.ts_ok = 1;
		opts.tsval = now + tsk->ts_off;
		opts.tsecr = tsk->ts_recent;
	}
	/* SACK blocks on pure ACKs only: data segments are sized to the MSS. */
	if (tsk->sack_ok && !clone && flags == TCPHDR_ACK &&
	    (tsk->dsack || !RB_EMPTY_ROOT(&tsk->ofo_queue))) {
		tcpx_build_sack(sk, &opts, opts.ts_ok ? 3 : 4);
		/* A D-SACK block is sent once, as tcp_options_write() does. */
		tsk->dsack = 0;
	}
	if (flags & TCPHDR_ACK)
		inet_csk(sk)->icsk_ack.pending = 0;

	skb_push(skb, TCPX_HDR_LEN + tcpx_opts_len(&opts));
	tcpx_fill_header(skb, inet->inet_sport, inet->inet_dport, cb->seq,
			 tsk->rcv_nxt, flags, win, &opts);
	icsk->icsk_af_ops->send_check(sk, skb);
	/*
	 * Owned as TCP's, for netfilter's owner match and whatever else
	 * reads skb->sk.  Module exit waits for such segments to be freed.
	 */
	skb_set_owner_w(skb, sk);
	/* The network layer's part of the sent skb's control block: clear. */
	memset(&TCPX_SKB_CB(skb)->header, 0, sizeof(TCPX_SKB_CB(skb)->header));

	if (!clone || tcpx_after(cb->end_seq, tsk->snd_max))
		tcpx_inc_stats(sock_net(sk), TCPX_MIB_OUTSEGS);
	if (flags & TCPHDR_RST)
		tcpx_inc_stats(sock_net(sk), TCPX_MIB_OUTRSTS);
	tsk->segs_out++;
	if (len) {
		tsk->data_segs_out++;
		tsk->bytes_sent += len;
	}
	tsk->lsndtime = jiffies;
	err = icsk->icsk_af_ops->queue_xmit(sk, skb, &inet->cork.fl);
	return net_xmit_eval(err);
}

int tcpx_transmit_skb(struct sock *sk, struct sk_buff *skb)
{
	return __tcpx_transmit_skb(sk, skb, true);
}

static struct sk_buff *tcpx_alloc_ctl_skb(struct sock *sk, gfp_t gfp)
{
	struct sk_buff *skb = alloc_skb(TCPX_MAX_HEADER, gfp);

	if (skb)
		skb_reserve(skb, TCPX_MAX_HEADER);
	return skb;
}

/* A segment that is not queued: a pure ACK, RST or probe. */
static void tcpx_send_ctl_seq(struct sock *sk, u32 seq, u8 flags, gfp_t gfp)
{
	struct sk_buff *skb = tcpx_alloc_ctl_skb(sk, gfp);
	struct tcpx_skb_cb *cb;

	if (!skb)
		return;
	cb = TCPX_SKB_CB(skb);
	cb->seq = seq;
	cb->end_seq = cb->seq;
	cb->flags = flags;
	__tcpx_transmit_skb(sk, skb, false);
}

/*
 * The sequence number of an ACK or RST, as tcp_acceptable_seq(): snd_max,
 * not snd_nxt -- after a timeout rewinds snd_nxt the peer has seen more,
 * and a zero-length segment below its rcv_nxt is not acceptable (RFC 9293
 * 3.10.7.4).  But if the peer shrank its window below what we sent, the
 * right edge it advertised: past it our ACKs would be outside its window
 * too.  An overshoot below our own scale's unit is taken as rounding, as
 * TCP takes it.
 */
static u32 tcpx_acceptable_seq(const struct tcpx_sock *tsk)
{
	u32 wnd_end = tsk->snd_una + tsk->snd_wnd;

	if (!tcpx_before(wnd_end, tsk->snd_max) ||
	    (tsk->wscale_ok &&
	     tsk->snd_max - wnd_end < (1U << tsk->rcv_wscale)))
		return tsk->snd_max;
	return wnd_end;
}

static void tcpx_send_ctl(struct sock *sk, u8 flags, gfp_t gfp)
{
	tcpx_send_ctl_seq(sk, tcpx_acceptable_seq(tcpx_sk(sk)), flags, gfp);
}

void tcpx_send_ack(struct sock *sk)
{
	if (sk->sk_state == TCP_CLOSE)
		return;
	inet_csk(sk)->icsk_ack.pending = 0;
	tcpx_send_ctl(sk, TCPHDR_ACK, GFP_ATOMIC);
}

/*
 * A keepalive probe, as tcp_xmit_probe_skb(): an ACK at snd_una - 1, a
 * sequence number the peer has seen, so a live peer answers with an ACK
 * (RFC 9293 3.10.7.4) and one that lost the connection with a RST.
 * Returns what tcpx_transmit_skb() would: > 0 if local congestion dropped
 * it.
 */
int tcpx_send_probe(struct sock *sk)
{
	struct sk_buff *skb;
	struct tcpx_skb_cb *cb;

	if (sk->sk_state == TCP_CLOSE)
		return -ENOTCONN;
	skb = tcpx_alloc_ctl_skb(sk, GFP_ATOMIC | __GFP_NOWARN);
	if (!skb)
		return -ENOBUFS;
	cb = TCPX_SKB_CB(skb);
	cb->seq = tcpx_sk(sk)->snd_una - 1;
	cb->end_seq = cb->seq;
	cb->flags = TCPHDR_ACK;
	tcpx_inc_stats(sock_net(sk), TCPX_MIB_KEEPALIVEPROBES);
	return __tcpx_transmit_skb(sk, skb, false);
}

/* RFC 9293 3.10.7.1: abort a synchronized connection with RST. */
void tcpx_send_active_reset(struct sock *sk, gfp_t gfp)
{
	trace_tcpx_send_reset(sk);
	tcpx_send_ctl(sk, TCPHDR_RST | TCPHDR_ACK, gfp);
}

/*
 * SYNs and FINs are charged past the protocol's limits (as TCP's
 * sk_forced_mem_schedule()): a connection must be able to end.  False
 * only when a memory cgroup refuses; the skb is not queued then.
 */
static bool tcpx_queue_skb(struct sock *sk, struct sk_buff *skb)
{
	if (!tcpx_forced_mem_schedule(sk, skb->truesize, SK_MEM_SEND))
		return false;
	__skb_queue_tail(&sk->sk_write_queue, skb);
	sk_wmem_queued_add(sk, skb->truesize);
	sk_mem_charge(sk, skb->truesize);
	if (!tcpx_sk(sk)->send_head)
		tcpx_sk(sk)->send_head = skb;
	return true;
}

/* The SYN of an active open (or of a simultaneous one). */
int tcpx_send_syn(struct sock *sk)
{
	struct tcpx_sock *tsk = tcpx_sk(sk);
	struct sk_buff *skb;

	skb = alloc_skb_fclone(TCPX_MAX_HEADER, sk->sk_allocation);
	if (!skb)
		return -ENOBUFS;
	skb_reserve(skb, TCPX_MAX_HEADER);
	TCPX_SKB_CB(skb)->seq = tsk->iss;
	TCPX_SKB_CB(skb)->end_seq = tsk->iss + 1;
	TCPX_SKB_CB(skb)->flags = TCPHDR_SYN;
	tsk->write_seq = tsk->iss + 1;
	if (!tcpx_queue_skb(sk, skb)) {
		kfree_skb(skb);
		return -ENOBUFS;
	}
	tcpx_push_pending(sk);
	return 0;
}

/* Queue a FIN: on the last unsent segment if there is one. */
void tcpx_send_fin(struct sock *sk)
{
	struct tcpx_sock *tsk = tcpx_sk(sk);
	struct sk_buff *skb = skb_peek_tail(&sk->sk_write_queue);

	if (skb && tsk->send_head) {
		TCPX_SKB_CB(skb)->flags |= TCPHDR_FIN;
	} else {
		skb = alloc_skb_fclone(TCPX_MAX_HEADER,
				       sk->sk_allocation | __GFP_NOFAIL);
		skb_reserve(skb, TCPX_MAX_HEADER);
		TCPX_SKB_CB(skb)->seq = tsk->write_seq;
		TCPX_SKB_CB(skb)->end_seq = tsk->write_seq;
		TCPX_SKB_CB(skb)->flags = TCPHDR_FIN;
		if (!tcpx_queue_skb(sk, skb)) {
			/* No memory to end it in order: end it at once. */
			kfree_skb(skb);
			tcpx_send_active_reset(sk, sk->sk_allocation);
			tcpx_inc_stats(sock_net(sk), TCPX_MIB_ABORTONMEMORY);
			tcpx_done(sk);
			return;
		}
	}
	TCPX_SKB_CB(skb)->end_seq++;
	tsk->write_seq++;
	tcpx_push_pending(sk);
}

/*
 * Split a segment so that its first len bytes fit the window, or a lowered
 * MSS.  A sent one keeps its marks on both halves: the SACK and loss
 * counts are in bytes.
 */
static int tcpx_fragment(struct sock *sk, struct sk_buff *skb, u32 len)
{
	struct tcpx_skb_cb *cb = TCPX_SKB_CB(skb), *ncb;
	u32 nlen = skb->len - len, old_truesize;
	struct sk_buff *nskb;

	/*
	 * A clone still in flight shares the data: trimming would copy the
	 * head and change truesize under the write-queue accounting.
	 */
	if (skb_cloned(skb))
		return -EBUSY;
	nskb = alloc_skb_fclone(TCPX_MAX_HEADER + nlen, GFP_ATOMIC);
	if (!nskb)
		return -ENOMEM;
	if (!tcpx_forced_mem_schedule(sk, nskb->truesize, SK_MEM_SEND)) {
		kfree_skb(nskb);
		return -ENOMEM;
	}
	skb_reserve(nskb, TCPX_MAX_HEADER);
	if (skb_copy_bits(skb, len, skb_put(nskb, nlen), nlen)) {
		kfree_skb(nskb);
		return -EFAULT;
	}
	/* The tail keeps every mark of the segment, and starts at len. */
	ncb = TCPX_SKB_CB(nskb);
	*ncb = *cb;
	ncb->seq = cb->seq + len;
	/*
	 * pskb_trim() may condense what is left into the head and shrink
	 * truesize (skb_condense()): the write-queue charge follows it.
	 */
	old_truesize = skb->truesize;
	if (pskb_trim(skb, len)) {
		kfree_skb(nskb);
		return -ENOMEM;
	}
	sk_wmem_queued_add(sk, (int)skb->truesize - (int)old_truesize);
	sk_mem_uncharge(sk, old_truesize - skb->truesize);
	cb->end_seq = ncb->seq;
	cb->flags &= ~(TCPHDR_FIN | TCPHDR_PSH);
	__skb_queue_after(&sk->sk_write_queue, skb, nskb);
	tcpx_sb_split(sk, skb, nskb);
	sk_wmem_queued_add(sk, nskb->truesize);
	sk_mem_charge(sk, nskb->truesize);
	return 0;
}

static void tcpx_sent(struct sock *sk, struct sk_buff *skb)
{
	struct tcpx_skb_cb *cb = TCPX_SKB_CB(skb);
	struct tcpx_sock *tsk = tcpx_sk(sk);

	tsk->snd_nxt = cb->end_seq;
	if (tcpx_after(cb->end_seq, tsk->snd_max))
		tsk->snd_max = cb->end_seq;
	tsk->send_head = skb_queue_is_last(&sk->sk_write_queue, skb) ?
			 NULL : skb->next;
}

/* Transmit a queued segment, counting it if it was sent before. */
static int tcpx_xmit_queued(struct sock *sk, struct sk_buff *skb)
{
	struct tcpx_skb_cb *cb = TCPX_SKB_CB(skb);
	struct tcpx_sock *tsk = tcpx_sk(sk);
	int err;

	/* Queued before the path MTU fell (icmp.c): cut to the new MSS. */
	if (skb->len > tsk->mss_cache) {
		err = tcpx_fragment(sk, skb, tsk->mss_cache);
		if (err)
			return err;
	}
	if (!tcpx_after(cb->end_seq, tsk->snd_max) && cb->end_seq != cb->seq) {
		cb->retrans = 1;
		trace_tcpx_retransmit(sk, cb->seq);
		tcpx_inc_stats(sock_net(sk), TCPX_MIB_RETRANSSEGS);
		tsk->total_retrans++;
		tsk->bytes_retrans += skb->len;
	}
	cb->tx_us = tcpx_now_us();
	err = tcpx_transmit_skb(sk, skb);
	if (err)
		return err;
	tcpx_sb_sent(sk, skb);
	if (tsk->ca_state == TCP_CA_Recovery)
		tsk->prr_out += skb->len;
	return 0;
}

/*
 * Bytes in the network (RFC 6675 "pipe"): sent, neither SACKed nor taken
 * as lost.  After a timeout without SACK, what go-back-N has sent again.
 */
u32 tcpx_pipe(const struct tcpx_sock *tsk)
{
	const struct sock *sk = &tsk->icsk.icsk_inet.sk;
	u32 out = tsk->snd_max - tsk->snd_una;
	u32 gone = tsk->sacked_out + tsk->lost_out;

	if (tsk->ca_state == TCP_CA_Loss && !tsk->loss_sack)
		return tsk->snd_nxt - tsk->snd_una;
	/*
	 * A sent FIN's sequence number is in no segment's length: a lost FIN
	 * must not hold back the segments before it when the window is one
	 * segment (after a timeout).  A head acknowledged in part counts
	 * whole in sacked_out or lost_out: never below zero.
	 */
	if ((sk->sk_shutdown & SEND_SHUTDOWN) && tsk->snd_max == tsk->write_seq)
		gone++;
	return out > gone ? out - gone : 0;
}

/*
 * SACK recovery: resend what RACK, or a timeout, marked lost, as the pipe
 * allows, lowest sequence first (recovery.c keeps them in that order).
 */
void tcpx_xmit_lost(struct sock *sk)
{
	struct tcpx_sock *tsk = tcpx_sk(sk);
	struct sk_buff *skb;

	while ((skb = list_first_entry_or_null(&tsk->lost_queue, struct sk_buff,
					       tcp_tsorted_anchor))) {
		if (tcpx_pipe(tsk) && tcpx_pipe(tsk) + skb->len > tsk->snd_cwnd)
			break;
		/* Cut to a smaller MSS, its tail follows it in the queue. */
		if (tcpx_xmit_queued(sk, skb))
			break;
		TCPX_SKB_CB(skb)->lost = 0;
		tsk->lost_out -= skb->len;
		tcpx_sb_sent(sk, skb);
	}
}

/*
 * The path MTU fell below what is in flight (icmp.c): those segments are
 * lost for sure, as tcp_simple_retransmit() has it, but not to congestion.
 * They go again at once, cut to the new MSS; the windows stay.
 */
void tcpx_resend_oversized(struct sock *sk)
{
	struct tcpx_sock *tsk = tcpx_sk(sk);
	struct sk_buff *skb;
	bool marked = false;

	skb_queue_walk(&sk->sk_write_queue, skb) {
		struct tcpx_skb_cb *cb = TCPX_SKB_CB(skb);

		if (skb == tsk->send_head ||
		    !tcpx_before(cb->seq, tsk->snd_max))
			break;
		if (skb->len > tsk->mss_cache && !cb->sacked && !cb->lost) {
			cb->lost = 1;
			tsk->lost_out += skb->len;
			marked = true;
		}
	}
	if (marked) {
		tcpx_lost_rebuild(sk);
		tcpx_push_pending(sk);
	}
}

/*
 * Does the queue's last, short segment wait?  Nagle (RFC 896): while data
 * is in flight, unless TCPX_NODELAY.  TCPX_CORK and MSG_MORE: always, as
 * TCP_CORK; the persist timer sends it if nothing else does.
 */
static bool tcpx_hold_short(const struct tcpx_sock *tsk, int how)
{
	if (how == TCPX_PUSH_FORCE)
		return false;
	return tsk->cork || how == TCPX_PUSH_MORE ||
	       (!tsk->nodelay && tsk->snd_nxt != tsk->snd_una);
}

void tcpx_push_pending(struct sock *sk)
{
	__tcpx_push_pending(sk, TCPX_PUSH_NORMAL);
}

/*
 * Send what the peer's window and the congestion window allow, from
 * send_head on, short segments as tcpx_hold_short() says.  A closed
 * window with nothing in flight starts the persist timer.
 */
void __tcpx_push_pending(struct sock *sk, int how)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	struct tcpx_sock *tsk = tcpx_sk(sk);
	struct sk_buff *skb;
	bool sent = false, full = false;
	u32 cwnd;

	/* RFC 5681 4.1: after an idle RTO, restart from the initial window. */
	if (tsk->snd_una == tsk->snd_max && tsk->send_head &&
	    tsk->ca_state == TCP_CA_Open &&
	    time_after(jiffies, tsk->lsndtime + icsk->icsk_rto))
		tsk->snd_cwnd = min(tsk->snd_cwnd,
				    TCPX_INIT_CWND * tsk->mss_cache);
	/* RFC 3042 limited transmit: a new segment for each of two dupacks. */
	cwnd = tsk->snd_cwnd;
	if (tsk->ca_state == TCP_CA_Open)
		cwnd += min_t(u32, tsk->dupacks, 2) * tsk->mss_cache;
	if (tsk->lost_out)
		tcpx_xmit_lost(sk);

	while ((skb = tsk->send_head)) {
		struct tcpx_skb_cb *cb = TCPX_SKB_CB(skb);
		u32 flight = tcpx_pipe(tsk);

		/*
		 * A FIN takes its sequence number of the window too, as in
		 * tcp_snd_wnd_test(); a SYN needs none (no window is known
		 * yet).  The oldest segment goes again whatever the window,
		 * as tcp_retransmit_skb(): the peer had room for it once.
		 */
		if (!(cb->flags & TCPHDR_SYN) &&
		    tcpx_after(cb->end_seq, tsk->snd_una + tsk->snd_wnd) &&
		    (cb->seq != tsk->snd_una ||
		     tcpx_after(cb->end_seq, tsk->snd_max)))
			break;
		if (skb->len && flight && flight + skb->len > cwnd) {
			full = true;
			break;
		}
		/* Only new data waits: a resend is never held back. */
		if (skb->len && skb->len < tsk->mss_cache &&
		    !(cb->flags & TCPHDR_FIN) &&
		    skb_queue_is_last(&sk->sk_write_queue, skb) &&
		    !tcpx_before(cb->seq, tsk->snd_max) &&
		    tcpx_hold_short(tsk, how))
			break;
		if (skb_queue_is_last(&sk->sk_write_queue, skb) && skb->len)
			cb->flags |= TCPHDR_PSH;
		if (tcpx_xmit_queued(sk, skb))
			break;
		tcpx_sent(sk, skb);
		sent = true;
	}
	if (sent || full)
		tcpx_cong_used(sk, tcpx_pipe(tsk), full);
	/* RACK's timer runs first; it starts this one when it fires. */
	if (sent && icsk->icsk_pending != ICSK_TIME_RETRANS &&
	    icsk->icsk_pending != ICSK_TIME_REO_TIMEOUT)
		tcpx_reset_rto(sk);
	else if (!sent && tsk->send_head && tsk->snd_una == tsk->snd_max &&
		 !icsk->icsk_pending)
		tcpx_arm_probe0(sk);
}

/*
 * The persist timer fired (RFC 9293 3.8.6.1): send what part of the next
 * segment the window takes -- its data without the FIN when only the FIN
 * is left out, as tcp_write_wakeup() -- or probe a closed window with an
 * old sequence number the peer must ACK, with its current window.
 */
void tcpx_probe_window(struct sock *sk)
{
	struct tcpx_sock *tsk = tcpx_sk(sk);
	struct sk_buff *skb = tsk->send_head;
	u32 room = tsk->snd_una + tsk->snd_wnd - tsk->snd_nxt;

	if (skb && skb->len && tsk->snd_nxt == tsk->snd_una &&
	    tcpx_after(tsk->snd_una + tsk->snd_wnd, tsk->snd_nxt) &&
	    room < TCPX_SKB_CB(skb)->end_seq - TCPX_SKB_CB(skb)->seq) {
		/* Both pieces are pushed, as tcp_write_wakeup() marks them. */
		TCPX_SKB_CB(skb)->flags |= TCPHDR_PSH;
		if (!tcpx_fragment(sk, skb, min(room, skb->len))) {
			TCPX_SKB_CB(skb)->flags |= TCPHDR_PSH;
			tcpx_push_pending(sk);
			return;
		}
	}
	tsk->win_probes++;
	tcpx_inc_stats(sock_net(sk), TCPX_MIB_WINPROBE);
	/* Old, so outside the window: the peer answers with an ACK. */
	tcpx_send_ctl_seq(sk, tsk->snd_una - 1, TCPHDR_ACK, GFP_ATOMIC);
}

/*
 * Send the oldest unacknowledged segment again (fast retransmit, NewReno
 * partial ACK), leaving send_head where it is.
 */
void tcpx_retransmit_head(struct sock *sk)
{
	struct sk_buff *skb = skb_peek(&sk->sk_write_queue);

	if (!skb || skb == tcpx_sk(sk)->send_head)
		return;
	tcpx_xmit_queued(sk, skb);
}

/*
 * Loss by timeout: send everything unacknowledged again, from snd_una, as
 * the windows allow (go-back-N; the receiver keeps what it already has).
 */
void tcpx_go_back(struct sock *sk)
{
	struct tcpx_sock *tsk = tcpx_sk(sk);
	struct sk_buff *skb = skb_peek(&sk->sk_write_queue);

	if (!skb || tsk->snd_una == tsk->snd_max)
		return;
	tsk->send_head = skb;
	tsk->snd_nxt = tsk->snd_una;
	tsk->dupacks = 0;
	tcpx_push_pending(sk);
}

/*
 * A timeout without SACK found spurious (tcpx_try_undo()): what was sent
 * before it is in flight after all, and go-back-N goes on from SND.MAX.
 * Walks only what go-back-N has not resent yet, once per episode.
 */
void tcpx_go_forward(struct sock *sk)
{
	struct tcpx_sock *tsk = tcpx_sk(sk);
	struct sk_buff *skb = tsk->send_head;

	if (!tcpx_before(tsk->snd_nxt, tsk->snd_max))
		return;
	while (skb && tcpx_before(TCPX_SKB_CB(skb)->seq, tsk->snd_max))
		skb = skb_queue_is_last(&sk->sk_write_queue, skb) ?
		      NULL : skb->next;
	tsk->send_head = skb;
	tsk->snd_nxt = tsk->snd_max;
}

/*
 * In-order data arrived: ACK at once for every second full segment and
 * at the start of a flow (TCP's quickack, so slow start is not slowed),
 * else within TCPX_DELACK_MIN (RFC 9293 3.8.6.3, RFC 5681 4.2).
 */
void tcpx_delack(struct sock *sk)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	struct tcpx_sock *tsk = tcpx_sk(sk);
	u32 mss = tsk->rcv_mss ? : tsk->advmss;

	/* Quick ACKs at a flow's start, unless TCPX_QUICKACK 0 asked for delay. */
	if ((icsk->icsk_ack.quick && !inet_csk_in_pingpong_mode(sk)) ||
	    tsk->rcv_nxt - tsk->rcv_wup >= 2 * mss) {
		if (icsk->icsk_ack.quick)
			icsk->icsk_ack.quick--;
		tcpx_send_ack(sk);
		return;
	}
	if (!(icsk->icsk_ack.pending & ICSK_ACK_TIMER))
		inet_csk_reset_xmit_timer(sk, ICSK_TIME_DACK, TCPX_DELACK_MIN,
					  TCPX_DELACK_MAX);
	icsk->icsk_ack.pending |= ICSK_ACK_SCHED | ICSK_ACK_TIMER;
}

void tcpx_send_reply(struct net *net, const struct sock *sk,
		     const struct sk_buff *in, u32 seq, u32 ack, u8 flags,
		     u16 win)
{
	tcpx_reply(net, sk, in, seq, ack, flags, win, NULL);
}

/*
 * The ACK of a TIME-WAIT sock, as tcp_v4_timewait_ack(): the window the
 * connection last offered, and the timestamp option when the connection
 * had it (RFC 7323 3.2: on every segment once agreed).
 */
void tcpx_tw_send_ack(struct inet_timewait_sock *tw, const struct sk_buff *in)
{
	const struct tcpx_timewait_sock *ttw = tcpx_twsk((struct sock *)tw);
	struct tcpx_out_opts opts = {};

	if (ttw->ts_recent_stamp) {
		opts.ts_ok = 1;
		opts.tsval = tcpx_ts_now() + ttw->ts_off;
		opts.tsecr = READ_ONCE(ttw->ts_recent);
	}
	tcpx_reply(twsk_net(tw), (struct sock *)tw, in, ttw->snd_nxt,
		   READ_ONCE(ttw->rcv_nxt), TCPHDR_ACK, ttw->rcv_win, &opts);
}

/*
 * The window of a SYN or SYN+ACK: never scaled (RFC 7323 2.2).  One
 * formula for every SYN+ACK, a cookie's too, as tcp_openreq_init_rwin()
 * serves both in TCP: the child of a listener takes it as its rcv_wnd.
 */
u32 tcpx_synack_window(const struct sock *sk)
{
	return min(tcpx_rcv_space(sk), TCPX_MAX_WIN);
}

/*
 * The ACK of a request sock (SYN-RECEIVED) to an unacceptable segment,
 * as tcp_v4_reqsk_send_ack(): <SEQ=ISS+1><ACK=IRS+1>, the SYN+ACK's
 * window scaled as the peer will read it, and timestamps if agreed.
 */
void tcpx_reqsk_send_ack(const struct sock *sk, const struct sk_buff *in,
			 const struct request_sock *req)
{
	const struct inet_request_sock *ireq = inet_rsk(req);
	const struct tcpx_request_sock *treq = tcpx_rsk(req);
	struct tcpx_out_opts opts = {};

	if (ireq->tstamp_ok) {
		opts.ts_ok = 1;
		opts.tsval = tcpx_ts_now() + treq->ts_off;
		opts.tsecr = READ_ONCE(treq->ts_recent);
	}
	tcpx_reply(sock_net(sk), sk, in, treq->snt_isn + 1, treq->rcv_isn + 1,
		   TCPHDR_ACK, tcpx_synack_window(sk) >> ireq->rcv_wscale,
		   &opts);
}

/* RFC 9293 3.10.7.1: the reset for a segment that finds no connection. */
void tcpx_send_reset(struct net *net, const struct sock *sk,
		     const struct sk_buff *in)
{
	const struct tcpx_skb_cb *cb = TCPX_SKB_CB(in);

	if (cb->flags & TCPHDR_RST)
		return;
	/* The family sends no RST to a broadcast or multicast address. */
	if (cb->flags & TCPHDR_ACK)
		tcpx_send_reply(net, sk, in, cb->ack_seq, 0, TCPHDR_RST, 0);
	else
		tcpx_send_reply(net, sk, in, 0, cb->end_seq,
				TCPHDR_RST | TCPHDR_ACK, 0);
}

/*
 * A listener's SYN+ACK, of a request sock or of a SYN cookie, routed by
 * the caller: the one builder, so both carry the same window and options
 * in the same layout (TCP's tcp_make_synack()).  A cookie's is owned by no
 * socket, as TCP's TCP_SYNACK_COOKIE: under a flood no listener's
 * refcount and wmem are touched for it.
 */
static int tcpx_xmit_synack(const struct tcpx_request_sock_ops *af_ops,
			    const struct sock *sk, struct dst_entry *dst,
			    struct flowi *fl, __be16 sport, __be16 dport,
			    u32 seq, u32 ack, const struct tcpx_out_opts *opts,
			    bool cookie)
{
	struct sk_buff *skb;
	int err;

	skb = alloc_skb(TCPX_MAX_HEADER, GFP_ATOMIC);
	if (!skb) {
		dst_release(dst);
		return -ENOMEM;
	}
	skb_reserve(skb, TCPX_MAX_HEADER);
	skb_push(skb, TCPX_HDR_LEN + tcpx_opts_len(opts));
	tcpx_fill_header(skb, sport, dport, seq, ack, TCPHDR_SYN | TCPHDR_ACK,
			 tcpx_synack_window(sk), opts);
	skb_dst_set(skb, dst);
	/* The listener owns it, as skb_to_full_sk() of TCP's request sock. */
	if (!cookie)
		skb_set_owner_w(skb, (struct sock *)sk);

	tcpx_inc_stats(sock_net(sk), TCPX_MIB_OUTSEGS);
	/* Checksummed and sent by the family, to the route's addresses. */
	err = af_ops->send_synack(sk, fl, skb);
	return net_xmit_eval(err);
}

/* SYN+ACK of a request sock. */
int tcpx_send_synack(const struct sock *sk, struct request_sock *req)
{
	const struct inet_request_sock *ireq = inet_rsk(req);
	struct tcpx_request_sock *treq = tcpx_rsk(req);
	const struct tcpx_request_sock_ops *af_ops = treq->af_specific;
	struct tcpx_out_opts opts = {};
	struct dst_entry *dst;
	struct flowi fl;

	dst = af_ops->route_req(sk, &fl, req);
	if (!dst)
		return -EHOSTUNREACH;
	opts.mss = tcpx_mss_for_mtu(dst_mtu(dst), af_ops->net_header_len);
	opts.ws_ok = ireq->wscale_ok;
	opts.ws = ireq->rcv_wscale;
	opts.ts_ok = ireq->tstamp_ok;
	opts.sack_perm = ireq->sack_ok;
	opts.tsval = tcpx_ts_now() + treq->ts_off;
	opts.tsecr = treq->ts_recent;
	if (!treq->snt_synack_us)
		treq->snt_synack_us = tcpx_now_us() ? : 1;
	return tcpx_xmit_synack(af_ops, sk, dst, &fl, htons(ireq->ir_num),
				ireq->ir_rmt_port, treq->snt_isn,
				treq->rcv_isn + 1, &opts, false);
}

/*
 * The SYN+ACK carrying a cookie, built from the SYN alone: no request sock
 * is allocated, so a flood answered with cookies takes nothing from the
 * module's caches.  Addresses swapped, the listener's bound device; only
 * our MSS among the options (syncookies.c: what a cookie cannot carry).
 */
int tcpx_send_cookie_synack(const struct tcpx_request_sock_ops *af_ops,
			    const struct sock *sk, struct sk_buff *syn,
			    u32 cookie)
{
	const struct tcphdr *th = tcp_hdr(syn);
	struct tcpx_out_opts opts = {};
	struct dst_entry *dst;
	struct flowi fl;

	dst = af_ops->cookie.route(sk, &fl, syn);
	if (!dst)
		return -EHOSTUNREACH;
	opts.mss = tcpx_mss_for_mtu(dst_mtu(dst), af_ops->net_header_len);
	return tcpx_xmit_synack(af_ops, sk, dst, &fl, th->dest, th->source,
				cookie, TCPX_SKB_CB(syn)->seq + 1, &opts, true);
}

/*
 * The owner let go of the socket: work a softirq handler left for it, as
 * tcp_release_cb() -- a lowered path MTU, the family's to apply.
 */
void tcpx_release_cb(struct sock *sk)
{
	struct tcpx_sock *tsk = tcpx_sk(sk);

	if (test_and_clear_bit(TCPX_MTU_REDUCED_DEFERRED, &tsk->deferred)) {
		inet_csk(sk)->icsk_af_ops->mtu_reduced(sk);
		__sock_put(sk);
	}
}

/*
 * A SYN+ACK again (rsk_ops: the request's timer, a duplicate SYN).  The
 * first goes by tcpx_send_synack(): the timer's first resend runs with
 * num_timeout still 0, so only this path knows it is a retransmission.
 */
int tcpx_rtx_synack(const struct sock *sk, struct request_sock *req)
{
	int err = tcpx_send_synack(sk, req);

	if (!err)
		tcpx_inc_stats(sock_net(sk), TCPX_MIB_RETRANSSEGS);
	return err;
}
