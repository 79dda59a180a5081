// SPDX-License-Identifier: GPL-2.0
/*
 * tcpx: a TCP-like reliable byte stream over IPv4 and IPv6, as the AF_TCPX
 * family.
 *
 * This file only registers and unregisters, in dependency order: lookup
 * tables, the struct proto, per-namespace state (counters, /proc, sysctls),
 * the IPv4 and IPv6 protocol handlers, and last the socket family that
 * lets users in.
 */
#include <linux/module.h>
#include <linux/net.h>
#include <linux/socket.h>
#include <net/protocol.h>

#include "tcpx.h"

int tcpx_family __read_mostly = AF_TCPX;
module_param_named(family, tcpx_family, int, 0444);
MODULE_PARM_DESC(family, "address family number to register (default 18)");

int tcpx_ipproto __read_mostly = IPPROTO_TCPX;
module_param_named(ipproto, tcpx_ipproto, int, 0444);
MODULE_PARM_DESC(ipproto, "IP protocol (IPv6 next header) segments ride in (default 253)");

/*
 * Purged sockets may wait for their segments to leave a device, and
 * RCU-deferred socket destructors run module code: the proto goes last.
 */
static void tcpx_proto_drain(void)
{
	tcpx_sock_wait_all();
	rcu_barrier();
	tcpx_proto_exit();
}

/* What registers, in dependency order; undone in reverse. */
static const struct {
	int (*init)(void);
	void (*exit)(void);
} tcpx_steps[] = {
	{ tcpx_hash_init,	tcpx_hash_exit },
	{ tcpx_proto_init,	tcpx_proto_drain },
	{ tcpx_pernet_init,	tcpx_pernet_exit },
	{ tcpx_ipv4_init,	tcpx_ipv4_exit },
	{ tcpx_ipv6_init,	tcpx_ipv6_exit },
	{ tcpx_diag_init,	tcpx_diag_exit },
	{ tcpx_family_init,	tcpx_family_exit },
};

/* Undoes the first n steps, the last first. */
static void tcpx_undo(unsigned int n)
{
	while (n--)
		tcpx_steps[n].exit();
}

static int __init tcpx_init(void)
{
	unsigned int i;
	int err;

	if (tcpx_family <= AF_UNSPEC || tcpx_family >= AF_MAX) {
		pr_err("family %d out of range 1..%d\n", tcpx_family,
		       AF_MAX - 1);
		return -EINVAL;
	}
	/* TIME-WAIT socks carry AF_INET or AF_INET6 (tcpx_sk_v6()). */
	if (tcpx_family == AF_INET || tcpx_family == AF_INET6) {
		pr_err("family %d is an IP family\n", tcpx_family);
		return -EINVAL;
	}
	if (tcpx_ipproto <= 0 || tcpx_ipproto >= MAX_INET_PROTOS) {
		pr_err("ipproto %d out of range 1..%d\n", tcpx_ipproto,
		       MAX_INET_PROTOS - 1);
		return -EINVAL;
	}

	for (i = 0; i < ARRAY_SIZE(tcpx_steps); i++) {
		err = tcpx_steps[i].init();
		if (err) {
			tcpx_undo(i);
			return err;
		}
	}
	pr_info("family %d, IPv4 protocol and IPv6 next header %d\n",
		tcpx_family, tcpx_ipproto);
	return 0;
}

static void __exit tcpx_exit(void)
{
	tcpx_undo(ARRAY_SIZE(tcpx_steps));
}

module_init(tcpx_init);
module_exit(tcpx_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("tcpx: a TCP-like reliable byte stream over IPv4 and IPv6");
MODULE_AUTHOR("The tcpx developers");
MODULE_ALIAS_NETPROTO(AF_TCPX);
