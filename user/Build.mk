# SPDX-License-Identifier: GPL-2.0
# Everything but main.c goes into libvx.a so the tests link the same code.
VX_SRCS := $(filter-out user/main.c,$(wildcard user/*.c user/offload/*.c))
VX_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(VX_SRCS))
VX_LIB  := $(BUILD)/libvx.a
VXD     := $(BUILD)/vhost-xdpd

all: $(VXD)

# steer.c includes the generated skeleton.
$(BUILD)/obj/user/steer.o: $(BUILD)/steer.skel.h

$(VX_LIB): $(VX_OBJS)
	@echo "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^

$(VXD): $(BUILD)/obj/user/main.o $(VX_LIB)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
