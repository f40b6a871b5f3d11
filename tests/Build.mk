# SPDX-License-Identifier: GPL-2.0
# Each tests/<kind>/test_*.c is one TAP program linked against libvx.a.
TEST_SRCS := $(wildcard tests/unit/test_*.c tests/bpf/test_*.c tests/ns/test_*.c)
TEST_BINS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRCS))

all: $(TEST_BINS)

# The unit tests alone (make check-asan builds them with the sanitizers).
UNIT_BINS := $(filter $(BUILD)/tests/unit/%,$(TEST_BINS))
.PHONY: unit-build
unit-build: $(UNIT_BINS)

# An explicit prerequisite (a recipe-less pattern rule would add nothing).
$(patsubst tests/%.c,$(BUILD)/obj/tests/%.o,$(wildcard tests/bpf/test_*.c)): $(BPF_SKELS)

$(BUILD)/tests/%: $(BUILD)/obj/tests/%.o $(BUILD)/obj/tests/lib/tap.o $(VX_LIB)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The benchmark's XDP sink (tests/bench/sink.bpf.c), loaded by iproute2: no skeleton.
BENCH_SINK := $(BUILD)/bench/sink.bpf.o
all: $(BENCH_SINK)
$(BENCH_SINK): tests/bench/sink.bpf.c $(BUILD)/vmlinux.h
	@mkdir -p $(@D)
	@echo "  BPF     $@"
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

# The same sink for DPDK's net_af_xdp (xdp_prog=...): it wants a map named
# xsks_map to put its socket in; the program still drops every frame.
BENCH_SINK_XSK := $(BUILD)/bench/sink-xsk.bpf.o
all: $(BENCH_SINK_XSK)
$(BENCH_SINK_XSK): tests/bench/sink.bpf.c $(BUILD)/vmlinux.h
	@mkdir -p $(@D)
	@echo "  BPF     $@"
	$(Q)$(CLANG) $(BPF_CFLAGS) -DVX_SINK_XSKMAP -c $< -o $@

# The kmod dispatcher test's "other" XDP program (tests/kmod/xdp_count.bpf.c),
# loaded in the guest with xdp-loader next to vhost-xdpd's.
KMOD_XDP_COUNT := $(BUILD)/kmod/xdp_count.bpf.o
all: $(KMOD_XDP_COUNT)
$(KMOD_XDP_COUNT): tests/kmod/xdp_count.bpf.c $(BUILD)/vmlinux.h
	@mkdir -p $(@D)
	@echo "  BPF     $@"
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@
