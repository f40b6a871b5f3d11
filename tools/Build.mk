# SPDX-License-Identifier: GPL-2.0
# vx-pkt: the project's own packet generator/checker (no library deps).
VX_PKT := $(BUILD)/vx-pkt

all: $(VX_PKT)

$(VX_PKT): $(BUILD)/obj/tools/vx-pkt.o
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ -lm

# vx-guest: a virtio-net guest on vhost-user (tests, benchmark); uses user/vu_msg.c.
VX_GUEST := $(BUILD)/vx-guest
VX_GUEST_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard tools/vx-guest/*.c))

all: $(VX_GUEST)

$(VX_GUEST): $(VX_GUEST_OBJS) $(VX_LIB)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# vx-xskgen: a bare AF_XDP socket (tx or rx only), the ceiling for any AF_XDP back-end.
VX_XSKGEN := $(BUILD)/vx-xskgen

all: $(VX_XSKGEN)

$(VX_XSKGEN): $(BUILD)/obj/tools/vx-xskgen.o
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# vx-wakelat: the cost of waking a sleeping thread on another CPU (benchmark, latency).
VX_WAKELAT := $(BUILD)/vx-wakelat

all: $(VX_WAKELAT)

$(VX_WAKELAT): $(BUILD)/obj/tools/vx-wakelat.o
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ -lpthread
