// SPDX-License-Identifier: GPL-2.0
/*
 * Counters: per-CPU per namespace, summed when /proc/net/tcpx_stat is read.
 */
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <net/ip.h>

#include "mib.h"

static const char * const tcpx_mib_names[__TCPX_MIB_MAX] = {
	[TCPX_MIB_ACTIVEOPENS]		= "ActiveOpens",
	[TCPX_MIB_PASSIVEOPENS]		= "PassiveOpens",
	[TCPX_MIB_ATTEMPTFAILS]		= "AttemptFails",
	[TCPX_MIB_ESTABRESETS]		= "EstabResets",
	[TCPX_MIB_CURRESTAB]		= "CurrEstab",
	[TCPX_MIB_INSEGS]		= "InSegs",
	[TCPX_MIB_OUTSEGS]		= "OutSegs",
	[TCPX_MIB_RETRANSSEGS]		= "RetransSegs",
	[TCPX_MIB_INERRS]		= "InErrs",
	[TCPX_MIB_INCSUMERRORS]		= "InCsumErrors",
	[TCPX_MIB_OUTRSTS]		= "OutRsts",
	[TCPX_MIB_SYNCOOKIESSENT]	= "SyncookiesSent",
	[TCPX_MIB_SYNCOOKIESRECV]	= "SyncookiesRecv",
	[TCPX_MIB_SYNCOOKIESFAILED]	= "SyncookiesFailed",
	[TCPX_MIB_LISTENOVERFLOWS]	= "ListenOverflows",
	[TCPX_MIB_LISTENDROPS]		= "ListenDrops",
	[TCPX_MIB_KEEPALIVEPROBES]	= "KeepaliveProbes",
	[TCPX_MIB_KEEPALIVETIMEOUTS]	= "KeepaliveTimeouts",
	[TCPX_MIB_NOPORT]		= "NoPorts",
	[TCPX_MIB_OFODROPS]		= "OfoDrops",
	[TCPX_MIB_RCVQDROPS]		= "RcvQDrops",
	[TCPX_MIB_BACKLOGDROPS]		= "BacklogDrops",
	[TCPX_MIB_FASTRETRANS]		= "FastRetrans",
	[TCPX_MIB_TIMEOUTS]		= "Timeouts",
	[TCPX_MIB_OFOQUEUE]		= "OfoQueue",
	[TCPX_MIB_DELAYEDACKS]		= "DelayedACKs",
	[TCPX_MIB_WINPROBE]		= "WinProbe",
	[TCPX_MIB_PAWSDROPS]		= "PAWSDrops",
	[TCPX_MIB_CHALLENGEACKS]	= "ChallengeACKs",
	[TCPX_MIB_ACKSKIPPEDCHALLENGE]	= "ACKSkippedChallenge",
	[TCPX_MIB_ACKSKIPPEDOOW]	= "ACKSkippedOOW",
	[TCPX_MIB_OFOPRUNED]		= "OfoPruned",
	[TCPX_MIB_MEMORYPRESSURES]	= "MemoryPressures",
	[TCPX_MIB_ABORTONMEMORY]	= "AbortOnMemory",
	[TCPX_MIB_ORPHANDROPS]		= "OrphanDrops",
	[TCPX_MIB_PMTUUPDATES]		= "PmtuUpdates",
	[TCPX_MIB_OUTOFWINDOWICMPS]	= "OutOfWindowIcmps",
	[TCPX_MIB_LOCKDROPPEDICMPS]	= "LockDroppedIcmps",
	[TCPX_MIB_DEFERACCEPTDROP]	= "DeferAcceptDrop",
	[TCPX_MIB_MINTTLDROP]		= "MinTTLDrop",
};

unsigned long tcpx_mib_read(const struct net *net, enum tcpx_mib_field f)
{
	/* The offset is in unsigned longs, not bytes. */
	return snmp_fold_field(tcpx_pernet(net)->mib, f);
}

static int tcpx_stat_show(struct seq_file *seq, void *v)
{
	struct net *net = seq_file_single_net(seq);
	int i;

	for (i = 0; i < __TCPX_MIB_MAX; i++) {
		/* A gauge summed over CPUs may wrap on one of them. */
		if (i == TCPX_MIB_CURRESTAB)
			seq_printf(seq, "%s %ld\n", tcpx_mib_names[i],
				   (long)tcpx_mib_read(net, i));
		else
			seq_printf(seq, "%s %lu\n", tcpx_mib_names[i],
				   tcpx_mib_read(net, i));
	}
	/* The death row holds one reference of its own. */
	seq_printf(seq, "TimeWaitCount %u\n",
		   refcount_read(&tcpx_pernet(net)->death_row.tw_refcount) - 1);
	return 0;
}

int tcpx_mib_init_net(struct net *net)
{
	struct tcpx_pernet *pn = tcpx_pernet(net);

	pn->mib = alloc_percpu(struct tcpx_mib);
	if (!pn->mib)
		return -ENOMEM;
	if (!proc_create_net_single("tcpx_stat", 0444, net->proc_net,
				    tcpx_stat_show, NULL)) {
		free_percpu(pn->mib);
		pn->mib = NULL;
		return -ENOMEM;
	}
	return 0;
}

void tcpx_mib_exit_net(struct net *net)
{
	struct tcpx_pernet *pn = tcpx_pernet(net);

	remove_proc_entry("tcpx_stat", net->proc_net);
	free_percpu(pn->mib);
}
