// SPDX-License-Identifier: GPL-2.0
/*
 * tcpx-ss: ss(8) for tcpx.  Dumps the tcpx sockets of the current network
 * namespace through sock_diag (SOCK_DIAG_BY_FAMILY, sdiag_protocol 253,
 * AF_INET then AF_INET6) and prints them as Debian 12's `ss -t` prints TCP's:
 * the same columns, widths, state names and -e/-i/-m/-o/-p fields, so that
 * what parses ss parses this.  Fields that struct tcpx_info does not carry
 * are not printed.  The filter expression is run here, in user space, on
 * each dumped socket (the state filter goes to the kernel).
 *
 *   tcpx-ss [-alneimopK46Ht] [state STATE | exclude STATE]... [EXPRESSION]
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <libmnl/libmnl.h>
#include <limits.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>

#include "tcpx.h"

/* ss's state numbering (the kernel's TCP states). */
enum {
	SS_UNKNOWN, SS_ESTABLISHED, SS_SYN_SENT, SS_SYN_RECV, SS_FIN_WAIT1,
	SS_FIN_WAIT2, SS_TIME_WAIT, SS_CLOSE, SS_CLOSE_WAIT, SS_LAST_ACK,
	SS_LISTEN, SS_CLOSING, SS_MAX
};

#define SS_ALL		((1 << SS_MAX) - 1)
#define SS_CONN		(SS_ALL & ~((1 << SS_LISTEN) | (1 << SS_CLOSE) | \
				    (1 << SS_TIME_WAIT) | (1 << SS_SYN_RECV)))
#define TCPX_NEW_SYN_RECV	12	/* TCP_NEW_SYN_RECV: request socks */

static const char *const state_name[SS_MAX] = {
	"UNKNOWN", "ESTAB", "SYN-SENT", "SYN-RECV", "FIN-WAIT-1", "FIN-WAIT-2",
	"TIME-WAIT", "UNCONN", "CLOSE-WAIT", "LAST-ACK", "LISTEN", "CLOSING",
};

static int opt_numeric, opt_options, opt_details, opt_mem, opt_info;
static int opt_procs, opt_kill, opt_header = 1;
static FILE *dump_out;		/* -D: raw messages go here, not printed */
static bool from_file;		/* $TCPDIAG_FILE: messages come from there */

/* What struct tcpx_info and struct tcp_info have in common. */
#define TCPX_INFO_COMMON	offsetof(struct tcpx_info, tcpi_rmem_alloc)
/* ... and the fields after it both have, by name. */
#define TCPX_INFO_SHARED(X)						\
	X(snd_wnd) X(segs_out) X(segs_in) X(bytes_acked) X(bytes_received)	\
	X(notsent_bytes) X(min_rtt) X(data_segs_in) X(data_segs_out)	\
	X(bytes_sent) X(bytes_retrans)

/* ---- Output: ss's columns, laid out once everything is known ---- */

enum { COL_NETID, COL_STATE, COL_RECVQ, COL_SENDQ, COL_ADDR, COL_SERV,
	COL_RADDR, COL_RSERV, COL_EXT, COL_PROC, COL_MAX };

enum { LEFT, RIGHT };

static struct column {
	int align;
	const char *header;
	const char *delim;	/* before the field, when not first on a line */
	bool off;
	int width;
	int max_len;
} cols[COL_MAX] = {
	{ .align = LEFT, .header = "Netid", .delim = "" },
	{ .align = LEFT, .header = "State", .delim = " " },
	{ .align = LEFT, .header = "Recv-Q", .delim = " " },
	{ .align = LEFT, .header = "Send-Q", .delim = " " },
	{ .align = RIGHT, .header = "Local Address:", .delim = " " },
	{ .align = LEFT, .header = "Port", .delim = "" },
	{ .align = RIGHT, .header = "Peer Address:", .delim = " " },
	{ .align = LEFT, .header = "Port", .delim = "" },
	{ .align = LEFT, .header = "Process", .delim = "" },
	{ .align = LEFT, .header = "", .delim = "" },
};

struct cell {
	char *s;
	size_t len, cap;
};

struct row {
	struct cell c[COL_MAX];
	bool header;
};

static struct row *rows;
static size_t nrows, rows_cap;
static int cur_col;

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p) {
		fprintf(stderr, "tcpx-ss: out of memory\n");
		exit(1);
	}
	return p;
}

static void row_new(void)
{
	if (nrows == rows_cap) {
		rows_cap = rows_cap ? 2 * rows_cap : 64;
		rows = xrealloc(rows, rows_cap * sizeof(*rows));
	}
	memset(&rows[nrows++], 0, sizeof(*rows));
	cur_col = COL_NETID;
}

static void col_set(int col)
{
	cur_col = col;
}

/* Append to the current field of the current row (none if it is off). */
__attribute__((format(printf, 1, 2)))
static void out(const char *fmt, ...)
{
	struct cell *c = &rows[nrows - 1].c[cur_col];
	va_list ap;
	int n;

	if (cols[cur_col].off)
		return;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (c->len + n + 1 > c->cap) {
		c->cap = (c->len + n + 1) * 2;
		c->s = xrealloc(c->s, c->cap);
	}
	va_start(ap, fmt);
	vsnprintf(c->s + c->len, n + 1, fmt, ap);
	va_end(ap);
	c->len += n;
}

static void print_header(void)
{
	int i;

	row_new();
	rows[nrows - 1].header = true;
	for (i = 0; i < COL_PROC; i++) {
		col_set(i);
		out("%s", cols[i].header);
	}
}

/*
 * Widths as ss computes them: the longest field of a column, plus its
 * delimiter unless it starts the line.  On a terminal the spare width of
 * each screen line is shared out between the columns on it; otherwise the
 * output is compact.
 */
static void calc_widths(void)
{
	int screen = -1, i, j, len = 0, ncols = 0, eol = -1;
	bool first = true;
	struct winsize ws;

	if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) != -1 &&
	    ws.ws_col > 0)
		screen = ws.ws_col;

	for (i = 0; i < COL_MAX; i++) {
		struct column *c = &cols[i];
		size_t r;

		if (c->off)
			continue;
		for (r = 0; r < nrows; r++) {
			/*
			 * ss measures a field when it moves on to the next
			 * one: never the last socket's last, so neither here.
			 */
			if (i == COL_EXT && r == nrows - 1 && !rows[r].header)
				continue;
			if ((int)rows[r].c[i].len > c->max_len)
				c->max_len = rows[r].c[i].len;
		}
		c->width = c->max_len;
		if (!first && c->max_len)
			c->width += strlen(c->delim);
		if (screen > 0 && c->width > screen)
			c->width = screen;
		if (c->width)
			first = false;
	}
	if (screen < 0)
		return;

	for (i = 0; i < COL_MAX; i++) {
		int pad, each, rest;
		bool last = true;

		if (!cols[i].width)
			continue;
		ncols++;
		len += cols[i].width;
		for (j = i + 1; j < COL_MAX; j++) {
			if (cols[j].width) {
				last = false;
				break;
			}
		}
		if (!last && len < screen)
			continue;
		if (len != screen) {
			if (len > screen) {
				len -= cols[i].width;
				i--;
				ncols--;
			}
			pad = screen - len;
			each = ncols ? pad / ncols : 0;
			rest = ncols ? pad % ncols : 0;
			for (j = i; j > eol; j--) {
				if (!cols[j].width)
					continue;
				cols[j].width += each;
				if (rest) {
					cols[j].width++;
					rest--;
				}
			}
		}
		eol = i;
		len = 0;
		ncols = 0;
	}
}

static void render(void)
{
	size_t r;
	int i;

	if (!nrows)
		return;
	calc_widths();
	for (r = 0; r < nrows; r++) {
		bool started = false;

		for (i = 0; i < COL_MAX; i++) {
			struct column *c = &cols[i];
			struct cell *cell = &rows[r].c[i];
			int printed = 0, s;

			if (c->off)
				continue;
			if (started)
				printed = printf("%s", c->delim);
			started = true;
			if (c->width && c->align == RIGHT) {
				s = c->width - (int)cell->len - printed;
				if (s > 0)
					printed += printf("%*c", s, ' ');
			}
			if (cell->len)
				printed += fwrite(cell->s, 1, cell->len, stdout);
			if (c->width && c->align == LEFT) {
				s = c->width - printed;
				if (s > 0)
					printf("%*c", s, ' ');
			}
			free(cell->s);
		}
		putchar('\n');
	}
}

/* ---- The filter expression ---- */

enum { F_DCOND, F_SCOND, F_D_GE, F_D_LE, F_S_GE, F_S_LE, F_AND, F_OR, F_NOT };

struct hostcond {
	int family;		/* AF_UNSPEC: any address */
	int plen;
	unsigned char addr[16];
	int port;		/* -1: any */
};

struct fnode {
	int type;
	struct fnode *a, *b;
	struct hostcond h;
};

struct sockinfo {
	int family;
	unsigned char src[16], dst[16];
	int sport, dport;
};

static char **toks;
static int ntoks, tpos;

static void __attribute__((noreturn)) filter_error(const char *what, const char *tok)
{
	if (tok)
		fprintf(stderr, "tcpx-ss: bad filter: %s \"%s\"\n", what, tok);
	else
		fprintf(stderr, "tcpx-ss: bad filter: %s\n", what);
	exit(1);
}

/* Words of the expression: parentheses split off, as ss's lexer does. */
static void tokenize(int argc, char **argv)
{
	int i;

	for (i = 0; i < argc; i++) {
		const char *p = argv[i];

		while (*p) {
			const char *q = p;

			if (isspace((unsigned char)*p)) {
				p++;
				continue;
			}
			if (*p == '(' || *p == ')') {
				q = p + 1;
			} else {
				while (*q && !isspace((unsigned char)*q) &&
				       *q != '(' && *q != ')')
					q++;
			}
			toks = xrealloc(toks, (ntoks + 1) * sizeof(*toks));
			toks[ntoks++] = strndup(p, q - p);
			p = q;
		}
	}
}

static const char *peek(void)
{
	return tpos < ntoks ? toks[tpos] : NULL;
}

static bool is(const char *t, const char *a, const char *b, const char *c)
{
	return t && ((a && !strcmp(t, a)) || (b && !strcmp(t, b)) ||
		     (c && !strcmp(t, c)));
}

static int parse_port(const char *s)
{
	struct servent *se;
	char *end;
	long v;

	if (*s == ':')
		s++;
	if (!*s || !strcmp(s, "*"))
		return -1;
	v = strtol(s, &end, 10);
	if (*end == '\0' && end != s) {
		if (v < 0 || v > 65535)
			filter_error("port out of range", s);
		return v;
	}
	se = getservbyname(s, "tcp");
	if (!se)
		filter_error("does not look like a port", s);
	return ntohs(se->s_port);
}

/* ADDR[/LEN][:PORT], [ADDR6][/LEN][:PORT], *:PORT, or an IPv6 address alone. */
static void parse_host(const char *arg, struct hostcond *h)
{
	char buf[256], *addr = buf, *port = NULL, *slash;

	h->family = AF_UNSPEC;
	h->port = -1;
	snprintf(buf, sizeof(buf), "%s", arg);
	if (!strncmp(addr, "inet:", 5))
		addr += 5;
	else if (!strncmp(addr, "inet6:", 6))
		addr += 6;
	if (addr[0] == '[') {
		char *e = strchr(++addr, ']');

		if (!e)
			filter_error("no closing ]", arg);
		*e++ = '\0';
		if (*e == '/') {	/* [addr]/len */
			memmove(addr + strlen(addr), e, strlen(e) + 1);
			e = strrchr(addr, ':') > strchr(addr, '/') ? strrchr(addr, ':') : NULL;
			port = e;
		} else {
			port = *e ? e : NULL;
		}
	} else if (addr[0] == '*') {
		port = addr + 1;
		addr = "";
	} else if (strchr(addr, ':') == strrchr(addr, ':')) {
		port = strrchr(addr, ':');
	}
	if (port) {
		if (*port != ':' && *port)
			filter_error("bad address", arg);
		if (*port)
			*port++ = '\0';
		h->port = parse_port(port);
	}
	if (!*addr || !strcmp(addr, "*"))
		return;
	slash = strchr(addr, '/');
	if (slash) {
		char *end;

		*slash++ = '\0';
		h->plen = strtol(slash, &end, 10);
		if (*end || end == slash)
			filter_error("bad prefix length", arg);
	}
	if (inet_pton(AF_INET, addr, h->addr) == 1) {
		h->family = AF_INET;
		if (!slash)
			h->plen = 32;
	} else if (inet_pton(AF_INET6, addr, h->addr) == 1) {
		h->family = AF_INET6;
		if (!slash)
			h->plen = 128;
	} else {
		filter_error("an inet prefix is expected rather than", addr);
	}
	if (h->plen < 0 || h->plen > (h->family == AF_INET ? 32 : 128))
		filter_error("bad prefix length", arg);
}

static struct fnode *node(int type, struct fnode *a, struct fnode *b)
{
	struct fnode *n = calloc(1, sizeof(*n));

	if (!n)
		exit(1);
	n->type = type;
	n->a = a;
	n->b = b;
	return n;
}

static struct fnode *parse_list(void);

static struct fnode *parse_term(void)
{
	const char *t = peek();
	struct fnode *n;
	bool dst;

	if (!t)
		filter_error("expression ends early", NULL);
	tpos++;
	if (is(t, "not", "!", NULL))
		return node(F_NOT, parse_term(), NULL);
	if (!strcmp(t, "(")) {
		n = parse_list();
		if (!is(peek(), ")", NULL, NULL))
			filter_error("missing )", NULL);
		tpos++;
		return n;
	}
	if (is(t, "dst", "src", NULL)) {
		dst = !strcmp(t, "dst");
		if (is(peek(), "=", "==", "eq"))
			tpos++;
		if (!peek())
			filter_error("address expected after", t);
		n = node(dst ? F_DCOND : F_SCOND, NULL, NULL);
		parse_host(toks[tpos++], &n->h);
		return n;
	}
	if (is(t, "dport", "sport", NULL)) {
		const char *op = "=";
		int eq, ge, le;

		dst = !strcmp(t, "dport");
		eq = dst ? F_DCOND : F_SCOND;
		ge = dst ? F_D_GE : F_S_GE;
		le = dst ? F_D_LE : F_S_LE;
		t = peek();
		if (t && (strchr("=!<>", t[0]) || is(t, "eq", "ne", "neq") ||
			  is(t, "ge", "geq", "gt") || is(t, "le", "leq", "lt"))) {
			op = t;
			tpos++;
		}
		if (!peek())
			filter_error("port expected after", op);
		n = node(eq, NULL, NULL);
		n->h.family = AF_UNSPEC;
		n->h.port = parse_port(toks[tpos++]);
		if (n->h.port < 0)
			filter_error("port expected after", op);
		if (is(op, "=", "==", "eq"))
			return n;
		if (is(op, "!=", "ne", "neq"))
			return node(F_NOT, n, NULL);
		if (is(op, ">=", "ge", "geq")) {
			n->type = ge;
			return n;
		}
		if (is(op, "<=", "le", "leq")) {
			n->type = le;
			return n;
		}
		if (is(op, ">", "gt", NULL)) {
			n->type = le;
			return node(F_NOT, n, NULL);
		}
		if (is(op, "<", "lt", NULL)) {
			n->type = ge;
			return node(F_NOT, n, NULL);
		}
		filter_error("unknown operator", op);
	}
	filter_error("unexpected", t);
}

/* As ss: and, or and juxtaposition, left to right, one precedence. */
static struct fnode *parse_list(void)
{
	struct fnode *n = parse_term();
	const char *t;

	while ((t = peek()) && strcmp(t, ")")) {
		int type = F_AND;

		if (is(t, "and", "&&", "&")) {
			tpos++;
		} else if (is(t, "or", "||", "|")) {
			type = F_OR;
			tpos++;
		}
		n = node(type, n, parse_term());
	}
	return n;
}

static bool prefix_match(const unsigned char *a, const unsigned char *p, int plen)
{
	int bytes = plen / 8, bits = plen % 8;

	if (memcmp(a, p, bytes))
		return false;
	if (bits && ((a[bytes] ^ p[bytes]) & (0xff00 >> bits) & 0xff))
		return false;
	return true;
}

static bool host_match(const struct hostcond *h, int family,
		       const unsigned char *addr, int port)
{
	static const unsigned char mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (h->port != -1 && h->port != port)
		return false;
	if (h->family == AF_UNSPEC)
		return true;
	if (h->family == family)
		return prefix_match(addr, h->addr, h->plen);
	/* An IPv4 prefix matches v4-mapped addresses of IPv6 sockets. */
	if (h->family == AF_INET && family == AF_INET6 && !memcmp(addr, mapped, 12))
		return prefix_match(addr + 12, h->addr, h->plen);
	return false;
}

static bool run_filter(const struct fnode *f, const struct sockinfo *s)
{
	switch (f->type) {
	case F_DCOND:
		return host_match(&f->h, s->family, s->dst, s->dport);
	case F_SCOND:
		return host_match(&f->h, s->family, s->src, s->sport);
	case F_D_GE:
		return s->dport >= f->h.port;
	case F_D_LE:
		return s->dport <= f->h.port;
	case F_S_GE:
		return s->sport >= f->h.port;
	case F_S_LE:
		return s->sport <= f->h.port;
	case F_AND:
		return run_filter(f->a, s) && run_filter(f->b, s);
	case F_OR:
		return run_filter(f->a, s) || run_filter(f->b, s);
	default:
		return !run_filter(f->a, s);
	}
}

/* ---- -p: which processes hold which socket inodes ---- */

struct user {
	struct user *next;
	unsigned int ino;
	int pid, fd;
	char comm[64];
};

static struct user *users;

static void scan_procs(void)
{
	DIR *proc = opendir("/proc"), *fds;
	struct dirent *p, *f;

	if (!proc)
		return;
	while ((p = readdir(proc))) {
		char path[300], comm[64] = "", link[64];
		int pid = atoi(p->d_name);
		FILE *st;

		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fd", pid);
		fds = opendir(path);
		if (!fds)
			continue;
		while ((f = readdir(fds))) {
			unsigned int ino;
			struct user *u;
			ssize_t n;

			if (!isdigit((unsigned char)f->d_name[0]))
				continue;
			snprintf(path, sizeof(path), "/proc/%d/fd/%s", pid, f->d_name);
			n = readlink(path, link, sizeof(link) - 1);
			if (n < 0)
				continue;
			link[n] = '\0';
			if (sscanf(link, "socket:[%u]", &ino) != 1)
				continue;
			if (!comm[0]) {
				snprintf(path, sizeof(path), "/proc/%d/stat", pid);
				st = fopen(path, "r");
				if (st) {
					if (fscanf(st, "%*d (%63[^)])", comm) != 1)
						comm[0] = '\0';
					fclose(st);
				}
			}
			u = calloc(1, sizeof(*u));
			if (!u)
				exit(1);
			u->ino = ino;
			u->pid = pid;
			u->fd = atoi(f->d_name);
			snprintf(u->comm, sizeof(u->comm), "%s", comm);
			/* Newest first: the order ss lists them in. */
			u->next = users;
			users = u;
		}
		closedir(fds);
	}
	closedir(proc);
}

static void print_users(unsigned int ino)
{
	const struct user *u;
	bool first = true;

	if (!ino)
		return;
	for (u = users; u; u = u->next) {
		if (u->ino != ino)
			continue;
		out("%s(\"%s\",pid=%d,fd=%d)", first ? " users:(" : ",",
		    u->comm, u->pid, u->fd);
		first = false;
	}
	if (!first)
		out(")");
}

/* ---- -e: a cgroup id as its path under the cgroup2 mount ---- */

static uint64_t cg_want;
static char cg_found[PATH_MAX];
static size_t cg_root_len;

static uint64_t cg_id(const char *path)
{
	union {
		struct file_handle fh;
		char space[sizeof(struct file_handle) + sizeof(uint64_t)];
	} h = { .fh.handle_bytes = sizeof(uint64_t) };
	uint64_t id;
	int mnt;

	if (name_to_handle_at(AT_FDCWD, path, &h.fh, &mnt, 0))
		return 0;
	memcpy(&id, h.space + sizeof(struct file_handle), sizeof(id));
	return id;
}

static int cg_visit(const char *path, const struct stat *st, int type,
		    struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type != FTW_D || cg_id(path) != cg_want)
		return 0;
	snprintf(cg_found, sizeof(cg_found), "%s",
		 path[cg_root_len] ? path + cg_root_len : "/");
	return 1;
}

static const char *cg_path(uint64_t id)
{
	static char root[PATH_MAX], buf[64];
	static bool looked;

	if (!looked) {
		FILE *m = fopen("/proc/self/mountinfo", "r");
		char line[1024], mp[PATH_MAX], fs[64];

		looked = true;
		while (m && fgets(line, sizeof(line), m)) {
			char *sep = strstr(line, " - ");

			if (!sep || sscanf(sep, " - %63s", fs) != 1 ||
			    strcmp(fs, "cgroup2") ||
			    sscanf(line, "%*s %*s %*s %*s %4095s", mp) != 1)
				continue;
			snprintf(root, sizeof(root), "%s", mp);
			break;
		}
		if (m)
			fclose(m);
	}
	if (root[0]) {
		cg_want = id;
		cg_root_len = strcmp(root, "/") ? strlen(root) : 0;
		if (nftw(root, cg_visit, 16, FTW_PHYS | FTW_MOUNT) == 1)
			return cg_found;
	}
	snprintf(buf, sizeof(buf), "unreachable:%llx", (unsigned long long)id);
	return buf;
}

/* ---- Printing one socket ---- */

static const char *service(int port)
{
	static char buf[32];
	static int lo, hi;
	struct servent *se;

	if (!port)
		return "*";
	if (!opt_numeric) {
		if (!lo) {
			FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");

			if (!f || fscanf(f, "%d %d", &lo, &hi) != 2) {
				lo = 1024;
				hi = 4999;
			}
			if (f)
				fclose(f);
		}
		if (port < lo || port > hi) {
			se = getservbyport(htons(port), "tcp");
			if (se)
				return se->s_name;
		}
	}
	snprintf(buf, sizeof(buf), "%u", port);
	return buf;
}

static void print_addr(int family, const void *a, int port, unsigned int ifindex,
		       bool v6only)
{
	static const unsigned char any6[16];
	char ip[INET6_ADDRSTRLEN], ifname[IF_NAMESIZE];

	if (family == AF_INET) {
		inet_ntop(AF_INET, a, ip, sizeof(ip));
		out("%s", ip);
	} else if (!v6only && !memcmp(a, any6, 16)) {
		out("*");
	} else {
		inet_ntop(AF_INET6, a, ip, sizeof(ip));
		out("[%s]", ip);
	}
	if (ifindex) {
		if (if_indextoname(ifindex, ifname))
			out("%%%s", ifname);
		else
			out("%%if%u", ifindex);
	}
	out(":");
	col_set(cur_col + 1);
	out("%s", service(port));
	col_set(cur_col + 1);
}

static const char *ms_timer(unsigned int ms)
{
	static char buf[64];
	int mins = ms / 1000 / 60, secs = ms / 1000 % 60, msecs = ms % 1000;
	size_t n = 0;

	buf[0] = '\0';
	if (mins) {
		msecs = 0;
		n += snprintf(buf, sizeof(buf), "%dmin", mins);
		if (mins > 9)
			secs = 0;
	}
	if (secs) {
		if (secs > 9)
			msecs = 0;
		n += snprintf(buf + n, sizeof(buf) - n, "%d%s", secs,
			      msecs ? "." : "sec");
	}
	if (msecs)
		snprintf(buf + n, sizeof(buf) - n, "%03dms", msecs);
	return buf;
}

static const char *bw(double v)
{
	static char buf[64];

	if (opt_numeric)
		snprintf(buf, sizeof(buf), "%.0f", v);
	else if (v >= 1e12)
		snprintf(buf, sizeof(buf), "%.3gT", v / 1e12);
	else if (v >= 1e9)
		snprintf(buf, sizeof(buf), "%.3gG", v / 1e9);
	else if (v >= 1e6)
		snprintf(buf, sizeof(buf), "%.3gM", v / 1e6);
	else if (v >= 1e3)
		snprintf(buf, sizeof(buf), "%.3gk", v / 1e3);
	else
		snprintf(buf, sizeof(buf), "%g", v);
	return buf;
}

static void print_skmem(const struct nlattr *a)
{
	const uint32_t *m = mnl_attr_get_payload(a);
	size_t n = mnl_attr_get_payload_len(a) / sizeof(uint32_t);

	if (n < SK_MEMINFO_BACKLOG)
		return;
	out(" skmem:(r%u,rb%u,t%u,tb%u,f%u,w%u,o%u", m[SK_MEMINFO_RMEM_ALLOC],
	    m[SK_MEMINFO_RCVBUF], m[SK_MEMINFO_WMEM_ALLOC], m[SK_MEMINFO_SNDBUF],
	    m[SK_MEMINFO_FWD_ALLOC], m[SK_MEMINFO_WMEM_QUEUED], m[SK_MEMINFO_OPTMEM]);
	if (n > SK_MEMINFO_BACKLOG)
		out(",bl%u", m[SK_MEMINFO_BACKLOG]);
	if (n > SK_MEMINFO_DROPS)
		out(",d%u", m[SK_MEMINFO_DROPS]);
	out(")");
}

/* The fields of ss's -i line that struct tcpx_info carries, on ss's terms. */
static void print_info(const struct inet_diag_msg *r, const struct nlattr *ia,
		       const struct nlattr *cong)
{
	struct tcpx_info i = { 0 };
	size_t len = mnl_attr_get_payload_len(ia);
	double rtt;

	if (from_file) {
		/* ss's layout (-D): the common part, and the peer's window. */
		struct tcp_info t = { 0 };

		memcpy(&t, mnl_attr_get_payload(ia), len < sizeof(t) ? len : sizeof(t));
		memcpy(&i, &t, TCPX_INFO_COMMON);
#define X(f) i.tcpi_##f = t.tcpi_##f;
		TCPX_INFO_SHARED(X)
#undef X
		len = sizeof(i);
	} else {
		memcpy(&i, mnl_attr_get_payload(ia), len < sizeof(i) ? len : sizeof(i));
	}

	if (opt_options) {
		if (i.tcpi_options & TCPI_OPT_TIMESTAMPS)
			out(" ts");
		if (i.tcpi_options & TCPI_OPT_SACK)
			out(" sack");
		if (i.tcpi_options & TCPI_OPT_ECN)
			out(" ecn");
		if (i.tcpi_options & TCPI_OPT_ECN_SEEN)
			out(" ecnseen");
		if (i.tcpi_options & TCPI_OPT_SYN_DATA)
			out(" fastopen");
	}
	if (cong && mnl_attr_get_payload_len(cong))
		out(" %.15s", mnl_attr_get_str(cong));
	if (i.tcpi_options & TCPI_OPT_WSCALE)
		out(" wscale:%d,%d", i.tcpi_snd_wscale, i.tcpi_rcv_wscale);
	if (i.tcpi_rto && i.tcpi_rto != 3000000)
		out(" rto:%g", i.tcpi_rto / 1000.0);
	if (i.tcpi_backoff)
		out(" backoff:%u", i.tcpi_backoff);
	if (i.tcpi_rtt)
		out(" rtt:%g/%g", i.tcpi_rtt / 1000.0, i.tcpi_rttvar / 1000.0);
	if (i.tcpi_ato)
		out(" ato:%g", i.tcpi_ato / 1000.0);
	if (i.tcpi_snd_mss)
		out(" mss:%d", i.tcpi_snd_mss);
	if (i.tcpi_pmtu)
		out(" pmtu:%u", i.tcpi_pmtu);
	if (i.tcpi_rcv_mss)
		out(" rcvmss:%d", i.tcpi_rcv_mss);
	if (i.tcpi_advmss)
		out(" advmss:%d", i.tcpi_advmss);
	if (i.tcpi_snd_cwnd)
		out(" cwnd:%u", i.tcpi_snd_cwnd);
	if (i.tcpi_snd_ssthresh && i.tcpi_snd_ssthresh < 0xFFFF)
		out(" ssthresh:%d", i.tcpi_snd_ssthresh);
	if (i.tcpi_bytes_sent)
		out(" bytes_sent:%llu", (unsigned long long)i.tcpi_bytes_sent);
	if (i.tcpi_bytes_retrans)
		out(" bytes_retrans:%llu", (unsigned long long)i.tcpi_bytes_retrans);
	if (i.tcpi_bytes_acked)
		out(" bytes_acked:%llu", (unsigned long long)i.tcpi_bytes_acked);
	if (i.tcpi_bytes_received)
		out(" bytes_received:%llu",
		    (unsigned long long)i.tcpi_bytes_received);
	if (i.tcpi_segs_out)
		out(" segs_out:%u", i.tcpi_segs_out);
	if (i.tcpi_segs_in)
		out(" segs_in:%u", i.tcpi_segs_in);
	if (i.tcpi_data_segs_out)
		out(" data_segs_out:%u", i.tcpi_data_segs_out);
	if (i.tcpi_data_segs_in)
		out(" data_segs_in:%u", i.tcpi_data_segs_in);
	rtt = i.tcpi_rtt;
	if (rtt > 0 && i.tcpi_snd_mss && i.tcpi_snd_cwnd)
		out(" send %sbps", bw((double)i.tcpi_snd_cwnd * i.tcpi_snd_mss *
				      8000000. / rtt));
	if (i.tcpi_last_data_sent)
		out(" lastsnd:%u", i.tcpi_last_data_sent);
	if (i.tcpi_last_data_recv)
		out(" lastrcv:%u", i.tcpi_last_data_recv);
	if (i.tcpi_last_ack_recv)
		out(" lastack:%u", i.tcpi_last_ack_recv);
	if (i.tcpi_delivery_rate_app_limited)
		out(" app_limited");
	if (i.tcpi_unacked)
		out(" unacked:%u", i.tcpi_unacked);
	if (i.tcpi_retrans || i.tcpi_total_retrans)
		out(" retrans:%u/%u", i.tcpi_retrans, i.tcpi_total_retrans);
	if (i.tcpi_lost)
		out(" lost:%u", i.tcpi_lost);
	if (i.tcpi_sacked && r->idiag_state != SS_LISTEN)
		out(" sacked:%u", i.tcpi_sacked);
	if (i.tcpi_fackets)
		out(" fackets:%u", i.tcpi_fackets);
	if (i.tcpi_reordering != 3)
		out(" reordering:%d", i.tcpi_reordering);
	if (i.tcpi_rcv_rtt)
		out(" rcv_rtt:%g", i.tcpi_rcv_rtt / 1000.0);
	if (i.tcpi_rcv_space)
		out(" rcv_space:%d", i.tcpi_rcv_space);
	if (i.tcpi_rcv_ssthresh)
		out(" rcv_ssthresh:%u", i.tcpi_rcv_ssthresh);
	if (i.tcpi_notsent_bytes)
		out(" notsent:%u", i.tcpi_notsent_bytes);
	if (i.tcpi_min_rtt)
		out(" minrtt:%g", i.tcpi_min_rtt / 1000.0);
	/* tcpx's struct carries the peer's window where tcp_info does too. */
	if (len >= offsetof(struct tcpx_info, tcpi_snd_wnd) + sizeof(__u32) &&
	    i.tcpi_snd_wnd)
		out(" snd_wnd:%u", i.tcpi_snd_wnd);
}

struct dump_ctx {
	int proto;
	unsigned int states;
	struct fnode *filter;
	struct mnl_socket *kill_nl;
	unsigned int kill_seq;
	int err;
};

static int attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(a);

	if (type <= INET_DIAG_MAX)
		tb[type] = a;
	return MNL_CB_OK;
}

/* SOCK_DESTROY for one socket: 0, or -errno as the kernel answered. */
static int kill_sock(struct dump_ctx *ctx, const struct inet_diag_msg *d)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct inet_diag_req_v2 *req;
	struct nlmsghdr *nlh;
	ssize_t n;
	int ret;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = SOCK_DESTROY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = ++ctx->kill_seq;
	req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));
	req->sdiag_family = d->idiag_family;
	req->sdiag_protocol = ctx->proto;
	req->id = d->id;
	if (mnl_socket_sendto(ctx->kill_nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	n = mnl_socket_recvfrom(ctx->kill_nl, buf, sizeof(buf));
	if (n < 0)
		return -errno;
	ret = mnl_cb_run(buf, n, ctx->kill_seq,
			 mnl_socket_get_portid(ctx->kill_nl), NULL, NULL);
	return ret < 0 ? -errno : 0;
}

/* A dump's error comes in its NLMSG_DONE (no handler: -ENOENT). */
static int done_cb(const struct nlmsghdr *nlh, void *data)
{
	int err;

	(void)data;
	if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(int)) {
		memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
		if (err < 0) {
			errno = -err;
			return MNL_CB_ERROR;
		}
	}
	return MNL_CB_STOP;
}

/*
 * A request's error: where sock_diag has no inet_diag handler at all for
 * the family, the dump is refused with NLMSG_ERROR -ENOENT, not a DONE.
 * mnl_cb_run2() skips a control message without a callback: the dump
 * would then wait for a DONE that never comes.
 */
static int error_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

	(void)data;
	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e))) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	if (!e->error)
		return MNL_CB_STOP;
	errno = e->error < 0 ? -e->error : e->error;
	return MNL_CB_ERROR;
}

/*
 * -D: one message as ss -D writes it, INET_DIAG_INFO in struct tcp_info's
 * layout (the fields both have, the rest zero), for TCPDIAG_FILE= ss.
 */
static void dump_msg(const struct nlmsghdr *nlh)
{
	char buf[8192];
	struct nlmsghdr *o = (struct nlmsghdr *)buf;
	const struct nlattr *a;
	size_t hlen = mnl_nlmsg_size(sizeof(struct inet_diag_msg));

	if (nlh->nlmsg_len > sizeof(buf) - sizeof(struct tcp_info))
		return;
	memcpy(buf, nlh, hlen);
	o->nlmsg_len = hlen;
	mnl_attr_for_each(a, nlh, sizeof(struct inet_diag_msg)) {
		if (mnl_attr_get_type(a) == INET_DIAG_INFO) {
			struct tcpx_info x = { 0 };
			struct tcp_info t = { 0 };
			size_t len = mnl_attr_get_payload_len(a);

			memcpy(&x, mnl_attr_get_payload(a), len < sizeof(x) ? len : sizeof(x));
			memcpy(&t, &x, TCPX_INFO_COMMON);
#define X(f) t.tcpi_##f = x.tcpi_##f;
			TCPX_INFO_SHARED(X)
#undef X
			mnl_attr_put(o, INET_DIAG_INFO, sizeof(t), &t);
		} else {
			mnl_attr_put(o, mnl_attr_get_type(a),
				     mnl_attr_get_payload_len(a), mnl_attr_get_payload(a));
		}
	}
	fwrite(buf, 1, NLMSG_ALIGN(o->nlmsg_len), dump_out);
}

static int sock_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[INET_DIAG_MAX + 1] = { NULL };
	struct inet_diag_msg *r = mnl_nlmsg_get_payload(nlh);
	struct dump_ctx *ctx = data;
	struct sockinfo si = { 0 };
	bool v6only = false;
	int alen;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*r)))
		return MNL_CB_ERROR;
	mnl_attr_parse(nlh, sizeof(*r), attr_cb, tb);

	si.family = r->idiag_family;
	alen = si.family == AF_INET ? 4 : 16;
	memcpy(si.src, r->id.idiag_src, alen);
	memcpy(si.dst, r->id.idiag_dst, alen);
	si.sport = ntohs(r->id.idiag_sport);
	si.dport = ntohs(r->id.idiag_dport);
	if (ctx->filter && !run_filter(ctx->filter, &si))
		return MNL_CB_OK;
	if (dump_out) {
		dump_msg(nlh);
		return MNL_CB_OK;
	}

	if (ctx->kill_nl) {
		int err = kill_sock(ctx, r);

		/* Not closable, or gone already: not shown, as ss does. */
		if (err == -EOPNOTSUPP || err == -ENOENT)
			return MNL_CB_OK;
		if (err) {
			fprintf(stderr, "tcpx-ss: SOCK_DESTROY answers: %s\n",
				strerror(-err));
			ctx->err = 1;
			return MNL_CB_ERROR;
		}
	}

	if (si.family == AF_INET6 && tb[INET_DIAG_SKV6ONLY])
		v6only = mnl_attr_get_u8(tb[INET_DIAG_SKV6ONLY]);

	row_new();
	col_set(COL_STATE);
	out("%s", r->idiag_state < SS_MAX ? state_name[r->idiag_state] : "UNKNOWN");
	col_set(COL_RECVQ);
	out("%-6d", (int)r->idiag_rqueue);
	col_set(COL_SENDQ);
	out("%-6d", (int)r->idiag_wqueue);
	col_set(COL_ADDR);
	print_addr(si.family, si.src, si.sport, r->id.idiag_if, v6only);
	print_addr(si.family, si.dst, si.dport, 0, v6only);
	/* Everything else goes in the Process column, as ss puts it. */
	if (opt_procs)
		print_users(r->idiag_inode);
	if (opt_options && r->idiag_timer) {
		static const char *const timer[] = {
			"off", "on", "keepalive", "timewait", "persist", "unknown"
		};

		out(" timer:(%s,%s,%d)", timer[r->idiag_timer > 4 ? 5 : r->idiag_timer],
		    ms_timer(r->idiag_expires), r->idiag_retrans);
	}
	if (opt_details) {
		uint64_t cg = tb[INET_DIAG_CGROUP_ID] ?
			      mnl_attr_get_u64(tb[INET_DIAG_CGROUP_ID]) : 0;
		uint32_t mark = tb[INET_DIAG_MARK] ?
				mnl_attr_get_u32(tb[INET_DIAG_MARK]) : 0;

		if (r->idiag_uid)
			out(" uid:%u", r->idiag_uid);
		out(" ino:%u", r->idiag_inode);
		out(" sk:%llx", ((unsigned long long)r->id.idiag_cookie[1] << 32) |
				r->id.idiag_cookie[0]);
		if (mark)
			out(" fwmark:0x%x", mark);
		if (cg)
			out(" cgroup:%s", cg_path(cg));
		if (si.family == AF_INET6 && tb[INET_DIAG_SKV6ONLY])
			out(" v6only:%u", v6only);
		if (tb[INET_DIAG_SHUTDOWN]) {
			uint8_t m = mnl_attr_get_u8(tb[INET_DIAG_SHUTDOWN]);

			out(" %c-%c", m & 1 ? '-' : '<', m & 2 ? '-' : '>');
		}
	}
	/* As ss: whatever the messages carry (the request asked for it). */
	if (opt_mem || opt_info) {
		out("\n\t");
		if (tb[INET_DIAG_SKMEMINFO]) {
			print_skmem(tb[INET_DIAG_SKMEMINFO]);
		} else if (tb[INET_DIAG_MEMINFO]) {
			const struct inet_diag_meminfo *m =
				mnl_attr_get_payload(tb[INET_DIAG_MEMINFO]);

			out(" mem:(r%u,w%u,f%u,t%u)", m->idiag_rmem,
			    m->idiag_wmem, m->idiag_fmem, m->idiag_tmem);
		}
		if (tb[INET_DIAG_INFO])
			print_info(r, tb[INET_DIAG_INFO], tb[INET_DIAG_CONG]);
	}
	return MNL_CB_OK;
}

static int no_diag(int proto)
{
	fprintf(stderr, "tcpx-ss: no sock_diag for IP protocol %d "
		"(tcpx not loaded, or a kernel without CONFIG_INET_DIAG)\n", proto);
	return 2;
}

/* A sock_diag socket; NULL, with *ret 2 where the kernel has none. */
static struct mnl_socket *diag_open(int *ret)
{
	struct mnl_socket *nl = mnl_socket_open(NETLINK_SOCK_DIAG);

	if (nl && mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) == 0)
		return nl;
	if (!nl && errno == EPROTONOSUPPORT) {
		*ret = no_diag(IPPROTO_TCPX);
	} else {
		perror("tcpx-ss: netlink");
		*ret = 1;
	}
	if (nl)
		mnl_socket_close(nl);
	return NULL;
}

/* One dump of family; 0, or 2 if there is no sock_diag for tcpx, or 1. */
static int dump(struct dump_ctx *ctx, int family)
{
	char buf[32768];	/* as MNL_SOCKET_DUMP_SIZE of newer libmnl */
	struct inet_diag_req_v2 *req;
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	unsigned int seq = time(NULL), portid;
	mnl_cb_t ctl_cb[NLMSG_DONE + 1] = {
		[NLMSG_ERROR] = error_cb, [NLMSG_DONE] = done_cb,
	};
	int ret;

	nl = diag_open(&ret);
	if (!nl)
		return ret;
	portid = mnl_socket_get_portid(nl);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));
	req->sdiag_family = family;
	req->sdiag_protocol = ctx->proto;
	req->idiag_states = ctx->states;
	if (ctx->states & (1 << SS_SYN_RECV))
		req->idiag_states |= 1 << TCPX_NEW_SYN_RECV;
	if (opt_mem || dump_out)
		req->idiag_ext |= (1 << (INET_DIAG_MEMINFO - 1)) |
				  (1 << (INET_DIAG_SKMEMINFO - 1));
	if (opt_info || dump_out)
		req->idiag_ext |= (1 << (INET_DIAG_INFO - 1)) |
				  (1 << (INET_DIAG_VEGASINFO - 1)) |
				  (1 << (INET_DIAG_CONG - 1));
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		perror("tcpx-ss: netlink send");
		mnl_socket_close(nl);
		return 1;
	}
	do {
		ret = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (ret <= 0)
			break;
		ret = mnl_cb_run2(buf, ret, seq, portid, sock_cb, ctx, ctl_cb,
				  NLMSG_DONE + 1);
	} while (ret > 0);
	mnl_socket_close(nl);
	if (ret < 0 && !ctx->err) {
		if (errno == ENOENT || errno == EOPNOTSUPP)
			return no_diag(ctx->proto);
		perror("tcpx-ss: sock_diag dump");
		return 1;
	}
	return ctx->err;
}

/* $TCPDIAG_FILE, as ss reads it: messages up to NLMSG_DONE. */
static int read_file(struct dump_ctx *ctx, const char *path)
{
	FILE *f = fopen(path, "r");
	char buf[8192];
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	int ret = 1;

	if (!f) {
		fprintf(stderr, "tcpx-ss: %s: %s\n", path, strerror(errno));
		return 1;
	}
	while (fread(h, 1, sizeof(*h), f) == sizeof(*h)) {
		size_t n = NLMSG_ALIGN(h->nlmsg_len) - sizeof(*h);

		if (h->nlmsg_len < sizeof(*h) || n > sizeof(buf) - sizeof(*h) ||
		    fread(h + 1, 1, n, f) != n)
			break;
		if (h->nlmsg_type == NLMSG_DONE) {
			ret = 0;
			break;
		}
		if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
		    sock_cb(h, ctx) != MNL_CB_OK)
			break;
	}
	if (ret)
		fprintf(stderr, "tcpx-ss: %s: truncated or not a dump\n", path);
	fclose(f);
	return ret;
}

static int scan_state(const char *s)
{
	static const char *const names[SS_MAX] = {
		"UNKNOWN", "established", "syn-sent", "syn-recv", "fin-wait-1",
		"fin-wait-2", "time-wait", "unconnected", "close-wait", "last-ack",
		"listening", "closing",
	};
	int i;

	if (!strcasecmp(s, "close") || !strcasecmp(s, "closed"))
		return 1 << SS_CLOSE;
	if (!strcasecmp(s, "syn-rcv"))
		return 1 << SS_SYN_RECV;
	if (!strcasecmp(s, "all"))
		return SS_ALL;
	if (!strcasecmp(s, "connected"))
		return SS_ALL & ~((1 << SS_CLOSE) | (1 << SS_LISTEN));
	if (!strcasecmp(s, "synchronized"))
		return SS_ALL & ~((1 << SS_CLOSE) | (1 << SS_LISTEN) | (1 << SS_SYN_SENT));
	if (!strcasecmp(s, "bucket"))
		return (1 << SS_SYN_RECV) | (1 << SS_TIME_WAIT);
	if (!strcasecmp(s, "big"))
		return SS_ALL & ~((1 << SS_SYN_RECV) | (1 << SS_TIME_WAIT));
	for (i = 1; i < SS_MAX; i++)
		if (!strcasecmp(s, names[i]))
			return 1 << i;
	fprintf(stderr, "tcpx-ss: wrong state name: %s\n", s);
	exit(1);
}

static void usage(FILE *f)
{
	fprintf(f,
"Usage: tcpx-ss [ OPTIONS ] [ FILTER ]\n"
"   -h, --help          this message\n"
"   -n, --numeric       don't resolve service names\n"
"   -a, --all           display all sockets\n"
"   -l, --listening     display listening sockets\n"
"   -o, --options       show timer information\n"
"   -e, --extended      show detailed socket information\n"
"   -m, --memory        show socket memory usage\n"
"   -p, --processes     show process using socket\n"
"   -i, --info          show internal tcpx information\n"
"   -4, --ipv4          display only IP version 4 sockets\n"
"   -6, --ipv6          display only IP version 6 sockets\n"
"   -t, --tcp           accepted (tcpx sockets are all there is)\n"
"   -K, --kill          forcibly close sockets, display what was closed\n"
"   -H, --no-header     suppress header line\n"
"   -D, --diag=FILE     dump the raw sock_diag messages to FILE (struct tcp_info\n"
"                       layout, for TCPDIAG_FILE=FILE ss); TCPDIAG_FILE=FILE\n"
"                       makes tcpx-ss read such a file instead of the kernel\n"
"\n"
"   FILTER := [ state STATE-FILTER | exclude STATE-FILTER ]... [ EXPRESSION ]\n"
"   STATE-FILTER := {all|connected|synchronized|bucket|big|established|\n"
"                    syn-sent|syn-recv|fin-wait-{1,2}|time-wait|closed|\n"
"                    close-wait|last-ack|listening|closing}\n"
"   EXPRESSION := {dst|src} [=] ADDR[/LEN][:PORT] | {dport|sport} OP [:]PORT\n"
"                 | not EXPRESSION | ( EXPRESSION ) | EXPRESSION {and|or} EXPRESSION\n"
"   OP := {=|==|eq|!=|ne|>=|ge|<=|le|>|gt|<|lt}\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "numeric", 0, NULL, 'n' }, { "all", 0, NULL, 'a' },
		{ "listening", 0, NULL, 'l' }, { "options", 0, NULL, 'o' },
		{ "extended", 0, NULL, 'e' }, { "memory", 0, NULL, 'm' },
		{ "processes", 0, NULL, 'p' }, { "info", 0, NULL, 'i' },
		{ "ipv4", 0, NULL, '4' }, { "ipv6", 0, NULL, '6' },
		{ "tcp", 0, NULL, 't' }, { "kill", 0, NULL, 'K' },
		{ "no-header", 0, NULL, 'H' }, { "help", 0, NULL, 'h' },
		{ "diag", 1, NULL, 'D' },
		{ NULL, 0, NULL, 0 }
	};
	struct dump_ctx ctx = { .proto = IPPROTO_TCPX };
	unsigned int states = 0;
	bool saw_states = false, v4 = false, v6 = false;
	int c, ret = 0;

	while ((c = getopt_long(argc, argv, "nalemopi46tKHhD:", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			opt_numeric = 1;
			break;
		case 'a':
			states = SS_ALL;
			break;
		case 'l':
			states = (1 << SS_LISTEN) | (1 << SS_CLOSE);
			break;
		case 'o':
			opt_options = 1;
			break;
		case 'e':
			opt_options = 1;
			opt_details = 1;
			break;
		case 'm':
			opt_mem = 1;
			break;
		case 'p':
			opt_procs = 1;
			break;
		case 'i':
			opt_info = 1;
			break;
		case '4':
			v4 = true;
			break;
		case '6':
			v6 = true;
			break;
		case 't':
			break;
		case 'K':
			opt_kill = 1;
			break;
		case 'H':
			opt_header = 0;
			break;
		case 'D':
			dump_out = strcmp(optarg, "-") ? fopen(optarg, "w") : stdout;
			if (!dump_out) {
				fprintf(stderr, "tcpx-ss: %s: %s\n", optarg, strerror(errno));
				return 1;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	argc -= optind;
	argv += optind;
	while (argc > 0) {
		if (!strcmp(argv[0], "state")) {
			if (argc < 2) {
				fprintf(stderr, "tcpx-ss: state name expected\n");
				return 1;
			}
			if (!saw_states)
				states = 0;
			states |= scan_state(argv[1]);
		} else if (!strcmp(argv[0], "exclude") || !strcmp(argv[0], "excl")) {
			if (argc < 2) {
				fprintf(stderr, "tcpx-ss: state name expected\n");
				return 1;
			}
			if (!saw_states)
				states = SS_ALL;
			states &= ~scan_state(argv[1]);
		} else {
			break;
		}
		saw_states = true;
		argc -= 2;
		argv += 2;
	}
	if (!states && !saw_states)
		states = SS_CONN;
	if (!states) {
		fprintf(stderr, "tcpx-ss: no socket states to show with such filter.\n");
		return 0;
	}
	ctx.states = states;
	tokenize(argc, argv);
	if (ntoks) {
		ctx.filter = parse_list();
		if (tpos != ntoks)
			filter_error("unexpected", toks[tpos]);
	}

	/* As ss: no Netid column for one protocol, no State for one state. */
	cols[COL_NETID].off = true;
	if (!(states & (states - 1)))
		cols[COL_STATE].off = true;

	if (opt_procs)
		scan_procs();
	if (opt_kill) {
		ctx.kill_nl = diag_open(&ret);
		if (!ctx.kill_nl)
			return ret;
	}
	if (opt_header && !dump_out)
		print_header();
	if (getenv("TCPDIAG_FILE") && !dump_out) {
		from_file = true;
		ret = read_file(&ctx, getenv("TCPDIAG_FILE"));
	} else {
		if (v4 || !v6)
			ret = dump(&ctx, AF_INET);
		if (!ret && (v6 || !v4))
			ret = dump(&ctx, AF_INET6);
	}
	if (ret == 2)
		return 2;
	if (dump_out) {
		struct nlmsghdr done = {
			.nlmsg_len = NLMSG_LENGTH(sizeof(int)),
			.nlmsg_type = NLMSG_DONE,
		};
		int zero = 0;

		fwrite(&done, 1, sizeof(done), dump_out);
		fwrite(&zero, 1, sizeof(zero), dump_out);
		return fclose(dump_out) ? 1 : ret;
	}
	render();
	if (ctx.kill_nl)
		mnl_socket_close(ctx.kill_nl);
	return ret;
}
