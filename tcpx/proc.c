// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/net/tcpx and /proc/net/tcpx6: the formats of /proc/net/tcp and
 * /proc/net/tcp6, IPv4 sockets in the one and IPv6 sockets (v4-mapped ones
 * too, as TCP lists them) in the other, one line per socket of the
 * reader's namespace, in TCP's order: listeners from lhash2, then every
 * other hashed sock from ehash -- connections, SYN-RECV request socks and
 * TIME-WAIT socks (a socket that is only bound, or closed, is in neither
 * and not listed, as with /proc/net/tcp).  No lock is held between the
 * iterator's calls: each record is found under its bucket's lock and
 * held by a reference while it is printed.  A read resumes at the bucket
 * and offset where the last one stopped, as tcp_seek_last_pos() does, so
 * reading the file costs time linear in the sockets.
 */
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <net/inet_timewait_sock.h>
#include <net/ipv6.h>
#include <net/tcp.h>

#include "tcpx.h"

#define TCPX_PROC_LINE	150	/* TCP's TMPSZ: lines are padded to it */

enum { TCPX_PROC_LISTEN, TCPX_PROC_EHASH, TCPX_PROC_DONE };

/* Each file's family: the data of its proc entry. */
static const sa_family_t tcpx_proc_ipv4 = AF_INET, tcpx_proc_ipv6 = AF_INET6;

struct tcpx_iter {
	struct seq_net_private	p;
	bool			v6;	/* tcpx6: IPv6 sockets */
	int			phase;
	unsigned int		bucket;	/* of lhash2 or ehash */
	unsigned int		offset;	/* listed socks before, in it */
	loff_t			last_pos; /* the position the state names */
};

static bool tcpx_proc_visible(const struct sock *sk, const struct net *net,
			      bool v6)
{
	if (!net_eq(sock_net(sk), net))
		return false;
	if (sk_fullsock(sk) && inet_sk_state_load(sk) == TCP_CLOSE)
		return false;
	return tcpx_sk_v6(sk) == v6;
}

/* The st->offset'th listed sock of a chain, with a reference, or NULL. */
static struct sock *tcpx_chain_get(struct seq_file *seq,
				   struct hlist_nulls_head *chain,
				   spinlock_t *lock)
{
	struct tcpx_iter *st = seq->private;
	struct net *net = seq_file_net(seq);
	unsigned int skip = st->offset;
	struct hlist_nulls_node *node;
	struct sock *sk, *found = NULL;

	if (hlist_nulls_empty(chain))
		return NULL;
	spin_lock_bh(lock);
	sk_nulls_for_each(sk, node, chain) {
		if (!tcpx_proc_visible(sk, net, st->v6) || skip--)
			continue;
		if (refcount_inc_not_zero(&sk->sk_refcnt))
			found = sk;
		break;
	}
	spin_unlock_bh(lock);
	return found;
}

/* The record the iterator's state names, or the next; NULL past the end. */
static struct sock *tcpx_iter_get(struct seq_file *seq)
{
	struct inet_hashinfo *h = &tcpx_hashinfo;
	struct tcpx_iter *st = seq->private;
	struct sock *sk = NULL;

	for (; st->phase == TCPX_PROC_LISTEN; st->bucket++, st->offset = 0) {
		struct inet_listen_hashbucket *ilb2;

		if (st->bucket > h->lhash2_mask) {
			st->phase = TCPX_PROC_EHASH;
			st->bucket = 0;
			break;
		}
		ilb2 = &h->lhash2[st->bucket];
		sk = tcpx_chain_get(seq, &ilb2->nulls_head, &ilb2->lock);
		if (sk)
			return sk;
	}
	for (; st->phase == TCPX_PROC_EHASH; st->bucket++, st->offset = 0) {
		if (st->bucket > h->ehash_mask) {
			st->phase = TCPX_PROC_DONE;
			break;
		}
		sk = tcpx_chain_get(seq, &h->ehash[st->bucket].chain,
				    inet_ehash_lockp(h, st->bucket));
		if (sk)
			return sk;
	}
	return NULL;
}

static void *tcpx_seq_start(struct seq_file *seq, loff_t *pos)
{
	struct tcpx_iter *st = seq->private;
	struct sock *sk;
	loff_t i;

	st->v6 = *(const sa_family_t *)pde_data(file_inode(seq->file)) ==
		 AF_INET6;
	/* The next read of a file read in order: where the last one stopped. */
	if (*pos && *pos == st->last_pos)
		return tcpx_iter_get(seq);
	st->phase = TCPX_PROC_LISTEN;
	st->bucket = 0;
	st->offset = 0;
	st->last_pos = 0;
	if (!*pos)
		return SEQ_START_TOKEN;
	/* Anywhere else (a seek): walk there again. */
	for (i = 1; ; i++) {
		sk = tcpx_iter_get(seq);
		st->last_pos = i;
		if (!sk || i == *pos)
			return sk;
		sock_gen_put(sk);
		st->offset++;
	}
}

static void *tcpx_seq_next(struct seq_file *seq, void *v, loff_t *pos)
{
	struct tcpx_iter *st = seq->private;

	++*pos;
	if (v != SEQ_START_TOKEN) {
		sock_gen_put(v);
		st->offset++;
	}
	st->last_pos = *pos;
	return tcpx_iter_get(seq);
}

static void tcpx_seq_stop(struct seq_file *seq, void *v)
{
	if (v && v != SEQ_START_TOKEN)
		sock_gen_put(v);
}

/*
 * The line's number and addresses: IPv4 ones as /proc/net/tcp prints
 * them, IPv6 ones as /proc/net/tcp6 (the address's four words).
 */
static void tcpx_proc_addrs(struct seq_file *f, loff_t i, const struct sock *sk,
			    __be32 src, u16 sport, __be32 dst, u16 dport)
{
	const struct tcpx_iter *st = f->private;
	const __be32 *s6 = sk->sk_v6_rcv_saddr.s6_addr32;
	const __be32 *d6 = sk->sk_v6_daddr.s6_addr32;

	if (!st->v6) {
		seq_printf(f, "%4lld: %08X:%04X %08X:%04X ", i, src, sport,
			   dst, dport);
		return;
	}
	seq_printf(f, "%4lld: %08X%08X%08X%08X:%04X %08X%08X%08X%08X:%04X ", i,
		   s6[0], s6[1], s6[2], s6[3], sport, d6[0], d6[1], d6[2], d6[3],
		   dport);
}

static void tcpx_proc_sock(struct seq_file *f, struct sock *sk, loff_t i)
{
	const struct inet_connection_sock *icsk = inet_csk(sk);
	const struct inet_sock *inet = inet_sk(sk);
	const struct tcpx_sock *tsk = tcpx_sk(sk);
	unsigned long timer_expires;
	int timer_active, rx_queue;
	int state;

	/* As get_tcp4_sock(): RACK's timer shows as the retransmission's. */
	if (icsk->icsk_pending == ICSK_TIME_RETRANS ||
	    icsk->icsk_pending == ICSK_TIME_REO_TIMEOUT) {
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

	tcpx_proc_addrs(f, i, sk, inet->inet_rcv_saddr, ntohs(inet->inet_sport),
			inet->inet_daddr, ntohs(inet->inet_dport));
	seq_printf(f, "%02X %08X:%08X %02X:%08lX %08X %5u %8d %lu %d %pK %lu %lu %u %u %d",
		   state,
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

/* As get_openreq4(): only the SYN+ACK timer is running. */
static void tcpx_proc_req(struct seq_file *f, const struct request_sock *req,
			  loff_t i)
{
	const struct inet_request_sock *ireq = inet_rsk(req);
	long delta = req->rsk_timer.expires - jiffies;

	tcpx_proc_addrs(f, i, (const struct sock *)req, ireq->ir_loc_addr, ireq->ir_num,
			ireq->ir_rmt_addr, ntohs(ireq->ir_rmt_port));
	seq_printf(f, "%02X %08X:%08X %02X:%08lX %08X %5u %8d %u %d %pK",
		   TCP_SYN_RECV, 0, 0, 1,
		   jiffies_delta_to_clock_t(delta), req->num_timeout,
		   from_kuid_munged(seq_user_ns(f),
				    sock_i_uid(req->rsk_listener)),
		   0, 0, 0, req);
}

/* As get_timewait4_sock(): timer 3, the 2*MSL one. */
static void tcpx_proc_tw(struct seq_file *f,
			 const struct inet_timewait_sock *tw, loff_t i)
{
	long delta = tw->tw_timer.expires - jiffies;

	tcpx_proc_addrs(f, i, (const struct sock *)tw, tw->tw_rcv_saddr,
			ntohs(tw->tw_sport), tw->tw_daddr, ntohs(tw->tw_dport));
	seq_printf(f, "%02X %08X:%08X %02X:%08lX %08X %5d %8d %d %d %pK",
		   tw->tw_substate, 0, 0, 3,
		   jiffies_delta_to_clock_t(delta), 0, 0, 0, 0,
		   refcount_read(&tw->tw_refcnt), tw);
}

/* tcp6's lines are not padded, tcp's are. */
static int tcpx_seq_show(struct seq_file *seq, void *v)
{
	const struct tcpx_iter *st = seq->private;
	struct sock *sk = v;

	if (!st->v6)
		seq_setwidth(seq, TCPX_PROC_LINE - 1);
	if (v == SEQ_START_TOKEN && st->v6)
		seq_puts(seq, "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode");
	else if (v == SEQ_START_TOKEN)
		seq_puts(seq, "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode");
	else if (sk->sk_state == TCP_TIME_WAIT)
		tcpx_proc_tw(seq, inet_twsk(sk), seq->index - 1);
	else if (sk->sk_state == TCP_NEW_SYN_RECV)
		tcpx_proc_req(seq, inet_reqsk(sk), seq->index - 1);
	else
		tcpx_proc_sock(seq, sk, seq->index - 1);
	if (st->v6)
		seq_putc(seq, '\n');
	else
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
	if (!proc_create_net_data("tcpx", 0444, net->proc_net, &tcpx_seq_ops,
				  sizeof(struct tcpx_iter),
				  (void *)&tcpx_proc_ipv4))
		return -ENOMEM;
	/* Not without IPv6 (ipv6.disable=1), as tcp6. */
	if (ipv6_mod_enabled() &&
	    !proc_create_net_data("tcpx6", 0444, net->proc_net, &tcpx_seq_ops,
				  sizeof(struct tcpx_iter),
				  (void *)&tcpx_proc_ipv6)) {
		remove_proc_entry("tcpx", net->proc_net);
		return -ENOMEM;
	}
	return 0;
}

void tcpx_proc_exit_net(struct net *net)
{
	if (ipv6_mod_enabled())
		remove_proc_entry("tcpx6", net->proc_net);
	remove_proc_entry("tcpx", net->proc_net);
}
