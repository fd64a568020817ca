# blimp build. `make` builds build/blimpd and build/blimp.
# Each src/<module>/ becomes build/lib<module>.a; tests/unit/test_<module>_*.c
# link only the archives their module needs (see DEPS_*), so a module under
# construction never breaks another module's tests.
CC      ?= gcc
BUILD   ?= build
PKGS    := libvirt json-c inih libsystemd libmicrohttpd
CFLAGS  ?= -O2 -g
LDFLAGS += -Wl,--as-needed
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

.PHONY: all clean test unit asan integration fuzz deps guest debian-guest bench format check demo \
	man install uninstall deb access-probe
all: $(BUILD)/blimpd $(BUILD)/blimp

$(BUILD)/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

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
# A test that spans modules names the extra ones: TESTDEPS_<test> (linked first).
TESTDEPS_test_daemon_simagree := sim
test_libs = $(foreach m,$(TESTDEPS_$(1)),$(BUILD)/lib$(m).a) $(call libs_of,$(call mod_of,$(1)))
$(BUILD)/tests/%: tests/unit/%.c $$(call test_libs,$$*)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $< $(call test_libs,$*) $(LDLIBS) -lcmocka

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

# Man pages and the default blimpd.conf, generated from the binaries' own tables
# (tools/mkman.sh); the stamp is the check that every setting, flag and command is in
# them.
MAN_SRC := $(BUILD)/man/blimp.1 $(BUILD)/man/blimpd.8 $(BUILD)/man/blimpd.conf.5 \
	   $(BUILD)/man/blimp-guest-build.8
man: $(BUILD)/man/.checked
$(BUILD)/man/.checked: $(MAN_SRC) $(BUILD)/man/blimpd.conf
	tools/mkman.sh check $(BUILD)/blimpd $(BUILD)/blimp $(BUILD)/man
	@touch $@
$(BUILD)/man/blimp.1: $(BUILD)/blimp tools/mkman.sh
	@mkdir -p $(dir $@)
	tools/mkman.sh blimp $< > $@.tmp && mv $@.tmp $@
$(BUILD)/man/blimpd.8: $(BUILD)/blimpd tools/mkman.sh
	@mkdir -p $(dir $@)
	tools/mkman.sh blimpd $< > $@.tmp && mv $@.tmp $@
$(BUILD)/man/blimpd.conf.5: $(BUILD)/blimpd tools/mkman.sh
	@mkdir -p $(dir $@)
	tools/mkman.sh conf5 $< > $@.tmp && mv $@.tmp $@
$(BUILD)/man/blimp-guest-build.8: $(BUILD)/blimp-guest-build tools/mkman.sh
	@mkdir -p $(dir $@)
	tools/mkman.sh guestbuild $< > $@.tmp && mv $@.tmp $@
# The installed default: the operator's libvirtd (docs/operators.md says why).
$(BUILD)/man/blimpd.conf: $(BUILD)/blimpd tools/mkman.sh
	@mkdir -p $(dir $@)
	tools/mkman.sh conf $< connect_uri=qemu:///system > $@.tmp && mv $@.tmp $@

# make install [PREFIX=/usr/local] [DESTDIR=] (docs/operators.md). The built-in
# guest's builder goes to $(GUESTLIB) with a wrapper that builds into
# /var/lib/blimp/guest, where blimpd looks first.
PREFIX     ?= /usr/local
# blimpd reads /etc/blimp/blimpd.conf whatever the PREFIX (src/daemon/main.c).
SYSCONFDIR ?= /etc
UNITDIR    ?= $(PREFIX)/lib/systemd/system
BINDIR     := $(PREFIX)/bin
SBINDIR    := $(PREFIX)/sbin
MANDIR     := $(PREFIX)/share/man
GUESTLIB   := $(PREFIX)/lib/blimp/guest-builder
GUEST_FILES := guest/build.sh guest/init guest/inittab $(wildcard guest/scripts/*.sh) \
	       $(wildcard guest/tools/*.[ch])
subst_paths = sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@GUESTLIB@|$(GUESTLIB)|g'
$(BUILD)/blimp-guest-build: packaging/blimp-guest-build.in
	@mkdir -p $(dir $@)
	$(subst_paths) $< > $@.tmp && chmod 0755 $@.tmp && mv $@.tmp $@
$(BUILD)/blimpd.service: packaging/blimpd.service.in
	@mkdir -p $(dir $@)
	$(subst_paths) $< > $@.tmp && mv $@.tmp $@

install: all man $(BUILD)/blimpd.service
	install -D -m 0755 $(BUILD)/blimpd $(DESTDIR)$(SBINDIR)/blimpd
	install -D -m 0755 $(BUILD)/blimp $(DESTDIR)$(BINDIR)/blimp
	install -D -m 0755 $(BUILD)/blimp-guest-build $(DESTDIR)$(SBINDIR)/blimp-guest-build
	install -D -m 0644 $(BUILD)/man/blimp.1 $(DESTDIR)$(MANDIR)/man1/blimp.1
	install -D -m 0644 $(BUILD)/man/blimpd.8 $(DESTDIR)$(MANDIR)/man8/blimpd.8
	install -D -m 0644 $(BUILD)/man/blimp-guest-build.8 $(DESTDIR)$(MANDIR)/man8/blimp-guest-build.8
	install -D -m 0644 $(BUILD)/man/blimpd.conf.5 $(DESTDIR)$(MANDIR)/man5/blimpd.conf.5
	install -D -m 0644 $(BUILD)/blimpd.service $(DESTDIR)$(UNITDIR)/blimpd.service
	for f in $(GUEST_FILES); do \
		install -D -m $$(if [ -x $$f ]; then echo 0755; else echo 0644; fi) $$f \
			$(DESTDIR)$(GUESTLIB)/$${f#guest/} || exit 1; \
	done
	@# an operator's edited config is never overwritten
	if [ -e $(DESTDIR)$(SYSCONFDIR)/blimp/blimpd.conf ]; then \
		install -m 0644 $(BUILD)/man/blimpd.conf $(DESTDIR)$(SYSCONFDIR)/blimp/blimpd.conf.dist; \
		echo "install: kept $(DESTDIR)$(SYSCONFDIR)/blimp/blimpd.conf, new default in blimpd.conf.dist"; \
	else \
		install -D -m 0644 $(BUILD)/man/blimpd.conf $(DESTDIR)$(SYSCONFDIR)/blimp/blimpd.conf; \
	fi

# Removes what install put there except the config (the operator's) and
# /var/lib/blimp (state, swap file, the built guest).
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/blimpd $(DESTDIR)$(BINDIR)/blimp \
	      $(DESTDIR)$(SBINDIR)/blimp-guest-build $(DESTDIR)$(MANDIR)/man1/blimp.1 \
	      $(DESTDIR)$(MANDIR)/man8/blimpd.8 $(DESTDIR)$(MANDIR)/man8/blimp-guest-build.8 \
	      $(DESTDIR)$(MANDIR)/man5/blimpd.conf.5 $(DESTDIR)$(UNITDIR)/blimpd.service \
	      $(DESTDIR)$(SYSCONFDIR)/blimp/blimpd.conf.dist
	rm -rf $(DESTDIR)$(PREFIX)/lib/blimp

# The Debian package (debian/), built in a copy of the tree: ../blimp_*.deb of the copy
# ends in $(BUILD)/deb/. tests/package/run.sh checks it.
deb:
	tests/package/build-deb.sh $(BUILD)/deb

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
