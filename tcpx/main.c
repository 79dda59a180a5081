// SPDX-License-Identifier: GPL-2.0
/*
 * tcpx: a TCP-like reliable byte stream over IPv4, as the AF_TCPX family.
 *
 * This file only registers and unregisters, in dependency order: lookup
 * tables, the struct proto, per-namespace state (counters, /proc, sysctls),
 * the IPv4 protocol handler, and last the socket family that lets users in.
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
MODULE_PARM_DESC(ipproto, "IPv4 protocol number segments ride in (default 253)");

static int __init tcpx_init(void)
{
	int err;

	if (tcpx_family <= AF_UNSPEC || tcpx_family >= AF_MAX) {
		pr_err("family %d out of range 1..%d\n", tcpx_family,
		       AF_MAX - 1);
		return -EINVAL;
	}
	if (tcpx_ipproto <= 0 || tcpx_ipproto >= MAX_INET_PROTOS) {
		pr_err("ipproto %d out of range 1..%d\n", tcpx_ipproto,
		       MAX_INET_PROTOS - 1);
		return -EINVAL;
	}

	err = tcpx_hash_init();
	if (err)
		return err;
	err = tcpx_proto_init();
	if (err)
		goto err_hash;
	err = tcpx_pernet_init();
	if (err)
		goto err_proto;
	err = tcpx_ipv4_init();
	if (err)
		goto err_pernet;
	err = tcpx_ipv6_init();
	if (err)
		goto err_ipv4;
	err = tcpx_family_init();
	if (err)
		goto err_ipv6;

	pr_info("family %d, IPv4 protocol and IPv6 next header %d\n",
		tcpx_family, tcpx_ipproto);
	return 0;

err_ipv6:
	tcpx_ipv6_exit();
err_ipv4:
	tcpx_ipv4_exit();
err_pernet:
	tcpx_pernet_exit();
err_proto:
	tcpx_proto_exit();
err_hash:
	tcpx_hash_exit();
	return err;
}

static void __exit tcpx_exit(void)
{
	tcpx_family_exit();
	tcpx_ipv6_exit();
	tcpx_ipv4_exit();
	tcpx_pernet_exit();
	/* Purged sockets may wait for their segments to leave a device. */
	tcpx_sock_wait_all();
	/* RCU-deferred socket destructors run module code. */
	rcu_barrier();
	tcpx_proto_exit();
	tcpx_hash_exit();
}

module_init(tcpx_init);
module_exit(tcpx_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("tcpx: a TCP-like reliable byte stream over IPv4");
MODULE_AUTHOR("The tcpx developers");
MODULE_ALIAS_NETPROTO(AF_TCPX);
