#!/usr/bin/python3
# Reproducer: the third ACK of a passive open and a data segment with the
# same ACK, written into a tun device by two threads on two CPUs at once, so
# two CPUs run tcpx_check_req() for the same request sock.  The loser gets
# own_req=false from inet_ehash_nolisten(), which has already destroyed the
# child; tcpx_syn_recv_sock() then destroys it again.
# Each completed handshake must give exactly one child to accept(); the
# kernel log must stay clean (vm-run checks it).  Exit 0 if so.  Whether
# the race was entered (a CPU lost it) is counted by races.sh from the
# trace: this script cannot see it.
#   scripts/vm-run -- /usr/bin/python3 selftests/race_ownreq.py [ROUNDS]
import fcntl, os, random, select, socket, struct, subprocess, sys, threading

from tcpx_pkt import (ACK, PSH, SYN, encode_options, ip_packet, module_param,
                      tcp_segment)

ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
LOCAL, PEER = "192.0.2.1", "192.0.2.2"
# The module's numbers, or those it asks for (uapi/tcpx.h): socket() loads it.
PROTO = module_param("ipproto", 253)
FAMILY = module_param("family", 18)
MSS_1460 = encode_options([("mss", 1460)])


def packet(sport, seq, ack, flags, payload=b"", opts=b""):
    seg = tcp_segment(PEER, LOCAL, PROTO, sport, 80, seq, ack, flags,
                      opts=opts, data=payload)
    return ip_packet(PEER, LOCAL, PROTO, seg, ident=0)


tun = os.open("/dev/net/tun", os.O_RDWR)
fcntl.ioctl(tun, 0x400454CA, struct.pack("16sH", b"race0", 0x0001 | 0x1000))
subprocess.run(["ip", "addr", "add", LOCAL + "/24", "dev", "race0"], check=True)
subprocess.run(["ip", "link", "set", "race0", "up"], check=True)

import ctypes
libc = ctypes.CDLL(None, use_errno=True)
lfd = libc.socket(FAMILY, socket.SOCK_STREAM | socket.SOCK_NONBLOCK, 0)
sin = struct.pack("=H", socket.AF_INET) + struct.pack("!H", 80) + \
    socket.inet_aton(LOCAL) + b"\0" * 8
assert lfd >= 0 and libc.bind(lfd, sin, 16) == 0 and libc.listen(lfd, 4096) == 0

go = threading.Barrier(3)
done = threading.Barrier(3)
pkts = [None, None]


def worker(i):
    os.sched_setaffinity(0, {i % os.cpu_count()})
    while True:
        go.wait()
        if pkts[i] is None:
            return
        os.write(tun, pkts[i])
        done.wait()


threads = [threading.Thread(target=worker, args=(i,)) for i in (0, 1)]
for t in threads:
    t.start()

children = 0
completed = 0
for r in range(ROUNDS):
    sport = 1024 + r % 60000
    isn = random.getrandbits(32)
    os.write(tun, packet(sport, isn, 0, SYN, opts=MSS_1460))
    y = None
    while y is None:
        if not select.select([tun], [], [], 2)[0]:
            break
        p = os.read(tun, 2048)
        ihl = (p[0] & 15) * 4
        if p[9] != PROTO:
            continue
        sp, dp, seq, ack, _, fl = struct.unpack("!HHIIBB", p[ihl:ihl + 14])
        if dp == sport and fl & (SYN | ACK) == SYN | ACK:
            y = seq
    if y is None:
        continue
    completed += 1
    a = (isn + 1) & 0xFFFFFFFF
    b = (y + 1) & 0xFFFFFFFF
    pkts[0] = packet(sport, a, b, ACK)
    pkts[1] = packet(sport, a, b, ACK | PSH, b"x" * 10)
    go.wait()
    done.wait()
    while True:
        c = libc.accept(lfd, None, None)
        if c < 0:
            break
        children += 1
        os.close(c)
    # Drop what the kernel sent back (ACKs, RSTs).
    while select.select([tun], [], [], 0)[0]:
        os.read(tun, 2048)

pkts[0] = pkts[1] = None
go.wait()
print("rounds %d handshakes %d children %d" % (ROUNDS, completed, children))
sys.exit(0 if children == completed and completed > 0 else 1)
