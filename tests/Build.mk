# SPDX-License-Identifier: GPL-2.0
# Each tests/<kind>/test_*.c is one TAP program linked against libvx.a.
TEST_SRCS := $(wildcard tests/unit/test_*.c tests/bpf/test_*.c tests/ns/test_*.c)
TEST_BINS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRCS))

all: $(TEST_BINS)

$(BUILD)/obj/tests/bpf/%.o: $(BPF_SKELS)

$(BUILD)/tests/%: $(BUILD)/obj/tests/%.o $(BUILD)/obj/tests/lib/tap.o $(VX_LIB)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
