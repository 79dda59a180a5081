#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""syncookie_ack.py: one handshake with a listener that answers in SYN
cookies, played by hand, so the third ACK can be wrong on purpose.

    syncookie_ack.py --dev DEV --src ADDR --dst ADDR:PORT [--proto N]
                     [--mss M[,M...]] [--wait S] [--ack-xor X] [--other-port]
                     [--data N]

Sends a SYN from ADDR (an address no kernel owns, so no stack answers the
SYN+ACK: the server needs a static neighbour entry for it on DEV's MAC),
reads the SYN+ACK on DEV (AF_PACKET) and prints "synack cookie=C mss=M
win=W" (W: its window field).
After --wait seconds it sends the third ACK: ack = cookie + 1, XORed with
--ack-xor; from another source port with --other-port (a cookie for another
4-tuple); carrying --data bytes.  Then it prints what came back within two
seconds: "rst" (a reset for that ACK), "data LEN ok|bad" (the first data
segment of the server's echo: its length and whether it is a prefix of what
was sent) or "nothing"; unless "rst", it then resets the connection the
ACK may have opened.  A list of MSS values plays one handshake each.  Exit
status 0, or 1 when the SYN gets no SYN+ACK.
"""
import argparse
import random
import select
import socket
import struct
import sys
import time

from tcpx_pkt import ACK, PSH, RST, SYN, decode_options, encode_options, ip_packet, tcp_segment

ETH_P_IP = 0x0800


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--dev', required=True)
    ap.add_argument('--src', required=True)
    ap.add_argument('--dst', required=True)
    ap.add_argument('--proto', type=int, default=253)
    ap.add_argument('--mss', default='1460')
    ap.add_argument('--wait', type=float, default=0)
    ap.add_argument('--ack-xor', type=lambda v: int(v, 0), default=0)
    ap.add_argument('--other-port', action='store_true')
    ap.add_argument('--data', type=int, default=0)
    a = ap.parse_args()
    rx = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_IP))
    rx.bind((a.dev, ETH_P_IP))
    tx = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    for m in a.mss.split(','):
        if handshake(a, rx, tx, int(m)):
            return 1
    return 0


def handshake(a, rx, tx, mss_opt):
    daddr, dport = a.dst.rsplit(':', 1)
    dport = int(dport)
    sport = random.randint(20000, 60000)
    isn = random.getrandbits(32)

    def send(src_port, seq, ack, flags, opts=b'', data=b''):
        seg = tcp_segment(a.src, daddr, a.proto, src_port, dport, seq, ack, flags,
                          opts=opts, data=data)
        tx.sendto(ip_packet(a.src, daddr, a.proto, seg), (daddr, 0))

    def recv(port, deadline):
        """The next segment from the server to (src, port): (flags, seq, ack, opts, data, win)."""
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([rx], [], [], left)[0]:
                return None
            p = rx.recv(65535)
            if len(p) < 40 or p[9] != a.proto:
                continue
            ihl = (p[0] & 15) * 4
            if socket.inet_ntoa(p[12:16]) != daddr or socket.inet_ntoa(p[16:20]) != a.src:
                continue
            th = p[ihl:]
            s, d, seq, ack, off, flags, win = struct.unpack('!HHIIBBH', th[:16])
            if s != dport or d != port:
                continue
            doff = (off >> 4) * 4
            tot = struct.unpack('!H', p[2:4])[0]
            return flags, seq, ack, th[20:doff], p[ihl + doff:tot], win

    send(sport, isn, 0, SYN, encode_options([('mss', mss_opt)]))
    r = recv(sport, time.monotonic() + 3)
    if not r or r[0] & (SYN | ACK) != SYN | ACK:
        print('no synack')
        return 1
    cookie = r[1]
    smss = next((o[1] for o in decode_options(r[3]) if o[0] == 'mss'), 0)
    print('synack cookie=%u mss=%u win=%u' % (cookie, smss, r[5]), flush=True)

    time.sleep(a.wait)
    port = sport + 1 if a.other_port else sport
    data = bytes((i * 7 + 3) & 0xff for i in range(a.data))
    ack = ((cookie + 1) & 0xffffffff) ^ a.ack_xor
    send(port, isn + 1, ack, PSH | ACK if data else ACK, data=data)
    deadline = time.monotonic() + 2
    while True:
        r = recv(port, deadline)
        if not r:
            print('nothing')
            break
        if r[0] & RST:
            print('rst')
            return 0
        if r[4]:
            ok = data.startswith(r[4])
            print('data %d %s' % (len(r[4]), 'ok' if ok else 'bad'))
            break
    # Unless the server refused it, the ACK may have opened a connection:
    # reset it, or its close would leave an orphan sending to ADDR, which
    # no one answers, for minutes -- counted against every namespace's
    # max_orphans (the count is host-wide, as TCP's).
    send(port, isn + 1 + len(data), 0, RST)
    return 0


if __name__ == '__main__':
    sys.exit(main())
