// SPDX-License-Identifier: GPL-2.0
/*
 * IPv4: the protocol handler for tcpx's IP protocol number, its lookup in
 * the IPv4 tables, and its registration.  What follows the lookup is the
 * family-neutral input.c.
 */
#include <net/inet_hashtables.h>
#include <net/ip.h>
#include <net/protocol.h>

#include "mib.h"
#include "tcpx.h"

static int tcpx_v4_rcv(struct sk_buff *skb)
{
	struct net *net = dev_net(skb->dev);
	const struct tcphdr *th;
	const struct iphdr *iph;
	bool refcounted;
	struct sock *sk;

	tcpx_inc_stats(net, TCPX_MIB_INSEGS);

	if (skb->pkt_type != PACKET_HOST)
		goto discard;
	if (!tcpx_rcv_pull(skb))
		goto bad;
	if (skb_checksum_init(skb, tcpx_ipproto, inet_compute_pseudo) ||
	    skb_checksum_complete(skb)) {
		tcpx_inc_stats(net, TCPX_MIB_INCSUMERRORS);
		goto bad;
	}
	if (!tcpx_rcv_fill_cb(skb))
		goto bad;
	th = (const struct tcphdr *)skb->data;
	iph = ip_hdr(skb);

	sk = __inet_lookup_established(net, &tcpx_hashinfo, iph->saddr,
				       th->source, iph->daddr, ntohs(th->dest),
				       inet_iif(skb), inet_sdif(skb));
	refcounted = true;
	if (!sk) {
		sk = __inet_lookup_listener(net, &tcpx_hashinfo, skb,
					    th->doff * 4, iph->saddr,
					    th->source, iph->daddr,
					    ntohs(th->dest), inet_iif(skb),
					    inet_sdif(skb));
		refcounted = false;
	}
	return tcpx_rcv_sk(net, sk, skb, refcounted, AF_INET);

bad:
	tcpx_inc_stats(net, TCPX_MIB_INERRS);
discard:
	kfree_skb(skb);
	return 0;
}

static struct net_protocol tcpx_protocol = {
	.handler	= tcpx_v4_rcv,
	.err_handler	= tcpx_v4_err,
	.no_policy	= 1,
};

int tcpx_ipv4_init(void)
{
	BUILD_BUG_ON(sizeof(struct tcpx_skb_cb) > sizeof_field(struct sk_buff, cb));
	if (inet_add_protocol(&tcpx_protocol, tcpx_ipproto) < 0) {
		pr_err("IPv4 protocol %d is taken\n", tcpx_ipproto);
		return -EBUSY;
	}
	return 0;
}

void tcpx_ipv4_exit(void)
{
	inet_del_protocol(&tcpx_protocol, tcpx_ipproto);
	/* No handler may still run when the module text goes. */
	synchronize_net();
}
