#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The test bed tests itself, from the host: scripts/vm-run passes a
# command's exit status through, and fails a run whose command passed when
# the kernel log shows a splat, or when the guest does not finish in time.
. "$(dirname "$0")/../tcpx_lib.sh"

VM_RUN=$TCPX_SELFTESTS/../scripts/vm-run
kernel=${TCPX_KERNEL:-stock}

ktap_print_header
ktap_set_plan 10

# status CMD...: vm-run's exit status for CMD, its output in $out.
status() {
	out=$("$VM_RUN" --kernel "$kernel" "$@" 2>&1)
}

passes() { status --timeout 300 -- true; }
tcpx_check "a passing command passes" passes

exit_code() {
	status --timeout 300 -- sh -c 'exit 7'
	[ $? = 7 ] || { echo "$out" | sed 's/^/# /'; return 1; }
}
tcpx_check "a failing command's status comes back (7)" exit_code

# logged LINE: a command that passes but writes LINE into the kernel log
# fails the run (3).
logged() {
	status --timeout 300 -- sh -c "echo '$1' > /dev/kmsg; exit 0"
	[ $? = 3 ]
}

splat() {
	logged "WARNING: CPU: 0 PID: 1 at tcpx-selftest" && echo "$out" | grep -q "kernel splat" &&
		echo "$out" | grep -q "WARNING: CPU: 0 PID: 1 at tcpx-selftest"
}
tcpx_check "a splat in the kernel log fails a passing command" splat
tcpx_check "a KASAN report fails the run" \
	logged "BUG: KASAN: slab-use-after-free in tcpx_selftest"
tcpx_check "a SLUB report fails the run" \
	logged "BUG kmalloc-64 (Not tainted): Redzone overwritten"
tcpx_check "a leaked netdev reference fails the run" \
	logged "unregister_netdevice: waiting for veth9 to become free. Usage count = 2"

# A splat longer than the 120 lines vm-run shows: still 3 (the grep that
# head cut short is not the run's status).
long_splat() {
	status --timeout 300 -- sh -c 'i=0; while [ $i -lt 200 ]; do
		echo "WARNING: CPU: 0 PID: 1 at tcpx-selftest line $i" > /dev/kmsg
		i=$((i + 1)); done; exit 0'
	[ $? = 3 ]
}
tcpx_check "a splat longer than what vm-run shows still gives 3" long_splat

no_module() {
	status --timeout 300 --module /etc/hostname -- true
	[ $? != 0 ] && echo "$out" | grep -q "insmod .* failed"
}
tcpx_check "a module that does not load fails the run" no_module

# A process left holding a tcpx socket keeps the module in: rmmod at the
# end of the run fails, and so does the run.
held() {
	status --timeout 300 -- python3 -c '
import os, socket, time
fam = int(open("/sys/module/tcpx/parameters/family").read())
s = socket.socket(fam, socket.SOCK_STREAM)
if os.fork():
    os._exit(0)
time.sleep(600)'
	[ $? = 5 ] && echo "$out" | grep -q "rmmod tcpx failed"
}
tcpx_check "a module that cannot be unloaded at the end fails the run" held

times_out() {
	status --timeout 40 -- sleep 600
	[ $? = 124 ] && echo "$out" | grep -q "did not finish"
}
tcpx_check "a guest that does not finish is stopped (124)" times_out

ktap_finished
