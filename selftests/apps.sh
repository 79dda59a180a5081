#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Unmodified programs over tcpx through tools/tcpxize: nginx serving curl,
# redis-benchmark against redis-server, iperf3 client and server, socat and
# ncat piping a file with a half-close, and a dual-stack nginx on [::]
# (ipv6only=off) serving curl over IPv6 and IPv4.  For each: the data arrived intact
# (hashes, counts, no errors), no TCP segment crossed the veth while tcpx
# segments (IP protocol, IPv6 next header 253) did (a tcpdump capture per
# program), and the program's sockets were tcpx sockets (its listener in
# /proc/net/tcpx or tcpx6, the client's ActiveOpens counter).
#
#   [ $NS_CLI ] 10.0.1.1 veth-c ------ veth-s 10.0.1.2 [ $NS_SRV ]
#     curl (tcpxize -p 80)                 nginx :80 (tcpxize, epoll)
#     redis-benchmark (tcpxize)            redis-server :6379 (tcpxize -p 6379)
#     iperf3 -c (tcpxize)                  iperf3 -s :5201 (tcpxize)
#     ncat / socat (tcpxize)               socat :7000 / ncat :7001 (tcpxize)
#     curl -6, curl -4 (tcpxize)           nginx [::]:8000 (tcpxize -p 8000)
#     tcpdump on veth-c                    (IPv6: fd00:1::1 and fd00:1::2)
#
# Both tcpxize modes are used: everything (socket() swapped) and a port list
# (the swap at bind() or connect()).  Data sizes shrink with TCPX_SLOW.
# TCPX_APPS picks programs (default "nginx redis iperf3 pipes http6");
# http6's points are skipped when tcpx has no IPv6 (a tcpx socket cannot
# bind [::1]:0).
. "$(dirname "$0")/tcpx_lib.sh"

TCPXIZE=${TCPXIZE:-$TCPX_SELFTESTS/../tools/tcpxize/tcpxize}
export TCPXIZE_LIB=${TCPXIZE_LIB:-$TCPX_SELFTESTS/libtcpxize.so}
SRV=10.0.1.2
SRV6=fd00:1::2
if [ "$TCPX_SLOW" = 1 ]; then
	BIG_KB=2048 PIPE_KB=256 IPERF=2M REQS=2000
else
	BIG_KB=10240 PIPE_KB=1024 IPERF=8M REQS=20000
fi

tcpx_require ip tcpdump timeout sha256sum nginx curl redis-server redis-cli \
	redis-benchmark iperf3 socat ncat
tcpx_require_module
tcpx_require_built "$TCPXIZE_LIB"

TMPD=$(mktemp -d /tmp/tcpx-apps.XXXXXX)
CAP_PID=
apps_cleanup() {
	[ -n "$CAP_PID" ] && kill "$CAP_PID" 2>/dev/null
	tcpx_cleanup
	rm -rf "$TMPD"
}
trap apps_cleanup EXIT

APPS=${TCPX_APPS:-nginx redis iperf3 pipes http6}
plan=0
for a in $APPS; do
	case $a in
	nginx|redis|iperf3) plan=$((plan + 3)) ;;
	pipes|http6) plan=$((plan + 4)) ;;
	*) ktap_exit_fail_msg "unknown program set $a in TCPX_APPS" ;;
	esac
done
want() { [[ " $APPS " == *" $1 "* ]]; }

ktap_print_header
ktap_set_plan "$plan"
tcpx_topo_pair || ktap_exit_fail_msg "cannot build the topology"
ktap_print_msg "sizes: ${BIG_KB} KiB over http, ${PIPE_KB} KiB piped, iperf3 $IPERF, redis $REQS requests"

# srv ARGS... / cli ARGS...: tcpxize run ARGS in a namespace; clients
# are stopped after 120 s.
srv() { ip netns exec "$NS_SRV" "$TCPXIZE" run "$@"; }
cli() { timeout -k 5 120 ip netns exec "$NS_CLI" "$TCPXIZE" run "$@"; }

# capture_start NAME / capture_stop: every TCP and tcpx packet on the link
# while one program runs, headers only.
capture_start() {
	CAP=$TMPD/$1.pcap
	# --immediate-mode: a last small exchange must not wait in the ring
	# buffer for its block to time out when the capture stops.
	ip netns exec "$NS_CLI" tcpdump --immediate-mode -i veth-c -s 96 -U -n \
		-w "$CAP" 'tcp or ip proto 253 or ip6 proto 253' \
		2> "$TMPD/$1.tcpdump" &
	CAP_PID=$!
	tcpx_wait_for 10 grep -q 'listening on' "$TMPD/$1.tcpdump"
}

capture_stop() {
	sleep 0.2
	kill -INT "$CAP_PID" 2>/dev/null
	wait "$CAP_PID" 2>/dev/null
	CAP_PID=
}

# -tt -q: no local time, no decoding, per packet (slow under TCG).
count() { TZ=UTC timeout 120 tcpdump -r "$CAP" -n -tt -q "$1" 2>/dev/null | wc -l; }

# wire_ok [both]: not one TCP segment, and tcpx segments (with "both",
# over IPv4 and over IPv6).
wire_ok() {
	local tcp tcpx4 tcpx6

	tcp=$(count tcp)
	tcpx4=$(count 'ip proto 253')
	tcpx6=$(count 'ip6 proto 253')
	echo "# capture: $tcp TCP segments, $tcpx4 tcpx segments over IPv4, $tcpx6 over IPv6"
	if [ "$tcp" != 0 ] || [ $((tcpx4 + tcpx6)) = 0 ] ||
	   { [ "${1:-}" = both ] && { [ "$tcpx4" = 0 ] || [ "$tcpx6" = 0 ]; }; }; then
		TZ=UTC timeout 60 tcpdump -r "$CAP" -n -c 5 tcp 2>/dev/null | head -n 5 | sed 's/^/# TCP: /'
		# Kept for a look with tshark -d ip.proto==253,tcp (IPv6 too).
		[ -n "${TCPX_OUT:-}" ] && [ -d "$TCPX_OUT" ] && cp "$CAP" "$TCPX_OUT/apps-${CAP##*/}" &&
			echo "# capture kept: $TCPX_OUT/apps-${CAP##*/}"
		return 1
	fi
}

# listening NS PORT [6]: a tcpx listener on PORT and no TCP one (with 6,
# in /proc/net/tcpx6 and tcp6).
listening() {
	tcpx_proc_has "$1" "$2" 0A "/proc/net/tcpx${3:-}" &&
		! tcpx_proc_has "$1" "$2" 0A "/proc/net/tcp${3:-}"
}

# sockets_ok PORT OPENS_BEFORE MIN: the listener was tcpx's, and the client
# namespace made at least MIN tcpx connections since.
sockets_ok() {
	local opens

	opens=$(( $(tcpx_stat "$NS_CLI" ActiveOpens) - $2 ))
	echo "# /proc/net/tcpx: listener on $1: $LISTENED; client connections: $opens"
	[ "$LISTENED" = yes ] && [ "$opens" -ge "$3" ]
}

# app_checks NAME PORT OPENS_BEFORE MIN_OPENS [both]: the two common test
# points (with "both", tcpx over IPv4 and IPv6 and the listener in tcpx6).
app_checks() {
	tcpx_check "$1: no TCP segment on the link, tcpx segments seen${5:+ (IPv4 and IPv6)}" \
		wire_ok "${5:-}"
	tcpx_check "$1: tcpx sockets in /proc/net/tcpx${5:+6}" sockets_ok "$2" "$3" "$4"
}

# start_server [-6] PORT LOG CMD...: with -6 the listener is an IPv6 one.
start_server() {
	local v6=
	[ "$1" = -6 ] && { v6=6; shift; }
	local port=$1 log=$2
	shift 2
	srv "$@" > "$log" 2>&1 &
	SRV_PID=$!
	TCPX_PIDS+=("$SRV_PID")
	LISTENED=no
	if tcpx_wait_for 20 listening "$NS_SRV" "$port" $v6; then
		LISTENED=yes
		return 0
	fi
	sed 's/^/# server: /' "$log" | tail -n 5
	return 1
}

stop_server() {
	kill "$SRV_PID" 2>/dev/null
	wait "$SRV_PID" 2>/dev/null
}

# --- nginx (epoll, sendfile, worker processes) and curl (poll, -p 80)

mkdir -p "$TMPD/www" "$TMPD/nginx"
head -c 1024 /dev/urandom > "$TMPD/www/1k"
head -c $((BIG_KB * 1024)) /dev/urandom > "$TMPD/www/big"
cat > "$TMPD/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes 2;
user root;
pid $TMPD/nginx/nginx.pid;
error_log $TMPD/nginx/error.log info;
events { worker_connections 128; }
http {
	access_log off;
	sendfile on;
	tcp_nopush on;
	tcp_nodelay on;
	keepalive_timeout 30;
	# Emulated and shared CPUs stall for seconds: a slow client is no error.
	send_timeout 300s;
	client_body_temp_path $TMPD/nginx/body;
	proxy_temp_path $TMPD/nginx/proxy;
	fastcgi_temp_path $TMPD/nginx/fastcgi;
	uwsgi_temp_path $TMPD/nginx/uwsgi;
	scgi_temp_path $TMPD/nginx/scgi;
	server {
		listen $SRV:80 deferred;
		root $TMPD/www;
	}
}
EOF
# The same nginx on [::]:8000, dual-stack, for http6.
sed -e "s|listen $SRV:80 deferred;|listen [::]:8000 ipv6only=off deferred;|" \
    -e "s|nginx/nginx.pid|nginx/nginx6.pid|" "$TMPD/nginx.conf" > "$TMPD/nginx6.conf"

# nginx_fetch: 1 KiB twice on one keep-alive connection, then the big file.
nginx_fetch() {
	local ok=0

	if ! cli -p 80 curl -sS --max-time 110 -o "$TMPD/1k.got" "http://$SRV/1k" \
			-o "$TMPD/1k.again" "http://$SRV/1k" ||
	   ! cli -p 80 curl -sS --max-time 110 -o "$TMPD/big.got" "http://$SRV/big"; then
		echo "# curl failed"
		ok=1
	fi
	for f in 1k.got 1k.again big.got; do
		if ! cmp -s "$TMPD/www/${f%.*}" "$TMPD/$f"; then
			echo "# $f: sha256 $(sha256sum < "$TMPD/www/${f%.*}" | cut -c1-16) sent," \
				"$(sha256sum < "$TMPD/$f" 2>/dev/null | cut -c1-16) received"
			ok=1
		fi
	done
	[ $ok = 0 ] && return 0
	tail -n 5 "$TMPD/nginx/error.log" | sed 's/^/# nginx: /'
	# A stalled transfer shows in the sender's recovery counters.
	for c in RetransSegs Timeouts FastRetrans BacklogDrops; do
		echo "# server $c: $(tcpx_stat "$NS_SRV" "$c"), client: $(tcpx_stat "$NS_CLI" "$c")"
	done
	return 1
}

run_nginx() {
	opens=$(tcpx_stat "$NS_CLI" ActiveOpens)
	capture_start nginx
	if start_server 80 "$TMPD/nginx.log" nginx -c "$TMPD/nginx.conf" -e "$TMPD/nginx/error.log"; then
		tcpx_check "nginx+curl: 1 KiB twice on one connection, $BIG_KB KiB, identical" nginx_fetch
	else
		ktap_test_fail "nginx+curl: nginx did not listen on tcpx port 80"
		sed 's/^/# error.log: /' "$TMPD/nginx/error.log" 2>/dev/null | tail -n 5
	fi
	stop_server
	capture_stop
	app_checks nginx+curl 80 "$opens" 2
}

# --- redis-server (-p 6379: the swap at bind) and redis-benchmark

redis_bench() {
	local out errs

	out=$(cli redis-benchmark -h "$SRV" -p 6379 -t set,get -n "$REQS" \
		-c 50 -P 16 -q 2>&1)
	echo "$out" | tr '\r' '\n' | grep -E '^(SET|GET):' | sed 's/^/# /'
	echo "$out" | grep -qi error && { echo "$out" | sed 's/^/# /' | tail -n 5; return 1; }
	echo "$out" | tr '\r' '\n' | grep -q '^SET: .* requests per second' &&
		echo "$out" | tr '\r' '\n' | grep -q '^GET: .* requests per second' || return 1
	# The server's side: every request answered, none with an error.
	errs=$(cli redis-cli -h "$SRV" -p 6379 info stats | tr -d '\r' |
		grep -E '^(total_error_replies|rejected_connections|total_commands_processed|total_connections_received):')
	echo "$errs" | sed 's/^/# /'
	echo "$errs" | grep -q '^total_error_replies:0$' &&
		echo "$errs" | grep -q '^rejected_connections:0$' &&
		[ "$(echo "$errs" | sed -n 's/^total_commands_processed://p')" -ge $((2 * REQS)) ] &&
		[ "$(cli redis-cli -h "$SRV" -p 6379 set tcpx-key tcpx-value)" = OK ] &&
		[ "$(cli redis-cli -h "$SRV" -p 6379 get tcpx-key)" = tcpx-value ]
}

run_redis() {
	opens=$(tcpx_stat "$NS_CLI" ActiveOpens)
	capture_start redis
	if start_server 6379 "$TMPD/redis.log" -p 6379 redis-server --bind "$SRV" --port 6379 \
			--save '' --appendonly no --protected-mode no --dir "$TMPD" \
			--logfile "$TMPD/redis-server.log"; then
		tcpx_check "redis-benchmark: SET and GET, 50 clients, pipeline 16, no errors" redis_bench
	else
		ktap_test_fail "redis-benchmark: redis-server did not listen on tcpx port 6379"
	fi
	stop_server
	capture_stop
	app_checks redis 6379 "$opens" 50
}

# --- iperf3 (select) both ends

iperf() {
	local sent recvd

	# -w fixes both ends' buffers (SO_SNDBUF, SO_RCVBUF at 256 KiB,
	# doubled): autotuned, the sender's could hold megabytes unsent when
	# the test ends, and the bound below would say nothing.
	cli iperf3 -c "$SRV" -n "$IPERF" -w 256K -J > "$TMPD/iperf.json" 2> "$TMPD/iperf.err" || {
		tail -n 5 "$TMPD/iperf.err" "$TMPD/iperf.json" | sed 's/^/# /'
		return 1
	}
	read -r sent recvd < <(python3 -c '
import json, sys
e = json.load(open(sys.argv[1]))["end"]
print(e["sum_sent"]["bytes"], e["sum_received"]["bytes"])' "$TMPD/iperf.json")
	echo "# iperf3: $sent bytes sent, $recvd received"
	# The server stops counting at the client's end-of-test message: what
	# was still in the buffers or in flight then is not in its figure.
	[ "$sent" -ge "$(numfmt --from=iec "$IPERF")" ] && [ "$recvd" -gt 0 ] &&
		[ $((sent - recvd)) -le $((1024 * 1024)) ]
}

run_iperf3() {
	opens=$(tcpx_stat "$NS_CLI" ActiveOpens)
	capture_start iperf3
	if start_server 5201 "$TMPD/iperf-server.log" iperf3 -s -B "$SRV" -1; then
		tcpx_check "iperf3: $IPERF from client to server, received" iperf
	else
		ktap_test_fail "iperf3: the server did not listen on tcpx port 5201"
	fi
	stop_server
	capture_stop
	app_checks iperf3 5201 "$opens" 2
}

# --- socat and ncat: the client half-closes, then reads the server's answer

head -c $((PIPE_KB * 1024)) /dev/urandom > "$TMPD/pipe.bin"
want=$(sha256sum < "$TMPD/pipe.bin")

# pipe CLIENT...: send the file, shut down writing, read the peer's sha256.
pipe() {
	local got

	got=$(cli "$@" < "$TMPD/pipe.bin") || { echo "# client failed"; return 1; }
	echo "# sent $want"
	echo "# got  $got"
	[ "$got" = "$want" ]
}

# exited PID: gone, or a zombie.
exited() {
	local st

	st=$(sed 's/.*) \(.\).*/\1/' "/proc/$1/stat" 2>/dev/null) || return 0
	[ "$st" = Z ]
}

# pipe_to_ncat: socat sends the file and shuts down writing; ncat, reading
# until the FIN, writes it out and exits.
pipe_to_ncat() {
	cli socat -u "OPEN:$TMPD/pipe.bin" "TCP4:$SRV:7001" || { echo "# socat failed"; return 1; }
	tcpx_wait_for 60 exited "$SRV_PID" || { echo "# ncat did not see the FIN"; return 1; }
	cmp "$TMPD/pipe.bin" "$TMPD/pipe.got"
}

run_pipes() {
	opens=$(tcpx_stat "$NS_CLI" ActiveOpens)
	capture_start pipes
	if start_server 7000 "$TMPD/socat.log" socat "TCP4-LISTEN:7000,bind=$SRV,reuseaddr" \
			SYSTEM:sha256sum; then
		tcpx_check "ncat -> socat: $PIPE_KB KiB, half-close, the answer after it" \
			pipe ncat "$SRV" 7000
	else
		ktap_test_fail "ncat -> socat: socat did not listen on tcpx port 7000"
	fi
	stop_server
	if start_server 7001 "$TMPD/ncat.log" ncat -l --recv-only "$SRV" 7001 \
			-o "$TMPD/pipe.got"; then
		tcpx_check "socat -> ncat: $PIPE_KB KiB, the half-close ends it, identical" \
			pipe_to_ncat
	else
		ktap_test_fail "socat -> ncat: ncat did not listen on tcpx port 7001"
	fi
	stop_server
	capture_stop
	app_checks socat+ncat 7001 "$opens" 2
}

# --- nginx on [::] (ipv6only=off: nginx sets IPV6_V6ONLY 0 itself; -p 8000:
# the swap at bind of an AF_INET6 socket, the option replayed) and curl
# over IPv6 and IPv4

# tcpx_has_ipv6: a tcpx socket (tcpxize's, for AF_INET6) binds [::1]:0.
tcpx_has_ipv6() {
	ip netns exec "$NS_SRV" "$TCPXIZE" run python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.bind(("::1", 0))
sys.exit(s.getsockopt(socket.SOL_SOCKET, socket.SO_DOMAIN) != int(sys.argv[1]))' \
		"$(tcpx_family)" 2>/dev/null
}

# http_fetch URL FILE: curl (every socket tcpx) fetches www/FILE intact.
http_fetch() {
	cli curl -g -sS --max-time 110 -o "$TMPD/$2.got6" "$1/$2" || {
		echo "# curl $1/$2 failed"
		return 1
	}
	cmp -s "$TMPD/www/$2" "$TMPD/$2.got6" || {
		echo "# $1/$2: sha256 $(sha256sum < "$TMPD/www/$2" | cut -c1-16) sent," \
			"$(sha256sum < "$TMPD/$2.got6" | cut -c1-16) received"
		return 1
	}
}

run_http6() {
	local what="nginx [::]:8000" t

	if ! tcpx_has_ipv6; then
		for t in "curl -6: $BIG_KB KiB" "curl -4 (v4-mapped): 1 KiB" \
			 "http6: wire" "http6: sockets"; do
			ktap_test_skip "$what: $t: tcpx has no IPv6"
		done
		return
	fi
	ip -n "$NS_CLI" addr add fd00:1::1/64 dev veth-c nodad
	ip -n "$NS_SRV" addr add "$SRV6/64" dev veth-s nodad
	opens=$(tcpx_stat "$NS_CLI" ActiveOpens)
	capture_start http6
	if start_server -6 8000 "$TMPD/http6.log" -p 8000 nginx \
			-c "$TMPD/nginx6.conf" -e "$TMPD/nginx/error6.log"; then
		tcpx_check "$what: curl over IPv6, $BIG_KB KiB, identical" \
			http_fetch "http://[$SRV6]:8000" big
		tcpx_check "$what: curl over IPv4 (v4-mapped), 1 KiB, identical" \
			http_fetch "http://$SRV:8000" 1k
	else
		ktap_test_fail "$what: no tcpx listener on [::]:8000 in /proc/net/tcpx6"
		ktap_test_fail "$what: curl over IPv4: no server"
	fi
	stop_server
	capture_stop
	app_checks http6 8000 "$opens" 2 both
}

for a in $APPS; do
	t0=$SECONDS
	"run_$a"
	ktap_print_msg "$a: $((SECONDS - t0)) s"
done
ktap_finished
