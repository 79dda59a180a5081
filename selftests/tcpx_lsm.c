// SPDX-License-Identifier: GPL-2.0
/*
 * tcpx_lsm OBJ CONN_PORT RCV_PORT: loads tcpx_lsm.bpf.o, the BPF LSM that
 * refuses connection requests to CONN_PORT and segments for sockets bound
 * to RCV_PORT (0: none), attaches it, prints "attached" and holds it until
 * its standard input ends; then detaches and prints "refused C R", what
 * each hook refused.  Exit 4 when this kernel cannot run a BPF LSM.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#define MAX_LINKS 4

static int fail(int code, const char *what, int err)
{
	fprintf(stderr, "tcpx_lsm: %s: %s\n", what, strerror(err < 0 ? -err : err));
	return code;
}

int main(int argc, char **argv)
{
	struct bpf_link *links[MAX_LINKS];
	struct bpf_program *prog;
	struct bpf_object *obj;
	int nlinks = 0, err, i;
	__u64 refused[2] = { 0, 0 };
	__u32 key, port;
	char buf[64];

	if (argc != 4) {
		fprintf(stderr, "usage: tcpx_lsm OBJ CONN_PORT RCV_PORT\n");
		return 2;
	}
	libbpf_set_strict_mode(LIBBPF_STRICT_ALL);
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj)
		return fail(1, "open", errno);
	err = bpf_object__load(obj);
	if (err)
		return fail(4, "load (a kernel with BTF and BPF_LSM is needed)", err);
	for (key = 0; key < 2; key++) {
		port = strtoul(argv[2 + key], NULL, 10);
		err = bpf_map__update_elem(bpf_object__find_map_by_name(obj, "ports"),
					   &key, sizeof(key), &port, sizeof(port), 0);
		if (err)
			return fail(1, "ports", err);
	}
	bpf_object__for_each_program(prog, obj) {
		if (nlinks == MAX_LINKS)
			break;
		links[nlinks] = bpf_program__attach(prog);
		if (!links[nlinks])
			return fail(4, "attach", errno);
		nlinks++;
	}
	printf("attached\n");
	fflush(stdout);
	while (read(0, buf, sizeof(buf)) > 0)
		;
	for (i = 0; i < nlinks; i++)
		bpf_link__destroy(links[i]);
	for (key = 0; key < 2; key++)
		bpf_map__lookup_elem(bpf_object__find_map_by_name(obj, "refused"),
				     &key, sizeof(key), &refused[key],
				     sizeof(refused[key]), 0);
	printf("refused %llu %llu\n", (unsigned long long)refused[0],
	       (unsigned long long)refused[1]);
	bpf_object__close(obj);
	return 0;
}
