// SPDX-License-Identifier: GPL-2.0
/*
 * SYN cookies: a listener answers a SYN without keeping anything, and
 * rebuilds the connection from the final ACK (the scheme of TCP's
 * net/ipv4/syncookies.c).  The SYN+ACK's sequence number is
 *
 *	cookie = H0 + ISN(client) + (count << 24) + ((H1(count) + mssind) % 2^24)
 *
 *	H0        = siphash(key0; saddr, daddr, sport << 16 | dport, 0)
 *	H1(count) = siphash(key1; saddr, daddr, sport << 16 | dport, count)
 *	count     = jiffies / (syncookie_period * HZ), a coarse clock
 *	mssind    = index of the largest tcpx_msstab[] entry <= the peer's MSS
 *
 * addresses and ports as the listener received them (the client's first).
 * key0/key1 are random per namespace and never leave the kernel.  The ACK
 * acknowledges cookie + 1: subtracting H0 and the client's ISN (the ACK's
 * seq - 1) leaves the count in the top 8 bits; a count at most one period
 * behind the clock (an age below two periods) gives mssind once H1 of that
 * count is subtracted from the low 24 bits, and any mssind outside the
 * table means a forged or damaged cookie.  A guess is right with odds of
 * 2 * ARRAY_SIZE(tcpx_msstab) in 2^24.
 *
 * Window scale and SACK-permitted cannot be in the cookie; TCP puts them
 * in the low bits of the SYN+ACK's timestamp value.  tcpx's cookie
 * SYN+ACK carries no options but the MSS, so a connection a cookie opens
 * has no window scaling, SACK or timestamps; tcpx_cookie_init_sequence()
 * is where the bits would go into the tsval, and tcpx_cookie_valid() where
 * they would come back from the ACK's tsecr (see Documentation/tcpx.rst).
 *
 * The whole concern is here: when a SYN is answered with a cookie
 * (tcpx_cookie_synack(), called by conn.c's tcpx_conn_request()), when an
 * ACK to a listener is taken for a cookie's answer (tcpx_cookie_wanted()),
 * and the child a valid one opens (tcpx_cookie_check(), as TCP's
 * cookie_v4_check(), through the family's cookie check), built
 * by the same tcpx_syn_recv_sock() as the child of a request sock.  The
 * hashes take the addresses from the family (tcpx_request_sock_ops).
 */
#include <linux/jiffies.h>
#include <linux/math64.h>
#include <linux/security.h>
#include <linux/siphash.h>

#include "mib.h"
#include "trace.h"
#include "tcpx.h"

#define TCPX_COOKIE_BITS	24
#define TCPX_COOKIE_MASK	((1U << TCPX_COOKIE_BITS) - 1)
#define TCPX_COOKIE_MAX_AGE	2	/* clock periods, as MAX_SYNCOOKIE_AGE */

/* TCP's msstab: the MSS values most peers announce. */
static const u16 tcpx_msstab[] = { 536, 1300, 1440, 1460 };

static u32 tcpx_cookie_count(const struct tcpx_pernet *pn)
{
	u64 period = (u64)max(READ_ONCE(pn->syncookie_period), 1) * HZ;

	return (u32)div64_u64(get_jiffies_64(), period);
}

/* Over the segment's addresses and ports, the client's first (the family's). */
static u32 tcpx_cookie_hash(const struct tcpx_request_sock_ops *af_ops,
			    const struct tcpx_pernet *pn,
			    const struct sk_buff *skb, u32 count, int c)
{
	return af_ops->cookie.hash(skb, count, &pn->cookie_key[c]);
}

/*
 * The ISN of a SYN+ACK that keeps no state: the cookie for the SYN in skb.
 * *mss is the peer's MSS option (0: none) on entry, the MSS the cookie
 * encodes on return.
 */
static u32 tcpx_cookie_init_sequence(const struct tcpx_request_sock_ops *af_ops,
				     const struct sock *sk,
				     const struct sk_buff *skb, u16 *mss)
{
	const struct tcpx_pernet *pn = tcpx_pernet(sock_net(sk));
	u32 count = tcpx_cookie_count(pn);
	u16 peer = *mss ? : TCPX_MSS_DEFAULT;
	u32 mssind, cookie;

	for (mssind = ARRAY_SIZE(tcpx_msstab) - 1; mssind; mssind--)
		if (peer >= tcpx_msstab[mssind])
			break;
	*mss = tcpx_msstab[mssind];

	cookie = tcpx_cookie_hash(af_ops, pn, skb, 0, 0) +
		 TCPX_SKB_CB(skb)->seq + (count << TCPX_COOKIE_BITS) +
		 ((tcpx_cookie_hash(af_ops, pn, skb, count, 1) + mssind) &
		  TCPX_COOKIE_MASK);
	/* Here, with a timestamp: wscale and SACK into the tsval. */

	tcpx_inc_stats(sock_net(sk), TCPX_MIB_SYNCOOKIESSENT);
	trace_tcpx_syncookie(skb, TCPX_COOKIE_SENT, *mss);
	return cookie;
}

/*
 * Is the ACK in skb the answer to one of our cookies?  0 and the MSS it
 * encodes in *mss, or -EINVAL (counted) if not.
 */
static int tcpx_cookie_valid(const struct tcpx_request_sock_ops *af_ops,
			     const struct sock *sk, const struct sk_buff *skb,
			     u16 *mss)
{
	const struct tcpx_pernet *pn = tcpx_pernet(sock_net(sk));
	const struct tcpx_skb_cb *cb = TCPX_SKB_CB(skb);
	u32 count = tcpx_cookie_count(pn);
	u32 cookie = cb->ack_seq - 1;
	u32 diff, mssind;

	cookie -= tcpx_cookie_hash(af_ops, pn, skb, 0, 0) + (cb->seq - 1);
	diff = (count - (cookie >> TCPX_COOKIE_BITS)) &
	       ((u32)-1 >> TCPX_COOKIE_BITS);
	if (diff >= TCPX_COOKIE_MAX_AGE)
		goto fail;
	mssind = (cookie - tcpx_cookie_hash(af_ops, pn, skb, count - diff, 1)) &
		 TCPX_COOKIE_MASK;
	if (mssind >= ARRAY_SIZE(tcpx_msstab))
		goto fail;
	/* Here, with a timestamp: wscale and SACK from the tsecr. */

	*mss = tcpx_msstab[mssind];
	tcpx_inc_stats(sock_net(sk), TCPX_MIB_SYNCOOKIESRECV);
	trace_tcpx_syncookie(skb, TCPX_COOKIE_ACCEPTED, *mss);
	return 0;
fail:
	tcpx_inc_stats(sock_net(sk), TCPX_MIB_SYNCOOKIESFAILED);
	trace_tcpx_syncookie(skb, TCPX_COOKIE_REJECTED, 0);
	return -EINVAL;
}

/*
 * A SYN the SYN queue has no room for (or syncookies=2): its SYN+ACK
 * carries a cookie and nothing is kept.  The listener notes when, for
 * tcpx_cookie_wanted(), as TCP's cookie_init_sequence() calls
 * tcp_synq_overflow().  mss: the SYN's MSS option, 0 for none.
 */
void tcpx_cookie_synack(const struct tcpx_request_sock_ops *af_ops,
			struct sock *sk, struct sk_buff *syn, u16 mss)
{
	WRITE_ONCE(tcpx_sk(sk)->synq_overflow, jiffies);
	tcpx_send_cookie_synack(af_ops, sk, syn,
				tcpx_cookie_init_sequence(af_ops, sk, syn, &mss));
}

/*
 * Should an ACK to a listener be taken for a cookie's answer?  Always
 * with syncookies=2; with 1 only if this listener sent cookies in the
 * last two clock periods (TCP's tcp_synq_no_recent_overflow()).
 */
bool tcpx_cookie_wanted(const struct sock *sk)
{
	const struct tcpx_pernet *pn = tcpx_pernet(sock_net(sk));
	unsigned long last = READ_ONCE(tcpx_sk(sk)->synq_overflow);

	switch (READ_ONCE(pn->syncookies)) {
	case 2:
		return true;
	case 1:
		return last && time_before(jiffies, last + HZ +
					   2UL * READ_ONCE(pn->syncookie_period) * HZ);
	}
	return false;
}

/*
 * An ACK that may carry a cookie: the child, locked, if it does; sk if
 * the cookie is wrong (the caller resets); NULL if the ACK is dropped.
 * The request ops are those of the segment's family (tcpx_skb_af()).
 */
struct sock *tcpx_cookie_check(struct sock *sk, struct sk_buff *skb)
{
	const struct tcpx_request_sock_ops *af_ops = tcpx_skb_af(skb)->req_ops;
	const struct tcpx_skb_cb *cb = TCPX_SKB_CB(skb);
	struct request_sock *req;
	bool own_req = false;
	struct sock *child;
	u16 mss;

	if (tcpx_cookie_valid(af_ops, sk, skb, &mss))
		return sk;
	/* The request sock exists only to build the child and to queue it. */
	req = inet_reqsk_alloc(tcpx_skb_af(skb)->rsk_ops, sk, false);
	if (!req)
		goto drop;
	tcpx_init_req(af_ops, sk, skb, req, cb->seq - 1);
	tcpx_rsk(req)->snt_isn = cb->ack_seq - 1;
	tcpx_rsk(req)->mss = mss;
	if (security_inet_conn_request(sk, skb, req))
		goto free;

	child = tcpx_syn_recv_sock(sk, skb, req, false, &own_req);
	if (child) {
		__acquire(child);
		refcount_set(&req->rsk_refcnt, 1);
		if (inet_csk_reqsk_queue_add(sk, req, child)) {
			__release(child);	/* handed over locked */
			return child;
		}
		bh_unlock_sock(child);
		sock_put(child);
	}
free:
	/* Not reqsk_free(): the count may be 1 here, as in TCP's cookie path. */
	__reqsk_free(req);
drop:
	return NULL;
}
