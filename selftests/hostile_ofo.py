#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""hostile_ofo.py: what a hostile peer's tiny out-of-order segments cost
the receiver, per segment, as its out-of-order queue grows (issue 14).

    hostile_ofo.py [--family tcpx|tcp] [--pattern holes|run] [--segments N]
                   [--rounds R] [--batch B] [--ip 4|6] [--verbose]

In a private network namespace (the drill's: tun device drill0, the kernel
at 192.0.2.1, this program the peer at 192.0.2.2; drill/README):

    [ private netns ]
      listener, SO_RCVBUF       192.0.2.1/24 tun "drill0"     this program
      room for 3 x N segments <------------------------------>  the peer
      AF_TCPX, then AF_INET     (same device for both: the     192.0.2.2
                                 IP protocol tells them apart)

the peer opens a connection by hand (SACK permitted, window scaling, no
timestamps) and writes N one-byte segments beyond RCV.NXT, in descending
order, a hole before each (sequence RCV.NXT + 2i + 1, i = N-1 .. 0):
each goes in front of all the queue holds, the worst case for a queue
kept as a list and searched from its tail.  With --pattern run they come
in ascending order, one after the other past a single hole at RCV.NXT
(sequence RCV.NXT + 1 + i): cheap to queue anywhere, but one SACK block
over N segments, which a SACK builder that walks the queue for its
highest blocks walks whole on every ACK.  The segments are built before
the clock starts; the writes are timed in batches of B.  A tun write runs
the receive path in the writer's context, to the end: the ACK each
segment draws is on the tun before write() returns (checked: after each
batch, B ACKs are there at once; each batch's last ACK reports the last
segment in its first SACK block).  Then the peer fills the holes in
ascending order, and the socket must hand all the bytes out exactly.

The cost of a segment at depth ~N against one at depth ~0 (median cost of
the last tenth of the batches over the median of the first tenth) is the
family's "growth"; Linux TCP (an rbtree, O(log n)) is measured the same
way in the same run, the two interleaved for R rounds (the median round
counts).  The family holds if its growth is at most max(2 x TCP's, TCP's
+ 1).  The last line is

    RESULT family=F n=N growth=G tcp_growth=T held=H filled=L ref=R async=A

H: every segment was held (the family's queued-segment counter grew by N,
none dropped or pruned; for tcpx, with holes, TCPX_INFO's tcpi_ofo_segs
is N), L: the holes filled, all bytes read back exactly, R: TCP did both too (else
it is no reference), A: a batch's ACKs were not all there at once.  Exit
status 0 when all checks hold, 1 otherwise, 4 to skip.
"""

import argparse
import ctypes
import gc
import os
import select
import statistics
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'drill'))
from tcpx_drill import (LOCAL_IP, LOCAL_IP6, REMOTE_IP, REMOTE_IP6,  # noqa: E402
                        Packet, drill_netns, libc, sockaddr_in, sockaddr_in6)
from hostile_lib import (Failure, Sockets, check, proc_pairs,  # noqa: E402
                         skip_reason, tcpx_stat)
from tcpx_pkt import (ACK, MASK, PSH, RST, SYN, encode_options,  # noqa: E402
                      ip_packet, tcp_segment)

KSFT_SKIP = 4
MSS = 1460
PEER_WS = 7
SOL_SOCKET, SO_RCVBUFFORCE = 1, 33
INFO_LEN = 256
# struct tcpx_info (tcpx/uapi/tcpx.h): tcp_info's first 104 bytes, then
# tcpx's own u32s: rmem_alloc, wmem_queued, rcvbuf, sndbuf, snd_wnd, rcv_wnd,
# ofo_segs.
OFF_RMEM, OFF_RCVBUF, OFF_OFO = 104, 112, 128
LPORT = 8080


def counters(family):
    """The family's out-of-order counters in this namespace: (queued,
    dropped, pruned) segments."""
    if family == 'tcpx':
        vals = tcpx_stat()
        return (vals.get('OfoQueue', 0), vals.get('OfoDrops', 0), vals.get('OfoPruned', 0))
    vals = proc_pairs('/proc/net/netstat', 'TcpExt:')
    return (vals.get('TCPOFOQueue', 0), vals.get('TCPOFODrop', 0),
            vals.get('OfoPruned', 0) + vals.get('RcvPruned', 0))


class Peer:
    """The tun device and the addresses of one IP version."""

    def __init__(self, tun, ip):
        self.tun = tun
        self.ip = ip
        self.local, self.remote = (LOCAL_IP6, REMOTE_IP6) if ip == 6 else (LOCAL_IP, REMOTE_IP)

    def drain(self, proto):
        """What the kernel sent, as segments of PROTO (others dropped)."""
        out = []
        while True:
            try:
                raw = os.read(self.tun, 65536)
            except BlockingIOError:
                return out
            p = Packet(0, raw, proto)
            if p.proto == proto and p.seg:
                out.append(p)

    def wait(self, proto, match, limit=2.0):
        """The first segment of PROTO for which MATCH holds, within LIMIT s."""
        deadline = time.monotonic() + limit
        while True:
            for p in self.drain(proto):
                if match(p):
                    return p
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            select.select([self.tun], [], [], left)


class Conn(Sockets):
    """One connection the peer opened to a listener of FAMILY."""

    def __init__(self, peer, family, pport, rcvbuf):
        super().__init__(family, peer.ip)
        self.peer, self.pport = peer, pport
        lfd = self.lfd
        # Beyond net.core.rmem_max (host-wide, invisible in a namespace):
        # the child inherits it, window scale and all.
        check(libc.setsockopt(lfd, SOL_SOCKET, SO_RCVBUFFORCE, struct.pack('=i', rcvbuf), 4),
              'SO_RCVBUFFORCE')
        if peer.ip == 6:
            check(libc.bind(lfd, sockaddr_in6(peer.local, LPORT), 28), 'bind')
        else:
            check(libc.bind(lfd, sockaddr_in(peer.local, LPORT), 16), 'bind')
        check(libc.listen(lfd, 8), 'listen')

    def segment(self, seq, ack, flags, data=b'', opts=b''):
        p = self.peer
        return ip_packet(p.remote, p.local, self.proto,
                         tcp_segment(p.remote, p.local, self.proto, self.pport, LPORT,
                                     seq, ack, flags, 65535, opts, data), ident=0)

    def is_ours(self, p):
        return p.sport == LPORT and p.dport == self.pport

    def open(self):
        """The handshake by hand; the accepted socket in self.fd."""
        p = self.peer
        self.isn = 0x10000000 + self.pport * 7919
        opts = encode_options([('mss', MSS), ('sackOK',), ('nop',), ('wscale', PEER_WS)])
        p.drain(self.proto)
        os.write(p.tun, self.segment(self.isn, 0, SYN, opts=opts))
        sa = p.wait(self.proto, lambda s: self.is_ours(s) and s.flags & (SYN | ACK) == SYN | ACK)
        if sa is None:
            raise Failure('%s: no SYN,ACK' % self.family)
        self.kisn = sa.seq
        self.kern_ws = next((o[1] for o in sa.opts if o[0] == 'wscale'), None)
        if self.kern_ws is None or not any(o[0] == 'sackOK' for o in sa.opts):
            raise Failure('%s: SYN,ACK without window scaling or SACK: %s' % (
                self.family, sa.opts))
        self.synack_win = sa.win
        self.rcv_nxt = (self.isn + 1) & MASK
        os.write(p.tun, self.segment(self.rcv_nxt, self.kisn + 1, ACK))
        self.accept_child(time.monotonic() + 2)

    def info(self):
        return self.info_raw(INFO_LEN)

    def close(self):
        self.close_all()
        self.peer.drain(self.proto)


def byte_at(off):
    """The stream's byte at offset OFF: its low 8 bits, a pattern recv checks."""
    return bytes([off & 0xff])


def run_one(peer, family, pattern, n, batch, pport, verbose):
    """One connection of FAMILY: N segments as PATTERN says, timed, then
    the holes filled.  A dict of what was measured and checked."""
    res = {'family': family, 'held': False, 'filled': False, 'async': 0, 'why': []}
    conn = Conn(peer, family, pport, max(n * 3 * 2048, 1 << 20))
    try:
        conn.open()
        base = conn.rcv_nxt
        ack = (conn.kisn + 1) & MASK
        if pattern == 'holes':
            # Descending: i = N-1 .. 0, each the new head of the queue.
            offs = [2 * i + 1 for i in range(n - 1, -1, -1)]
            holes = [2 * i for i in range(n)]
        else:
            offs = [1 + i for i in range(n)]
            holes = [0]
        segs = [(o, conn.segment(base + o, ack, ACK | PSH, byte_at(o))) for o in offs]
        fills = [conn.segment(base + o, ack, ACK | PSH, byte_at(o)) for o in holes]
        total = len(offs) + len(holes)
        c0 = counters(family)
        tun = peer.tun
        costs = []
        gc.disable()
        try:
            for b in range(0, n, batch):
                chunk = [raw for _, raw in segs[b:b + batch]]
                t0 = time.perf_counter_ns()
                for raw in chunk:
                    os.write(tun, raw)
                t1 = time.perf_counter_ns()
                # Read at once, without waiting: each ACK is there already
                # if the stack ran inside write().
                acks = [p for p in peer.drain(conn.proto) if conn.is_ours(p)]
                costs.append((t1 - t0) / len(chunk))
                last_off = segs[min(b + batch, n) - 1][0]
                if len(acks) < len(chunk):
                    res['async'] += 1
                    if res['async'] == 1:
                        res['why'].append('batch at depth %d: %d ACKs for %d segments' % (
                            b, len(acks), len(chunk)))
                if acks:
                    a = acks[-1]
                    blocks = next((o[1] for o in a.opts if o[0] == 'sack'), [])
                    first = ((blocks[0][0] - base) & MASK, (blocks[0][1] - base) & MASK) \
                        if blocks else None
                    if a.ack != base or not first or not first[0] <= last_off < first[1]:
                        res['why'].append('batch at depth %d: last ACK %d, SACK %s, '
                                          'not the segment at +%d' % (
                                              b, (a.ack - base) & MASK, first, last_off))
                    if b == 0:
                        # The first segment was the furthest: did it fit?
                        res['wnd'] = a.win << conn.kern_ws
                        if res['wnd'] < total:
                            res['why'].append('window %d, the segments span %d' % (
                                res['wnd'], total))
        finally:
            gc.enable()
        c1 = counters(family)
        queued, dropped, pruned = (y - x for x, y in zip(c0, c1))
        res['counters'] = (queued, dropped, pruned)
        ofo = None
        info = conn.info()
        if family == 'tcpx' and len(info) >= OFF_OFO + 4:
            ofo = struct.unpack_from('=I', info, OFF_OFO)[0]
            res['rmem'] = struct.unpack_from('=I', info, OFF_RMEM)[0]
            res['rcvbuf'] = struct.unpack_from('=I', info, OFF_RCVBUF)[0]
        res['ofo'] = ofo
        # A run may be coalesced into fewer skbs (as TCP does).
        res['held'] = (queued == n and dropped == 0 and pruned == 0 and
                       (ofo in (None, n) or pattern == 'run') and not res['why'])
        # The holes, ascending: each fills the head, the queue drains.
        for b in range(0, len(fills), batch):
            for raw in fills[b:b + batch]:
                os.write(tun, raw)
            last = [p for p in peer.drain(conn.proto) if conn.is_ours(p)]
            if any(p.flags & RST for p in last):
                res['why'].append('reset while the holes were filled')
                break
        got = b''
        deadline = time.monotonic() + 5
        want = b''.join(byte_at(k) for k in range(total))
        while len(got) < total and time.monotonic() < deadline:
            buf = ctypes.create_string_buffer(65536)
            r = libc.recv(conn.fd, buf, 65536, 0)
            if r > 0:
                got += buf.raw[:r]
            elif r == 0:
                break
            else:
                select.select([], [], [], 0.01)
        res['filled'] = got == want
        if not res['filled']:
            bad = next((k for k in range(min(len(got), len(want))) if got[k] != want[k]),
                       min(len(got), len(want)))
            res['why'].append('read %d of %d bytes back, first wrong at %d' % (
                len(got), total, bad))
    finally:
        conn.close()
    # The first and the last tenth of the batches: depth ~0 and ~N.
    k = max(1, len(costs) // 10)
    res['early'] = statistics.median(costs[:k])
    res['late'] = statistics.median(costs[-k:])
    res['growth'] = res['late'] / res['early']
    res['total'] = sum(costs) * batch / 1e9
    res['synack_win'] = conn.synack_win
    res['kern_ws'] = conn.kern_ws
    if verbose:
        print('  per-segment ns by batch: %s' % ' '.join('%d' % c for c in costs))
    return res


def report(r, n):
    q, d, p = r['counters']
    print('%-4s growth %6.2f: %7.1f us/segment at depth ~0, %7.1f at ~%d; %.2f s timed; '
          'queued %d dropped %d pruned %d%s; window %s (SYN,ACK %d, wscale %d)%s' % (
              r['family'], r['growth'], r['early'] / 1e3, r['late'] / 1e3, n, r['total'],
              q, d, p, '' if r['ofo'] is None else ', ofo queue %d (rmem %d of %d)' % (
                  r['ofo'], r['rmem'], r['rcvbuf']),
              r.get('wnd'), r['synack_win'], r['kern_ws'],
              '' if r['filled'] else '; holes filled: NOT read back'), flush=True)
    for w in r['why'][:5]:
        print('  %s: %s' % (r['family'], w))


def main():
    ap = argparse.ArgumentParser(description='Per-segment cost of tiny out-of-order '
                                 'segments, a family against Linux TCP.')
    ap.add_argument('--family', choices=('tcpx', 'tcp'), default='tcpx')
    ap.add_argument('--pattern', choices=('holes', 'run'), default='holes',
                    help='descending with holes (the queue), or a run (the SACK blocks)')
    ap.add_argument('--segments', '-n', type=int, default=8000)
    ap.add_argument('--rounds', type=int, default=3)
    ap.add_argument('--batch', type=int, default=100,
                    help='segments per timed batch (below the tun queue\'s 500)')
    ap.add_argument('--ip', type=int, choices=(4, 6), default=4)
    ap.add_argument('--verbose', '-v', action='store_true')
    args = ap.parse_args()
    n = args.segments
    if n < 20 * args.batch or not 0 < args.batch <= 400:
        ap.error('need --batch 1..400 and --segments at least 20 batches')
    why = skip_reason(args.family)
    if why:
        print('SKIP: ' + why)
        return KSFT_SKIP
    tun = drill_netns(True, args.ip)
    os.set_blocking(tun, False)
    peer = Peer(tun, args.ip)
    # One ACK per segment, at once: no SACK compression (TCP's duplicate
    # ACKs past the third would wait up to 1 ms, answering a later write).
    with open('/proc/sys/net/ipv4/tcp_comp_sack_nr', 'w') as f:
        f.write('0\n')
    order = [args.family, 'tcp'] if args.family != 'tcp' else ['tcp', 'tcp']
    print('%d one-byte segments %s, batches of %d, %d rounds of %s, IPv%d' % (
        n, 'in descending order, a hole before each' if args.pattern == 'holes' else
        'in ascending order, one run past a hole', args.batch, args.rounds,
        ' and '.join(order), args.ip), flush=True)
    runs = {'fam': [], 'ref': []}
    pport = 40000
    t0 = time.monotonic()
    for rnd in range(args.rounds):
        # Interleaved, the reference second in one round and first in the next.
        pair = [('fam', order[0]), ('ref', order[1])]
        for role, fam in (pair if rnd % 2 == 0 else pair[::-1]):
            pport += 1
            try:
                r = run_one(peer, fam, args.pattern, n, args.batch, pport, args.verbose)
            except Failure as e:
                print('ERROR: %s' % e)
                print('RESULT family=%s n=%d growth=0 tcp_growth=0 held=0 filled=0 ref=0 '
                      'async=0' % (args.family, n))
                return 1
            print('round %d %s:' % (rnd + 1, 'reference' if role == 'ref' else 'under test'),
                  end=' ')
            report(r, n)
            runs[role].append(r)
    g = statistics.median(r['growth'] for r in runs['fam'])
    t = statistics.median(r['growth'] for r in runs['ref'])
    held = all(r['held'] for r in runs['fam'])
    filled = all(r['filled'] for r in runs['fam'])
    ref = all(r['held'] and r['filled'] for r in runs['ref'])
    asyn = sum(r['async'] for r in runs['fam'] + runs['ref'])
    bound = max(2 * t, t + 1)
    print('growth (median of %d rounds): %s %.2f, tcp %.2f; bound max(2x, +1) = %.2f; '
          '%.1f s in all' % (args.rounds, args.family, g, t, bound, time.monotonic() - t0))
    print('RESULT family=%s n=%d growth=%.2f tcp_growth=%.2f held=%d filled=%d ref=%d '
          'async=%d' % (args.family, n, g, t, held, filled, ref, asyn))
    ok = held and filled and ref and not asyn and g <= bound
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
