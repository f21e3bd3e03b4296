# SPDX-License-Identifier: GPL-2.0
# kmsgq: the module (via Kbuild), libkmsgq, the selftests, the tools and
# the examples.
#
#   make [KDIR=...]    build all against KDIR (default: the running kernel)
#   make check         every test (vm/check.sh): libkmsgq's own checks, the
#                      selftests and demo on the stock kernel, the selftests
#                      on bookworm's 6.1, KUnit and the
#                      selftests on the debug kernel, the Debian packages
#                      in a bookworm system, all in QEMU guests;
#                      SUITE=... and TEST=... run one part on the stock
#                      kernel, e.g. make check SUITE=selftests TEST=info_test
#   make debian-check  the Debian packages and the Python binding in a
#                      bookworm guest (vm/debian-guest.sh), the last part
#                      of make check, alone
#   make demo          the demo and the short benchmark, in the guest
#   make bench         the full benchmark: table, CSV and PNG (host gnuplot)
#                      (both: LOAD=N runs N busy processes on the host
#                      beside the guest, vm/host-load.sh)
#   make bench-profile the benchmark's sleeps and wakeups per transport, and
#                      its CPU profile by function (LOAD=N)
#   make soak          the timed soak: SOAK_SECONDS=300, KERNEL=debug, SEED=S
#   make vm-shell      a shell in the guest with the module loaded
#   make deps          install the build and guest tools (Debian)
#   make install       the module, libkmsgq, kmsgqctl and its bash completion,
#                      man pages, udev rule, modules-load.d entry
#                      (install-module + install-utils)
#   make uninstall     remove what make install put there (same variables)
#   make dkms-install  register the module with DKMS (/usr/src/kmsgq-VERSION)
#   make dkms-uninstall

ifneq ($(KERNELRELEASE),)
include $(src)/Kbuild
else

KDIR ?= /lib/modules/$(shell uname -r)/build
# Without kernel headers kbuild only says "No such file or directory".
KDIR_CHECK = @test -f $(KDIR)/Makefile || { echo "no kernel headers at" \
	"$(KDIR): install linux-headers-$$(uname -r) (Debian/Ubuntu) or" \
	"set KDIR to a configured kernel tree" >&2; exit 1; }
CFLAGS ?= -O2 -Wall -Wextra
# The project's version: libkmsgq's (userlib/Makefile, kmsgq.pc) and the tools'.
KMSGQ_VERSION := $(shell cat VERSION)
# kmsgqctl, built from tools/kmsgqctl/*.c; the example programs, one per
# examples/*.c (the guest demo's driver and the man pages' examples).
TOOLS := tools/kmsgqctl/kmsgqctl
EXAMPLES := $(patsubst %.c,%,$(wildcard examples/*.c))

# make install: every path below is overridable and prefixed with DESTDIR.
# The module goes to INSTALL_MOD_PATH/lib/modules/<release of KDIR>/
# INSTALL_MOD_DIR/ (kbuild's modules_install); depmod and ldconfig run only
# when installing into the live system (no DESTDIR, no INSTALL_MOD_PATH).
# systemd's udev reads rules from /usr/lib and /usr/local/lib; /etc/udev/rules.d
# is left to the administrator (see udev/60-kmsgq.rules).  For another udev,
# set UDEVRULESDIR to a directory it reads.
PREFIX		?= /usr/local
BINDIR		?= $(PREFIX)/bin
LIBDIR		?= $(PREFIX)/lib
INCLUDEDIR	?= $(PREFIX)/include
MANDIR		?= $(PREFIX)/share/man
UDEVRULESDIR	?= $(PREFIX)/lib/udev/rules.d
MODULESLOADDIR	?= $(PREFIX)/lib/modules-load.d
BASHCOMPDIR	?= $(PREFIX)/share/bash-completion/completions
INSTALL_MOD_PATH ?= $(DESTDIR)
INSTALL_MOD_DIR	?= updates

# What the kernel in KDIR calls itself (the module's vermagic).
KREL = $(shell sed -n 's/^\#define UTS_RELEASE "\(.*\)"/\1/p' \
	$(KDIR)/include/generated/utsrelease.h 2>/dev/null)
KREL_CHECK = @test -n "$(KREL)" || { echo "no kernel release in $(KDIR)" \
	"(include/generated/utsrelease.h): set KDIR" >&2; exit 1; }
MOD_DEST = $(INSTALL_MOD_PATH)/lib/modules/$(KREL)/$(INSTALL_MOD_DIR)/module
# kbuild signs modules on install if the kernel says so (MODULE_SIG_ALL);
# distribution headers lack the key, so skip the signing attempt there.
MOD_SIG_KEY = $(shell sed -n 's/^CONFIG_MODULE_SIG_KEY="\(.*\)"/\1/p' \
	$(KDIR)/.config 2>/dev/null)
MOD_NOSIGN = $(if $(filter pkcs11:%,$(MOD_SIG_KEY))$(wildcard \
	$(filter /%,$(MOD_SIG_KEY)) \
	$(addprefix $(KDIR)/,$(filter-out /%,$(MOD_SIG_KEY)))),,CONFIG_MODULE_SIG_ALL=)
# Installed dynamically linked (tools-shared).
BIN_TOOLS := tools/shared/kmsgqctl
MANPAGES = $(wildcard man/*.1 man/*.3 man/*.7)
LIB_VARS = DESTDIR=$(DESTDIR) PREFIX=$(PREFIX) LIBDIR=$(LIBDIR) \
	INCLUDEDIR=$(INCLUDEDIR)

# DKMS builds the module from a copy of these files in /usr/src/kmsgq-VERSION
# (dkms.conf), the project's VERSION, which is also the module's
# MODULE_VERSION (module/Kbuild).
DKMS_VERSION := $(KMSGQ_VERSION)
DKMS_SRC ?= $(DESTDIR)/usr/src/kmsgq-$(DKMS_VERSION)
DKMS_FILES = Kbuild Makefile dkms.conf VERSION uapi/linux/kmsgq.h module/Kbuild \
	$(filter-out %.mod.c,$(wildcard module/*.[ch] module/tests/*.[ch]))

all: module userlib selftests tools examples

module:
	$(KDIR_CHECK)
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

userlib:
	$(MAKE) -C userlib

selftests: userlib
	$(MAKE) -C selftests

# Static, to run in the guest's bare initramfs; a sub-make, so that it sees
# the library userlib just built as a plain file.
tools: userlib
	$(MAKE) $(TOOLS)

examples: userlib
	$(MAKE) $(EXAMPLES)

STATIC_DEPS = userlib/libkmsgq.a uapi/linux/kmsgq.h userlib/include/kmsgq.h
STATIC_LINK = $(CC) $(CFLAGS) -static -pthread -Iuapi -Iuserlib/include \
	-o $@ $(filter %.c,$^) userlib/libkmsgq.a -lrt

tools/kmsgqctl/kmsgqctl: $(wildcard tools/kmsgqctl/*.[ch]) $(STATIC_DEPS) VERSION
	$(STATIC_LINK) -DKMSGQ_VERSION='"$(KMSGQ_VERSION)"'

$(EXAMPLES): %: %.c $(STATIC_DEPS)
	$(STATIC_LINK)

# The io_uring example links liburing (liburing-dev), as the selftests do.
examples/kmsgq_uring_receive: STATIC_LINK += -luring

# Dynamic, against libkmsgq.so, for make install and the Debian packages:
# owner names then resolve through NSS (LDAP, SSSD, ...).
tools-shared: userlib
	$(MAKE) $(BIN_TOOLS)

tools/shared/kmsgqctl: $(wildcard tools/kmsgqctl/*.[ch]) userlib/libkmsgq.so \
		uapi/linux/kmsgq.h userlib/include/kmsgq.h VERSION
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -DKMSGQ_TOOLS_SHARED \
		-DKMSGQ_VERSION='"$(KMSGQ_VERSION)"' -Iuapi -Iuserlib/include \
		-o $@ $(filter %.c,$^) $(LDFLAGS) -Luserlib -lkmsgq

# Everything (vm/check.sh), or with SUITE= and/or TEST= one part of it on
# the stock kernel.
check: deps
ifeq ($(SUITE)$(TEST),)
	vm/check.sh
else
	$(MAKE) -C userlib check
	vm/run-tests.sh $(if $(TEST),--test $(TEST) )$(or $(SUITE),selftests)
endif

# apt install, DKMS, loading at boot, udev, NSS names, the Python binding's
# tests and apt purge, in a real Debian system (image cached in
# ~/.cache/kmsgq by vm/debian-rootfs.sh).
debian-check:
	vm/debian-guest.sh
.PHONY: debian-check

# The main job: the demo, then the short benchmark against mqueue, pipes
# and unix sockets, in one boot.
LOAD ?= 0
WITH_LOAD = vm/host-load.sh $(LOAD) vm/run-tests.sh --append KMSGQ_HOST_LOAD=$(LOAD)
demo:
	$(WITH_LOAD) demo bench-short

# The full benchmark; its table, CSV and (rendered on the host) PNG.  Its
# CPU profile takes perf (linux-perf) into the guest; without it, the
# profile says it is skipped.
GUEST_PERF = vm/apt-need.sh linux-perf || echo "no linux-perf: no CPU profile"
bench:
	$(GUEST_PERF)
	KMSGQ_GUEST_PERF=1 $(WITH_LOAD) --timeout 2400 bench
	vm/bench-plot.sh

# The benchmark's profiles alone (make bench ends with them): a scheduler
# trace of one short run per transport, and a CPU profile of the main cells.
bench-profile:
	$(GUEST_PERF)
	KMSGQ_GUEST_PERF=1 $(WITH_LOAD) bench-profile
.PHONY: bench-profile

# The soak (vm/suites/soak): soak_test for SOAK_SECONDS (300), then a
# million fuzz_test calls (2 minutes on the stock kernel under TCG, so
# allow half an hour for the debug kernel), on the stock kernel, or with
# KERNEL=debug on the debug kernel; SEED=S repeats a run.
SOAK_SECONDS ?= 300
SOAK_ARGS = --timeout $$(($(SOAK_SECONDS) + 900 + 1800)) \
	--append KMSGQ_SOAK_SECONDS=$(SOAK_SECONDS) \
	$(if $(SEED),--append KMSGQ_SOAK_SEED=$(SEED))
soak: deps
ifeq ($(KERNEL),debug)
	d=$$(vm/debug-kernel.sh | tail -n 1) && KDIR=$$d \
		KMSGQ_VMLINUZ=$$d/arch/x86/boot/bzImage \
		vm/run-tests.sh $(SOAK_ARGS) soak
	$(MAKE) module KDIR=$$(. vm/config.sh && echo $$KDIR)
else
	vm/run-tests.sh $(SOAK_ARGS) soak
endif

vm-shell:
	vm/shell.sh

deps:
	vm/setup.sh

install: install-module install-utils

install-module: module
	$(KREL_CHECK)
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_PATH=$(INSTALL_MOD_PATH) \
		INSTALL_MOD_DIR=$(INSTALL_MOD_DIR) DEPMOD=true $(MOD_NOSIGN) \
		modules_install
	$(if $(INSTALL_MOD_PATH),,depmod -a $(KREL))

# Everything but the module (the Debian packages' build, debian/rules).
install-utils: userlib tools-shared
	$(MAKE) -C userlib install $(LIB_VARS)
	install -d $(DESTDIR)$(BINDIR)
	install -m 755 $(BIN_TOOLS) $(DESTDIR)$(BINDIR)/
	for p in $(MANPAGES); do \
		install -D -m 644 $$p \
			$(DESTDIR)$(MANDIR)/man$${p##*.}/$${p##*/} || exit; \
	done
	install -D -m 644 udev/60-kmsgq.rules \
		$(DESTDIR)$(UDEVRULESDIR)/60-kmsgq.rules
	install -D -m 644 modules-load.d/kmsgq.conf \
		$(DESTDIR)$(MODULESLOADDIR)/kmsgq.conf
	install -D -m 644 tools/kmsgqctl-completion.bash \
		$(DESTDIR)$(BASHCOMPDIR)/kmsgqctl

# Files only: directories may hold other packages' files.
uninstall:
	$(KREL_CHECK)
	$(RM) $(foreach s,.ko .ko.gz .ko.xz .ko.zst,$(MOD_DEST)/kmsgq$(s))
	$(if $(INSTALL_MOD_PATH),,depmod -a $(KREL))
	$(MAKE) -C userlib uninstall $(LIB_VARS)
	$(RM) $(addprefix $(DESTDIR)$(BINDIR)/,$(notdir $(BIN_TOOLS)))
	for p in $(MANPAGES); do \
		$(RM) $(DESTDIR)$(MANDIR)/man$${p##*.}/$${p##*/} || exit; \
	done
	$(RM) $(DESTDIR)$(UDEVRULESDIR)/60-kmsgq.rules
	$(RM) $(DESTDIR)$(MODULESLOADDIR)/kmsgq.conf
	$(RM) $(DESTDIR)$(BASHCOMPDIR)/kmsgqctl

# The module's sources where DKMS looks for them.
dkms-src:
	@test -n "$(DKMS_VERSION)" || { echo "no version in VERSION" >&2; \
		exit 1; }
	for f in $(DKMS_FILES); do \
		install -D -m 644 $$f $(DKMS_SRC)/$$f || exit; \
	done

# Built for KDIR's kernel (the running one by default) now, and by DKMS for
# every kernel installed later.
dkms-install: dkms-src
	$(KREL_CHECK)
	dkms add kmsgq/$(DKMS_VERSION)
	dkms install kmsgq/$(DKMS_VERSION) -k $(KREL) --kernelsourcedir $(KDIR)

dkms-uninstall:
	dkms remove kmsgq/$(DKMS_VERSION) --all
	rm -rf $(DKMS_SRC)

clean:
	$(MAKE) -C userlib clean
	$(MAKE) -C selftests clean
	rm -f $(TOOLS) $(EXAMPLES) Module.symvers modules.order .*.cmd \
		.module-common.o
	rm -rf tools/shared
	find module \( -name '*.o' -o -name '*.ko' -o -name '*.mod' -o \
		-name '*.mod.c' -o -name '.*.cmd' -o -name modules.order -o \
		-name Module.symvers \) -delete

.PHONY: all module userlib selftests tools tools-shared examples check demo \
	bench soak vm-shell deps clean install install-module install-utils \
	uninstall dkms-src dkms-install dkms-uninstall
endif
