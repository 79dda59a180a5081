// SPDX-License-Identifier: GPL-2.0
/*
 * The byte stream as user space sees it: sendmsg, recvmsg, poll,
 * shutdown, close and disconnect, with TCP's semantics (tcp(7)) for
 * blocking, timeouts, signals, EOF, errors and SIGPIPE.  Called under the
 * socket lock (lock_sock); segments arriving meanwhile wait in the
 * backlog and are processed by release_sock().
 */
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/sockios.h>
#include <net/inet_common.h>
#include <net/ip.h>
#include <asm/ioctls.h>

#include "mib.h"
#include "tcpx.h"

/*
 * One segment an skb: a head with room for the headers only, and the data
 * in page fragments, as TCP's sendmsg builds them, so truesize stays close
 * to the payload on both ends (the receiver of a loopback or veth segment
 * holds the sender's pages).
 */
static int tcpx_size_goal(const struct sock *sk)
{
	return tcpx_sk(sk)->mss_cache;
}

/* sk_write_space: wake writers once a third of the buffer is free again. */
void tcpx_write_space(struct sock *sk)
{
	struct socket *sock = sk->sk_socket;
	struct socket_wq *wq;

	if (!sock || !__sk_stream_is_writeable(sk, 1))
		return;
	clear_bit(SOCK_NOSPACE, &sock->flags);
	rcu_read_lock();
	wq = rcu_dereference(sk->sk_wq);
	if (skwq_has_sleeper(wq))
		wake_up_interruptible_poll(&wq->wait, EPOLLOUT | EPOLLWRNORM |
					   EPOLLWRBAND);
	if (wq && wq->fasync_list && !(sk->sk_shutdown & SEND_SHUTDOWN))
		sock_wake_async(wq, SOCK_WAKE_SPACE, POLL_OUT);
	rcu_read_unlock();
}

/*
 * sk_stream_memory_free() and poll's writability, as
 * tcp_stream_memory_free(): with TCPX_NOTSENT_LOWAT (or TCP's
 * tcp_notsent_lowat), unsent bytes below it; a wakeup waits for half.
 */
bool tcpx_stream_memory_free(const struct sock *sk, int wake)
{
	const struct tcpx_sock *tsk = tcpx_sk(sk);
	u32 lowat = READ_ONCE(tsk->notsent_lowat) ? :
		    READ_ONCE(sock_net(sk)->ipv4.sysctl_tcp_notsent_lowat);
	u32 notsent = READ_ONCE(tsk->write_seq) - READ_ONCE(tsk->snd_max);

	return ((u64)notsent << wake) < lowat;
}

/*
 * A new write-queue skb, charged to the protocol's memory, as
 * tcp_stream_alloc_skb(): the first one of an empty queue always.
 */
static struct sk_buff *tcpx_stream_alloc_skb(struct sock *sk)
{
	bool first = skb_queue_empty(&sk->sk_write_queue);
	struct sk_buff *skb;

	skb = alloc_skb_fclone(TCPX_MAX_HEADER, sk->sk_allocation);
	if (!skb)
		return NULL;
	if (sk_wmem_schedule(sk, skb->truesize) ||
	    (first && tcpx_forced_mem_schedule(sk, skb->truesize, SK_MEM_SEND)))
		return skb;
	__kfree_skb(skb);
	sk->sk_prot->enter_memory_pressure(sk);
	sk_stream_moderate_sndbuf(sk);
	return NULL;
}

/*
 * A segment queued for data that never came (no memory, a fault) goes, as
 * in tcp_remove_empty_skb(): sent, it would be a bare ACK that starts the
 * retransmission timer with nothing to retransmit.
 */
static void tcpx_remove_empty_skb(struct sock *sk)
{
	struct sk_buff *skb = skb_peek_tail(&sk->sk_write_queue);
	struct tcpx_sock *tsk = tcpx_sk(sk);

	if (!skb || TCPX_SKB_CB(skb)->seq != TCPX_SKB_CB(skb)->end_seq)
		return;
	if (tsk->send_head == skb)
		tsk->send_head = NULL;
	tcpx_sb_unlink(sk, skb);
	__skb_unlink(skb, &sk->sk_write_queue);
	sk_wmem_queued_add(sk, -skb->truesize);
	sk_mem_uncharge(sk, skb->truesize);
	__kfree_skb(skb);
}

int tcpx_sendmsg(struct sock *sk, struct msghdr *msg, size_t size)
{
	struct tcpx_sock *tsk = tcpx_sk(sk);
	int flags = msg->msg_flags, copied = 0, err;
	long timeo;

	/*
	 * No urgent data, and no Fast Open: MSG_FASTOPEN fails in every state
	 * as on TCP with the client bit of net.ipv4.tcp_fastopen off.
	 */
	if (flags & (MSG_OOB | MSG_FASTOPEN))
		return -EOPNOTSUPP;

	lock_sock(sk);
	timeo = sock_sndtimeo(sk, flags & MSG_DONTWAIT);

	/* Data may be queued once the handshake is done (not TFO). */
	if ((1 << sk->sk_state) & ~(TCPF_ESTABLISHED | TCPF_CLOSE_WAIT)) {
		err = sk_stream_wait_connect(sk, &timeo);
		if (err)
			goto out_err;
	}

	while (msg_data_left(msg)) {
		struct sk_buff *skb = skb_peek_tail(&sk->sk_write_queue);
		int goal = tcpx_size_goal(sk), copy, i;
		struct page_frag *pfrag;
		bool merge;

		err = -EPIPE;
		if (sk->sk_err || (sk->sk_shutdown & SEND_SHUTDOWN))
			goto do_error;

		if (!skb || !tsk->send_head || skb->len >= goal ||
		    (TCPX_SKB_CB(skb)->flags & TCPHDR_FIN) ||
		    skb_shinfo(skb)->nr_frags >= MAX_SKB_FRAGS) {
			if (!sk_stream_memory_free(sk))
				goto wait_for_space;
			skb = tcpx_stream_alloc_skb(sk);
			if (!skb)
				goto wait_for_space;
			skb_reserve(skb, TCPX_MAX_HEADER);
			memset(TCPX_SKB_CB(skb), 0, sizeof(struct tcpx_skb_cb));
			TCPX_SKB_CB(skb)->seq = tsk->write_seq;
			TCPX_SKB_CB(skb)->end_seq = tsk->write_seq;
			__skb_queue_tail(&sk->sk_write_queue, skb);
			sk_wmem_queued_add(sk, skb->truesize);
			sk_mem_charge(sk, skb->truesize);
			if (!tsk->send_head)
				tsk->send_head = skb;
		}

		pfrag = sk_page_frag(sk);
		if (!sk_page_frag_refill(sk, pfrag))
			goto wait_for_space;
		i = skb_shinfo(skb)->nr_frags;
		merge = skb_can_coalesce(skb, i, pfrag->page, pfrag->offset);
		copy = min_t(int, msg_data_left(msg),
			     min_t(int, goal - skb->len,
				   pfrag->size - pfrag->offset));
		if (!sk_wmem_schedule(sk, copy)) {
			/* One segment always gets in, as in TCP: an
			 * edge-triggered poller must not wait forever.
			 */
			if (skb != skb_peek(&sk->sk_write_queue) ||
			    skb != tsk->send_head ||
			    !tcpx_forced_mem_schedule(sk, copy, SK_MEM_SEND))
				goto wait_for_space;
		}
		/* Charges the socket and grows len, data_len and truesize. */
		err = skb_copy_to_page_nocache(sk, &msg->msg_iter, skb,
					       pfrag->page, pfrag->offset, copy);
		if (err)
			goto do_error;
		if (merge) {
			skb_frag_size_add(&skb_shinfo(skb)->frags[i - 1], copy);
		} else {
			skb_fill_page_desc(skb, i, pfrag->page, pfrag->offset, copy);
			page_ref_inc(pfrag->page);
		}
		pfrag->offset += copy;
		TCPX_SKB_CB(skb)->end_seq += copy;
		WRITE_ONCE(tsk->write_seq, tsk->write_seq + copy);
		copied += copy;

		if (skb->len >= goal)
			tcpx_push_pending(sk);
		continue;

wait_for_space:
		set_bit(SOCK_NOSPACE, &sk->sk_socket->flags);
		tcpx_remove_empty_skb(sk);
		/* Waiting: what is queued goes, corked or not, as in TCP. */
		__tcpx_push_pending(sk, TCPX_PUSH_FORCE);
		err = sk_stream_wait_memory(sk, &timeo);
		if (err)
			goto do_error;
	}
	__tcpx_push_pending(sk, flags & MSG_MORE ? TCPX_PUSH_MORE :
				TCPX_PUSH_NORMAL);
	release_sock(sk);
	return copied;

do_error:
	tcpx_remove_empty_skb(sk);
	if (copied) {
		tcpx_push_pending(sk);
		release_sock(sk);
		return copied;
	}
out_err:
	err = sk_stream_error(sk, flags, err);
	release_sock(sk);
	return err;
}

/*
 * After the reader took data, as tcp_cleanup_rbuf(): a window update once
 * the window we would offer is twice what the peer has left (and opens by
 * what tcpx_select_window() takes), for a sender that may wait for it with
 * nothing in flight.  In the scaled window's units, not the header's 64 KiB.
 */
void tcpx_cleanup_rbuf(struct sock *sk, int copied)
{
	struct tcpx_sock *tsk = tcpx_sk(sk);
	u32 cur = 0, space;

	if (copied <= 0 || (sk->sk_shutdown & RCV_SHUTDOWN) ||
	    !((1 << sk->sk_state) &
	      (TCPF_ESTABLISHED | TCPF_FIN_WAIT1 | TCPF_FIN_WAIT2)))
		return;
	tcpx_rcv_space_adjust(sk);
	if (tcpx_after(tsk->rcv_wup + tsk->rcv_wnd, tsk->rcv_nxt))
		cur = tsk->rcv_wup + tsk->rcv_wnd - tsk->rcv_nxt;
	space = tcpx_rcv_space(sk);
	if (space >= 2 * cur && space - cur >= tcpx_rcv_sws(sk) &&
	    RB_EMPTY_ROOT(&tsk->ofo_queue))
		tcpx_send_ack(sk);
}

/* Wait for data, EOF, an error or a state change; false on timeout. */
static int tcpx_wait_data(struct sock *sk, long *timeo)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	u32 seen = tcpx_sk(sk)->rcv_nxt;
	int rc;

	/*
	 * For new data, not for what is queued: MSG_PEEK leaves that there,
	 * and a wait that ends at once would spin until a signal.
	 */
	add_wait_queue(sk_sleep(sk), &wait);
	sk_set_bit(SOCKWQ_ASYNC_WAITDATA, sk);
	rc = sk_wait_event(sk, timeo,
			   READ_ONCE(tcpx_sk(sk)->rcv_nxt) != seen ||
			   READ_ONCE(sk->sk_err) ||
			   (READ_ONCE(sk->sk_shutdown) & RCV_SHUTDOWN) ||
			   sk->sk_state == TCP_CLOSE, &wait);
	sk_clear_bit(SOCKWQ_ASYNC_WAITDATA, sk);
	remove_wait_queue(sk_sleep(sk), &wait);
	return rc;
}

int tcpx_recvmsg(struct sock *sk, struct msghdr *msg, size_t len, int flags,
		 int *addr_len)
{
	struct tcpx_sock *tsk = tcpx_sk(sk);
	u32 peek_seq, *seq;
	int copied = 0, target;
	long timeo;

	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	if (flags & MSG_ERRQUEUE)
		return inet_sk(sk)->pinet6 ?
		       sock_recv_errqueue(sk, msg, len, SOL_IPV6, IPV6_RECVERR) :
		       sock_recv_errqueue(sk, msg, len, SOL_IP, IP_RECVERR);

	lock_sock(sk);
	if (sk->sk_state == TCP_LISTEN) {
		copied = -ENOTCONN;
		goto out;
	}
	timeo = sock_rcvtimeo(sk, flags & MSG_DONTWAIT);
	target = sock_rcvlowat(sk, flags & MSG_WAITALL, len);
	seq = &tsk->copied_seq;
	if (flags & MSG_PEEK) {
		peek_seq = tsk->copied_seq;
		seq = &peek_seq;
	}

	while (len > 0) {
		struct sk_buff *skb, *found = NULL;
		u32 offset = 0, used;

		skb_queue_walk(&sk->sk_receive_queue, skb) {
			offset = *seq - TCPX_SKB_CB(skb)->seq;
			if (offset < skb->len) {
				found = skb;
				break;
			}
		}
		if (found) {
			used = min_t(size_t, found->len - offset, len);
			if (skb_copy_datagram_msg(found, offset, msg, used)) {
				if (!copied)
					copied = -EFAULT;
				break;
			}
			WRITE_ONCE(*seq, *seq + used);
			copied += used;
			len -= used;
			if (!(flags & MSG_PEEK) && offset + used == found->len) {
				__skb_unlink(found, &sk->sk_receive_queue);
				__kfree_skb(found);
			}
			continue;
		}

		if (copied >= target && !READ_ONCE(sk->sk_backlog.tail))
			break;
		if (copied) {
			if (sk->sk_err || sk->sk_state == TCP_CLOSE ||
			    (sk->sk_shutdown & RCV_SHUTDOWN) || !timeo ||
			    signal_pending(current))
				break;
		} else {
			if (sock_flag(sk, SOCK_DONE) ||
			    (!sk->sk_err && (sk->sk_shutdown & RCV_SHUTDOWN))) {
				/* EOF: the FIN is read and leaves the count. */
				if (!(flags & MSG_PEEK))
					WRITE_ONCE(tsk->copied_seq, tsk->rcv_nxt);
				break;
			}
			if (sk->sk_err) {
				copied = sock_error(sk);
				break;
			}
			if (sk->sk_shutdown & RCV_SHUTDOWN)
				break;
			if (sk->sk_state == TCP_CLOSE) {
				copied = -ENOTCONN;
				break;
			}
			if (!timeo) {
				copied = -EAGAIN;
				break;
			}
			if (signal_pending(current)) {
				copied = sock_intr_errno(timeo);
				break;
			}
		}

		if (copied >= target) {
			/* Let the backlog in, then look again. */
			release_sock(sk);
			lock_sock(sk);
		} else {
			tcpx_cleanup_rbuf(sk, copied);
			tcpx_wait_data(sk, &timeo);
		}
	}
	if (!(flags & MSG_PEEK))
		tcpx_cleanup_rbuf(sk, copied);
out:
	release_sock(sk);
	return copied;
}

/* Bytes queued to read, not counting a FIN, as tcp_inq(). */
static int tcpx_inq(struct sock *sk)
{
	const struct tcpx_sock *tsk = tcpx_sk(sk);
	int answ;

	if ((1 << sk->sk_state) & (TCPF_SYN_SENT | TCPF_SYN_RECV))
		return 0;
	answ = READ_ONCE(tsk->rcv_nxt) - READ_ONCE(tsk->copied_seq);
	if (answ && sock_flag(sk, SOCK_DONE))
		answ--;
	return answ;
}

/*
 * The ioctls of tcp_ioctl(): SIOCINQ (FIONREAD), SIOCOUTQ (TIOCOUTQ: not
 * yet acknowledged), SIOCOUTQNSD (not yet sent), SIOCATMARK (no urgent
 * data: never at the mark).  Others: -ENOIOCTLCMD, so the generic ones run.
 */
static int tcpx_ioctl_answer(struct sock *sk, int cmd, int *answ)
{
	const struct tcpx_sock *tsk = tcpx_sk(sk);
	bool slow;

	switch (cmd) {
	case SIOCINQ:
		if (sk->sk_state == TCP_LISTEN)
			return -EINVAL;
		slow = lock_sock_fast(sk);
		*answ = tcpx_inq(sk);
		unlock_sock_fast(sk, slow);
		return 0;
	case SIOCATMARK:
		*answ = 0;
		return 0;
	case SIOCOUTQ:
	case SIOCOUTQNSD:
		if (sk->sk_state == TCP_LISTEN)
			return -EINVAL;
		if ((1 << sk->sk_state) & (TCPF_SYN_SENT | TCPF_SYN_RECV))
			*answ = 0;
		else if (cmd == SIOCOUTQ)
			*answ = READ_ONCE(tsk->write_seq) - READ_ONCE(tsk->snd_una);
		else
			*answ = READ_ONCE(tsk->write_seq) - READ_ONCE(tsk->snd_nxt);
		return 0;
	}
	return -ENOIOCTLCMD;
}

#ifdef TCPX_HAVE_SK_IOCTL
int tcpx_ioctl(struct sock *sk, int cmd, int *karg)
{
	return tcpx_ioctl_answer(sk, cmd, karg);
}
#else
int tcpx_ioctl(struct sock *sk, int cmd, unsigned long arg)
{
	int answ, err = tcpx_ioctl_answer(sk, cmd, &answ);

	return err ? : put_user(answ, (int __user *)arg);
}
#endif

static bool tcpx_readable(const struct sock *sk, int target)
{
	const struct tcpx_sock *tsk = tcpx_sk(sk);
	int avail = READ_ONCE(tsk->rcv_nxt) - READ_ONCE(tsk->copied_seq);

	return avail > 0 && (avail >= target ||
			     (READ_ONCE(sk->sk_shutdown) & RCV_SHUTDOWN));
}

/* tcp_poll(), state for state. */
__poll_t tcpx_poll(struct file *file, struct socket *sock, poll_table *wait)
{
	struct sock *sk = sock->sk;
	__poll_t mask = 0;
	u8 shutdown;
	int state;

	sock_poll_wait(file, sock, wait);

	state = inet_sk_state_load(sk);
	if (state == TCP_LISTEN)
		return inet_csk_listen_poll(sk);

	shutdown = READ_ONCE(sk->sk_shutdown);
	if (shutdown == SHUTDOWN_MASK || state == TCP_CLOSE)
		mask |= EPOLLHUP;
	if (shutdown & RCV_SHUTDOWN)
		mask |= EPOLLIN | EPOLLRDNORM | EPOLLRDHUP;

	if (state != TCP_SYN_SENT && state != TCP_SYN_RECV) {
		if (tcpx_readable(sk, sock_rcvlowat(sk, 0, INT_MAX)))
			mask |= EPOLLIN | EPOLLRDNORM;
		if (!(shutdown & SEND_SHUTDOWN)) {
			if (sk_stream_is_writeable(sk)) {
				mask |= EPOLLOUT | EPOLLWRNORM;
			} else {
				sk_set_bit(SOCKWQ_ASYNC_NOSPACE, sk);
				set_bit(SOCK_NOSPACE, &sk->sk_socket->flags);
				/* Race with the ACK that frees space. */
				smp_mb__after_atomic();
				if (sk_stream_is_writeable(sk))
					mask |= EPOLLOUT | EPOLLWRNORM;
			}
		} else {
			mask |= EPOLLOUT | EPOLLWRNORM;
		}
	}
	/* Pairs with smp_wmb() in tcpx_done_with_error(). */
	smp_rmb();
	if (READ_ONCE(sk->sk_err) ||
	    !skb_queue_empty_lockless(&sk->sk_error_queue))
		mask |= EPOLLERR;
	return mask;
}

/*
 * The state a close() or shutdown(SHUT_WR) moves to (RFC 9293 3.10.4),
 * and whether a FIN must be sent.
 */
static bool tcpx_close_state(struct sock *sk)
{
	switch (sk->sk_state) {
	case TCP_ESTABLISHED:
	case TCP_SYN_RECV:
		tcpx_set_state(sk, TCP_FIN_WAIT1);
		return true;
	case TCP_CLOSE_WAIT:
		tcpx_set_state(sk, TCP_LAST_ACK);
		return true;
	case TCP_SYN_SENT:
		tcpx_set_state(sk, TCP_CLOSE);
		return false;
	}
	return false;
}

void tcpx_shutdown(struct sock *sk, int how)
{
	if (!(how & SEND_SHUTDOWN))
		return;
	if ((1 << sk->sk_state) &
	    (TCPF_ESTABLISHED | TCPF_SYN_SENT | TCPF_SYN_RECV | TCPF_CLOSE_WAIT)) {
		if (tcpx_close_state(sk))
			tcpx_send_fin(sk);
	}
}

void tcpx_write_queue_purge(struct sock *sk)
{
	struct sk_buff *skb;

	while ((skb = __skb_dequeue(&sk->sk_write_queue))) {
		tcpx_sb_unlink(sk, skb);
		sk_wmem_queued_add(sk, -skb->truesize);
		sk_mem_uncharge(sk, skb->truesize);
		__kfree_skb(skb);
	}
	tcpx_sk(sk)->send_head = NULL;
}

static void tcpx_purge_queues(struct sock *sk)
{
	tcpx_write_queue_purge(sk);
	__skb_queue_purge(&sk->sk_receive_queue);
	tcpx_ofo_purge(sk);
	sk_mem_reclaim(sk);
}

void tcpx_close(struct sock *sk, long timeout)
{
	struct sk_buff *skb;
	int unread = 0, state;

	lock_sock(sk);
	WRITE_ONCE(sk->sk_shutdown, SHUTDOWN_MASK);

	if (sk->sk_state == TCP_LISTEN) {
		tcpx_set_state(sk, TCP_CLOSE);
		inet_csk_listen_stop(sk);
		goto adjudge_to_death;
	}

	while ((skb = __skb_dequeue(&sk->sk_receive_queue))) {
		unread += skb->len;
		__kfree_skb(skb);
	}
	sk_mem_reclaim(sk);

	if (sk->sk_state == TCP_CLOSE)
		goto adjudge_to_death;

	if (unread || (sock_flag(sk, SOCK_LINGER) && !sk->sk_lingertime)) {
		/*
		 * RFC 9293 3.10.4 / RFC 2525 2.17: data would be lost, or the
		 * user asked for an abort: RST instead of FIN.
		 */
		tcpx_set_state(sk, TCP_CLOSE);
		tcpx_send_active_reset(sk, sk->sk_allocation);
	} else if (tcpx_close_state(sk)) {
		tcpx_send_fin(sk);
	}
	sk_stream_wait_close(sk, timeout);

adjudge_to_death:
	state = sk->sk_state;
	sock_hold(sk);
	sock_orphan(sk);
	/* The last release_sock() of its life processes the backlog. */
	release_sock(sk);
	local_bh_disable();
	bh_lock_sock(sk);
	this_cpu_inc(*sk->sk_prot->orphan_count);

	if (state != TCP_CLOSE && sk->sk_state == TCP_CLOSE)
		goto out;	/* already destroyed by the backlog */

	if (sk->sk_state == TCP_FIN_WAIT2) {
		if (tcpx_sk(sk)->linger2 < 0) {
			tcpx_set_state(sk, TCP_CLOSE);
			tcpx_send_active_reset(sk, GFP_ATOMIC);
		} else {
			inet_csk_reset_keepalive_timer(sk, tcpx_fin_timeout(sk));
		}
	}
	/* Past max_orphans or mem[2], a new orphan is reset at once. */
	if (sk->sk_state != TCP_CLOSE)
		tcpx_orphan_oom(sk);
	if (sk->sk_state == TCP_CLOSE) {
		tcpx_purge_queues(sk);
		tcpx_destroy_dead(sk);
	}
out:
	bh_unlock_sock(sk);
	local_bh_enable();
	sock_put(sk);
}

/* Back to CLOSE from any state, as tcp_disconnect(): aborts with RST. */
int tcpx_disconnect(struct sock *sk, int flags)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	int old_state = sk->sk_state;

	if (old_state != TCP_CLOSE)
		tcpx_set_state(sk, TCP_CLOSE);

	if (old_state == TCP_LISTEN) {
		inet_csk_listen_stop(sk);
	} else if ((1 << old_state) & (TCPF_ESTABLISHED | TCPF_CLOSE_WAIT |
				       TCPF_FIN_WAIT1 | TCPF_FIN_WAIT2 |
				       TCPF_CLOSING | TCPF_LAST_ACK |
				       TCPF_SYN_RECV)) {
		tcpx_send_active_reset(sk, gfp_any());
		WRITE_ONCE(sk->sk_err, ECONNRESET);
	} else if (old_state == TCP_SYN_SENT) {
		WRITE_ONCE(sk->sk_err, ECONNRESET);
	}

	inet_csk_clear_xmit_timers(sk);
	tcpx_purge_queues(sk);
	/* The address chosen by connect() goes, as in tcp_disconnect(). */
	tcpx_reset_saddr(sk);
	inet_sk(sk)->inet_dport = 0;
	WRITE_ONCE(sk->sk_shutdown, 0);
	sock_reset_flag(sk, SOCK_DONE);
	icsk->icsk_backoff = 0;
	icsk->icsk_retransmits = 0;
	tcpx_init_sock_state(sk);
	sk->sk_disconnects++;
	sk_error_report(sk);
	return 0;
}
