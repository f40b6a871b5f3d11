# SPDX-License-Identifier: GPL-2.0
BPF_PROGS := steer
BPF_SKELS := $(patsubst %,$(BUILD)/%.skel.h,$(BPF_PROGS))
all: $(BPF_SKELS)
