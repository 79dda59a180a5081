# SPDX-License-Identifier: GPL-2.0
"""Shared by the hostile peers on a tun device (hostile_ofo.py,
hostile_sack.py): a measurement that cannot be made, a call's errno, and
the family's counters in this namespace, the kernel side's sockets."""
import ctypes
import os
import struct
import time


class Failure(Exception):
    """The measurement could not be made: the kernel did not answer as the
    scenario needs."""


def skip_reason(family):
    """Why a hostile peer cannot run here (root, the module for tcpx, a
    tun device), or None."""
    if os.geteuid() != 0:
        return 'needs root (namespaces, tun)'
    if family == 'tcpx' and not os.path.isdir('/sys/module/tcpx'):
        return 'the tcpx module is not loaded'
    if not os.path.exists('/dev/net/tun'):
        return 'no /dev/net/tun'
    return None


def check(ret, what):
    """RET, or a Failure naming WHAT and errno if it is negative."""
    if ret < 0:
        raise Failure('%s: %s' % (what, os.strerror(ctypes.get_errno())))
    return ret


def proc_pairs(path, prefix):
    """NAME: value of a /proc/net/{snmp,netstat} file's PREFIX lines (a
    header line, then a value line)."""
    with open(path) as f:
        lines = f.read().splitlines()
    for head, body in zip(lines[::2], lines[1::2]):
        if head.startswith(prefix):
            return dict(zip(head.split()[1:], (int(x) for x in body.split()[1:])))
    return {}


def tcpx_stat():
    """NAME: value of /proc/net/tcpx_stat."""
    vals = {}
    with open('/proc/net/tcpx_stat') as f:
        for line in f:
            w = line.split()
            if len(w) == 2:
                vals[w[0]] = int(w[1])
    return vals


class Sockets:
    """The kernel side of a hostile peer's connection: a listener of
    FAMILY (tcpx or tcp, over IP version IP) and the child it accepts, all
    closed with a reset (SO_LINGER 0) at the end."""

    SOL_SOCKET, SO_REUSEADDR, SO_LINGER = 1, 2, 13
    SOCK_NONBLOCK = 0o4000
    TCP_INFO = 11               # TCPX_INFO too, at SOL_TCPX or IPPROTO_TCP

    def __init__(self, family, ip=4):
        from tcpx_drill import libc
        from tcpx_pkt import module_param
        self.libc = libc
        self.family = family
        if family == 'tcpx':
            self.af, self.proto = module_param('family', 18), module_param('ipproto', 253)
            self.level = self.proto
        else:
            self.af, self.proto, self.level = (10 if ip == 6 else 2), 6, 6
        self.fds = []
        self.fd = None
        self.lfd = self.socket()
        self.libc.setsockopt(self.lfd, self.SOL_SOCKET, self.SO_REUSEADDR,
                             struct.pack('=i', 1), 4)

    def socket(self):
        fd = self.libc.socket(self.af, 1 | self.SOCK_NONBLOCK, 0)
        if fd < 0:
            raise Failure('socket(%d): %s' % (self.af, os.strerror(ctypes.get_errno())))
        self.fds.append(fd)
        return fd

    def accept_child(self, deadline):
        """The child the handshake made, in self.fd, by DEADLINE
        (time.monotonic())."""
        while self.fd is None and time.monotonic() < deadline:
            fd = self.libc.accept(self.lfd, None, None)
            if fd >= 0:
                self.fds.append(fd)
                self.fd = fd
            else:
                time.sleep(0.01)
        if self.fd is None:
            raise Failure('%s: accept: no child' % self.family)

    def info_raw(self, length):
        """The child's TCP_INFO (TCPX_INFO), up to LENGTH bytes."""
        buf = ctypes.create_string_buffer(length)
        ln = ctypes.c_uint(length)
        check(self.libc.getsockopt(self.fd, self.level, self.TCP_INFO, buf, ctypes.byref(ln)),
              'TCP_INFO')
        return buf.raw[:ln.value]

    def close_all(self):
        lg = struct.pack('=ii', 1, 0)
        for fd in self.fds:
            self.libc.setsockopt(fd, self.SOL_SOCKET, self.SO_LINGER, lg, 8)
            self.libc.close(fd)
        self.fds = []
