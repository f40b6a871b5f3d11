// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-net frames (virtio 1.2 5.1.6): every buffer starts with the
 * 12-byte header; one descriptor per buffer (ANY_LAYOUT is implied by
 * VERSION_1). Test frames use vx-pkt's format (Ethernet/IPv4/UDP to port
 * 9000 with a magic, a sequence number and a pattern derived from it), so
 * vx-pkt on the other side of the wire can check them and the other way round.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <string.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <linux/virtio_net.h>

#include "../vx_frame.h"
#include "vg.h"

#define PKT_HDRS  (ETH_HLEN + sizeof(struct iphdr) + sizeof(struct udphdr))


void vg_pkt_build(uint8_t *buf, const uint8_t *dst, const uint8_t *src, uint32_t size,
		  uint32_t seq)
{
	struct ethhdr *eth = (void *)buf;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp = (void *)(ip + 1);
	struct vx_frame_hdr *h = (void *)(udp + 1);
	size_t i;

	memcpy(eth->h_dest, dst, ETH_ALEN);
	memcpy(eth->h_source, src, ETH_ALEN);
	eth->h_proto = htons(ETH_P_IP);
	memset(ip, 0, sizeof(*ip));
	ip->version = 4;
	ip->ihl = 5;
	ip->tot_len = htons(size - ETH_HLEN);
	ip->id = htons((uint16_t)seq);
	ip->ttl = 64;
	ip->protocol = IPPROTO_UDP;
	/*
	 * 10.77.0.2 (the first guest) to 10.77.0.254, which nobody has: the
	 * peer's stack drops the frame quietly instead of answering with an
	 * ICMP error, whose ARP broadcast would reach every guest.
	 */
	ip->saddr = htonl(0x0a4d0002);
	ip->daddr = htonl(0x0a4d00fe);
	ip->check = htons(vx_frame_csum(ip, sizeof(*ip), 0));
	udp->source = udp->dest = htons(VX_FRAME_PORT);
	udp->len = htons(size - ETH_HLEN - sizeof(*ip));
	udp->check = 0;
	h->magic = htonl(VX_FRAME_MAGIC);
	h->seq = htonl(seq);
	h->len = htonl(size);
	for (i = PKT_HDRS + sizeof(*h); i < size; i++)
		buf[i] = vx_frame_pattern(seq, i);
	udp->check = htons(vx_frame_udp_csum(ip, udp, ntohs(udp->len)));
	if (!udp->check)
		udp->check = 0xffff;
}

/* 1 for an intact frame of ours, 0 for someone else's, -1 if corrupt. */
int vg_pkt_verify(const uint8_t *buf, uint32_t len, uint32_t *seq)
{
	const struct ethhdr *eth = (const void *)buf;
	const struct iphdr *ip = (const void *)(eth + 1);
	const struct udphdr *udp = (const void *)(ip + 1);
	const struct vx_frame_hdr *h = (const void *)(udp + 1);
	uint32_t flen, i;

	if (len < PKT_HDRS + sizeof(*h) || eth->h_proto != htons(ETH_P_IP) ||
	    ip->protocol != IPPROTO_UDP || udp->dest != htons(VX_FRAME_PORT) ||
	    h->magic != htonl(VX_FRAME_MAGIC))
		return 0;
	*seq = ntohl(h->seq);
	flen = ntohl(h->len);
	if (flen > len || ip->ihl != 5 || ntohs(ip->tot_len) != flen - ETH_HLEN ||
	    vx_frame_csum(ip, sizeof(*ip), 0) != 0)
		return -1;
	if (udp->check && vx_frame_udp_csum(ip, udp, ntohs(udp->len)) != 0)
		return -1;
	for (i = PKT_HDRS + sizeof(*h); i < flen; i++)
		if (buf[i] != vx_frame_pattern(*seq, i))
			return -1;
	return 1;
}

static uint8_t *buf_of(struct vg_dev *d, struct vg_vq *vq, uint16_t id)
{
	return vg_gpa(&d->mem, vq->buf_gpa + (uint64_t)id * VG_BUF_SIZE);
}

static void rx_post(struct vg_dev *d, uint16_t id)
{
	struct vg_vq *vq = &d->vq[VG_RX];

	vg_vq_desc(vq, id, vq->buf_gpa + (uint64_t)id * VG_BUF_SIZE,
		   d->rx_buf_len ? d->rx_buf_len : VG_BUF_SIZE, VRING_DESC_F_WRITE, 0);
	vg_vq_add(vq, id);
}

/* Fills the RX ring with buffers (5.1.6.3) and tells the device. */
void vg_rx_post_all(struct vg_dev *d)
{
	struct vg_vq *vq = &d->vq[VG_RX];
	uint16_t i;

	for (i = 0; i < vq->num; i++)
		rx_post(d, i);
	vg_vq_publish(vq, false);
	vg_vq_arm(vq);
}

/* Takes one used RX buffer, copies its data to out+off; returns its data length or -errno. */
static int rx_take(struct vg_dev *d, uint16_t id, uint32_t len, uint8_t *out, uint32_t off,
		   uint16_t *nbufs)
{
	struct vg_vq *vq = &d->vq[VG_RX];
	uint32_t skip = off ? 0 : VG_HDR_LEN;
	uint8_t *b;

	if (id >= vq->num || len > VG_BUF_SIZE || len < skip || off + len - skip > 65536)
		return -EPROTO;
	b = buf_of(d, vq, id);
	if (!off)
		*nbufs = d->mrg_rxbuf ? le16toh(((struct virtio_net_hdr_mrg_rxbuf *)b)->num_buffers) : 1;
	memcpy(out + off, b + skip, len - skip);
	rx_post(d, id);
	return (int)(len - skip);
}

/*
 * Hands every complete frame in the used ring to fn and gives the buffers
 * back. Returns the number of frames, or -EPROTO if the device returned
 * something no buffer of ours can be (a device bug).
 */
int vg_rx_poll(struct vg_dev *d, vg_rx_fn fn, void *arg)
{
	static uint8_t frame[65536];
	struct vg_vq *vq = &d->vq[VG_RX];
	uint16_t id, nbufs = 1, i;
	uint32_t len, flen;
	int n = 0, r;

	do {
		while (vg_vq_get_used(vq, &id, &len)) {
			r = rx_take(d, id, len, frame, 0, &nbufs);
			if (r < 0 || !nbufs)
				return -EPROTO;
			flen = (uint32_t)r;
			/* 5.1.6.4: the device publishes all num_buffers at once. */
			for (i = 1; i < nbufs; i++) {
				if (!vg_vq_get_used(vq, &id, &len))
					return -EPROTO;
				r = rx_take(d, id, len, frame, flen, &nbufs);
				if (r < 0)
					return -EPROTO;
				flen += (uint32_t)r;
			}
			fn(d, frame, flen, arg);
			n++;
		}
	} while (vg_vq_arm(vq));
	if (n)
		vg_vq_publish(vq, false);
	return n;
}

void vg_tx_reclaim(struct vg_dev *d)
{
	struct vg_vq *vq = &d->vq[VG_TX];
	uint16_t id;
	uint32_t len;

	while (vg_vq_get_used(vq, &id, &len))
		if (id < vq->num && vq->nfree < vq->num)
			vq->free[vq->nfree++] = id;
}

/*
 * Queues one frame (header + frame in one buffer); publishes if kick.
 * Returns 0, or -EAGAIN if the ring is full.
 */
int vg_tx_frame(struct vg_dev *d, const uint8_t *frame, uint32_t len, bool kick)
{
	struct vg_vq *vq = &d->vq[VG_TX];
	uint16_t id;
	uint8_t *b;

	if (len > VG_BUF_SIZE - VG_HDR_LEN)
		return -EMSGSIZE;
	if (!vq->nfree)
		vg_tx_reclaim(d);
	if (!vq->nfree) {
		vg_vq_publish(vq, false);
		return -EAGAIN;
	}
	id = vq->free[--vq->nfree];
	b = buf_of(d, vq, id);
	memset(b, 0, VG_HDR_LEN);
	memcpy(b + VG_HDR_LEN, frame, len);
	vg_vq_desc(vq, id, vq->buf_gpa + (uint64_t)id * VG_BUF_SIZE, VG_HDR_LEN + len, 0, 0);
	vg_vq_add(vq, id);
	if (kick)
		vg_vq_publish(vq, false);
	return 0;
}
