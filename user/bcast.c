// SPDX-License-Identifier: GPL-2.0
/*
 * Broadcast and multicast from the wire, for the VM ports.
 *
 * An XDP program sees each frame once and can hand it to one place: redirect
 * to one AF_XDP socket, pass to the stack, or drop. It cannot clone. A
 * broadcast or multicast frame is wanted by the host stack (ARP, IPv6
 * neighbour discovery, DHCP must keep working on the NIC) and by every VM
 * port, so the steering program XDP_PASSes it and this AF_PACKET socket,
 * bound to the NIC, receives a copy from the stack's packet taps. The worker
 * then copies it into each port that should see it.
 *
 * Cost: a packet tap on the NIC runs for every received frame, but the
 * classic BPF filter below runs in the kernel before any copy is queued, so
 * unicast (the bulk of the traffic, and anyway steered away by XDP before
 * the stack sees it) never reaches userspace. Only frames with the group bit
 * of the destination MAC set are queued here, and they are rare.
 *
 * Outgoing frames (the host's own broadcasts, and what the daemon itself may
 * send on the NIC) also hit packet taps; PACKET_IGNORE_OUTGOING stops them in
 * the kernel where available and the sll_pkttype check catches the rest.
 *
 * The stack moves an 802.1Q tag into skb metadata before the taps run, so the
 * tag comes back through PACKET_AUXDATA; a tag still in the bytes (a driver or
 * path that did not strip it) is parsed and removed too.
 */
#include <errno.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>

#include "bcast.h"
#include "log.h"

/* Enough for a burst of broadcasts while the worker is busy with a batch. */
#define VX_BCAST_RCVBUF		(2 * 1024 * 1024)
/* Outgoing frames skipped per call before returning, to bound the work. */
#define VX_BCAST_MAX_SKIP	64
#define VX_VLAN_HLEN		4
#define VX_VLAN_VID_MASK	0x0fff

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING	23
#endif

struct vx_bcast {
	int fd;
	int ifindex;
};

/* Accept a frame only if the group (multicast) bit of the destination MAC is set. */
static struct sock_filter vx_bcast_filter_insns[] = {
	BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 0),
	BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x01, 0, 1),
	BPF_STMT(BPF_RET | BPF_K, 0xffffffff),
	BPF_STMT(BPF_RET | BPF_K, 0),
};

static int vx_bcast_setup(int fd, int ifindex)
{
	struct sock_fprog prog = {
		.len = sizeof(vx_bcast_filter_insns) / sizeof(vx_bcast_filter_insns[0]),
		.filter = vx_bcast_filter_insns,
	};
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_ALL),
		.sll_ifindex = ifindex,
	};
	int one = 1, rcvbuf = VX_BCAST_RCVBUF;

	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)))
		return -errno;
	if (setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one)))
		return -errno;
	/* Older kernels lack it; the pkttype check in recv covers them. */
	setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
	/* FORCE needs CAP_NET_ADMIN, which the daemon has; otherwise capped by rmem_max. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	/* Bind last: frames start queueing only once the filter is in place. */
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)))
		return -errno;
	return 0;
}

int vx_bcast_open(struct vx_bcast **out, int ifindex)
{
	char name[IF_NAMESIZE] = "?";
	struct vx_bcast *b;
	int err;

	*out = NULL;
	if (ifindex <= 0 || !if_indextoname(ifindex, name)) {
		pr_err("bcast: no interface with index %d\n", ifindex);
		return -ENODEV;
	}
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->ifindex = ifindex;
	/* Protocol 0: nothing is delivered before bind(), i.e. before the filter. */
	b->fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (b->fd < 0) {
		err = -errno;
		pr_err("%s: cannot create the broadcast socket: %s\n", name, strerror(errno));
		goto end_free;
	}
	err = vx_bcast_setup(b->fd, ifindex);
	if (err) {
		pr_err("%s: cannot set up the broadcast socket: %s\n", name, strerror(-err));
		goto end_close;
	}
	pr_debug("%s: broadcast/multicast socket fd %d\n", name, b->fd);
	*out = b;
	return 0;

end_close:
	close(b->fd);
end_free:
	free(b);
	return err;
}

void vx_bcast_close(struct vx_bcast *b)
{
	if (!b)
		return;
	close(b->fd);
	free(b);
}

/* One frame out of the interface (the socket is bound to it); never returned by recv. */
int vx_bcast_send(struct vx_bcast *b, const void *buf, uint32_t len)
{
	return send(b->fd, buf, len, MSG_DONTWAIT) == (ssize_t)len ? 0 : -errno;
}

int vx_bcast_fd(const struct vx_bcast *b)
{
	return b->fd;
}

static bool vx_bcast_aux_vlan(struct msghdr *msg, uint16_t *vlan)
{
	struct tpacket_auxdata *aux;
	struct cmsghdr *c;

	for (c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level != SOL_PACKET || c->cmsg_type != PACKET_AUXDATA ||
		    c->cmsg_len < CMSG_LEN(sizeof(*aux)))
			continue;
		aux = (struct tpacket_auxdata *)CMSG_DATA(c);
		if (!(aux->tp_status & TP_STATUS_VLAN_VALID))
			return false;
		*vlan = aux->tp_vlan_tci & VX_VLAN_VID_MASK;
		return true;
	}
	return false;
}

/* Strips an in-band 802.1Q/802.1ad tag; returns the new length. */
static int vx_bcast_strip_tag(uint8_t *p, int len, uint16_t *vlan)
{
	uint16_t tpid, tci;

	if (len < ETH_HLEN + VX_VLAN_HLEN)
		return len;
	memcpy(&tpid, p + 2 * ETH_ALEN, sizeof(tpid));
	if (tpid != htons(ETH_P_8021Q) && tpid != htons(ETH_P_8021AD))
		return len;
	memcpy(&tci, p + 2 * ETH_ALEN + 2, sizeof(tci));
	*vlan = ntohs(tci) & VX_VLAN_VID_MASK;
	memmove(p + 2 * ETH_ALEN, p + 2 * ETH_ALEN + VX_VLAN_HLEN,
		len - 2 * ETH_ALEN - VX_VLAN_HLEN);
	return len - VX_VLAN_HLEN;
}

int vx_bcast_recv(struct vx_bcast *b, void *buf, uint32_t buflen, uint16_t *vlan)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
	} cbuf;
	struct sockaddr_ll sll;
	struct iovec iov = { .iov_base = buf, .iov_len = buflen };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;
	int skip;

	for (skip = 0; skip < VX_BCAST_MAX_SKIP; skip++) {
		msg.msg_name = &sll;
		msg.msg_namelen = sizeof(sll);
		msg.msg_control = cbuf.buf;
		msg.msg_controllen = sizeof(cbuf.buf);
		msg.msg_flags = 0;
		n = recvmsg(b->fd, &msg, MSG_DONTWAIT);
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
		if (sll.sll_pkttype == PACKET_OUTGOING || n < ETH_HLEN)
			continue;
		if (msg.msg_flags & MSG_TRUNC)
			return -EMSGSIZE;
		*vlan = 0;
		if (vx_bcast_aux_vlan(&msg, vlan))
			return n;
		return vx_bcast_strip_tag(buf, n, vlan);
	}
	return 0;
}
