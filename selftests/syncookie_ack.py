#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""syncookie_ack.py: one handshake with a listener that answers in SYN
cookies, played by hand, so the third ACK can be wrong on purpose.

    syncookie_ack.py --dev DEV --src ADDR --dst ADDR:PORT [--proto N]
                     [--mss M[,M...]] [--wait S] [--ack-xor X] [--other-port]
                     [--data N]

Sends a SYN from ADDR (an address no kernel owns, so no stack answers the
SYN+ACK: the server needs a static neighbour entry for it on DEV's MAC),
reads the SYN+ACK on DEV (AF_PACKET) and prints "synack cookie=C mss=M".
After --wait seconds it sends the third ACK: ack = cookie + 1, XORed with
--ack-xor; from another source port with --other-port (a cookie for another
4-tuple); carrying --data bytes.  Then it prints what came back within two
seconds: "rst" (a reset for that ACK), "data LEN ok|bad" (the first data
segment of the server's echo: its length and whether it is a prefix of what
was sent) or "nothing".  A list of MSS values plays one handshake each.  Exit status 0, or 1 when the SYN gets no SYN+ACK.
"""
import argparse
import random
import select
import socket
import struct
import sys
import time

ETH_P_IP = 0x0800


def csum(data):
    if len(data) % 2:
        data += b'\0'
    s = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def segment(src, dst, proto, sport, dport, seq, ack, flags, opts=b'', data=b''):
    doff = (20 + len(opts)) // 4
    th = struct.pack('!HHIIBBHHH', sport, dport, seq, ack, doff << 4, flags,
                     65535, 0, 0) + opts + data
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + \
        struct.pack('!BBH', 0, proto, len(th))
    c = csum(pseudo + th)
    th = th[:16] + struct.pack('!H', c) + th[18:]
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(th), random.getrandbits(16),
                     0x4000, 64, proto, 0, socket.inet_aton(src), socket.inet_aton(dst))
    ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
    return ip + th


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

    def send(pkt):
        tx.sendto(pkt, (daddr, 0))

    def recv(port, deadline):
        """The next segment from the server to (src, port): (flags, seq, ack, opts, data)."""
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
            s, d, seq, ack, off, flags = struct.unpack('!HHIIBB', th[:14])
            if s != dport or d != port:
                continue
            doff = (off >> 4) * 4
            tot = struct.unpack('!H', p[2:4])[0]
            return flags, seq, ack, th[20:doff], p[ihl + doff:tot]

    mss = struct.pack('!BBH', 2, 4, mss_opt)
    send(segment(a.src, daddr, a.proto, sport, dport, isn, 0, 0x02, mss))
    r = recv(sport, time.monotonic() + 3)
    if not r or r[0] & 0x12 != 0x12:
        print('no synack')
        return 1
    cookie = r[1]
    smss = 0
    o = r[3]
    while len(o) >= 4:
        if o[0] == 2:
            smss = struct.unpack('!H', o[2:4])[0]
            break
        if o[0] in (0, 1):
            o = o[1:]
            continue
        o = o[o[1]:]
    print('synack cookie=%u mss=%u' % (cookie, smss), flush=True)

    time.sleep(a.wait)
    port = sport + 1 if a.other_port else sport
    data = bytes((i * 7 + 3) & 0xff for i in range(a.data))
    ack = ((cookie + 1) & 0xffffffff) ^ a.ack_xor
    send(segment(a.src, daddr, a.proto, port, dport, (isn + 1) & 0xffffffff,
                 ack, 0x18 if data else 0x10, data=data))
    deadline = time.monotonic() + 2
    while True:
        r = recv(port, deadline)
        if not r:
            print('nothing')
            break
        if r[0] & 0x04:
            print('rst')
            break
        if r[4]:
            ok = data.startswith(r[4])
            print('data %d %s' % (len(r[4]), 'ok' if ok else 'bad'))
            # Close our end so the server's connection goes away.
            send(segment(a.src, daddr, a.proto, port, dport,
                         (isn + 1 + len(data)) & 0xffffffff, 0, 0x04))
            break
    return 0


if __name__ == '__main__':
    sys.exit(main())
