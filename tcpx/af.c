// SPDX-License-Identifier: GPL-2.0
/*
 * The AF_TCPX socket family: socket creation, the proto_ops that the socket
 * layer calls and the struct proto behind them.
 *
 * Generic inet helpers do the address work (inet_bind, inet_getname,
 * inet_csk_listen_start), calling back into hash.c for ports and tables,
 * whose bind rules, SO_REUSEADDR and ephemeral range are TCP's, in a port
 * space of tcpx's own.
 *
 * struct proto has no owner on purpose: a TIME-WAIT or orphaned socket must
 * not pin the module (rmmod purges them).  Each struct socket still pins it
 * through proto_ops.owner, so rmmod fails with EBUSY while a process holds
 * a tcpx socket.  A segment in flight holds its socket (skb->sk, for
 * netfilter's owner match), so rmmod waits for the last socket's free.
 */
#include <linux/module.h>
#include <linux/net.h>
#include <linux/poll.h>
#include <net/inet_common.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/protocol.h>
#include <net/tcp_states.h>

#include "mib.h"
#include "trace.h"
#include "tcpx.h"

/* Full sockets not yet freed; module exit waits for none. */
static atomic_t tcpx_socks_alive = ATOMIC_INIT(0);

/*
 * Count sk until its destructor runs.  SOCK_RCU_FREE makes the rest of
 * the free (module text, our slab) an RCU callback, which module exit's
 * rcu_barrier() waits for once the count is zero.
 */
void tcpx_sock_track(struct sock *sk)
{
	sock_set_flag(sk, SOCK_RCU_FREE);
	atomic_inc(&tcpx_socks_alive);
}

/* Module exit: segments still queued somewhere hold their sockets. */
void tcpx_sock_wait_all(void)
{
	while (!wait_var_event_timeout(&tcpx_socks_alive,
				       !atomic_read(&tcpx_socks_alive), 10 * HZ))
		pr_info("unload waits for %d sockets held by queued segments\n",
			atomic_read(&tcpx_socks_alive));
}

static void tcpx_sock_destruct(struct sock *sk)
{
	tcpx_pernet_unlink_sock(sk);
	inet_sock_destruct(sk);
	if (atomic_dec_and_test(&tcpx_socks_alive))
		wake_up_var(&tcpx_socks_alive);
}

/* Connection state a new socket, a child or a disconnected one starts from. */
void tcpx_init_sock_state(struct sock *sk)
{
	struct tcpx_sock *tsk = tcpx_sk(sk);

	tsk->mss_cache = TCPX_MSS_DEFAULT;
	tsk->mss_clamp = TCPX_MSS_DEFAULT;
	tsk->advmss = TCPX_MSS_DEFAULT;
	tsk->snd_cwnd = TCPX_INIT_CWND * TCPX_MSS_DEFAULT;
	tsk->snd_ssthresh = TCPX_INFINITE_SSTHRESH;
	tsk->cwnd_acked = 0;
	tsk->max_flight = 0;
	tsk->cwnd_usage_seq = 0;
	tsk->cwnd_limited = 0;
	tsk->ca_state = TCP_CA_Open;
	tsk->srtt_us = 0;
	tsk->rttvar_us = 0;
	tsk->send_head = NULL;
	tsk->snd_wnd = 0;
	tsk->max_window = 0;
	tsk->last_oow_ack_time = 0;
	tsk->rcv_wnd = 0;
	tsk->rcv_mss = 0;
	tsk->rcv_ratio = 128;	/* half, as TCP's tcp_adv_win_scale 1 */
	tsk->win_probes = 0;
	tsk->wscale_ok = 0;
	tsk->tstamp_ok = 0;
	tsk->sack_ok = 0;
	tsk->dsack = 0;
	tsk->sack_nr = 0;
	tcpx_sb_init(sk);
	tsk->rack_xmit_us = 0;
	tsk->rack_rtt_us = 0;
	tsk->min_rtt_us = 0;
	tsk->reo_mult = 1;
	tsk->snd_wscale = 0;
	tsk->rcv_wscale = 0;
	tsk->ts_recent = 0;
	tsk->ts_recent_stamp = 0;
	/* Empty by now: a child's was copied from its listener's head. */
	tsk->ofo_queue = RB_ROOT;
	tsk->ofo_segs = 0;
	inet_csk(sk)->icsk_rto = TCPX_TIMEOUT_INIT;
}

static int tcpx_init_sock(struct sock *sk)
{
	tcpx_init_sock_state(sk);
	tcpx_init_xmit_timers(sk);
	/* IPv4 until an IPv6 address or option makes it IPv6 (ipv6.c). */
	inet_csk(sk)->icsk_af_ops = &tcpx_ipv4_specific;
	/* Generic IP code (IP_OPTIONS, CIPSO) calls it on every icsk. */
	inet_csk(sk)->icsk_sync_mss = tcpx_sync_mss;
	sk->sk_write_space = tcpx_write_space;
	sock_set_flag(sk, SOCK_USE_WRITE_QUEUE);
	tcpx_init_buffers(sk);
	tcpx_pernet_link_sock(sk);
	sk_sockets_allocated_inc(sk);
	return 0;
}

static void tcpx_destroy_sock(struct sock *sk)
{
	inet_csk_clear_xmit_timers(sk);
	tcpx_write_queue_purge(sk);
	tcpx_ofo_purge(sk);
	tcpx_put_port(sk);
	/* An IPv6 socket's options, flow labels and queued packets. */
	if (inet_sk(sk)->pinet6)
		inet6_cleanup_sock(sk);
	sk_sockets_allocated_dec(sk);
}

/*
 * The first bind() or connect() with an address the family takes fixes
 * the socket's family: a sockaddr_in6 makes it IPv6 (dual-stack), a
 * sockaddr_in (or bind()'s AF_UNSPEC 0.0.0.0) IPv4.  An AF_INET6 address
 * too short for a sockaddr_in6 decides nothing: IPv4 refuses its family
 * (EAFNOSUPPORT), as before IPv6.  IPv6 turned off is EAFNOSUPPORT.
 * Socket locked.
 */
static int tcpx_set_family(struct sock *sk, const struct sockaddr *uaddr,
			   int addr_len)
{
	if (tcpx_sk(sk)->family_set ||
	    addr_len < (int)sizeof(uaddr->sa_family))
		return 0;
	if (uaddr->sa_family == AF_INET6 && addr_len >= SIN6_LEN_RFC2133)
		return tcpx_v6_become(sk) ? 0 : -EAFNOSUPPORT;
	if ((uaddr->sa_family == AF_INET || uaddr->sa_family == AF_UNSPEC) &&
	    addr_len >= (int)sizeof(struct sockaddr_in))
		WRITE_ONCE(tcpx_sk(sk)->family_set, 1);
	return 0;
}

static int tcpx_bind(struct socket *sock, struct sockaddr *uaddr, int addr_len)
{
	struct sock *sk = sock->sk;
	int err;

	lock_sock(sk);
	err = tcpx_set_family(sk, uaddr, addr_len);
	release_sock(sk);
	if (err)
		return err;
	return inet_sk(sk)->pinet6 ? tcpx_v6_bind(sock, uaddr, addr_len) :
				     inet_bind(sock, uaddr, addr_len);
}

/* .connect, under the socket lock (inet_stream_connect()). */
static int tcpx_connect(struct sock *sk, struct sockaddr *uaddr, int addr_len)
{
	int err = tcpx_set_family(sk, uaddr, addr_len);

	if (err)
		return err;
	return inet_sk(sk)->pinet6 ? tcpx_v6_connect(sk, uaddr, addr_len) :
				     tcpx_v4_connect(sk, uaddr, addr_len);
}

static int tcpx_getname(struct socket *sock, struct sockaddr *uaddr, int peer)
{
	if (inet_sk(sock->sk)->pinet6)
		return inet6_getname(sock, uaddr, peer);
	return inet_getname(sock, uaddr, peer);
}

/* The state and what goes with it, untraced; tcpx_set_state() traces it. */
void __tcpx_set_state(struct sock *sk, int state)
{
	int old = sk->sk_state;
	struct net *net = sock_net(sk);

	if (old == state)
		return;
	switch (state) {
	case TCP_ESTABLISHED:
		if (old != TCP_ESTABLISHED)
			tcpx_inc_stats(net, TCPX_MIB_CURRESTAB);
		/*
		 * Idle time counts from here; SO_KEEPALIVE set before (or
		 * inherited from the listener) arms now, as in
		 * tcp_finish_connect() and tcp_create_openreq_child().
		 */
		tcpx_sk(sk)->rcv_tstamp = tcp_jiffies32;
		tcpx_init_buffer_space(sk);
		inet_csk(sk)->icsk_ack.lrcvtime = tcp_jiffies32;
		if (sock_flag(sk, SOCK_KEEPOPEN))
			inet_csk_reset_keepalive_timer(sk, tcpx_keepalive_time_when(sk));
		break;
	case TCP_CLOSE:
		if (old == TCP_CLOSE_WAIT || old == TCP_ESTABLISHED)
			tcpx_inc_stats(net, TCPX_MIB_ESTABRESETS);
		if (old == TCP_SYN_SENT || old == TCP_SYN_RECV)
			tcpx_inc_stats(net, TCPX_MIB_ATTEMPTFAILS);
		sk->sk_prot->unhash(sk);
		if (!(sk->sk_userlocks & SOCK_BINDPORT_LOCK))
			tcpx_put_port(sk);
		fallthrough;
	default:
		if (old == TCP_ESTABLISHED || old == TCP_CLOSE_WAIT)
			if (state != TCP_CLOSE_WAIT)
				tcpx_dec_stats(net, TCPX_MIB_CURRESTAB);
	}
	inet_sk_set_state(sk, state);
}

void tcpx_set_state(struct sock *sk, int state)
{
	if (sk->sk_state == state)
		return;
	trace_tcpx_set_state(sk, sk->sk_state, state);
	__tcpx_set_state(sk, state);
}

/*
 * A dead socket in CLOSE is freed.  Its port goes first: the kernel's
 * inet_csk_destroy_sock() takes a bound socket without the kernel's bind
 * bucket for a bug.
 */
void tcpx_destroy_dead(struct sock *sk)
{
	tcpx_put_port(sk);
	inet_sk(sk)->inet_num = 0;
	inet_csk_destroy_sock(sk);
}

/* The connection is over: CLOSE, timers off, and freed if orphaned. */
void tcpx_done(struct sock *sk)
{
	tcpx_set_state(sk, TCP_CLOSE);
	inet_csk_clear_xmit_timers(sk);
	WRITE_ONCE(sk->sk_shutdown, SHUTDOWN_MASK);
	if (!sock_flag(sk, SOCK_DEAD))
		sk->sk_state_change(sk);
	else
		tcpx_destroy_dead(sk);
}

/*
 * End a connection with an error for its owner, as tcp_done_with_error():
 * the error, then CLOSE, then the report, so that a poller the report
 * wakes sees EPOLLHUP with EPOLLERR, not EPOLLERR alone.
 */
void tcpx_done_with_error(struct sock *sk, int err)
{
	bool dead = sock_flag(sk, SOCK_DEAD);

	WRITE_ONCE(sk->sk_err, err);
	/* Pairs with smp_rmb() in tcpx_poll(). */
	smp_wmb();
	tcpx_done(sk);
	if (!dead)
		sk_error_report(sk);
}

static int tcpx_listen(struct socket *sock, int backlog)
{
	struct sock *sk = sock->sk;
	int err = -EINVAL;

	lock_sock(sk);
	if (sock->state != SS_UNCONNECTED)
		goto out;
	if (!((1 << sk->sk_state) & (TCPF_CLOSE | TCPF_LISTEN)))
		goto out;

	WRITE_ONCE(sk->sk_max_ack_backlog, backlog);
	if (sk->sk_state != TCP_LISTEN) {
		/* A listener never bound is an IPv4 one, on 0.0.0.0. */
		WRITE_ONCE(tcpx_sk(sk)->family_set, 1);
		err = inet_csk_listen_start(sk);
		if (err)
			goto out;
		trace_tcpx_set_state(sk, TCP_CLOSE, TCP_LISTEN);
	}
	err = 0;
out:
	release_sock(sk);
	return err;
}

/* As tcp_set_rcvlowat(): never wait for more than half the buffer. */
static int tcpx_set_rcvlowat(struct sock *sk, int val)
{
	int cap;

	if (sk->sk_userlocks & SOCK_RCVBUF_LOCK)
		cap = READ_ONCE(sk->sk_rcvbuf) >> 1;
	else
		cap = tcpx_rmem_max(sk) >> 1;
	WRITE_ONCE(sk->sk_rcvlowat, min(val, cap) ? : 1);
	return 0;
}

struct proto tcpx_prot = {
	.name		= "TCPX",
	.close		= tcpx_close,
	.pre_connect	= tcpx_pre_connect,
	.connect	= tcpx_connect,
	.disconnect	= tcpx_disconnect,
	.accept		= inet_csk_accept,
	.init		= tcpx_init_sock,
	.destroy	= tcpx_destroy_sock,
	.shutdown	= tcpx_shutdown,
	.ioctl		= tcpx_ioctl,
	.keepalive	= tcpx_set_keepalive,
	.setsockopt	= tcpx_setsockopt,
	.getsockopt	= tcpx_getsockopt,
	.sendmsg	= tcpx_sendmsg,
	.recvmsg	= tcpx_recvmsg,
	.backlog_rcv	= tcpx_do_rcv,
	.hash		= tcpx_hash,
	.unhash		= tcpx_unhash,
	.get_port	= tcpx_get_port,
	.put_port	= tcpx_put_port,
	.orphan_count	= &tcpx_orphan_count,
	.release_cb	= tcpx_release_cb,
	.diag_destroy	= tcpx_abort,
	.stream_memory_free	= tcpx_stream_memory_free,
	.enter_memory_pressure	= tcpx_enter_memory_pressure,
	.leave_memory_pressure	= tcpx_leave_memory_pressure,
	.sockets_allocated	= &tcpx_sockets_allocated,
	.memory_allocated	= &tcpx_memory_allocated,
	.per_cpu_fw_alloc	= &tcpx_memory_per_cpu_fw_alloc,
	.memory_pressure	= &tcpx_memory_pressure,
	.sysctl_mem	= tcpx_sysctl_mem,
	/* Buffer floors under pressure: TCP's tcp_wmem/tcp_rmem[0]. */
	.sysctl_wmem_offset	= offsetof(struct net, ipv4.sysctl_tcp_wmem),
	.sysctl_rmem_offset	= offsetof(struct net, ipv4.sysctl_tcp_rmem),
	.obj_size	= sizeof(struct tcpx_sock),
	.slab_flags	= SLAB_TYPESAFE_BY_RCU,
	.twsk_prot	= &tcpx_timewait_sock_ops,
	.rsk_prot	= &tcpx_request_sock_ops,
	.h.hashinfo	= &tcpx_hashinfo,
	.max_header	= TCPX_MAX_HEADER,
	/* A send before connect binds no port (inet_send_prepare()), as TCP. */
	.no_autobind	= true,
};

/*
 * The socket layer takes the family from tcpx_family_ops, which follows the
 * module parameter; .family here is informational.
 */
static const struct proto_ops tcpx_stream_ops = {
	.family		= PF_TCPX,
	.owner		= THIS_MODULE,
	.release	= inet_release,
	.bind		= tcpx_bind,
	.connect	= inet_stream_connect,
	.socketpair	= sock_no_socketpair,
	.accept		= inet_accept,
	.getname	= tcpx_getname,
	.poll		= tcpx_poll,
	.ioctl		= inet_ioctl,
	.gettstamp	= sock_gettstamp,
	.listen		= tcpx_listen,
	.shutdown	= inet_shutdown,
	.setsockopt	= sock_common_setsockopt,
	.getsockopt	= sock_common_getsockopt,
	.sendmsg	= inet_sendmsg,
	.recvmsg	= inet_recvmsg,
	.mmap		= sock_no_mmap,
	.set_rcvlowat	= tcpx_set_rcvlowat,
};

static int tcpx_create(struct net *net, struct socket *sock, int protocol,
		       int kern)
{
	struct inet_sock *inet;
	struct sock *sk;
	int err;

	if (sock->type != SOCK_STREAM)
		return -ESOCKTNOSUPPORT;
	if (protocol && protocol != IPPROTO_TCPX && protocol != tcpx_ipproto)
		return -EPROTONOSUPPORT;

	sk = sk_alloc(net, tcpx_family, GFP_KERNEL, &tcpx_prot, kern);
	if (!sk)
		return -ENOMEM;

	sock->state = SS_UNCONNECTED;
	sock->ops = &tcpx_stream_ops;

	inet_init_csk_locks(sk);
	tcpx_inet_init_flags(sk);
	inet = inet_sk(sk);
	inet->pmtudisc = READ_ONCE(net->ipv4.sysctl_ip_no_pmtu_disc) ?
			 IP_PMTUDISC_DONT : IP_PMTUDISC_WANT;
	inet->uc_ttl = -1;
	inet->mc_ttl = 1;

	sock_init_data(sock, sk);
	sk->sk_destruct = tcpx_sock_destruct;
	tcpx_sock_track(sk);
	sk->sk_protocol = tcpx_ipproto;
	sk->sk_backlog_rcv = sk->sk_prot->backlog_rcv;

	err = sk->sk_prot->init(sk);
	if (err) {
		sk_common_release(sk);
		return err;
	}
	return 0;
}

static struct net_proto_family tcpx_family_ops = {
	.create	= tcpx_create,
	.owner	= THIS_MODULE,
};

int tcpx_proto_init(void)
{
	int err = tcpx_mem_init();

	if (err)
		return err;
	err = proto_register(&tcpx_prot, 1);
	if (err)
		tcpx_mem_exit();
	return err;
}

void tcpx_proto_exit(void)
{
	proto_unregister(&tcpx_prot);
	tcpx_mem_exit();
}

int tcpx_family_init(void)
{
	int err;

	tcpx_family_ops.family = tcpx_family;
	err = sock_register(&tcpx_family_ops);
	if (err)
		pr_err("address family %d is taken\n", tcpx_family);
	return err;
}

void tcpx_family_exit(void)
{
	sock_unregister(tcpx_family);
}
