/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * tcpx: a TCP-like reliable byte stream over IPv4, as its own address family.
 *
 * Addresses are IPv4 struct sockaddr_in with sin_family = AF_INET (as AF_SMC
 * does).  Socket options live at level SOL_TCPX and are numbered like the TCP
 * options they mirror; level IPPROTO_TCP is accepted as a synonym.
 */
#ifndef _UAPI_LINUX_TCPX_H
#define _UAPI_LINUX_TCPX_H

#include <linux/types.h>

#ifndef AF_TCPX
#define AF_TCPX		18	/* the slot of AF_ASH, never implemented */
#endif
#ifndef PF_TCPX
#define PF_TCPX		AF_TCPX
#endif
#define IPPROTO_TCPX	253	/* RFC 3692 experimental */
#define SOL_TCPX	IPPROTO_TCPX

/* Socket options, numbered as TCP's. */
#define TCPX_NODELAY		1
#define TCPX_MAXSEG		2
#define TCPX_CORK		3
#define TCPX_KEEPIDLE		4
#define TCPX_KEEPINTVL		5
#define TCPX_KEEPCNT		6
#define TCPX_SYNCNT		7
#define TCPX_LINGER2		8
#define TCPX_DEFER_ACCEPT	9
#define TCPX_WINDOW_CLAMP	10
#define TCPX_INFO		11
#define TCPX_QUICKACK		12
#define TCPX_USER_TIMEOUT	18
#define TCPX_NOTSENT_LOWAT	25

/*
 * Leading fields as struct tcp_info up to tcpi_total_retrans, so code written
 * for TCP_INFO reads TCPX_INFO unchanged.  More fields may follow.
 */
struct tcpx_info {
	__u8	tcpi_state;
	__u8	tcpi_ca_state;
	__u8	tcpi_retransmits;
	__u8	tcpi_probes;
	__u8	tcpi_backoff;
	__u8	tcpi_options;
	__u8	tcpi_snd_wscale : 4, tcpi_rcv_wscale : 4;
	__u8	tcpi_delivery_rate_app_limited:1, tcpi_fastopen_client_fail:2;

	__u32	tcpi_rto;
	__u32	tcpi_ato;
	__u32	tcpi_snd_mss;
	__u32	tcpi_rcv_mss;

	__u32	tcpi_unacked;
	__u32	tcpi_sacked;
	__u32	tcpi_lost;
	__u32	tcpi_retrans;
	__u32	tcpi_fackets;

	/* Times, in milliseconds. */
	__u32	tcpi_last_data_sent;
	__u32	tcpi_last_ack_sent;
	__u32	tcpi_last_data_recv;
	__u32	tcpi_last_ack_recv;

	/* Metrics. */
	__u32	tcpi_pmtu;
	__u32	tcpi_rcv_ssthresh;
	__u32	tcpi_rtt;
	__u32	tcpi_rttvar;
	__u32	tcpi_snd_ssthresh;
	__u32	tcpi_snd_cwnd;
	__u32	tcpi_advmss;
	__u32	tcpi_reordering;

	__u32	tcpi_rcv_rtt;
	__u32	tcpi_rcv_space;

	__u32	tcpi_total_retrans;

	/* tcpx's own from here on: memory and windows, in bytes. */
	__u32	tcpi_rmem_alloc;	/* charged to the receive queues */
	__u32	tcpi_wmem_queued;	/* charged to the send queue */
	__u32	tcpi_rcvbuf;		/* SO_RCVBUF in effect */
	__u32	tcpi_sndbuf;		/* SO_SNDBUF in effect */
	__u32	tcpi_snd_wnd;		/* the peer's window, scaled */
	__u32	tcpi_rcv_wnd;		/* the window last advertised, scaled */
	__u32	tcpi_ofo_segs;		/* skbs in the out-of-order queue */
	__u32	tcpi_win_probes;	/* zero-window probes sent */

	/* tcp_info's later counters, with its names and meanings. */
	__u32	tcpi_segs_out;		/* segments sent, resends too */
	__u32	tcpi_segs_in;		/* segments received */
	__u64	tcpi_bytes_acked;	/* RFC 4898 tcpEStatsAppHCThruOctetsAcked */
	__u64	tcpi_bytes_received;	/* RFC 4898 tcpEStatsAppHCThruOctetsReceived */
	__u32	tcpi_notsent_bytes;	/* queued, not yet sent */
	__u32	tcpi_min_rtt;		/* us */
	__u32	tcpi_data_segs_in;	/* RFC 4898 tcpEStatsDataSegsIn */
	__u32	tcpi_data_segs_out;	/* RFC 4898 tcpEStatsDataSegsOut */
	__u64	tcpi_bytes_sent;	/* RFC 4898 tcpEStatsPerfHCDataOctetsOut */
	__u64	tcpi_bytes_retrans;	/* RFC 4898 tcpEStatsPerfOctetsRetrans */
};

#endif /* _UAPI_LINUX_TCPX_H */
