// SPDX-License-Identifier: GPL-2.0
/*
 * Socket options at level SOL_TCPX, and IPPROTO_TCP as a synonym so that a
 * TCP program needs no change beyond its socket() family.  Values, ranges
 * and errors follow do_tcp_setsockopt()/do_tcp_getsockopt().  Other levels
 * go to the IPv4 handlers, as for TCP.
 */
#include <linux/sockptr.h>
#include <linux/uaccess.h>
#include <net/tcp.h>

#include "tcpx.h"

static bool tcpx_level(int level)
{
	return level == SOL_TCPX || level == IPPROTO_TCP;
}

/*
 * A new idle time applies to the connection's current idle period at once,
 * as tcp_sock_set_keepidle_locked(): the timer fires keepidle after the
 * last segment received, or now if that is past.
 */
static void tcpx_keepidle_rearm(struct sock *sk)
{
	u32 when, elapsed;

	if (!sock_flag(sk, SOCK_KEEPOPEN) ||
	    ((1 << sk->sk_state) & (TCPF_CLOSE | TCPF_LISTEN)))
		return;
	when = tcpx_keepalive_time_when(sk);
	elapsed = tcpx_keepalive_time_elapsed(sk);
	inet_csk_reset_keepalive_timer(sk, when > elapsed ? when - elapsed : 0);
}

/*
 * As __tcp_sock_set_quickack(): 0 delays ACKs (interactive, "pingpong"
 * mode); any other value leaves that mode and sends a pending ACK now --
 * an even one returns to delaying afterwards.
 */
static void tcpx_set_quickack(struct sock *sk, int val)
{
	if (!val) {
		inet_csk_enter_pingpong_mode(sk);
		return;
	}
	inet_csk_exit_pingpong_mode(sk);
	if ((1 << sk->sk_state) & (TCPF_ESTABLISHED | TCPF_CLOSE_WAIT) &&
	    inet_csk_ack_scheduled(sk)) {
		tcpx_send_ack(sk);
		if (!(val & 1))
			inet_csk_enter_pingpong_mode(sk);
	}
}

/*
 * TCPX_DEFER_ACCEPT is set in seconds and kept as SYN+ACK retransmissions
 * (1 s doubling to 120 s), as TCP's secs_to_retrans()/retrans_to_secs().
 */
static u8 tcpx_secs_to_retrans(int seconds)
{
	int timeout = TCPX_TIMEOUT_INIT / HZ, period = timeout;
	u8 res;

	if (seconds <= 0)
		return 0;
	for (res = 1; seconds > period && res < 255; res++) {
		timeout = min_t(int, timeout << 1, TCPX_RTO_MAX / HZ);
		period += timeout;
	}
	return res;
}

static int tcpx_retrans_to_secs(u8 retrans)
{
	int timeout = TCPX_TIMEOUT_INIT / HZ, period = 0;

	if (retrans)
		period = timeout;
	while (retrans > 1) {
		timeout = min_t(int, timeout << 1, TCPX_RTO_MAX / HZ);
		period += timeout;
		retrans--;
	}
	return period;
}

static int tcpx_do_setsockopt(struct sock *sk, int optname, int val)
{
	struct tcpx_sock *tsk = tcpx_sk(sk);
	int err = 0;

	switch (optname) {
	case TCPX_NODELAY:
		tsk->nodelay = !!val;
		/* As TCP: turning it on sends what Nagle or a cork held. */
		if (val)
			__tcpx_push_pending(sk, TCPX_PUSH_FORCE);
		break;
	case TCPX_CORK:
		tsk->cork = !!val;
		if (!val)
			__tcpx_push_pending(sk, tsk->nodelay ? TCPX_PUSH_FORCE :
						TCPX_PUSH_NORMAL);
		break;
	case TCPX_WINDOW_CLAMP:
		/* As TCP: 0 only before a connection; a floor of half the
		 * smallest buffer.
		 */
		if (!val) {
			if (sk->sk_state != TCP_CLOSE)
				return -EINVAL;
			WRITE_ONCE(tsk->window_clamp, 0);
		} else {
			WRITE_ONCE(tsk->window_clamp,
				   max_t(int, val, SOCK_MIN_RCVBUF / 2));
		}
		break;
	case TCPX_DEFER_ACCEPT:
		WRITE_ONCE(inet_csk(sk)->icsk_accept_queue.rskq_defer_accept,
			   tcpx_secs_to_retrans(val));
		break;
	case TCPX_NOTSENT_LOWAT:
		WRITE_ONCE(tsk->notsent_lowat, val);
		sk->sk_write_space(sk);
		break;
	case TCPX_MAXSEG:
		if (val && (val < TCPX_MIN_MSS || val > TCPX_MAX_WINDOW))
			return -EINVAL;
		tsk->user_mss = val;
		break;
	case TCPX_KEEPIDLE:
		if (val < 1 || val > MAX_TCP_KEEPIDLE)
			return -EINVAL;
		WRITE_ONCE(tsk->keepalive_time, val * HZ);
		tcpx_keepidle_rearm(sk);
		break;
	case TCPX_KEEPINTVL:
		if (val < 1 || val > MAX_TCP_KEEPINTVL)
			return -EINVAL;
		WRITE_ONCE(tsk->keepalive_intvl, val * HZ);
		break;
	case TCPX_KEEPCNT:
		if (val < 1 || val > MAX_TCP_KEEPCNT)
			return -EINVAL;
		WRITE_ONCE(tsk->keepalive_probes, val);
		break;
	case TCPX_SYNCNT:
		if (val < 1 || val > MAX_TCP_SYNCNT)
			return -EINVAL;
		WRITE_ONCE(inet_csk(sk)->icsk_syn_retries, val);
		break;
	case TCPX_LINGER2:
		if (val < 0)
			WRITE_ONCE(tsk->linger2, -1);
		else if (val > TCP_FIN_TIMEOUT_MAX / HZ)
			WRITE_ONCE(tsk->linger2, TCP_FIN_TIMEOUT_MAX);
		else
			WRITE_ONCE(tsk->linger2, val * HZ);
		break;
	case TCPX_USER_TIMEOUT:
		if (val < 0)
			return -EINVAL;
		WRITE_ONCE(inet_csk(sk)->icsk_user_timeout, val);
		break;
	case TCPX_QUICKACK:
		tcpx_set_quickack(sk, val);
		break;
	default:
		err = -ENOPROTOOPT;
	}
	return err;
}

/*
 * SOL_IPV6 options of an IPv6 socket (its af_ops setsockopt).  The
 * kernel's ipv6_setsockopt() takes no socket whose sk_family is not
 * AF_INET6, so these are the ones a TCP socket is given most, with
 * do_ipv6_setsockopt()'s checks; the others fail with ENOPROTOOPT.
 * SOL_IP goes to IPv4's, as for an AF_INET6 TCP socket.
 */
int tcpx_v6_setsockopt(struct sock *sk, int level, int optname,
		       sockptr_t optval, unsigned int optlen)
{
	struct ipv6_pinfo *np = inet_sk(sk)->pinet6;
	int val = 0, err = 0;

	if (level == SOL_IP)
		return ip_setsockopt(sk, level, optname, optval, optlen);
	if (level != SOL_IPV6)
		return -ENOPROTOOPT;
	if (optlen < sizeof(int))
		return -EINVAL;
	if (copy_from_sockptr(&val, optval, sizeof(val)))
		return -EFAULT;

	lock_sock(sk);
	switch (optname) {
	case IPV6_V6ONLY:
		if (inet_sk(sk)->inet_num)
			err = -EINVAL;
		else
			sk->sk_ipv6only = !!val;
		break;
	case IPV6_UNICAST_HOPS:
		if (val > 255 || val < -1)
			err = -EINVAL;
		else
			np->hop_limit = val;	/* a bit-field in 6.1 */
		break;
	case IPV6_TCLASS:
		if (val < -1 || val > 0xff) {
			err = -EINVAL;
			break;
		}
		/* RFC 3542 6.5: -1 is the default, 0; ECN bits are ours. */
		val = (max(val, 0) & ~INET_ECN_MASK) | (np->tclass & INET_ECN_MASK);
		if (np->tclass != val) {
			np->tclass = val;
			sk_dst_reset(sk);
		}
		break;
	case IPV6_RECVERR:
		tcpx_set_recverr6(sk, val);
		if (!val)
			skb_queue_purge(&sk->sk_error_queue);
		break;
	case IPV6_MTU_DISCOVER:
		if (val < IPV6_PMTUDISC_DONT || val > IPV6_PMTUDISC_OMIT)
			err = -EINVAL;
		else
			np->pmtudisc = val;
		break;
	case IPV6_MTU:
		if (val && val < IPV6_MIN_MTU)
			err = -EINVAL;
		else
			WRITE_ONCE(np->frag_size, val);
		break;
	default:
		err = -ENOPROTOOPT;
	}
	release_sock(sk);
	return err;
}

int tcpx_setsockopt(struct sock *sk, int level, int optname,
		    sockptr_t optval, unsigned int optlen)
{
	int val, err;

	if (!tcpx_level(level)) {
		tcpx_v6_sockopt_level(sk, level);
		return inet_csk(sk)->icsk_af_ops->setsockopt(sk, level, optname,
							     optval, optlen);
	}

	if (optlen < sizeof(int))
		return -EINVAL;
	if (copy_from_sockptr(&val, optval, sizeof(val)))
		return -EFAULT;

	lock_sock(sk);
	err = tcpx_do_setsockopt(sk, optname, val);
	release_sock(sk);
	return err;
}

static void tcpx_get_info(struct sock *sk, struct tcpx_info *info)
{
	const struct inet_connection_sock *icsk = inet_csk(sk);
	const struct tcpx_sock *tsk = tcpx_sk(sk);
	struct sk_buff *skb;

	memset(info, 0, sizeof(*info));
	lock_sock(sk);
	info->tcpi_state = sk->sk_state;
	info->tcpi_retransmits = icsk->icsk_retransmits;
	info->tcpi_probes = icsk->icsk_probes_out;
	info->tcpi_backoff = icsk->icsk_backoff;
	info->tcpi_rto = jiffies_to_usecs(icsk->icsk_rto);
	info->tcpi_snd_mss = tsk->mss_cache;
	info->tcpi_rcv_mss = tsk->advmss;
	info->tcpi_advmss = tsk->advmss;
	info->tcpi_pmtu = icsk->icsk_pmtu_cookie;
	info->tcpi_ca_state = tsk->ca_state;
	if (tsk->tstamp_ok)
		info->tcpi_options |= TCPI_OPT_TIMESTAMPS;
	if (tsk->wscale_ok) {
		info->tcpi_options |= TCPI_OPT_WSCALE;
		info->tcpi_snd_wscale = tsk->snd_wscale;
		info->tcpi_rcv_wscale = tsk->rcv_wscale;
	}
	info->tcpi_ato = jiffies_to_usecs(TCPX_DELACK_MIN);
	info->tcpi_rcv_mss = tsk->rcv_mss ? : tsk->advmss;
	info->tcpi_rtt = tsk->srtt_us;
	info->tcpi_rttvar = tsk->rttvar_us;
	info->tcpi_last_data_sent = jiffies_to_msecs(jiffies - tsk->lsndtime);
	/* Segments, as tcp_info reports them; tcpx counts bytes. */
	info->tcpi_snd_cwnd = tsk->snd_cwnd / max(tsk->mss_cache, 1U);
	info->tcpi_snd_ssthresh = tsk->snd_ssthresh >= TCPX_INFINITE_SSTHRESH ?
				  TCP_INFINITE_SSTHRESH :
				  tsk->snd_ssthresh / max(tsk->mss_cache, 1U);
	info->tcpi_total_retrans = tsk->total_retrans;
	info->tcpi_rmem_alloc = atomic_read(&sk->sk_rmem_alloc);
	info->tcpi_wmem_queued = READ_ONCE(sk->sk_wmem_queued);
	info->tcpi_rcvbuf = READ_ONCE(sk->sk_rcvbuf);
	info->tcpi_sndbuf = READ_ONCE(sk->sk_sndbuf);
	info->tcpi_snd_wnd = tsk->snd_wnd;
	info->tcpi_rcv_wnd = tsk->rcv_wnd;
	/* Segments sent and not yet acknowledged; lost ones in recovery. */
	skb_queue_walk(&sk->sk_write_queue, skb) {
		if (!tcpx_before(TCPX_SKB_CB(skb)->seq, tsk->snd_max))
			break;
		info->tcpi_unacked++;
		if (TCPX_SKB_CB(skb)->retrans)
			info->tcpi_retrans++;
	}
	/* After a timeout all of it is taken as lost; in recovery, a hole. */
	if (tsk->ca_state == TCP_CA_Loss)
		info->tcpi_lost = info->tcpi_unacked;
	else if (tsk->ca_state == TCP_CA_Recovery && info->tcpi_unacked)
		info->tcpi_lost = 1;
	info->tcpi_ofo_segs = skb_queue_len(&tsk->ofo_queue);
	info->tcpi_win_probes = tsk->win_probes;
	release_sock(sk);
}

int tcpx_getsockopt(struct sock *sk, int level, int optname,
		    char __user *optval, int __user *optlen)
{
	struct tcpx_sock *tsk = tcpx_sk(sk);
	unsigned int size = sizeof(int);
	struct tcpx_info info;
	void *src;
	int val, len;

	if (!tcpx_level(level)) {
		tcpx_v6_sockopt_level(sk, level);
		return inet_csk(sk)->icsk_af_ops->getsockopt(sk, level, optname,
							     optval, optlen);
	}

	if (get_user(len, optlen))
		return -EFAULT;
	if (len < 0)
		return -EINVAL;

	switch (optname) {
	case TCPX_NODELAY:
		val = tsk->nodelay;
		break;
	case TCPX_CORK:
		val = tsk->cork;
		break;
	case TCPX_WINDOW_CLAMP:
		val = READ_ONCE(tsk->window_clamp);
		break;
	case TCPX_NOTSENT_LOWAT:
		val = READ_ONCE(tsk->notsent_lowat);
		break;
	case TCPX_DEFER_ACCEPT:
		val = READ_ONCE(inet_csk(sk)->icsk_accept_queue.rskq_defer_accept);
		val = tcpx_retrans_to_secs(val);
		break;
	case TCPX_MAXSEG:
		val = READ_ONCE(tsk->mss_cache);
		if (tsk->user_mss &&
		    ((1 << sk->sk_state) & (TCPF_CLOSE | TCPF_LISTEN)))
			val = tsk->user_mss;
		break;
	case TCPX_KEEPIDLE:
		val = tcpx_keepalive_time_when(sk) / HZ;
		break;
	case TCPX_KEEPINTVL:
		val = tcpx_keepalive_intvl_when(sk) / HZ;
		break;
	case TCPX_KEEPCNT:
		val = tcpx_keepalive_probes(sk);
		break;
	case TCPX_SYNCNT:
		val = READ_ONCE(inet_csk(sk)->icsk_syn_retries) ? :
		      READ_ONCE(tcpx_pernet(sock_net(sk))->syn_retries);
		break;
	case TCPX_LINGER2:
		val = READ_ONCE(tsk->linger2);
		if (val >= 0)
			val = (val ? : READ_ONCE(tcpx_pernet(sock_net(sk))->fin_timeout) * HZ) / HZ;
		break;
	case TCPX_USER_TIMEOUT:
		val = READ_ONCE(inet_csk(sk)->icsk_user_timeout);
		break;
	case TCPX_QUICKACK:
		val = !inet_csk_in_pingpong_mode(sk);
		break;
	case TCPX_INFO:
		tcpx_get_info(sk, &info);
		size = sizeof(info);
		break;
	default:
		return -ENOPROTOOPT;
	}

	/* A short buffer gets a truncated copy, as TCP_INFO and int options. */
	src = optname == TCPX_INFO ? (void *)&info : &val;
	len = min_t(unsigned int, len, size);
	if (put_user(len, optlen))
		return -EFAULT;
	if (copy_to_user(optval, src, len))
		return -EFAULT;
	return 0;
}
