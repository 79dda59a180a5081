// SPDX-License-Identifier: GPL-2.0
/*
 * ICMP errors about tcpx segments, as tcp_v4_err() takes them, and what
 * ICMPv6's handler (ipv6.c) shares with it.
 *
 * The quoted header must name a connection and a sequence number it has
 * in flight (RFC 5927 4.1), else a blind attacker could reset or slow any
 * connection.  "Fragmentation needed" lowers the path MTU and the MSS, and
 * what was sent too large goes again at the new size.  Unreachables end a
 * connection attempt (hard error) and are only remembered (soft error,
 * reported on timeout) once connected, unless IP_RECVERR asks for them.
 */
#include <linux/icmp.h>
#include <net/icmp.h>
#include <net/inet_connection_sock.h>
#include <net/ip.h>
#include <net/route.h>

#include "mib.h"
#include "tcpx.h"

/*
 * The path MTU fell to mtu (below the socket's): a smaller MSS, and what
 * was sent too large goes again, as tcp_simple_retransmit() -- no loss
 * signal, no cwnd cut.  Every family's mtu_reduced ends here.
 */
void tcpx_pmtu_lowered(struct sock *sk, u32 mtu)
{
	struct tcpx_sock *tsk = tcpx_sk(sk);
	u32 old_mss = tsk->mss_cache;

	tcpx_sync_mss(sk, mtu);
	if (tsk->mss_cache < old_mss)
		tcpx_inc_stats(sock_net(sk), TCPX_MIB_PMTUUPDATES);
	tcpx_resend_oversized(sk);
}

/*
 * An ICMP or ICMPv6 "too big" for a connection: its af_ops mtu_reduced
 * now, or from release_cb (TCPX_MTU_REDUCED_DEFERRED) if the owner holds
 * the socket.  BH, the socket's spinlock held.
 */
void tcpx_icmp_mtu(struct sock *sk, u32 mtu)
{
	struct tcpx_sock *tsk = tcpx_sk(sk);

	WRITE_ONCE(tsk->mtu_info, mtu);
	if (!sock_owned_by_user(sk))
		inet_csk(sk)->icsk_af_ops->mtu_reduced(sk);
	else if (!test_and_set_bit(TCPX_MTU_REDUCED_DEFERRED, &tsk->deferred))
		sock_hold(sk);
}

/* IPv4's af_ops mtu_reduced: now, or from release_cb if the owner held sk. */
void tcpx_v4_mtu_reduced(struct sock *sk)
{
	struct inet_sock *inet = inet_sk(sk);
	u32 mtu = READ_ONCE(tcpx_sk(sk)->mtu_info);
	struct dst_entry *dst;

	if ((1 << sk->sk_state) & (TCPF_LISTEN | TCPF_CLOSE))
		return;
	dst = inet_csk_update_pmtu(sk, mtu);
	if (!dst)
		return;
	/* Below what the route may carry with DF: the sender's own error. */
	if (mtu < dst_mtu(dst) && ip_dont_fragment(sk, dst))
		WRITE_ONCE(sk->sk_err_soft, EMSGSIZE);
	mtu = dst_mtu(dst);
	if (inet->pmtudisc == IP_PMTUDISC_DONT || !ip_sk_accept_pmtu(sk) ||
	    inet_csk(sk)->icsk_pmtu_cookie <= mtu)
		return;
	tcpx_pmtu_lowered(sk, mtu);
}

/* A request sock: its SYN+ACK's sequence number, or nothing. */
void tcpx_req_err(struct sock *sk, u32 seq, bool abort)
{
	struct request_sock *req = inet_reqsk(sk);
	struct net *net = sock_net(sk);

	if (seq != tcpx_rsk(req)->snt_isn)
		tcpx_inc_stats(net, TCPX_MIB_OUTOFWINDOWICMPS);
	else if (abort)
		tcpx_reqsk_drop(req->rsk_listener, req);
	reqsk_put(req);
}

/* RFC 5927 4.1: an error is only about what is in flight (sk locked). */
bool tcpx_icmp_in_flight(struct sock *sk, u32 seq)
{
	struct tcpx_sock *tsk = tcpx_sk(sk);

	if (sk->sk_state == TCP_LISTEN ||
	    tcpx_between(seq, tsk->snd_una, tsk->snd_max))
		return true;
	tcpx_inc_stats(sock_net(sk), TCPX_MIB_OUTOFWINDOWICMPS);
	return false;
}

/*
 * An ICMP or ICMPv6 error err for a connection (sk locked): the end of a
 * connection attempt; once connected never an end (RFC 1122 4.2.3.9),
 * reported at once only with IP_RECVERR/IPV6_RECVERR (recverr), else on a
 * timeout.
 */
void tcpx_icmp_report(struct sock *sk, int err, bool recverr)
{
	switch (sk->sk_state) {
	case TCP_SYN_SENT:
	case TCP_SYN_RECV:
		/*
		 * A connection attempt ends with the error, as in TCP (whose
		 * ip_icmp_error() queue entry modules cannot make in 6.1).
		 */
		if (!sock_owned_by_user(sk))
			tcpx_done_with_error(sk, err);
		else
			WRITE_ONCE(sk->sk_err_soft, err);
		return;
	}
	if (!sock_owned_by_user(sk) && recverr) {
		WRITE_ONCE(sk->sk_err, err);
		sk_error_report(sk);
	} else {
		WRITE_ONCE(sk->sk_err_soft, err);
	}
}

int tcpx_v4_err(struct sk_buff *skb, u32 info)
{
	const struct iphdr *iph = (const struct iphdr *)skb->data;
	const int type = icmp_hdr(skb)->type;
	const int code = icmp_hdr(skb)->code;
	struct net *net = dev_net(skb->dev);
	const struct tcphdr *th;
	struct sock *sk;
	u32 seq;
	int err;

	/* icmp_unreach() pulled the IP header and 8 bytes: ports and seq. */
	th = (const struct tcphdr *)(skb->data + (iph->ihl << 2));
	sk = __inet_lookup_established(net, &tcpx_hashinfo, iph->daddr,
				       th->dest, iph->saddr, ntohs(th->source),
				       inet_iif(skb), 0);
	if (!sk) {
		__ICMP_INC_STATS(net, ICMP_MIB_INERRORS);
		return -ENOENT;
	}
	if (sk->sk_state == TCP_TIME_WAIT) {
		inet_twsk_put(inet_twsk(sk));
		return 0;
	}
	seq = ntohl(th->seq);
	if (sk->sk_state == TCP_NEW_SYN_RECV) {
		tcpx_req_err(sk, seq, type == ICMP_PARAMETERPROB ||
			     type == ICMP_TIME_EXCEEDED ||
			     (type == ICMP_DEST_UNREACH &&
			      (code == ICMP_NET_UNREACH ||
			       code == ICMP_HOST_UNREACH)));
		return 0;
	}

	bh_lock_sock(sk);
	/*
	 * The owner may be changing the state; everything but a PMTU
	 * update waits for a timeout to notice, as in TCP.
	 */
	if (sock_owned_by_user(sk) &&
	    !(type == ICMP_DEST_UNREACH && code == ICMP_FRAG_NEEDED))
		tcpx_inc_stats(net, TCPX_MIB_LOCKDROPPEDICMPS);
	if (sk->sk_state == TCP_CLOSE)
		goto out;
	if (unlikely(iph->ttl < READ_ONCE(inet_sk(sk)->min_ttl))) {
		tcpx_inc_stats(net, TCPX_MIB_MINTTLDROP);
		goto out;
	}

	if (!tcpx_icmp_in_flight(sk, seq))
		goto out;

	switch (type) {
	case ICMP_REDIRECT:
		if (!sock_owned_by_user(sk)) {
			struct dst_entry *dst = __sk_dst_check(sk, 0);

			if (dst)
				dst->ops->redirect(dst, sk, skb);
		}
		goto out;
	case ICMP_SOURCE_QUENCH:
		goto out;	/* RFC 6633: ignored */
	case ICMP_PARAMETERPROB:
		err = EPROTO;
		break;
	case ICMP_DEST_UNREACH:
		if (code > NR_ICMP_UNREACH)
			goto out;
		if (code == ICMP_FRAG_NEEDED) {
			if (sk->sk_state == TCP_LISTEN)
				goto out;
			tcpx_icmp_mtu(sk, info);
			goto out;
		}
		err = icmp_err_convert[code].errno;
		break;
	case ICMP_TIME_EXCEEDED:
		err = EHOSTUNREACH;
		break;
	default:
		goto out;
	}

	tcpx_icmp_report(sk, err, tcpx_recverr(sk));
out:
	bh_unlock_sock(sk);
	sock_put(sk);
	return 0;
}
