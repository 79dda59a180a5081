// SPDX-License-Identifier: GPL-2.0
/*
 * A BPF LSM that refuses what TCP's LSM hooks let it refuse, for one port
 * of an AF_INET or AF_TCPX socket: security_inet_conn_request() (a SYN
 * that would make a request sock) and security_sock_rcv_skb() (any
 * segment a socket's filter would judge).  policy.sh loads it through
 * tcpx_lsm and counts what each hook refused.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#define EPERM		1
#define AF_INET		2
#define AF_TCPX		18

/* Only what is read; libbpf finds the offsets in the kernel's BTF. */
struct sock_common {
	unsigned short skc_family;
	__u16 skc_num;
} __attribute__((preserve_access_index));

struct sock {
	struct sock_common __sk_common;
} __attribute__((preserve_access_index));

struct sk_buff;
struct request_sock;

/* [0] conn_request's port, [1] sock_rcv_skb's; the loader sets them. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u32);
} ports SEC(".maps");

/* What each hook refused, in the same order. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} refused SEC(".maps");

static int judge(struct sock *sk, __u32 which)
{
	__u16 family = sk->__sk_common.skc_family;
	__u32 *port = bpf_map_lookup_elem(&ports, &which);
	__u64 *n;

	if (!port || !*port || sk->__sk_common.skc_num != *port ||
	    (family != AF_INET && family != AF_TCPX))
		return 0;
	n = bpf_map_lookup_elem(&refused, &which);
	if (n)
		__sync_fetch_and_add(n, 1);
	return -EPERM;
}

SEC("lsm/inet_conn_request")
int BPF_PROG(tcpx_lsm_conn_request, struct sock *sk, struct sk_buff *skb,
	     struct request_sock *req, int ret)
{
	return ret ? ret : judge(sk, 0);
}

SEC("lsm/socket_sock_rcv_skb")
int BPF_PROG(tcpx_lsm_sock_rcv_skb, struct sock *sk, struct sk_buff *skb,
	     int ret)
{
	return ret ? ret : judge(sk, 1);
}

char LICENSE[] SEC("license") = "GPL";
