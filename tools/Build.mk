# SPDX-License-Identifier: GPL-2.0
# vx-pkt: the project's own packet generator/checker (no library deps).
VX_PKT := $(BUILD)/vx-pkt

all: $(VX_PKT)

$(VX_PKT): $(BUILD)/obj/tools/vx-pkt.o
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^
