#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""tcpx_drill.py: replay packetdrill-style scripts against AF_TCPX or TCP.

    tcpx_drill.py [--proto tcpx|tcp] [--ip 4|6] [--tolerance MS] [--limit S] [--jobs N]
                  [--verbose] SCRIPT...

Each script runs in a private network namespace of its own (unshare), with
a tun device standing in for the network:

    [ private netns ]
      socket under test        192.0.2.1/24 tun "drill0"     this program
      (AF_TCPX or AF_INET)  <------------------------------>  fake peers
                               198.51.100.0/24 via drill0     192.0.2.2 (default)
                                                              198.51.100.x

With --ip 6 the same over IPv6 (README: scripts are written in IPv4 terms
and translated): 2001:db8::1/64 on drill0, peers 2001:db8::2 (default)
and 2001:db8:1::x (2001:db8:1::/64 via drill0), an AF_INET6 socket (or
AF_TCPX with struct sockaddr_in6 addresses); every MTU 20 bytes larger
(drill0's 1520), so every MSS is the same as over IPv4.

Socket calls run on a real socket of the kernel under test; segment lines
inject packets into the tun device (`<`) or expect the kernel to send them
(`>`).  The syntax is a subset of packetdrill's, see README beside this file.
Python 3 standard library only.  Exit status: 0 all scripts passed, 1 some
script failed, 2 usage error, 4 a prerequisite is missing (skip).
"""

import argparse
import ctypes
import errno
import fcntl
import os
import random
import re
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
from tcpx_pkt import (MASK, csum16, decode_options, encode_options,  # noqa: E402
                      ip_packet, is_ip6, module_param, segment_csum, tcp_segment)

LOCAL_IP = '192.0.2.1'          # the kernel's address, on the tun device
REMOTE_IP = '192.0.2.2'         # the default fake peer
EXTRA_NET = '198.51.100.0/24'   # more fake peers, routed via the tun
TUN_NAME = 'drill0'
DEF_LOCAL_PORT = 8080           # bind(fd, ..., ...) and connect(fd, ..., ...)
DEF_REMOTE_PORT = 40000         # the default peer's port for passive opens

# --ip 6: the same network in IPv6 documentation prefixes (RFC 3849).
# Scripts name IPv4 addresses; ADDR6_OF maps each prefix (a script's
# 192.0.2.7 is 2001:db8::7, its 198.51.100.7 2001:db8:1::7).
LOCAL_IP6 = '2001:db8::1'
REMOTE_IP6 = '2001:db8::2'
EXTRA_NET6 = '2001:db8:1::/64'
ADDR6_OF = {'192.0.2.': '2001:db8::', '198.51.100.': '2001:db8:1::'}
# Every MTU is 20 bytes larger over IPv6 (its header's 40 bytes less
# IPv4's 20), so that every MSS stays what the script says, as packetdrill
# runs its scripts over IPv6: drill0's 1500 is 1520 (link MSS 1460 both
# ways), an ICMP "mtu N" goes as a Packet Too Big of N + 20.
IP6_HDR_EXTRA = 20
IPV6_MIN_MTU = 1280
# IPv6 extension headers (RFC 8200 4).  Packet walks the chain only to
# find ICMPv6 behind it (MLD reports come after hop-by-hop); a segment
# behind any of them is reported unparsable (none is expected).
IP6_EXT_HDRS = {0: 'hop-by-hop', 43: 'routing', 44: 'fragment',
                50: 'ESP', 51: 'AH', 60: 'destination options',
                135: 'mobility', 139: 'HIP', 140: 'shim6'}

KSFT_SKIP = 4

# ---------------------------------------------------------------------------
# Constants scripts may name (Linux, x86-64 / generic).

SYMBOLS = {
    'AF_INET': 2, 'PF_INET': 2, 'AF_INET6': 10, 'PF_INET6': 10,
    'SOCK_STREAM': 1, 'SOCK_DGRAM': 2, 'SOCK_NONBLOCK': 0o4000,
    'SOCK_CLOEXEC': 0o2000000,
    'IPPROTO_IP': 0, 'IPPROTO_TCP': 6, 'IPPROTO_TCPX': 253,
    'SOL_SOCKET': 1, 'SOL_TCP': 6, 'SOL_IP': 0,
    'SO_DEBUG': 1, 'SO_REUSEADDR': 2, 'SO_TYPE': 3, 'SO_ERROR': 4,
    'SO_SNDBUF': 7, 'SO_RCVBUF': 8, 'SO_KEEPALIVE': 9, 'SO_LINGER': 13,
    'SO_REUSEPORT': 15, 'SO_RCVLOWAT': 18, 'SO_PROTOCOL': 38,
    'SO_DOMAIN': 39,
    'TCP_NODELAY': 1, 'TCP_MAXSEG': 2, 'TCP_CORK': 3, 'TCP_KEEPIDLE': 4,
    'TCP_KEEPINTVL': 5, 'TCP_KEEPCNT': 6, 'TCP_SYNCNT': 7, 'TCP_LINGER2': 8,
    'TCP_WINDOW_CLAMP': 10, 'TCP_INFO': 11, 'TCP_QUICKACK': 12,
    'TCP_USER_TIMEOUT': 18, 'TCP_NOTSENT_LOWAT': 25,
    'TCPX_NODELAY': 1, 'TCPX_MAXSEG': 2, 'TCPX_CORK': 3, 'TCPX_KEEPIDLE': 4,
    'TCPX_KEEPINTVL': 5, 'TCPX_KEEPCNT': 6, 'TCPX_SYNCNT': 7,
    'TCPX_LINGER2': 8, 'TCPX_INFO': 11, 'TCPX_USER_TIMEOUT': 18,
    'SHUT_RD': 0, 'SHUT_WR': 1, 'SHUT_RDWR': 2,
    'F_GETFL': 3, 'F_SETFL': 4,
    'O_RDONLY': 0, 'O_WRONLY': 1, 'O_RDWR': 2, 'O_NONBLOCK': 0o4000,
    'POLLIN': 0x1, 'POLLPRI': 0x2, 'POLLOUT': 0x4, 'POLLERR': 0x8,
    'POLLHUP': 0x10, 'POLLNVAL': 0x20, 'POLLRDNORM': 0x40,
    'POLLRDBAND': 0x80, 'POLLWRNORM': 0x100, 'POLLWRBAND': 0x200,
    'POLLRDHUP': 0x2000,
    'MSG_OOB': 0x1, 'MSG_PEEK': 0x2, 'MSG_DONTWAIT': 0x40,
    'MSG_WAITALL': 0x100, 'MSG_NOSIGNAL': 0x4000, 'MSG_MORE': 0x8000,
}
SYMBOLS.update({name: getattr(errno, name) for name in errno.errorcode.values()})
POLL_NAMES = [(n, v) for n, v in SYMBOLS.items()
              if n.startswith('POLL') and n != 'POLLWRNORM']

# TCP header flags, in the order packetdrill prints them.
FLAG_BITS = [('S', 0x02), ('F', 0x01), ('R', 0x04), ('P', 0x08),
             ('.', 0x10), ('U', 0x20), ('E', 0x40), ('W', 0x80)]
FLAG_OF = dict(FLAG_BITS)

ICMP_TYPES = {'echo-reply': 0, 'unreachable': 3, 'time-exceeded': 11,
              'echo-request': 8}
ICMP_UNREACH_CODES = {'net': 0, 'host': 1, 'proto': 2, 'protocol': 2,
                      'port': 3, 'frag-needed': 4}
# Over IPv6 (script ICMP is ICMPv4): (type, code) -> the ICMPv6 (type,
# code) icmpv6_err_convert() maps to the errno (and hard/soft kind)
# icmp_err_convert() gives the IPv4 one; code None: any code.  Others
# have none (protocol unreachable's ENOPROTOOPT, the hard EHOSTUNREACH
# of the administrative codes): a script using them is IPv4 only.
ICMP6_OF = {(3, 0): (1, 0),     # net unreachable: no route, ENETUNREACH
            (3, 1): (1, 3),     # host: address unreachable, EHOSTUNREACH
            (3, 3): (1, 4),     # port unreachable, ECONNREFUSED
            (3, 4): (2, 0),     # fragmentation needed: Packet Too Big
            (3, 11): (1, 0),    # net unreachable for TOS
            (3, 12): (1, 3),    # host unreachable for TOS
            (11, None): (3, None)}  # time exceeded (code kept)
ICMP6_OF_TYPE = {0: 129, 8: 128}    # echo reply, request (code kept)
ICMP_PROTOS = (1, 58)           # ICMP, ICMPv6


class ScriptError(Exception):
    """A script that cannot be parsed."""


class Failure(Exception):
    """A script line whose expectation did not hold."""

    def __init__(self, line, what, details=()):
        super().__init__(what)
        self.line = line
        self.what = what
        self.details = list(details)


# ---------------------------------------------------------------------------
# Addresses and numbers

def socket_aton(addr):
    parts = addr.split('.')
    if len(parts) != 4:
        raise ValueError('bad IPv4 address %r' % addr)
    return bytes(int(p) for p in parts)


def socket_ntoa(b):
    return '.'.join(str(x) for x in b)


def parse_num(tok, wild_ok=False):
    """Integer literal (decimal or 0x hex); `*` is a wildcard (None)."""
    if wild_ok and tok == '*':
        return None
    try:
        return int(tok, 0)
    except ValueError:
        raise ScriptError('expected a number, got %r' % tok) from None


def ranged(tok, top, wild_ok=False):
    v = parse_num(tok, wild_ok)
    if v is not None and not 0 <= v <= top:
        raise ScriptError('%s is out of range (0..%d)' % (tok, top))
    return v


def parse_endpoint(tok):
    """ADDR:PORT, ADDR, :PORT, [ADDR6]:PORT, [ADDR6] -> (addr or None,
    port or None)."""
    m = re.match(r'^\[([0-9A-Fa-f:.]+)\](?::(\d*))?$', tok)
    if m:
        try:
            addr = socket.inet_ntop(socket.AF_INET6,
                                    socket.inet_pton(socket.AF_INET6, m.group(1)))
        except OSError:
            raise ScriptError('bad address %r' % tok) from None
        port = m.group(2) or ''
        return (addr, ranged(port, 0xffff) if port else None)
    if ':' in tok:
        addr, port = tok.rsplit(':', 1)
    else:
        addr, port = tok, ''
    if addr:
        try:
            socket_aton(addr)
        except ValueError:
            raise ScriptError('bad address %r' % tok) from None
    return (addr or None, ranged(port, 0xffff) if port else None)


def endpoint(addr, port):
    """ADDR:PORT, [ADDR]:PORT for IPv6."""
    return ('[%s]:%s' if is_ip6(addr or '') else '%s:%s') % (addr, port)


def addr6_of(addr):
    """A script's IPv4 address as its --ip 6 counterpart (ADDR6_OF;
    0.0.0.0 is ::), None if it has none.  IPv6 ones are kept."""
    if is_ip6(addr):
        return addr
    if addr == '0.0.0.0':
        return '::'
    for v4, v6 in ADDR6_OF.items():
        if addr.startswith(v4):
            # 192.0.2.10 is 2001:db8::10: the digits kept, read as hex
            return socket.inet_ntop(socket.AF_INET6, socket.inet_pton(
                socket.AF_INET6, v6 + str(int(addr[len(v4):]))))
    return None


# ---------------------------------------------------------------------------
# TCP options: lists of tuples
#   ('mss', n) ('wscale', n) ('sackOK',) ('sack', [(l, r), ...])
#   ('TS', val, ecr) ('nop',) ('eol',) ('opt', kind, data) ('raw', data)
# Numbers may be None (wildcard `*`) in expected options.  Sack edges are
# relative sequence numbers in scripts and absolute on the wire.

def parse_options(text):
    opts, wild = [], False
    if not text.strip():
        return opts, wild
    for item in text.split(','):
        w = item.split()
        if not w:
            raise ScriptError('empty option in <%s>' % text)
        k = w[0]
        try:
            if k == '...' and len(w) == 1:
                wild = True
            elif k == 'mss' and len(w) == 2:
                opts.append(('mss', ranged(w[1], 0xffff, True)))
            elif k == 'wscale' and len(w) == 2:
                opts.append(('wscale', ranged(w[1], 0xff, True)))
            elif k == 'sackOK' and len(w) == 1:
                opts.append(('sackOK',))
            elif k == 'sack' and len(w) >= 2:
                blocks = []
                for b in w[1:]:
                    left, right = b.split(':')
                    blocks.append((ranged(left, MASK, True), ranged(right, MASK, True)))
                opts.append(('sack', blocks))
            elif k == 'TS' and len(w) == 5 and w[1] == 'val' and w[3] == 'ecr':
                m = re.fullmatch(r'tsval([+-]\d+)?', w[4])
                ecr = ('tsval', int(m.group(1) or 0)) if m else ranged(w[4], MASK, True)
                opts.append(('TS', ranged(w[2], MASK, True), ecr))
            elif k == 'nop' and len(w) == 1:
                opts.append(('nop',))
            elif k == 'eol' and len(w) == 1:
                opts.append(('eol',))
            elif k == 'opt' and len(w) >= 2:
                opts.append(('opt', ranged(w[1], 0xff), bytes.fromhex(''.join(w[2:]))))
            elif k == 'raw' and len(w) >= 2:
                opts.append(('raw', bytes.fromhex(''.join(w[1:]))))
            else:
                raise ScriptError('unknown option %r' % item.strip())
        except ValueError:
            raise ScriptError('bad option %r' % item.strip()) from None
    return opts, wild


def relative_sack(opts, base):
    return [('sack', [((l - base) & MASK, (r - base) & MASK) for l, r in o[1]])
            if o[0] == 'sack' else o for o in opts]


def render_options(opts, wild=False):
    def n(v):
        if isinstance(v, tuple):
            return 'tsval%+d' % v[1] if v[1] else 'tsval'
        return '*' if v is None else str(v)
    items = []
    for o in opts:
        k = o[0]
        if k in ('mss', 'wscale'):
            items.append('%s %s' % (k, n(o[1])))
        elif k == 'sack':
            items.append('sack ' + ' '.join('%s:%s' % (n(l), n(r)) for l, r in o[1]))
        elif k == 'TS':
            items.append('TS val %s ecr %s' % (n(o[1]), n(o[2])))
        elif k == 'opt':
            items.append(('opt %d %s' % (o[1], o[2].hex())).strip())
        elif k == 'raw':
            items.append('raw ' + ' '.join('%02x' % x for x in o[1]))
        else:
            items.append(k)
    if wild:
        items.append('...')
    return '<%s>' % ','.join(items)


def option_matches(exp, act):
    if exp[0] != act[0] or len(exp) != len(act):
        return False
    if exp[0] == 'sack':
        if len(exp[1]) != len(act[1]):
            return False
        return all((e[0] is None or e[0] == a[0]) and (e[1] is None or e[1] == a[1])
                   for e, a in zip(exp[1], act[1]))
    return all(e is None or e == a for e, a in zip(exp[1:], act[1:]))


def options_match(exp, wild, act):
    if not wild:
        return len(exp) == len(act) and all(map(option_matches, exp, act))
    left = list(act)
    for e in exp:
        for i, a in enumerate(left):
            if option_matches(e, a):
                del left[i]
                break
        else:
            return False
    return True


# ---------------------------------------------------------------------------
# Flags

def parse_flags(s):
    if s == '-':
        return 0
    f = 0
    for ch in s:
        if ch not in FLAG_OF or f & FLAG_OF[ch]:
            raise ScriptError('bad flags %r (S F R P . U E W, or - for none)' % s)
        f |= FLAG_OF[ch]
    return f


def render_flags(f):
    return ''.join(ch for ch, b in FLAG_BITS if f & b) or '-'


# ---------------------------------------------------------------------------
# Script lines

class Line:
    """One statement.  kind: 'inject', 'expect', 'icmp', 'silence', 'call'."""

    def __init__(self, path, lineno, text):
        self.path = path
        self.lineno = lineno
        self.text = text
        self.guard = None
        self.rel = True         # start time relative to the previous event
        self.start = 0.0
        self.end_kind = None    # None, '...' (blocking call) or '~' (range)
        self.end_rel = False
        self.end = 0.0
        self.kind = None
        self.seg = None
        self.call = None
        self.icmp = None

    def where(self):
        return '%s:%d' % (self.path, self.lineno)


class SegSpec:
    def __init__(self):
        self.dir = None
        self.flags = 0
        self.seq = 0
        self.len = 0
        self.ack = None
        self.win = None
        self.opts = None
        self.wild = False
        self.csum = None        # None (correct), 'bad', or an int to put there
        self.doff = None
        self.trunc = None
        self.urg = None
        self.src = (None, None)
        self.dst = (None, None)
        self.edge = False       # START relative to the advertised right edge

    def render(self):
        s = '%s %s %d:%d(%d)' % (self.dir, render_flags(self.flags), self.seq,
                                 (self.seq + self.len) & MASK, self.len)
        if self.ack is not None:
            s += ' ack %d' % self.ack
        if self.win is not None:
            s += ' win %d' % self.win
        if self.opts is not None:
            s += ' ' + render_options(self.opts, self.wild)
        for name in ('csum', 'doff', 'trunc', 'urg'):
            if getattr(self, name) is not None:
                s += ' %s %s' % (name, getattr(self, name))
        for name in ('src', 'dst'):
            a, p = getattr(self, name)
            if a or p is not None:
                s += ' %s %s' % (name, endpoint(a or '', '' if p is None else p))
        if self.edge:
            s += ' edge'
        return s


class CallSpec:
    def __init__(self, name, args, ret, err):
        self.name = name
        self.args = args        # argument strings, split on top-level commas
        self.ret = ret          # expected return value (socket/accept: the fd)
        self.err = err          # expected errno when ret == -1, else None


# Calls scripts may make, with their least number of arguments.
CALLS = {'socket': 3, 'bind': 3, 'listen': 2, 'connect': 3, 'accept': 3,
         'write': 3, 'send': 4, 'read': 3, 'recv': 4, 'shutdown': 2,
         'close': 1, 'setsockopt': 5, 'getsockopt': 5, 'poll': 3,
         'fcntl': 2, 'getsockname': 3, 'getpeername': 3}


TIME_RE = r'(\+?)(\d+\.?\d*|\.\d+)'
START_RE = re.compile(r'^%s(?:(\.\.\.|~)%s)?$' % (TIME_RE, TIME_RE))
SEQ_RE = re.compile(r'^(\d+):(\d+)\((\d+)\)$')
CALL_RE = re.compile(r'^([a-z_]+)\((.*)\)\s*=\s*(-?\w+)\s*(\w+)?\s*(\(.*\))?\s*$')


def split_args(s):
    """Split on top-level commas."""
    out, depth, cur = [], 0, ''
    for ch in s:
        if ch in '([{':
            depth += 1
        elif ch in ')]}':
            depth -= 1
        if ch == ',' and depth == 0:
            out.append(cur.strip())
            cur = ''
        else:
            cur += ch
    if cur.strip() or out:
        out.append(cur.strip())
    return out


def parse_segment(words, opts_text):
    spec = SegSpec()
    spec.dir = words[0]
    if len(words) < 3:
        raise ScriptError('segment needs: DIR FLAGS SEQ:END(LEN)')
    spec.flags = parse_flags(words[1])
    m = SEQ_RE.match(words[2])
    if not m:
        raise ScriptError('bad sequence %r (want START:END(LEN))' % words[2])
    start, end, ln = (int(x) for x in m.groups())
    if (start + ln) & MASK != end & MASK:
        raise ScriptError('%s: END must be START + LEN' % words[2])
    spec.seq, spec.len = start & MASK, ln
    i = 3
    while i < len(words):
        w = words[i]
        if w == '<opts>':
            spec.opts, spec.wild = parse_options(opts_text)
            i += 1
            continue
        if w == 'edge' and spec.dir == '<':
            spec.edge = True
            i += 1
            continue
        if i + 1 >= len(words):
            raise ScriptError('%r needs a value' % w)
        v = words[i + 1]
        if w == 'ack':
            spec.ack = parse_num(v) & MASK
        elif w == 'win':
            spec.win = ranged(v, 0xffff)
        elif w == 'csum':
            spec.csum = 'bad' if v == 'bad' else ranged(v, 0xffff)
        elif w == 'doff':
            spec.doff = ranged(v, 15)
        elif w == 'trunc':
            spec.trunc = ranged(v, 0xffff)
        elif w == 'urg':
            spec.urg = ranged(v, 0xffff)
        elif w == 'src':
            spec.src = parse_endpoint(v)
        elif w == 'dst':
            spec.dst = parse_endpoint(v)
        else:
            raise ScriptError('unknown segment clause %r' % w)
        i += 2
    if spec.dir == '>' and (spec.csum is not None or spec.doff is not None or
                            spec.trunc is not None):
        raise ScriptError('csum/doff/trunc apply to injected (<) segments only')
    if spec.dir == '<' and spec.flags & 0x10 and spec.ack is None:
        raise ScriptError('an injected segment with ACK (.) needs "ack N"')
    return spec


def parse_line(path, lineno, text):
    line = Line(path, lineno, text)
    s = text
    m = re.match(r'^\[(tcp|tcpx)\]\s*', s)
    if m:
        line.guard = m.group(1)
        s = s[m.end():]
    tok, _, rest = s.partition(' ')
    rest = rest.strip()
    m = START_RE.match(tok)
    if not m:
        raise ScriptError('a line starts with its time: +T, T, T...T or T~T')
    line.rel = m.group(1) == '+'
    line.start = float(m.group(2))
    if m.group(3):
        line.end_kind = m.group(3)
        line.end_rel = m.group(4) == '+'
        line.end = float(m.group(5))
        if line.end_kind == '...' and line.rel:
            line.end_rel = True     # +S...E: E is counted from the start
        if line.end_kind == '~' and line.rel != line.end_rel:
            raise ScriptError('a range is +A~+B or A~B')
    if not rest:
        raise ScriptError('nothing after the time')

    if rest[0] in '<>' and (len(rest) == 1 or rest[1] == ' '):
        words_text = rest
        opts_text = None
        om = re.search(r'<([^<>]*)>', rest[1:])
        if om:
            opts_text = om.group(1)
            words_text = rest[:om.start() + 1] + ' <opts> ' + rest[om.end() + 1:]
        words = words_text.split()
        if len(words) > 1 and words[1] == 'icmp':
            # > icmp TYPE [CODE]: the kernel sends one.  < icmp TYPE CODE
            # [mtu N] [seq +D]: one about the kernel's last segment (its
            # quoted sequence number moved by D), from the peer.
            if len(words) < 3:
                raise ScriptError('%s icmp TYPE [CODE]' % words[0])
            typ = ICMP_TYPES.get(words[2])
            typ = parse_num(words[2]) if typ is None else typ
            code = None
            if len(words) > 3:
                code = ICMP_UNREACH_CODES.get(words[3])
                code = parse_num(words[3]) if code is None else code
            extra = dict(zip(words[4::2], words[5::2]))
            if words[0] == '<':
                if code is None or set(extra) - {'mtu', 'seq'}:
                    raise ScriptError('< icmp TYPE CODE [mtu N] [seq +D]')
                line.kind = 'inject_icmp'
                line.icmp = (typ, code, parse_num(extra.get('mtu', '0')),
                             parse_num(extra.get('seq', '0').lstrip('+')))
            else:
                line.kind, line.icmp = 'icmp', (typ, code)
        else:
            line.seg = parse_segment(words, opts_text)
            line.kind = 'inject' if words[0] == '<' else 'expect'
        if line.end_kind == '...':
            raise ScriptError('START...END is for blocking calls')
        if line.end_kind == '~' and line.kind in ('inject', 'inject_icmp'):
            raise ScriptError('a time range is for expected segments')
        return line
    if rest[0] == '~':
        if rest[1:].split() not in (['no', 'segment'], ['no', 'segments'], []):
            raise ScriptError('silence is written "~ no segment"')
        if line.end_kind:
            raise ScriptError('"~ no segment" takes a single time')
        line.kind = 'silence'
        return line
    m = CALL_RE.match(rest)
    if not m:
        raise ScriptError('not a segment, "~ no segment" or NAME(ARGS) = RET')
    name, args, ret, err, _ = m.groups()
    args = split_args(args)
    if name not in CALLS:
        raise ScriptError('unsupported call %s() (%s)' % (name, ', '.join(sorted(CALLS))))
    if len(args) < CALLS[name]:
        raise ScriptError('%s() takes %d arguments' % (name, CALLS[name]))
    retv = parse_num(ret)
    errv = None
    if err:
        if err not in SYMBOLS or retv != -1:
            raise ScriptError('"= -1 ERRNO" takes an errno name, got %r' % err)
        errv = SYMBOLS[err]
    if line.end_kind == '~':
        raise ScriptError('a call takes START or START...END, not a range')
    line.kind = 'call'
    line.call = CallSpec(name, args, retv, errv)
    return line


def strip_comment(text):
    text = re.sub(r'/\*.*?\*/', '', text)
    i = text.find('//')
    if i >= 0:
        text = text[:i]
    if text.lstrip().startswith('#'):
        return ''
    return text.strip()


class Script(list):
    """A script's lines; ips: the IP versions it runs over (its header
    comment's `// ip: 4`, or `// ip: 6`; both unless it says)."""
    ips = (4, 6)
    ip_why = ''


IP_KEYWORD_RE = re.compile(r'^\s*//\s*ip:\s*([46](?:[\s,]+[46])*)\s*(?:\((.*)\))?\s*$')


def parse_script(path):
    lines = Script()
    header = True
    with open(path, encoding='utf-8') as f:
        for n, raw in enumerate(f, 1):
            m = IP_KEYWORD_RE.match(raw) if header else None
            if m:
                lines.ips = tuple(sorted({int(x) for x in re.findall(r'[46]', m.group(1))}))
                lines.ip_why = m.group(2) or ''
                continue
            text = strip_comment(raw.rstrip('\n'))
            if not text:
                continue
            header = False
            try:
                lines.append(parse_line(path, n, text))
            except ScriptError as e:
                raise ScriptError('%s:%d: %s\n    %s' % (path, n, e, raw.strip())) from None
    return lines


# ---------------------------------------------------------------------------
# libc

libc = ctypes.CDLL(None, use_errno=True)
_c = ctypes
libc.socket.argtypes = [_c.c_int, _c.c_int, _c.c_int]
libc.bind.argtypes = [_c.c_int, _c.c_void_p, _c.c_uint]
libc.connect.argtypes = [_c.c_int, _c.c_void_p, _c.c_uint]
libc.listen.argtypes = [_c.c_int, _c.c_int]
libc.accept.argtypes = [_c.c_int, _c.c_void_p, _c.c_void_p]
libc.getsockname.argtypes = [_c.c_int, _c.c_void_p, _c.c_void_p]
libc.getpeername.argtypes = [_c.c_int, _c.c_void_p, _c.c_void_p]
libc.shutdown.argtypes = [_c.c_int, _c.c_int]
libc.close.argtypes = [_c.c_int]
libc.setsockopt.argtypes = [_c.c_int, _c.c_int, _c.c_int, _c.c_void_p, _c.c_uint]
libc.getsockopt.argtypes = [_c.c_int, _c.c_int, _c.c_int, _c.c_void_p, _c.c_void_p]
for _f in (libc.read, libc.write):
    _f.argtypes = [_c.c_int, _c.c_void_p, _c.c_size_t]
    _f.restype = _c.c_ssize_t
for _f in (libc.send, libc.recv):
    _f.argtypes = [_c.c_int, _c.c_void_p, _c.c_size_t, _c.c_int]
    _f.restype = _c.c_ssize_t
libc.poll.argtypes = [_c.c_void_p, _c.c_ulong, _c.c_int]
libc.fcntl.argtypes = [_c.c_int, _c.c_int, _c.c_long]
libc.unshare.argtypes = [_c.c_int]


def cresult(ret):
    return ret, (ctypes.get_errno() if ret < 0 else 0)


def sockaddr_in(addr, port):
    # sin_family is AF_INET for tcpx sockets too (the contract).
    return ctypes.create_string_buffer(
        struct.pack('=H', 2) + struct.pack('!H', port) + socket_aton(addr) + bytes(8), 16)


def sockaddr_in6(addr, port):
    # sin6_family AF_INET6 for tcpx too: such an address makes an IPv6 socket.
    return ctypes.create_string_buffer(
        struct.pack('=H', 10) + struct.pack('!HI', port, 0) +
        socket.inet_pton(socket.AF_INET6, addr) + struct.pack('=I', 0), 28)


def unpack_sockaddr(buf):
    fam, port = struct.unpack('=HH', buf[:4])
    port = struct.unpack('!H', struct.pack('=H', port))[0]
    if fam == 10 and len(buf) >= 24:
        return fam, socket.inet_ntop(socket.AF_INET6, buf[8:24]), port
    return fam, socket_ntoa(buf[4:8]), port


PATTERN = bytes(range(256)) * 16


def payload(n, offset=0):
    out = b''
    while len(out) < n:
        o = (offset + len(out)) % 256
        out += PATTERN[o:o + min(n - len(out), len(PATTERN) - o)]
    return out


# ---------------------------------------------------------------------------
# The namespace: shared with ../fuzz_seg.py

def drill_netns(tcp_like, ip=4):
    """Move this process into a new network namespace holding the tun device
    (its fd is returned).  TCP_LIKE: Linux TCP offers on its SYNs what tcpx
    offers (MSS, SACK, timestamps, window scale; no ECN).  IP 6: the
    device speaks IPv6 only (LOCAL_IP6, EXTRA_NET6; MTU 1520, the MSS of
    IPv4's 1500), without link-local address, DAD or router
    solicitations, so the kernel sends little on its own (MLD reports
    still: readers skip ICMPv6 that is no error)."""
    if libc.unshare(0x40000000) != 0:           # CLONE_NEWNET
        raise OSError(ctypes.get_errno(), 'unshare(CLONE_NEWNET)')
    sysctls = {
        'net/ipv6/conf/all/disable_ipv6': 1,
        'net/ipv6/conf/default/disable_ipv6': 1,
        'net/ipv4/conf/all/rp_filter': 0,
        'net/ipv4/conf/default/rp_filter': 0,
    }
    if ip == 6:
        sysctls.update({
            'net/ipv6/conf/all/disable_ipv6': 0,
            'net/ipv6/conf/default/disable_ipv6': 0,
            'net/ipv6/conf/default/addr_gen_mode': 1,    # no link-local
            'net/ipv6/conf/default/accept_dad': 0,
            'net/ipv6/conf/default/dad_transmits': 0,
            'net/ipv6/conf/default/router_solicitations': 0,
            'net/ipv6/conf/default/accept_ra': 0,
        })
    if tcp_like:
        sysctls.update({'net/ipv4/tcp_timestamps': 1, 'net/ipv4/tcp_sack': 1,
                        'net/ipv4/tcp_window_scaling': 1, 'net/ipv4/tcp_ecn': 0})
    for k, v in sysctls.items():
        write_sysctl(k, v)
    tun = os.open('/dev/net/tun', os.O_RDWR)
    ifr = struct.pack('16sH22x', TUN_NAME.encode(), 0x0001 | 0x1000)  # IFF_TUN|IFF_NO_PI
    fcntl.ioctl(tun, 0x400454ca, ifr)                                  # TUNSETIFF
    if ip == 6:
        cmds = ('link set lo up\n'
                'addr add %s/64 dev %s nodad\n'
                'link set %s mtu %d up\n'
                'route add %s dev %s\n' % (LOCAL_IP6, TUN_NAME, TUN_NAME,
                                           1500 + IP6_HDR_EXTRA, EXTRA_NET6, TUN_NAME))
    else:
        cmds = ('link set lo up\n'
                'addr add %s/24 dev %s\n'
                'link set %s up\n'
                'route add %s dev %s\n' % (LOCAL_IP, TUN_NAME, TUN_NAME, EXTRA_NET, TUN_NAME))
    r = subprocess.run(['ip', '-batch', '-'], input=cmds, text=True,
                       capture_output=True, check=False)
    if r.returncode:
        raise OSError(0, 'ip -batch: ' + r.stderr.strip())
    return tun


def write_sysctl(key, value):
    """/proc/sys/KEY = VALUE, if the kernel has it."""
    p = '/proc/sys/' + key
    if os.path.exists(p):
        with open(p, 'w') as f:
            f.write('%d\n' % value)


# ---------------------------------------------------------------------------
# Packets read from the tun device

class Packet:
    """One IPv4 or IPv6 packet the kernel sent.  proto: the IP protocol
    (ICMPv6 58 after any extension headers; an IPv6 segment of PROTO
    behind extension headers has proto PROTO and is `bad`); hlen: the IP
    header's length; icmp: (type, code) of ICMP or ICMPv6 (informational:
    ICMPv6 type 128 and up, MLD and neighbour discovery among them)."""

    def __init__(self, t, raw, proto):
        self.t = t
        self.raw = raw
        self.src = self.dst = None
        self.proto = None
        self.bad = None
        self.seg = None
        self.informational = False
        if len(raw) >= 40 and raw[0] >> 4 == 6:
            self.ip = 6
            self.hlen = 40
            nh = raw[6]
            self.src = socket.inet_ntop(socket.AF_INET6, raw[8:24])
            self.dst = socket.inet_ntop(socket.AF_INET6, raw[24:40])
            body = raw[40:40 + struct.unpack('!H', raw[4:6])[0]]
            exts = []
            while nh in IP6_EXT_HDRS and nh not in (44, 50) and len(body) >= 8:
                exts.append(IP6_EXT_HDRS[nh])
                n = (body[1] + 2) * 4 if nh == 51 else (body[1] + 1) * 8
                nh, body = body[0], body[n:]
            self.proto = nh
            self.body = body
            if nh == 58:
                self.icmp = (body[0], body[1]) if len(body) >= 2 else (None, None)
                self.informational = self.icmp[0] is not None and self.icmp[0] >= 128
                return
            if (exts and nh == proto) or nh in IP6_EXT_HDRS:
                self.proto = proto
                self.bad = ('IPv6 extension header (%s) before the segment: the '
                            'drill parses none' % ', '.join(
                                exts + ([IP6_EXT_HDRS[nh]] if nh in IP6_EXT_HDRS else [])))
                return
            if self.proto != proto:
                return
        elif len(raw) >= 20 and raw[0] >> 4 == 4:
            self.ip = 4
            ihl = (raw[0] & 15) * 4
            self.hlen = ihl
            total = struct.unpack('!H', raw[2:4])[0]
            self.proto = raw[9]
            self.src = socket_ntoa(raw[12:16])
            self.dst = socket_ntoa(raw[16:20])
            body = raw[ihl:total]
            self.body = body
            if self.proto == 1:
                self.icmp = (body[0], body[1]) if len(body) >= 2 else (None, None)
                return
            if self.proto != proto:
                return
        else:
            return
        if len(body) < 20:
            self.bad = 'segment of %d bytes, shorter than a header' % len(body)
            return
        sport, dport, seq, ack, off, flags, win, csum, urg = struct.unpack(
            '!HHIIBBHHH', body[:20])
        doff = (off >> 4) * 4
        if doff < 20 or doff > len(body):
            self.bad = 'data offset %d in a %d-byte segment' % (doff, len(body))
            return
        self.sport, self.dport, self.seq, self.ack = sport, dport, seq, ack
        self.flags, self.win, self.urg, self.doff = flags, win, urg, doff
        self.opts = decode_options(body[20:doff])
        self.len = len(body) - doff
        self.csum_ok = segment_csum(self.src, self.dst, proto, body) == 0
        self.seg = True


# ---------------------------------------------------------------------------
# The interpreter for one script (runs in the forked child)

class Flow:
    """One 4-tuple: the fake peer's ISN (random) and the kernel's (learned)."""

    def __init__(self):
        self.peer_isn = random.getrandbits(32)
        self.kern_isn = None
        self.peer_ws = False    # the peer's SYN offered window scaling
        self.kern_ws = None     # the shift the kernel's SYN announced
        self.edge = None        # the right edge it last advertised (relative)
        self.tsval = None       # the TSval of its last segment

    @property
    def kbase(self):
        return self.kern_isn or 0


class Call:
    """A socket call running in a worker thread."""

    def __init__(self, line, fn, check):
        self.line = line
        self.fn = fn
        self.check = check
        self.done = threading.Event()
        self.result = None
        self.t_end = None
        self.expect_end = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        try:
            self.result = self.fn()
        except Exception as e:     # report, never hang the script
            self.result = ('exception', e)
        self.t_end = time.monotonic()
        self.done.set()


class Drill:
    def __init__(self, lines, cfg):
        self.lines = lines
        self.cfg = cfg
        self.proto = cfg.ipproto
        self.scale = cfg.timescale
        self.tol = cfg.tolerance * cfg.timescale
        self.verbose = cfg.verbose
        self.fds = {}               # script fd -> real fd
        self.connected = set()      # script fds connect() was called on
        self.flows = {}
        self.last_out = None        # the kernel's last segment, for < icmp
        self.ip6 = cfg.ip == 6
        self.icmp_proto = 58 if self.ip6 else 1
        self.local_ip = LOCAL_IP6 if self.ip6 else LOCAL_IP
        self.remote_ip = REMOTE_IP6 if self.ip6 else REMOTE_IP
        self.kaddr, self.kport = self.local_ip, DEF_LOCAL_PORT
        self.paddr, self.pport = self.remote_ip, DEF_REMOTE_PORT
        self.pending = []
        self.queue = []
        self.cond = threading.Condition()
        self.t0 = None
        self.base = 0.0
        self.tun = None

    # -- time ---------------------------------------------------------------
    def now(self):
        return time.monotonic() - self.t0

    def sleep_until(self, t):
        while True:
            d = t - self.now()
            if d <= 0:
                return
            time.sleep(min(d, 0.05))

    def line_times(self, line):
        start = (self.base if line.rel else 0.0) + line.start * self.scale
        end = None
        if line.end_kind:
            end = (self.base if line.end_rel and line.end_kind == '~' else
                   start if line.end_rel else 0.0) + line.end * self.scale
        return start, end

    def log(self, msg):
        if self.verbose:
            print('[%8.3f] %s' % (self.now(), msg), flush=True)

    # -- IPv6: scripts are written in IPv4 terms ------------------------------
    def wire(self, line, addr):
        """A script's address (None: none given) as it goes on the wire."""
        if addr is None:
            return None
        if not self.ip6:
            if is_ip6(addr):
                raise Failure(line, 'IPv6 address %s in an IPv4 run (mark the '
                              'script "// ip: 6")' % addr)
            return addr
        a6 = addr6_of(addr)
        if a6 is None:
            raise Failure(line, '%s has no IPv6 counterpart (192.0.2.x, '
                          '198.51.100.x and 0.0.0.0 have)' % addr)
        return a6

    # -- setup --------------------------------------------------------------
    def setup(self):
        self.tun = drill_netns(self.cfg.proto == 'tcp', self.cfg.ip)
        self.t0 = time.monotonic()          # script time 0
        threading.Thread(target=self.reader, daemon=True).start()

    def reader(self):
        while True:
            try:
                raw = os.read(self.tun, 65536)
            except OSError:
                return
            try:
                p = Packet(self.now(), raw, self.proto)
            except (struct.error, IndexError, ValueError):
                continue
            if p.proto not in (self.proto, self.icmp_proto) or p.informational:
                continue
            with self.cond:
                self.queue.append(p)
                self.cond.notify_all()

    def next_packet(self, deadline, want_icmp=False):
        """The next outbound packet by script time `deadline`, or None."""
        with self.cond:
            while True:
                while self.queue:
                    p = self.queue.pop(0)
                    if p.proto in ICMP_PROTOS and not want_icmp:
                        self.log('(ignored ICMP %s -> %s type %s code %s)' %
                                 (p.src, p.dst, p.icmp[0], p.icmp[1]))
                        continue
                    return p
                d = deadline - self.now()
                if d <= 0:
                    return None
                self.cond.wait(min(d, 0.05))

    # -- flows and rendering ------------------------------------------------
    def flow(self, kaddr, kport, paddr, pport):
        key = (kaddr, kport, paddr, pport)
        if key not in self.flows:
            self.flows[key] = Flow()
        return self.flows[key]

    def render_packet(self, p, exp=None):
        if p.proto in ICMP_PROTOS:
            return '> icmp%s %s %s (%s > %s)' % ('v6' if p.proto == 58 else '', p.icmp[0],
                                                p.icmp[1], p.src, p.dst)
        if not p.seg:
            return '> ??? (%s > %s proto %d: %s)' % (p.src, p.dst, p.proto, p.bad)
        fl = self.flows.get((p.src, p.sport, p.dst, p.dport))
        kb = fl.kbase if fl else 0
        pb = fl.peer_isn if fl else 0
        old = None
        if fl and p.flags & 0x02:
            if fl.kern_isn is not None and fl.kern_isn != p.seq:
                old = (p.seq - fl.kern_isn) & MASK
            kb = p.seq              # a SYN starts the kernel's numbering
        seq = (p.seq - kb) & MASK
        s = '> %s %d:%d(%d)' % (render_flags(p.flags), seq, (seq + p.len) & MASK, p.len)
        if old is not None:
            s += ' (ISN %d after the earlier one)' % old
        if p.flags & 0x10 or p.ack:
            s += ' ack %d' % ((p.ack - pb) & MASK)
        s += ' win %d' % p.win
        if p.opts:
            s += ' ' + render_options(relative_sack(p.opts, pb))
        s += ' src %s dst %s' % (endpoint(p.src, p.sport), endpoint(p.dst, p.dport))
        if not fl:
            s += ' (unknown 4-tuple: absolute numbers)'
        if not p.csum_ok:
            s += ' (BAD CHECKSUM)'
        if p.urg:
            s += ' urg %d' % p.urg
        return s

    # -- segment lines ------------------------------------------------------
    def inject(self, line, t):
        spec = line.seg
        src = (self.wire(line, spec.src[0]) or self.paddr, spec.src[1] or self.pport)
        dst = (self.wire(line, spec.dst[0]) or self.kaddr,
               spec.dst[1] if spec.dst[1] is not None else self.kport)
        if dst[1] is None:
            raise Failure(line, 'the kernel side port is not known yet '
                          '(no outbound segment after connect): give "dst ADDR:PORT"')
        fl = self.flow(dst[0], dst[1], src[0], src[1])
        if spec.edge and fl.edge is None:
            raise Failure(line, '"edge": the kernel advertised no window on this flow yet')
        seq = (fl.peer_isn + spec.seq + (fl.edge if spec.edge else 0)) & MASK
        if spec.flags & 0x02:
            fl.peer_ws = any(o[0] == 'wscale' for o in spec.opts or [])
        ack = (fl.kbase + spec.ack) & MASK if spec.ack is not None else 0
        opts = spec.opts or []
        if any(o[0] == 'TS' and isinstance(o[2], tuple) for o in opts):
            if fl.tsval is None:
                raise Failure(line, '"ecr tsval": the kernel sent no timestamp on this flow yet')
            opts = [('TS', o[1], (fl.tsval + o[2][1]) & MASK)
                    if o[0] == 'TS' and isinstance(o[2], tuple) else o for o in opts]
        opts = encode_options(opts, fl.kbase)
        win = spec.win if spec.win is not None else 65535
        bad = spec.csum == 'bad'
        seg = tcp_segment(src[0], dst[0], self.proto, src[1], dst[1], seq, ack,
                          spec.flags, win, opts, payload(spec.len, spec.seq),
                          doff=spec.doff, urg=spec.urg or 0,
                          csum=None if bad else spec.csum, csum_xor=0x00ff if bad else 0)
        if spec.trunc is not None:
            seg = seg[:spec.trunc]
        ip = ip_packet(src[0], dst[0], self.proto, seg)
        self.sleep_until(t)
        t_act = self.now()
        os.write(self.tun, ip)
        self.log('%d: %s' % (line.lineno, line.text))
        return t_act

    def inject_icmp(self, line, t):
        """An ICMP error quoting the kernel's last segment (RFC 792: its IP
        header and 8 bytes; more does no harm), as a router would send it."""
        if self.last_out is None:
            raise Failure(line, 'no segment from the kernel to quote yet')
        typ, code, mtu, dseq = line.icmp
        raw = bytearray(self.last_out.raw)
        ihl = self.last_out.hlen
        seq = (struct.unpack('!I', raw[ihl + 4:ihl + 8])[0] + dseq) & MASK
        raw[ihl + 4:ihl + 8] = struct.pack('!I', seq)
        quote = bytes(raw[:ihl + 8])
        src, dst = self.last_out.dst, self.last_out.src
        if self.ip6:
            # RFC 4443: the MTU field of Packet Too Big is 32 bits, unused
            # (0) in the others.  The script's MTU is an IPv4 one: +20
            # keeps the MSS it makes, as drill0's MTU (RFC 8201: none
            # below 1280).
            typ, code = self.icmp6(line, typ, code)
            if typ == 2:
                mtu += IP6_HDR_EXTRA
                if mtu < IPV6_MIN_MTU:
                    raise Failure(line, 'mtu %d is %d over IPv6, below its minimum MTU '
                                  '%d, which Linux ignores: mark the script "// ip: 4"' %
                                  (mtu - IP6_HDR_EXTRA, mtu, IPV6_MIN_MTU))
            else:
                mtu = 0
            body = struct.pack('!BBHI', typ, code, 0, mtu) + quote
            csum = segment_csum(src, dst, 58, body)
        else:
            body = struct.pack('!BBHHH', typ, code, 0, 0, mtu) + quote
            csum = csum16(body)
        body = body[:2] + struct.pack('!H', csum) + body[4:]
        ip = ip_packet(src, dst, self.icmp_proto, body)
        self.sleep_until(t)
        t_act = self.now()
        os.write(self.tun, ip)
        self.log('%d: %s' % (line.lineno, line.text))
        return t_act

    def icmp6(self, line, typ, code):
        """A script's ICMP type and code as ICMPv6 ones (ICMP6_OF)."""
        if typ == 3 and code is None:
            return 1, None          # `> icmp unreachable`: any code
        if (typ, code) in ICMP6_OF:
            return ICMP6_OF[(typ, code)]
        if (typ, None) in ICMP6_OF:
            return ICMP6_OF[(typ, None)][0], code
        if typ in ICMP6_OF_TYPE:
            return ICMP6_OF_TYPE[typ], code
        raise Failure(line, 'ICMP type %s code %s has no ICMPv6 counterpart with the '
                      'same errno (mark the script "// ip: 4")' % (typ, code))

    def expect(self, line, t, t_end):
        spec = line.seg
        lo, hi = t - self.tol, (t_end if t_end is not None else t) + self.tol
        p = self.next_packet(hi, want_icmp=line.kind == 'icmp')
        win_txt = ('at %.3f s' % t if t_end is None else 'between %.3f and %.3f s' % (t, t_end))
        timing = 'expected %s (tolerance %.3f s)' % (win_txt, self.tol)
        if p is None:
            raise Failure(line, 'no packet arrived', [
                'expected: %s' % (spec.render() if spec else line.text), timing,
                'waited until %.3f s' % self.now()])
        if line.kind == 'icmp':
            diffs = []
            want = line.icmp
            if self.ip6:
                want = self.icmp6(line, *want)
            if p.proto != self.icmp_proto:
                diffs.append('not ICMP')
            elif p.icmp[0] != want[0] or (want[1] is not None and p.icmp[1] != want[1]):
                diffs.append('ICMP type/code' + (' (ICMPv6 %s %s)' % want if self.ip6 else ''))
            actual = self.render_packet(p)
        else:
            diffs, actual = self.match(line, spec, p)
        if not diffs and p.t < lo:
            diffs.append('timing: arrived too early')
        if diffs:
            raise Failure(line, 'outbound packet does not match', [
                'expected: %s' % (spec.render() if spec else line.text),
                'actual:   %s' % actual,
                'differs:  %s' % ', '.join(diffs),
                '%s, arrived at %.3f s' % (timing, p.t)])
        self.log('%d: %s    (at %.3f)' % (line.lineno, actual, p.t))
        if p.seg:
            self.last_out = p
        return p.t

    def match(self, line, spec, p):
        if not p.seg:
            return ['not a parsable segment'], self.render_packet(p)
        ks = (self.wire(line, spec.src[0]) or self.kaddr,
              spec.src[1] if spec.src[1] is not None else self.kport)
        pd = (self.wire(line, spec.dst[0]) or self.paddr, spec.dst[1] or self.pport)
        learn = ks[1] is None       # after connect(): take the kernel's port
        diffs = []
        if p.src != ks[0] or (ks[1] is not None and p.sport != ks[1]):
            diffs.append('source ' + endpoint(*ks))
        if (p.dst, p.dport) != pd:
            diffs.append('destination ' + endpoint(*pd))
        if not diffs:
            fl = self.flow(p.src, p.sport, p.dst, p.dport)
            # A SYN written 0:0 starts the kernel's numbering anew; one
            # written higher is judged against the earlier connection's
            # ISN on the 4-tuple (RFC 6191 reopens after TIME-WAIT).
            if p.flags & 0x02 and (spec.seq == 0 or fl.kern_isn is None):
                fl.kern_isn = p.seq
            if p.flags & 0x02:
                fl.kern_ws = next((o[1] for o in p.opts if o[0] == 'wscale'), None)
            fl.tsval = next((o[1] for o in p.opts if o[0] == 'TS'), fl.tsval)
            if p.flags & 0x10:
                # RFC 7323 2.2: a SYN's window is never scaled.
                shift = (fl.kern_ws or 0) if fl.peer_ws and not p.flags & 0x02 else 0
                fl.edge = (p.ack - fl.peer_isn + (p.win << min(shift, 14))) & MASK
            if learn:
                self.kport = p.sport
        actual = self.render_packet(p)
        fl = self.flows.get((p.src, p.sport, p.dst, p.dport))
        kb = fl.kbase if fl else 0
        pb = fl.peer_isn if fl else 0
        if p.flags != spec.flags:
            diffs.append('flags')
        if (p.seq - kb) & MASK != spec.seq:
            diffs.append('seq')
        if p.len != spec.len:
            diffs.append('length')
        if spec.ack is not None and (p.ack - pb) & MASK != spec.ack:
            diffs.append('ack')
        if spec.win is not None and p.win != spec.win:
            diffs.append('win')
        if spec.opts is not None and not options_match(
                spec.opts, spec.wild, relative_sack(p.opts, pb)):
            diffs.append('options')
        if spec.urg is not None and p.urg != spec.urg:
            diffs.append('urg')
        if not p.csum_ok:
            diffs.append('checksum (the kernel sent a bad one)')
        return diffs, actual

    def silence(self, line, t):
        start = self.base
        p = self.next_packet(t)
        if p is not None:
            raise Failure(line, 'a packet was sent in a window that must be silent', [
                'expected: nothing between %.3f and %.3f s' % (start, t),
                'actual:   %s' % self.render_packet(p),
                'arrived at %.3f s' % p.t])
        self.sleep_until(t)
        self.log('%d: %s' % (line.lineno, line.text))

    # -- calls --------------------------------------------------------------
    def fd(self, line, tok):
        try:
            n = int(tok)
        except ValueError:
            raise Failure(line, 'bad fd %r' % tok) from None
        if n not in self.fds:
            raise Failure(line, 'fd %d is not open in this script' % n)
        return self.fds[n]

    def value(self, line, tok):
        """NUM, NAME, A|B..., [X] (an int in memory)."""
        tok = tok.strip()
        if tok.startswith('[') and tok.endswith(']'):
            tok = tok[1:-1]
        v = 0
        for part in tok.split('|'):
            part = part.strip()
            if part == 'SOL_TCPX':
                v |= self.cfg.ipproto if self.cfg.proto == 'tcpx' else 6
            elif part == 'AF_TCPX':
                v |= self.cfg.family
            elif part in SYMBOLS:
                v |= SYMBOLS[part]
            else:
                try:
                    v |= int(part, 0)
                except ValueError:
                    raise Failure(line, 'unknown value %r' % part) from None
        return v

    def address(self, line, tok, default):
        if tok == '...':
            return default
        a, p = parse_endpoint(tok)
        return (self.wire(line, a) or default[0], p if p is not None else default[1])

    def start_call(self, line, t):
        c = line.call
        a = c.args
        name = c.name
        check = None
        out = {}

        if name == 'socket':
            fam = self.cfg.family if a[0] == '...' else self.value(line, a[0])
            typ, prot = self.value(line, a[1]), self.value(line, a[2])

            def fn():
                return cresult(libc.socket(fam, typ, prot))

            check = self.new_fd_check(line)
        elif name in ('bind', 'connect'):
            fd = self.fd(line, a[0])
            addr = self.address(line, a[1], (self.local_ip if name == 'bind' else
                                             self.remote_ip, DEF_LOCAL_PORT))
            alen = 16 if a[2] == '...' else self.value(line, a[2])
            if self.ip6:
                # a script's sizeof(struct sockaddr_in) is sockaddr_in6's
                alen = 28 if alen == 16 else alen
                buf = sockaddr_in6(*addr)
            else:
                buf = sockaddr_in(*addr)
            if name == 'bind':
                if addr[1]:
                    self.kport = addr[1]

                def fn():
                    return cresult(libc.bind(fd, buf, alen))
            else:
                sfd = int(a[0])
                if sfd not in self.connected:
                    self.connected.add(sfd)
                    self.paddr, self.pport = addr
                    self.kport = None       # learned from the kernel's SYN

                def fn():
                    return cresult(libc.connect(fd, buf, alen))
        elif name == 'listen':
            fd, backlog = self.fd(line, a[0]), self.value(line, a[1])

            def fn():
                return cresult(libc.listen(fd, backlog))
        elif name == 'accept':
            fd = self.fd(line, a[0])

            def fn():
                return cresult(libc.accept(fd, None, None))

            check = self.new_fd_check(line)
        elif name in ('write', 'send'):
            fd, n = self.fd(line, a[0]), self.value(line, a[2])
            flags = self.value(line, a[3]) if name == 'send' else 0
            buf = ctypes.create_string_buffer(payload(n), max(n, 1))

            def fn():
                if name == 'write':
                    return cresult(libc.write(fd, buf, n))
                return cresult(libc.send(fd, buf, n, flags))
        elif name in ('read', 'recv'):
            fd, n = self.fd(line, a[0]), self.value(line, a[2])
            flags = self.value(line, a[3]) if name == 'recv' else 0
            buf = ctypes.create_string_buffer(max(n, 1))

            def fn():
                if name == 'read':
                    return cresult(libc.read(fd, buf, n))
                return cresult(libc.recv(fd, buf, n, flags))
        elif name == 'shutdown':
            fd, how = self.fd(line, a[0]), self.value(line, a[1])

            def fn():
                return cresult(libc.shutdown(fd, how))
        elif name == 'close':
            sfd = int(a[0])
            fd = self.fd(line, a[0])

            def fn():
                return cresult(libc.close(fd))

            def check(res):
                self.expect_ret(line, res)
                self.fds.pop(sfd, None)
        elif name in ('setsockopt', 'getsockopt'):
            fd = self.fd(line, a[0])
            level, opt = self.value(line, a[1]), self.value(line, a[2])
            m = re.match(r'^\{\s*l_onoff\s*=\s*(\w+)\s*,\s*l_linger\s*=\s*(\w+)\s*\}$', a[3])
            if m:
                val = struct.pack('=ii', self.value(line, m.group(1)),
                                  self.value(line, m.group(2)))
            elif a[3] == '...':
                val = None
            else:
                val = struct.pack('=i', self.value(line, a[3]))
            if name == 'setsockopt':
                ln = self.value(line, a[4])
                buf = ctypes.create_string_buffer(val or b'', max(ln, len(val or b'')))

                def fn():
                    return cresult(libc.setsockopt(fd, level, opt, buf, ln))
            else:
                ln = self.value(line, a[4])
                buf = ctypes.create_string_buffer(max(ln, 8))
                lnbuf = ctypes.c_uint(ln)

                def fn():
                    r = cresult(libc.getsockopt(fd, level, opt, buf, ctypes.byref(lnbuf)))
                    out['val'] = buf.raw[:lnbuf.value]
                    return r

                def check(res):
                    self.expect_ret(line, res)
                    if val is not None and res[0] == 0 and out['val'] != val[:len(out['val'])]:
                        got = out['val']
                        gotv = struct.unpack('=i', got[:4])[0] if len(got) >= 4 else got
                        if len(got) >= 8 and len(val) == 8:
                            gotv = '{l_onoff=%d, l_linger=%d}' % struct.unpack('=ii', got[:8])
                        elif isinstance(gotv, int) and c.args[2].strip() == 'SO_ERROR':
                            gotv = '%d %s' % (gotv, errno.errorcode.get(gotv, ''))
                        raise Failure(line, 'getsockopt value differs', [
                            'expected: %s' % a[3], 'actual:   %s' % (gotv,)])
        elif name in ('getsockname', 'getpeername'):
            fd = self.fd(line, a[0])
            want = None if a[1] == '...' else parse_endpoint(a[1])
            if want:
                want = (self.wire(line, want[0]), want[1])
            buf = ctypes.create_string_buffer(28)
            lnbuf = ctypes.c_uint(28 if self.ip6 else 16)
            want_fam = 10 if self.ip6 else 2
            f = libc.getsockname if name == 'getsockname' else libc.getpeername

            def fn():
                return cresult(f(fd, buf, ctypes.byref(lnbuf)))

            def check(res):
                self.expect_ret(line, res)
                fam, ad, port = unpack_sockaddr(buf.raw)
                if want and res[0] == 0 and (
                        fam != want_fam or (want[0] and want[0] != ad) or
                        (want[1] is not None and want[1] != port)):
                    raise Failure(line, '%s address differs' % name, [
                        'expected: %s' % a[1],
                        'actual:   family %d %s' % (fam, endpoint(ad, port))])
        elif name == 'fcntl':
            fd, cmd = self.fd(line, a[0]), self.value(line, a[1])
            arg = self.value(line, a[2]) if len(a) > 2 else 0

            def fn():
                return cresult(libc.fcntl(fd, cmd, arg))
        elif name == 'poll':
            entries = re.findall(r'\{([^{}]*)\}', a[0])
            pfds, want = [], []
            for e in entries:
                kv = dict(x.split('=', 1) for x in
                          (y.replace(' ', '') for y in e.split(',')) if '=' in x)
                if 'fd' not in kv or 'events' not in kv:
                    raise Failure(line, 'poll entry needs fd= and events=')
                pfds.append((self.fd(line, kv['fd']), self.value(line, kv['events'])))
                want.append(self.value(line, kv['revents']) if 'revents' in kv else None)
            nfds, timeout = self.value(line, a[1]), self.value(line, a[2])
            arr = ctypes.create_string_buffer(
                b''.join(struct.pack('=ihh', f, ev, 0) for f, ev in pfds), 8 * max(len(pfds), 1))

            def fn():
                return cresult(libc.poll(arr, nfds, timeout))

            def check(res):
                self.expect_ret(line, res)
                got = [struct.unpack('=ihh', arr.raw[8 * i:8 * i + 8])[2] & 0xffff
                       for i in range(len(pfds))]
                for i, (w, g) in enumerate(zip(want, got)):
                    if w is not None and w != g:
                        raise Failure(line, 'poll revents differ', [
                            'entry %d: expected revents=%s' % (i, poll_names(w)),
                            'entry %d: actual   revents=%s' % (i, poll_names(g))])

        if check is None:
            def check(res):
                self.expect_ret(line, res)
        self.sleep_until(t)
        call = Call(line, fn, check)
        call.t_start = time.monotonic()
        call.thread.start()
        return call

    def new_fd_check(self, line):
        """The check of a call that returns a new descriptor (socket,
        accept): the result as the script expects, the descriptor kept
        under the number the script gave it."""
        def check(res):
            self.expect_ret(line, res)
            if res[0] >= 0:
                self.fds[line.call.ret] = res[0]
        return check

    def expect_ret(self, line, res):
        if res and res[0] == 'exception':
            raise Failure(line, 'the call raised %r' % (res[1],))
        ret, err = res
        c = line.call
        exp_ret = c.ret
        if c.name in ('socket', 'accept') and exp_ret is not None and exp_ret >= 0:
            ok = ret >= 0
        else:
            ok = ret == exp_ret and (c.err is None or err == c.err)
        if not ok:
            def show(r, e):
                if r == -1 and e:
                    return '-1 %s (%s)' % (errno.errorcode.get(e, e), os.strerror(e))
                return str(r)
            raise Failure(line, 'the call returned something else', [
                'expected: %s = %s' % (c.name, show(exp_ret, c.err)),
                'actual:   %s = %s' % (c.name, show(ret, err))])

    def finish_call(self, call):
        line = call.line
        if not call.done.wait(max(0.0, call.deadline - self.now())):
            raise Failure(line, 'the call is still blocked', [
                'expected to return %s' % call.expect_txt,
                'still blocked at %.3f s' % self.now()])
        t_end = call.t_end - self.t0
        call.check(call.result)
        if call.expect_end is not None and abs(t_end - call.expect_end) > self.tol:
            raise Failure(line, 'the call returned at the wrong time', [
                'expected to return %s' % call.expect_txt,
                'returned at %.3f s' % t_end])
        self.log('%d: %s    (returned at %.3f)' % (line.lineno, line.text, t_end))

    def run_call(self, line, t, t_end):
        """Start the call at t; returns when it actually started."""
        self.drain_pending(wait=True)
        call = self.start_call(line, t)
        t_act = call.t_start - self.t0
        if t_end is not None and line.end_rel:
            t_end += t_act - t      # END counts from the actual start
        if line.end_kind == '...':
            call.expect_end = t_end
            call.deadline = t_end + self.tol
            call.expect_txt = 'at %.3f s (tolerance %.3f s)' % (t_end, self.tol)
            self.pending.append(call)
        else:
            call.deadline = max(t, self.now()) + self.tol
            call.expect_txt = ('without blocking (by %.3f s); write START...END '
                               'for a call that blocks' % call.deadline)
            self.finish_call(call)
        return t_act

    def drain_pending(self, wait):
        for call in list(self.pending):
            if wait or call.done.is_set():
                self.pending.remove(call)
                self.finish_call(call)

    # -- main loop ----------------------------------------------------------
    def run(self):
        self.setup()
        for line in self.lines:
            if line.guard and line.guard != self.cfg.proto:
                continue
            self.drain_pending(wait=False)
            # Relative times count from when the previous line actually
            # happened: a script running late (a slow, emulated machine)
            # does not eat into the kernel's tolerance.
            t, t_end = self.line_times(line)
            if line.kind == 'inject':
                self.base = self.inject(line, t)
            elif line.kind == 'inject_icmp':
                self.base = self.inject_icmp(line, t)
            elif line.kind in ('expect', 'icmp'):
                self.base = self.expect(line, t, t_end)
            elif line.kind == 'silence':
                self.silence(line, t)
                self.base = t
            else:
                self.base = self.run_call(line, t, t_end)
        self.drain_pending(wait=True)
        for fd in self.fds.values():
            libc.close(fd)
        self.fds = {}

    def dump(self):
        """The namespace's sockets (and tcpx's non-zero counters)."""
        name = 'tcpx' if self.cfg.proto == 'tcpx' else 'tcp'
        for path in ('/proc/net/' + name + ('6' if self.ip6 else ''), '/proc/net/tcpx_stat'):
            if path.endswith('_stat') and name != 'tcpx':
                continue
            try:
                with open(path) as f:
                    rows = f.read().splitlines()
            except OSError as e:
                rows = ['(%s)' % e]
            if path.endswith('_stat'):
                rows = [r for r in rows if r.split()[-1:] != ['0']]
            print('  %s in the script\'s namespace:' % path)
            for r in rows[:24]:
                print('    ' + r.rstrip())


def poll_names(v):
    names = [n for n, b in POLL_NAMES if v & b]
    return '|'.join(names) if names else '0'


# ---------------------------------------------------------------------------

class Job:
    """One script: run in a forked child (pid), or settled without one (a
    parse error: text, ok False; another IP version: skip, the reason)."""

    def __init__(self, path):
        self.path = path
        self.lines = None
        self.pid = None
        self.out = None         # the child's output, when captured
        self.text = ''          # printed before the script's result line
        self.skip = None
        self.ok = None
        self.t0 = self.t1 = None


def prepare(path, cfg):
    """A Job for PATH, parsed: settled already if it does not run."""
    job = Job(path)
    try:
        job.lines = parse_script(path)
    except (OSError, ScriptError) as e:
        job.text = '%s: error: %s\n' % (path, e)
        job.ok = False
        return job
    if cfg.ip not in job.lines.ips:
        job.skip = 'IPv%s only%s' % (' and IPv'.join(map(str, job.lines.ips)),
                                     ': ' + job.lines.ip_why if job.lines.ip_why else '')
    return job


def nominal_time(lines):
    """About how long a script takes by its own times (seconds, unscaled):
    what --jobs starts first."""
    base = 0.0
    for line in lines:
        base = (base if line.rel else 0.0) + line.start
        if line.end_kind == '...':
            base += line.end
    return base


def start_one(job, cfg, capture):
    """Start JOB's script in a forked child, its output into a temporary
    file if CAPTURE (scripts running side by side), else straight out."""
    job.t0 = time.monotonic()
    if job.ok is not None or job.skip:
        job.t1 = job.t0
        return
    if capture:
        job.out = tempfile.TemporaryFile()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        code = 1
        if capture:
            os.dup2(job.out.fileno(), 1)
            os.dup2(job.out.fileno(), 2)
        if cfg.limit:
            signal.alarm(cfg.limit)     # its default action: a hung script dies
        drill = Drill(job.lines, cfg)
        try:
            drill.run()
            code = 0
        except Failure as f:
            print('%s: %s' % (f.line.where(), f.what))
            print('  script:   %s' % f.line.text)
            for d in f.details:
                print('  ' + d)
            if cfg.ip == 6:
                print('  (over IPv6: the script\'s 192.0.2.x is 2001:db8::x, 198.51.100.x '
                      '2001:db8:1::x, MTUs are 20 bytes larger; README)')
            drill.dump()
        except Exception as e:        # setup errors and bugs: never hang
            print('%s: error: %r' % (job.path, e))
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    job.pid = pid


def settle(job, status, cfg):
    """JOB's child ended with STATUS (os.waitpid's)."""
    job.t1 = time.monotonic()
    if job.out is not None:
        job.out.seek(0)
        job.text = job.out.read().decode('utf-8', 'replace')
        job.out.close()
        job.out = None
    if os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGALRM:
        job.text += '%s: timed out after %d s\n' % (job.path, cfg.limit)
    job.ok = os.waitstatus_to_exitcode(status) == 0


def report(job):
    """JOB's output and its result line; True if it failed."""
    sys.stdout.write(job.text)
    if job.skip:
        print('SKIP %s (%s)' % (job.path, job.skip), flush=True)
        return False
    print('%s %s (%.2f s)' % ('PASS' if job.ok else 'FAIL', job.path, job.t1 - job.t0),
          flush=True)
    return not job.ok


def run_all(paths, cfg, jobs):
    """Run every script, up to JOBS at once, each in a child of its own (in
    a namespace of its own); report them in the order given, each child's
    output before its result line.  With more than one job the longest
    (by its own times) start first.  The number that failed."""
    todo = [prepare(p, cfg) for p in paths]
    order = list(todo)
    if jobs > 1:
        order.sort(key=lambda j: -nominal_time(j.lines) if j.lines else 0)
    running = {}
    failed = 0
    done = 0
    while done < len(todo):
        while order and len(running) < jobs:
            job = order.pop(0)
            start_one(job, cfg, jobs > 1)
            if job.pid is not None:
                running[job.pid] = job
        while done < len(todo) and (todo[done].ok is not None or todo[done].skip):
            failed += report(todo[done])
            done += 1
        if running:
            pid, status = os.waitpid(-1, 0)
            job = running.pop(pid, None)
            if job is not None:
                settle(job, status, cfg)
    return failed


class Config:
    pass


def main():
    ap = argparse.ArgumentParser(
        description='Replay packetdrill-style scripts against tcpx or TCP.')
    ap.add_argument('--proto', choices=('tcpx', 'tcp'), default='tcpx')
    ap.add_argument('--ip', type=int, choices=(4, 6), default=4,
                    help='IP version the scripts run over (default 4)')
    ap.add_argument('--tolerance', type=float, default=250.0, metavar='MS',
                    help='timing tolerance in milliseconds (default 250)')
    ap.add_argument('--limit', type=int, default=0, metavar='S',
                    help='seconds a script may take before it fails (default: none)')
    ap.add_argument('--jobs', '-j', type=int, default=1, metavar='N',
                    help='scripts run at once, each in its own namespace, '
                    'reported in order (default 1)')
    ap.add_argument('--verbose', '-v', action='store_true')
    ap.add_argument('scripts', nargs='+', metavar='SCRIPT')
    args = ap.parse_args()

    cfg = Config()
    cfg.proto = args.proto
    cfg.ip = args.ip
    cfg.limit = max(0, args.limit)
    args.jobs = max(1, args.jobs)
    cfg.verbose = args.verbose
    cfg.tolerance = args.tolerance / 1000.0
    try:
        cfg.timescale = float(os.environ.get('TCPX_DRILL_TIMESCALE', '1') or 1)
    except ValueError:
        ap.error('TCPX_DRILL_TIMESCALE must be a number')
    if args.proto == 'tcpx':
        cfg.family = module_param('family', 18)
        cfg.ipproto = module_param('ipproto', 253)
    else:
        cfg.family, cfg.ipproto = (10 if args.ip == 6 else 2), 6

    if os.geteuid() != 0:
        print('SKIP: needs root (namespaces, tun)')
        return KSFT_SKIP
    if not os.path.exists('/dev/net/tun'):
        print('SKIP: no /dev/net/tun')
        return KSFT_SKIP
    fd = libc.socket(cfg.family, 1, 0)
    if fd < 0:
        e = ctypes.get_errno()
        print('SKIP: socket(%d, SOCK_STREAM, 0): %s' % (cfg.family, os.strerror(e)))
        return KSFT_SKIP
    libc.close(fd)
    if args.proto == 'tcpx' and args.ip == 6:
        why = tcpx_ip6_missing(cfg.family)
        if why:
            print('FAIL: tcpx does not speak IPv6 (yet?): %s; every script fails' % why)
            for path in args.scripts:
                print('FAIL %s (0.00 s)' % path)
            return 1

    return 1 if run_all(args.scripts, cfg, args.jobs) else 0


def tcpx_ip6_missing(family):
    """Why an AF_TCPX socket cannot be an IPv6 one (bind() to [::]:0 in a
    namespace of its own fails), or None."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        msg = ''
        try:
            if libc.unshare(0x40000000) != 0:
                raise OSError(ctypes.get_errno(), 'unshare(CLONE_NEWNET)')
            write_sysctl('net/ipv6/conf/all/disable_ipv6', 0)
            fd = libc.socket(family, 1, 0)
            if fd < 0 or libc.bind(fd, sockaddr_in6('::', 0), 28) != 0:
                e = ctypes.get_errno()
                msg = '%s with a struct sockaddr_in6: %s (%s)' % (
                    'socket(AF_TCPX)' if fd < 0 else 'bind([::]:0)',
                    errno.errorcode.get(e, e), os.strerror(e))
        except Exception as e:        # never back into the caller's loop
            msg = str(e) or repr(e)
        finally:
            os.write(w, msg.encode())
            os._exit(0)
    os.close(w)
    with os.fdopen(r, 'rb') as f:
        msg = f.read().decode()
    os.waitpid(pid, 0)
    return msg or None


if __name__ == '__main__':
    sys.exit(main())
