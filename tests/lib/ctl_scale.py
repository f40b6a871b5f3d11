#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Scale figures of a running vhost-xdpd, driven through its control socket.

  ctl_scale.py CTL_SOCKET PID N IDLE_SECONDS [MODE [SETTLE_SECONDS]]

Adds N idle ports (no VMM attached; MODE server or client, default server),
each timed from request to reply; measures the daemon's RSS before and
after, and its CPU time (every thread's, from schedstat, in ns) over
IDLE_SECONDS with the N ports idle, after SETTLE_SECONDS (default 0: client
ports back off to one attempt in 30 s); removes them, timed too (and the daemon's own time, which its reply states). Prints one
JSON object: ports, rss_kib_before/after, rss_per_port_kib, idle_cpu_pct,
idle_seconds, add_ms/del_ms {p50,p99,max}, fds_before/after (after removing
them all), failed.
"""
import json, os, re, socket, sys, time

ctl, pid, n, idle = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
mode = sys.argv[5] if len(sys.argv) > 5 else 'server'
settle = float(sys.argv[6]) if len(sys.argv) > 6 else 0


def request(line):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(20)
    s.connect(ctl)
    t0 = time.perf_counter()
    s.sendall(line.encode() + b'\n')
    out = b''
    while True:
        b = s.recv(65536)
        if not b:
            break
        out += b
    t = (time.perf_counter() - t0) * 1000
    s.close()
    return out.decode(errors='replace'), t


def rss_kib():
    for line in open(f'/proc/{pid}/status'):
        if line.startswith('VmRSS:'):
            return int(line.split()[1])


def cpu_ns():
    t = 0
    for tid in os.listdir(f'/proc/{pid}/task'):
        try:
            t += int(open(f'/proc/{pid}/task/{tid}/schedstat').read().split()[0])
        except OSError:
            pass
    return t


def fds():
    return len(os.listdir(f'/proc/{pid}/fd'))


def pct(v, p):
    v = sorted(v)
    return round(v[min(len(v) - 1, int(len(v) * p))], 3) if v else None


def inner(out):
    """The daemon's own time for the request, from its reply: '(0.312 ms)'."""
    m = re.search(r'\(([0-9.]+) ms\)', out)
    return float(m.group(1)) if m else None


fds0, rss0 = fds(), rss_kib()
add, dele, failed, add_in, del_in = [], [], [], [], []
def timed(line, client, daemon):
    out, t = request(line)
    client.append(t)
    if inner(out) is not None:
        daemon.append(inner(out))
    if not out.startswith('ok'):
        failed.append(out.strip())


for i in range(n):
    mac = '52:54:01:%02x:%02x:%02x' % (i >> 16 & 255, i >> 8 & 255, i & 255)
    timed(f'port add name=s{i},mac={mac},mode={mode}', add, add_in)
rss1 = rss_kib()
time.sleep(settle)
c0, t0 = cpu_ns(), time.time()
time.sleep(idle)
c1, t1 = cpu_ns(), time.time()
listed = request('port list json')[0]
nlisted = len(json.loads(listed.split('\n', 1)[1])) if listed.startswith('ok') else -1
for i in range(n):
    timed(f'port del s{i}', dele, del_in)
print(json.dumps({
    'ports': n, 'listed': nlisted, 'mode': mode,
    'rss_kib_before': rss0, 'rss_kib_after': rss1,
    'rss_per_port_kib': round((rss1 - rss0) / n, 2) if n else None,
    'idle_seconds': round(t1 - t0, 2), 'idle_cpu_ms': round((c1 - c0) / 1e6, 3),
    'idle_cpu_pct': round(100.0 * (c1 - c0) / 1e9 / (t1 - t0), 4),
    'add_ms': {'p50': pct(add, .5), 'p99': pct(add, .99), 'max': pct(add, 1)},
    'del_ms': {'p50': pct(dele, .5), 'p99': pct(dele, .99), 'max': pct(dele, 1)},
    'add_daemon_ms': {'p50': pct(add_in, .5), 'p99': pct(add_in, .99), 'max': pct(add_in, 1)},
    'del_daemon_ms': {'p50': pct(del_in, .5), 'p99': pct(del_in, .99), 'max': pct(del_in, 1)},
    'fds_before': fds0, 'fds_after': fds(), 'failed': failed[:5], 'n_failed': len(failed),
}))
