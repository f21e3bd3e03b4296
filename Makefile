# SPDX-License-Identifier: GPL-2.0
# kmsgq: the module (via Kbuild), libkmsgq, the selftests and the tools.
#
#   make [KDIR=...]    build all against KDIR (default: the running kernel)
#   make check         libkmsgq's own checks, then build against the guest
#                      kernel and run the suites (vm/suites/) in a QEMU guest;
#                      SUITE=... and TEST=... narrow it down, e.g.
#                      make check SUITE=selftests TEST=info_test
#   make demo          the demo alone, in the guest
#   make vm-shell      a shell in the guest with the module loaded
#   make deps          install the build and guest tools (Debian)

ifneq ($(KERNELRELEASE),)
include $(src)/Kbuild
else

KDIR ?= /lib/modules/$(shell uname -r)/build
CFLAGS ?= -O2 -Wall -Wextra
TOOLS := $(patsubst %.c,%,$(wildcard tools/*.c))
SUITE ?= selftests demo

all: module userlib selftests tools

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

userlib:
	$(MAKE) -C userlib

selftests: userlib
	$(MAKE) -C selftests

# Static, to run in the guest's bare initramfs; a sub-make, so that it sees
# the library userlib just built as a plain file.
tools: userlib
	$(MAKE) $(TOOLS)

$(TOOLS): %: %.c userlib/libkmsgq.a uapi/linux/kmsgq.h userlib/include/kmsgq.h
	$(CC) $(CFLAGS) -static -pthread -Iuapi -Iuserlib/include -o $@ $< \
		userlib/libkmsgq.a -lrt

check: deps
	$(MAKE) -C userlib check
	vm/run-tests.sh $(if $(TEST),--test $(TEST) )$(SUITE)

demo:
	vm/run-tests.sh demo

vm-shell:
	vm/shell.sh

deps:
	vm/setup.sh

clean:
	$(MAKE) -C userlib clean
	$(MAKE) -C selftests clean
	rm -f $(TOOLS) Module.symvers modules.order .*.cmd .module-common.o
	find module \( -name '*.o' -o -name '*.ko' -o -name '*.mod' -o \
		-name '*.mod.c' -o -name '.*.cmd' -o -name modules.order -o \
		-name Module.symvers \) -delete

.PHONY: all module userlib selftests tools check demo vm-shell deps clean
endif
