# SPDX-License-Identifier: GPL-2.0
# Top-level build. All flags and rules live here; each directory's Build.mk
# only lists what it builds.

BUILD    ?= build
CC       ?= gcc
CLANG    ?= clang
BPFTOOL  ?= bpftool
PKGCONF  ?= pkg-config

ifeq ($(V),1)
Q :=
else
Q := @
endif

LIBS_PC  := libxdp libbpf libsystemd
CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-unused-parameter \
	    -Wshadow -Wformat=2 -Iinclude -Iuser -Itests/lib -I$(BUILD) \
	    $(shell $(PKGCONF) --cflags $(LIBS_PC) 2>/dev/null)
LDLIBS   += $(shell $(PKGCONF) --libs $(LIBS_PC) 2>/dev/null) -lelf -lz -lpthread
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_x86 -Wall -Werror -Iinclude -I$(BUILD)

.PHONY: all help test check check-asan bench soak clean format deps kmod
all:

include bpf/Build.mk
include user/Build.mk
include ctl/Build.mk
include tests/Build.mk
include tests/fuzz/Build.mk
include tools/Build.mk
include dist/Build.mk

help:
	@echo "make            build BPF objects, skeletons, vhost-xdpd and test programs into $(BUILD)/"
	@echo "make check      build and run every test (unit, BPF fixtures, namespace, end-to-end, kmod)"
	@echo "make check-asan build libvx and the unit tests with ASan + UBSan into $(BUILD_ASAN)/ and run them"
	@echo "make fuzz       build and run the libFuzzer targets (FUZZ_SECONDS=N each, default 60)"
	@echo "make kmod       build kmod/vhost_xdp.ko (KDIR=... to pick the kernel headers)"
	@echo "make test       same as check"
	@echo "make bench      install, build, and run the benchmark (tests/bench/bench.sh; BENCH_ARGS=...),"
	@echo "                the scale benchmark (tests/bench/scale.sh; BENCH_SCALE_ARGS=...)"
	@echo "                then the TCP table (tests/bench/tcp.sh; BENCH_TCP_ARGS=..., BENCH_TCP=0: skip it)"
	@echo "make soak       tests/ns/test_soak.sh for SOAK_SECONDS (default 600): random faults, no leak"
	@echo "make install    vhost-xdpd, vhost-xdpctl, man pages, bash completion, the systemd unit"
	@echo "                and example files; PREFIX=/usr/local DESTDIR= (dist/Build.mk has the rest)"
	@echo "make uninstall  remove them again (not /etc/vhost-xdp/NIC.ports or NIC.env)"
	@echo "make deps       install the Debian packages needed to build and test"
	@echo "make format     clang-format every C source"
	@echo "make clean      remove $(BUILD)/"
	@echo "V=1             show full commands"

deps:
	tools/install-deps.sh

# The kernel module builds against the running kernel's headers, else Debian's
# 6.1 headers (this machine runs a kernel without modules); KDIR overrides.
KDIR ?= $(or $(wildcard /lib/modules/$(shell uname -r)/build),\
	     $(lastword $(sort $(wildcard /lib/modules/6.1.*-amd64/build))))

kmod: $(BUILD)/kmod/kmod_hostile $(BUILD)/kmod/kmod_qtest
	$(Q)$(MAKE) -C kmod KDIR=$(KDIR) $(if $(Q),-s)

# Runs inside the test guest, which has no libc: linked statically.
$(BUILD)/kmod/kmod_hostile: tests/kmod/kmod_hostile.c tests/lib/tap.c include/vhost_xdp/kdev_uapi.h
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) -static -O2 -g -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror \
		-Wno-unused-parameter -Wno-unused-result -Iinclude -Itests/lib -o $@ \
		tests/kmod/kmod_hostile.c tests/lib/tap.c -lpthread

# QEMU's vhost-kernel client driven through qtest (tests/kmod/test_kmod_qemu.sh); static too.
$(BUILD)/kmod/kmod_qtest: tests/kmod/kmod_qtest.c tests/lib/tap.c
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) -static -O2 -g -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror \
		-Wno-unused-parameter -Itests/lib -o $@ tests/kmod/kmod_qtest.c tests/lib/tap.c

$(BUILD)/vmlinux.h:
	@mkdir -p $(@D)
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp && mv $@.tmp $@

$(BUILD)/%.bpf.o: bpf/%.bpf.c $(BUILD)/vmlinux.h $(wildcard include/vhost_xdp/*.h)
	@mkdir -p $(@D)
	@echo "  BPF     $@"
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	@echo "  SKEL    $@"
	$(Q)$(BPFTOOL) gen skeleton $< > $@.tmp && mv $@.tmp $@

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

# Both install what they need first (a fresh Debian 12 machine has none of
# it), then build in a sub-make that sees the installed libraries.
test check:
	tools/install-deps.sh
	$(MAKE) all kmod
	tests/run-all.sh

# The unit tests under AddressSanitizer (leaks included) and UBSan, from a
# build tree of their own; any report fails the test (UBSan does not recover).
# Runs as any user, as tests/run-all.sh unit does. CI runs it before check.
BUILD_ASAN ?= build-asan
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
check-asan:
	CFLAGS="-O2 -g $(SAN_FLAGS)" LDFLAGS="$(SAN_FLAGS)" $(MAKE) BUILD=$(BUILD_ASAN) unit-build
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
		VX_BUILD=$(CURDIR)/$(BUILD_ASAN) tests/run-all.sh unit

# About 15 min for 5 runs; BENCH_ARGS="--smoke" for a 70 s functional run.
# Then the TCP table (tests/bench/tcp.sh, iperf3 in QEMU guests): BENCH_TCP_ARGS,
# which gets --smoke from BENCH_ARGS; BENCH_TCP=0 leaves it out.
BENCH_TCP ?= 1
BENCH_TCP_ARGS ?= $(filter --smoke,$(BENCH_ARGS))
bench:
	tools/install-deps.sh
	$(MAKE) all
	tests/bench/bench.sh $(BENCH_ARGS)
	tests/bench/scale.sh $(BENCH_SCALE_ARGS)
ifneq ($(BENCH_TCP),0)
	tests/bench/tcp.sh $(BENCH_TCP_ARGS)
endif

# The soak test for longer than make check runs it (120 s there).
SOAK_SECONDS ?= 600
soak: all
	SOAK_SECONDS=$(SOAK_SECONDS) tests/ns/test_soak.sh

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(BUILD_ASAN)
	$(if $(KDIR),-$(MAKE) -s -C kmod KDIR=$(KDIR) clean)
