# SPDX-License-Identifier: GPL-2.0
"""tcpx_pkt.py: IPv4 and IPv6 segments in TCP's wire format (tcpx's is
the same, in its own IP protocol), built and checksummed for the Python
tests that write packets by hand: drill/tcpx_drill.py, syncookie_ack.py,
race_ownreq.py and lifecycle.sh's bad.py.  Standard library only.  A test beside this file
imports it directly; one in a subfolder puts the parent folder on sys.path
first, one written elsewhere runs with PYTHONPATH=$TCPX_SELFTESTS.

    ip_packet(src, dst, proto, tcp_segment(src, dst, proto, sport, dport,
                                           seq, ack, flags, opts=...))

Addresses are strings; one with a colon is IPv6 (the checksum's
pseudo-header is RFC 8200 8.1's, ip_packet() writes an IPv6 header).

Options are lists of tuples, as the drill writes them:
  ('mss', n) ('wscale', n) ('sackOK',) ('sack', [(left, right), ...])
  ('TS', val, ecr) ('nop',) ('eol',) ('opt', kind, data) ('raw', data)
"""

import random
import socket
import struct

MASK = 0xffffffff
FIN, SYN, RST, PSH, ACK, URG = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20


def module_param(name, default):
    """/sys/module/tcpx/parameters/NAME as a number, DEFAULT if unreadable."""
    try:
        with open('/sys/module/tcpx/parameters/' + name) as f:
            return int(f.read())
    except (OSError, ValueError):
        return default


def csum16(data):
    """The Internet checksum (RFC 1071) of DATA."""
    if len(data) % 2:
        data += b'\0'
    s = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def is_ip6(addr):
    """True for an IPv6 address string."""
    return ':' in addr


def pseudo_header(src, dst, proto, length):
    """RFC 793's pseudo-header, or for IPv6 addresses RFC 8200 8.1's
    (addresses, 32-bit upper-layer length, 3 zero bytes, next header)."""
    if is_ip6(src):
        return (socket.inet_pton(socket.AF_INET6, src) +
                socket.inet_pton(socket.AF_INET6, dst) +
                struct.pack('!I3xB', length, proto))
    return socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack('!BBH', 0, proto, length)


def segment_csum(src, dst, proto, seg):
    """The checksum SEG (header and data) must carry; 0 for one that does."""
    return csum16(pseudo_header(src, dst, proto, len(seg)) + seg)


def tcp_segment(src, dst, proto, sport, dport, seq, ack, flags, win=65535,
                opts=b'', data=b'', doff=None, urg=0, csum=None, csum_xor=0,
                trunc=None):
    """A header, OPTS (bytes, padded to 4) and DATA, checksummed for SRC ->
    DST in PROTO.  DOFF (words) overrides the data offset; CSUM replaces the
    checksum, CSUM_XOR flips bits of it (a wrong one on purpose).  TRUNC
    keeps the first TRUNC bytes only, checksummed as they are (a segment
    too short to hold the checksum field goes as it is)."""
    opts += b'\0' * (-len(opts) % 4)
    if doff is None:
        doff = (20 + len(opts)) // 4
    seg = struct.pack('!HHIIBBHHH', sport, dport, seq & MASK, ack & MASK,
                      (doff & 15) << 4, flags, win, 0, urg) + opts + data
    if trunc is not None:
        seg = seg[:trunc]
        if len(seg) < 18:
            return seg
    if csum is None:
        csum = segment_csum(src, dst, proto, seg)
    return seg[:16] + struct.pack('!H', csum ^ csum_xor) + seg[18:]


def ip_packet(src, dst, proto, payload, ident=None, ttl=64):
    """An IPv4 header (DF, no options; a random ID unless IDENT) in front of
    PAYLOAD; for IPv6 addresses ip6_packet()'s header (TTL the hop limit)."""
    if is_ip6(src):
        return ip6_packet(src, dst, proto, payload, ttl)
    if ident is None:
        ident = random.getrandbits(16)
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(payload), ident, 0x4000,
                     ttl, proto, 0, socket.inet_aton(src), socket.inet_aton(dst))
    return ip[:10] + struct.pack('!H', csum16(ip)) + ip[12:] + payload


def ip6_packet(src, dst, nexthdr, payload, hlim=64):
    """An IPv6 header (traffic class and flow label 0, no extension
    headers) in front of PAYLOAD, next header NEXTHDR."""
    return (struct.pack('!IHBB', 6 << 28, len(payload), nexthdr, hlim) +
            socket.inet_pton(socket.AF_INET6, src) +
            socket.inet_pton(socket.AF_INET6, dst) + payload)


def encode_options(opts, sack_base=0):
    """OPTS as bytes, unpadded; SACK edges are relative to SACK_BASE."""
    out = b''
    for o in opts:
        k = o[0]
        if k == 'mss':
            out += struct.pack('!BBH', 2, 4, o[1])
        elif k == 'wscale':
            out += struct.pack('!BBB', 3, 3, o[1])
        elif k == 'sackOK':
            out += b'\x04\x02'
        elif k == 'sack':
            out += struct.pack('!BB', 5, 2 + 8 * len(o[1]))
            for left, right in o[1]:
                out += struct.pack('!II', (sack_base + left) & MASK,
                                   (sack_base + right) & MASK)
        elif k == 'TS':
            out += struct.pack('!BBII', 8, 10, o[1], o[2])
        elif k == 'nop':
            out += b'\x01'
        elif k == 'eol':
            out += b'\x00'
        elif k == 'opt':
            out += struct.pack('!BB', o[1], 2 + len(o[2])) + o[2]
        elif k == 'raw':
            out += o[1]
    return out


def decode_options(b):
    """Options as sent; a malformed tail becomes ('raw', bytes)."""
    opts, i = [], 0
    while i < len(b):
        kind = b[i]
        if kind == 0:
            opts.append(('eol',))
            i += 1
            continue
        if kind == 1:
            opts.append(('nop',))
            i += 1
            continue
        if i + 1 >= len(b) or b[i + 1] < 2 or i + b[i + 1] > len(b):
            opts.append(('raw', b[i:]))
            break
        ln = b[i + 1]
        data = b[i + 2:i + ln]
        if kind == 2 and ln == 4:
            opts.append(('mss', struct.unpack('!H', data)[0]))
        elif kind == 3 and ln == 3:
            opts.append(('wscale', data[0]))
        elif kind == 4 and ln == 2:
            opts.append(('sackOK',))
        elif kind == 5 and (ln - 2) % 8 == 0 and ln > 2:
            opts.append(('sack', [struct.unpack('!II', data[j:j + 8])
                                  for j in range(0, ln - 2, 8)]))
        elif kind == 8 and ln == 10:
            opts.append(('TS',) + struct.unpack('!II', data))
        else:
            opts.append(('opt', kind, data))
        i += ln
    return opts
