// SPDX-License-Identifier: GPL-2.0
/*
 * TIME-WAIT (RFC 9293 3.6): once both FINs are through, the active closer
 * keeps a small inet_timewait_sock for 2*MSL instead of the full socket.
 * It re-ACKs a retransmitted FIN and restarts its timer, as it does for
 * any sign of the old connection's peer (as TCP), ends on a RST at rcv_nxt,
 * lets a new SYN with a higher sequence number or a newer timestamp reopen
 * the 4-tuple (RFC 6191, with an ISN above the old connection's), lets a
 * connect() from the same bound port recycle it when timestamps guard
 * the new connection (as tcp_twsk_unique()), and otherwise keeps the
 * tuple from being reused.
 *
 * Also the purge of everything tcpx leaves in the kernel without a process
 * behind it (TIME-WAIT, request socks, orphaned connections) when its
 * namespace or the module goes.
 */
#include <net/inet_timewait_sock.h>
#include <net/tcp_states.h>

#include "mib.h"
#include "trace.h"
#include "tcpx.h"

static void tcpx_twsk_destructor(struct sock *sk)
{
	trace_tcpx_set_state(sk, TCP_TIME_WAIT, TCP_CLOSE);
	tcpx_twsk_unbind(inet_twsk(sk));
}

struct timewait_sock_ops tcpx_timewait_sock_ops = {
	.twsk_obj_size	= sizeof(struct tcpx_timewait_sock),
	.twsk_destructor = tcpx_twsk_destructor,
};

static int tcpx_tw_timeout(const struct net *net)
{
	return 2 * READ_ONCE(tcpx_pernet(net)->msl) * HZ;
}

void tcpx_time_wait(struct sock *sk, int state)
{
	struct tcpx_pernet *pn = tcpx_pernet(sock_net(sk));
	struct inet_timewait_sock *tw;
	int timeo = tcpx_tw_timeout(sock_net(sk));

	tw = inet_twsk_alloc(sk, &pn->death_row, state);
	if (tw) {
		struct tcpx_timewait_sock *ttw = tcpx_twsk((struct sock *)tw);
		struct tcpx_sock *tsk = tcpx_sk(sk);
		u32 win = 0;

		ttw->rcv_nxt = tsk->rcv_nxt;
		ttw->snd_nxt = tsk->snd_nxt;
		ttw->ts_recent = tsk->ts_recent;
		ttw->ts_recent_stamp = tsk->tstamp_ok ? tsk->ts_recent_stamp : 0;
		ttw->ts_off = tsk->ts_off;
		ttw->last_oow_ack_time = 0;
		/* Its ACKs offer what is left of the last window, as TCP's. */
		if (tcpx_after(tsk->rcv_wup + tsk->rcv_wnd, tsk->rcv_nxt))
			win = tsk->rcv_wup + tsk->rcv_wnd - tsk->rcv_nxt;
		ttw->rcv_win = min(win >> tsk->rcv_wscale, TCPX_MAX_WIN);
		/* Its ACKs and RSTs keep the socket's SO_MARK, SO_PRIORITY. */
		tw->tw_mark = READ_ONCE(sk->sk_mark);
		tw->tw_priority = READ_ONCE(sk->sk_priority);
		tcpx_v6_tw_init(tw, sk);
		tcpx_twsk_hashdance(tw, sk, timeo);
		/*
		 * The TIME-WAIT sock goes on in sk's place; sk itself goes
		 * straight to CLOSE, as TCP's does: a lookup that took it
		 * before the hashdance must never find a full sock in
		 * TIME_WAIT and take it for a TIME-WAIT one.
		 */
		trace_tcpx_set_state(sk, sk->sk_state, TCP_TIME_WAIT);
		__tcpx_set_state(sk, TCP_CLOSE);
	}
	/* Without memory for a TIME-WAIT sock the connection just ends. */
	tcpx_done(sk);
}

/* RFC 6191: a new incarnation starts above anything the old one sent. */
static u32 tcpx_tw_isn(const struct tcpx_timewait_sock *ttw)
{
	return ttw->snd_nxt + 65535 + 2 ? : 1;
}

/*
 * connect() from a bound port to a peer whose 4-tuple sits in TIME-WAIT:
 * with timestamps on the old connection, PAWS keeps its segments out of
 * the new one, so the TIME-WAIT sock goes and the new connection starts
 * above the old sequence space -- as tcp_twsk_unique() does for a bound
 * port.  The kernel's check_established() asks only TCP (6.9+), so tcpx
 * asks first.  Returns the ISN to use, 0 for none.
 */
u32 tcpx_tw_recycle(const struct sock *sk)
{
	struct tcpx_timewait_sock *ttw;
	struct sock *sk2;
	u32 isn = 0;

	if (!inet_sk(sk)->inet_num)
		return 0;
	rcu_read_lock();
	local_bh_disable();
	sk2 = tcpx_lookup_own(sk);
	if (sk2 && sk2->sk_state == TCP_TIME_WAIT) {
		ttw = tcpx_twsk(sk2);
		if (READ_ONCE(ttw->ts_recent_stamp) &&
		    READ_ONCE(inet_twsk(sk2)->tw_substate) != TCP_FIN_WAIT2) {
			isn = tcpx_tw_isn(ttw);
			inet_twsk_deschedule_put(inet_twsk(sk2));
			sk2 = NULL;
		}
	}
	if (sk2)
		sock_gen_put(sk2);
	local_bh_enable();
	rcu_read_unlock();
	return isn;
}

/* RFC 7323 5.3 R1 on a TIME-WAIT sock. */
static bool tcpx_tw_paws_reject(const struct tcpx_timewait_sock *ttw,
				const struct tcpx_skb_cb *cb, bool rst)
{
	u32 stamp = READ_ONCE(ttw->ts_recent_stamp);
	u32 age = (u32)ktime_get_seconds() - stamp;

	if (!stamp || !cb->saw_tstamp ||
	    (s32)(READ_ONCE(ttw->ts_recent) - cb->tsval) <= 0 ||
	    age >= TCPX_PAWS_24DAYS)
		return false;
	return !rst || age < TCPX_PAWS_RST_AGE;
}

/*
 * As tcp_timewait_state_process() for a sock past FIN-WAIT-2 (tcpx keeps
 * no FIN-WAIT-2 in a TIME-WAIT sock).  Whatever shows the peer still
 * talks to the old connection -- a bare ACK at rcv_nxt, any ACK or FIN it
 * sends again because our last ACK was lost, a PAWS-rejected duplicate --
 * restarts the 2*msl, so the old connection's segments die before the
 * tuple is free.  A segment without ACK that is no duplicate (a SYN below
 * rcv_nxt, say) may be a new connection's: it does not keep the tuple.
 */
void tcpx_tw_rcv(struct inet_timewait_sock *tw, struct sk_buff *skb)
{
	struct tcpx_timewait_sock *ttw = tcpx_twsk((struct sock *)tw);
	const struct tcpx_skb_cb *cb = TCPX_SKB_CB(skb);
	const struct tcphdr *th = tcp_hdr(skb);
	u32 rcv_nxt = READ_ONCE(ttw->rcv_nxt);
	struct net *net = twsk_net(tw);
	bool paws_reject;

	paws_reject = tcpx_tw_paws_reject(ttw, cb, th->rst);
	/*
	 * In the window: only a bare ACK or a RST can be, at rcv_nxt
	 * (RFC 9293 3.10.7.4).  The RST ends TIME-WAIT; the ACK needs no
	 * answer, and its timestamp is the newest.
	 */
	if (!paws_reject && cb->seq == rcv_nxt &&
	    (cb->seq == cb->end_seq || th->rst)) {
		if (th->rst) {
			inet_twsk_deschedule_put(tw);
			goto discard;
		}
		inet_twsk_reschedule(tw, tcpx_tw_timeout(net));
		if (cb->saw_tstamp && ttw->ts_recent_stamp) {
			WRITE_ONCE(ttw->ts_recent, cb->tsval);
			WRITE_ONCE(ttw->ts_recent_stamp, (u32)ktime_get_seconds());
		}
		goto put;
	}
	/*
	 * A new incarnation (RFC 9293 3.10.7.4 note, RFC 6191): a SYN above
	 * the old sequence space, or with a newer timestamp, gets in.
	 */
	if (th->syn && !th->rst && !th->ack && !paws_reject &&
	    (tcpx_after(cb->seq, rcv_nxt) ||
	     (cb->saw_tstamp && ttw->ts_recent_stamp &&
	      (s32)(ttw->ts_recent - cb->tsval) < 0))) {
		struct sock *lsk;

		TCPX_SKB_CB(skb)->tw_isn = tcpx_tw_isn(ttw);
		lsk = tcpx_skb_af(skb)->lookup_listener(net, skb);
		inet_twsk_deschedule_put(tw);
		if (lsk) {
			/* Listeners take segments without their lock (input.c). */
			tcpx_listen_rcv(lsk, skb);
			return;
		}
		tcpx_send_reset(net, NULL, skb);
		goto discard;
	}
	if (paws_reject)
		tcpx_inc_stats(net, TCPX_MIB_PAWSDROPS);
	/* A RST anywhere else is dropped without an answer. */
	if (th->rst)
		goto put;
	/* The peer's FIN (or an ACK) again: our last ACK was lost. */
	if (paws_reject || th->ack)
		inet_twsk_reschedule(tw, tcpx_tw_timeout(net));
	/*
	 * Anything else is unacceptable: an ACK answers it (first check), as
	 * tcp_timewait_state_process() -- at most one a TCPX_INVALID_RATELIMIT
	 * unless it carries data or a FIN.
	 */
	if (!tcpx_oow_rate_limited(net, skb, &ttw->last_oow_ack_time))
		tcpx_tw_send_ack(tw, skb);
put:
	inet_twsk_put(tw);
discard:
	kfree_skb(skb);
}

/* Kill every TIME-WAIT and request sock of net (all of them if NULL). */
static void tcpx_purge_mini(struct net *net)
{
	struct inet_hashinfo *h = &tcpx_hashinfo;
	struct hlist_nulls_node *node;
	unsigned int slot;
	struct sock *sk;

	for (slot = 0; slot <= h->ehash_mask; slot++) {
		struct inet_ehash_bucket *head = &h->ehash[slot];

restart:
		rcu_read_lock();
		sk_nulls_for_each_rcu(sk, node, &head->chain) {
			if (sk->sk_state != TCP_TIME_WAIT &&
			    sk->sk_state != TCP_NEW_SYN_RECV)
				continue;
			if (net && !net_eq(sock_net(sk), net))
				continue;
			if (!refcount_inc_not_zero(&sk->sk_refcnt))
				continue;
			rcu_read_unlock();
			/* SLAB_TYPESAFE_BY_RCU: reused meanwhile, maybe elsewhere. */
			if ((sk->sk_state != TCP_TIME_WAIT &&
			     sk->sk_state != TCP_NEW_SYN_RECV) ||
			    (net && !net_eq(sock_net(sk), net))) {
				sock_gen_put(sk);
				goto restart;
			}
			local_bh_disable();
			if (sk->sk_state == TCP_TIME_WAIT) {
				inet_twsk_deschedule_put(inet_twsk(sk));
			} else {
				struct request_sock *req = inet_reqsk(sk);

				tcpx_reqsk_drop_and_put(req->rsk_listener, req);
			}
			local_bh_enable();
			goto restart;
		}
		rcu_read_unlock();
		cond_resched();
	}
}

/* Abort the full sockets left in net: orphans, since no process is left. */
static void tcpx_purge_orphans(struct net *net)
{
	struct tcpx_pernet *pn = tcpx_pernet(net);
	struct tcpx_sock *tsk;
	struct sock *sk;

	for (;;) {
		sk = NULL;
		spin_lock_bh(&pn->sockets_lock);
		hlist_for_each_entry(tsk, &pn->sockets, node) {
			if (refcount_inc_not_zero(&((struct sock *)tsk)->sk_refcnt)) {
				sk = (struct sock *)tsk;
				hlist_del_init(&tsk->node);
				break;
			}
		}
		spin_unlock_bh(&pn->sockets_lock);
		if (!sk)
			break;

		/*
		 * Handlers finish before module text goes.  Not under the
		 * socket lock: a handler that finds the socket owned re-arms.
		 * Nothing re-arms them later: input is unregistered already
		 * at rmmod, and a dying namespace has no devices.
		 */
		sk_stop_timer_sync(sk, &inet_csk(sk)->icsk_retransmit_timer);
		sk_stop_timer_sync(sk, &inet_csk(sk)->icsk_delack_timer);
		sk_stop_timer_sync(sk, &inet_csk(sk)->icsk_keepalive_timer);
		lock_sock(sk);
		if (sk->sk_state != TCP_CLOSE) {
			if (sk->sk_state != TCP_LISTEN &&
			    sk->sk_state != TCP_SYN_SENT)
				tcpx_send_active_reset(sk, GFP_KERNEL);
			tcpx_done(sk);
		}
		release_sock(sk);
		sock_put(sk);
	}
}

void tcpx_purge_net(struct net *net)
{
	tcpx_purge_orphans(net);
	tcpx_purge_mini(net);
}
