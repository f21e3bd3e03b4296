# SPDX-License-Identifier: GPL-2.0
# kmsgq: the module (via Kbuild), libkmsgq, the selftests and the tools.
#
#   make [KDIR=...]    build all against KDIR (default: the running kernel)
#   make check         every test (vm/check.sh): libkmsgq's own checks, the
#                      selftests and demo on the stock kernel, the selftests
#                      on bookworm's 6.1, KUnit and the
#                      selftests on the debug kernel, all in QEMU guests;
#                      SUITE=... and TEST=... run one part on the stock
#                      kernel, e.g. make check SUITE=selftests TEST=info_test
#   make demo          the demo and the short benchmark, in the guest
#   make bench         the full benchmark: table, CSV and PNG (host gnuplot)
#   make vm-shell      a shell in the guest with the module loaded
#   make deps          install the build and guest tools (Debian)

ifneq ($(KERNELRELEASE),)
include $(src)/Kbuild
else

KDIR ?= /lib/modules/$(shell uname -r)/build
CFLAGS ?= -O2 -Wall -Wextra
TOOLS := $(patsubst %.c,%,$(wildcard tools/*.c))

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

# Everything (vm/check.sh), or with SUITE= and/or TEST= one part of it on
# the stock kernel.
check: deps
ifeq ($(SUITE)$(TEST),)
	vm/check.sh
else
	$(MAKE) -C userlib check
	vm/run-tests.sh $(if $(TEST),--test $(TEST) )$(or $(SUITE),selftests)
endif

# The main job: the demo, then the short benchmark against mqueue, pipes
# and unix sockets, in one boot.
demo:
	vm/run-tests.sh demo bench-short

# The full benchmark; its table, CSV and (rendered on the host) PNG.
bench:
	vm/run-tests.sh --timeout 1800 bench
	vm/bench-plot.sh

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

.PHONY: all module userlib selftests tools check demo bench vm-shell deps clean
endif
