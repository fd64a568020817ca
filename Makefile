# blimp build. `make` builds build/blimpd and build/blimp.
# Each src/<module>/ becomes build/lib<module>.a; tests/unit/test_<module>_*.c
# link only the archives their module needs (see DEPS_*), so a module under
# construction never breaks another module's tests.
CC      ?= gcc
BUILD   ?= build
PKGS    := libvirt json-c inih libsystemd
CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-format-nonliteral \
           -D_GNU_SOURCE -Isrc $(shell pkg-config --cflags $(PKGS))
LDLIBS  := $(shell pkg-config --libs $(PKGS)) -lm
ifeq ($(SAN),1)
CFLAGS  += -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
BUILD   := build-asan
endif

MODULES := util collect policy virt act daemon cli sim
# Link order: a module's archive, then the archives it uses.
DEPS_util    := util
DEPS_collect := collect util
DEPS_policy  := policy util
DEPS_sim     := sim policy util
DEPS_act     := act collect util
DEPS_virt    := virt collect util
DEPS_daemon  := daemon virt act policy collect util
DEPS_cli     := cli sim policy util

srcs_of = $(filter-out %/main.c,$(wildcard src/$(1)/*.c))
objs_of = $(patsubst src/%.c,$(BUILD)/obj/%.o,$(call srcs_of,$(1)))
libs_of = $(foreach m,$(DEPS_$(1)),$(BUILD)/lib$(m).a)

.PHONY: access-probe all clean test unit asan integration fuzz deps guest debian-guest bench format check demo
all: $(BUILD)/blimpd $(BUILD)/blimp

$(BUILD)/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

define LIB_RULE
$(BUILD)/lib$(1).a: $(call objs_of,$(1))
	@mkdir -p $$(dir $$@)
	rm -f $$@; $(if $(call objs_of,$(1)),ar rcs $$@ $$^,printf '!<arch>\n' > $$@)
endef
$(foreach m,$(MODULES),$(eval $(call LIB_RULE,$(m))))

$(BUILD)/blimpd: $(BUILD)/obj/daemon/main.o $(call libs_of,daemon)
	$(CC) $(LDFLAGS) -o $@ $< $(call libs_of,daemon) $(LDLIBS)
$(BUILD)/blimp: $(BUILD)/obj/cli/main.o $(call libs_of,cli)
	$(CC) $(LDFLAGS) -o $@ $< $(call libs_of,cli) $(LDLIBS)

# Unit tests: tests/unit/test_<module>_<name>.c -> $(BUILD)/tests/test_<module>_<name>
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
mod_of = $(word 2,$(subst _, ,$(notdir $(1))))
.SECONDEXPANSION:
$(BUILD)/tests/%: tests/unit/%.c $$(call libs_of,$$(call mod_of,$$*))
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $< $(call libs_of,$(call mod_of,$*)) $(LDLIBS) -lcmocka

# Static driver of the collector for tests run inside a guest (t_access_guest.sh).
PROBE_SRCS := tests/guest/access_probe.c $(addprefix src/collect/,access.c access_damon.c access_sample.c damon.c smaps.c parse.c)
$(BUILD)/guest-tools/access_probe: $(PROBE_SRCS) $(wildcard src/collect/*.h)
	@mkdir -p $(dir $@)
	$(CC) -static -O2 -std=gnu11 -Wall -Wextra -Werror -Wshadow -D_GNU_SOURCE -Isrc -o $@ $(PROBE_SRCS)
access-probe: $(BUILD)/guest-tools/access_probe

unit: $(UNIT_BINS)
	@tests/run-unit.sh $(BUILD)/tests $(if $(filter 1,$(SAN)),asan,unit)
asan:
	$(MAKE) SAN=1 unit

# Fuzz targets (clang + libFuzzer): tests/fuzz/fuzz_<module>_<name>.c
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
fuzz:
	@tests/fuzz/run.sh $(FUZZ_SRCS)

guest:
	guest/build.sh

# A Debian 12 systemd guest for the operator tests; cached outside the tree
# (/var/cache/blimp/debian-guest or $BLIMP_DEBIAN_DIR), see docs/guest.md.
debian-guest:
	guest/debian/build.sh

deps:
	scripts/deps.sh

test:
	tests/run-all.sh

# The README's main job: set everything up, then run the built-in demo.
demo:
	scripts/deps.sh
	$(MAKE) -j2 all
	guest/build.sh
	$(BUILD)/blimp demo

format:
	clang-format -i $$(find src tests guest/tools bench -name '*.[ch]')

clean:
	rm -rf build build-asan

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
