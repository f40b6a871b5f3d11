# SPDX-License-Identifier: GPL-2.0
# libFuzzer targets (tests/fuzz/fuzz_*.c): built with clang and the
# sanitizers straight from the sources they drive (the offload engines by
# default; the others below name theirs), outside `all`. Debian 12's libFuzzer runtime is libclang-rt-14-dev.
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS    := $(addprefix $(BUILD)/fuzz/,$(FUZZ_TARGETS))
FUZZ_SRCS    := $(wildcard user/offload/*.c)
FUZZ_CFLAGS  := -g -O1 -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-unused-parameter \
		-Wshadow -Iinclude -Iuser -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=undefined
FUZZ_SECONDS ?= 60

.PHONY: fuzz fuzz-build
fuzz-build: $(FUZZ_BINS)

# The control parser's target takes its own sources (the request and port parsers).
FUZZ_CTL_SRCS := user/ctl_req.c user/cli.c
FUZZ_CTL_CFLAGS := $(shell $(PKGCONF) --cflags libxdp libbpf 2>/dev/null) -I$(BUILD)

$(BUILD)/fuzz/fuzz_ctl: tests/fuzz/fuzz_ctl.c $(FUZZ_CTL_SRCS) $(wildcard user/*.h)
	@mkdir -p $(@D)
	@echo "  FUZZ    $@"
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $(FUZZ_CTL_CFLAGS) -o $@ $< $(FUZZ_CTL_SRCS)

# The targets over libvx code compile the user/ files they drive with the
# fuzzer's instrumentation (tests/fuzz/fuzz_common.h stands in for log.c).
FUZZ_VIRTQ_SRCS := user/virtq.c user/guest_mem.c
FUZZ_VU_SRCS := user/vhost_user.c user/vu_msg.c $(FUZZ_VIRTQ_SRCS)
FUZZ_KDEV_SRCS := user/kdev.c $(FUZZ_VU_SRCS)
FUZZ_VX_DEPS := tests/fuzz/fuzz_common.h tests/fuzz/fuzz_dev.h $(wildcard user/*.h user/dp/*.h include/vhost_xdp/*.h)

$(BUILD)/fuzz/fuzz_virtq: tests/fuzz/fuzz_virtq.c $(FUZZ_VIRTQ_SRCS) $(FUZZ_VX_DEPS)
	@mkdir -p $(@D)
	@echo "  FUZZ    $@"
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $(FUZZ_CTL_CFLAGS) -o $@ $< $(FUZZ_VIRTQ_SRCS)

$(BUILD)/fuzz/fuzz_vu: tests/fuzz/fuzz_vu.c $(FUZZ_VU_SRCS) $(FUZZ_VX_DEPS)
	@mkdir -p $(@D)
	@echo "  FUZZ    $@"
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $(FUZZ_CTL_CFLAGS) -o $@ $< $(FUZZ_VU_SRCS)

$(BUILD)/fuzz/fuzz_kdev: tests/fuzz/fuzz_kdev.c $(FUZZ_KDEV_SRCS) $(FUZZ_VX_DEPS)
	@mkdir -p $(@D)
	@echo "  FUZZ    $@"
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $(FUZZ_CTL_CFLAGS) -o $@ $< $(FUZZ_KDEV_SRCS)

$(BUILD)/fuzz/%: tests/fuzz/%.c $(FUZZ_SRCS) $(wildcard user/offload/*.h)
	@mkdir -p $(@D)
	@echo "  FUZZ    $@"
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_SRCS)

# FUZZ_SECONDS per target; new inputs go to $(BUILD)/fuzz/corpus, crashes to $(BUILD)/fuzz/.
fuzz: fuzz-build
	tests/fuzz/run.sh $(FUZZ_SECONDS)
