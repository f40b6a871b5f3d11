// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer: events of the kernel module's control device (struct
 * vxk_event, include/vhost_xdp/kdev_uapi.h) turned into vhost-user requests
 * (vx_kdev_ev_to_msg, user/kdev.c) and handled by vx_dev_handle, as
 * user/kdev.c's ev_handle does for a bound port. The fds an event carries
 * are real and made per event, where the module would install them: the
 * kick/call/err fd (or -1) and one per memory region. The rest as fuzz_vu.
 *
 * Input: byte 0 the port (max_qp), then per event
 *   type     % 16 (enum vxk_event_type; 0, 14, 15 invalid)
 *   index    u8 (255: a u32 follows)
 *   value    u64
 *   KICK/CALL/ERR: fd kind (bit 7: none, fd -1)
 *   MEM_TABLE: nregions (u8), then per region (at most VXK_MAX_REGIONS)
 *            gpa, size, uva, offset (u64 each), fd kind
 *   VRING_ADDR: desc, used, avail, log (u64 each), flags (u32)
 */
#include <errno.h>

#include <vhost_xdp/kdev_uapi.h>

#include "fuzz_dev.h"
#include "kdev.h"

#define GUEST_SIZE 0x10000

static int make_fd(uint8_t kind, int guest)
{
	int p[2];

	switch (kind % 5) {
	case 0:
		return fcntl(guest, F_DUPFD_CLOEXEC, 0);
	case 1:
		return eventfd(0, EFD_CLOEXEC);
	case 2:
		return fz_memfd("small", 4096);
	case 3:
		if (pipe2(p, O_CLOEXEC))
			abort();
		close(p[1]);
		return p[0];
	default:
		return fz_memfd("guest2", GUEST_SIZE);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { .d = data, .n = size };
	int guest;

	memset(&dev, 0, sizeof(dev));
	snprintf(dev.name, sizeof(dev.name), "fzk");
	dev.max_qp = 1 + (fz_u8(&f) & 7);
	vx_dev_init(&dev);
	dev.attached = true;
	guest = fz_memfd("guest", GUEST_SIZE);

	while (fz_left(&f) >= 2) {
		struct vxk_event ev;
		struct vu_msg m;
		uint8_t idx;
		unsigned int i;

		memset(&ev, 0, sizeof(ev));
		ev.fd = -1;
		ev.dev = 1;
		ev.seq = 1;
		ev.type = fz_u8(&f) % 16;
		idx = fz_u8(&f);
		ev.index = idx == 255 ? fz_u32(&f) : idx;
		ev.value = fz_u64(&f);
		switch (ev.type) {
		case VXK_EV_VRING_KICK:
		case VXK_EV_VRING_CALL:
		case VXK_EV_VRING_ERR: {
			uint8_t k = fz_u8(&f);

			ev.fd = (k & 0x80) ? -1 : make_fd(k, guest);
			break;
		}
		case VXK_EV_MEM_TABLE:
			ev.nregions = fz_u8(&f);
			for (i = 0; i < ev.nregions && i < VXK_MAX_REGIONS; i++) {
				ev.regions[i].gpa = fz_u64(&f);
				ev.regions[i].size = fz_u64(&f);
				ev.regions[i].uva = fz_u64(&f);
				ev.regions[i].offset = fz_u64(&f);
				ev.regions[i].fd = make_fd(fz_u8(&f), guest);
			}
			break;
		case VXK_EV_VRING_ADDR:
			ev.addr.desc = fz_u64(&f);
			ev.addr.used = fz_u64(&f);
			ev.addr.avail = fz_u64(&f);
			ev.addr.log = fz_u64(&f);
			ev.addr.flags = fz_u32(&f);
			break;
		default:
			break;
		}

		if (ev.type == VXK_EV_ADD || ev.type == VXK_EV_REMOVE) {
			/* Bind (nothing to do here) or the VMM closed the device. */
			if (ev.type == VXK_EV_REMOVE)
				vx_dev_disconnect(&dev);
			vx_kdev_ev_close_fds(&ev);
		} else if (vx_kdev_ev_to_msg(&dev, &ev, &m)) {
			vx_kdev_ev_close_fds(&ev);
		} else {
			struct vx_outcome o;
			unsigned int want = ev.fd >= 0 ? 1 : 0;

			/* Every fd of the event is in the message, and nothing else. */
			if (ev.type == VXK_EV_MEM_TABLE)
				want = ev.nregions;
			if (m.nfds != want || m.hdr.size > sizeof(m.p) ||
			    (m.hdr.flags & VU_FLAG_VERSION_MASK) != VU_FLAG_VERSION)
				abort();
			o = vx_dev_handle(&dev, &m);
			check_outcome(&m, o);
			check_dev(&dev);
			if (!o.err && ev.type == VXK_EV_GET_VRING_BASE &&
			    (m.hdr.size != sizeof(m.p.state) || m.p.state.num > 0xffff))
				abort();
		}
	}

	vx_dev_disconnect(&dev);
	vx_dev_free(&dev);
	close(guest);
	fz_check_leaks();
	return 0;
}
