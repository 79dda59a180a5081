// SPDX-License-Identifier: GPL-2.0
/*
 * The AF_TCPX socket family: socket creation, the proto_ops that the socket
 * layer calls and the struct proto behind them.
 *
 * Generic inet helpers do the address work (inet_bind, inet_getname,
 * inet_csk_get_port, inet_csk_listen_start) against tcpx_hashinfo, so bind
 * rules, SO_REUSEADDR and the ephemeral range are exactly TCP's, in a port
 * space of tcpx's own.
 *
 * struct proto has no owner on purpose: a TIME-WAIT or orphaned socket must
 * not pin the module (rmmod purges them).  Each struct socket still pins it
 * through proto_ops.owner, so rmmod fails with EBUSY while a process holds
 * a tcpx socket.
 */
#include <linux/module.h>
#include <linux/net.h>
#include <linux/poll.h>
#include <net/inet_common.h>
#include <net/ip.h>
#include <net/protocol.h>
#include <net/tcp_states.h>

#include "tcpx.h"

static DEFINE_PER_CPU(unsigned int, tcpx_orphan_count);

static void tcpx_sock_destruct(struct sock *sk)
{
	tcpx_pernet_unlink_sock(sk);
	inet_sock_destruct(sk);
}

static int tcpx_init_sock(struct sock *sk)
{
	struct tcpx_sock *tsk = tcpx_sk(sk);

	tsk->mss_cache = TCPX_MSS_DEFAULT;
	tsk->snd_cwnd = TCPX_INIT_CWND;
	tsk->snd_ssthresh = TCPX_INFINITE_SSTHRESH;
	tcpx_pernet_link_sock(sk);
	return 0;
}

static void tcpx_destroy_sock(struct sock *sk)
{
	if (inet_csk(sk)->icsk_bind_hash)
		inet_put_port(sk);
}

void tcpx_set_state(struct sock *sk, int state)
{
	if (state == TCP_CLOSE) {
		sk->sk_prot->unhash(sk);
		if (inet_csk(sk)->icsk_bind_hash &&
		    !(sk->sk_userlocks & SOCK_BINDPORT_LOCK))
			inet_put_port(sk);
	}
	inet_sk_set_state(sk, state);
}

static void tcpx_close(struct sock *sk, long timeout)
{
	lock_sock(sk);
	WRITE_ONCE(sk->sk_shutdown, SHUTDOWN_MASK);
	if (sk->sk_state == TCP_LISTEN) {
		tcpx_set_state(sk, TCP_CLOSE);
		inet_csk_listen_stop(sk);
	}

	sock_hold(sk);
	sock_orphan(sk);
	this_cpu_inc(tcpx_orphan_count);
	if (sk->sk_state == TCP_CLOSE)
		inet_csk_destroy_sock(sk);
	release_sock(sk);
	sock_put(sk);
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
		err = inet_csk_listen_start(sk);
		if (err)
			goto out;
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
		cap = READ_ONCE(sock_net(sk)->ipv4.sysctl_tcp_rmem[2]) >> 1;
	WRITE_ONCE(sk->sk_rcvlowat, min(val, cap) ? : 1);
	return 0;
}

static __poll_t tcpx_poll(struct file *file, struct socket *sock,
			  poll_table *wait)
{
	struct sock *sk = sock->sk;
	u8 shutdown, state;
	__poll_t mask = 0;

	sock_poll_wait(file, sock, wait);

	state = inet_sk_state_load(sk);
	if (state == TCP_LISTEN)
		return inet_csk_listen_poll(sk);

	shutdown = READ_ONCE(sk->sk_shutdown);
	if (shutdown == SHUTDOWN_MASK || state == TCP_CLOSE)
		mask |= EPOLLHUP;
	if (shutdown & RCV_SHUTDOWN)
		mask |= EPOLLIN | EPOLLRDNORM | EPOLLRDHUP;
	if (!(shutdown & SEND_SHUTDOWN) && sk_stream_is_writeable(sk))
		mask |= EPOLLOUT | EPOLLWRNORM;
	if (READ_ONCE(sk->sk_err) ||
	    !skb_queue_empty_lockless(&sk->sk_error_queue))
		mask |= EPOLLERR;
	return mask;
}

struct proto tcpx_prot = {
	.name		= "TCPX",
	.close		= tcpx_close,
	.init		= tcpx_init_sock,
	.destroy	= tcpx_destroy_sock,
	.setsockopt	= tcpx_setsockopt,
	.getsockopt	= tcpx_getsockopt,
	.hash		= inet_hash,
	.unhash		= inet_unhash,
	.get_port	= inet_csk_get_port,
	.orphan_count	= &tcpx_orphan_count,
	.obj_size	= sizeof(struct tcpx_sock),
	.slab_flags	= SLAB_TYPESAFE_BY_RCU,
	.h.hashinfo	= &tcpx_hashinfo,
};

/*
 * The socket layer takes the family from tcpx_family_ops, which follows the
 * module parameter; .family here is informational.
 */
static const struct proto_ops tcpx_stream_ops = {
	.family		= PF_TCPX,
	.owner		= THIS_MODULE,
	.release	= inet_release,
	.bind		= inet_bind,
	.connect	= sock_no_connect,
	.socketpair	= sock_no_socketpair,
	.accept		= sock_no_accept,
	.getname	= inet_getname,
	.poll		= tcpx_poll,
	.ioctl		= inet_ioctl,
	.listen		= tcpx_listen,
	.shutdown	= sock_no_shutdown,
	.setsockopt	= sock_common_setsockopt,
	.getsockopt	= sock_common_getsockopt,
	.sendmsg	= sock_no_sendmsg,
	.recvmsg	= sock_no_recvmsg,
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
	return proto_register(&tcpx_prot, 1);
}

void tcpx_proto_exit(void)
{
	proto_unregister(&tcpx_prot);
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
