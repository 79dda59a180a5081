#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Check the keepalive probes of one connection in a capture.

    keepalive_cap.py PCAP CLIENT_ADDR:PORT --idle S --intvl S [checks]

Reads a pcap (Ethernet or Linux cooked) of IPv4 segments with the TCP
header layout (tcpx's protocol 253, or TCP), keeps those of the
connection of CLIENT_ADDR:PORT and finds the client's keepalive probes:
pure ACKs without data whose sequence number is the peer's last
acknowledgment minus one (snd.una - 1).  Every probe must come when the
keepalive timer says (tcp_keepalive_timer(), which tcpx mirrors): with p
the last segment from the peer before it and q the previous probe,

    at max(q + intvl, p + idle)      (p + idle for the first one)

within -0.05 s / +tol (a timer never fires early; a stalled emulated
guest may fire one late), and the client's RST of a keepalive timeout
at the last probe + intvl the same way.  How late each came is measured
on the capture's (the kernel's) timestamps: the median lateness of the
timers that re-armed after a probe (later probes, the RST) must be at
most --slack (the timer wheel's rounding and the guest's scheduling),
so an interval off by more than that fails however noisy single probes
are.  Prints "late_first S" (the first probe: idle to probe) and
"late_next S..." for the shell to gather.  Checks:
    --probes N        exactly N probes;  --min-probes N: at least N
    --answered all    the peer ACKed each probe (ack = probe seq + 1)
    --answered none   nothing from the peer after the first probe
    --unanswered N    exactly N probes after the peer's last segment
    --rst client      the client ended it with RST, intvl after the last
                      probe (keepalive timeout)
    --rst peer        the peer answered the last probe with RST at the
                      client's rcv.nxt
    --arm-delay S     the first probe may come up to S late (SO_KEEPALIVE
                      set S after the connection was up); not measured
    --slack S         median lateness bound (default 0.15 s)
Prints "probes N" and, on failure, the segments; exit status 1.
"""
import argparse
import socket
import struct
import sys


def segments(path):
    with open(path, 'rb') as f:
        data = f.read()
    magic = struct.unpack('<I', data[:4])[0]
    if magic in (0xa1b2c3d4, 0xa1b23c4d):
        end = '<'
    else:
        end = '>'
        magic = struct.unpack('>I', data[:4])[0]
    nsec = magic == 0xa1b23c4d
    link = struct.unpack(end + 'I', data[20:24])[0]
    l2 = {1: 14, 113: 16, 276: 20}.get(link)
    if l2 is None:
        sys.exit('unknown link type %d' % link)
    off = 24
    while off + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack(end + 'IIII', data[off:off + 16])
        pkt = data[off + 16:off + 16 + incl]
        off += 16 + incl
        t = sec + frac / (1e9 if nsec else 1e6)
        ip = pkt[l2:]
        if len(ip) < 20 or ip[0] >> 4 != 4:
            continue
        ihl = (ip[0] & 15) * 4
        tot = struct.unpack('>H', ip[2:4])[0]
        th = ip[ihl:tot]
        if len(th) < 20:
            continue
        sport, dport, seq, ack = struct.unpack('>HHII', th[:12])
        doff = (th[12] >> 4) * 4
        yield dict(t=t, src='%s:%d' % (socket.inet_ntoa(ip[12:16]), sport),
                   dst='%s:%d' % (socket.inet_ntoa(ip[16:20]), dport),
                   flags=th[13], seq=seq, ack=ack, len=len(th) - doff)


FIN, SYN, RST, PSH, ACK = 1, 2, 4, 8, 16


def fmt(s, t0):
    names = [n for b, n in ((SYN, 'SYN'), (FIN, 'FIN'), (RST, 'RST'),
                            (PSH, 'PSH'), (ACK, 'ACK')) if s['flags'] & b]
    return '%8.3f %s > %s %s seq=%d ack=%d len=%d%s' % (
        s['t'] - t0, s['src'], s['dst'], '+'.join(names), s['seq'],
        s['ack'], s['len'], ' PROBE' if s.get('probe') else '')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('pcap')
    ap.add_argument('client')
    ap.add_argument('--idle', type=float, required=True)
    ap.add_argument('--intvl', type=float, required=True)
    ap.add_argument('--tol', type=float, default=0.5)
    ap.add_argument('--arm-delay', type=float, default=0.0)
    ap.add_argument('--slack', type=float, default=0.15)
    ap.add_argument('--probes', type=int)
    ap.add_argument('--min-probes', type=int)
    ap.add_argument('--answered', choices=('all', 'none'))
    ap.add_argument('--unanswered', type=int)
    ap.add_argument('--rst', choices=('client', 'peer'))
    a = ap.parse_args()

    segs = [s for s in segments(a.pcap) if a.client in (s['src'], s['dst'])]
    errors = []
    if not segs:
        print('# no segment of %s captured' % a.client)
        return 1
    t0 = segs[0]['t']

    peer_ack = None         # the peer's last acknowledgment: our snd.una
    last_peer = None        # last segment from the peer
    probes = []
    for s in segs:
        if s['src'] == a.client:
            if (peer_ack is not None and s['flags'] == ACK and
                    s['len'] == 0 and s['seq'] == (peer_ack - 1) % 2**32):
                s['probe'] = True
                s['prev_peer'] = last_peer
                probes.append(s)
        else:
            if s['flags'] & ACK:
                peer_ack = s['ack']
            last_peer = s

    q = None
    late_first, late_next = None, []
    for i, s in enumerate(probes):
        p = s['prev_peer']
        want = p['t'] + a.idle
        if q is not None:
            want = max(want, q['t'] + a.intvl)
        late = a.tol + (a.arm_delay if i == 0 else 0)
        if not want - 0.05 <= s['t'] <= want + late:
            errors.append('probe %d at %.3f s, expected at %.3f s' %
                          (i + 1, s['t'] - t0, want - t0))
        if i == 0:
            if not a.arm_delay:
                late_first = s['t'] - want
        else:
            late_next.append(s['t'] - want)
        nxt = probes[i + 1]['t'] if i + 1 < len(probes) else float('inf')
        s['answer'] = next((r for r in segs
                            if r['src'] != a.client and s['t'] <= r['t'] < nxt
                            and r['flags'] & (ACK | RST)
                            and (r['ack'] == (s['seq'] + 1) % 2**32 or
                                 r['flags'] & RST)), None)
        q = s

    n = len(probes)
    print('probes %d' % n)
    if a.probes is not None and n != a.probes:
        errors.append('%d probes, expected %d' % (n, a.probes))
    if a.min_probes is not None and n < a.min_probes:
        errors.append('%d probes, expected at least %d' % (n, a.min_probes))
    if a.answered == 'all':
        for i, s in enumerate(probes):
            if not s['answer'] or s['answer']['flags'] & RST:
                errors.append('probe %d not ACKed' % (i + 1))
    if a.answered == 'none' and probes:
        late = [r for r in segs
                if r['src'] != a.client and r['t'] >= probes[0]['t']]
        if late:
            errors.append('the peer sent %d segments after the first probe'
                          % len(late))
    if a.unanswered is not None:
        last = max((r['t'] for r in segs if r['src'] != a.client), default=0)
        un = len([s for s in probes if s['t'] > last])
        if un != a.unanswered:
            errors.append('%d probes after the peer fell silent, expected %d'
                          % (un, a.unanswered))
    if a.rst == 'client':
        rst = [s for s in segs if s['src'] == a.client and s['flags'] & RST]
        if not rst or not probes:
            errors.append('no RST from the client after the probes')
        elif not (probes[-1]['t'] + a.intvl - 0.05 <= rst[0]['t'] <=
                  probes[-1]['t'] + a.intvl + a.tol):
            errors.append('RST at %.3f s, expected intvl after the last probe'
                          % (rst[0]['t'] - t0))
        else:
            late_next.append(rst[0]['t'] - probes[-1]['t'] - a.intvl)
    if a.rst == 'peer':
        ans = probes[-1]['answer'] if probes else None
        if not ans or not ans['flags'] & RST:
            errors.append('the last probe drew no RST')
        elif ans['seq'] != probes[-1]['ack']:
            errors.append('RST seq %d, the client expects %d' %
                          (ans['seq'], probes[-1]['ack']))
    if late_first is not None:
        print('late_first %.3f' % late_first)
    print('late_next ' + ' '.join('%.3f' % x for x in late_next))
    if late_next:
        med = sorted(late_next)[len(late_next) // 2]
        print('# lateness after a probe (s): %s; median %.3f (slack %.3f)'
              % (' '.join('%+.3f' % x for x in late_next), med, a.slack))
        if med > a.slack:
            errors.append('the timer re-armed after a probe fires %.3f s late'
                          ' (median), more than %.3f s' % (med, a.slack))
    if errors:
        for e in errors:
            print('# ' + e)
        for s in segs:
            print('# ' + fmt(s, t0))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
