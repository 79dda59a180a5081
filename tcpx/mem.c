// SPDX-License-Identifier: GPL-2.0
/*
 * Protocol memory and orphans, as tcp_mem and tcp_max_orphans bound TCP.
 *
 * struct proto carries the accounting: every byte queued on a tcpx socket
 * is charged (sk_wmem_schedule()/sk_rmem_schedule()) against one host-wide
 * count in pages, so memory cgroups see it too.  Past mem[1] the protocol
 * is under pressure (windows stop growing, out-of-order data is pruned);
 * past mem[2] new charges fail, and orphans, which no process will ever
 * read or close, are reset first.
 */
#include <linux/memcontrol.h>
#include <linux/percpu.h>
#include <linux/percpu_counter.h>

#include "mib.h"
#include "tcpx.h"

atomic_long_t tcpx_memory_allocated ____cacheline_aligned_in_smp;
DEFINE_PER_CPU(int, tcpx_memory_per_cpu_fw_alloc);
struct percpu_counter tcpx_sockets_allocated ____cacheline_aligned_in_smp;
unsigned long tcpx_memory_pressure __read_mostly;
long tcpx_sysctl_mem[3] __read_mostly;
DEFINE_PER_CPU(unsigned int, tcpx_orphan_count);

void tcpx_enter_memory_pressure(struct sock *sk)
{
	unsigned long val;

	if (READ_ONCE(tcpx_memory_pressure))
		return;
	val = jiffies ? : 1;
	if (!cmpxchg(&tcpx_memory_pressure, 0, val))
		tcpx_inc_stats(sock_net(sk), TCPX_MIB_MEMORYPRESSURES);
}

void tcpx_leave_memory_pressure(struct sock *sk)
{
	unsigned long val = READ_ONCE(tcpx_memory_pressure);

	if (val)
		cmpxchg(&tcpx_memory_pressure, val, 0);
}

bool tcpx_under_memory_pressure(const struct sock *sk)
{
	if (mem_cgroup_sockets_enabled && sk->sk_memcg &&
	    mem_cgroup_under_socket_pressure(sk->sk_memcg))
		return true;
	return READ_ONCE(tcpx_memory_pressure);
}

/*
 * As sk_forced_mem_schedule() (not exported): a FIN, a SYN or the one
 * segment that lets a connection make progress is charged past the
 * protocol's limits.  A memory cgroup could not be charged past its own,
 * so with one the charge is a normal one and may fail.  kind: SK_MEM_SEND
 * or SK_MEM_RECV.
 */
bool tcpx_forced_mem_schedule(struct sock *sk, int size, int kind)
{
	int delta = size - sk->sk_forward_alloc, amt;

	if (delta <= 0 || __sk_mem_schedule(sk, delta, kind))
		return true;
	if (mem_cgroup_sockets_enabled && sk->sk_memcg)
		return false;
	amt = sk_mem_pages(delta);
	sk->sk_forward_alloc += amt << PAGE_SHIFT;
	/* Not sk_memory_allocated_add(): its per-cpu reserve is not exported. */
	atomic_long_add(amt, &tcpx_memory_allocated);
	return true;
}

static unsigned int tcpx_orphans(void)
{
	unsigned int sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += per_cpu(tcpx_orphan_count, cpu);
	return sum;
}

/*
 * As tcp_check_oom(): too many orphans (shifted left to judge a socket
 * that already misbehaves more harshly), or protocol memory past mem[2]
 * with something of this socket's own queued.
 */
static int tcpx_oom_reason(const struct sock *sk, int shift)
{
	int max = READ_ONCE(tcpx_pernet(sock_net(sk))->max_orphans);

	if ((u64)tcpx_orphans() << shift > max) {
		net_info_ratelimited("tcpx: too many orphaned sockets\n");
		return TCPX_MIB_ORPHANDROPS;
	}
	if (sk->sk_wmem_queued > SOCK_MIN_SNDBUF &&
	    atomic_long_read(&tcpx_memory_allocated) >
	    sk_prot_mem_limits(sk, 2)) {
		net_info_ratelimited("tcpx: out of memory, consider tuning net.tcpx.mem\n");
		return TCPX_MIB_ABORTONMEMORY;
	}
	return 0;
}

/*
 * Called for a socket just orphaned by close(): reset it at once if the
 * host is out of orphans or memory.  True if it was.
 */
bool tcpx_orphan_oom(struct sock *sk)
{
	int mib = tcpx_oom_reason(sk, 0);

	if (!mib)
		return false;
	tcpx_set_state(sk, TCP_CLOSE);
	tcpx_send_active_reset(sk, GFP_ATOMIC);
	tcpx_inc_stats(sock_net(sk), mib);
	return true;
}

/*
 * As tcp_out_of_resources(), from the retransmission and persist timers of
 * an orphan: one whose peer is silent or keeps its window shut counts
 * double, so it goes before a healthy one.  True if the socket was ended.
 */
bool tcpx_out_of_resources(struct sock *sk, bool do_reset)
{
	int shift = 0, mib;

	if (READ_ONCE(sk->sk_err_soft))
		shift++;
	if ((s32)(jiffies - tcpx_sk(sk)->lsndtime) > 2 * TCPX_RTO_MAX ||
	    !do_reset)
		shift++;
	mib = tcpx_oom_reason(sk, shift);
	if (!mib)
		return false;
	if (do_reset)
		tcpx_send_active_reset(sk, GFP_ATOMIC);
	tcpx_inc_stats(sock_net(sk), mib);
	tcpx_done(sk);
	return true;
}

/*
 * Retransmissions an orphan gets, as tcp_orphan_retries(): orphan_retries,
 * 0 meaning 8 while the RTO is below its cap; none once an ICMP error
 * said the path is gone and the RTO has reached the cap.
 */
int tcpx_orphan_retries(const struct sock *sk, bool alive)
{
	int retries = READ_ONCE(tcpx_pernet(sock_net(sk))->orphan_retries);

	if (READ_ONCE(sk->sk_err_soft) && !alive)
		retries = 0;
	if (!retries && alive)
		retries = 8;
	return retries;
}

/* mem starts as tcp_mem is now (sized by tcp_init_mem() at boot). */
int tcpx_mem_init(void)
{
	memcpy(tcpx_sysctl_mem, tcp_prot.sysctl_mem, sizeof(tcpx_sysctl_mem));
	return percpu_counter_init(&tcpx_sockets_allocated, 0, GFP_KERNEL);
}

void tcpx_mem_exit(void)
{
	percpu_counter_destroy(&tcpx_sockets_allocated);
}
