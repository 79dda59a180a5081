# SPDX-License-Identifier: GPL-2.0
#
# tcpx: a thin wrapper around Kbuild plus the project's entry points.
#   make            build tcpx/tcpx.ko against KDIR
#   make lint       checkpatch --strict and sparse, zero findings
#   make check      set up if needed, run the kselftest suite on the stock and
#                   debug kernels in QEMU, the two-kernel test (a stock and
#                   a debug guest on one link) and the TCP/UDP-only NIC test,
#                   end with "N passed, N failed"
#   make demo       boot a VM and show the module at work
#   make bench      tcpx next to TCP in QEMU (stream, rr, crr, idle memory,
#                   100k connections, crr with 10k idle):
#                   out/bench/results.md
#   make bench-profile  where the CPU goes in a stream run (perf, both
#                   families): out/bench/profile.md
#   make bench-loss tcpx next to TCP under netem loss, reordering,
#                   duplication, corruption: out/bench-loss/results.md
#   make bench-flood  tcpx next to TCP under a SYN flood: out/bench/flood.md
#   make bench-apps nginx and redis over tcpx and TCP: out/bench/apps.md
#   make bench-pair tcpx next to TCP across two kernels, two guests joined by
#                   virtio-net: out/bench/pair.md
#   make install    module, header, tcpxize, man page (uninstall undoes it;
#                   PREFIX=/usr/local, DESTDIR for staging)
#   make dkms-install   register with DKMS: rebuilt for every new kernel

KVER	?= $(shell uname -r)
TCPX_CACHE ?= /var/cache/tcpx
export TCPX_CACHE
ifneq ($(wildcard /lib/modules/$(KVER)/build/Makefile),)
KDIR	?= /lib/modules/$(KVER)/build
else
KDIR	?= $(firstword $(wildcard /usr/src/linux-headers-*-amd64))
endif
SRCDIR	:= $(CURDIR)
KSRC	?= $(TCPX_CACHE)/src/linux-source-6.1
KSRC_NEW ?= $(TCPX_CACHE)/src/linux-source-6.12

.PHONY: all modules clean lint checkpatch sparse check demo install uninstall \
	selftests bench tools bench-loss bench-flood dkms-install dkms-uninstall \
	bench-apps bench-pair bench-profile fuzz manlint

all: modules

modules:
	@test -n "$(KDIR)" || { echo "no kernel build tree: run scripts/setup or set KDIR" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(SRCDIR) modules

clean:
	$(MAKE) -C $(KDIR) M=$(SRCDIR) clean
	$(MAKE) -C selftests clean
	$(MAKE) -C tools clean
	rm -rf out

# Both trees' checkpatch: the newer one knows more checks.  A list of
# trace fields in a macro is COMPLEX_MACRO to checkpatch, as upstream's
# include/trace/events/sunrpc.h ones are: trace.h alone skips that check.
checkpatch:
	@for k in $(KSRC) $(KSRC_NEW); do \
		test -x $$k/scripts/checkpatch.pl || { echo "no kernel tree at $$k: run scripts/setup" >&2; exit 1; }; \
		echo "checkpatch ($$k)"; \
		$$k/scripts/checkpatch.pl --no-tree --strict --terse --show-types \
			-f $(filter-out %.mod.c,$(wildcard tcpx/*.c)) \
			$(filter-out tcpx/trace.h,$(wildcard tcpx/*.h)) tcpx/uapi/*.h || exit 1; \
		$$k/scripts/checkpatch.pl --no-tree --strict --terse --show-types \
			--ignore COMPLEX_MACRO -f tcpx/trace.h || exit 1; \
	done

sparse:
	$(MAKE) -C $(KDIR) M=$(SRCDIR) clean
	$(MAKE) -C $(KDIR) M=$(SRCDIR) C=2 W=1 modules 2>&1 | tee out/sparse.log
	@! grep -E 'warning:|error:' out/sparse.log

lint: checkpatch manlint
	@mkdir -p out
	$(MAKE) sparse

selftests:
	$(MAKE) -C selftests KSRC=$(KSRC)

check:
	scripts/check

demo:
	scripts/demo

tools:
	$(MAKE) -C tools OUTPUT=$(CURDIR)/out/tools

bench:
	scripts/bench

bench-profile:
	scripts/bench --profile --seconds 10

bench-loss:
	scripts/bench-loss

bench-flood:
	scripts/bench-flood

install: modules
	scripts/install

uninstall:
	scripts/install --uninstall

dkms-install:
	scripts/install --dkms

dkms-uninstall:
	scripts/install --dkms-remove

bench-apps:
	scripts/bench-apps

bench-pair:
	scripts/bench-pair

fuzz:
	scripts/fuzz

# The manual renders without a warning.
manlint:
	@out=$$(groff -ww -z -man Documentation/tcpx.7 2>&1); \
	if [ -n "$$out" ]; then echo "$$out"; exit 1; fi
