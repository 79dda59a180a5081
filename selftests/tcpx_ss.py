#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Helper of tcpx_ss.sh.

  tcpx_ss.py scene
      Builds a fixed set of sockets over TCP (or over tcpx, run under
      libtcpxize), all on fixed ports, prints "ready" and then serves
      commands from stdin until EOF:
        reset   waits for the ::1 client (port 40002) to see its connection
                end; prints "reset ECONNRESET" (or what it saw instead)

      127.0.0.1:5000 listener: 40001 accepted (1000 bytes unread by the
        server, 700 unread by the client), 40003 closed (the client in
        TIME-WAIT), 40004 left in the accept queue
      [::1]:5001 listener (v6only): 40002 accepted, 3000 bytes unread
      127.0.0.1:5002 listener: 40005 connects; tcpx_ss.sh drops its ACKs,
        so the server side stays SYN-RECV
      127.0.0.1:5003 listener: 40006 accepted; the server writes until the
        client's small buffer is full (both queues non-zero)

  tcpx_ss.py names MODE TCP_OUT TCPX_OUT MISSING [IGNORE]
      Compares two ss outputs socket by socket (keyed by state and both
      addresses): the same sockets, and for each the same set of field
      names in the extra columns (MODE: i, m, e, o, p), less the names in
      MISSING (comma separated) on the TCP side and those in IGNORE on
      both ("STATE:name" for sockets in STATE only).  Prints what differs.
"""
import errno
import socket
import sys
import time

LO4, LO6 = '127.0.0.1', '::1'


def listener(fam, addr, port, backlog=8):
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if fam == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((addr, port))
    s.listen(backlog)
    return s


def client(fam, addr, sport, dport, rcvbuf=0):
    s = socket.socket(fam, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.bind((addr, sport))
    s.connect((addr, dport))
    return s


def scene():
    keep = []
    l4 = listener(socket.AF_INET, LO4, 5000)
    l6 = listener(socket.AF_INET6, LO6, 5001)
    l2 = listener(socket.AF_INET, LO4, 5002)
    l3 = listener(socket.AF_INET, LO4, 5003)
    keep += [l4, l6, l2, l3]

    a = client(socket.AF_INET, LO4, 40001, 5000)
    a_srv = l4.accept()[0]
    a.sendall(b'a' * 1000)
    a_srv.sendall(b'A' * 700)
    keep += [a, a_srv]

    b = client(socket.AF_INET6, LO6, 40002, 5001)
    b_srv = l6.accept()[0]
    b.sendall(b'b' * 3000)
    keep += [b_srv]

    t = client(socket.AF_INET, LO4, 40003, 5000)
    t_srv = l4.accept()[0]
    t.close()
    time.sleep(0.2)
    t_srv.close()

    keep.append(client(socket.AF_INET, LO4, 40004, 5000))
    keep.append(client(socket.AF_INET, LO4, 40005, 5002))

    c = client(socket.AF_INET, LO4, 40006, 5003, rcvbuf=4096)
    c_srv = l3.accept()[0]
    c_srv.setblocking(False)
    deadline = time.time() + 5
    while time.time() < deadline:
        try:
            c_srv.send(b'c' * 65536)
        except BlockingIOError:
            time.sleep(0.05)
            try:
                c_srv.send(b'c' * 65536)
            except BlockingIOError:
                break
    keep += [c, c_srv]
    time.sleep(0.5)
    print('ready', flush=True)

    for line in sys.stdin:
        if line.strip() == 'reset':
            b.settimeout(5)
            try:
                got = b.recv(1)
                print('reset got %r' % got, flush=True)
            except OSError as e:
                print('reset %s' % errno.errorcode.get(e.errno, e.errno),
                      flush=True)
    for s in keep + [b]:
        s.close()


FLAGS = {'ts', 'sack', 'ecn', 'ecnseen', 'fastopen', 'app_limited', 'bidir'}
VALUED = {'send', 'pacing_rate', 'delivery_rate'}


def field_names(tokens):
    names = set()
    it = iter(tokens)
    for t in it:
        if t in VALUED:
            names.add(t)
            next(it, None)
        elif t.startswith('timer:('):
            names.add('timer:' + t[7:].split(',')[0])
        elif t.startswith('users:('):
            names.add('users:' + t[7:].split(',')[0])
        elif ':' in t:
            names.add(t.split(':')[0])
        elif t in FLAGS:
            names.add(t)
        elif t in ('<->', '<--', '-->', '---'):
            names.add('shutdown')
        else:
            names.add('CONG')	# the congestion control's name
    return names


def parse(path):
    socks = {}
    key = None
    with open(path) as f:
        lines = f.read().split('\n')
    for line in lines[1:]:
        if not line.strip():
            continue
        if line.startswith('\t'):
            socks[key] |= field_names(line.split())
            continue
        w = line.split()
        key = (w[0], w[3], w[4])
        socks[key] = field_names(w[5:])
    return socks


def names(mode, tcp, tcpx, missing, ignore=''):
    a, b = parse(tcp), parse(tcpx)
    miss = set(x for x in missing.split(',') if x)
    ign = [x for x in ignore.split(',') if x]
    bad = 0
    for k in a:
        for n in ign:
            st, _, name = n.rpartition(':')
            if not st or st == k[0]:
                a[k].discard(name)
                b.get(k, set()).discard(name)
    if set(a) != set(b):
        print('# %s: sockets differ: TCP only %s, tcpx only %s' %
              (mode, sorted(set(a) - set(b)), sorted(set(b) - set(a))))
        bad = 1
    for k in sorted(set(a) & set(b)):
        want = a[k] - miss
        if want != b[k]:
            print('# -%s %s: TCP has %s more, tcpx has %s more' %
                  (mode, ' '.join(k), sorted(want - b[k]), sorted(b[k] - want)))
            bad = 1
    if not a:
        print('# -%s: no sockets' % mode)
        bad = 1
    return bad


if __name__ == '__main__':
    if sys.argv[1] == 'scene':
        scene()
    elif sys.argv[1] == 'names':
        sys.exit(names(*sys.argv[2:7]))
    else:
        sys.exit('usage: tcpx_ss.py scene | names MODE TCP TCPX MISSING')
