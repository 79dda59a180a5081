#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""fuzz_seg.py: a segment fuzzer for tcpx, differential against Linux TCP.

    fuzz_seg.py [--seed S] [--segments N] [--per-state K] [--proto both|tcpx|tcp]
                [--batch B] [--state NAME[,NAME...]] [--show N] [--verbose]

In a private network namespace (the drill's: tun device drill0, the kernel
at 192.0.2.1, fake peers at 192.0.2.2 behind the tun; drill/README):

    [ private netns ]
      socket under test        192.0.2.1/24 tun "drill0"     this program
      AF_TCPX, then AF_INET <------------------------------>  fake peer
      127.0.0.1: 1 MiB pair    (same device for both: the     192.0.2.2
                                IP protocol tells them apart)

each batch brings one socket into every state (LISTEN, SYN-SENT, SYN-RCVD,
ESTABLISHED with data both ways and an out-of-order queue, FIN-WAIT-1,
FIN-WAIT-2, CLOSE-WAIT, CLOSING, LAST-ACK, TIME-WAIT, a listener answering
in SYN cookies) and writes K mutated segments (valid checksums) into each:
any flags, sequence and ACK numbers at the window edges and far away, any
window, options of every kind and length, bad data offsets, truncated
headers, 0..MSS+1 bytes of data.  The segments of a batch come from the
seed alone, relative to the peer's and the kernel's ISN, so the same batch
replays against a Linux TCP socket in the same state (--proto both, the
default), and what each kernel answers at once (a socket answers inside the
tun write) is compared: flags, seq/ack relative to the ISNs, zero window,
SACK blocks, the state afterwards.  Disagreements are counted by kind; a
kind of Documentation/fuzzing.rst's deliberate differences is "explained".

After each state: the socket is in a state its start state can reach (or
gone), /proc shows no wrapped queue.  After each batch: a fresh pair over
127.0.0.1 of the family under test moves 1 MiB exactly.  The last line is
    RESULT segments=N rate=R/s illegal=I transfer=T unexplained=U exception=E
and the exit status 0 when all of I T U E are 0, 1 otherwise, 4 to skip.
A failure prints the batch and the command that replays it.
"""

import argparse
import ctypes
import errno
import os
import random
import select
import signal
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'drill'))
from tcpx_drill import (LOCAL_IP, REMOTE_IP, Packet, drill_netns,  # noqa: E402
                        libc, render_flags, render_options, sockaddr_in,
                        unpack_sockaddr, write_sysctl, payload)
from tcpx_pkt import (ACK, FIN, MASK, PSH, RST, SYN,  # noqa: E402
                      encode_options, ip_packet, module_param, tcp_segment)

KSFT_SKIP = 4
MSS = 1460                      # the peer's, announced in every handshake
SOCK_NONBLOCK = 0o4000
SOL_SOCKET, SO_REUSEADDR, SO_LINGER = 1, 2, 13
SO_RCVTIMEO, SO_SNDTIMEO = 20, 21

# /proc/net/tcp's state numbers
(ESTAB, SYN_SENT, SYN_RECV, FIN_WAIT1, FIN_WAIT2, TIME_WAIT, CLOSE, CLOSE_WAIT,
 LAST_ACK, LISTEN, CLOSING, NEW_SYN_RECV) = range(1, 13)
STATE_NAME = {ESTAB: 'ESTABLISHED', SYN_SENT: 'SYN-SENT', SYN_RECV: 'SYN-RCVD',
              FIN_WAIT1: 'FIN-WAIT-1', FIN_WAIT2: 'FIN-WAIT-2', TIME_WAIT: 'TIME-WAIT',
              CLOSE: 'CLOSED', CLOSE_WAIT: 'CLOSE-WAIT', LAST_ACK: 'LAST-ACK',
              LISTEN: 'LISTEN', CLOSING: 'CLOSING', NEW_SYN_RECV: 'SYN-RCVD'}

# Each state: the relative numbers its setup leaves (what the kernel
# expects from the peer next, its SND.UNA and SND.NXT) and the states a
# peer alone can move it to (RFC 9293 3.3.2; gone, after a reset, is
# always legal).  A request sock shows as SYN_RECV or NEW_SYN_RECV.
STATES = {
    'SYN-SENT': (0, 0, 1, {SYN_SENT, SYN_RECV, NEW_SYN_RECV, ESTAB, CLOSE_WAIT}),
    'SYN-RCVD': (1, 0, 1, {SYN_RECV, NEW_SYN_RECV, ESTAB, CLOSE_WAIT}),
    'ESTABLISHED': (1001, 1, 3001, {ESTAB, CLOSE_WAIT}),
    'FIN-WAIT-1': (1, 1, 2, {FIN_WAIT1, FIN_WAIT2, CLOSING, TIME_WAIT}),
    'FIN-WAIT-2': (1, 2, 2, {FIN_WAIT2, TIME_WAIT}),
    'CLOSE-WAIT': (2, 1, 1, {CLOSE_WAIT}),
    'CLOSING': (2, 1, 2, {CLOSING, TIME_WAIT}),
    'LAST-ACK': (2, 1, 2, {LAST_ACK}),
    # A SYN above the old sequence space reopens it (RFC 6191).
    'TIME-WAIT': (2, 2, 2, {TIME_WAIT, SYN_RECV, NEW_SYN_RECV, ESTAB, CLOSE_WAIT}),
    'LISTEN': (0, 0, 0, {LISTEN}),
    'COOKIE-LISTEN': (0, 0, 0, {LISTEN}),
}
LISTENERS = ('LISTEN', 'COOKIE-LISTEN')
UNSCALED_MAX_WND = 8 << 20
# tcp_may_update_window() took a zero window at SND.WL1 from 6.12 on.
OLD_WL1_RULE = tuple(int(x) for x in os.uname().release.split('.')[:2]) < (6, 12)
# A SYN there draws a challenge ACK, never a SYN,ACK (RFC 5961 4.2).
SYNCHRONIZED = {ESTAB, SYN_RECV, FIN_WAIT1, FIN_WAIT2, CLOSE_WAIT, CLOSING, LAST_ACK}
# Reset, the 4-tuple is free: a SYN opens it anew through the listener.
REOPEN = {SYN_RECV, NEW_SYN_RECV, ESTAB, CLOSE_WAIT}

# Deliberate differences (Documentation/fuzzing.rst): reason -> text.
REASONS = {
    'delayed-ack': 'an ACK of new in-order data or a FIN may be delayed (RFC 9293 '
                   '3.8.6.3); when each kernel leaves quick-ACK mode is its own policy '
                   '(Linux delays the ACK of a FIN that leaves it in CLOSE-WAIT)',
    'delayed-ack-wup': 'a segment wholly old while one kernel still owes a delayed ACK: '
                       'the kernel that acknowledged has moved RCV.WUP and answers a '
                       'duplicate ACK (with its D-SACK); the other still finds it in its '
                       'window (tcp_sequence()) and processes it',
    'ack-unsent': 'ESTABLISHED, an ACK of data never sent: tcpx sends the ACK that '
                  'RFC 9293 3.10.7.4 and RFC 5961 5.2 ask for, as Linux does in its '
                  'other states and newer Linux (6.18) in this one too; 6.1 and 6.12 '
                  'drop it in silence',
    'oow-ratelimit': 'one duplicate/challenge ACK per socket per 500 ms (RFC 5961 7); '
                     'which segment of a burst gets it depends on the clock',
    'malformed-options': 'tcpx drops a segment whose option list is malformed (the '
                         'interface contract); Linux TCP stops parsing there and takes it',
    'fin-sack': 'the ACK of a FIN that ends the stream before data held out of order: '
                'Linux sends it before dropping that data, its SACK block reports it; '
                'tcpx drops first and reports only what it holds (RFC 2018)',
    'fin-again': 'after the peer\'s FIN, a segment that ends in a FIN one beyond it: '
                 'Linux queues it and acknowledges the second FIN; tcpx ignores text '
                 'and FIN after the first (RFC 9293 3.10.7.4, seventh and eighth)',
    'zero-window-wl1': 'a zero window at SND.WL1 that acknowledges nothing new: tcpx '
                       'takes it, as Linux 6.12 does (tcp_may_update_window()); 6.1 keeps '
                       'the old window and sends its ACK (to it or to a later segment) '
                       'at SND.NXT, not at the new edge',
    'stale-sack': 'the ACK of the FIN that ends FIN-WAIT-1 or FIN-WAIT-2: Linux sends it '
                  'before it updates its SACK blocks (tcp_fin()): they report data its '
                  'own ACK number covers, or data past the FIN it then drops; tcpx '
                  'reports only a duplicate (RFC 2018, 2883)',
    'dsack': 'tcpx reports fewer duplicates in a D-SACK block than Linux TCP '
             '(RFC 2883 is optional): the blocks are the same but TCP\'s first',
    'dsack-extent': 'both report a duplicate from the same sequence number in a '
                    'D-SACK block, each as far as the out-of-order segment it overlapped '
                    'in its own queue goes: the kernels cut and merge that queue '
                    'differently (RFC 2883 4.1)',
    'no-ack-flag': 'a segment without ACK, RST or SYN outside the window: tcpx answers '
                   'with an ACK as RFC 9293 3.10.7.4 orders the checks; Linux drops it '
                   'before the sequence check',
    'retransmit': 'retransmissions come from timers (RTO, TLP, RACK), which may '
                  'fire inside any injected segment\'s answer',
    'simopen-ack': 'after a simultaneous open, an ACK of our ISN (not of our SYN): '
                   'tcpx resets as RFC 9293 3.10.7.4 says for SYN-RECEIVED; Linux takes '
                   'SEG.ACK = SND.UNA there and is established',
    'window-edge': 'the segment lies between the two kernels\' right window edges: '
                   'each sizes its receive window itself, so one takes what the other '
                   'finds beyond its window',
}


class SetupError(Exception):
    """A state could not be reached: the kernel answered a setup segment
    with something else."""


# ---------------------------------------------------------------------------
# Mutations: segments relative to a flow, drawn from the seed alone

WINS = (0, 1460, 29200, 64240, 65483, 65535, 65536, 131072, 262144, 1 << 20, 1 << 30)


class Seg:
    """One segment, relative: seq to the peer's ISN, ack and SACK edges to
    the kernel's ISN, TS val to the peer's clock and ecr to the kernel's
    last TSval (('echo', d)) or absolute (('abs', v))."""

    def __init__(self, flow, flags, seq, ack, win, opts, dlen, doff=None, trunc=None):
        self.flow, self.flags, self.seq, self.ack = flow, flags, seq & MASK, ack & MASK
        self.win, self.opts, self.len, self.doff, self.trunc = win, opts, dlen, doff, trunc
        self.malformed = False
        self.sent_len = dlen    # the payload the kernel got (send(): after trunc)

    def seqlen(self):
        return self.sent_len + bool(self.flags & SYN) + bool(self.flags & FIN)


def opt_size(o):
    k = o[0]
    return {'mss': 4, 'wscale': 3, 'sackOK': 2, 'TS': 10, 'nop': 1, 'eol': 1}.get(k) or (
        2 + 8 * len(o[1]) if k == 'sack' else 2 + len(o[2]) if k == 'opt' else len(o[1]))


def gen_option(rng, model):
    """One option: every kind, every length, values at their limits."""
    una, nxt = model[1], model[2]
    r = rng.random()
    bad = rng.random() < 0.06
    if r < 0.15:
        v = rng.choice((0, 1, 12, 13, 47, 48, 88, 536, 1460, 1461, 65535, rng.randrange(65536)))
        if bad:
            return ('raw', bytes([2, rng.choice((0, 1, 2, 3, 5, 6, 40))]) + struct.pack('!H', v))
        return ('mss', v)
    if r < 0.27:
        v = rng.choice((0, 1, 7, 14, 15, 255, rng.randrange(256)))
        if bad:
            return ('raw', bytes([3, rng.choice((0, 1, 2, 4, 255)), v]))
        return ('wscale', v)
    if r < 0.35:
        return ('raw', bytes([4, rng.choice((0, 1, 3, 255))])) if bad else ('sackOK',)
    if r < 0.55:
        edges = [una, nxt, una - 1, nxt + 1, una + 1, nxt - 1, 0, 1 << 31,
                 una - 65536, nxt + 65536, rng.getrandbits(32), una + 1000, una + 1460]
        blocks = []
        for _ in range(rng.choice((1, 1, 2, 3, 4))):
            left = rng.choice(edges)
            right = rng.choice(edges + [left + rng.randrange(1, 3000)])
            blocks.append((left & MASK, right & MASK))
        if bad:
            return ('raw', bytes([5, rng.choice((2, 3, 9, 11, 255))]) +
                    b''.join(struct.pack('!II', *b) for b in blocks)[:rng.randrange(0, 33)])
        return ('sack', blocks)
    if r < 0.7:
        val = rng.choice((0, -1, -(1 << 31), 1 << 31, rng.getrandbits(32), 1 << 20))
        ecr = rng.choice((('echo', 0), ('echo', 0), ('echo', -1), ('echo', 1),
                          ('abs', 0), ('abs', rng.getrandbits(32))))
        o = ('TS', val, ecr)
        if bad:
            return ('raw', bytes([8, rng.choice((0, 2, 9, 11, 255))]) + bytes(8))
        return o
    if r < 0.82:
        kind = rng.choice((6, 7, 9, 14, 15, 19, 27, 28, 29, 30, 34, 253, 254,
                           rng.randrange(9, 256)))
        return ('opt', kind, bytes(rng.randrange(256) for _ in range(rng.randrange(0, 12))))
    if r < 0.96:
        return ('nop',) if rng.random() < 0.7 else ('eol',)
    # A length that lies: 0, 1 or past the end.
    return ('raw', bytes([rng.randrange(2, 256), rng.choice((0, 1, 38, 255))]))


def gen_segment(rng, state, model, flow, i):
    """The I-th mutated segment for a socket in STATE."""
    rnxt, una, nxt = model[0], model[1], model[2]
    if rng.random() < 0.35:
        flags = rng.randrange(256)
    elif state in LISTENERS and rng.random() < 0.5:
        flags = SYN
    else:
        flags = rng.choice((ACK, ACK, ACK | PSH, ACK | FIN, ACK | PSH | FIN, SYN, SYN | ACK,
                            RST, RST | ACK, FIN, 0, SYN | FIN, SYN | RST))
    dlen = rng.choice((0, 0, 0, 0, 1, rng.randrange(2, MSS), MSS, MSS + 1))
    r = rng.random()
    if r < 0.4:
        seq = rnxt + rng.choice((0, 0, 0, -1, 1, -dlen, 1000, 1001, 2001, 2501))
    elif r < 0.75:
        seq = rnxt + rng.choice(WINS) + rng.choice((-1, 0, 1)) - rng.choice((0, dlen))
    else:
        seq = rng.choice((0, rnxt - 65536, rnxt - 65537, rnxt + (1 << 31),
                          rnxt + (1 << 31) - 1, rng.getrandbits(32)))
    maxwin = 65535 << min(flow.peer_ws or 0, 14)
    r = rng.random()
    if r < 0.6:
        ack = rng.choice((una, nxt)) + rng.choice((0, 0, -1, 1))
    else:
        ack = rng.choice((una - maxwin, una - maxwin - 1, una - maxwin + 1, nxt + (1 << 31),
                          rng.getrandbits(32), 0, 1, nxt + 1000))
    win = rng.choice((0, 1, 512, 65535, 65535, rng.randrange(65536), 1 << rng.randrange(16)))
    opts, size = [], 0
    if flow.ts_ok and rng.random() < 0.8:
        opts.append(('TS', 1000 + i, ('echo', 0)))
        size = 10
    for _ in range(rng.choice((0, 0, 1, 1, 2, 3, 5))):
        o = gen_option(rng, model)
        if size + opt_size(o) > 40:
            break
        opts.insert(rng.randrange(len(opts) + 1), o)
        size += opt_size(o)
    doff = trunc = None
    r = rng.random()
    hdr = 20 + (size + 3) // 4 * 4
    if r < 0.04:
        doff = rng.randrange(0, 5)
    elif r < 0.08:
        doff = rng.randrange(min(hdr // 4 + 1, 15), 16)
    elif r < 0.12:
        trunc = rng.randrange(0, hdr + dlen + 1)
    return Seg(flow.idx, flags, seq, ack, win, opts, dlen, doff, trunc)


# ---------------------------------------------------------------------------
# Flows and what the kernel answers

class Flow:
    """One 4-tuple of an instance: the same numbers on both kernels, but the
    kernel's ISN, port, TSval and window scale are each kernel's own."""

    def __init__(self, idx, pport, peer_isn, ts_ok=True, sack_ok=True, peer_ws=7):
        self.idx, self.pport, self.peer_isn = idx, pport, peer_isn
        self.ts_ok, self.sack_ok, self.peer_ws = ts_ok, sack_ok, peer_ws
        self.kport = None
        self.kern_isn = None
        self.kern_ws = 0
        self.ts_kern = 0
        self.peer_ts = peer_isn ^ 0x5a5a5a5a
        self.snd_max = 0        # highest sequence the kernel sent, relative
        self.edge = None        # the furthest right window edge it advertised
        self.wnd_beyond = False  # its kernel's window may pass 65535 unscaled
        self.last_ack_t = -10.0

    def handshake_opts(self):
        opts = [('mss', MSS)]
        if self.sack_ok:
            opts.append(('sackOK',))
        if self.ts_ok:
            opts.append(('TS', 1, ('abs', 0)))
        if self.peer_ws is not None:
            opts += [('nop',), ('wscale', self.peer_ws)]
        return opts


class Resp:
    """A kernel segment, relative to the flow: what is compared."""

    def __init__(self, flow, p, t, to_syn=False):
        # Our SYN (or SYN,ACK) again, not answering a SYN where one can
        # (TO_SYN): from its timer.
        syn_again = p.flags & SYN and flow.kern_isn == p.seq and \
            (not p.flags & ACK or not to_syn)
        if p.flags & SYN:
            # Each kernel's ISN is its own (a clock and a secret, or a
            # cookie): a SYN's sequence number starts the count anew.
            flow.kern_isn = p.seq
            flow.snd_max = 0
            flow.kern_ws = 0        # a new connection: its own scale, if any
            for o in p.opts:
                if o[0] == 'wscale':
                    flow.kern_ws = min(o[1], 14)
        base = flow.kern_isn if flow.kern_isn is not None else 0
        for o in p.opts:
            if o[0] == 'TS':
                flow.ts_kern = o[1]
        self.t = t
        self.flags = p.flags
        self.seq = (p.seq - base) & MASK
        self.abs_seq = p.seq
        self.len = p.len
        self.ack = (p.ack - flow.peer_isn) & MASK if p.flags & ACK else None
        self.win = p.win
        ws = 0 if p.flags & SYN else flow.kern_ws
        wnd = p.win << ws
        if flow.wnd_beyond and not p.flags & SYN and not ws and p.win == 65535:
            # Unscaled, 65535 may stand for more: Linux keeps the window it
            # chose (rcv_wnd) beyond what the field can say, and takes a
            # segment up to that edge.  Its bound: the largest receive
            # buffer (tcp_rmem's 6 MiB), rounded up.
            wnd = UNSCALED_MAX_WND
        self.edge = (self.ack + wnd) & MASK if self.ack is not None else None
        if self.edge is not None and not p.flags & RST:
            flow.edge = further_edge(flow.edge, self.edge, p.flags & SYN)
        self.sack = tuple(tuple(((x - flow.peer_isn) & MASK) for x in b)
                          for o in p.opts if o[0] == 'sack' for b in o[1])
        self.opts = p.opts
        end = (self.seq + p.len + bool(p.flags & SYN) + bool(p.flags & FIN)) & MASK
        # Sequence space sent before: a retransmission.
        self.rtx = syn_again or (p.len or p.flags & FIN) and flow.kern_isn is not None and \
            seq_lt(self.seq, flow.snd_max) and not p.flags & SYN
        if flow.kern_isn is not None and seq_lt(flow.snd_max, end):
            flow.snd_max = end
        self.pure_ack = p.flags & ~PSH == ACK and not p.len

    def key(self):
        # A reset for a segment without ACK has sequence number 0.
        seq = 'zero' if self.flags & RST and self.abs_seq == 0 else self.seq
        return (self.flags, seq, self.len, self.ack, self.win == 0, self.sack)

    def render(self):
        s = '%s %d:%d(%d)' % (render_flags(self.flags), self.seq,
                              (self.seq + self.len) & MASK, self.len)
        if self.ack is not None:
            s += ' ack %d' % self.ack
        s += ' win %d' % self.win
        if self.opts:
            s += ' ' + render_options(self.opts)
        return s + (' (retransmission)' if self.rtx else '')


def malformed(raw):
    """The option list of a segment as sent is one the contract drops (a
    length below 2 or past the header, a known kind of the wrong length);
    Linux TCP stops parsing there and takes the segment."""
    if len(raw) < 20:
        return False
    doff = (raw[12] >> 4) * 4
    if doff < 20 or doff > len(raw):
        return False            # dropped by both, for the header
    opts, i = raw[20:doff], 0
    fixed = {2: (4,), 3: (3,), 4: (2,), 8: (10,)}
    while i < len(opts):
        kind = opts[i]
        if kind == 0:
            return False
        if kind == 1:
            i += 1
            continue
        if i + 1 >= len(opts) or opts[i + 1] < 2 or i + opts[i + 1] > len(opts):
            return True
        ln = opts[i + 1]
        if ln not in fixed.get(kind, (ln,)) or kind == 5 and (ln < 10 or (ln - 2) % 8):
            return True
        i += ln
    return False


def seq_lt(a, b):
    return ((a - b) & MASK) >> 31 == 1


# ---------------------------------------------------------------------------
# One kernel under test

class Stack:
    def __init__(self, name, tun):
        self.name = name
        self.tun = tun
        if name == 'tcpx':
            self.family = module_param('family', 18)
            self.ipproto = module_param('ipproto', 253)
            self.proc = '/proc/net/tcpx'
            self.cookie_sysctl = 'net/tcpx/syncookies'
        else:
            self.family, self.ipproto = 2, 6
            self.proc = '/proc/net/tcp'
            self.cookie_sysctl = 'net/ipv4/tcp_syncookies'
        self.fds = []

    # -- packets -------------------------------------------------------------
    def drain(self):
        """What the kernel has sent, as parsed segments of our protocol."""
        out = []
        while True:
            try:
                raw = os.read(self.tun, 65536)
            except BlockingIOError:
                return out
            try:
                p = Packet(time.monotonic(), raw, self.ipproto)
            except (struct.error, IndexError):
                continue
            if p.proto == self.ipproto and p.seg:
                out.append(p)

    def take(self, flow):
        """What the kernel sent of its own accord in a setup (a write's data,
        a shutdown's FIN), read as FLOW's: its window edge and sequence
        space count from there."""
        t = time.monotonic()
        return [Resp(flow, p, t) for p in self.drain()
                if p.dport == flow.pport and p.sport == flow.kport and p.dst == REMOTE_IP]

    def send(self, flow, seg, synced=False):
        """Write SEG on FLOW; the kernel's answer, read back at once: the
        tun write runs the receive path to its end, and what it sends is
        queued on the tun before write() returns."""
        self.drain()            # timers' output: not an answer
        base = flow.kern_isn if flow.kern_isn is not None else 0
        opts = []
        for o in seg.opts:
            if o[0] == 'TS':
                ecr = o[2][1] if o[2][0] == 'abs' else flow.ts_kern + o[2][1]
                opts.append(('TS', (flow.peer_ts + o[1]) & MASK, ecr & MASK))
            else:
                opts.append(o)
        raw = tcp_segment(REMOTE_IP, LOCAL_IP, self.ipproto, flow.pport, flow.kport,
                          flow.peer_isn + seg.seq, base + seg.ack, seg.flags, seg.win,
                          encode_options(opts, base)[:40], payload(seg.len, seg.seq),
                          doff=seg.doff, trunc=seg.trunc)
        seg.malformed = malformed(raw)
        # A cut segment carries what is left past its header (none if the
        # header itself is cut: the kernel drops it).
        hl = (raw[12] >> 4) * 4 if len(raw) > 12 else 0
        seg.sent_len = len(raw) - hl if 20 <= hl <= len(raw) else 0
        t = time.monotonic()
        os.write(self.tun, ip_packet(REMOTE_IP, LOCAL_IP, self.ipproto, raw))
        # A SYN,ACK may answer a SYN, but not in a synchronized state, and
        # once: a second one in the same answer is the timer's.
        out = []
        to_syn = seg.flags & SYN and not synced
        for p in self.drain():
            if p.dport == flow.pport and p.sport == flow.kport and p.dst == REMOTE_IP:
                out.append(Resp(flow, p, t, to_syn))
                if p.flags & (SYN | ACK) == SYN | ACK:
                    to_syn = False
        return out

    # -- sockets -------------------------------------------------------------
    def socket(self, nonblock=True):
        fd = libc.socket(self.family, 1 | (SOCK_NONBLOCK if nonblock else 0), 0)
        if fd < 0:
            raise OSError(ctypes.get_errno(), 'socket(%d)' % self.family)
        self.fds.append(fd)
        return fd

    def listener(self, addr, port):
        fd = self.socket()
        one = struct.pack('=i', 1)
        libc.setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, one, 4)
        check(libc.bind(fd, sockaddr_in(addr, port), 16), 'bind %s:%d' % (addr, port))
        check(libc.listen(fd, 1024), 'listen')
        return fd

    def accept(self, lfd, pport):
        """The child of peer port PPORT (others, from fuzzed handshakes, are
        kept for the cleanup)."""
        fd = self.accept_ready(lfd, pport).get(pport)
        if fd is None:
            raise SetupError('%s: accept: no child for peer port %d' % (self.name, pport))
        return fd

    def accept_ready(self, lfd, until=None):
        """The children LFD has ready, by peer port, up to the one of peer
        port UNTIL if given (a listener's instance follows its completed
        handshakes' states through them)."""
        out = {}
        while until not in out:
            fd = libc.accept(lfd, None, None)
            if fd < 0:
                break
            self.fds.append(fd)
            buf = ctypes.create_string_buffer(16)
            ln = ctypes.c_uint(16)
            libc.getpeername(fd, buf, ctypes.byref(ln))
            out[unpack_sockaddr(buf.raw)[2]] = fd
        return out

    def close_all(self):
        """Abort (linger 0) everything of the batch: nothing lingers on."""
        lg = struct.pack('=ii', 1, 0)
        for fd in self.fds:
            libc.setsockopt(fd, SOL_SOCKET, SO_LINGER, lg, 8)
            libc.close(fd)
        self.fds = []
        self.drain()

    def proc_states(self, kport, pport=None):
        """States of the sockets on local port KPORT (and peer port PPORT,
        192.0.2.2), with their tx and rx queues."""
        out = []
        with open(self.proc) as f:
            next(f)
            for row in f:
                w = row.split()
                lport = int(w[1].split(':')[1], 16)
                raddr, rport = w[2].split(':')
                if lport != kport:
                    continue
                if pport is None and int(rport, 16) != 0:
                    continue
                if pport is not None and (int(rport, 16) != pport or raddr != '020200C0'):
                    continue
                tx, rx = (int(x, 16) for x in w[4].split(':'))
                out.append((int(w[3], 16), tx, rx))
        return out


def check(ret, what):
    if ret < 0:
        raise SetupError('%s: %s' % (what, os.strerror(ctypes.get_errno())))
    return ret


# ---------------------------------------------------------------------------
# Instances: one socket in one state, its segments

STATE_ORDER = ('SYN-SENT', 'SYN-RCVD', 'ESTABLISHED', 'FIN-WAIT-1', 'FIN-WAIT-2',
               'CLOSE-WAIT', 'CLOSING', 'LAST-ACK', 'TIME-WAIT', 'LISTEN', 'COOKIE-LISTEN')
# What the setup of each state leaves in /proc.
SETUP_STATE = {'SYN-SENT': {SYN_SENT}, 'SYN-RCVD': {SYN_RECV, NEW_SYN_RECV},
               'ESTABLISHED': {ESTAB}, 'FIN-WAIT-1': {FIN_WAIT1}, 'FIN-WAIT-2': {FIN_WAIT2},
               'CLOSE-WAIT': {CLOSE_WAIT}, 'CLOSING': {CLOSING}, 'LAST-ACK': {LAST_ACK},
               'TIME-WAIT': {TIME_WAIT}}


def random_flow(rng, idx, pport):
    return Flow(idx, pport, rng.getrandbits(32), ts_ok=rng.random() < 0.85,
                sack_ok=rng.random() < 0.85,
                peer_ws=rng.choice((None, 0, 1, 7, 7, 14, 15, 255)))


class Instance:
    """STATE's socket of batch BATCH: its flows and segments, from the seed."""

    def __init__(self, seed, batch, state, count):
        rng = random.Random('%s:%d:%s' % (seed, batch, state))
        self.state, self.batch = state, batch
        si = STATE_ORDER.index(state)
        self.model = STATES[state][:3]
        self.flows = [random_flow(rng, 0, 1024 + (batch * 16 + si) % 19000)]
        self.segs = []
        for i in range(count):
            flow = self.flows[-1]
            if state in LISTENERS and (i == 0 or rng.random() < 0.6):
                # A listener: mostly new peers, sometimes the last one again.
                n = len(self.flows)
                flow = random_flow(rng, n, 20100 + (batch * count * 2 + n) % 45000)
                self.flows.append(flow)
            self.segs.append(gen_segment(rng, state, self.model, flow, i))


def setup_passive(stack, inst, f, lfd):
    """A passive open to STATE: SYN, SYN+ACK, ACK, then the state's moves."""
    st = inst.state

    def seg(flags, seq, ack, dlen=0, ts=0):
        opts = [('TS', ts + 1, ('echo', 0))] if f.ts_ok else []
        r = stack.send(f, Seg(0, flags, seq, ack, 65535, opts, dlen))
        return [x for x in r if not x.rtx]

    r = stack.send(f, Seg(0, SYN, 0, 0, 65535, f.handshake_opts(), 0))
    if [x.flags for x in r] != [SYN | ACK]:
        raise SetupError('%s: SYN answered by %s' % (stack.name, [x.render() for x in r]))
    if st == 'SYN-RCVD':
        return None
    seg(ACK, 1, 1, ts=1)
    fd = stack.accept(lfd, f.pport)
    # Every byte written goes at once (TCP's Minshall Nagle and tcpx's
    # classic one would hold a different tail back).
    libc.setsockopt(fd, 6, 1, struct.pack('=i', 1), 4)
    if st == 'ESTABLISHED':
        # Data both ways: 3000 bytes in flight from the kernel, 1000 in
        # order from the peer (unread), 500 more beyond a hole.
        data = payload(3000)
        if libc.write(fd, data, len(data)) != len(data):
            raise SetupError('%s: write of 3000 bytes' % stack.name)
        stack.take(f)
        seg(ACK | PSH, 1, 1, 1000, ts=2)
        seg(ACK | PSH, 2001, 1, 500, ts=3)
    elif st in ('FIN-WAIT-1', 'FIN-WAIT-2', 'TIME-WAIT', 'CLOSING'):
        check(libc.shutdown(fd, 1), 'shutdown')
        stack.take(f)
        if st in ('FIN-WAIT-2', 'TIME-WAIT'):
            seg(ACK, 1, 2, ts=2)
        if st == 'TIME-WAIT':
            seg(ACK | FIN, 1, 2, ts=3)
        if st == 'CLOSING':
            seg(ACK | FIN, 1, 1, ts=2)
    elif st in ('CLOSE-WAIT', 'LAST-ACK'):
        r = seg(ACK | FIN, 1, 1, ts=2)
        # Linux may delay the ACK of this FIN (tcp_fin()'s ping-pong
        # mode): wait for it, or it answers the first fuzzed segment.
        deadline = time.monotonic() + 0.5
        while not any(x.ack == 2 for x in r) and time.monotonic() < deadline:
            select.select([stack.tun], [], [], max(0, deadline - time.monotonic()))
            r = stack.take(f)
        if st == 'LAST-ACK':
            check(libc.shutdown(fd, 1), 'shutdown')
            stack.take(f)
    return fd


def setup_active(stack, f):
    """SYN-SENT: a connect() to the fake peer, its SYN read back."""
    fd = stack.socket()
    if libc.connect(fd, sockaddr_in(REMOTE_IP, f.pport), 16) == 0 or \
            ctypes.get_errno() != errno.EINPROGRESS:
        raise SetupError('%s: connect: %s' % (stack.name, os.strerror(ctypes.get_errno())))
    for p in stack.drain():
        if p.flags == SYN and p.dport == f.pport:
            f.kport = p.sport
            Resp(f, p, time.monotonic())
            return fd
    raise SetupError('%s: connect() sent no SYN' % stack.name)


class Outcome:
    """One instance on one kernel: the answers and the states after."""

    def __init__(self):
        self.answers = []       # per segment: [Resp]
        self.edges = {}         # flow -> the right edge after the setup
        self.before = []        # per segment: (the socket's state, snd_max)
        self.after = 'gone'
        self.illegal = None


def run_instance(stack, inst, lfd, lport, verbose):
    flows = [Flow(f.idx, f.pport, f.peer_isn, f.ts_ok, f.sack_ok, f.peer_ws)
             for f in inst.flows]
    for fl in flows:
        fl.wnd_beyond = stack.name == 'tcp'
    f = flows[0]
    st = inst.state
    fd = None
    if st == 'SYN-SENT':
        fd = setup_active(stack, f)
    elif st not in LISTENERS:
        f.kport = lport
        fd = setup_passive(stack, inst, f, lfd)
    if st in SETUP_STATE:
        got = {s for s, _, _ in stack.proc_states(f.kport, f.pport)}
        if not got or not got <= SETUP_STATE[st]:
            raise SetupError('%s: setup for %s left %s' % (
                stack.name, st, sorted(STATE_NAME.get(s, s) for s in got) or 'nothing'))
    out = Outcome()
    # The edges the setup left: the first segments are judged by them too.
    out.edges = {fl.idx: fl.edge for fl in flows if fl.edge is not None}
    children = {}       # a listener's: peer port -> the child accepted
    for i, seg in enumerate(inst.segs):
        sf = flows[seg.flow]
        if sf.kport is None:
            sf.kport = lport
        cfd = fd if fd is not None else children.get(sf.pport)
        state = tcp_state(cfd) if cfd is not None else None
        out.before.append((state, sf.snd_max))
        r = stack.send(sf, seg, state in SYNCHRONIZED)
        out.answers.append(r)
        if fd is None:
            children.update(stack.accept_ready(lfd))
        if verbose:
            print('  %s %s #%d < %s' % (stack.name, st, i, render_seg(seg)))
            for x in r:
                print('  %s %s #%d > %s' % (stack.name, st, i, x.render()))
    if st in LISTENERS:
        rows = stack.proc_states(lport)
        legal = {LISTEN}
    else:
        rows = stack.proc_states(f.kport, f.pport)
        legal = STATES[st][3] | (REOPEN if st != 'SYN-SENT' else set())
    states = sorted({s for s, _, _ in rows})
    out.after = ','.join(STATE_NAME.get(s, str(s)) for s in states) or 'gone'
    bad = [s for s in states if s not in legal]
    if fd is not None:
        # The socket itself, wherever /proc lists it (or not: closed).
        s = tcp_state(fd)
        out.after = 'socket %s, 4-tuple %s' % (STATE_NAME.get(s, str(s)), out.after)
        if s not in STATES[st][3] | {CLOSE}:
            bad.append(s)
    wrapped = [(tx, rx) for _, tx, rx in rows if tx >= 1 << 26 or rx >= 1 << 26]
    if st in LISTENERS and LISTEN not in states:
        out.illegal = 'the listener is gone (%s)' % out.after
    elif bad:
        out.illegal = 'state %s cannot follow %s' % (out.after, st)
    elif wrapped:
        out.illegal = 'queues (tx, rx) %s: wrapped' % wrapped
    return out


def tcp_state(fd):
    """tcpi_state of TCP_INFO (TCPX_INFO: IPPROTO_TCP is its synonym)."""
    buf = ctypes.create_string_buffer(8)
    ln = ctypes.c_uint(8)
    check(libc.getsockopt(fd, 6, 11, buf, ctypes.byref(ln)), 'TCP_INFO')
    return buf.raw[0]


def render_seg(seg):
    """SEG in drill syntax (TS val relative to the peer's clock, ecr to the
    kernel's TSval: the drill takes absolute ones)."""
    s = '%s %d:%d(%d)' % (render_flags(seg.flags), seg.seq, (seg.seq + seg.len) & MASK,
                          seg.len)
    if seg.flags & ACK or seg.ack:
        s += ' ack %d' % seg.ack
    s += ' win %d' % seg.win
    if seg.opts:
        opts = [('TS', o[1] & MASK, o[2][1] & MASK) if o[0] == 'TS' else o for o in seg.opts]
        s += ' ' + render_options(opts)
        if any(o[0] == 'TS' and o[2][0] == 'echo' for o in seg.opts):
            s += ' /* TS ecr: relative to the kernel\'s TSval */'
    if seg.doff is not None:
        s += ' doff %d' % seg.doff
    if seg.trunc is not None:
        s += ' trunc %d /* checksummed as cut */' % seg.trunc
    return s


# ---------------------------------------------------------------------------
# The differential

class Tally:
    def __init__(self):
        self.kinds = {}         # unexplained kind -> count
        self.explained = {}     # reason -> count
        self.examples = {}      # kind -> [text]
        self.compared = 0
        self.skipped = 0        # segments after an instance diverged

    def add(self, kind, text, show):
        self.kinds[kind] = self.kinds.get(kind, 0) + 1
        ex = self.examples.setdefault(kind, [])
        if len(ex) < show:
            ex.append(text)
            print(text)


def flags_list(rs):
    return '[%s]' % ' '.join(render_flags(r.flags) for r in rs) if rs else '[-]'


def further_edge(old, new, syn):
    """The right edge a receiver must still accept: the furthest it
    advertised (a window is not to shrink, RFC 9293 3.8.6.2.2, and scaling
    rounds the advertised one down), from its SYN on."""
    return new if old is None or syn or seq_lt(old, new) else old


def between_edges(seg, edges):
    """SEG has sequence space beyond the smaller of the two right window
    edges last advertised and before the larger, or starts beyond the
    smaller and not beyond the larger (a segment starting at the edge is
    in the window, as tcp_sequence() has it; one without data too)."""
    if None in edges or edges[0] == edges[1]:
        return False
    lo, hi = edges if seq_lt(edges[0], edges[1]) else edges[::-1]
    if seg.seqlen() and seq_lt(lo, (seg.seq + seg.seqlen()) & MASK) and seq_lt(seg.seq, hi):
        return True
    return seq_lt(lo, seg.seq) and not seq_lt(hi, seg.seq)


def is_dsack(blocks, ack):
    """The first SACK block reports a duplicate (RFC 2883 4): below the
    ACK number, or inside the second block."""
    first = blocks[0]
    if seq_lt(first[0], ack):
        return True
    return len(blocks) > 1 and not seq_lt(first[0], blocks[1][0]) and \
        not seq_lt(blocks[1][1], first[1])


def classify(seg, a, b, t_a, t_b, last_a, last_b, edges=(None, None), state=None,
             before=(None, 0), after=None, zero_wnd=False, owed=(None, None)):
    """('ok'|reason|None, what): None is an unexplained disagreement.
    BEFORE: the TCP socket's state and snd_max before SEG; AFTER: its state
    after (None: not known).  ZERO_WND: an earlier segment of the flow
    offered a zero window.  OWED: the ACK number of a delayed ACK each
    kernel owes on the flow, or None."""
    an = [r for r in a if not r.rtx]
    bn = [r for r in b if not r.rtx]
    if [r.key() for r in an] == [r.key() for r in bn]:
        if bool(len(an) != len(a)) != bool(len(bn) != len(b)):
            return 'retransmit', 'retransmission'
        return 'ok', None
    if seg.malformed:
        return 'malformed-options', 'answer'
    if between_edges(seg, edges):
        return 'window-edge', 'answer'
    if state == 'SYN-SENT' and seg.flags & ACK and seg.ack == 0 and \
            [(r.flags, r.seq) for r in an] == [(RST, 0)] and not any(r.flags & RST for r in bn):
        return 'simopen-ack', 'answer'
    if [r.key()[:-1] for r in an] == [r.key()[:-1] for r in bn] and all(
            y.sack and seq_lt(y.sack[0][0], y.ack) and not seq_lt(y.ack, y.sack[0][1])
            and x.sack == y.sack[1:] for x, y in zip(an, bn)):
        return 'dsack', 'sack'
    if [r.key()[:-1] for r in an] == [r.key()[:-1] for r in bn] and all(
            x.sack and y.sack and x.sack[0][0] == y.sack[0][0] and
            x.sack[0] != y.sack[0] and x.sack[1:] == y.sack[1:] and
            is_dsack(x.sack, x.ack) and is_dsack(y.sack, y.ack)
            for x, y in zip(an, bn)):
        return 'dsack-extent', 'sack'
    if not seg.flags & (ACK | RST | SYN) and not bn and [r.pure_ack for r in an] == [True]:
        return 'no-ack-flag', 'answer'
    # A zero window at SND.WL1 that acknowledges nothing new: tcpx takes
    # it, as Linux 6.12's tcp_may_update_window(); 6.1's keeps the old
    # window, so its ACK goes at SND.NXT, tcpx's at the new edge -- this
    # segment's ACK, or a later one's if the two answers to it agreed.
    if OLD_WL1_RULE and (seg.flags & ACK and seg.win == 0 or zero_wnd) and \
            before[0] in SYNCHRONIZED and \
            len(an) == len(bn) and all(
                x.key()[2:] == y.key()[2:] and x.flags == y.flags and x.pure_ack and
                y.seq == before[1] and seq_lt(x.seq, y.seq) for x, y in zip(an, bn)):
        return 'zero-window-wl1', 'seq'
    # TCP's ACK of the FIN that ended FIN-WAIT-1 or -2: no block but a
    # D-SACK block of tcpx's counts (the ACK went before tcp_fin() and
    # tcp_data_queue() updated the blocks).
    if before[0] in (FIN_WAIT1, FIN_WAIT2) and after in (CLOSING, TIME_WAIT, CLOSE) and \
            len(an) == len(bn) and all(
                x.key()[:-1] == y.key()[:-1] and y.ack is not None and x.sack != y.sack and
                len(x.sack) <= 1 and y.sack[:len(x.sack)] == x.sack and
                all(seq_lt(k[0], y.ack) for k in x.sack) for x, y in zip(an, bn)):
        return 'stale-sack', 'sack'
    end = (seg.seq + seg.seqlen()) & MASK
    if seg.flags & FIN and len(an) == len(bn) == 1 and an[0].pure_ack and bn[0].pure_ack:
        x, y = an[0], bn[0]
        # Blocks beyond the FIN, after what both report (a D-SACK block).
        n = len(x.sack)
        if x.key()[:-1] == y.key()[:-1] and y.ack == end and len(y.sack) > n and \
                y.sack[:n] == x.sack and all(seq_lt(y.ack, k[0]) for k in y.sack[n:]):
            return 'fin-sack', 'sack'
    # Linux's ACK of the second FIN may be delayed: none, or that one.
    if seg.flags & FIN and (state in ('CLOSE-WAIT', 'CLOSING', 'LAST-ACK') or
                            before[0] in (CLOSE_WAIT, CLOSING, LAST_ACK)) and \
            len(an) == 1 and an[0].pure_ack and an[0].ack == (end - 1) & MASK and \
            (seg.seq + seg.sent_len) & MASK == an[0].ack and \
            all(y.pure_ack and y.ack == end for y in bn) and len(bn) <= 1:
        return 'fin-again', 'ack'
    if before[0] == ESTAB and seg.flags & ACK and not seg.flags & (RST | SYN) and \
            seq_lt(before[1], seg.ack) and not bn and [r.pure_ack for r in an] == [True]:
        return 'ack-unsent', 'answer'
    # Old text or FIN, or an empty segment below RCV.NXT, while one kernel
    # owes the ACK of what came last: the other's duplicate ACK, the owing
    # one's own answer or none.
    for xs, ys, owed_y in ((an, bn, owed[1]), (bn, an, owed[0])):
        if owed_y is not None and (seg.seqlen() or seq_lt(seg.seq, owed_y)) and \
                not seq_lt(owed_y, end) and \
                len(xs) == 1 and xs[0].pure_ack and xs[0].ack == owed_y and \
                len(ys) <= 1 and all(y.pure_ack and y.ack == owed_y for y in ys):
            return 'delayed-ack-wup', 'answer'
    if len(an) + len(bn) == 1:
        one, silent_last, t = (an[0], last_b, t_b) if an else (bn[0], last_a, t_a)
        if one.pure_ack and (seg.sent_len or seg.flags & FIN) and one.ack == end:
            return 'delayed-ack', 'answer'
        if one.pure_ack and t - silent_last.get(seg.flow, -10) < 0.52:
            return 'oow-ratelimit', 'answer'
        return None, 'answer'
    if len(an) != len(bn):
        return None, 'answer'
    for x, y in zip(an, bn):
        for what, u, v in (('flags', x.flags, y.flags), ('seq', x.seq, y.seq),
                           ('ack', x.ack, y.ack), ('len', x.len, y.len),
                           ('zero-window', x.win == 0, y.win == 0), ('sack', x.sack, y.sack)):
            if u != v:
                return None, what
    return None, 'answer'


def late_ack(rs, owed):
    """RS without a first pure ACK of OWED: a delayed ACK whose timer fired
    while the next segment went in."""
    if owed is not None and len(rs) > 1 and rs[0].pure_ack and rs[0].ack == owed:
        return rs[1:]
    return rs


def compare(inst, oa, ob, tally, show, replay):
    last_a, last_b = {}, {}
    # flow -> the furthest right window edge advertised
    edge_a, edge_b = dict(oa.edges), dict(ob.edges)
    # flow -> the ACK number of an ACK a kernel delayed (delayed-ack)
    owed_a, owed_b = {}, {}
    # flows offered a zero window (zero-window-wl1)
    zero_wnd = set()
    for i, seg in enumerate(inst.segs):
        a, b = oa.answers[i], ob.answers[i]
        edges = (edge_a.get(seg.flow), edge_b.get(seg.flow))
        nxt = inst.segs[i + 1] if i + 1 < len(inst.segs) else None
        after = ob.before[i + 1][0] if nxt and nxt.flow == seg.flow else None
        zw = seg.flow in zero_wnd
        owes = (owed_a.get(seg.flow), owed_b.get(seg.flow))
        res, what = classify(seg, a, b, a[0].t if a else 0, b[0].t if b else 0,
                             last_a, last_b, edges, inst.state, ob.before[i], after, zw,
                             owes)
        if seg.flags & ACK and seg.win == 0:
            zero_wnd.add(seg.flow)
        # Else, a delayed ACK sent as its timer fired during this segment?
        a1, b1 = late_ack(a, owed_a.get(seg.flow)), late_ack(b, owed_b.get(seg.flow))
        if res is None and (a1, b1) != (a, b):
            res1, what1 = classify(seg, a1, b1, a[0].t if a else 0, b[0].t if b else 0,
                                   last_a, last_b, edges, inst.state, ob.before[i], after,
                                   zw, owes)
            if res1 is not None:
                res, what = ('delayed-ack' if res1 == 'ok' else res1), what1
        for rs, owed in ((a, owed_a), (b, owed_b)):
            if any(r.ack is not None for r in rs):
                owed.pop(seg.flow, None)
        if res == 'delayed-ack' and bool(a) != bool(b):
            (owed_b if a else owed_a)[seg.flow] = (a or b)[0].ack
        for rs, last, edge in ((a, last_a, edge_a), (b, last_b, edge_b)):
            for r in rs:
                if r.pure_ack:
                    last[seg.flow] = r.t
                if r.edge is not None and not r.flags & RST:
                    edge[seg.flow] = further_edge(edge.get(seg.flow), r.edge, r.flags & SYN)
        tally.compared += 1
        if res == 'ok' and seg.malformed:
            # Both silent, but TCP may have taken what tcpx dropped: the
            # states may be apart from here on.
            res = 'malformed-options'
        elif res == 'ok' and between_edges(seg, edges):
            # The same answer, but one kernel may have taken the segment
            # (a third ACK that made a child) and the other not.
            res = 'window-edge'
        if res == 'ok':
            continue
        if res is not None:
            tally.explained[res] = tally.explained.get(res, 0) + 1
            if res in ('malformed-options', 'window-edge', 'simopen-ack', 'fin-again',
                       'zero-window-wl1', 'delayed-ack-wup'):
                # One kernel took the segment (or its window), the other not.
                tally.skipped += len(inst.segs) - i - 1
                return
            continue
        kind = '%s: %s: tcpx %s tcp %s' % (inst.state, what, flags_list(a), flags_list(b))
        text = ['DISAGREE %s (batch %d, segment #%d)' % (kind, inst.batch, i),
                '  < %s' % render_seg(seg)]
        text += ['  tcpx > %s' % r.render() for r in a] or ['  tcpx > (nothing)']
        text += ['  tcp  > %s' % r.render() for r in b] or ['  tcp  > (nothing)']
        text.append('  replay: %s' % replay)
        tally.add(kind, '\n'.join(text), show)
        # What follows depends on the two states now apart: not compared.
        tally.skipped += len(inst.segs) - i - 1
        return
    if oa.after != ob.after:
        kind = '%s: state after: tcpx %s tcp %s' % (inst.state, oa.after, ob.after)
        tally.add(kind, 'DISAGREE %s (batch %d)\n  replay: %s' % (kind, inst.batch, replay),
                  show)


# ---------------------------------------------------------------------------
# 1 MiB over loopback

def transfer(stack, rng):
    """A fresh pair of STACK's family over 127.0.0.1 moves 1 MiB exactly:
    None, or what went wrong."""
    data = rng.randbytes(1 << 20)
    fds = []
    try:
        lfd = stack.socket(nonblock=False)
        fds.append(lfd)
        check(libc.bind(lfd, sockaddr_in('127.0.0.1', 0), 16), 'bind')
        check(libc.listen(lfd, 1), 'listen')
        buf = ctypes.create_string_buffer(16)
        ln = ctypes.c_uint(16)
        libc.getsockname(lfd, buf, ctypes.byref(ln))
        port = unpack_sockaddr(buf.raw)[2]
        cfd = stack.socket(nonblock=False)
        fds.append(cfd)
        tv = struct.pack('=qq', 30, 0)
        libc.setsockopt(cfd, SOL_SOCKET, SO_SNDTIMEO, tv, 16)
        check(libc.connect(cfd, sockaddr_in('127.0.0.1', port), 16), 'connect')
        afd = check(libc.accept(lfd, None, None), 'accept')
        fds.append(afd)
        libc.setsockopt(afd, SOL_SOCKET, SO_RCVTIMEO, tv, 16)
        err = []

        def writer():
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(cfd, view):]
                libc.shutdown(cfd, 1)
            except OSError as e:
                err.append('write: %s' % e)

        th = threading.Thread(target=writer, daemon=True)
        th.start()
        got = []
        while True:
            try:
                chunk = os.read(afd, 1 << 18)
            except OSError as e:
                return 'read: %s after %d bytes' % (e, sum(map(len, got)))
            if not chunk:
                break
            got.append(chunk)
        th.join(30)
        got = b''.join(got)
        if err:
            return err[0]
        if got != data:
            return '%d bytes arrived, %s' % (
                len(got), 'short' if len(got) != len(data) else 'corrupted')
        return None
    except (OSError, SetupError) as e:
        return str(e)
    finally:
        for fd in fds:
            libc.close(fd)
            if fd in stack.fds:
                stack.fds.remove(fd)


# ---------------------------------------------------------------------------

class Watchdog(Exception):
    pass


def on_alarm(sig, frame):
    raise Watchdog('a batch took more than %d s: the kernel is wedged or too slow' % BATCH_LIMIT)


BATCH_LIMIT = 300


def private_netns():
    """drill_netns() with a small TCP ehash of its own: /proc/net/tcp walks
    the whole table, 46 ms a read under the debug kernel's emulation at
    the boot-time size, 3 ms at this one.  The knob, read when a namespace
    is made, is set back at once (through the file opened before)."""
    path = '/proc/sys/net/ipv4/tcp_child_ehash_entries'
    if not os.path.exists(path):
        return drill_netns(True)
    fd = os.open(path, os.O_RDWR)
    try:
        old = os.pread(fd, 64, 0)
        os.pwrite(fd, b'256\n', 0)
        try:
            return drill_netns(True)
        finally:
            os.pwrite(fd, old, 0)
    finally:
        os.close(fd)


def run_batches(args, seed, states, names, batches):
    """Run BATCHES in a namespace of this process's own: (Tally, fails, segments)."""
    tun = private_netns()
    os.set_blocking(tun, False)
    # Cookies only where asked (the cookie listener), never by overflow.
    for k in ('net/ipv4/tcp_syncookies', 'net/tcpx/syncookies'):
        write_sysctl(k, 1)
    # Linux defers a duplicate ACK past the third by up to 1 ms (SACK
    # compression): it would answer the next segment.  tcpx sends each at
    # once (RFC 5681 4.2); so does TCP here.
    write_sysctl('net/ipv4/tcp_comp_sack_nr', 0)
    stacks = [Stack(n, tun) for n in names]
    signal.signal(signal.SIGALRM, on_alarm)
    tally = Tally()
    fails = {'illegal': 0, 'transfer': 0, 'exception': 0}
    nseg = 0
    for b in batches:
        replay = '%s --seed %d --per-state %d --batch %d --proto %s' % (
            sys.argv[0], seed, args.per_state, b, args.proto)
        signal.alarm(BATCH_LIMIT)
        try:
            insts = [Instance(seed, b, s, args.per_state) for s in states]
            outs = {}
            for stack in stacks:
                lport = 2000 + (2 * b) % 28000
                lfd = stack.listener(LOCAL_IP, lport)
                outs[stack.name] = []
                for inst in insts:
                    cookie = inst.state == 'COOKIE-LISTEN'
                    if cookie:
                        write_sysctl(stack.cookie_sysctl, 2)
                        clfd = stack.listener(LOCAL_IP, lport + 1)
                    try:
                        o = run_instance(stack, inst, clfd if cookie else lfd,
                                         lport + cookie, args.verbose)
                    finally:
                        if cookie:
                            write_sysctl(stack.cookie_sysctl, 1)
                    outs[stack.name].append(o)
                    if o.illegal:
                        fails['illegal'] += 1
                        print('ILLEGAL %s %s (batch %d): %s\n  replay: %s --state %s' % (
                            stack.name, inst.state, b, o.illegal, replay, inst.state))
                stack.close_all()
                err = transfer(stack, random.Random('%d:%d:xfer' % (seed, b)))
                if err:
                    fails['transfer'] += 1
                    print('TRANSFER %s after batch %d: %s\n  replay: %s' % (
                        stack.name, b, err, replay))
            nseg += sum(len(i.segs) for i in insts)
            if len(stacks) == 2:
                for inst, oa, ob in zip(insts, outs['tcpx'], outs['tcp']):
                    compare(inst, oa, ob, tally, args.show, replay + ' --state ' + inst.state)
        except (SetupError, OSError, Watchdog) as e:
            fails['exception'] += 1
            print('EXCEPTION in batch %d: %r\n  replay: %s' % (b, e, replay))
            for stack in stacks:
                stack.close_all()
        finally:
            signal.alarm(0)
        sys.stdout.flush()
    return tally, fails, nseg


def main():
    ap = argparse.ArgumentParser(description='Segment fuzzer, tcpx against Linux TCP.')
    ap.add_argument('--seed', type=int, default=None)
    ap.add_argument('--segments', type=int, default=2000,
                    help='mutated segments into the kernel under test (default 2000)')
    ap.add_argument('--per-state', type=int, default=40, metavar='K',
                    help='segments per state and batch (default 40)')
    ap.add_argument('--proto', choices=('both', 'tcpx', 'tcp'), default='both')
    ap.add_argument('--batch', type=int, default=None, help='run this batch only')
    ap.add_argument('--state', default=None, help='these states only (comma-separated)')
    ap.add_argument('--show', type=int, default=2, help='examples printed per kind')
    ap.add_argument('--verbose', '-v', action='store_true')
    args = ap.parse_args()
    seed = args.seed if args.seed is not None else random.SystemRandom().getrandbits(32)
    states = args.state.split(',') if args.state else list(STATE_ORDER)
    for s in states:
        if s not in STATES:
            ap.error('unknown state %s (%s)' % (s, ' '.join(STATE_ORDER)))
    names = ('tcpx', 'tcp') if args.proto == 'both' else (args.proto,)

    if os.geteuid() != 0:
        print('SKIP: needs root (namespaces, tun)')
        return KSFT_SKIP
    if 'tcpx' in names and not os.path.isdir('/sys/module/tcpx'):
        print('SKIP: the tcpx module is not loaded')
        return KSFT_SKIP
    if 'tcp' in names and 'COOKIE-LISTEN' in states and \
            not os.path.exists('/proc/sys/net/ipv4/tcp_syncookies'):
        # A listener without cookies is no reference for one with them.
        print('ERROR: this kernel\'s TCP has no SYN cookies (CONFIG_SYN_COOKIES); '
              'leave COOKIE-LISTEN out with --state, or --proto tcpx')
        return 1
    per_batch = args.per_state * len(states)
    batches = ([args.batch] if args.batch is not None else
               range(max(1, -(-args.segments // per_batch))))
    print('seed %d: %d batches of %d segments (%d per state, %s), kernels: %s' % (
        seed, len(batches), per_batch, args.per_state, ','.join(states), ' '.join(names)),
        flush=True)
    t0 = time.monotonic()
    tally, fails, nseg = run_batches(args, seed, states, names, batches)
    dt = time.monotonic() - t0
    print('disagreements (unexplained), by kind:')
    for k, n in sorted(tally.kinds.items(), key=lambda kv: -kv[1]):
        print('  %6d  %s' % (n, k))
    print('deliberate differences (Documentation/fuzzing.rst):')
    for k, n in sorted(tally.explained.items()):
        print('  %6d  %s: %s' % (n, k, REASONS[k]))
    print('compared %d segments, %d not compared after a disagreement' % (
        tally.compared, tally.skipped))
    unexplained = sum(tally.kinds.values())
    print('RESULT seed=%d segments=%d injected=%d seconds=%.1f rate=%.1f/s illegal=%d '
          'transfer=%d unexplained=%d exception=%d' % (
              seed, nseg, nseg * len(names), dt, nseg / dt if dt else 0, fails['illegal'],
              fails['transfer'], unexplained, fails['exception']))
    return 1 if unexplained or any(fails.values()) else 0


if __name__ == '__main__':
    sys.exit(main())
