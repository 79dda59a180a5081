/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tcpx counters, printed by /proc/net/tcpx_stat.  Per-CPU, per namespace;
 * the names are those of the interface contract (TCP's where TCP has one).
 */
#ifndef _TCPX_MIB_H
#define _TCPX_MIB_H

#include <linux/percpu.h>

#include "tcpx.h"

enum tcpx_mib_field {
	TCPX_MIB_ACTIVEOPENS,		/* CLOSED -> SYN-SENT */
	TCPX_MIB_PASSIVEOPENS,		/* LISTEN -> SYN-RCVD */
	TCPX_MIB_ATTEMPTFAILS,		/* SYN-SENT/SYN-RCVD -> CLOSED */
	TCPX_MIB_ESTABRESETS,		/* ESTABLISHED/CLOSE-WAIT -> CLOSED */
	TCPX_MIB_CURRESTAB,		/* gauge: ESTABLISHED + CLOSE-WAIT */
	TCPX_MIB_INSEGS,		/* segments received, errors included */
	TCPX_MIB_OUTSEGS,		/* segments sent, not retransmissions */
	TCPX_MIB_RETRANSSEGS,		/* segments retransmitted */
	TCPX_MIB_INERRS,		/* segments dropped as malformed */
	TCPX_MIB_INCSUMERRORS,		/* segments with a bad checksum */
	TCPX_MIB_OUTRSTS,		/* segments sent with RST */
	TCPX_MIB_SYNCOOKIESSENT,	/* SYN+ACKs carrying a cookie */
	TCPX_MIB_SYNCOOKIESRECV,	/* valid cookies received */
	TCPX_MIB_SYNCOOKIESFAILED,	/* invalid cookies received */
	TCPX_MIB_LISTENOVERFLOWS,	/* accept queue full */
	TCPX_MIB_LISTENDROPS,		/* SYNs or ACKs a listener dropped */
	TCPX_MIB_KEEPALIVEPROBES,	/* keepalive probes sent */
	TCPX_MIB_KEEPALIVETIMEOUTS,	/* connections ended by keepalive */
	TCPX_MIB_NOPORT,		/* segments for no socket */
	TCPX_MIB_OFODROPS,		/* data beyond rcv_nxt, dropped */
	TCPX_MIB_RCVQDROPS,		/* data dropped: receive buffer full */
	TCPX_MIB_BACKLOGDROPS,		/* segments dropped: backlog full */
	TCPX_MIB_FASTRETRANS,		/* recoveries on three duplicate ACKs */
	TCPX_MIB_TIMEOUTS,		/* retransmission timeouts */
	TCPX_MIB_OFOQUEUE,		/* data segments queued out of order */
	TCPX_MIB_DELAYEDACKS,		/* ACKs sent by the delayed-ACK timer */
	TCPX_MIB_WINPROBE,		/* zero-window probes sent */
	TCPX_MIB_PAWSDROPS,		/* segments dropped by PAWS */
	TCPX_MIB_CHALLENGEACKS,		/* RFC 5961 challenge ACKs sent */
	TCPX_MIB_ACKSKIPPEDCHALLENGE,	/* challenge ACKs held back (RFC 5961 7) */
	TCPX_MIB_ACKSKIPPEDOOW,		/* out-of-window dupACKs held back */
	TCPX_MIB_OFOPRUNED,		/* out-of-order queue pruned for room */
	TCPX_MIB_MEMORYPRESSURES,	/* times protocol memory passed mem[1] */
	TCPX_MIB_ABORTONMEMORY,		/* resets: protocol memory past mem[2] */
	TCPX_MIB_ORPHANDROPS,		/* orphans reset: max_orphans, orphan_retries */
	TCPX_MIB_PMTUUPDATES,		/* MSS lowered by ICMP frag-needed */
	TCPX_MIB_OUTOFWINDOWICMPS,	/* ICMP errors quoting no sequence in flight */
	TCPX_MIB_LOCKDROPPEDICMPS,	/* ICMP errors dropped: socket owned */
	TCPX_MIB_DEFERACCEPTDROP,	/* bare ACKs held back by DEFER_ACCEPT */
	TCPX_MIB_MINTTLDROP,		/* below IP_MINTTL, IPV6_MINHOPCOUNT */
	__TCPX_MIB_MAX
};

struct tcpx_mib {
	unsigned long mibs[__TCPX_MIB_MAX];
};

static inline void tcpx_inc_stats(const struct net *net, enum tcpx_mib_field f)
{
	this_cpu_inc(tcpx_pernet(net)->mib->mibs[f]);
}

static inline void tcpx_dec_stats(const struct net *net, enum tcpx_mib_field f)
{
	this_cpu_dec(tcpx_pernet(net)->mib->mibs[f]);
}

int tcpx_mib_init_net(struct net *net);
void tcpx_mib_exit_net(struct net *net);
unsigned long tcpx_mib_read(const struct net *net, enum tcpx_mib_field f);

#endif /* _TCPX_MIB_H */
