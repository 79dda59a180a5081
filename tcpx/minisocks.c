// SPDX-License-Identifier: GPL-2.0
/*
 * TIME-WAIT (RFC 9293 3.6): once both FINs are through, the active closer
 * keeps a small inet_timewait_sock for 2*MSL instead of the full socket.
 * It re-ACKs a retransmitted FIN (and restarts its timer), resets on RST,
 * lets a new SYN with a higher sequence number reopen the 4-tuple, and
 * otherwise keeps the tuple from being reused.
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

		ttw->rcv_nxt = tcpx_sk(sk)->rcv_nxt;
		ttw->snd_nxt = tcpx_sk(sk)->snd_nxt;
		tcpx_twsk_hashdance_schedule(tw, sk, &tcpx_hashinfo, timeo);
		tcpx_set_state(sk, TCP_TIME_WAIT);
	}
	/* Without memory for a TIME-WAIT sock the connection just ends. */
	tcpx_done(sk);
}

void tcpx_tw_rcv(struct inet_timewait_sock *tw, struct sk_buff *skb)
{
	struct tcpx_timewait_sock *ttw = tcpx_twsk((struct sock *)tw);
	const struct tcpx_skb_cb *cb = TCPX_SKB_CB(skb);
	const struct tcphdr *th = tcp_hdr(skb);
	struct net *net = twsk_net(tw);

	if (th->rst) {
		if (cb->seq == ttw->rcv_nxt)
			inet_twsk_deschedule_put(tw);
		else
			inet_twsk_put(tw);
		goto discard;
	}
	if (th->syn && !th->ack && tcpx_after(cb->seq, ttw->rcv_nxt)) {
		/* A new incarnation (RFC 9293 3.10.7.4 note): let it in. */
		struct sock *lsk;

		lsk = __inet_lookup_listener(net, &tcpx_hashinfo, skb,
					     th->doff * 4, ip_hdr(skb)->saddr,
					     th->source, ip_hdr(skb)->daddr,
					     ntohs(th->dest), inet_iif(skb),
					     inet_sdif(skb));
		inet_twsk_deschedule_put(tw);
		if (lsk) {
			bh_lock_sock_nested(lsk);
			if (!sock_owned_by_user(lsk))
				tcpx_listen_rcv(lsk, skb);
			else if (sk_add_backlog(lsk, skb, READ_ONCE(lsk->sk_rcvbuf)))
				kfree_skb(skb);
			bh_unlock_sock(lsk);
			return;
		}
		tcpx_send_reset(net, skb);
		goto discard;
	}
	/* The peer's FIN again: our last ACK was lost.  ACK, restart 2*MSL. */
	if (th->fin && cb->end_seq == ttw->rcv_nxt)
		inet_twsk_reschedule(tw, tcpx_tw_timeout(net));
	if (th->fin || cb->end_seq != cb->seq || th->syn)
		tcpx_send_reply(net, skb, ttw->snd_nxt, ttw->rcv_nxt,
				TCPHDR_ACK, 0);
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
			local_bh_disable();
			if (sk->sk_state == TCP_TIME_WAIT) {
				inet_twsk_deschedule_put(inet_twsk(sk));
			} else {
				struct request_sock *req = inet_reqsk(sk);

				inet_csk_reqsk_queue_drop_and_put(req->rsk_listener,
								  req);
			}
			local_bh_enable();
			goto restart;
		}
		rcu_read_unlock();
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
