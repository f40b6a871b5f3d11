#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Writes the seed corpora of fuzz_vu, fuzz_virtq and fuzz_kdev
(tests/fuzz/corpus/<target>/) in each target's input format (see the
comment at the top of its .c file). Run from anywhere; the seeds are
committed, so this only needs running again when a format changes."""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
u8 = lambda v: struct.pack('<B', v)
u16 = lambda v: struct.pack('<H', v)
u32 = lambda v: struct.pack('<I', v)
u64 = lambda v: struct.pack('<Q', v)

GUEST = 0x10000
UVA = 0x7f0000000000
# virtio feature bits
VERSION_1, MRG_RXBUF, EVENT_IDX, INDIRECT, PROTO, MTU, LOG_ALL, CSUM, GCSUM = 32, 15, 29, 28, 30, 3, 26, 0, 1
FEATS = sum(1 << b for b in (VERSION_1, MRG_RXBUF, EVENT_IDX, INDIRECT, PROTO, CSUM, GCSUM))
PFEATS = (1 << 0) | (1 << 1) | (1 << 3) | (1 << 4) | (1 << 13) | (1 << 15)
# fuzz_vu fd kinds
GUESTFD, SMALL, EMPTY, EVENTFD, PIPE_R, PIPE_W, GUEST2 = range(7)


def write(target, name, data):
    d = os.path.join(HERE, 'corpus', target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data)


# ---- fuzz_vu ----
def msg(req, payload=b'', fds=(), reply=False, sock=False, size=None, flags_xor=0):
    op = (req & 0x3f) | (0x40 if reply else 0) | (0x80 if sock else 0)
    out = u8(op) + u8(len(fds)) + b''.join(u8(k) for k in fds)
    if sock:
        out += u8(flags_xor)
    if req == 63:  # the u32 request comes first, after the size
        return out + u16(len(payload) - 4 if size is None else size) + payload
    return out + u16(len(payload) if size is None else size) + payload


def ring(i, num=256):
    base = UVA + i * 0x3000
    return [msg(8, u32(i) + u32(num)),
            msg(9, u32(i) + u32(0) + u64(base) + u64(base + 0x2000) + u64(base + 0x1000) + u64(0)),
            msg(10, u32(i) + u32(0)),
            msg(12, u64(i), fds=[EVENTFD]),
            msg(13, u64(i), fds=[EVENTFD]),
            msg(18, u32(i) + u32(1))]


def mem_table(regions, sock=False):
    p = u32(len(regions)) + u32(0)
    for gpa, size, uva, off in regions:
        p += u64(gpa) + u64(size) + u64(uva) + u64(off)
    return msg(5, p, fds=[GUESTFD] * len(regions), sock=sock)


def handshake(sock=False, pairs=1):
    m = [msg(1, sock=sock), msg(15, sock=sock), msg(16, u64(PFEATS), sock=sock),
         msg(3, sock=sock), msg(17, sock=sock), msg(36, sock=sock),
         msg(2, u64(FEATS), sock=sock), mem_table([(0, GUEST, UVA, 0)], sock)]
    for i in range(2 * pairs):
        m += ring(i)
    return m


write('fuzz_vu', 'handshake', u8(0) + b''.join(handshake()))
write('fuzz_vu', 'handshake-sock', u8(0) + b''.join(handshake(sock=True)))
write('fuzz_vu', 'mq-2', u8(1) + b''.join(handshake(pairs=2)))
write('fuzz_vu', 'stop-reset', u8(0) + b''.join(
    handshake() + [msg(11, u32(0) + u32(0)), msg(11, u32(1) + u32(0)), msg(20, u64(1500), reply=True),
                   msg(34), msg(4)]))
write('fuzz_vu', 'mem-slots', u8(0x10) + b''.join(
    [msg(15), msg(16, u64(PFEATS)), msg(36),
     msg(37, u64(0) + u64(0) + u64(GUEST) + u64(UVA) + u64(0), fds=[GUESTFD], reply=True),
     msg(37, u64(0) + u64(0x100000) + u64(GUEST) + u64(UVA + 0x100000) + u64(0), fds=[GUEST2]),
     msg(37, u64(0) + u64(0) + u64(GUEST) + u64(UVA) + u64(0), fds=[GUESTFD]),
     *ring(0),
     msg(38, u64(0) + u64(0) + u64(GUEST) + u64(UVA) + u64(0)),
     msg(38, u64(0) + u64(0) + u64(GUEST) + u64(UVA) + u64(0), fds=[GUESTFD]),
     msg(38, u64(0) + u64(0x100000) + u64(GUEST) + u64(UVA + 0x100000) + u64(0))]))
write('fuzz_vu', 'log', u8(0) + b''.join(
    handshake() + [msg(2, u64(FEATS | (1 << LOG_ALL))), msg(6, u64(16) + u64(0), fds=[SMALL]),
                   msg(7, fds=[EVENTFD]), msg(6, u64(8192) + u64(0), fds=[SMALL])]))
write('fuzz_vu', 'nofd-and-bad', u8(0) + b''.join(
    [msg(12, u64(0x100)), msg(13, u64(0x101)), msg(14, u64(0), fds=[PIPE_W]),
     msg(12, u64(0), fds=[PIPE_R]), msg(5, u32(1) + u32(0) + u64(0) + u64(GUEST) + u64(UVA) + u64(0), fds=[EMPTY]),
     msg(8, u32(0) + u32(3)), msg(19, u64(0)), msg(63, u32(1000) + u64(0)), msg(2, u64(1 << 63))]))
write('fuzz_vu', 'sock-truncated', u8(0) + msg(1, sock=True) + msg(5, b'\x01', sock=True, size=40) +
      msg(2, u64(FEATS), sock=True) + msg(12, u64(0), fds=[EVENTFD] * 9, sock=True))

# ---- fuzz_virtq ----
def desc(addr, length, flags=0, nxt=0):
    return u64(addr) + u32(length) + u16(flags) + u16(nxt)


NEXT, WRITE, INDIR = 1, 2, 4


def virtq(num_log2, flags, base, descs, heads, extra=b'', pops=0, skip=0, avail_idx=None):
    num = 1 << num_log2
    table = b''.join(descs).ljust(16 * num, b'\0')
    idx = base + len(heads) if avail_idx is None else avail_idx
    avail = u16(0) + u16(idx & 0xffff) + b''.join(u16(h) for h in heads).ljust(2 * num, b'\0') + u16(0)
    mem = table + avail
    mem = mem.ljust(0x1000, b'\0') + extra
    return u8(num_log2) + u8(flags) + u16(base) + u8(pops) + u16(skip) + mem


# a TX chain: header + data, an RX chain, one crossing the region split (0x8000)
write('fuzz_virtq', 'tx-rx', virtq(3, 0, 0, [desc(0x1000, 12, NEXT, 1), desc(0x1100, 1500),
                                              desc(0x2000, 1526, WRITE)], [0, 2]))
write('fuzz_virtq', 'split', virtq(2, 1, 0, [desc(0x7f00, 0x200, WRITE)], [0], pops=3))
write('fuzz_virtq', 'indirect', virtq(4, 0x12, 65534, [desc(0x3000, 48, INDIR)], [0, 0],
                                      extra=b'\0' * 0x2000 + desc(0x4000, 12, NEXT, 1) +
                                      desc(0x4100, 64, NEXT, 2) + desc(0x4200, 256, WRITE)))
write('fuzz_virtq', 'loop', virtq(2, 8, 7, [desc(0x1000, 10, NEXT, 1), desc(0x1000, 10, NEXT, 0)], [0]))
write('fuzz_virtq', 'mrg-many', virtq(8, 0x7, 100, [desc(0x2000 + 64 * i, 64, WRITE) for i in range(256)],
                                      list(range(256)), skip=3))

# ---- fuzz_kdev ----
ADD, REMOVE, SETF, RESET, MEMT, VNUM, VADDR, VBASE, GBASE, KICK, CALL, ERR, BACKEND = range(1, 14)
KEVENTFD, KGUEST = 1, 0


def ev(t, index=0, value=0, fd=None, regions=None, addr=None):
    out = u8(t) + u8(index) + u64(value)
    if t in (KICK, CALL, ERR):
        out += u8(0x80 if fd is None else fd)
    if t == MEMT:
        out += u8(len(regions))
        for gpa, size, uva, off, k in regions:
            out += u64(gpa) + u64(size) + u64(uva) + u64(off) + u8(k)
    if t == VADDR:
        d, u, a, lg, fl = addr
        out += u64(d) + u64(u) + u64(a) + u64(lg) + u32(fl)
    return out


def kring(i):
    base = UVA + i * 0x3000
    return [ev(VNUM, i, 256), ev(VADDR, i, addr=(base, base + 0x2000, base + 0x1000, 0, 0)),
            ev(VBASE, i, 0), ev(KICK, i, fd=KEVENTFD), ev(CALL, i, fd=KEVENTFD), ev(BACKEND, i, 1)]


KFEATS = (1 << VERSION_1) | (1 << MRG_RXBUF)
kstart = [ev(ADD), ev(SETF, 0, KFEATS), ev(MEMT, regions=[(0, GUEST, UVA, 0, KGUEST)])] + kring(0) + kring(1)
write('fuzz_kdev', 'start', u8(0) + b''.join(kstart))
write('fuzz_kdev', 'stop-restart', u8(0) + b''.join(
    kstart + [ev(GBASE, 0), ev(GBASE, 1), ev(BACKEND, 0, 0), ev(RESET), ev(MEMT, regions=[
        (0, 0x8000, UVA, 0, KGUEST), (0x100000, 0x8000, UVA + 0x8000, 0x8000, KGUEST)])] + kring(0) +
    [ev(REMOVE)]))
write('fuzz_kdev', 'bad', u8(0) + b''.join(
    [ev(ADD), ev(MEMT, regions=[(0, GUEST, UVA, 0, 3)]), ev(MEMT, regions=[(0, GUEST, UVA, 0, 2)] * 8),
     ev(KICK, 5, fd=KEVENTFD), ev(CALL, 0), ev(ERR, 0, fd=3), ev(VNUM, 0, 3), ev(14), ev(0),
     ev(SETF, 0, 1 << 63), ev(VBASE, 0, 1 << 40)]))
