// SPDX-License-Identifier: GPL-2.0
/*
 * Opening connections: the state an active open (the family's connect,
 * ipv4.c) starts from, and the passive open (a listener's SYN queue of
 * request socks and the child born of the third ACK), RFC 9293 3.5.
 *
 * A listener keeps each half-open connection as a request sock in ehash,
 * not a full socket; its timer (tcpx_reqsk_timer()) resends the SYN+ACK
 * through the kernel's request_sock_ops.  The final ACK finds the
 * request sock, which becomes a full socket in the accept queue.
 *
 * What depends on the family -- the request's addresses, its ISN, the
 * routes and the child's addresses -- goes through the family's
 * tcpx_request_sock_ops (kept in the request) and the listener's
 * icsk_af_ops, as in TCP.
 */
#include <linux/security.h>
#include <linux/siphash.h>
#include <net/inet_hashtables.h>

#include "mib.h"
#include "trace.h"
#include "tcpx.h"

/* State of a new connection, once its addresses and route are known. */
void tcpx_init_connection(struct sock *sk, const struct dst_entry *dst,
			  u32 iss)
{
	struct tcpx_sock *tsk = tcpx_sk(sk);
	u16 mss = tcpx_mss_for_mtu(dst_mtu(dst),
				   inet_csk(sk)->icsk_af_ops->net_header_len);

	if (tsk->user_mss)
		mss = min_t(u16, mss, tsk->user_mss);
	tsk->advmss = mss;
	/* Until the peer's SYN says otherwise: RFC 9293 3.7.1's 536. */
	tcpx_set_mss_clamp(sk, 0);
	tcpx_sync_mss(sk, dst_mtu(dst));
	tsk->rcv_wscale = tcpx_select_wscale(sk);
	tsk->snd_cwnd = TCPX_INIT_CWND * tsk->mss_cache;
	/* Every send sequence variable starts at the ISN (RFC 9293 3.4). */
	tsk->iss = iss;
	tsk->write_seq = iss;
	tsk->snd_una = tsk->write_seq;
	tsk->snd_nxt = tsk->write_seq;
	tsk->snd_max = tsk->write_seq;
	tsk->recover = tsk->write_seq;
	tsk->snd_wl1 = 0;
	tsk->snd_wnd = 0;
	tsk->bytes_acked = 0;
	tsk->bytes_received = 0;
	tsk->bytes_sent = 0;
	tsk->bytes_retrans = 0;
	tsk->segs_in = 0;
	tsk->data_segs_in = 0;
	tsk->segs_out = 0;
	tsk->data_segs_out = 0;
	tsk->dupacks = 0;
	tsk->total_retrans = 0;
	inet_csk(sk)->icsk_rto = TCPX_TIMEOUT_INIT;
	inet_csk(sk)->icsk_retransmits = 0;
	inet_csk(sk)->icsk_backoff = 0;
}

/*
 * connect() of every family, its route found: SYN-SENT before hashing, so
 * nothing is ever hashed in CLOSE; the TIME-WAIT sock of a bound port's
 * 4-tuple recycled (*tw_isn its ISN, else 0); a port and the 4-tuple
 * into ehash.
 */
int tcpx_connect_hash(struct sock *sk, u32 *tw_isn)
{
	tcpx_set_state(sk, TCP_SYN_SENT);
	*tw_isn = tcpx_tw_recycle(sk);
	return tcpx_hash_connect(sk);
}

/* connect() failed past its route: the socket closed, unhashed, unrouted. */
int tcpx_connect_fail(struct sock *sk, int err)
{
	tcpx_set_state(sk, TCP_CLOSE);
	tcpx_reset_saddr(sk);
	sk->sk_route_caps = 0;
	inet_sk(sk)->inet_dport = 0;
	return err;
}

/*
 * connect()'s end for every family, its route set and its 4-tuple hashed:
 * the options our SYN offers (tcpx_rcv_synsent() keeps what the peer
 * takes), and the SYN.
 */
int tcpx_connect_syn(struct sock *sk, const struct dst_entry *dst, u32 iss,
		     u32 ts_off)
{
	struct tcpx_sock *tsk = tcpx_sk(sk);
	int err;

	tcpx_init_connection(sk, dst, iss);
	tsk->wscale_ok = 1;
	tsk->tstamp_ok = 1;
	tsk->sack_ok = 1;
	tsk->ts_off = ts_off;
	err = tcpx_send_syn(sk);
	if (!err)
		tcpx_inc_stats(sock_net(sk), TCPX_MIB_ACTIVEOPENS);
	return err;
}

/*
 * A connection synchronized with its peer, by either end of a handshake
 * (tcpx_rcv_synsent() on the peer's SYN, tcpx_syn_recv_sock() for a
 * listener's child): the peer's ISN irs, the window snd_wnd offered by
 * the segment at wl1, and the MSS for a path of MTU pmtu, once the
 * options agreed and the MSS clamp are set.
 */
void tcpx_init_synced(struct sock *sk, u32 irs, u32 snd_wnd, u32 wl1,
		      u32 pmtu)
{
	struct tcpx_sock *tsk = tcpx_sk(sk);

	tsk->irs = irs;
	tsk->rcv_nxt = irs + 1;
	tsk->copied_seq = tsk->rcv_nxt;
	tsk->rcv_wup = tsk->rcv_nxt;
	tsk->snd_wnd = snd_wnd;
	tsk->max_window = snd_wnd;
	tsk->snd_wl1 = wl1;
	tcpx_sync_mss(sk, pmtu);
	tsk->snd_cwnd = TCPX_INIT_CWND * tsk->mss_cache;
}

/*
 * A request sock's addresses and ISNs, from the segment that opens it; it
 * keeps its family's ops for the SYN+ACKs its timer sends.
 */
void tcpx_init_req(const struct tcpx_request_sock_ops *af_ops,
		   const struct sock *sk, struct sk_buff *skb,
		   struct request_sock *req, u32 rcv_isn)
{
	const struct tcphdr *th = tcp_hdr(skb);
	struct inet_request_sock *ireq = inet_rsk(req);

	tcpx_rsk(req)->af_specific = af_ops;
	tcpx_rsk(req)->ts_off = af_ops->init_ts_off(sock_net(sk), skb);
	ireq->ir_num = ntohs(th->dest);
	ireq->ir_rmt_port = th->source;
	ireq->ir_iif = inet_request_bound_dev_if(sk, skb);
	ireq->ir_mark = inet_request_mark(sk, skb);
	/* After ir_iif: an IPv6 link-local peer binds it to its interface. */
	af_ops->init_req(req, skb);
	tcpx_rsk(req)->rcv_isn = rcv_isn;
	/* Options: none until tcpx_conn_request() reads the SYN's. */
	ireq->wscale_ok = 0;
	ireq->snd_wscale = 0;
	ireq->rcv_wscale = 0;
	ireq->tstamp_ok = 0;
	ireq->sack_ok = 0;
	/* The kernel's reqsk timer reads it; inet_reqsk_alloc() leaves it. */
	ireq->acked = 0;
	tcpx_rsk(req)->ts_recent = 0;
	tcpx_rsk(req)->last_oow_ack_time = 0;
	tcpx_rsk(req)->snt_synack_us = 0;
}

/*
 * The SYN queue is full: cookies (syncookies >= 1) or a drop, as TCP's
 * tcp_syn_flood_action(), with one warning per listener.
 */
static bool tcpx_syn_flood_action(struct sock *sk, int syncookies)
{
	struct request_sock_queue *queue = &inet_csk(sk)->icsk_accept_queue;
	bool want_cookie = syncookies != 0;

	if (!READ_ONCE(queue->synflood_warned) && syncookies != 2 &&
	    xchg(&queue->synflood_warned, 1) == 0)
		net_info_ratelimited("Possible SYN flooding on port %pI4:%u. %s.\n",
				     &inet_sk(sk)->inet_rcv_saddr,
				     inet_sk(sk)->inet_num,
				     want_cookie ? "Sending cookies" :
						   "Dropping request");
	return want_cookie;
}

/*
 * A request sock leaves ehash and the SYN queue (RST, SYN, expiry, an
 * ICMP error); false if it had left already.  The timer goes unless it is
 * the caller.
 */
static bool __tcpx_reqsk_drop(struct sock *sk, struct request_sock *req,
			      bool from_timer)
{
	bool unlinked = tcpx_reqsk_unlink(req);

	if (!from_timer && timer_delete_sync(&req->rsk_timer))
		reqsk_put(req);
	if (unlinked) {
		reqsk_queue_removed(&inet_csk(sk)->icsk_accept_queue, req);
		reqsk_put(req);
	}
	return unlinked;
}

bool tcpx_reqsk_drop(struct sock *sk, struct request_sock *req)
{
	return __tcpx_reqsk_drop(sk, req, false);
}

void tcpx_reqsk_drop_and_put(struct sock *sk, struct request_sock *req)
{
	tcpx_reqsk_drop(sk, req);
	reqsk_put(req);
}

/*
 * The request's timer: the SYN+ACK again with backoff, up to the retry
 * limit -- fewer for old requests while the queue is more than half full,
 * so young ones keep room (as TCP prunes) -- and with TCPX_DEFER_ACCEPT
 * none while an ACK without data waits, until the period's end.  A
 * listener that closed takes its requests with it.
 */
static void tcpx_reqsk_timer(struct timer_list *t)
{
	struct request_sock *req = from_timer(req, t, rsk_timer);
	struct sock *sk = req->rsk_listener;
	struct request_sock_queue *queue = &inet_csk(sk)->icsk_accept_queue;
	int retries, qlen, young;
	bool expire, resend;
	u8 defer;

	if (inet_sk_state_load(sk) != TCP_LISTEN)
		goto drop;
	retries = READ_ONCE(inet_csk(sk)->icsk_syn_retries) ? :
		  READ_ONCE(tcpx_pernet(sock_net(sk))->synack_retries);
	qlen = reqsk_queue_len(queue);
	if (2 * qlen > max(8U, READ_ONCE(sk->sk_max_ack_backlog))) {
		young = 2 * reqsk_queue_len_young(queue);
		for (; retries > 2 && qlen >= young; young *= 2)
			retries--;
	}
	defer = READ_ONCE(queue->rskq_defer_accept);
	expire = req->num_timeout >= retries;
	resend = true;
	if (defer) {
		expire &= !inet_rsk(req)->acked || req->num_timeout >= defer;
		resend = !inet_rsk(req)->acked || req->num_timeout >= defer - 1;
	}
	req->rsk_ops->syn_ack_timeout(req);
	if (!expire && (!resend || !inet_rtx_syn_ack(sk, req) ||
			inet_rsk(req)->acked)) {
		if (req->num_timeout++ == 0)
			atomic_dec(&queue->young);
		mod_timer(&req->rsk_timer,
			  jiffies + reqsk_timeout(req, TCPX_RTO_MAX));
		return;
	}
drop:
	__tcpx_reqsk_drop(sk, req, true);
	reqsk_put(req);
}

/*
 * A new request sock into ehash, then its timer; the queue counts it.
 * Three references: ehash's, the timer's, the caller's.  False if its
 * 4-tuple is taken (another CPU's SYN of the same tuple won).
 */
static bool tcpx_reqsk_hash_add(struct sock *sk, struct request_sock *req,
				unsigned long timeout)
{
	bool dup = false;

	if (!tcpx_ehash_insert(req_to_sk(req), NULL, &dup))
		return false;
	req->timeout = timeout;	/* reqsk_timeout() backs off from it */
	timer_setup(&req->rsk_timer, tcpx_reqsk_timer, TIMER_PINNED);
	mod_timer(&req->rsk_timer, jiffies + timeout);
	/* Its fields before a lookup can take it. */
	smp_wmb();
	refcount_set(&req->rsk_refcnt, 2 + 1);
	inet_csk_reqsk_queue_added(sk);
	return true;
}

/*
 * The child of the third ACK replaces its request sock (own_req: this
 * CPU's insert won) and goes to the accept queue; else it is undone.
 */
static struct sock *tcpx_complete_hashdance(struct sock *sk,
					    struct sock *child,
					    struct request_sock *req,
					    bool own_req)
{
	if (own_req) {
		tcpx_reqsk_drop(sk, req);
		reqsk_queue_removed(&inet_csk(sk)->icsk_accept_queue, req);
		if (inet_csk_reqsk_queue_add(sk, req, child))
			return child;
	}
	__acquire(child);	/* the clone locked it */
	bh_unlock_sock(child);
	sock_put(child);
	return NULL;
}

/*
 * A SYN for a listener: a new request sock and its SYN+ACK, or a cookie.
 * The family's af_ops conn_request passes its request ops, as TCP's
 * tcp_conn_request().
 */
int tcpx_conn_request(struct request_sock_ops *rsk_ops,
		      const struct tcpx_request_sock_ops *af_ops,
		      struct sock *sk, struct sk_buff *skb)
{
	const struct tcpx_skb_cb *cb = TCPX_SKB_CB(skb);
	struct net *net = sock_net(sk);
	struct tcpx_pernet *pn = tcpx_pernet(net);
	int syncookies = READ_ONCE(pn->syncookies);
	bool want_cookie = syncookies == 2;
	struct tcpx_request_sock *treq;
	struct inet_request_sock *ireq;
	struct request_sock *req;
	int backlog;
	u16 mss;

	mss = cb->mss;
	/* The SYN queue: min(listen backlog, max_syn_backlog) half-open. */
	backlog = min_t(int, READ_ONCE(sk->sk_max_ack_backlog),
			READ_ONCE(pn->max_syn_backlog));
	if (!want_cookie && inet_csk_reqsk_queue_len(sk) >= max(backlog, 1)) {
		want_cookie = tcpx_syn_flood_action(sk, syncookies);
		if (!want_cookie)
			goto drop;
	}
	if (sk_acceptq_is_full(sk)) {
		tcpx_inc_stats(net, TCPX_MIB_LISTENOVERFLOWS);
		goto drop;
	}
	/* A cookie: nothing is kept, not even a request sock. */
	if (want_cookie) {
		tcpx_cookie_synack(af_ops, sk, skb, mss);
		return 0;
	}

	req = inet_reqsk_alloc(rsk_ops, sk, true);
	if (!req)
		goto drop;
	treq = tcpx_rsk(req);
	ireq = inet_rsk(req);
	tcpx_init_req(af_ops, sk, skb, req, cb->seq);
	treq->mss = mss;
	/* RFC 7323, RFC 2018: what the SYN offers (not with a cookie, yet). */
	ireq->wscale_ok = cb->wscale_ok;
	ireq->snd_wscale = cb->wscale;
	ireq->rcv_wscale = cb->wscale_ok ? tcpx_select_wscale(sk) : 0;
	ireq->tstamp_ok = cb->saw_tstamp;
	ireq->sack_ok = cb->sack_ok;
	treq->ts_recent = cb->tsval;
	/* The LSM labels the request (req->secid) or refuses it, as for TCP. */
	if (security_inet_conn_request(sk, skb, req)) {
		reqsk_free(req);
		goto drop;
	}
	/* After a TIME-WAIT, above the old sequence space (RFC 6191). */
	treq->snt_isn = cb->tw_isn ? : af_ops->init_seq(net, skb);

	/* Hashed first, so the third ACK can find it from any CPU. */
	if (!tcpx_reqsk_hash_add(sk, req, TCPX_TIMEOUT_INIT)) {
		reqsk_free(req);
		goto drop;
	}
	trace_tcpx_set_state(req_to_sk(req), TCP_LISTEN, TCP_SYN_RECV);
	/* If it cannot go now, the request's timer sends it again. */
	tcpx_send_synack(sk, req);
	reqsk_put(req);
	return 0;

drop:
	tcpx_inc_stats(net, TCPX_MIB_LISTENDROPS);
	return 0;
}

/*
 * A new child, locked and in the accept queue (of a request sock or of a
 * cookie), takes the ACK (and its data) that made it, now or from its
 * backlog, as tcp_child_process(); the listener is woken to accept it.
 */
void tcpx_child_rcv(struct sock *sk, struct sock *child, struct sk_buff *skb)
	__releases(child)
{
	if (!sock_owned_by_user(child))
		tcpx_rcv_state_process(child, skb);
	else if (sk_add_backlog(child, skb, READ_ONCE(child->sk_rcvbuf)))
		kfree_skb(skb);
	bh_unlock_sock(child);
	sock_put(child);
	sk->sk_data_ready(sk);
}

/* RFC 9293 3.10.7.2: LISTEN. */
int tcpx_listen_rcv(struct sock *sk, struct sk_buff *skb)
{
	const struct tcphdr *th = tcp_hdr(skb);
	struct sock *child;

	if (th->rst)
		goto discard;
	if (th->ack) {
		if (!th->syn && tcpx_cookie_wanted(sk)) {
			/* Softirq, or a listener's backlog: children lock in BH. */
			local_bh_disable();
			child = tcpx_cookie_check(sk, skb);
			if (child && child != sk) {
				__acquire(child);	/* returned locked */
				tcpx_child_rcv(sk, child, skb);
				local_bh_enable();
				return 0;
			}
			local_bh_enable();
			if (!child)
				goto discard;
		}
		tcpx_send_reset(sock_net(sk), sk, skb);
		goto discard;
	}
	if (th->syn && !th->fin)
		inet_csk(sk)->icsk_af_ops->conn_request(sk, skb);
discard:
	kfree_skb(skb);
	return 0;
}

/*
 * The full socket for a completed handshake, hashed in place of req
 * (hashed), or on its own for a cookie's (!hashed): the family's
 * syn_recv_sock, which takes the pieces below (no route given: it routes
 * the child itself).
 */
struct sock *tcpx_syn_recv_sock(const struct sock *sk, struct sk_buff *skb,
				struct request_sock *req, bool hashed,
				bool *own_req)
{
	const struct inet_connection_sock_af_ops *af = inet_csk(sk)->icsk_af_ops;

#ifdef TCPX_HAVE_OPT_CHILD_INIT
	return af->syn_recv_sock(sk, skb, req, NULL, hashed ? req : NULL,
				 own_req, NULL);
#else
	return af->syn_recv_sock(sk, skb, req, NULL, hashed ? req : NULL,
				 own_req);
#endif
}

/*
 * The listener's clone for a completed handshake, as
 * tcp_create_openreq_child(): returned locked, its addresses and route
 * left to the family's syn_recv_sock.  NULL (counted) if the accept
 * queue is full or memory short.
 */
struct sock *tcpx_create_openreq_child(const struct sock *sk,
				       struct request_sock *req)
{
	struct net *net = sock_net(sk);
	struct tcpx_sock *ntsk;
	struct sock *newsk;

	if (sk_acceptq_is_full(sk)) {
		/*
		 * As TCP without tcp_abort_on_overflow: drop the ACK, keep the
		 * request; its SYN+ACK goes again and the client's next ACK
		 * may find room.
		 */
		tcpx_inc_stats(net, TCPX_MIB_LISTENOVERFLOWS);
		inet_rsk(req)->acked = 1;
		goto drop;
	}
	newsk = inet_csk_clone_lock(sk, req, GFP_ATOMIC);
	if (!newsk)
		goto drop;
	__acquire(newsk);	/* the clone comes bh-locked */
	tcpx_sock_track(newsk);	/* it has the listener's destructor */

	/* The clone copied the listener's list linkage, timers and options. */
	ntsk = tcpx_sk(newsk);
	INIT_HLIST_NODE(&ntsk->node);
	ntsk->bind_bucket = NULL;	/* tcpx_inherit_port() sets it */
	/* An IPv6 listener's: its own IPv6 state, not the listener's. */
	if (inet_sk(sk)->pinet6)
		tcpx_v6_child_init(newsk, sk);
	tcpx_pernet_link_sock(newsk);
	tcpx_init_sock_state(newsk);
	tcpx_init_xmit_timers(newsk);
	newsk->sk_write_space = tcpx_write_space;
	ntsk->synq_overflow = 0;
	__release(newsk);	/* handed to the caller still locked */
	return newsk;

drop:
	tcpx_inc_stats(net, TCPX_MIB_LISTENDROPS);
	return NULL;
}

/*
 * A child that cannot be (no route, no port): freed before anyone saw it,
 * its clone lock dropped, counted as a listen drop, as TCP's put_and_exit.
 */
static void tcpx_child_drop(const struct sock *sk, struct sock *newsk)
{
	inet_csk_prepare_forced_close(newsk);
	tcpx_done(newsk);
	tcpx_inc_stats(sock_net(sk), TCPX_MIB_LISTENDROPS);
}

/*
 * The family set the child's addresses and routed it (dst, NULL if no
 * route: the child is dropped): the connection the handshake agreed on,
 * hashed in place of req_unhash (a cookie's child replaces none).  The
 * child, still locked, or NULL if another CPU completed the same request
 * first.
 */
struct sock *tcpx_syn_recv_child(const struct sock *sk, struct sk_buff *skb,
				 struct request_sock *req, struct sock *newsk,
				 struct dst_entry *dst,
				 struct request_sock *req_unhash, bool *own_req)
{
	struct inet_request_sock *ireq = inet_rsk(req);
	struct tcpx_request_sock *treq = tcpx_rsk(req);
	struct tcpx_sock *ntsk = tcpx_sk(newsk);
	bool found_dup_sk = false;

	__acquire(newsk);	/* the caller's, locked */
	if (!dst) {
		__release(newsk);	/* tcpx_child_drop() unlocks it */
		tcpx_child_drop(sk, newsk);
		return NULL;
	}
	tcpx_init_connection(newsk, dst, treq->snt_isn);
	/*
	 * Born with its SYN acknowledged (tcpx_check_req() saw to that), as
	 * tcp_create_openreq_child(): bytes_acked counts no SYN, and an ACK
	 * the child sends before it takes the third one is at SND.NXT.
	 */
	ntsk->snd_una = treq->snt_isn + 1;
	ntsk->snd_nxt = treq->snt_isn + 1;
	ntsk->snd_max = ntsk->snd_nxt;
	ntsk->write_seq = treq->snt_isn + 1;
	/* The SYN and the third ACK, as TCP's child counts them. */
	ntsk->segs_in = 2;
	ntsk->wscale_ok = ireq->wscale_ok;
	ntsk->snd_wscale = ireq->snd_wscale;
	ntsk->rcv_wscale = ireq->rcv_wscale;
	ntsk->tstamp_ok = ireq->tstamp_ok;
	ntsk->sack_ok = ireq->sack_ok;
	ntsk->ts_recent = treq->ts_recent;
	ntsk->ts_off = treq->ts_off;
	ntsk->ts_recent_stamp = (u32)ktime_get_seconds();
	/*
	 * What the SYN+ACK advertised, unscaled: the same
	 * tcpx_synack_window() of the listener, a cookie's SYN+ACK too.
	 */
	ntsk->rcv_wnd = tcpx_synack_window(sk);
	tcpx_set_mss_clamp(newsk, treq->mss);
	/* The third ACK's window is scaled. */
	tcpx_init_synced(newsk, treq->rcv_isn,
			 (u32)ntohs(tcp_hdr(skb)->window) << ntsk->snd_wscale,
			 TCPX_SKB_CB(skb)->seq, dst_mtu(dst));
	/*
	 * The handshake times the path, as tcp_synack_rtt_meas(): from the
	 * SYN+ACK if it went once (Karn), else from the echoed timestamp.
	 */
	if (!req->num_retrans && treq->snt_synack_us)
		tcpx_rtt_sample(newsk, tcpx_now_us() - treq->snt_synack_us);
	else
		tcpx_rtt_sample_tsecr(newsk, TCPX_SKB_CB(skb));

	if (tcpx_inherit_port(sk, newsk) < 0) {
		__release(newsk);	/* tcpx_child_drop() unlocks it */
		tcpx_child_drop(sk, newsk);
		return NULL;
	}
	*own_req = tcpx_ehash_nolisten(newsk,
				       req_unhash ? req_to_sk(req_unhash) : NULL,
				       &found_dup_sk);
	if (!*own_req) {
		/*
		 * Another CPU completed the same request first; the failed
		 * insert destroyed newsk already: drop the clone's lock and
		 * the caller's reference, as TCP does.
		 */
		bh_unlock_sock(newsk);
		sock_put(newsk);
		return NULL;
	}
	tcpx_inc_stats(sock_net(sk), TCPX_MIB_PASSIVEOPENS);
	__release(newsk);	/* handed to the caller still locked */
	return newsk;
}

/*
 * RFC 7323 5.3 R1 on a request sock: older than the SYN's TSval.  A RST
 * too, as tcp_check_req() judges one: TS.Recent counts as one request
 * timeout old, so a RST is taken regardless only once the request has
 * waited as long as a rebooted peer's grace.
 */
static bool tcpx_req_paws_reject(struct request_sock *req,
				 const struct tcpx_skb_cb *cb, bool rst)
{
	u32 ts_recent = READ_ONCE(tcpx_rsk(req)->ts_recent);

	/* Not older: TS.Recent - TSval <= 0, as tcp_paws_check() has it. */
	if (!inet_rsk(req)->tstamp_ok || !cb->saw_tstamp || !ts_recent ||
	    (s32)(ts_recent - cb->tsval) <= 0)
		return false;
	return !rst ||
	       reqsk_timeout(req, TCPX_RTO_MAX) < TCPX_PAWS_RST_AGE * HZ;
}

/* RFC 9293 3.4: is [seq, end_seq) acceptable in [wnd, wnd_end]? */
static bool tcpx_req_in_window(u32 seq, u32 end_seq, u32 wnd, u32 wnd_end)
{
	if (seq == wnd)
		return true;
	if (tcpx_after(end_seq, wnd) && tcpx_before(seq, wnd_end))
		return true;
	return seq == wnd_end && seq == end_seq;
}

/* An ACK from SYN-RECEIVED, at most one per TCPX_INVALID_RATELIMIT. */
static void tcpx_req_send_ack(struct sock *sk, struct sk_buff *skb,
			      struct request_sock *req)
{
	if (!tcpx_oow_rate_limited(sock_net(sk), skb,
				   &tcpx_rsk(req)->last_oow_ack_time))
		tcpx_reqsk_send_ack(sk, skb, req);
}

/*
 * RFC 9293 3.10.7.4 for a request sock (SYN-RECEIVED of a passive open),
 * in the order of TCP's tcp_check_req().  Returns the new child, locked,
 * or NULL.
 */
struct sock *tcpx_check_req(struct sock *sk, struct sk_buff *skb,
			    struct request_sock *req)
{
	const struct tcpx_skb_cb *cb = TCPX_SKB_CB(skb);
	struct tcpx_request_sock *treq = tcpx_rsk(req);
	u8 flags = cb->flags & (TCPHDR_RST | TCPHDR_SYN | TCPHDR_ACK);
	u32 rcv_nxt = treq->rcv_isn + 1;
	bool own_req = false, paws_reject;
	struct sock *child;

	paws_reject = tcpx_req_paws_reject(req, cb, flags & TCPHDR_RST);

	/*
	 * The SYN again: our SYN+ACK was lost.  Send it again, not too often,
	 * and restart the request's timer from it, as TCP.
	 */
	if (cb->seq == treq->rcv_isn && flags == TCPHDR_SYN && !paws_reject) {
		if (!tcpx_oow_rate_limited(sock_net(sk), skb,
					   &treq->last_oow_ack_time) &&
		    !inet_rtx_syn_ack(sk, req))
			mod_timer_pending(&req->rsk_timer, jiffies +
					  reqsk_timeout(req, TCPX_RTO_MAX));
		return NULL;
	}
	/* Fifth check first, as TCP: an ACK of something not sent: reset. */
	if ((flags & TCPHDR_ACK) && !(flags & TCPHDR_RST) &&
	    cb->ack_seq != treq->snt_isn + 1) {
		tcpx_send_reset(sock_net(sk), sk, skb);
		return NULL;
	}
	/* First: sequence number.  Unacceptable: an ACK, unless a RST. */
	if (paws_reject ||
	    !tcpx_req_in_window(cb->seq, cb->end_seq, rcv_nxt,
				rcv_nxt + tcpx_synack_window(sk))) {
		if (!(flags & TCPHDR_RST))
			tcpx_req_send_ack(sk, skb, req);
		if (paws_reject)
			tcpx_inc_stats(sock_net(sk), TCPX_MIB_PAWSDROPS);
		return NULL;
	}
	/* The SYN's own sequence number is left of the window. */
	if (cb->seq == treq->rcv_isn)
		flags &= ~TCPHDR_SYN;
	/* Second: a RST in the window but not at rcv_nxt (RFC 5961 3.2). */
	if ((flags & TCPHDR_RST) && cb->seq != rcv_nxt) {
		if (!__tcpx_oow_rate_limited(sock_net(sk),
					     TCPX_MIB_ACKSKIPPEDCHALLENGE,
					     &treq->last_oow_ack_time) &&
		    tcpx_challenge_ack_allowed(sock_net(sk)))
			tcpx_reqsk_send_ack(sk, skb, req);
		return NULL;
	}
	/*
	 * RST at rcv_nxt: the peer has no such connection (an old duplicate
	 * SYN reached us).  A SYN in the window: a reset.  Either way the
	 * half-open connection goes, back to LISTEN.
	 */
	if (flags & (TCPHDR_RST | TCPHDR_SYN)) {
		tcpx_inc_stats(sock_net(sk), TCPX_MIB_ATTEMPTFAILS);
		if (!(flags & TCPHDR_RST))
			tcpx_send_reset(sock_net(sk), sk, skb);
		tcpx_reqsk_drop(sk, req);
		return NULL;
	}
	if (!(flags & TCPHDR_ACK))
		return NULL;
	/*
	 * TCPX_DEFER_ACCEPT: a bare ACK does not wake the listener; data
	 * does, or the ACK to the last SYN+ACK the period allows (the
	 * kernel's request timer knows "acked").
	 */
	if (req->num_timeout <
	    READ_ONCE(inet_csk(sk)->icsk_accept_queue.rskq_defer_accept) &&
	    cb->end_seq == treq->rcv_isn + 1) {
		inet_rsk(req)->acked = 1;
		tcpx_inc_stats(sock_net(sk), TCPX_MIB_DEFERACCEPTDROP);
		return NULL;
	}

	child = tcpx_syn_recv_sock(sk, skb, req, true, &own_req);
	if (!child)
		return NULL;
	/*
	 * TS.Recent from this segment (RFC 7323 4.3), as tcp_check_req()
	 * sets it: it passed PAWS, and the child may drop it before its
	 * own update (a SYN bit draws a challenge ACK first).
	 */
	if (own_req && cb->saw_tstamp && !tcpx_after(cb->seq, rcv_nxt))
		tcpx_sk(child)->ts_recent = cb->tsval;
	return tcpx_complete_hashdance(sk, child, req, own_req);
}

/* The request_sock_ops callbacks every family's shares (ipv4.c). */
void tcpx_syn_ack_timeout(const struct request_sock *req)
{
	/* Counted by tcpx_rtx_synack() when it resends. */
}

/* Nothing to free beyond the request sock itself (6.1 calls it always). */
void tcpx_reqsk_destructor(struct request_sock *req)
{
}
