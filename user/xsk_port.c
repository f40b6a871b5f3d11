// SPDX-License-Identifier: GPL-2.0
/*
 * One AF_XDP socket on one (NIC, queue), with its own UMEM.
 *
 * Frame ownership: every UMEM frame is at any time in exactly one of
 *   - the pool (a LIFO stack of free frame base addresses),
 *   - the caller's hands (from vx_xsk_frame_alloc() or vx_xsk_rx(), until
 *     vx_xsk_frame_free() or vx_xsk_tx()),
 *   - lent to the kernel: fill ring -> RX ring, or TX ring -> completion ring.
 * We count what is lent in each direction, so that
 *   pool + held + lent_rx + lent_tx == nframes
 * and the fill ring is never refilled beyond what the RX ring can hold: with
 * lent_rx <= rx ring size the RX ring cannot overflow, so the kernel never has
 * to park a frame outside the rings (and the pool never runs dry for TX just
 * because RX took everything).
 *
 * Frame layout (aligned chunks, frame_size a power of two): the kernel writes
 * received packets XDP_PACKET_HEADROOM bytes into the frame and the RX
 * descriptor's address already includes that offset. TX data starts at the
 * address the caller passes to vx_xsk_tx(): frames from vx_xsk_frame_alloc()
 * are written at their base, a received frame can be sent back as is. Either
 * way the packet may not exceed vx_xsk_frame_size() bytes.
 */
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/ethtool.h>
#include <linux/if_link.h>
#include <linux/if_xdp.h>
#include <linux/sockios.h>
#include <xdp/xsk.h>

#include "log.h"
#include "xsk_port.h"

/*
 * Multi-buffer AF_XDP (Linux 6.6, include/uapi/linux/if_xdp.h); Debian 12's
 * 6.1 uapi headers predate it. An older kernel refuses the bind flag with
 * EINVAL, which the dedicated queue takes as "no zero-copy TX".
 */
#ifndef XDP_USE_SG
#define XDP_USE_SG (1 << 4)
#endif
#ifndef XDP_PKT_CONTD
#define XDP_PKT_CONTD (1 << 0)
#endif

#define VX_XSK_DEF_NFRAMES	4096
#define VX_XSK_MIN_NFRAMES	64
/* Half a page: 1792 usable bytes after XDP_PACKET_HEADROOM, enough for 1514-byte frames. */
#define VX_XSK_DEF_FRAME_SIZE	2048
/*
 * A closed socket releases its queue from a workqueue (xp_release_deferred in
 * net/xdp/xsk_buff_pool.c), so a queue freed a moment ago (a restart, a
 * reopen) can still read EBUSY: retry for up to BUSY_TRIES * BUSY_WAIT_US.
 */
#define VX_XSK_BUSY_TRIES	100
#define VX_XSK_BUSY_WAIT_US	10000
/* Ring sizes: half the frames each, at most 2048 (plenty for a 64-packet batch loop). */
#define VX_XSK_MAX_RING		2048
/* Refill the fill ring only in batches this big, unless it runs nearly empty. */
#define VX_XSK_FILL_BATCH	64
/*
 * In copy mode one sendto() transmits at most 32 descriptors (TX_BATCH_SIZE in
 * net/xdp/xsk.c) and returns EAGAIN when more are queued; kick again, but a
 * bounded number of times per flush.
 */
#define VX_XSK_COPY_TX_BATCH	32
#define VX_XSK_MAX_KICKS	(VX_XSK_MAX_RING / VX_XSK_COPY_TX_BATCH)

struct vx_xsk {
	struct xsk_ring_prod fill;
	struct xsk_ring_cons comp;
	struct xsk_ring_cons rx;
	struct xsk_ring_prod tx;
	struct xsk_umem *umem;
	struct xsk_socket *sock;
	void *area;
	size_t area_len;
	uint64_t *pool;		/* free frame base addresses, LIFO */
	uint32_t pool_n;
	uint32_t nframes;
	uint32_t frame_size;
	bool busy_poll;		/* vx_xsk_set_busy_poll succeeded */
	uint32_t ring_size;	/* fill, comp, rx and tx alike */
	uint32_t lent_rx;	/* in fill ring, kernel or RX ring */
	uint32_t lent_tx;	/* in TX ring (queued or submitted), kernel or completion ring */
	uint32_t tx_queued;	/* reserved TX slots not yet submitted */
	bool zc;
	bool sg;		/* bound with XDP_USE_SG */
	bool rx_skip;		/* dropping the rest of a packet longer than one RX call */
	bool rx_multi;		/* the last vx_xsk_rx batch had a packet of several pieces */
	uint64_t rx_drops;	/* packets dropped for that */
	bool foreign;		/* dedicated queue: caller's area, foreign addresses above pool_end */
	uint64_t pool_end;
	uint64_t *fdone;	/* completed foreign TX addresses, ring_size at most */
	uint32_t fdone_n;
	uint32_t queue;
	char ifname[IF_NAMESIZE];
};

static uint32_t vx_xsk_prod_used(const struct xsk_ring_prod *r)
{
	return *r->producer - __atomic_load_n(r->consumer, __ATOMIC_ACQUIRE);
}

static uint32_t vx_xsk_cons_used(const struct xsk_ring_cons *r)
{
	return __atomic_load_n(r->producer, __ATOMIC_ACQUIRE) - *r->consumer;
}

static void vx_xsk_pool_push(struct vx_xsk *x, uint64_t addr)
{
	/* A full pool means a double free; dropping it keeps the stack sane. */
	if (x->pool_n < x->nframes)
		x->pool[x->pool_n++] = addr & ~(uint64_t)(x->frame_size - 1);
}

/* Number of queues an AF_XDP socket can bind to, or 0 if the driver does not say. */
uint32_t vx_xsk_nic_queues(const char *ifname)
{
	struct ethtool_channels ch = { .cmd = ETHTOOL_GCHANNELS };
	struct ifreq ifr = {};
	uint32_t n = 0;
	int fd;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	strncpy(ifr.ifr_name, ifname, sizeof(ifr.ifr_name) - 1);
	ifr.ifr_data = (void *)&ch;
	/* bind() needs qid below both real_num_rx_queues and real_num_tx_queues. */
	if (!ioctl(fd, SIOCETHTOOL, &ifr))
		n = ch.combined_count + (ch.rx_count < ch.tx_count ? ch.rx_count : ch.tx_count);
	close(fd);
	return n;
}

static int vx_xsk_check_args(struct vx_xsk *x, const char *ifname, uint32_t queue)
{
	uint32_t nq;

	if (!if_nametoindex(ifname)) {
		pr_err("%s q%u: no such interface\n", ifname, queue);
		return -ENODEV;
	}
	nq = vx_xsk_nic_queues(ifname);
	if (nq && queue >= nq) {
		pr_err("%s q%u: the interface has only %u queue%s\n", ifname, queue, nq,
		       nq == 1 ? "" : "s");
		return -EINVAL;
	}
	if (x->nframes < VX_XSK_MIN_NFRAMES || (x->nframes & (x->nframes - 1))) {
		pr_err("%s q%u: frame count %u is not a power of two >= %u\n", ifname, queue,
		       x->nframes, VX_XSK_MIN_NFRAMES);
		return -EINVAL;
	}
	if (x->frame_size < 2048 || x->frame_size > 4096 ||
	    (x->frame_size & (x->frame_size - 1))) {
		pr_err("%s q%u: frame size %u is not 2048 or 4096\n", ifname, queue,
		       x->frame_size);
		return -EINVAL;
	}
	return 0;
}

static int vx_xsk_umem_create(struct vx_xsk *x)
{
	struct xsk_umem_config cfg = {
		.fill_size = x->ring_size,
		.comp_size = x->ring_size,
		.frame_size = x->frame_size,
		.frame_headroom = 0,
		.flags = x->foreign ? XDP_UMEM_UNALIGNED_CHUNK_FLAG : 0,
	};

	return xsk_umem__create(&x->umem, x->area, x->area_len, &x->fill, &x->comp, &cfg);
}

/* One attempt to bind; on failure the socket and the UMEM registration are gone. */
static int vx_xsk_bind_once(struct vx_xsk *x, const struct vx_xsk_opts *opts, bool zc)
{
	struct xsk_socket_config cfg = {
		.rx_size = x->ring_size,
		.tx_size = x->ring_size,
		.bind_flags = XDP_USE_NEED_WAKEUP | (zc ? XDP_ZEROCOPY : XDP_COPY) |
			      (opts->sg ? XDP_USE_SG : 0),
	};
	int err;

	if (!opts->load_default_prog)
		cfg.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD;
	if (opts->skb_mode)
		cfg.xdp_flags = XDP_FLAGS_SKB_MODE;

	err = vx_xsk_umem_create(x);
	if (err)
		return err;
	err = xsk_socket__create(&x->sock, x->ifname, x->queue, x->umem, &x->rx, &x->tx, &cfg);
	if (err) {
		/*
		 * A UMEM whose first bind failed is not reusable through
		 * libxdp (its rings were set up on the failed socket), so
		 * start over with a fresh one.
		 */
		x->sock = NULL;
		xsk_umem__delete(x->umem);
		x->umem = NULL;
	}
	return err;
}

static int vx_xsk_bind(struct vx_xsk *x, const struct vx_xsk_opts *opts, bool zc)
{
	int err, tries = 0;

	while ((err = vx_xsk_bind_once(x, opts, zc)) == -EBUSY && ++tries < VX_XSK_BUSY_TRIES)
		usleep(VX_XSK_BUSY_WAIT_US);
	if (err == -EBUSY)
		pr_err("%s q%u: queue in use by another AF_XDP socket\n", x->ifname, x->queue);
	return err;
}

static bool vx_xsk_bound_zc(const struct vx_xsk *x)
{
	struct xdp_options o = {};
	socklen_t len = sizeof(o);

	if (getsockopt(xsk_socket__fd(x->sock), SOL_XDP, XDP_OPTIONS, &o, &len))
		return false;
	return o.flags & XDP_OPTIONS_ZEROCOPY;
}

static int vx_xsk_socket_open(struct vx_xsk *x, const struct vx_xsk_opts *opts)
{
	int err;

	if (opts->zc == VX_XSK_ZC_OFF || (opts->zc == VX_XSK_ZC_AUTO && opts->skb_mode))
		goto copy;

	err = vx_xsk_bind(x, opts, true);
	if (!err || err == -EBUSY)
		return err;
	if (opts->zc == VX_XSK_ZC_ON) {
		pr_err("%s q%u: zero-copy requested but bind failed: %s\n", x->ifname, x->queue,
		       strerror(-err));
		return err;
	}
	pr_info("%s q%u: zero-copy not supported (%s), using copy mode\n", x->ifname, x->queue,
		strerror(-err));
copy:
	err = vx_xsk_bind(x, opts, false);
	if (err && err != -EBUSY)
		pr_err("%s q%u: AF_XDP bind failed: %s%s\n", x->ifname, x->queue, strerror(-err),
		       err == -EINVAL ? " (queue beyond the NIC's queues?)" : "");
	return err;
}

/* Lends up to want frames of the pool for RX, never more than the RX ring holds. */
static uint32_t vx_xsk_lend_pool(struct vx_xsk *x, uint32_t want)
{
	uint32_t idx, i;

	if (want > x->ring_size - x->lent_rx)
		want = x->ring_size - x->lent_rx;
	if (want > x->pool_n)
		want = x->pool_n;
	/* Cannot fail: the fill ring holds at most lent_rx entries. */
	if (!want || xsk_ring_prod__reserve(&x->fill, want, &idx) != want)
		return 0;
	for (i = 0; i < want; i++)
		*xsk_ring_prod__fill_addr(&x->fill, idx + i) = x->pool[--x->pool_n];
	xsk_ring_prod__submit(&x->fill, want);
	x->lent_rx += want;
	return want;
}

/* Lends free frames to the kernel for RX, in batches. */
static void vx_xsk_refill(struct vx_xsk *x)
{
	uint32_t want = x->ring_size - x->lent_rx;

	if (x->foreign)
		return;
	if (want < VX_XSK_FILL_BATCH && x->lent_rx >= VX_XSK_FILL_BATCH)
		return;
	vx_xsk_lend_pool(x, want);
}

static void vx_xsk_wake_rx(struct vx_xsk *x)
{
	if (xsk_ring_prod__needs_wakeup(&x->fill))
		recvfrom(xsk_socket__fd(x->sock), NULL, 0, MSG_DONTWAIT, NULL, NULL);
}

int vx_xsk_open(struct vx_xsk **out, const char *ifname, uint32_t queue,
		const struct vx_xsk_opts *opts)
{
	struct vx_xsk_opts def = {};
	struct vx_xsk *x;
	uint32_t i;
	int err;

	*out = NULL;
	if (!opts)
		opts = &def;
	x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	strncpy(x->ifname, ifname, sizeof(x->ifname) - 1);
	x->queue = queue;
	x->nframes = opts->nframes ? opts->nframes : VX_XSK_DEF_NFRAMES;
	x->frame_size = opts->frame_size ? opts->frame_size : VX_XSK_DEF_FRAME_SIZE;
	x->ring_size = x->nframes / 2 < VX_XSK_MAX_RING ? x->nframes / 2 : VX_XSK_MAX_RING;
	err = vx_xsk_check_args(x, ifname, queue);
	if (err)
		goto end_free;

	err = -ENOMEM;
	x->pool_end = (uint64_t)x->nframes * x->frame_size;
	x->pool = calloc(x->nframes, sizeof(*x->pool));
	x->fdone = calloc(x->ring_size, sizeof(*x->fdone));
	if (!x->pool || !x->fdone) {
		pr_err("%s q%u: cannot allocate the frame pool\n", ifname, queue);
		goto end_free_pool;
	}
	if (opts->area) {
		x->foreign = true;
		x->area = opts->area;
		x->area_len = opts->area_len;
		if (x->area_len < x->pool_end) {
			err = -EINVAL;
			goto end_free_pool;
		}
	} else {
		x->area_len = x->pool_end;
		x->area = mmap(NULL, x->area_len, PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	}
	if (x->area == MAP_FAILED) {
		err = -errno;
		pr_err("%s q%u: cannot map %zu bytes of UMEM: %s\n", ifname, queue, x->area_len,
		       strerror(errno));
		goto end_free_pool;
	}

	err = vx_xsk_socket_open(x, opts);
	if (err)
		goto end_unmap;
	x->zc = vx_xsk_bound_zc(x);
	x->sg = opts->sg;

	/* Highest address on top is irrelevant; any order works for a LIFO. */
	for (i = 0; i < x->nframes; i++)
		x->pool[i] = (uint64_t)(x->nframes - 1 - i) * x->frame_size;
	x->pool_n = x->nframes;
	vx_xsk_refill(x);
	vx_xsk_wake_rx(x);

	pr_debug("%s q%u: AF_XDP socket fd %d, %u frames of %u bytes, %s mode\n", ifname, queue,
		 vx_xsk_fd(x), x->nframes, x->frame_size, x->zc ? "zero-copy" : "copy");
	*out = x;
	return 0;

end_unmap:
	if (!x->foreign)
		munmap(x->area, x->area_len);
end_free_pool:
	free(x->fdone);
	free(x->pool);
end_free:
	free(x);
	return err;
}

void vx_xsk_close(struct vx_xsk *x)
{
	if (!x)
		return;
	xsk_socket__delete(x->sock);
	xsk_umem__delete(x->umem);
	if (!x->foreign)
		munmap(x->area, x->area_len);
	free(x->fdone);
	free(x->pool);
	free(x);
}

int vx_xsk_fd(const struct vx_xsk *x)
{
	return xsk_socket__fd(x->sock);
}

bool vx_xsk_zerocopy(const struct vx_xsk *x)
{
	return x->zc;
}

uint32_t vx_xsk_frame_size(const struct vx_xsk *x)
{
	return x->frame_size - XDP_PACKET_HEADROOM;
}

void *vx_xsk_data(struct vx_xsk *x, uint64_t addr)
{
	return xsk_umem__get_data(x->area, addr);
}

bool vx_xsk_frame_alloc(struct vx_xsk *x, uint64_t *addr)
{
	if (!x->pool_n)
		return false;
	*addr = x->pool[--x->pool_n];
	return true;
}

void vx_xsk_frame_free(struct vx_xsk *x, uint64_t addr)
{
	vx_xsk_pool_push(x, addr);
}

unsigned vx_xsk_complete(struct vx_xsk *x)
{
	uint32_t idx, n, i;

	n = xsk_ring_cons__peek(&x->comp, x->ring_size, &idx);
	if (!n)
		return 0;
	for (i = 0; i < n; i++) {
		uint64_t a = *xsk_ring_cons__comp_addr(&x->comp, idx + i);

		if (x->foreign)
			a = xsk_umem__add_offset_to_addr(a);
		if (a < x->pool_end)
			vx_xsk_pool_push(x, a);
		else if (x->fdone_n < x->ring_size)	/* lent_tx bounds it */
			x->fdone[x->fdone_n++] = a;
	}
	xsk_ring_cons__release(&x->comp, n);
	x->lent_tx -= n;
	return n;
}

/*
 * A received piece dropped here. A foreign buffer (dedicated queue) is not
 * ours to pool: it stays counted as lent until the caller takes every
 * buffer back at close; the steering program's max_len keeps packets that
 * long away from such a socket anyway.
 */
static void vx_xsk_rx_drop(struct vx_xsk *x, const struct vx_xsk_desc *d)
{
	if (d->base < x->pool_end)
		vx_xsk_pool_push(x, d->base);
}

/*
 * Pieces at the start of descs that finish a packet already dropped
 * (rx_skip); returns how many, and frees them.
 */
static uint32_t vx_xsk_rx_skip(struct vx_xsk *x, const struct vx_xsk_desc *descs, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n && x->rx_skip; i++) {
		vx_xsk_rx_drop(x, &descs[i]);
		x->rx_skip = descs[i].contd;
	}
	return i;
}

/*
 * The batch ends inside a packet (XDP_USE_SG): leave its pieces in the RX
 * ring for the next call, where the rest follows. If the batch is nothing
 * but that packet, it has more pieces than the caller takes: drop it.
 * Returns how many descriptors to take.
 */
static uint32_t vx_xsk_rx_cut(struct vx_xsk *x, struct vx_xsk_desc *descs, uint32_t n,
			      uint32_t max)
{
	uint32_t k = n, i;

	while (k && descs[k - 1].contd)
		k--;
	if (k || n < max)
		return k;
	for (i = 0; i < n; i++)
		vx_xsk_rx_drop(x, &descs[i]);
	x->rx_skip = true;
	x->rx_drops++;
	return n;
}

unsigned vx_xsk_rx(struct vx_xsk *x, struct vx_xsk_desc *descs, unsigned max)
{
	const struct xdp_desc *d;
	uint32_t idx, n, i, skip = 0, opts = 0;

	vx_xsk_complete(x);
	n = xsk_ring_cons__peek(&x->rx, max, &idx);
	for (i = 0; i < n; i++) {
		d = xsk_ring_cons__rx_desc(&x->rx, idx + i);
		descs[i].addr = x->foreign ? xsk_umem__add_offset_to_addr(d->addr) : d->addr;
		descs[i].base = x->foreign ? xsk_umem__extract_addr(d->addr) : d->addr;
		descs[i].len = d->len;
		descs[i].contd = d->options & XDP_PKT_CONTD;
		opts |= d->options;
	}
	x->rx_multi = opts & XDP_PKT_CONTD;
	if (n && descs[n - 1].contd) {
		uint32_t k = vx_xsk_rx_cut(x, descs, n, max);

		xsk_ring_cons__cancel(&x->rx, n - k);
		skip = k == n && x->rx_skip ? n : 0;	/* all dropped */
		n = k;
	}
	if (x->rx_skip && n > skip)
		skip = vx_xsk_rx_skip(x, descs, n);
	if (n) {
		xsk_ring_cons__release(&x->rx, n);
		x->lent_rx -= n;
	}
	if (skip) {
		memmove(descs, descs + skip, (n - skip) * sizeof(*descs));
		n -= skip;
	}
	vx_xsk_refill(x);
	vx_xsk_wake_rx(x);
	return n;
}

bool vx_xsk_tx(struct vx_xsk *x, uint64_t addr, uint32_t len)
{
	struct xdp_desc *d;
	uint32_t idx;

	if (xsk_ring_prod__reserve(&x->tx, 1, &idx) != 1)
		return false;
	d = xsk_ring_prod__tx_desc(&x->tx, idx);
	d->addr = addr;
	d->len = len;
	d->options = 0;
	x->tx_queued++;
	x->lent_tx++;
	return true;
}

void vx_xsk_tx_flush(struct vx_xsk *x)
{
	int kicks = 0;

	if (x->tx_queued) {
		xsk_ring_prod__submit(&x->tx, x->tx_queued);
		x->tx_queued = 0;
	}
	/*
	 * Kick while frames wait in the TX ring. EAGAIN means the kernel
	 * stopped at its copy-mode batch limit or found the completion ring
	 * full: reap and kick again. Other errors (ENOBUFS, EBUSY, ENETDOWN)
	 * leave the frames queued for the next flush.
	 */
	while (vx_xsk_prod_used(&x->tx) && xsk_ring_prod__needs_wakeup(&x->tx) &&
	       kicks++ < VX_XSK_MAX_KICKS) {
		if (sendto(vx_xsk_fd(x), NULL, 0, MSG_DONTWAIT, NULL, 0) >= 0 || errno != EAGAIN)
			break;
		vx_xsk_complete(x);
	}
	vx_xsk_complete(x);
}

uint32_t vx_xsk_fill_room(const struct vx_xsk *x)
{
	return x->ring_size - x->lent_rx;
}

uint32_t vx_xsk_fill(struct vx_xsk *x, const uint64_t *addrs, uint32_t n)
{
	uint32_t idx, i;

	if (n > vx_xsk_fill_room(x))
		n = vx_xsk_fill_room(x);
	if (!n || xsk_ring_prod__reserve(&x->fill, n, &idx) != n)
		return 0;
	for (i = 0; i < n; i++)
		*xsk_ring_prod__fill_addr(&x->fill, idx + i) = addrs[i];
	xsk_ring_prod__submit(&x->fill, n);
	x->lent_rx += n;
	vx_xsk_wake_rx(x);
	return n;
}

uint32_t vx_xsk_fill_spare(struct vx_xsk *x, uint32_t max)
{
	uint32_t n = vx_xsk_lend_pool(x, max);

	if (n)
		vx_xsk_wake_rx(x);
	return n;
}

bool vx_xsk_txv(struct vx_xsk *x, const uint64_t *addrs, const uint32_t *lens, unsigned int n)
{
	struct xdp_desc *d;
	uint32_t idx, i;

	if (xsk_ring_prod__reserve(&x->tx, n, &idx) != n)
		return false;
	for (i = 0; i < n; i++) {
		d = xsk_ring_prod__tx_desc(&x->tx, idx + i);
		d->addr = addrs[i];
		d->len = lens[i];
		d->options = i + 1 < n ? XDP_PKT_CONTD : 0;
	}
	x->tx_queued += n;
	x->lent_tx += n;
	return true;
}

bool vx_xsk_tx2(struct vx_xsk *x, uint64_t a1, uint32_t l1, uint64_t a2, uint32_t l2)
{
	const uint64_t a[2] = { a1, a2 };
	const uint32_t l[2] = { l1, l2 };

	return vx_xsk_txv(x, a, l, 2);
}

bool vx_xsk_sg(const struct vx_xsk *x)
{
	return x->sg;
}

uint32_t vx_xsk_chunk_size(const struct vx_xsk *x)
{
	return x->frame_size;
}

bool vx_xsk_rx_multi(const struct vx_xsk *x)
{
	return x->rx_multi;
}

uint64_t vx_xsk_rx_drops(const struct vx_xsk *x)
{
	return x->rx_drops;
}

uint32_t vx_xsk_foreign_done(struct vx_xsk *x, uint64_t *addrs, uint32_t max)
{
	uint32_t n = x->fdone_n < max ? x->fdone_n : max;

	memcpy(addrs, x->fdone, n * sizeof(*addrs));
	memmove(x->fdone, x->fdone + n, (x->fdone_n - n) * sizeof(*addrs));
	x->fdone_n -= n;
	return n;
}

uint64_t vx_xsk_pool_end(const struct vx_xsk *x)
{
	return x->pool_end;
}

uint64_t vx_xsk_kernel_drops(const struct vx_xsk *x)
{
	struct xdp_statistics st = {};
	socklen_t len = sizeof(st);

	if (getsockopt(xsk_socket__fd(x->sock), SOL_XDP, XDP_STATISTICS, &st, &len))
		return 0;
	/*
	 * In copy mode an empty fill ring counts twice, in rx_dropped and in
	 * rx_fill_ring_empty_descs (net/xdp/xsk.c __xsk_rcv, xp_alloc); with
	 * zero-copy only the latter counts it. RX ring full is counted apart.
	 */
	return (st.rx_dropped > st.rx_fill_ring_empty_descs ? st.rx_dropped :
							      st.rx_fill_ring_empty_descs) +
	       st.rx_ring_full;
}

uint32_t vx_xsk_held(const struct vx_xsk *x)
{
	return x->nframes - x->pool_n - x->lent_rx - x->lent_tx;
}

uint32_t vx_xsk_pool_free(const struct vx_xsk *x)
{
	return x->pool_n;
}

void vx_xsk_debug_frames(const struct vx_xsk *x, uint32_t *lent, uint32_t *in_rings)
{
	*lent = x->lent_rx + x->lent_tx;
	*in_rings = vx_xsk_prod_used(&x->fill) + vx_xsk_cons_used(&x->rx) +
		    vx_xsk_prod_used(&x->tx) + x->tx_queued + vx_xsk_cons_used(&x->comp);
}

/*
 * Kernel busy polling (Documentation/networking/napi.rst, "preferred busy
 * polling"): with SO_PREFER_BUSY_POLL the socket's NAPI context is run by
 * whoever calls recvfrom()/sendto() on it, here the worker, instead of in
 * softirq on whichever CPU raised it. SO_BUSY_POLL is how long one call
 * may poll, SO_BUSY_POLL_BUDGET how many packets it may take.
 */
#ifndef SO_PREFER_BUSY_POLL
#define SO_PREFER_BUSY_POLL 69
#endif
#ifndef SO_BUSY_POLL_BUDGET
#define SO_BUSY_POLL_BUDGET 70
#endif

int vx_xsk_set_busy_poll(struct vx_xsk *x, unsigned int usec, unsigned int budget)
{
	int fd = xsk_socket__fd(x->sock), on = 1, us = (int)usec, b = (int)budget;

	if (setsockopt(fd, SOL_SOCKET, SO_PREFER_BUSY_POLL, &on, sizeof(on)) ||
	    setsockopt(fd, SOL_SOCKET, SO_BUSY_POLL, &us, sizeof(us)) ||
	    setsockopt(fd, SOL_SOCKET, SO_BUSY_POLL_BUDGET, &b, sizeof(b)))
		return -errno;
	x->busy_poll = true;
	return 0;
}

void vx_xsk_busy_poll(struct vx_xsk *x)
{
	if (x->busy_poll)
		recvfrom(xsk_socket__fd(x->sock), NULL, 0, MSG_DONTWAIT, NULL, NULL);
}
