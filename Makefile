# SPDX-License-Identifier: GPL-2.0
# tpm_safe: the human wrapper around kbuild (see Kbuild for the module).
#
#   make [KVER=<release>|6.1|6.12|7.3] [KDIR=<build dir>]   build tpm_safe.ko
#   make check        W=1 + sparse, warnings are errors
#   make style        checkpatch --strict on every source file
#   make matrix       compile against every installed Debian header flavour
#   make test         every test tier (static, fuzz, QEMU guest)
#   make test-debug   the QEMU tests on the debug kernel (KASAN, lockdep, ...)
#   make demo         dkms-install and show the driver serving a TPM (QEMU)
#   make bench        latency benchmarks against the kernel's own drivers
#   make deb          the Debian package tpm-safe-dkms (dh-dkms), lintian-checked
#   make dkms-install / dkms-remove

# KVER is a kernel release or a series (6.1, 6.12, 7.3: its newest installed
# generic release).  Default: the running kernel when its headers are
# installed, else the newest series installed (scripts/kernels.sh).  The
# 7.3 headers live in the trixie root and are used from inside it.
KERNELS := $(wildcard scripts/kernels.sh)
ifeq ($(origin KVER),undefined)
  ifneq ($(wildcard /lib/modules/$(shell uname -r)/build),)
    KVER := $(shell uname -r)
  else ifneq ($(KERNELS),)
    KVER := $(shell $(KERNELS) newest 2>/dev/null)
    $(info tpm_safe: no headers for the running kernel $(shell uname -r) \
	(linux-headers-$(shell uname -r)); using $(or $(KVER),none))
  endif
else ifneq ($(KERNELS),)
  override KVER := $(or $(shell $(KERNELS) resolve $(KVER) 2>/dev/null),$(KVER))
endif
KDIR ?= /lib/modules/$(KVER)/build
KROOT := $(if $(KERNELS),$(patsubst %/,%,$(shell $(KERNELS) root $(KVER) 2>/dev/null)))
# run a command where the kernel's headers can be used
IN_ROOT := $(if $(KROOT),scripts/in-root.sh)
# the git version is taken here: the trixie root has no git
# (TPMS_TEST=y: a test build, with the hooks crb-layout and crb-acpi-start use;
# passed on by name: the trixie root's make gets no environment)
KMAKE = $(IN_ROOT) $(MAKE) -C $(KDIR) M=$(CURDIR) \
	TPMS_GIT=$(shell git -C $(CURDIR) describe --always --dirty 2>/dev/null) \
	$(if $(TPMS_TEST),TPMS_TEST=$(TPMS_TEST))
VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)
CHECKPATCH ?= /usr/src/linux-source-6.1/scripts/checkpatch.pl
SOURCES := $(wildcard src/*.c src/*.h include/*.h)

.PHONY: all kernel-ok module debug check style matrix clean install dkms-install torture-long torture-long-debug \
	dkms-remove deps test test-static test-guest test-debug test-sleep demo bench bench-scale \
	fuzz tpm-symbols deb

all: module

# Refuse early, saying why: a kernel older than 6.1, or no headers.
HEADERS_FOUND = $(shell ls -d /usr/src/linux-headers-*-amd64 \
	$(if $(KERNELS),$(shell scripts/trixie-root.sh --print-dir)/usr/src/linux-headers-*-amd64) \
	2>/dev/null | sed 's|.*/linux-headers-||')
kernel-ok:
	@test -n "$(KVER)" || { \
		echo "tpm_safe: no kernel headers installed: install linux-headers-$$(uname -r)" \
			"(the running kernel's) or a supported series' (scripts/install-deps.sh)"; exit 1; }
	@case "$(KVER)" in *.*.*) ;; *) \
		echo "tpm_safe: no headers of series $(KVER) installed" \
			"(scripts/install-deps.sh installs 6.1, 6.12 and 7.3)"; \
		echo "tpm_safe: headers found: $(or $(HEADERS_FOUND),none)"; exit 1 ;; esac
	@case "$$(printf '%s\n' 6.1 "$(KVER)" | sort -V | head -n 1)" in 6.1) ;; *) \
		echo "tpm_safe: Linux $(KVER) is older than 6.1, the oldest series" \
			"tpm_safe supports (6.1, 6.12, 7.3)"; \
		echo "tpm_safe: headers found: $(or $(HEADERS_FOUND),none)"; exit 1 ;; esac
	@test -d "$(KROOT)$(KDIR)" || { \
		echo "tpm_safe: no kernel headers for $(or $(KVER),the running kernel) at $(KDIR):" \
			"install linux-headers-$(or $(KVER),$$(uname -r))"; \
		echo "tpm_safe: headers found: $(or $(HEADERS_FOUND),none)"; exit 1; }

module: kernel-ok
	$(KMAKE) modules

debug: kernel-ok
	$(KMAKE) TPMS_DEBUG=y modules

# W=1 plus sparse on every file (a test build: its hooks too); any warning
# fails, and so does make.
check: clean kernel-ok
	@$(KMAKE) W=1 C=2 TPMS_TEST=y modules > .check.log 2>&1; rc=$$?; cat .check.log; \
		if [ $$rc -ne 0 ] || grep -qE 'warning:|error:' .check.log; then \
			echo "check: failed for $(KVER) (make exit $$rc, warnings above)"; exit 1; fi
	@rm -f .check.log
	@$(MAKE) --no-print-directory tpm-symbols

# The module must not import anything from the kernel's TPM core; an empty
# import list means the dump failed.
tpm-symbols: module
	@syms=$$(nm -u tpm_safe.ko | awk '{print $$2}'); \
	[ -n "$$syms" ] || { echo "tpm-symbols: no imports read from tpm_safe.ko"; exit 1; }; \
	if echo "$$syms" | grep -E '^(tpm|tpm2|tpm1|tpmm)_'; then \
		echo "tpm-symbols: tpm_safe.ko imports TPM core symbols"; exit 1; \
	fi; \
	echo "tpm-symbols: no TPM core symbol among $$(echo "$$syms" | wc -l) imports ($(KVER))"

style:
	@test -x $(CHECKPATCH) || { echo "style: $(CHECKPATCH) missing (apt install linux-source-6.1)"; exit 1; }
	$(CHECKPATCH) --no-tree --strict --terse --show-types \
		--ignore FILE_PATH_CHANGES,SPDX_LICENSE_TAG,MACRO_ARG_REUSE \
		-f $(filter-out include/compat.h,$(SOURCES))
	# the version gate is the one place allowed to test the version, and
	# its adaptors are whole functions made by macros
	$(CHECKPATCH) --no-tree --strict --terse --show-types \
		--ignore LINUX_VERSION_CODE,CONSTANT_COMPARISON,MACRO_WITH_FLOW_CONTROL \
		-f include/compat.h

matrix:
	tests/compile-matrix.sh

# Only this tree's own build products: kbuild's "M=$(CURDIR) clean" also
# deletes every module under results/, where a guest run reads its own
clean:
	rm -f *.o .*.o *.ko *.mod *.mod.c .*.cmd Module.symvers modules.order \
		src/*.o src/*.o.d src/.*.cmd .check.log
	rm -rf tests/fuzz/build

install: module
	$(KMAKE) INSTALL_MOD_DIR=updates modules_install
	$(IN_ROOT) depmod -a $(KVER)

# Copy exactly the sources dkms needs (scripts/dkms-sources.sh) and install
# through dkms.
dkms-install:
	scripts/dkms-install.sh $(KVER)

dkms-remove:
	scripts/dkms-install.sh --remove

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

# the Debian package tpm-safe-dkms (scripts/debian/), lintian-checked
DEB_OUT ?= results/deb
deb:
	scripts/make-deb.sh $(DEB_OUT)

bench: deps
	tests/bench/run.sh

# hundreds of virtual TPMs at once against the kernel's vtpm proxy
bench-scale: deps
	tests/bench/scale.sh
