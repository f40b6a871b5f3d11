// SPDX-License-Identifier: GPL-2.0
/*
 * vhost_xdp: /dev/vhost-xdp, a vhost-net compatible device whose data path
 * is vhost-xdpd (AF_XDP) in userspace.
 *
 * A VMM drives /dev/vhost-xdp with the ioctls of /dev/vhost-net. This
 * module parses no guest ring and touches no guest memory: it checks every
 * ioctl argument, resolves the memory table to the files behind the VMM's
 * shared mappings, and hands each change to the daemon as one event on
 * /dev/vhost-xdp-ctl (include/vhost_xdp/kdev_uapi.h). The VMM's ioctl then
 * waits, bounded by VXK_ACK_TIMEOUT_MS, for the daemon's answer. All
 * guest-controlled data is therefore handled in userspace only, by the same
 * code that serves vhost-user.
 *
 * Locking: vxk_lock protects the daemon state, the event queue, the device
 * table and every device's wait state (seq, acked, pending). A device's own
 * mutex serialises its VMM ioctls, so a device has at most one event that
 * waits for an answer. vxk_lock is never held while taking an mm's lock,
 * nor across a copy to or from userspace. vxk_next_lock orders the
 * daemon's VXK_CTL_NEXT calls and is taken before vxk_lock.
 */
#include <linux/debugfs.h>
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/if_tap.h>
#include <linux/if_tun.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/sched/mm.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vhost.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>
#include <linux/wait.h>

#include <vhost_xdp/kdev_uapi.h>

static unsigned int max_devices = 64;
module_param(max_devices, uint, 0444);
MODULE_PARM_DESC(max_devices, "open /dev/vhost-xdp devices at most (default 64)");

/*
 * Features a VMM may negotiate, whatever the daemon says: no dirty log
 * (VHOST_SET_LOG_BASE is refused), no IOTLB, no MTU (no ioctl sets one).
 * VHOST_NET_F_VIRTIO_NET_HDR shares bit 27 with VIRTIO_F_ANY_LAYOUT: either
 * way the guest's buffers carry the virtio-net header and the daemon
 * handles it, so the bit is offered as vhost-net offers it.
 */
#define VXK_FEATURES_ALLOWED                                                                       \
	(BIT_ULL(VIRTIO_F_VERSION_1) | BIT_ULL(VIRTIO_NET_F_MRG_RXBUF) |                           \
	 BIT_ULL(VIRTIO_RING_F_EVENT_IDX) | BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC) |                 \
	 BIT_ULL(VIRTIO_F_ANY_LAYOUT))

struct vxk_ev {
	struct list_head node;
	struct vxk_event ev; /* fd fields are filled in by VXK_CTL_NEXT */
	struct file *file;   /* kick/call/err eventfd */
	struct file *mem[VXK_MAX_REGIONS];
};

struct vxk_dev {
	struct mutex mutex; /* serialises this device's VMM ioctls */
	u32 id;
	u64 gen;		       /* daemon generation the device belongs to */
	struct mm_struct *owner;       /* VHOST_SET_OWNER (mmgrab) */
	bool broken;		       /* an answer never came: states may differ */
	struct file *backend[VXK_NVQ]; /* kept, never used for I/O */
	struct file *log_file;	       /* VHOST_SET_LOG_FD eventfd, unused */
	struct vxk_ev *rm_ev;	       /* preallocated, so close cannot fail */

	/* Under vxk_lock. */
	wait_queue_head_t wq;
	u32 seq;
	bool acked;
	int result;
	u64 value;
	struct vxk_ev *pending; /* queued, not yet taken by the daemon */
	struct vxk_ev *add_ev;	/* likewise, the ADD event */
};

static DEFINE_MUTEX(vxk_lock);
static DEFINE_MUTEX(vxk_next_lock); /* VXK_CTL_NEXT calls, in turn; outside vxk_lock */
static LIST_HEAD(vxk_queue);
static DECLARE_WAIT_QUEUE_HEAD(vxk_ctl_wq);
static DEFINE_IDR(vxk_devs);
static bool vxk_attached; /* a daemon has /dev/vhost-xdp-ctl open */
static bool vxk_ready;	  /* ... and sent VXK_CTL_HELLO */
static u64 vxk_gen = 1;	  /* changes at every attach and detach */
static u64 vxk_features;

/* Live objects, for leak checks (debugfs vhost_xdp/live). */
static atomic_t vxk_live_devs, vxk_live_events, vxk_live_files;
static struct dentry *vxk_debugfs;

/* ---- objects ---- */

static struct file *vxk_fget(int fd)
{
	struct file *f = fget(fd);

	if (f)
		atomic_inc(&vxk_live_files);
	return f;
}

static void vxk_fput(struct file *f)
{
	if (!f)
		return;
	atomic_dec(&vxk_live_files);
	fput(f);
}

static struct vxk_ev *vxk_ev_new(u32 type, u32 index)
{
	struct vxk_ev *e = kzalloc(sizeof(*e), GFP_KERNEL);

	if (!e)
		return NULL;
	atomic_inc(&vxk_live_events);
	INIT_LIST_HEAD(&e->node);
	e->ev.type = type;
	e->ev.index = index;
	e->ev.fd = -1;
	return e;
}

static void vxk_ev_free(struct vxk_ev *e)
{
	unsigned int i;

	if (!e)
		return;
	vxk_fput(e->file);
	for (i = 0; i < VXK_MAX_REGIONS; i++)
		vxk_fput(e->mem[i]);
	atomic_dec(&vxk_live_events);
	kfree(e);
}

/* ---- talking to the daemon ---- */

static bool vxk_dev_connected(const struct vxk_dev *d)
{
	lockdep_assert_held(&vxk_lock);
	return vxk_attached && vxk_ready && d->gen == vxk_gen;
}

/* The wait of a device ends with an answer, or when its daemon goes away. */
static bool vxk_answered(const struct vxk_dev *d)
{
	return READ_ONCE(d->acked) || READ_ONCE(vxk_gen) != d->gen;
}

/*
 * Queues e for the daemon and waits for its answer. Consumes e. Returns the
 * daemon's result, -ENOTCONN without a daemon (or when it goes away),
 * -ERESTARTSYS for a signal that came before the daemon took e, or
 * -ETIMEDOUT/-EINTR; after those two the device is broken, because the
 * daemon may still apply the request.
 *
 * Signals. vhost-net never fails an ioctl because of a signal: its ioctls
 * take mutexes (drivers/vhost/vhost.c, net.c: mutex_lock, and flushes that
 * wait uninterruptibly), so a stop (SIGSTOP, a debugger, the cgroup
 * freezer) or a handler only takes effect when the ioctl is done. Here the
 * wait has two phases, by whether the daemon took e with VXK_CTL_NEXT
 * (d->pending == e while it is queued):
 *
 *  - Queued: the daemon has not seen the request, so it can be withdrawn.
 *    The wait is interruptible; on a signal e leaves the queue and the
 *    ioctl returns -ERESTARTSYS. The signal code then restarts the ioctl
 *    for a stop/continue, an ignored signal or an SA_RESTART handler
 *    (arch/x86/kernel/signal.c: handle_signal() turns -ERESTARTSYS into
 *    -EINTR only for a handler without SA_RESTART; arch_do_signal_or_restart()
 *    restarts it when get_signal() in kernel/signal.c delivered no handler),
 *    and the restarted ioctl sends the same request anew: the daemon sees
 *    it once. A handler without SA_RESTART gets EINTR with nothing applied,
 *    so the device stays usable. A fatal signal ends the process anyway.
 *
 *  - Taken: the daemon may be applying it; its answer must not be lost,
 *    and sending it again is not safe (GET_VRING_BASE stops the ring, and a
 *    handler without SA_RESTART would never send it again). The wait is
 *    killable only (TASK_KILLABLE), still bounded by the same deadline, so
 *    other signals are delivered at most VXK_ACK_TIMEOUT_MS late, after the
 *    ioctl returned the daemon's answer. SIGKILL breaks the device (as a
 *    timeout does); nobody sees that ioctl's result.
 *
 * A VXK_CTL_NEXT whose copy to the daemon fails puts e back (d->pending ==
 * e again, wake-up on d->wq): the wait is then in the first phase again.
 * The deadline counts from the first queueing; a restarted ioctl is a new
 * call with a new deadline.
 */
static int vxk_call(struct vxk_dev *d, struct vxk_ev *e, u64 *value)
{
	unsigned long deadline = jiffies + msecs_to_jiffies(VXK_ACK_TIMEOUT_MS);
	bool queued;
	long left;
	int ret;

	mutex_lock(&vxk_lock);
	if (!vxk_dev_connected(d)) {
		mutex_unlock(&vxk_lock);
		vxk_ev_free(e);
		return -ENOTCONN;
	}
	if (!++d->seq)
		d->seq = 1;
	e->ev.dev = d->id;
	e->ev.seq = d->seq;
	d->acked = false;
	d->pending = e;
	list_add_tail(&e->node, &vxk_queue);
	mutex_unlock(&vxk_lock);
	wake_up_interruptible(&vxk_ctl_wq);

	mutex_lock(&vxk_lock);
	for (;;) {
		queued = d->pending == e;
		if (d->acked) {
			ret = d->result;
			if (value)
				*value = d->value;
			break;
		}
		if (d->gen != vxk_gen) {
			ret = -ENOTCONN;
			break;
		}
		if (queued && signal_pending(current)) {
			ret = -ERESTARTSYS; /* withdrawn below, never seen by the daemon */
			break;
		}
		left = (long)(deadline - jiffies);
		if (left <= 0 || fatal_signal_pending(current)) {
			d->broken = true;
			ret = left <= 0 ? -ETIMEDOUT : -EINTR;
			break;
		}
		mutex_unlock(&vxk_lock);
		if (queued)
			wait_event_interruptible_timeout(
			    d->wq, vxk_answered(d) || READ_ONCE(d->pending) != e, left);
		else
			wait_event_killable_timeout(
			    d->wq, vxk_answered(d) || READ_ONCE(d->pending) == e, left);
		mutex_lock(&vxk_lock);
	}
	e = d->pending;
	if (e)
		list_del(&e->node);
	d->pending = NULL;
	d->seq++; /* a late answer no longer matches */
	mutex_unlock(&vxk_lock);
	vxk_ev_free(e);
	if (ret == -ENOTCONN)
		pr_warn_ratelimited(
		    "vhost-xdp: device %u: vhost-xdpd went away; reopen the device\n", d->id);
	else if (ret == -ETIMEDOUT)
		pr_warn_ratelimited("vhost-xdp: device %u: vhost-xdpd did not answer within %u ms; "
				    "device disabled, reopen it\n",
				    d->id, VXK_ACK_TIMEOUT_MS);
	return ret;
}

/* ---- VMM side: one device per open ---- */

static int vxk_dev_open(struct inode *inode, struct file *f)
{
	struct vxk_dev *d;
	struct vxk_ev *add;
	int id, err = -ENOMEM;

	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d)
		return -ENOMEM;
	mutex_init(&d->mutex);
	init_waitqueue_head(&d->wq);
	d->rm_ev = vxk_ev_new(VXK_EV_REMOVE, 0);
	add = vxk_ev_new(VXK_EV_ADD, 0);
	if (!d->rm_ev || !add)
		goto err_free;

	mutex_lock(&vxk_lock);
	err = -ENOSPC;
	if (atomic_read(&vxk_live_devs) >= max_devices)
		goto err_unlock;
	id = idr_alloc_cyclic(&vxk_devs, d, 1, INT_MAX, GFP_KERNEL);
	err = id;
	if (id < 0)
		goto err_unlock;
	atomic_inc(&vxk_live_devs);
	d->id = id;
	d->gen = vxk_attached ? vxk_gen : 0;
	if (vxk_attached) {
		add->ev.dev = d->id;
		list_add_tail(&add->node, &vxk_queue);
		d->add_ev = add;
		add = NULL;
	}
	mutex_unlock(&vxk_lock);
	vxk_ev_free(add);
	wake_up_interruptible(&vxk_ctl_wq);
	f->private_data = d;
	return 0;

err_unlock:
	mutex_unlock(&vxk_lock);
err_free:
	vxk_ev_free(add);
	vxk_ev_free(d->rm_ev);
	kfree(d);
	return err;
}

static void vxk_dev_drop_local(struct vxk_dev *d)
{
	unsigned int i;

	for (i = 0; i < VXK_NVQ; i++) {
		vxk_fput(d->backend[i]);
		d->backend[i] = NULL;
	}
	vxk_fput(d->log_file);
	d->log_file = NULL;
	if (d->owner)
		mmdrop(d->owner);
	d->owner = NULL;
}

static int vxk_dev_release(struct inode *inode, struct file *f)
{
	struct vxk_dev *d = f->private_data;
	struct vxk_ev *add, *rm = d->rm_ev;

	mutex_lock(&vxk_lock);
	idr_remove(&vxk_devs, d->id);
	add = d->add_ev;
	if (add) {
		/* The daemon never heard of the device: tell it nothing. */
		list_del(&add->node);
		d->add_ev = NULL;
	} else if (vxk_attached && d->gen == vxk_gen) {
		rm->ev.dev = d->id;
		list_add_tail(&rm->node, &vxk_queue);
		rm = NULL;
	}
	mutex_unlock(&vxk_lock);
	wake_up_interruptible(&vxk_ctl_wq);
	vxk_ev_free(add);
	vxk_ev_free(rm);
	vxk_dev_drop_local(d);
	atomic_dec(&vxk_live_devs);
	mutex_destroy(&d->mutex);
	kfree(d);
	return 0;
}

static u64 vxk_offered(void)
{
	return vxk_features & VXK_FEATURES_ALLOWED;
}

static long vxk_get_features(struct vxk_dev *d, u64 __user *argp)
{
	bool ok;
	u64 f;

	mutex_lock(&vxk_lock);
	ok = vxk_dev_connected(d);
	f = vxk_offered();
	mutex_unlock(&vxk_lock);
	if (!ok)
		return -ENOTCONN;
	return put_user(f, argp);
}

static long vxk_set_features(struct vxk_dev *d, u64 __user *argp)
{
	struct vxk_ev *e;
	u64 f;

	if (get_user(f, argp))
		return -EFAULT;
	if (f & ~vxk_offered())
		return -EOPNOTSUPP;
	e = vxk_ev_new(VXK_EV_SET_FEATURES, 0);
	if (!e)
		return -ENOMEM;
	e->ev.value = f;
	return vxk_call(d, e, NULL);
}

static long vxk_set_owner(struct vxk_dev *d)
{
	if (d->owner)
		return -EBUSY;
	if (!current->mm)
		return -EINVAL;
	mmgrab(current->mm);
	d->owner = current->mm;
	return 0;
}

static long vxk_reset_owner(struct vxk_dev *d)
{
	struct vxk_ev *e = vxk_ev_new(VXK_EV_RESET, 0);
	int ret;

	if (!e)
		return -ENOMEM;
	ret = vxk_call(d, e, NULL);
	/* Withdrawn for a signal: the daemon never saw it, nothing changes. */
	if (ret == -ERESTARTSYS)
		return ret;
	/* Whatever the daemon said, the device no longer has an owner here. */
	vxk_dev_drop_local(d);
	return ret;
}

/* ---- SET_MEM_TABLE: VMM regions to (file, offset) pieces ---- */

static void vxk_mem_refuse(struct vxk_dev *d, u64 uva, const char *why)
{
	pr_warn_ratelimited("vhost-xdp: device %u: memory at VMM address 0x%llx %s; vhost-xdpd "
			    "must map guest memory, so give the VMM a shared, file-backed memory "
			    "backend (QEMU: -object memory-backend-memfd,share=on or "
			    "memory-backend-file on hugetlbfs with share=on; DPDK: hugepages)\n",
			    d->id, uva, why);
}

/* Adds [uva, uva+len) of vma as a piece of e, merging with the last piece. */
static int vxk_mem_piece(struct vxk_ev *e, struct vm_area_struct *vma, u64 gpa, u64 uva, u64 len)
{
	u64 off = ((u64)vma->vm_pgoff << PAGE_SHIFT) + (uva - vma->vm_start);
	struct vxk_region *last;
	unsigned int n = e->ev.nregions;

	if (n) {
		last = &e->ev.regions[n - 1];
		if (e->mem[n - 1] == vma->vm_file && last->uva + last->size == uva &&
		    last->gpa + last->size == gpa && last->offset + last->size == off) {
			last->size += len;
			return 0;
		}
	}
	if (n >= VXK_MAX_REGIONS)
		return -E2BIG;
	get_file(vma->vm_file);
	atomic_inc(&vxk_live_files);
	e->mem[n] = vma->vm_file;
	e->ev.regions[n] = (struct vxk_region){
	    .gpa = gpa,
	    .size = len,
	    .uva = uva,
	    .offset = off,
	    .fd = -1,
	};
	e->ev.nregions = n + 1;
	return 0;
}

/*
 * Splits one VMM region into pieces backed by shared files. Holes and
 * inaccessible (PROT_NONE) ranges are left out: DPDK describes whole
 * reserved address ranges of which only part is mapped. Accessible memory
 * that the daemon cannot map (private or anonymous) is refused.
 */
static int vxk_mem_resolve(struct vxk_dev *d, struct mm_struct *mm,
			   const struct vhost_memory_region *r, struct vxk_ev *e)
{
	u64 uva = r->userspace_addr, end = uva + r->memory_size, stop;
	struct vm_area_struct *vma;
	int err = 0;

	mmap_read_lock(mm);
	while (uva < end && !err) {
		vma = find_vma(mm, uva);
		if (!vma || vma->vm_start >= end)
			break;
		if (vma->vm_start > uva)
			uva = vma->vm_start;
		stop = min_t(u64, end, vma->vm_end);
		if (!(vma->vm_flags & (VM_READ | VM_WRITE | VM_EXEC))) {
			uva = stop;
			continue;
		}
		if (!vma->vm_file || !(vma->vm_flags & VM_SHARED)) {
			vxk_mem_refuse(d, uva, "is private or anonymous");
			err = -EINVAL;
		} else if (!S_ISREG(file_inode(vma->vm_file)->i_mode) ||
			   (vma->vm_flags & (VM_IO | VM_PFNMAP))) {
			vxk_mem_refuse(d, uva, "is not backed by a regular file");
			err = -EINVAL;
		} else {
			err = vxk_mem_piece(e, vma, r->guest_phys_addr + (uva - r->userspace_addr),
					    uva, stop - uva);
			if (err)
				pr_warn_ratelimited("vhost-xdp: device %u: memory table needs more "
						    "than %u pieces\n",
						    d->id, VXK_MAX_REGIONS);
		}
		uva = stop;
	}
	mmap_read_unlock(mm);
	return err;
}

static int vxk_mem_check(const struct vhost_memory_region *r)
{
	u64 last;

	if (!r->memory_size || check_add_overflow(r->guest_phys_addr, r->memory_size - 1, &last) ||
	    check_add_overflow(r->userspace_addr, r->memory_size - 1, &last) ||
	    r->userspace_addr + r->memory_size - 1 >= TASK_SIZE_MAX)
		return -EINVAL;
	return 0;
}

static long vxk_set_mem_table(struct vxk_dev *d, struct vhost_memory __user *argp)
{
	struct vhost_memory hdr;
	struct vhost_memory_region *r;
	struct vxk_ev *e;
	unsigned int i;
	long err;

	if (copy_from_user(&hdr, argp, sizeof(hdr)))
		return -EFAULT;
	if (hdr.padding || !hdr.nregions)
		return -EINVAL;
	if (hdr.nregions > VXK_MAX_VMM_REGIONS)
		return -E2BIG;
	r = memdup_user(argp->regions, array_size(hdr.nregions, sizeof(*r)));
	if (IS_ERR(r))
		return PTR_ERR(r);
	e = vxk_ev_new(VXK_EV_MEM_TABLE, 0);
	err = e ? 0 : -ENOMEM;
	for (i = 0; !err && i < hdr.nregions; i++) {
		err = vxk_mem_check(&r[i]);
		if (!err)
			err = vxk_mem_resolve(d, d->owner, &r[i], e);
	}
	kfree(r);
	if (!err && !e->ev.nregions) {
		vxk_mem_refuse(d, 0, "(the whole table) is not mapped");
		err = -EFAULT;
	}
	if (err) {
		vxk_ev_free(e);
		return err;
	}
	return vxk_call(d, e, NULL);
}

/* ---- vrings ---- */

static long vxk_vring_state(struct vxk_dev *d, unsigned int cmd,
			    struct vhost_vring_state __user *argp)
{
	struct vhost_vring_state s;
	struct vxk_ev *e;
	u32 type;
	u64 v = 0;
	long ret;

	if (copy_from_user(&s, argp, sizeof(s)))
		return -EFAULT;
	if (s.index >= VXK_NVQ)
		return -ENOBUFS;
	switch (cmd) {
	case VHOST_SET_VRING_NUM:
		/* virtio 1.2 2.7: a power of two, at most 32768. */
		if (!s.num || s.num > 32768 || (s.num & (s.num - 1)))
			return -EINVAL;
		type = VXK_EV_VRING_NUM;
		break;
	case VHOST_SET_VRING_BASE:
		if (s.num > 0xffff)
			return -EINVAL;
		type = VXK_EV_VRING_BASE;
		break;
	default:
		type = VXK_EV_GET_VRING_BASE;
		break;
	}
	e = vxk_ev_new(type, s.index);
	if (!e)
		return -ENOMEM;
	e->ev.value = s.num;
	ret = vxk_call(d, e, &v);
	if (ret || type != VXK_EV_GET_VRING_BASE)
		return ret;
	s.num = (u16)v;
	return copy_to_user(argp, &s, sizeof(s)) ? -EFAULT : 0;
}

static long vxk_vring_addr(struct vxk_dev *d, struct vhost_vring_addr __user *argp)
{
	struct vhost_vring_addr a;
	struct vxk_ev *e;

	if (copy_from_user(&a, argp, sizeof(a)))
		return -EFAULT;
	if (a.index >= VXK_NVQ)
		return -ENOBUFS;
	if (a.flags & ~(1u << VHOST_VRING_F_LOG))
		return -EOPNOTSUPP;
	/* virtio 1.2 2.7: descriptor table 16, available ring 2, used ring 4 byte aligned. */
	if ((a.desc_user_addr & 15) || (a.avail_user_addr & 1) || (a.used_user_addr & 3))
		return -EINVAL;
	e = vxk_ev_new(VXK_EV_VRING_ADDR, a.index);
	if (!e)
		return -ENOMEM;
	e->ev.addr.desc = a.desc_user_addr;
	e->ev.addr.used = a.used_user_addr;
	e->ev.addr.avail = a.avail_user_addr;
	e->ev.addr.log = a.log_guest_addr;
	e->ev.addr.flags = a.flags;
	return vxk_call(d, e, NULL);
}

/* An eventfd reference for fd, NULL for -1, or an ERR_PTR (CVE-2020-10942: check the type). */
static struct file *vxk_eventfd_get(int fd)
{
	struct eventfd_ctx *ctx;
	struct file *f;

	if (fd == VHOST_FILE_UNBIND)
		return NULL;
	f = vxk_fget(fd);
	if (!f)
		return ERR_PTR(-EBADF);
	ctx = eventfd_ctx_fileget(f);
	if (IS_ERR(ctx)) {
		vxk_fput(f);
		return ERR_PTR(-EINVAL);
	}
	eventfd_ctx_put(ctx);
	return f;
}

static long vxk_vring_file(struct vxk_dev *d, unsigned int cmd,
			   struct vhost_vring_file __user *argp)
{
	struct vhost_vring_file vf;
	struct vxk_ev *e;
	struct file *f;
	u32 type;

	if (copy_from_user(&vf, argp, sizeof(vf)))
		return -EFAULT;
	if (vf.index >= VXK_NVQ)
		return -ENOBUFS;
	type = cmd == VHOST_SET_VRING_KICK   ? VXK_EV_VRING_KICK
	       : cmd == VHOST_SET_VRING_CALL ? VXK_EV_VRING_CALL
					     : VXK_EV_VRING_ERR;
	f = vxk_eventfd_get(vf.fd);
	if (IS_ERR(f))
		return PTR_ERR(f);
	e = vxk_ev_new(type, vf.index);
	if (!e) {
		vxk_fput(f);
		return -ENOMEM;
	}
	e->file = f;
	return vxk_call(d, e, NULL);
}

/*
 * VHOST_NET_SET_BACKEND: the backend (a tap, as QEMU and DPDK pass) only
 * says whether the ring runs. The device keeps a reference to it but never
 * sends or receives on it: packets go through AF_XDP on the daemon's NIC.
 */
static long vxk_set_backend(struct vxk_dev *d, struct vhost_vring_file __user *argp)
{
	struct vhost_vring_file vf;
	struct file *f = NULL;
	struct vxk_ev *e;
	long ret;

	if (copy_from_user(&vf, argp, sizeof(vf)))
		return -EFAULT;
	if (vf.index >= VXK_NVQ)
		return -ENOBUFS;
	if (vf.fd != VHOST_FILE_UNBIND) {
		f = vxk_fget(vf.fd);
		if (!f)
			return -EBADF;
		if (IS_ERR(tun_get_socket(f)) && IS_ERR(tap_get_socket(f))) {
			vxk_fput(f);
			return -ENOTSOCK;
		}
	}
	e = vxk_ev_new(VXK_EV_BACKEND, vf.index);
	if (!e) {
		vxk_fput(f);
		return -ENOMEM;
	}
	e->ev.value = f != NULL;
	ret = vxk_call(d, e, NULL);
	if (ret) {
		vxk_fput(f);
		return ret;
	}
	vxk_fput(d->backend[vf.index]);
	d->backend[vf.index] = f;
	return 0;
}

static long vxk_set_log_fd(struct vxk_dev *d, int __user *argp)
{
	struct file *f;
	int fd;

	if (get_user(fd, argp))
		return -EFAULT;
	f = vxk_eventfd_get(fd);
	if (IS_ERR(f))
		return PTR_ERR(f);
	vxk_fput(d->log_file);
	d->log_file = f;
	return 0;
}

/* Ioctls that need the caller to be the owner (vhost_dev_check_owner). */
static long vxk_owned_ioctl(struct vxk_dev *d, unsigned int cmd, void __user *argp)
{
	switch (cmd) {
	case VHOST_RESET_OWNER:
		return vxk_reset_owner(d);
	case VHOST_SET_FEATURES:
		return vxk_set_features(d, argp);
	case VHOST_SET_MEM_TABLE:
		return vxk_set_mem_table(d, argp);
	case VHOST_SET_LOG_BASE:
		/* Dirty logging (live migration) is not offered: VHOST_F_LOG_ALL is off. */
		return -EOPNOTSUPP;
	case VHOST_SET_LOG_FD:
		return vxk_set_log_fd(d, argp);
	case VHOST_SET_VRING_NUM:
	case VHOST_SET_VRING_BASE:
	case VHOST_GET_VRING_BASE:
		return vxk_vring_state(d, cmd, argp);
	case VHOST_SET_VRING_ADDR:
		return vxk_vring_addr(d, argp);
	case VHOST_SET_VRING_KICK:
	case VHOST_SET_VRING_CALL:
	case VHOST_SET_VRING_ERR:
		return vxk_vring_file(d, cmd, argp);
	case VHOST_NET_SET_BACKEND:
		return vxk_set_backend(d, argp);
	default:
		return -ENOIOCTLCMD;
	}
}

static long vxk_dev_ioctl(struct file *f, unsigned int cmd, unsigned long arg)
{
	struct vxk_dev *d = f->private_data;
	void __user *argp = (void __user *)arg;
	u64 v;
	long ret;

	mutex_lock(&d->mutex);
	switch (cmd) {
	case VHOST_GET_FEATURES:
		ret = vxk_get_features(d, argp);
		break;
	case VHOST_SET_OWNER:
		ret = vxk_set_owner(d);
		break;
	case VHOST_GET_BACKEND_FEATURES:
		/* No IOTLB: no backend feature is offered. */
		ret = put_user(0ULL, (u64 __user *)argp);
		break;
	case VHOST_SET_BACKEND_FEATURES:
		ret = get_user(v, (u64 __user *)argp) ? -EFAULT : v ? -EOPNOTSUPP : 0;
		break;
	default:
		if (!d->owner || d->owner != current->mm)
			ret = -EPERM;
		else if (d->broken)
			ret = -EIO;
		else
			ret = vxk_owned_ioctl(d, cmd, argp);
		break;
	}
	mutex_unlock(&d->mutex);
	return ret;
}

static const struct file_operations vxk_dev_fops = {
    .owner = THIS_MODULE,
    .open = vxk_dev_open,
    .release = vxk_dev_release,
    .unlocked_ioctl = vxk_dev_ioctl,
    .compat_ioctl = compat_ptr_ioctl,
    .llseek = noop_llseek,
};

static struct miscdevice vxk_dev_misc = {
    .minor = MISC_DYNAMIC_MINOR,
    .name = "vhost-xdp",
    .fops = &vxk_dev_fops,
    .mode = 0600,
};

/* ---- daemon side ---- */

static int vxk_ctl_open(struct inode *inode, struct file *f)
{
	if (!capable(CAP_NET_ADMIN))
		return -EPERM;
	mutex_lock(&vxk_lock);
	if (vxk_attached) {
		mutex_unlock(&vxk_lock);
		return -EBUSY;
	}
	vxk_attached = true;
	vxk_ready = false;
	vxk_gen++;
	mutex_unlock(&vxk_lock);
	return 0;
}

static int vxk_ctl_release(struct inode *inode, struct file *f)
{
	struct vxk_ev *e, *tmp;
	struct vxk_dev *d;
	LIST_HEAD(drop);
	int id;

	mutex_lock(&vxk_lock);
	vxk_attached = false;
	vxk_ready = false;
	vxk_gen++;
	idr_for_each_entry(&vxk_devs, d, id)
	{
		d->pending = NULL;
		d->add_ev = NULL;
		wake_up(&d->wq);
	}
	list_splice_init(&vxk_queue, &drop);
	mutex_unlock(&vxk_lock);
	list_for_each_entry_safe(e, tmp, &drop, node) vxk_ev_free(e);
	pr_info("vhost-xdp: vhost-xdpd detached\n");
	return 0;
}

static long vxk_ctl_hello(struct vxk_hello __user *argp)
{
	struct vxk_hello h;

	if (copy_from_user(&h, argp, sizeof(h)))
		return -EFAULT;
	if (h.version != VXK_VERSION || h.pad)
		return -EINVAL;
	mutex_lock(&vxk_lock);
	vxk_features = h.features;
	vxk_ready = true;
	mutex_unlock(&vxk_lock);
	pr_info("vhost-xdp: vhost-xdpd attached, features 0x%llx\n",
		h.features & VXK_FEATURES_ALLOWED);
	return 0;
}

/*
 * Puts back an event VXK_CTL_NEXT took but could not hand out, at the head
 * of the queue where it was, or frees it if nobody waits for it any more
 * (its VMM ioctl timed out meanwhile, or was killed). Consumes e.
 */
static void vxk_ctl_requeue(struct vxk_ev *e, u64 gen)
{
	struct vxk_dev *d;
	unsigned int i;

	e->ev.fd = -1;
	for (i = 0; i < e->ev.nregions; i++)
		e->ev.regions[i].fd = -1;
	mutex_lock(&vxk_lock);
	d = idr_find(&vxk_devs, e->ev.dev);
	if (gen != vxk_gen ||
	    (e->ev.seq && (!d || d->gen != gen || d->seq != e->ev.seq || d->acked || d->pending))) {
		mutex_unlock(&vxk_lock);
		vxk_ev_free(e);
		return;
	}
	/*
	 * An ADD whose device was closed meanwhile goes back too: the close
	 * queued REMOVE behind it, as if NEXT had never run.
	 */
	list_add(&e->node, &vxk_queue);
	if (d && e->ev.seq) {
		d->pending = e;
		wake_up(&d->wq); /* its wait may withdraw it again (d lives while it waits) */
	} else if (d && e->ev.type == VXK_EV_ADD && !d->add_ev) {
		d->add_ev = e;
	}
	mutex_unlock(&vxk_lock);
	wake_up_interruptible(&vxk_ctl_wq);
}

/*
 * Hands out the oldest event, installing the files it carries as new fds.
 *
 * The event leaves the queue under vxk_lock and is from then on owned here
 * alone (its device's pending/add_ev no longer point to it), so it is
 * copied to the daemon without vxk_lock: a daemon buffer that faults
 * slowly (swap, userfaultfd) holds up only the daemon's own NEXT calls
 * (vxk_next_lock keeps them in queue order), never a VMM's ioctl, open or
 * close. The fds are reserved first and installed only after copy_to_user
 * succeeded; on any failure they are released and the event goes back to
 * the head of the queue (vxk_ctl_requeue), so nothing is lost or leaked.
 */
static long vxk_ctl_next(struct vxk_event __user *argp)
{
	int fds[VXK_MAX_REGIONS + 1];
	struct file *files[VXK_MAX_REGIONS + 1];
	unsigned int n = 0, i;
	struct vxk_dev *d;
	struct vxk_ev *e;
	long ret = 0;
	u64 gen;

	mutex_lock(&vxk_next_lock);
	mutex_lock(&vxk_lock);
	e = list_first_entry_or_null(&vxk_queue, struct vxk_ev, node);
	if (!e) {
		mutex_unlock(&vxk_lock);
		mutex_unlock(&vxk_next_lock);
		return -EAGAIN;
	}
	list_del_init(&e->node);
	d = idr_find(&vxk_devs, e->ev.dev);
	if (d && d->pending == e)
		d->pending = NULL; /* taken: its VMM waits killable only now */
	if (d && d->add_ev == e)
		d->add_ev = NULL;
	gen = vxk_gen;
	mutex_unlock(&vxk_lock);

	if (e->file)
		files[n++] = e->file;
	for (i = 0; i < e->ev.nregions; i++)
		files[n++] = e->mem[i];
	for (i = 0; i < n; i++) {
		fds[i] = get_unused_fd_flags(O_CLOEXEC);
		if (fds[i] < 0) {
			ret = fds[i];
			break;
		}
	}
	if (!ret) {
		i = 0;
		if (e->file)
			e->ev.fd = fds[i++];
		for (; i < n; i++)
			e->ev.regions[i - (e->file ? 1 : 0)].fd = fds[i];
		i = n;
		if (copy_to_user(argp, &e->ev, sizeof(e->ev)))
			ret = -EFAULT;
	}
	if (ret) {
		while (i--)
			put_unused_fd(fds[i]);
		vxk_ctl_requeue(e, gen);
		mutex_unlock(&vxk_next_lock);
		return ret;
	}
	/* Committed: each file reference now belongs to its new fd. */
	for (i = 0; i < n; i++) {
		fd_install(fds[i], files[i]);
		atomic_dec(&vxk_live_files);
	}
	e->file = NULL;
	memset(e->mem, 0, sizeof(e->mem));
	mutex_unlock(&vxk_next_lock);
	vxk_ev_free(e);
	return 0;
}

static long vxk_ctl_ack(struct vxk_ack __user *argp)
{
	struct vxk_dev *d;
	struct vxk_ack a;
	long ret = 0;

	if (copy_from_user(&a, argp, sizeof(a)))
		return -EFAULT;
	if (a.pad || a.result > 0 || a.result < -MAX_ERRNO)
		return -EINVAL;
	mutex_lock(&vxk_lock);
	d = idr_find(&vxk_devs, a.dev);
	/* Only the answer to the request the device waits for, after it was taken. */
	if (!d || d->gen != vxk_gen || !a.seq || a.seq != d->seq || d->acked || d->pending) {
		ret = -ESRCH;
	} else {
		d->result = a.result;
		d->value = a.value;
		WRITE_ONCE(d->acked, true);
		wake_up(&d->wq);
	}
	mutex_unlock(&vxk_lock);
	return ret;
}

static long vxk_ctl_ioctl(struct file *f, unsigned int cmd, unsigned long arg)
{
	void __user *argp = (void __user *)arg;

	switch (cmd) {
	case VXK_CTL_HELLO:
		return vxk_ctl_hello(argp);
	case VXK_CTL_NEXT:
		return vxk_ctl_next(argp);
	case VXK_CTL_ACK:
		return vxk_ctl_ack(argp);
	default:
		return -ENOTTY;
	}
}

static __poll_t vxk_ctl_poll(struct file *f, poll_table *pt)
{
	__poll_t mask = 0;

	poll_wait(f, &vxk_ctl_wq, pt);
	mutex_lock(&vxk_lock);
	if (!list_empty(&vxk_queue))
		mask = EPOLLIN | EPOLLRDNORM;
	mutex_unlock(&vxk_lock);
	return mask;
}

static const struct file_operations vxk_ctl_fops = {
    .owner = THIS_MODULE,
    .open = vxk_ctl_open,
    .release = vxk_ctl_release,
    .unlocked_ioctl = vxk_ctl_ioctl,
    .compat_ioctl = compat_ptr_ioctl,
    .poll = vxk_ctl_poll,
    .llseek = noop_llseek,
};

static struct miscdevice vxk_ctl_misc = {
    .minor = MISC_DYNAMIC_MINOR,
    .name = "vhost-xdp-ctl",
    .fops = &vxk_ctl_fops,
    .mode = 0600,
};

/* ---- module ---- */

static int vxk_live_show(struct seq_file *s, void *unused)
{
	seq_printf(s, "devices %d\nevents %d\nfiles %d\n", atomic_read(&vxk_live_devs),
		   atomic_read(&vxk_live_events), atomic_read(&vxk_live_files));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vxk_live);

static int __init vxk_init(void)
{
	int err;

	err = misc_register(&vxk_ctl_misc);
	if (err)
		return err;
	err = misc_register(&vxk_dev_misc);
	if (err) {
		misc_deregister(&vxk_ctl_misc);
		return err;
	}
	vxk_debugfs = debugfs_create_dir("vhost_xdp", NULL);
	debugfs_create_file("live", 0400, vxk_debugfs, NULL, &vxk_live_fops);
	return 0;
}

static void __exit vxk_exit(void)
{
	debugfs_remove_recursive(vxk_debugfs);
	misc_deregister(&vxk_dev_misc);
	misc_deregister(&vxk_ctl_misc);
	idr_destroy(&vxk_devs);
}

module_init(vxk_init);
module_exit(vxk_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vhost-net compatible device served by vhost-xdpd over AF_XDP");
