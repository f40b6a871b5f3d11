# SPDX-License-Identifier: GPL-2.0
# vhost-xdpctl: the control command; talks to the daemon through its socket only.
VXCTL := $(BUILD)/vhost-xdpctl

all: $(VXCTL)

$(VXCTL): $(BUILD)/obj/ctl/vhost-xdpctl.o
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^
