# SPDX-License-Identifier: GPL-2.0
# tpm_safe: the human wrapper around kbuild (see Kbuild for the module).
#
#   make [KVER=<release>] [KDIR=<build dir>]   build tpm_safe.ko
#   make check        W=1 + sparse, warnings are errors
#   make style        checkpatch --strict on every source file
#   make matrix       compile against other Debian 6.1 header packages
#   make test         every test tier (static, fuzz, QEMU guest)
#   make test-debug   the QEMU tests on the debug kernel (KASAN, lockdep, ...)
#   make demo         dkms-install and show the driver serving a TPM (QEMU)
#   make bench        latency benchmarks against the kernel's own drivers
#   make dkms-install / dkms-remove

ifeq ($(origin KVER),undefined)
  ifneq ($(wildcard /lib/modules/$(shell uname -r)/build),)
    KVER := $(shell uname -r)
  else
    KVER := $(shell ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | \
		sed 's|.*/linux-headers-||' | grep -v -- '-rt-\|-cloud-' | \
		sort -V | tail -n 1)
    $(info tpm_safe: no headers for the running kernel; using $(KVER))
  endif
endif
KDIR ?= /lib/modules/$(KVER)/build
VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)
CHECKPATCH ?= /usr/src/linux-source-6.1/scripts/checkpatch.pl
SOURCES := $(wildcard src/*.c src/*.h include/*.h)

.PHONY: all module debug check style matrix clean install dkms-install torture-long torture-long-debug \
	dkms-remove deps test test-static test-guest test-debug test-sleep demo bench \
	fuzz tpm-symbols

all: module

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

debug:
	$(MAKE) -C $(KDIR) M=$(CURDIR) TPMS_DEBUG=y modules

# W=1 plus sparse on every file; any warning fails.
check: clean
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 C=2 modules 2>&1 | tee .check.log
	@! grep -E 'warning:|error:' .check.log || \
		{ echo "check: warnings above"; exit 1; }
	@rm -f .check.log
	@$(MAKE) --no-print-directory tpm-symbols

# The module must not import anything from the kernel's TPM core.
tpm-symbols: module
	@if modprobe --dump-modversions tpm_safe.ko | awk '{print $$2}' | \
		grep -E '^(tpm|tpm2|tpm1)_'; then \
		echo "tpm-symbols: tpm_safe.ko imports TPM core symbols"; exit 1; \
	fi
	@echo "tpm-symbols: no TPM core symbol imported"

style:
	@test -x $(CHECKPATCH) || { echo "style: $(CHECKPATCH) missing (apt install linux-source-6.1)"; exit 1; }
	$(CHECKPATCH) --no-tree --strict --terse --show-types \
		--ignore FILE_PATH_CHANGES,SPDX_LICENSE_TAG,MACRO_ARG_REUSE \
		-f $(filter-out include/compat.h,$(SOURCES))
	# the version gate is the one place allowed to test the version
	$(CHECKPATCH) --no-tree --strict --terse --show-types \
		--ignore LINUX_VERSION_CODE,CONSTANT_COMPARISON -f include/compat.h

matrix:
	tests/compile-matrix.sh

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null || \
		rm -rf *.o *.ko *.mod* src/*.o src/.*.cmd .*.cmd Module.symvers modules.order
	rm -rf tests/fuzz/build

install: module
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_DIR=updates modules_install
	depmod -a $(KVER)

# Copy exactly the sources dkms needs (not tests/) and install through dkms.
DKMS_FILES := dkms.conf Makefile Kbuild LICENSE src include
dkms-install:
	scripts/dkms-install.sh $(KVER)

dkms-remove:
	dkms remove tpm_safe/$(VERSION) --all || true
	rm -rf /usr/src/tpm_safe-$(VERSION)

deps:
	scripts/install-deps.sh

fuzz:
	tests/fuzz/run.sh $(FUZZ_SECONDS)

test: deps
	tests/run-all.sh

test-debug: deps
	tests/run-all.sh --debug-kernel

# the long torture profile (counts: see tests/run-all.sh), stock and debug
torture-long: deps
	TPMSAFE_PROFILE=long tests/run-all.sh

torture-long-debug: deps
	TPMSAFE_PROFILE=long tests/run-all.sh --debug-kernel

# system sleep in a RAM-only guest (see tests/qemu/run-ram.sh)
test-sleep: module
	tests/qemu/run-ram.sh

demo:
	tests/demo.sh

bench:
	tests/bench/run.sh
