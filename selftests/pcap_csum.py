#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""pcap_csum.py PCAP PROTO SRC: the checksums of the segments SRC sent in
a tcpdump capture (Ethernet, IPv4 or IPv6 without extension headers) of IP
protocol PROTO.  Each is one of:

  valid    the segment sums to zero over its pseudo-header (RFC 9293 3.1,
           RFC 8200 8.1)
  partial  its checksum field holds the pseudo-header's sum, as the stack
           leaves it for the device to finish (CHECKSUM_PARTIAL: a capture
           on the sender's device sees it before the device sums); with
           the ports' sum added where the device's sum starts past them,
           as tcpx's does
  bad      anything else

Prints "segments N data D valid V partial P bad B rst_valid R" (data:
segments that carry bytes; rst_valid: RSTs among the valid ones, which a
stack sums itself when it answers a segment for no socket).  Standard
library only, with tcpx_pkt.py beside it.
"""

import socket
import struct
import sys

from tcpx_pkt import csum16, pseudo_header


def packets(path):
    """The link-layer frames of a classic pcap file."""
    with open(path, 'rb') as f:
        data = f.read()
    magic = data[:4]
    if magic in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1'):
        end = '<'
    elif magic in (b'\xa1\xb2\xc3\xd4', b'\xa1\xb2\x3c\x4d'):
        end = '>'
    else:
        raise SystemExit('%s: not a pcap file' % path)
    linktype = struct.unpack(end + 'I', data[20:24])[0]
    if linktype != 1:
        raise SystemExit('%s: link type %d, not Ethernet' % (path, linktype))
    off = 24
    while off + 16 <= len(data):
        caplen, wirelen = struct.unpack(end + 'II', data[off + 8:off + 16])
        frame = data[off + 16:off + 16 + caplen]
        off += 16 + caplen
        if caplen != wirelen:
            raise SystemExit('%s: a frame cut to %d of %d bytes' % (path, caplen, wirelen))
        yield frame


def segment(frame, proto):
    """(src, dst, segment) of an IP packet of PROTO in FRAME, or None."""
    etype = struct.unpack('!H', frame[12:14])[0]
    ip = frame[14:]
    if etype == 0x0800 and len(ip) >= 20 and ip[9] == proto:
        ihl = (ip[0] & 15) * 4
        tot = struct.unpack('!H', ip[2:4])[0]
        return (socket.inet_ntop(socket.AF_INET, ip[12:16]),
                socket.inet_ntop(socket.AF_INET, ip[16:20]), ip[ihl:tot])
    if etype == 0x86dd and len(ip) >= 40 and ip[6] == proto:
        plen = struct.unpack('!H', ip[4:6])[0]
        return (socket.inet_ntop(socket.AF_INET6, ip[8:24]),
                socket.inet_ntop(socket.AF_INET6, ip[24:40]), ip[40:40 + plen])
    return None


def kind(src, dst, proto, seg):
    """valid, partial or bad (the module's docstring)."""
    ph = pseudo_header(src, dst, proto, len(seg))
    if csum16(ph + seg) == 0:
        return 'valid'
    field = struct.unpack('!H', seg[16:18])[0]
    same = set()
    for seed in (ph, ph + seg[:4]):
        folded = ~csum16(seed) & 0xffff
        same.add(folded)
        # Ones' complement: 0 and 0xffff are the same number.
        if folded in (0, 0xffff):
            same.add(folded ^ 0xffff)
    return 'partial' if field in same else 'bad'


def main():
    if len(sys.argv) != 4:
        raise SystemExit('usage: pcap_csum.py PCAP PROTO SRC')
    proto, src_want = int(sys.argv[2]), sys.argv[3]
    n = {'segments': 0, 'data': 0, 'valid': 0, 'partial': 0, 'bad': 0, 'rst_valid': 0}
    for frame in packets(sys.argv[1]):
        s = segment(frame, proto)
        if not s or s[0] != src_want or len(s[2]) < 20:
            continue
        src, dst, seg = s
        n['segments'] += 1
        if len(seg) > (seg[12] >> 4) * 4:
            n['data'] += 1
        k = kind(src, dst, proto, seg)
        n[k] += 1
        if k == 'valid' and seg[13] & 0x04:
            n['rst_valid'] += 1
    print(' '.join('%s %d' % kv for kv in n.items()))


if __name__ == '__main__':
    main()
