// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/net/tcpx: the format of /proc/net/tcp, one line per socket of the
 * reader's namespace that is listening or connected.  Walks the namespace's socket
 * list under its lock, so nothing on the packet path is scanned or held.
 */
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <net/tcp.h>

#include "tcpx.h"

#define TCPX_PROC_LINE	150	/* TCP's TMPSZ: lines are padded to it */

/* As /proc/net/tcp: a socket that is only bound (CLOSE) is not listed. */
static bool tcpx_proc_visible(const struct sock *sk)
{
	return inet_sk_state_load(sk) != TCP_CLOSE;
}

static struct tcpx_sock *tcpx_proc_from(struct hlist_node *node, loff_t *skip)
{
	struct tcpx_sock *tsk;

	for (; node; node = node->next) {
		tsk = hlist_entry(node, struct tcpx_sock, node);
		if (!tcpx_proc_visible((struct sock *)tsk))
			continue;
		if (!*skip)
			return tsk;
		(*skip)--;
	}
	return NULL;
}

static void *tcpx_seq_start(struct seq_file *seq, loff_t *pos)
	__acquires(&pn->sockets_lock)
{
	struct tcpx_pernet *pn = tcpx_pernet(seq_file_net(seq));
	loff_t skip = *pos - 1;

	spin_lock_bh(&pn->sockets_lock);
	if (!*pos)
		return SEQ_START_TOKEN;
	return tcpx_proc_from(pn->sockets.first, &skip);
}

static void *tcpx_seq_next(struct seq_file *seq, void *v, loff_t *pos)
{
	struct tcpx_pernet *pn = tcpx_pernet(seq_file_net(seq));
	loff_t skip = 0;

	++*pos;
	if (v == SEQ_START_TOKEN)
		return tcpx_proc_from(pn->sockets.first, &skip);
	return tcpx_proc_from(((struct tcpx_sock *)v)->node.next, &skip);
}

static void tcpx_seq_stop(struct seq_file *seq, void *v)
	__releases(&pn->sockets_lock)
{
	struct tcpx_pernet *pn = tcpx_pernet(seq_file_net(seq));

	spin_unlock_bh(&pn->sockets_lock);
}

static void tcpx_proc_sock(struct seq_file *f, struct sock *sk, loff_t i)
{
	const struct inet_connection_sock *icsk = inet_csk(sk);
	const struct inet_sock *inet = inet_sk(sk);
	const struct tcpx_sock *tsk = tcpx_sk(sk);
	unsigned long timer_expires;
	int timer_active, rx_queue;
	int state;

	if (icsk->icsk_pending == ICSK_TIME_RETRANS) {
		timer_active = 1;
		timer_expires = icsk->icsk_timeout;
	} else if (icsk->icsk_pending == ICSK_TIME_PROBE0) {
		timer_active = 4;
		timer_expires = icsk->icsk_timeout;
	} else if (timer_pending(&icsk->icsk_keepalive_timer)) {
		timer_active = 2;
		timer_expires = icsk->icsk_keepalive_timer.expires;
	} else {
		timer_active = 0;
		timer_expires = jiffies;
	}

	state = inet_sk_state_load(sk);
	if (state == TCP_LISTEN)
		rx_queue = READ_ONCE(sk->sk_ack_backlog);
	else
		rx_queue = max_t(int, READ_ONCE(tsk->rcv_nxt) -
				      READ_ONCE(tsk->copied_seq), 0);

	seq_printf(f, "%4lld: %08X:%04X %08X:%04X %02X %08X:%08X %02X:%08lX %08X %5u %8d %lu %d %pK %lu %lu %u %u %d",
		   i, inet->inet_rcv_saddr, ntohs(inet->inet_sport),
		   inet->inet_daddr, ntohs(inet->inet_dport), state,
		   READ_ONCE(tsk->write_seq) - READ_ONCE(tsk->snd_una),
		   rx_queue, timer_active,
		   jiffies_delta_to_clock_t(timer_expires - jiffies),
		   icsk->icsk_retransmits,
		   from_kuid_munged(seq_user_ns(f), sock_i_uid(sk)),
		   icsk->icsk_probes_out, sock_i_ino(sk),
		   refcount_read(&sk->sk_refcnt), sk,
		   jiffies_to_clock_t(icsk->icsk_rto),
		   jiffies_to_clock_t(icsk->icsk_ack.ato),
		   (icsk->icsk_ack.quick << 1) | inet_csk_in_pingpong_mode(sk),
		   tsk->snd_cwnd,
		   state == TCP_LISTEN ? 0 :
		   (tsk->snd_ssthresh >= TCPX_INFINITE_SSTHRESH ? -1 :
		    (int)tsk->snd_ssthresh));
}

static int tcpx_seq_show(struct seq_file *seq, void *v)
{
	seq_setwidth(seq, TCPX_PROC_LINE - 1);
	if (v == SEQ_START_TOKEN)
		seq_puts(seq, "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode");
	else
		tcpx_proc_sock(seq, v, seq->index - 1);
	seq_pad(seq, '\n');
	return 0;
}

static const struct seq_operations tcpx_seq_ops = {
	.start	= tcpx_seq_start,
	.next	= tcpx_seq_next,
	.stop	= tcpx_seq_stop,
	.show	= tcpx_seq_show,
};

int tcpx_proc_init_net(struct net *net)
{
	if (!proc_create_net("tcpx", 0444, net->proc_net, &tcpx_seq_ops,
			     sizeof(struct seq_net_private)))
		return -ENOMEM;
	return 0;
}

void tcpx_proc_exit_net(struct net *net)
{
	remove_proc_entry("tcpx", net->proc_net);
}
