// SPDX-License-Identifier: GPL-2.0
/*
 * Per-namespace state: sysctls under /proc/sys/net/tcpx/, counters, the
 * /proc/net files and the list of the namespace's sockets.
 *
 * The sysctl table is a template; every namespace gets a kmemdup()'d copy
 * whose data pointers are moved into its own struct tcpx_pernet.
 */
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/stddef.h>
#include <linux/sysctl.h>

#include "mib.h"
#include "tcpx.h"

unsigned int tcpx_pernet_id __read_mostly;

static int tcpx_zero;
static int tcpx_one = 1;
static int tcpx_two = 2;
static int tcpx_max_retries = 127;	/* TCP's MAX_TCP_SYNCNT is 127 too */
static int tcpx_max_msl = 3600;
static int tcpx_max_keepidle = 32767;	/* MAX_TCP_KEEPIDLE */
static int tcpx_max_keepcnt = 127;	/* MAX_TCP_KEEPCNT */
static int tcpx_max_fin_timeout = 120;	/* TCP_FIN_TIMEOUT_MAX, seconds */
static int tcpx_max_cookie_period = 3600;
static int tcpx_min_snd_mss_min = TCPX_MIN_SND_MSS;
static int tcpx_u16_max = 65535;

#define TCPX_SYSCTL(_name, _min, _max) {				\
	.procname	= #_name,					\
	.data		= (void *)offsetof(struct tcpx_pernet, _name),	\
	.maxlen		= sizeof(int),					\
	.mode		= 0644,						\
	.proc_handler	= proc_dointvec_minmax,				\
	.extra1		= (_min),					\
	.extra2		= (_max),					\
}

/* min, default, max bytes of a socket's buffer, as tcp_rmem and tcp_wmem. */
#define TCPX_SYSCTL_VEC(_name) {					\
	.procname	= #_name,					\
	.data		= (void *)offsetof(struct tcpx_pernet, _name),	\
	.maxlen		= sizeof(int[3]),				\
	.mode		= 0644,						\
	.proc_handler	= proc_dointvec_minmax,				\
	.extra1		= &tcpx_one,					\
}

static struct ctl_table tcpx_sysctl_template[] = {
	TCPX_SYSCTL(syncookies, &tcpx_zero, &tcpx_two),
	TCPX_SYSCTL(max_syn_backlog, &tcpx_one, NULL),
	TCPX_SYSCTL(syn_retries, &tcpx_one, &tcpx_max_retries),
	TCPX_SYSCTL(synack_retries, &tcpx_one, &tcpx_max_retries),
	TCPX_SYSCTL(msl, &tcpx_one, &tcpx_max_msl),
	TCPX_SYSCTL(fin_timeout, &tcpx_one, &tcpx_max_fin_timeout),
	TCPX_SYSCTL(keepalive_time, &tcpx_one, &tcpx_max_keepidle),
	TCPX_SYSCTL(keepalive_intvl, &tcpx_one, &tcpx_max_keepidle),
	TCPX_SYSCTL(keepalive_probes, &tcpx_one, &tcpx_max_keepcnt),
	TCPX_SYSCTL(retries2, &tcpx_one, &tcpx_max_retries),
	TCPX_SYSCTL(syncookie_period, &tcpx_one, &tcpx_max_cookie_period),
	TCPX_SYSCTL(min_snd_mss, &tcpx_min_snd_mss_min, &tcpx_u16_max),
	TCPX_SYSCTL(challenge_ack_limit, &tcpx_zero, NULL),
	TCPX_SYSCTL(max_orphans, &tcpx_zero, NULL),
	TCPX_SYSCTL(orphan_retries, &tcpx_zero, &tcpx_max_retries),
	TCPX_SYSCTL_VEC(rmem),
	TCPX_SYSCTL_VEC(wmem),
	{ }
};

/* Host-wide, as tcp_mem: only the initial namespace has it. */
static struct ctl_table tcpx_mem_table[] = {
	{
		.procname	= "mem",
		.data		= &tcpx_sysctl_mem,
		.maxlen		= sizeof(tcpx_sysctl_mem),
		.mode		= 0644,
		.proc_handler	= proc_doulongvec_minmax,
	},
	{ }
};

static void tcpx_pernet_defaults(struct tcpx_pernet *pn)
{
	pn->syncookies = 1;
	pn->max_syn_backlog = 1024;
	pn->syn_retries = 6;
	pn->synack_retries = 5;
	pn->msl = 30;
	pn->fin_timeout = 60;
	pn->keepalive_time = 7200;
	pn->keepalive_intvl = 75;
	pn->keepalive_probes = 10;
	pn->retries2 = 15;
	pn->syncookie_period = 64;	/* TCP_SYNCOOKIE_PERIOD */
	pn->min_snd_mss = TCPX_MIN_SND_MSS;
	/* As TCP since the RFC 5961 side channel (CVE-2016-5696): no limit. */
	pn->challenge_ack_limit = INT_MAX;
	/* As tcp_max_orphans: half of TCP's established hash. */
	pn->max_orphans = (init_net.ipv4.tcp_death_row.hashinfo->ehash_mask + 1) / 2;
	pn->orphan_retries = 0;
	/* The contract's, which are TCP's defaults. */
	pn->rmem[0] = 4096;
	pn->rmem[1] = 131072;
	pn->rmem[2] = 6291456;
	pn->wmem[0] = 4096;
	pn->wmem[1] = 16384;
	pn->wmem[2] = 4194304;
}

static int tcpx_sysctl_init_net(struct net *net)
{
	struct tcpx_pernet *pn = tcpx_pernet(net);
	struct ctl_table *table;
	int i;

	table = kmemdup(tcpx_sysctl_template, sizeof(tcpx_sysctl_template),
			GFP_KERNEL);
	if (!table)
		return -ENOMEM;

	/* The template's data fields are offsets into struct tcpx_pernet. */
	for (i = 0; i < ARRAY_SIZE(tcpx_sysctl_template) - 1; i++)
		table[i].data = (char *)pn + (uintptr_t)table[i].data;

	pn->sysctl_hdr = tcpx_register_net_sysctl(net, "net/tcpx", table,
						  ARRAY_SIZE(tcpx_sysctl_template) - 1);
	if (!pn->sysctl_hdr) {
		kfree(table);
		return -ENOMEM;
	}
	if (net_eq(net, &init_net)) {
		pn->mem_hdr = tcpx_register_net_sysctl(net, "net/tcpx",
						       tcpx_mem_table,
						       ARRAY_SIZE(tcpx_mem_table) - 1);
		if (!pn->mem_hdr) {
			unregister_net_sysctl_table(pn->sysctl_hdr);
			kfree(table);
			return -ENOMEM;
		}
	}
	return 0;
}

static void tcpx_sysctl_exit_net(struct net *net)
{
	struct tcpx_pernet *pn = tcpx_pernet(net);
	const struct ctl_table *table = pn->sysctl_hdr->ctl_table_arg;

	if (pn->mem_hdr)
		unregister_net_sysctl_table(pn->mem_hdr);
	unregister_net_sysctl_table(pn->sysctl_hdr);
	kfree(table);
}

void tcpx_pernet_link_sock(struct sock *sk)
{
	struct tcpx_pernet *pn = tcpx_pernet(sock_net(sk));

	spin_lock_bh(&pn->sockets_lock);
	hlist_add_head(&tcpx_sk(sk)->node, &pn->sockets);
	spin_unlock_bh(&pn->sockets_lock);
}

void tcpx_pernet_unlink_sock(struct sock *sk)
{
	struct tcpx_pernet *pn;

	/*
	 * A socket the purge unlinked may be freed after its namespace's
	 * state (at rmmod, once its last segment leaves): leave pn alone.
	 * Only the purge unlinks a live socket, and never a dying one.
	 */
	if (hlist_unhashed_lockless(&tcpx_sk(sk)->node))
		return;
	pn = tcpx_pernet(sock_net(sk));
	spin_lock_bh(&pn->sockets_lock);
	hlist_del_init(&tcpx_sk(sk)->node);
	spin_unlock_bh(&pn->sockets_lock);
}

static int __net_init tcpx_net_init(struct net *net)
{
	struct tcpx_pernet *pn = tcpx_pernet(net);
	int err;

	pn->net = net;
	spin_lock_init(&pn->sockets_lock);
	INIT_HLIST_HEAD(&pn->sockets);
	refcount_set(&pn->death_row.tw_refcount, 1);
	pn->death_row.hashinfo = &tcpx_hashinfo;
	pn->death_row.sysctl_max_tw_buckets = 262144;
	tcpx_pernet_defaults(pn);
	get_random_bytes(&pn->isn_key, sizeof(pn->isn_key));
	get_random_bytes(&pn->ts_key, sizeof(pn->ts_key));
	get_random_bytes(pn->cookie_key, sizeof(pn->cookie_key));

	err = tcpx_mib_init_net(net);
	if (err)
		return err;
	err = tcpx_proc_init_net(net);
	if (err)
		goto err_mib;
	/* Last, so nothing can be tuned before the namespace is ready. */
	err = tcpx_sysctl_init_net(net);
	if (err)
		goto err_proc;
	return 0;

err_proc:
	tcpx_proc_exit_net(net);
err_mib:
	tcpx_mib_exit_net(net);
	return err;
}

static void __net_exit tcpx_net_exit(struct net *net)
{
	struct tcpx_pernet *pn = tcpx_pernet(net);

	tcpx_sysctl_exit_net(net);
	/*
	 * A user socket pins its namespace: what is left are orphans,
	 * TIME-WAIT and request socks, or, at rmmod, the same in every
	 * namespace.  None may outlive this.
	 */
	tcpx_purge_net(net);
	WARN_ON_ONCE(!hlist_empty(&pn->sockets));
	WARN_ON_ONCE(refcount_read(&pn->death_row.tw_refcount) != 1);
	tcpx_proc_exit_net(net);
	tcpx_mib_exit_net(net);
}

static struct pernet_operations tcpx_net_ops = {
	.init	= tcpx_net_init,
	.exit	= tcpx_net_exit,
	.id	= &tcpx_pernet_id,
	.size	= sizeof(struct tcpx_pernet),
};

int tcpx_pernet_init(void)
{
	return register_pernet_subsys(&tcpx_net_ops);
}

void tcpx_pernet_exit(void)
{
	unregister_pernet_subsys(&tcpx_net_ops);
}
