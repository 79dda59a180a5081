// SPDX-License-Identifier: GPL-2.0
/*
 * Socket options at level SOL_TCPX, and IPPROTO_TCP as a synonym so that a
 * TCP program needs no change beyond its socket() family.  Values, ranges
 * and errors follow do_tcp_setsockopt()/do_tcp_getsockopt().  Other levels
 * go to the IPv4 handlers, as for TCP.
 */
#include <linux/mroute6.h>
#include <linux/netfilter.h>
#include <linux/sockptr.h>
#include <linux/uaccess.h>
#include <net/compat.h>
#include <net/tcp.h>
#include <net/xfrm.h>

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
 * SOL_IPV6 options of an IPv6 socket (its af_ops setsockopt).  The kernel's
 * do_ipv6_setsockopt() takes no socket whose sk_family is not AF_INET6, so
 * this is it again for a stream socket: the same checks in the same order,
 * the same errors.  getsockopt is the kernel's ipv6_getsockopt(), which
 * reads the fields set here.  What tcpx cannot do (Documentation/tcpx.rst,
 * "SOL_IPV6"): leasing flow labels and sticky extension headers
 * (ENOPROTOOPT), turning into an IPv4 socket (IPV6_ADDRFORM), multicast and
 * anycast memberships (EPROTO, as IPV6_ADD_MEMBERSHIP on TCP).
 */

/* Membership requests: their size (32-bit callers have their own). */
static unsigned int tcpx_group_req_size(int optname)
{
	bool compat = in_compat_syscall();

	if (optname == MCAST_JOIN_GROUP || optname == MCAST_LEAVE_GROUP)
		return compat ? sizeof(struct compat_group_req) :
				sizeof(struct group_req);
	return compat ? sizeof(struct compat_group_source_req) :
			sizeof(struct group_source_req);
}

/*
 * MCAST_{JOIN,LEAVE}_GROUP, MCAST_{JOIN,LEAVE}_SOURCE_GROUP and
 * MCAST_{BLOCK,UNBLOCK}_SOURCE: read and checked as ipv6_mcast_join_leave()
 * and do_ipv6_mcast_group_source(); a tcpx socket joins no group, so a
 * leave finds none, as on a TCP socket that joined none.
 */
static int tcpx_v6_mcast_group(int optname, sockptr_t optval,
			       unsigned int optlen)
{
	unsigned int size = tcpx_group_req_size(optname);
	struct compat_group_source_req cgsr;
	struct group_source_req gsr;
	struct sockaddr_storage *group, *source;

	if (optlen < size)
		return -EINVAL;
	if (in_compat_syscall()) {
		if (copy_from_sockptr(&cgsr, optval, size))
			return -EFAULT;
		group = &cgsr.gsr_group;
		source = &cgsr.gsr_source;
	} else {
		if (copy_from_sockptr(&gsr, optval, size))
			return -EFAULT;
		group = &gsr.gsr_group;
		source = &gsr.gsr_source;
	}
	if (group->ss_family != AF_INET6)
		return -EADDRNOTAVAIL;
	if (optname != MCAST_JOIN_GROUP && optname != MCAST_LEAVE_GROUP &&
	    source->ss_family != AF_INET6)
		return -EADDRNOTAVAIL;
	if (!ipv6_addr_is_multicast(&((struct sockaddr_in6 *)group)->sin6_addr))
		return -EINVAL;
	return optname == MCAST_LEAVE_GROUP ? -EADDRNOTAVAIL : -EPROTO;
}

/* net.core.optmem_max: per namespace from 6.9 (compat.h's probe). */
static int tcpx_optmem_max(const struct net *net)
{
#ifdef TCPX_HAVE_NETNS_OPTMEM_MAX
	return READ_ONCE(net->core.sysctl_optmem_max);
#else
	return READ_ONCE(sysctl_optmem_max);
#endif
}

/* MCAST_MSFILTER: its length checks (ipv6_set_mcast_msfilter()). */
static int tcpx_v6_mcast_msfilter(struct sock *sk, unsigned int optlen)
{
	unsigned int size0 = in_compat_syscall() ?
			     offsetof(struct compat_group_filter, gf_slist_flex) :
			     GROUP_FILTER_SIZE(0);
	int max = tcpx_optmem_max(sock_net(sk));

	if (optlen < size0)
		return -EINVAL;
	if (optlen > max - (in_compat_syscall() ? 4 : 0))
		return -ENOBUFS;
	return -EPROTO;
}

/* IPV6_{JOIN,LEAVE}_ANYCAST (ipv6_sock_ac_join(), ipv6_sock_ac_drop()). */
static int tcpx_v6_anycast(struct sock *sk, int optname, sockptr_t optval,
			   unsigned int optlen)
{
	struct ipv6_mreq mreq;

	if (optlen < sizeof(mreq))
		return -EINVAL;
	if (copy_from_sockptr(&mreq, optval, sizeof(mreq)))
		return -EFAULT;
	if (optname == IPV6_LEAVE_ANYCAST)
		return -ENOENT;
	if (!ns_capable(sock_net(sk)->user_ns, CAP_NET_ADMIN))
		return -EPERM;
	if (ipv6_addr_is_multicast(&mreq.ipv6mr_acaddr))
		return -EINVAL;
	return -EPROTO;
}

/*
 * IPV6_ADDRFORM: TCP turns an IPv6 socket connected to a v4-mapped peer
 * into an AF_INET one.  tcpx checks as TCP, then declines: the socket goes
 * on as it is, dual-stack, which is all ADDRFORM is ever used for.
 */
static int tcpx_v6_addrform(struct sock *sk, int val, unsigned int optlen)
{
	if (optlen < sizeof(int) || val != PF_INET)
		return -EINVAL;
	if (sk->sk_state != TCP_ESTABLISHED)
		return -ENOTCONN;
	if (ipv6_only_sock(sk) || !ipv6_addr_v4mapped(&sk->sk_v6_daddr))
		return -EADDRNOTAVAIL;
	return -ENOPROTOOPT;
}

/* IPV6_UNICAST_IF: an interface index in network order, 0 for none. */
static int tcpx_v6_unicast_if(struct sock *sk, int val, unsigned int optlen)
{
	struct ipv6_pinfo *np = inet_sk(sk)->pinet6;
	struct net_device *dev;
	int ifindex;

	if (optlen != sizeof(int))
		return -EINVAL;
	ifindex = (__force int)ntohl((__force __be32)val);
	if (ifindex) {
		dev = dev_get_by_index(sock_net(sk), ifindex);
		if (!dev)
			return -EADDRNOTAVAIL;
		dev_put(dev);
		if (READ_ONCE(sk->sk_bound_dev_if))
			return -EINVAL;
	}
	WRITE_ONCE(np->ucast_oif, ifindex);
	return 0;
}

/* IPV6_PKTINFO: sticky, what IPV6_PKTOPTIONS reports without a packet. */
static int tcpx_v6_pktinfo(struct sock *sk, sockptr_t optval,
			   unsigned int optlen)
{
	struct ipv6_pinfo *np = inet_sk(sk)->pinet6;
	struct in6_pktinfo pkt;

	if (optlen < sizeof(pkt) || sockptr_is_null(optval))
		return -EINVAL;
	if (copy_from_sockptr(&pkt, optval, sizeof(pkt)))
		return -EFAULT;
	if (!sk_dev_equal_l3scope(sk, pkt.ipi6_ifindex))
		return -EINVAL;
	np->sticky_pktinfo.ipi6_ifindex = pkt.ipi6_ifindex;
	np->sticky_pktinfo.ipi6_addr = pkt.ipi6_addr;
	return 0;
}

/* IPV6_RECV* and their RFC 2292 forms: bits TCP reports in IPV6_PKTOPTIONS. */
static int tcpx_v6_rxopt(struct ipv6_pinfo *np, int optname, bool on)
{
	switch (optname) {
	case IPV6_RECVPKTINFO:
		np->rxopt.bits.rxinfo = on;
		break;
	case IPV6_2292PKTINFO:
		np->rxopt.bits.rxoinfo = on;
		break;
	case IPV6_RECVHOPLIMIT:
		np->rxopt.bits.rxhlim = on;
		break;
	case IPV6_2292HOPLIMIT:
		np->rxopt.bits.rxohlim = on;
		break;
	case IPV6_RECVRTHDR:
		np->rxopt.bits.srcrt = on;
		break;
	case IPV6_2292RTHDR:
		np->rxopt.bits.osrcrt = on;
		break;
	case IPV6_RECVHOPOPTS:
		np->rxopt.bits.hopopts = on;
		break;
	case IPV6_2292HOPOPTS:
		np->rxopt.bits.ohopopts = on;
		break;
	case IPV6_RECVDSTOPTS:
		np->rxopt.bits.dstopts = on;
		break;
	case IPV6_2292DSTOPTS:
		np->rxopt.bits.odstopts = on;
		break;
	case IPV6_RECVTCLASS:
		np->rxopt.bits.rxtclass = on;
		break;
	case IPV6_FLOWINFO:
		np->rxopt.bits.rxflow = on;
		break;
	case IPV6_RECVPATHMTU:
		np->rxopt.bits.rxpmtu = on;
		break;
	case IPV6_RECVORIGDSTADDR:
		np->rxopt.bits.rxorigdstaddr = on;
		break;
	case IPV6_RECVFRAGSIZE:
		np->rxopt.bits.recvfragsize = on;
		break;
	default:
		return -ENOPROTOOPT;
	}
	return 0;
}

/*
 * The options that set one flag of the socket and nothing else: the
 * caller passes only these five.
 */
static void tcpx_v6_flag(struct sock *sk, int optname, bool on)
{
	if (optname == IPV6_FREEBIND)
		tcpx_inet_assign(sk, FREEBIND, on);
	else if (optname == IPV6_DONTFRAG)
		tcpx_inet6_assign(sk, DONTFRAG, on);
	else if (optname == IPV6_MULTICAST_ALL)
		tcpx_inet6_assign(sk, MC6_ALL, on);
	else if (optname == IPV6_ROUTER_ALERT_ISOLATE)
		tcpx_inet6_assign(sk, RTALERT_ISOLATE, on);
	else
		tcpx_inet6_assign(sk, SNDFLOW, on);
}

/*
 * The options whose first check in do_ipv6_setsockopt() is for an int:
 * a shorter value is EINVAL before anything else is looked at.
 */
static bool tcpx_v6_int_first(int optname)
{
	switch (optname) {
	case IPV6_2292DSTOPTS:
	case IPV6_2292HOPLIMIT:
	case IPV6_2292HOPOPTS:
	case IPV6_2292PKTINFO:
	case IPV6_2292RTHDR:
	case IPV6_ADDR_PREFERENCES:
	case IPV6_FLOWINFO:
	case IPV6_FLOWINFO_SEND:
	case IPV6_FREEBIND:
	case IPV6_MINHOPCOUNT:
	case IPV6_MTU:
	case IPV6_MTU_DISCOVER:
	case IPV6_MULTICAST_ALL:
	case IPV6_MULTICAST_LOOP:
	case IPV6_RECVDSTOPTS:
	case IPV6_RECVERR:
	case IPV6_RECVERR_RFC4884:
	case IPV6_RECVHOPLIMIT:
	case IPV6_RECVHOPOPTS:
	case IPV6_RECVORIGDSTADDR:
	case IPV6_RECVPATHMTU:
	case IPV6_RECVPKTINFO:
	case IPV6_RECVRTHDR:
	case IPV6_RECVTCLASS:
	case IPV6_ROUTER_ALERT:
	case IPV6_ROUTER_ALERT_ISOLATE:
	case IPV6_TCLASS:
	case IPV6_UNICAST_HOPS:
	case IPV6_V6ONLY:
		return true;
	}
	return false;
}

/*
 * One option, the socket locked; @val the leading int of @optval (0 when
 * it is shorter or NULL), read as do_ipv6_setsockopt() reads it.
 */
static int tcpx_v6_setsockopt_locked(struct sock *sk, int optname, int val,
				     sockptr_t optval, unsigned int optlen)
{
	struct ipv6_pinfo *np = inet_sk(sk)->pinet6;
	struct net *net = sock_net(sk);
	bool on = val != 0;
	bool short_int = optlen < sizeof(int);

	if (short_int && tcpx_v6_int_first(optname))
		return -EINVAL;
	switch (optname) {
	case IPV6_UNICAST_HOPS:
		if (val > 255 || val < -1)
			return -EINVAL;
		np->hop_limit = val;	/* a bit-field in 6.1 */
		return 0;
	case IPV6_MULTICAST_LOOP:
		if (val != on)
			return -EINVAL;
		tcpx_inet6_assign(sk, MC6_LOOP, on);
		return 0;
	case IPV6_MULTICAST_HOPS:
	case IPV6_MULTICAST_IF:
		return -ENOPROTOOPT;	/* not on a stream socket */
	case IPV6_MTU:
		if (val && val < IPV6_MIN_MTU)
			return -EINVAL;
		WRITE_ONCE(np->frag_size, val);
		return 0;
	case IPV6_MINHOPCOUNT:
		if (val < 0 || val > 255)
			return -EINVAL;
		/* Read locklessly on receive (tcpx_v6_ttl_below()). */
		WRITE_ONCE(np->min_hopcount, val);
		return 0;
	case IPV6_RECVERR_RFC4884:
		if (val < 0 || val > 1)
			return -EINVAL;
		tcpx_inet6_assign(sk, RECVERR6_RFC4884, on);
		return 0;
	case IPV6_AUTOFLOWLABEL:
		tcpx_inet6_assign(sk, AUTOFLOWLABEL, on);
		tcpx_inet6_assign(sk, AUTOFLOWLABEL_SET, 1);
		return 0;
	case IPV6_RECVERR:
		tcpx_set_recverr6(sk, on);
		if (!on)
			tcpx_errqueue_purge(&sk->sk_error_queue);
		return 0;
	case IPV6_MTU_DISCOVER:
		if (val < IPV6_PMTUDISC_DONT || val > IPV6_PMTUDISC_OMIT)
			return -EINVAL;
		np->pmtudisc = val;	/* a bit-field in 6.1 */
		return 0;
	case IPV6_ADDR_PREFERENCES:
		return tcpx_ip6_set_addr_preferences(sk, val);
	case IPV6_UNICAST_IF:
		return tcpx_v6_unicast_if(sk, val, optlen);
	case IPV6_ADDRFORM:
		return tcpx_v6_addrform(sk, val, optlen);
	case IPV6_V6ONLY:
		if (inet_sk(sk)->inet_num)
			return -EINVAL;
		sk->sk_ipv6only = on;
		return 0;
	case IPV6_RECVPKTINFO:
	case IPV6_2292PKTINFO:
	case IPV6_RECVHOPLIMIT:
	case IPV6_2292HOPLIMIT:
	case IPV6_RECVRTHDR:
	case IPV6_2292RTHDR:
	case IPV6_RECVHOPOPTS:
	case IPV6_2292HOPOPTS:
	case IPV6_RECVDSTOPTS:
	case IPV6_2292DSTOPTS:
	case IPV6_RECVTCLASS:
	case IPV6_FLOWINFO:
	case IPV6_RECVPATHMTU:
	case IPV6_RECVORIGDSTADDR:
	case IPV6_RECVFRAGSIZE:
		return tcpx_v6_rxopt(np, optname, on);
	case IPV6_MULTICAST_ALL:
	case IPV6_DONTFRAG:
	case IPV6_ROUTER_ALERT_ISOLATE:
	case IPV6_FLOWINFO_SEND:
	case IPV6_FREEBIND:
		tcpx_v6_flag(sk, optname, on);
		return 0;
	case IPV6_TCLASS:
		if (val < -1 || val > 0xff)
			return -EINVAL;
		/* RFC 3542 6.5: -1 is the default, 0; ECN bits are ours. */
		val = (max(val, 0) & ~INET_ECN_MASK) | (np->tclass & INET_ECN_MASK);
		if (np->tclass != val) {
			np->tclass = val;
			sk_dst_reset(sk);
		}
		return 0;
	case IPV6_TRANSPARENT:
		/* The capability first, then the length, as the kernel. */
		if (on && !sockopt_ns_capable(net->user_ns, CAP_NET_RAW) &&
		    !sockopt_ns_capable(net->user_ns, CAP_NET_ADMIN))
			return -EPERM;
		if (short_int)
			return -EINVAL;
		tcpx_inet_assign(sk, TRANSPARENT, on);
		return 0;
	case IPV6_PKTINFO:
		return tcpx_v6_pktinfo(sk, optval, optlen);
	case IPV6_ADD_MEMBERSHIP:
	case IPV6_DROP_MEMBERSHIP:
		if (optlen < sizeof(struct ipv6_mreq))
			return -EINVAL;
		return -EPROTO;		/* as on any connection socket */
	case IPV6_JOIN_ANYCAST:
	case IPV6_LEAVE_ANYCAST:
		return tcpx_v6_anycast(sk, optname, optval, optlen);
	case MCAST_JOIN_GROUP:
	case MCAST_LEAVE_GROUP:
	case MCAST_JOIN_SOURCE_GROUP:
	case MCAST_LEAVE_SOURCE_GROUP:
	case MCAST_BLOCK_SOURCE:
	case MCAST_UNBLOCK_SOURCE:
		return tcpx_v6_mcast_group(optname, optval, optlen);
	case MCAST_MSFILTER:
		return tcpx_v6_mcast_msfilter(sk, optlen);
	case IPV6_ROUTER_ALERT:
		return -ENOPROTOOPT;	/* raw sockets only (ip6_ra_control()) */
	case IPV6_IPSEC_POLICY:
	case IPV6_XFRM_POLICY:
		if (!sockopt_ns_capable(net->user_ns, CAP_NET_ADMIN))
			return -EPERM;
		return xfrm_user_policy(sk, optname, optval, optlen);
	}
	/*
	 * Not here, as not in the kernel: IPV6_FLOWLABEL_MGR (its
	 * ipv6_flowlabel_opt() is not exported), the sticky extension headers
	 * (IPV6_HOPOPTS, IPV6_RTHDR, IPV6_DSTOPTS, IPV6_RTHDRDSTOPTS,
	 * IPV6_2292PKTOPTIONS: ipv6_renew_options() and ipv6_update_options()
	 * are not), and the options no socket has.
	 */
	return -ENOPROTOOPT;
}

static int tcpx_do_v6_setsockopt(struct sock *sk, int optname,
				 sockptr_t optval, unsigned int optlen)
{
	int val = 0, err;

	if (!sockptr_is_null(optval) && optlen >= sizeof(int) &&
	    copy_from_sockptr(&val, optval, sizeof(val)))
		return -EFAULT;
	/* ip6_mroute_setsockopt(): raw ICMPv6 sockets only. */
	if (ip6_mroute_opt(optname))
		return -EOPNOTSUPP;
	lock_sock(sk);
	err = tcpx_v6_setsockopt_locked(sk, optname, val, optval, optlen);
	release_sock(sk);
	return err;
}

/* SOL_IP goes to IPv4's, as for an AF_INET6 TCP socket (ipv6_setsockopt()). */
int tcpx_v6_setsockopt(struct sock *sk, int level, int optname,
		       sockptr_t optval, unsigned int optlen)
{
	int err;

	if (level == SOL_IP)
		return ip_setsockopt(sk, level, optname, optval, optlen);
	if (level != SOL_IPV6)
		return -ENOPROTOOPT;
	err = tcpx_do_v6_setsockopt(sk, optname, optval, optlen);
#ifdef CONFIG_NETFILTER
	/* ip6tables' options, as ipv6_setsockopt() passes them on. */
	if (err == -ENOPROTOOPT && optname != IPV6_IPSEC_POLICY &&
	    optname != IPV6_XFRM_POLICY)
		err = nf_setsockopt(sk, PF_INET6, optname, optval, optlen);
#endif
	return err;
}

/*
 * SOL_IPV6 and SOL_IP reads of an IPv6 socket: the kernel's
 * ipv6_getsockopt(), which reads what tcpx_v6_setsockopt() set, but for
 * IPV6_ADDRFORM, which it answers for TCP and UDP only: a connected
 * socket's family, as TCP's, is AF_INET6.
 */
int tcpx_v6_getsockopt(struct sock *sk, int level, int optname,
		       char __user *optval, int __user *optlen)
{
	int len, val = AF_INET6;

	if (level != SOL_IPV6 || optname != IPV6_ADDRFORM)
		return ipv6_getsockopt(sk, level, optname, optval, optlen);
	if (get_user(len, optlen))
		return -EFAULT;
	if (sk->sk_state != TCP_ESTABLISHED)
		return -ENOTCONN;
	len = min_t(unsigned int, sizeof(int), len);
	if (put_user(len, optlen))
		return -EFAULT;
	if (copy_to_user(optval, &val, len))
		return -EFAULT;
	return 0;
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

/* tcpx's own memory fields, a listener's too. */
static void tcpx_info_mem(const struct sock *sk, struct tcpx_info *info)
{
	info->tcpi_rmem_alloc = atomic_read(&sk->sk_rmem_alloc);
	info->tcpi_wmem_queued = READ_ONCE(sk->sk_wmem_queued);
	info->tcpi_rcvbuf = READ_ONCE(sk->sk_rcvbuf);
	info->tcpi_sndbuf = READ_ONCE(sk->sk_sndbuf);
}

void tcpx_get_info(struct sock *sk, struct tcpx_info *info)
{
	const struct inet_connection_sock *icsk = inet_csk(sk);
	const struct tcpx_sock *tsk = tcpx_sk(sk);
	struct sk_buff *skb;

	memset(info, 0, sizeof(*info));
	lock_sock(sk);
	info->tcpi_state = sk->sk_state;
	/* The duplicate ACKs that start recovery (tcpx_dupack()). */
	info->tcpi_reordering = TCPX_DUPTHRESH;
	if (sk->sk_state == TCP_LISTEN) {
		/*
		 * As tcp_get_info(): of a listener, its queues and nothing of
		 * a connection (no timer, MSS or times of a last segment).
		 */
		info->tcpi_snd_cwnd = TCPX_INIT_CWND;
		info->tcpi_unacked = READ_ONCE(sk->sk_ack_backlog);
		info->tcpi_sacked = READ_ONCE(sk->sk_max_ack_backlog);
		tcpx_info_mem(sk, info);
		release_sock(sk);
		return;
	}
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
	if (tsk->sack_ok)
		info->tcpi_options |= TCPI_OPT_SACK;
	if (tsk->wscale_ok) {
		info->tcpi_options |= TCPI_OPT_WSCALE;
		info->tcpi_snd_wscale = tsk->snd_wscale;
		info->tcpi_rcv_wscale = tsk->rcv_wscale;
	}
	/* As TCP's, none until data has come (tcp_event_data_recv()). */
	if (tsk->bytes_received)
		info->tcpi_ato = jiffies_to_usecs(TCPX_DELACK_MIN);
	info->tcpi_rcv_mss = tsk->rcv_mss ? : tsk->advmss;
	info->tcpi_rtt = tsk->srtt_us;
	info->tcpi_rttvar = tsk->rttvar_us;
	info->tcpi_last_data_sent = jiffies_to_msecs(jiffies - tsk->lsndtime);
	info->tcpi_last_data_recv =
		jiffies_to_msecs(tcp_jiffies32 - icsk->icsk_ack.lrcvtime);
	info->tcpi_last_ack_recv =
		jiffies_to_msecs(tcp_jiffies32 - tsk->rcv_tstamp);
	info->tcpi_sacked = DIV_ROUND_UP(tsk->sacked_out,
					 max(tsk->mss_cache, 1U));
	/* Segments, as tcp_info reports them; tcpx counts bytes. */
	info->tcpi_snd_cwnd = tsk->snd_cwnd / max(tsk->mss_cache, 1U);
	info->tcpi_snd_ssthresh = tsk->snd_ssthresh >= TCPX_INFINITE_SSTHRESH ?
				  TCP_INFINITE_SSTHRESH :
				  tsk->snd_ssthresh / max(tsk->mss_cache, 1U);
	info->tcpi_total_retrans = tsk->total_retrans;
	tcpx_info_mem(sk, info);
	info->tcpi_snd_wnd = tsk->snd_wnd;
	info->tcpi_rcv_wnd = tsk->rcv_wnd;
	/* Receive autotuning's estimates (autotune.c). */
	info->tcpi_rcv_rtt = tsk->rcv_rtt_us;
	info->tcpi_rcv_space = tsk->rcvq_space;
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
	info->tcpi_ofo_segs = tsk->ofo_segs;
	info->tcpi_win_probes = tsk->win_probes;
	info->tcpi_segs_out = tsk->segs_out;
	info->tcpi_segs_in = tsk->segs_in;
	info->tcpi_bytes_acked = tsk->bytes_acked;
	info->tcpi_bytes_received = tsk->bytes_received;
	/* snd_nxt goes back on a timeout; what went once is not "not sent". */
	if (tcpx_after(tsk->write_seq, tsk->snd_max))
		info->tcpi_notsent_bytes = tsk->write_seq - tsk->snd_max;
	/* No sample yet: ~0U, as tcp_min_rtt() of a fresh socket. */
	info->tcpi_min_rtt = tsk->min_rtt_us ? : ~0U;
	info->tcpi_data_segs_in = tsk->data_segs_in;
	info->tcpi_data_segs_out = tsk->data_segs_out;
	info->tcpi_bytes_sent = tsk->bytes_sent;
	info->tcpi_bytes_retrans = tsk->bytes_retrans;
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
