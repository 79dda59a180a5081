// SPDX-License-Identifier: GPL-2.0
/*
 * The IPv4 protocol handler: every segment of protocol tcpx_ipproto enters
 * here, softirq context.  Malformed segments are dropped and counted before
 * anything looks them up.
 */
#include <linux/skbuff.h>
#include <net/checksum.h>
#include <net/ip.h>
#include <net/protocol.h>
#include <net/tcp.h>

#include "mib.h"
#include "tcpx.h"

static int tcpx_v4_rcv(struct sk_buff *skb)
{
	struct net *net = dev_net(skb->dev);
	const struct tcphdr *th;

	tcpx_inc_stats(net, TCPX_MIB_INSEGS);

	if (skb->pkt_type != PACKET_HOST)
		goto discard;
	if (!pskb_may_pull(skb, sizeof(struct tcphdr)))
		goto bad;
	th = (const struct tcphdr *)skb->data;
	if (th->doff < sizeof(struct tcphdr) / 4)
		goto bad;
	if (!pskb_may_pull(skb, th->doff * 4))
		goto bad;
	if (skb_checksum_init(skb, tcpx_ipproto, inet_compute_pseudo) ||
	    skb_checksum_complete(skb)) {
		tcpx_inc_stats(net, TCPX_MIB_INCSUMERRORS);
		goto bad;
	}

	tcpx_inc_stats(net, TCPX_MIB_NOPORT);
	goto discard;

bad:
	tcpx_inc_stats(net, TCPX_MIB_INERRS);
discard:
	kfree_skb(skb);
	return 0;
}

static struct net_protocol tcpx_protocol = {
	.handler	= tcpx_v4_rcv,
	.no_policy	= 1,
};

int tcpx_input_init(void)
{
	if (inet_add_protocol(&tcpx_protocol, tcpx_ipproto) < 0) {
		pr_err("IPv4 protocol %d is taken\n", tcpx_ipproto);
		return -EBUSY;
	}
	return 0;
}

void tcpx_input_exit(void)
{
	inet_del_protocol(&tcpx_protocol, tcpx_ipproto);
	/* No handler may still run when the module text goes. */
	synchronize_net();
}
