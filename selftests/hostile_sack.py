#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""hostile_sack.py: what a hostile receiver's crafted SACK blocks cost the
sender, per ACK, as the sender's flight grows (issue 14, the sender's side
of hostile_ofo.py).

    hostile_sack.py [--family tcpx|tcp] [--pattern repeat|walk] [--flight N]
                    [--small S] [--acks M] [--rounds R] [--verbose]

In a private network namespace (the drill's: tun device drill0, the kernel
at 192.0.2.1, this program the peer at 192.0.2.2; drill/README):

    [ private netns ]
      listener, its child the    192.0.2.1/24 tun "drill0"    this program
      sender: SO_SNDBUFFORCE, <------------------------------>  the peer, a
      AF_TCPX, then AF_INET      (same device for both: the    receiver
                                  IP protocol tells them apart) 192.0.2.2

the peer opens a connection by hand (MSS 536, SACK permitted, window
scaling, no timestamps; a window of 32 MiB) and this program, as the
kernel side's application, writes 2F segments' worth of data into the
accepted socket (non-blocking, topped up as room frees).  Phase 1: the
peer ACKs every second segment at once, so slow start grows the window,
up to segment F: that ACK it never sends.  The flight grows to segments
F .. 2F-1, F of them, all of it sent.  (A sender that resent before the
hold -- a timeout while this peer stalled, as a debug kernel's pauses can
make it -- grows its flight a segment a round trip from then on: that
connection is set up once more, on another port, and the line says so.)  Phase 2: crafted duplicate ACKs,
ACK = the held head, written one by one into the tun and each timed (a tun
write runs the receive path in the writer's context, to the end: the
sender's SACK processing, loss marking and retransmissions):

  repeat: one SACK block, the flight's last segment, again and again;
  walk:   each ACK SACKs one new segment, from the top down, a hole
          between each, the three before it as further blocks (four
          blocks, scattered, all far from the head).

What the sender retransmits meanwhile is drained (and checked) after each
ACK, untimed.  Eight ACKs first, untimed (the first marks most of the
flight lost and enters recovery); then M timed; the median is the cost
per ACK.  Then the sender's TCP_INFO must show the flight (unacked F) and
the SACKed segments exactly (1, or 8 + M).  Phase 3: the peer ACKs all it
has, SACKing what lies past a hole, until all is acknowledged: every byte
the sender sent must match what the application wrote, all of it must
have come, nothing may be left unacked, SACKed or lost, the connection
established, no reset; and the family's RetransSegs counter (this
namespace's) must have grown by the socket's tcpi_total_retrans, which
must be the number of resends the peer read (EstabResets unmoved).

The same at a small flight S; the cost at F over the cost at S is the
family's "growth".  Linux TCP (reno here, an rbtree of segments, the
device without GSO so that it too holds one skb a segment) is measured
the same way in the same run, the two interleaved for R rounds (the median
round counts).  The family holds if its growth is at most max(2 x TCP's,
TCP's + 1).  The last line is

    RESULT family=F n=N growth=G tcp_growth=T held=H survived=S ref=R

H: each connection of the family kept its flight and counted the SACKed
segments exactly; S: each delivered all its data intact, its counters
agreeing, as above; R: TCP did both too (else it is no reference).  Exit
status 0 when all checks hold, 1 otherwise, 4 to skip.  IPv4 only: the
same code serves IPv6.
"""

import argparse
import ctypes
import fcntl
import gc
import os
import random
import select
import statistics
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'drill'))
from tcpx_drill import (LOCAL_IP, REMOTE_IP, TUN_NAME, Packet,  # noqa: E402
                        drill_netns, libc, sockaddr_in)
from hostile_lib import (Failure, Sockets, check, proc_pairs,  # noqa: E402
                         skip_reason, tcpx_stat)
from tcpx_pkt import (ACK, MASK, RST, SYN, encode_options,  # noqa: E402
                      ip_packet, tcp_segment)

KSFT_SKIP = 4
MSS = 536
PEER_WS = 9                     # 65535 << 9: a 32 MiB window, never the limit
MSG_DONTWAIT = 0x40
SOL_SOCKET, SO_SNDBUFFORCE = 1, 32
INFO_LEN = 104                  # tcp_info's fields tcpx_info shares
SIOCOUTQ = 0x5411
TCP_ESTABLISHED = 1
LPORT = 8080
WARM = 8                        # untimed ACKs before the timed ones
SNDBUF = 16 << 20
RETRY_PORTS = 10000   # a second try's peer port: pport + this
# The stream's bytes: a pseudo-random block of a prime length, repeated
# (a segment sent at a wrong offset does not match).
PERIOD = 65521
BLOCK = random.Random(14).randbytes(PERIOD)


def counters(family):
    """The family's counters in this namespace: (RetransSegs, EstabResets)."""
    vals = tcpx_stat() if family == 'tcpx' else proc_pairs('/proc/net/snmp', 'Tcp:')
    return vals.get('RetransSegs', 0), vals.get('EstabResets', 0)


def stream(size):
    """The SIZE bytes the application writes."""
    return (BLOCK * (size // PERIOD + 1))[:size]


class Conn(Sockets):
    """One connection the peer opened to a listener of FAMILY, the
    accepted socket the sender of SIZE bytes."""

    def __init__(self, tun, family, pport, size):
        super().__init__(family)
        self.tun, self.pport, self.size = tun, pport, size
        check(libc.bind(self.lfd, sockaddr_in(LOCAL_IP, LPORT), 16), 'bind')
        check(libc.listen(self.lfd, 8), 'listen')
        self.data = stream(size)
        self.buf = ctypes.create_string_buffer(self.data, size)
        self.written = 0        # by the application
        self.got = bytearray(size)      # 1: the peer has the byte
        self.acked = 0          # the peer's cumulative ACK, from the start
        self.bad = []           # segments that did not match the stream
        self.rst = False
        self.segs = 0
        self.data_segs = 0

    def segment(self, ack, flags, opts=b''):
        return ip_packet(REMOTE_IP, LOCAL_IP, self.proto,
                         tcp_segment(REMOTE_IP, LOCAL_IP, self.proto, self.pport, LPORT,
                                     self.isn + 1, ack, flags, 65535, opts), ident=0)

    def ack_pkt(self, off, blocks=()):
        """An ACK of the stream up to OFF, SACKing BLOCKS (stream offsets)."""
        opts = encode_options([('nop',), ('nop',), ('sack', list(blocks))],
                              self.base) if blocks else b''
        return self.segment(self.base + off, ACK, opts)

    def open(self):
        """The handshake by hand; the accepted socket in self.fd."""
        self.isn = 0x10000000 + self.pport * 7919
        opts = encode_options([('mss', MSS), ('sackOK',), ('nop',), ('wscale', PEER_WS)])
        self.drain_raw()
        os.write(self.tun, ip_packet(REMOTE_IP, LOCAL_IP, self.proto, tcp_segment(
            REMOTE_IP, LOCAL_IP, self.proto, self.pport, LPORT, self.isn, 0, SYN, 65535,
            opts), ident=0))
        sa = None
        deadline = time.monotonic() + 2
        while sa is None and time.monotonic() < deadline:
            select.select([self.tun], [], [], 0.05)
            for raw in self.drain_raw():
                p = Packet(0, raw, self.proto)
                if (p.proto == self.proto and p.seg and p.sport == LPORT and
                        p.dport == self.pport and p.flags & (SYN | ACK) == SYN | ACK):
                    sa = p
        if sa is None:
            raise Failure('%s: no SYN,ACK' % self.family)
        if not any(o[0] == 'sackOK' for o in sa.opts):
            raise Failure('%s: SYN,ACK without SACK: %s' % (self.family, sa.opts))
        self.base = (sa.seq + 1) & MASK
        os.write(self.tun, self.segment(self.base, ACK))
        self.accept_child(deadline)
        check(libc.setsockopt(self.fd, SOL_SOCKET, SO_SNDBUFFORCE,
                              struct.pack('=i', SNDBUF), 4), 'SO_SNDBUFFORCE')

    def push(self):
        """The application: write what the send buffer takes."""
        addr = ctypes.addressof(self.buf)
        while self.written < self.size:
            r = libc.send(self.fd, addr + self.written,
                          min(self.size - self.written, 1 << 18), MSG_DONTWAIT)
            if r <= 0:
                return
            self.written += r

    def drain_raw(self):
        out = []
        while True:
            try:
                out.append(os.read(self.tun, 65536))
            except BlockingIOError:
                return out

    def drain(self):
        """Read what the sender sent: mark the bytes had, check each
        segment's against the stream."""
        for raw in self.drain_raw():
            if len(raw) < 40 or raw[0] >> 4 != 4 or raw[9] != self.proto:
                continue
            ihl = (raw[0] & 15) * 4
            total = (raw[2] << 8) | raw[3]
            sport, dport, seq, _, off, flags = struct.unpack_from('!HHIIBB', raw, ihl)
            if sport != LPORT or dport != self.pport:
                continue
            self.segs += 1
            if flags & RST:
                self.rst = True
            start = ihl + (off >> 4) * 4
            n = total - start
            if n <= 0:
                continue
            self.data_segs += 1
            o = (seq - self.base) & MASK
            if o + n > self.size or raw[start:total] != self.data[o:o + n]:
                self.bad.append((o, n))
                continue
            self.got[o:o + n] = b'\1' * n

    def have(self, start):
        """The first byte from START the peer lacks (size: none)."""
        h = self.got.find(0, start)
        return self.size if h < 0 else h

    def grow(self, hold, limit):
        """Phase 1: ACK every second segment up to HOLD, until all is sent."""
        deadline = time.monotonic() + limit
        while True:
            self.push()
            self.drain()
            c = min(self.have(self.acked), hold)
            moved = False
            while self.acked < c:
                self.acked = min(self.acked + 2 * MSS, c)
                os.write(self.tun, self.ack_pkt(self.acked))
                moved = True
                if self.acked == hold:
                    self.grow_rtx = self.info()['retrans']
            if self.acked == hold and self.written == self.size and \
                    self.have(hold) == self.size:
                return
            if self.rst:
                raise Failure('%s: reset while the flight grew' % self.family)
            if not moved:
                if time.monotonic() > deadline:
                    raise Failure('%s: the flight grew to %d of %d segments in %d s '
                                  '(ACKed %d, written %d of %d bytes)' % (
                                      self.family, (self.have(hold) - hold) // MSS,
                                      (self.size - hold) // MSS, limit, self.acked,
                                      self.written, self.size))
                select.select([self.tun], [], [], 0.02)

    def blocks(self, start):
        """SACK blocks for what the peer has beyond START: up to four."""
        out = []
        while len(out) < 4:
            lo = self.got.find(1, start)
            if lo < 0:
                break
            hi = self.have(lo)
            out.append((lo, hi))
            start = hi
        return out

    def finish(self, limit):
        """Phase 3: ACK all the peer has, SACK the rest, until all is."""
        deadline = time.monotonic() + limit
        while True:
            self.drain()
            self.acked = self.have(self.acked)
            os.write(self.tun, self.ack_pkt(self.acked, self.blocks(self.acked)))
            if self.acked == self.size:
                self.drain()
                return True
            if time.monotonic() > deadline:
                return False
            select.select([self.tun], [], [], 0.1)

    def info(self):
        b = self.info_raw(INFO_LEN)
        u = struct.unpack_from('=7I', b, 8)
        return {'state': b[0], 'ca': b[1], 'rto': u[0], 'mss': u[2], 'unacked': u[4],
                'sacked': u[5], 'lost': u[6], 'cwnd': struct.unpack_from('=I', b, 80)[0],
                'retrans': struct.unpack_from('=I', b, 100)[0]}

    def outq(self):
        r = fcntl.ioctl(self.fd, SIOCOUTQ, b'\0' * 4)
        return struct.unpack('=i', r)[0]

    def close(self):
        self.close_all()
        self.drain_raw()


def sack_acks(conn, pattern, hold, flight, count):
    """COUNT crafted ACKs, ACK = the held head at HOLD, for PATTERN."""
    top = hold + (flight - 1) * MSS     # the flight's last segment
    out = []
    for j in range(count):
        if pattern == 'repeat':
            blocks = [(top, top + MSS)]
        else:
            # One new segment an ACK, from the top down, a hole between
            # each; the newest block first, as RFC 2018 4 has it.
            blocks = [(top - 2 * i * MSS, top - 2 * i * MSS + MSS)
                      for i in range(j, max(j - 4, -1), -1)]
        out.append(conn.ack_pkt(hold, blocks))
    return out


def open_grown(tun, family, pport, hold):
    """A connection grown to its flight (phase 1).  Once more, on the next
    port, if the sender resent before the hold: a retransmission timeout
    while this peer stalled (a debug kernel's pauses reach the 200 ms
    RTO) halves ssthresh, and the flight then grows a segment a round
    trip -- setup disturbed, not what is measured; said on stdout.  With
    the family's counters from before the connection that is kept."""
    c0 = counters(family)
    conn = Conn(tun, family, pport, 2 * hold)
    try:
        conn.open()
        conn.grow(hold, 60)
        return conn, c0
    except Failure as e:
        rtx = getattr(conn, 'grow_rtx', 0)
        conn.close()
        if not rtx:
            raise
        print('%s: %s, after %d resends before the hold (a timeout in the growth); '
              'once more' % (family, e, rtx), flush=True)
    c0 = counters(family)
    conn = Conn(tun, family, pport + RETRY_PORTS, 2 * hold)
    try:
        conn.open()
        conn.grow(hold, 60)
    except Failure:
        conn.close()
        raise
    return conn, c0


def run_one(tun, family, pattern, flight, nacks, pport, verbose):
    """One connection of FAMILY: a flight of FLIGHT segments, NACKS timed
    crafted ACKs.  A dict of what was measured and checked."""
    res = {'family': family, 'flight': flight, 'held': False, 'survived': False, 'why': []}
    hold = flight * MSS
    costs = []
    t0 = time.monotonic()
    conn, c0 = open_grown(tun, family, pport, hold)
    try:
        res['grow_s'] = time.monotonic() - t0
        pkts = sack_acks(conn, pattern, hold, flight, WARM + nacks)
        for raw in pkts[:WARM]:
            os.write(tun, raw)
            conn.drain()
        time.sleep(0.01)
        conn.drain()
        gc.disable()
        try:
            for raw in pkts[WARM:]:
                a = time.perf_counter_ns()
                os.write(tun, raw)
                b = time.perf_counter_ns()
                costs.append(b - a)
                conn.drain()
        finally:
            gc.enable()
        i = conn.info()
        res['info'] = i
        want = 1 if pattern == 'repeat' else WARM + nacks
        if i['unacked'] != flight:
            res['why'].append('unacked %d, the flight %d' % (i['unacked'], flight))
        if i['sacked'] != want:
            res['why'].append('sacked %d, the peer SACKed %d' % (i['sacked'], want))
        if conn.rst:
            res['why'].append('reset during the crafted ACKs')
        res['held'] = not res['why']
        done = conn.finish(20)
        f = conn.info()
        res['final'] = f
        q = conn.outq()
        c1 = counters(family)
        rtx, resets = (y - x for x, y in zip(c0, c1))
        # Each byte came once in its first transmission: the rest resent.
        seen = conn.data_segs - conn.size // MSS
        res['rtx'] = (rtx, f['retrans'], seen)
        bad = []
        if not done:
            bad.append('the peer has %d of %d bytes, from %d on not' % (
                conn.got.count(1), conn.size, conn.acked))
        if conn.bad:
            bad.append('%d segments not the stream (first at %d, %d bytes)' % (
                len(conn.bad), conn.bad[0][0], conn.bad[0][1]))
        if conn.rst:
            bad.append('reset')
        if f['state'] != TCP_ESTABLISHED or f['unacked'] or f['sacked'] or f['lost'] or q:
            bad.append('at the end: state %d, unacked %d, sacked %d, lost %d, SIOCOUTQ %d' % (
                f['state'], f['unacked'], f['sacked'], f['lost'], q))
        if resets or not rtx == f['retrans'] == seen:
            bad.append('counters: RetransSegs +%d, tcpi_total_retrans %d, resends seen %d, '
                       'EstabResets +%d' % (rtx, f['retrans'], seen, resets))
        res['why'] += bad
        res['survived'] = not bad
    finally:
        conn.close()
    res['cost'] = statistics.median(costs) if costs else 0
    res['segs'] = conn.segs
    res['secs'] = time.monotonic() - t0
    if verbose:
        print('  %s flight %d: per-ACK ns: %s' % (family, flight,
                                                  ' '.join('%d' % c for c in costs)))
    return res


def report(r):
    i, f = r.get('info', {}), r.get('final', {})
    print('%-4s flight %5d: %8.1f us/ACK; grew in %.2f s, %.2f s in all, %d segments '
          'read; at the hold: unacked %s sacked %s lost %s cwnd %s rto %s mss %s ca %s; '
          'at the end: unacked %s, state %s, resent (counter, tcpi, seen) %s%s' % (
              r['family'], r['flight'], r['cost'] / 1e3, r.get('grow_s', 0), r['secs'],
              r['segs'], i.get('unacked'), i.get('sacked'), i.get('lost'), i.get('cwnd'),
              i.get('rto'), i.get('mss'), i.get('ca'), f.get('unacked'), f.get('state'),
              r.get('rtx'), '' if r['survived'] else '; NOT delivered as written'),
          flush=True)
    for w in r['why'][:5]:
        print('  %s: %s' % (r['family'], w))


def netns_setup():
    """The drill's namespace, tuned for a sender under measurement."""
    tun = drill_netns(True, 4)
    os.set_blocking(tun, False)
    # The flight, and resends of half of it at once, fit the device queue.
    subprocess.run(['ip', 'link', 'set', TUN_NAME, 'txqueuelen', '20000'], check=False)
    # TCP holds one skb a segment, as tcpx does (no GSO to build larger).
    r = subprocess.run(['ethtool', '-K', TUN_NAME, 'gso', 'off'], capture_output=True,
                       check=False)
    if r.returncode:
        print('note: GSO left on (ethtool -K failed): TCP queues larger skbs')
    # Reno: slow start to the end, no HyStart exit; nothing remembered
    # from one connection to the next.
    with open('/proc/sys/net/ipv4/tcp_congestion_control', 'w') as f:
        f.write('reno\n')
    with open('/proc/sys/net/ipv4/tcp_no_metrics_save', 'w') as f:
        f.write('1\n')
    return tun


def main():
    ap = argparse.ArgumentParser(description='Per-ACK cost of a hostile receiver\'s SACK '
                                 'blocks to the sender, a family against Linux TCP.')
    ap.add_argument('--family', choices=('tcpx', 'tcp'), default='tcpx')
    ap.add_argument('--pattern', choices=('repeat', 'walk'), default='repeat',
                    help='one block again and again, or a new scattered one each ACK')
    ap.add_argument('--flight', '-n', type=int, default=4000)
    ap.add_argument('--small', type=int, default=256)
    ap.add_argument('--acks', type=int, default=64, help='timed ACKs per connection')
    ap.add_argument('--rounds', type=int, default=3)
    ap.add_argument('--verbose', '-v', action='store_true')
    args = ap.parse_args()
    n, s = args.flight, args.small
    # The walk stays in the upper part of the small flight, far from its head.
    if args.acks < 5 or s < 3 * (WARM + args.acks) or n < 4 * s or n > 30000:
        ap.error('need --acks 5 or more, --small at least 3 x (acks + %d), '
                 '--flight 4 x small .. 30000' % WARM)
    why = skip_reason(args.family)
    if why:
        print('SKIP: ' + why)
        return KSFT_SKIP
    tun = netns_setup()
    order = [args.family, 'tcp'] if args.family != 'tcp' else ['tcp', 'tcp']
    print('pattern %s: %d timed ACKs (%d before), flights of %d and %d segments of %d '
          'bytes, %d rounds of %s' % (args.pattern, args.acks, WARM, s, n, MSS, args.rounds,
                                      ' and '.join(order)), flush=True)
    growth = {'fam': [], 'ref': []}
    runs = {'fam': [], 'ref': []}
    pport = 40000
    t0 = time.monotonic()
    for rnd in range(args.rounds):
        # Interleaved, the reference second in one round and first in the next.
        pair = [('fam', order[0]), ('ref', order[1])]
        for role, fam in (pair if rnd % 2 == 0 else pair[::-1]):
            rr = []
            for flight in (s, n):
                pport += 1
                try:
                    r = run_one(tun, fam, args.pattern, flight, args.acks, pport,
                                args.verbose)
                except Failure as e:
                    print('ERROR: %s' % e)
                    print('RESULT family=%s n=%d growth=0 tcp_growth=0 held=0 survived=0 '
                          'ref=0' % (args.family, n))
                    return 1
                print('round %d %s:' % (rnd + 1, 'reference' if role == 'ref' else
                                        'under test'), end=' ')
                report(r)
                rr.append(r)
                runs[role].append(r)
            g = rr[1]['cost'] / rr[0]['cost'] if rr[0]['cost'] else 0
            print('round %d %s growth %.2f' % (rnd + 1, fam, g), flush=True)
            growth[role].append(g)
    g = statistics.median(growth['fam'])
    t = statistics.median(growth['ref'])
    held = all(r['held'] for r in runs['fam'])
    survived = all(r['survived'] for r in runs['fam'])
    ref = all(r['held'] and r['survived'] for r in runs['ref'])
    bound = max(2 * t, t + 1)
    print('growth (median of %d rounds), flight %d over %d: %s %.2f, tcp %.2f; '
          'bound max(2x, +1) = %.2f; %.1f s in all' % (
              args.rounds, n, s, args.family, g, t, bound, time.monotonic() - t0))
    print('RESULT family=%s n=%d growth=%.2f tcp_growth=%.2f held=%d survived=%d ref=%d' % (
        args.family, n, g, t, held, survived, ref))
    ok = held and survived and ref and 0 < g <= bound
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
