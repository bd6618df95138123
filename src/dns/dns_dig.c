/* dns_dig.c - "camada dig": one query printed in dig's layout, +short, +tcp,
 * +norec, -x, and +trace (iterates from the root hints by itself, printing
 * each referral and the final answer). A command-line client: blocking
 * sockets and poll are fine here.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/sock.h"
#include "dns/dns_dig.h"
#include "dns/dns_iter.h"
#include "dns/dns_query.h"
#include "dns/dns_text.h"
#include "dns/dns_wire.h"

#define DEFAULT_HINTS "etc/zones/root.hints"
#define TRACE_MAX_STEPS 32
#define TRACE_MAX_SRV 32

struct dig {
	const char *server;		/* as given, NULL: resolv.conf */
	int port;
	struct sock_addr addr;
	char server_host[SOCK_ADDR_STRLEN];
	uint8_t qname[DNS_NAME_MAX];
	uint16_t qtype, qclass;
	int trace, tcp, norec, shortf;
	const char *hints;
	long timeout_ms;
	int tries;
	char cmdline[1024];
	uint8_t *arena_mem;
	struct dns_arena arena;
	uint8_t resp[DNS_MSG_MAX];
};

int
dns_dig_reverse_name(const char *addr, uint8_t out[DNS_NAME_MAX])
{
	char text[DNS_NAME_TEXT_MAX];
	uint8_t b[16];
	size_t off = 0;

	if (inet_pton(AF_INET, addr, b) == 1) {
		snprintf(text, sizeof(text), "%u.%u.%u.%u.in-addr.arpa.", b[3],
		    b[2], b[1], b[0]);
	} else if (inet_pton(AF_INET6, addr, b) == 1) {
		static const char hex[] = "0123456789abcdef";
		for (int i = 15; i >= 0; i--) {
			text[off++] = hex[b[i] & 0xf];
			text[off++] = '.';
			text[off++] = hex[b[i] >> 4];
			text[off++] = '.';
		}
		snprintf(text + off, sizeof(text) - off, "ip6.arpa.");
	} else {
		return -1;
	}
	return dns_name_from_text(text, strlen(text), (const uint8_t *)"",
	    out, NULL);
}

/* The first nameserver of /etc/resolv.conf, or 127.0.0.1. */
static void
resolv_conf_server(char *out, size_t n)
{
	FILE *f = fopen("/etc/resolv.conf", "r");
	char line[512];

	snprintf(out, n, "127.0.0.1");
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f)) {
		char word[64], addr[256];
		if (sscanf(line, "%63s %255s", word, addr) == 2 &&
		    strcmp(word, "nameserver") == 0) {
			snprintf(out, n, "%s", addr);
			break;
		}
	}
	fclose(f);
}

/* ---- sending ---- */

static int
wait_fd(int fd, short ev, long ms)
{
	struct pollfd p = { fd, ev, 0 };
	int r;

	do
		r = poll(&p, 1, (int)ms);
	while (r < 0 && errno == EINTR);
	return r;
}

/* One exchange over TCP; returns the response length or -1. */
static int
exchange_tcp(struct dig *d, const struct sock_addr *to, const uint8_t *q,
    size_t qn)
{
	uint8_t hdr[2];
	size_t got = 0, need = 2;
	uint64_t deadline = clock_mono_ms() + (uint64_t)d->timeout_ms;
	char err[SOCK_ERR_LEN];
	int fd = sock_connect_tcp(to, err), rc = -1;
	uint8_t *frame;

	if (fd < 0)
		return -1;
	if (wait_fd(fd, POLLOUT, d->timeout_ms) <= 0 ||
	    sock_connect_result(fd) != 0)
		goto out;
	frame = malloc(qn + 2);
	if (frame == NULL)
		goto out;
	dns_put16(frame, (uint16_t)qn);
	memcpy(frame + 2, q, qn);
	if (send(fd, frame, qn + 2, MSG_NOSIGNAL) != (ssize_t)(qn + 2)) {
		free(frame);
		goto out;
	}
	free(frame);
	/* the length, then the message */
	while (got < need) {
		uint64_t now = clock_mono_ms();
		ssize_t r;
		if (now >= deadline || wait_fd(fd, POLLIN,
		    (long)(deadline - now)) <= 0)
			goto out;
		if (need == 2)
			r = recv(fd, hdr + got, need - got, 0);
		else
			r = recv(fd, d->resp + got, need - got, 0);
		if (r <= 0) {
			if (r < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			goto out;
		}
		got += (size_t)r;
		if (need == 2 && got == 2) {
			need = dns_get16(hdr);
			got = 0;
			if (need == 0)
				goto out;
		}
	}
	rc = (int)need;
out:
	close(fd);
	return rc;
}

/* Sends a query for name/type to `to`; the response lands in d->resp.
 * Returns its length, or -1 (no answer). *via_tcp tells how it came. */
static int
exchange(struct dig *d, const struct sock_addr *to, const uint8_t *name,
    uint16_t type, int rd, int *via_tcp)
{
	uint8_t q[DNS_NAME_MAX + 64];
	uint16_t id = dns_random16();
	int qn = dns_query_build(q, sizeof(q), id, name, type, d->qclass, rd,
	    1232);

	*via_tcp = 0;
	if (qn < 0)
		return -1;
	if (!d->tcp) {
		for (int t = 0; t < d->tries; t++) {
			int fd = socket(to->ss.ss_family, SOCK_DGRAM |
			    SOCK_CLOEXEC, 0);
			uint64_t deadline;
			if (fd < 0)
				return -1;
			if (connect(fd, (const struct sockaddr *)&to->ss,
			    to->len) < 0 || send(fd, q, (size_t)qn, 0) != qn) {
				close(fd);
				return -1;
			}
			deadline = clock_mono_ms() + (uint64_t)d->timeout_ms;
			for (;;) {
				uint64_t now = clock_mono_ms();
				ssize_t r;
				if (now >= deadline || wait_fd(fd, POLLIN,
				    (long)(deadline - now)) <= 0)
					break;
				r = recv(fd, d->resp, sizeof(d->resp), 0);
				if (r < 0) {
					if (errno == EINTR || errno == EAGAIN)
						continue;
					break; /* refused */
				}
				if (!dns_query_matches(d->resp, (size_t)r, id,
				    name, type, d->qclass))
					continue;
				close(fd);
				if (dns_get16(d->resp + 2) & DNS_FLAG_TC) {
					fprintf(stderr, ";; Truncated, retrying "
					    "in TCP mode.\n");
					goto tcp;
				}
				return (int)r;
			}
			close(fd);
		}
		return -1;
	}
tcp:
	*via_tcp = 1;
	{
		int n = exchange_tcp(d, to, q, (size_t)qn);
		if (n < 0 || !dns_query_matches(d->resp, (size_t)n, id, name,
		    type, d->qclass))
			return -1;
		return n;
	}
}

/* ---- printing ---- */

static void
print_rrs(const struct dns_msg *m, enum dns_section sec, int shortf)
{
	static char line[DNS_RR_TEXT_MAX];

	for (unsigned i = 0; i < m->count[sec]; i++) {
		const struct dns_rr *rr = &m->rr[sec][i];
		if (shortf) {
			if (dns_rdata_to_text(rr->type, rr->rdata, rr->rdlen,
			    line, sizeof(line)) >= 0)
				printf("%s\n", line);
		} else if (dns_rr_to_text(rr, line, sizeof(line)) >= 0) {
			printf("%s\n", line);
		}
	}
}

static void
print_full(struct dig *d, const struct dns_msg *m, int len, uint64_t ms,
    int via_tcp)
{
	static const char *secname[3] = { "ANSWER", "AUTHORITY", "ADDITIONAL" };
	char op[16], rc[16], when[128], q[DNS_RR_TEXT_MAX];
	time_t now = time(NULL);
	struct tm tm;

	dns_opcode_to_text(m->opcode, op, sizeof(op));
	dns_rcode_to_text(m->rcode, rc, sizeof(rc));
	printf(";; Got answer:\n");
	printf(";; ->>HEADER<<- opcode: %s, status: %s, id: %u\n", op, rc, m->id);
	printf(";; flags:%s%s%s%s%s%s%s; QUERY: %u, ANSWER: %u, AUTHORITY: %u, "
	    "ADDITIONAL: %u\n",
	    m->flags & DNS_FLAG_QR ? " qr" : "",
	    m->flags & DNS_FLAG_AA ? " aa" : "",
	    m->flags & DNS_FLAG_TC ? " tc" : "",
	    m->flags & DNS_FLAG_RD ? " rd" : "",
	    m->flags & DNS_FLAG_RA ? " ra" : "",
	    m->flags & DNS_FLAG_AD ? " ad" : "",
	    m->flags & DNS_FLAG_CD ? " cd" : "",
	    m->qdcount, m->count[0], m->count[1],
	    m->count[2] + (m->has_edns ? 1 : 0));
	if (d->norec == 0 && !(m->flags & DNS_FLAG_RA))
		printf(";; WARNING: recursion requested but not available\n");
	printf("\n");
	if (m->has_edns) {
		printf(";; OPT PSEUDOSECTION:\n");
		printf("; EDNS: version: %u, flags:%s; udp: %u\n",
		    m->edns.version, m->edns.flags & DNS_EDNS_DO ? " do" : "",
		    m->edns.udp_size);
	}
	if (m->qdcount) {
		printf(";; QUESTION SECTION:\n");
		for (unsigned i = 0; i < m->qdcount; i++)
			if (dns_question_to_text(&m->qd[i], q, sizeof(q)) >= 0)
				printf("%s\n", q);
		printf("\n");
	}
	for (int s = 0; s < 3; s++) {
		if (m->count[s] == 0)
			continue;
		printf(";; %s SECTION:\n", secname[s]);
		print_rrs(m, (enum dns_section)s, 0);
		printf("\n");
	}
	localtime_r(&now, &tm);
	strftime(when, sizeof(when), "%a %b %d %H:%M:%S %Z %Y", &tm);
	printf(";; Query time: %llu msec\n", (unsigned long long)ms);
	printf(";; SERVER: %s#%d(%s) (%s)\n", d->server_host,
	    sock_addr_port(&d->addr), d->server ? d->server : d->server_host,
	    via_tcp ? "TCP" : "UDP");
	printf(";; WHEN: %s\n", when);
	printf(";; MSG SIZE  rcvd: %d\n\n", len);
}

/* ---- one query ---- */

static int
dig_one(struct dig *d)
{
	struct dns_msg m;
	uint64_t t0 = clock_mono_ms();
	int via_tcp, n;

	n = exchange(d, &d->addr, d->qname, d->qtype, !d->norec, &via_tcp);
	if (n < 0) {
		printf(";; communications error to %s#%d: timed out\n",
		    d->server_host, sock_addr_port(&d->addr));
		printf(";; no servers could be reached\n");
		return 1;
	}
	dns_arena_reset(&d->arena);
	if (dns_msg_parse(d->resp, (size_t)n, &m, &d->arena) < 0) {
		printf(";; Got bad packet: %s\n", m.err ? m.err : "malformed");
		return 1;
	}
	if (d->shortf)
		print_rrs(&m, DNS_SEC_ANSWER, 1);
	else
		print_full(d, &m, n, clock_mono_ms() - t0, via_tcp);
	return 0;
}

/* ---- +trace ---- */

struct tsrv {
	uint8_t name[DNS_NAME_MAX];
	struct sock_addr addr;
	int has_addr;
};

static int resolve_addr(struct dig *d, const struct dns_iter_hints *h,
    const uint8_t *name, struct sock_addr *out, int depth);

/* Iterates for name/type from the hints. print: show every step. On a final
 * answer with an A record and out != NULL, stores its address. Returns 0
 * when an authoritative answer (or negative answer) came, -1 otherwise. */
static int
iterate(struct dig *d, const struct dns_iter_hints *h, const uint8_t *name,
    uint16_t type, int print, struct sock_addr *out, int depth)
{
	struct tsrv srv[TRACE_MAX_SRV];
	uint8_t zone[DNS_NAME_MAX];
	int nsrv = 0;

	zone[0] = 0;
	for (int i = 0; i < h->naddr && nsrv < TRACE_MAX_SRV; i++) {
		memset(&srv[nsrv], 0, sizeof(srv[nsrv]));
		srv[nsrv].addr = h->addr[i];
		srv[nsrv].has_addr = 1;
		memcpy(srv[nsrv].name, h->ns[h->addr_ns[i]], DNS_NAME_MAX);
		nsrv++;
	}
	for (int step = 0; step < TRACE_MAX_STEPS; step++) {
		struct dns_msg m;
		int n = -1, via_tcp, used = -1;
		uint64_t t0 = 0, dt = 0;

		for (int i = 0; i < nsrv && n < 0; i++) {
			if (!srv[i].has_addr) {
				if (depth > 3 || resolve_addr(d, h, srv[i].name,
				    &srv[i].addr, depth + 1) < 0)
					continue;
				srv[i].has_addr = 1;
			}
			t0 = clock_mono_ms();
			n = exchange(d, &srv[i].addr, name, type, 0, &via_tcp);
			dt = clock_mono_ms() - t0;
			used = i;
		}
		if (n < 0) {
			if (print)
				printf(";; no name server of the zone answered\n");
			return -1;
		}
		dns_arena_reset(&d->arena);
		if (dns_msg_parse(d->resp, (size_t)n, &m, &d->arena) < 0)
			return -1;
		if (print) {
			char host[SOCK_ADDR_STRLEN], nm[DNS_NAME_TEXT_MAX];
			for (int s = 0; s < 3; s++)
				print_rrs(&m, (enum dns_section)s, 0);
			sock_addr_host(&srv[used].addr, host, sizeof(host));
			if (srv[used].name[0])
				dns_name_to_text(srv[used].name, nm, sizeof(nm));
			else
				snprintf(nm, sizeof(nm), "%s", host);
			printf(";; Received %d bytes from %s#%d(%s) in %llu ms\n\n",
			    n, host, sock_addr_port(&srv[used].addr), nm,
			    (unsigned long long)dt);
		}
		if (m.rcode != DNS_RCODE_NOERROR || m.count[DNS_SEC_ANSWER] ||
		    (m.flags & DNS_FLAG_AA)) {
			if (out) {
				for (unsigned i = 0; i < m.count[0]; i++)
					if (m.rr[0][i].type == DNS_T_A &&
					    m.rr[0][i].rdlen == 4) {
						struct sockaddr_in *s4 =
						    (struct sockaddr_in *)&out->ss;
						memset(out, 0, sizeof(*out));
						s4->sin_family = AF_INET;
						memcpy(&s4->sin_addr,
						    m.rr[0][i].rdata, 4);
						out->len = sizeof(*s4);
						sock_addr_set_port(out, d->port);
						return 0;
					}
				return -1;
			}
			return m.rcode == DNS_RCODE_NOERROR ||
			    m.rcode == DNS_RCODE_NXDOMAIN ? 0 : -1;
		}
		/* a referral: NS below the zone we asked, enclosing the name */
		const uint8_t *cut = NULL;
		for (unsigned i = 0; i < m.count[1]; i++) {
			const struct dns_rr *rr = &m.rr[1][i];
			if (rr->type == DNS_T_NS && dns_name_is_sub(name, rr->owner) &&
			    dns_name_is_sub(rr->owner, zone) &&
			    !dns_name_equal(rr->owner, zone)) {
				cut = rr->owner;
				break;
			}
		}
		if (cut == NULL) {
			if (print)
				printf(";; no referral and no answer\n");
			return -1;
		}
		memcpy(zone, cut, (size_t)dns_name_len(cut, DNS_NAME_MAX));
		nsrv = 0;
		for (unsigned i = 0; i < m.count[1] && nsrv < TRACE_MAX_SRV; i++) {
			const struct dns_rr *rr = &m.rr[1][i];
			if (rr->type != DNS_T_NS || !dns_name_equal(rr->owner, zone))
				continue;
			struct tsrv *t = &srv[nsrv];
			memset(t, 0, sizeof(*t));
			memcpy(t->name, rr->rdata, rr->rdlen);
			int glued = 0;
			for (unsigned k = 0; k < m.count[2] &&
			    nsrv < TRACE_MAX_SRV; k++) {
				const struct dns_rr *g = &m.rr[2][k];
				if (!dns_name_equal(g->owner, t->name) ||
				    !((g->type == DNS_T_A && g->rdlen == 4) ||
				    (g->type == DNS_T_AAAA && g->rdlen == 16)))
					continue;
				struct tsrv *u = &srv[nsrv];
				if (glued) {
					memcpy(u->name, t->name, DNS_NAME_MAX);
				}
				memset(&u->addr, 0, sizeof(u->addr));
				if (g->type == DNS_T_A) {
					struct sockaddr_in *s4 =
					    (struct sockaddr_in *)&u->addr.ss;
					s4->sin_family = AF_INET;
					memcpy(&s4->sin_addr, g->rdata, 4);
					u->addr.len = sizeof(*s4);
				} else {
					struct sockaddr_in6 *s6 =
					    (struct sockaddr_in6 *)&u->addr.ss;
					s6->sin6_family = AF_INET6;
					memcpy(&s6->sin6_addr, g->rdata, 16);
					u->addr.len = sizeof(*s6);
				}
				sock_addr_set_port(&u->addr, d->port);
				u->has_addr = 1;
				glued = 1;
				nsrv++;
			}
			if (!glued)
				nsrv++; /* glueless: looked up when needed */
		}
		/* servers with addresses first */
		for (int i = 0, j = 0; i < nsrv; i++)
			if (srv[i].has_addr) {
				struct tsrv tmp = srv[j];
				srv[j] = srv[i];
				srv[i] = tmp;
				j++;
			}
	}
	return -1;
}

static int
resolve_addr(struct dig *d, const struct dns_iter_hints *h,
    const uint8_t *name, struct sock_addr *out, int depth)
{
	return iterate(d, h, name, DNS_T_A, 0, out, depth);
}

static int
dig_trace(struct dig *d)
{
	struct dns_iter_hints *h = malloc(sizeof(*h));
	char err[512], *text = NULL;
	size_t len = 0, cap = 0;
	FILE *f;
	int rc = 1;

	if (h == NULL)
		return 1;
	f = fopen(d->hints, "r");
	if (f == NULL) {
		fprintf(stderr, "camada dig: %s: %s\n", d->hints, strerror(errno));
		free(h);
		return 1;
	}
	for (;;) {
		if (len == cap) {
			char *p;
			cap = cap ? cap * 2 : 8192;
			if (cap > 4 * 1024 * 1024 || !(p = realloc(text, cap)))
				break;
			text = p;
		}
		size_t r = fread(text + len, 1, cap - len, f);
		if (r == 0)
			break;
		len += r;
	}
	fclose(f);
	if (dns_iter_hints_parse(h, d->hints, text ? text : "", len, d->port,
	    err, sizeof(err)) < 0) {
		fprintf(stderr, "camada dig: %s\n", err);
		free(text);
		free(h);
		return 1;
	}
	free(text);
	for (int i = 0; i < h->nns; i++) {
		char nm[DNS_NAME_TEXT_MAX];
		dns_name_to_text(h->ns[i], nm, sizeof(nm));
		printf(".\t\t\t3600000\tIN\tNS\t%s\n", nm);
	}
	printf(";; Root hints from %s\n\n", d->hints);
	if (iterate(d, h, d->qname, d->qtype, 1, NULL, 0) == 0)
		rc = 0;
	free(h);
	return rc;
}

/* ---- the command ---- */

static void
dig_usage(FILE *f)
{
	fprintf(f,
	    "usage: camada dig [@SERVER] [-p PORT] NAME [TYPE] [CLASS] [+trace] "
	    "[+tcp] [+norec] [+short]\n"
	    "       camada dig [@SERVER] -x ADDR\n"
	    "  @SERVER          the server to ask (default: the first nameserver "
	    "of /etc/resolv.conf)\n"
	    "  -p PORT          its port (default 53; with +trace, every "
	    "server's)\n"
	    "  -x ADDR          reverse look-up (PTR) of an IPv4 or IPv6 address\n"
	    "  -t TYPE, -c CLASS  the query type and class\n"
	    "  +trace           resolve from the root hints, showing each step\n"
	    "  --root-hints F   hints for +trace (default " DEFAULT_HINTS ")\n"
	    "  +tcp             use TCP\n"
	    "  +norec           do not ask for recursion (RD off)\n"
	    "  +short           only the answers' data\n"
	    "  +time=S, +tries=N  timeout per try (seconds) and UDP tries\n");
}

int
dig_main(int argc, char **argv)
{
	struct dig *d = calloc(1, sizeof(*d));
	const char *name = NULL, *rev = NULL;
	char serverbuf[256], err[SOCK_ERR_LEN];
	int rc = 2, have_type = 0;
	size_t off = 0;

	if (d == NULL)
		return 1;
	d->port = 53;
	d->qtype = DNS_T_A;
	d->qclass = DNS_C_IN;
	d->timeout_ms = 2000;
	d->tries = 3;
	d->hints = access(DEFAULT_HINTS, R_OK) == 0 ? DEFAULT_HINTS :
	    "/usr/share/dns/root.hints";
	for (int i = 1; i < argc; i++) {
		int w = snprintf(d->cmdline + off, sizeof(d->cmdline) - off, " %s",
		    argv[i]);
		if (w < 0 || (size_t)w >= sizeof(d->cmdline) - off)
			break;
		off += (size_t)w;
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			dig_usage(stdout);
			rc = 0;
			goto out;
		} else if (a[0] == '@') {
			d->server = a + 1;
		} else if (strcmp(a, "-p") == 0 || strcmp(a, "-x") == 0 ||
		    strcmp(a, "-t") == 0 || strcmp(a, "-c") == 0 ||
		    strcmp(a, "--root-hints") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "camada dig: %s needs a value\n", a);
				goto usage;
			}
			const char *v = argv[++i];
			if (a[1] == 'p') {
				char *end;
				long p = strtol(v, &end, 10);
				if (*end || p < 1 || p > 65535) {
					fprintf(stderr, "camada dig: bad port '%s'\n", v);
					goto usage;
				}
				d->port = (int)p;
			} else if (a[1] == 'x') {
				rev = v;
			} else if (a[1] == 't') {
				if (dns_type_from_text(v, strlen(v), &d->qtype) < 0) {
					fprintf(stderr, "camada dig: bad type '%s'\n", v);
					goto usage;
				}
				have_type = 1;
			} else if (a[1] == 'c') {
				if (dns_class_from_text(v, strlen(v), &d->qclass) < 0) {
					fprintf(stderr, "camada dig: bad class '%s'\n", v);
					goto usage;
				}
			} else {
				d->hints = v;
			}
		} else if (a[0] == '+') {
			const char *o = a + 1;
			int no = strncmp(o, "no", 2) == 0 && strcmp(o, "norec") != 0 &&
			    strcmp(o, "norecurse") != 0;
			if (no)
				o += 2;
			if (strcmp(o, "trace") == 0)
				d->trace = !no;
			else if (strcmp(o, "tcp") == 0 || strcmp(o, "vc") == 0)
				d->tcp = !no;
			else if (strcmp(o, "norec") == 0 || strcmp(o, "norecurse") == 0)
				d->norec = 1;
			else if (strcmp(o, "rec") == 0 || strcmp(o, "recurse") == 0)
				d->norec = no;
			else if (strcmp(o, "short") == 0)
				d->shortf = !no;
			else if (strncmp(o, "time=", 5) == 0 && atol(o + 5) > 0)
				d->timeout_ms = atol(o + 5) * 1000;
			else if (strncmp(o, "tries=", 6) == 0 && atoi(o + 6) > 0)
				d->tries = atoi(o + 6);
			else if (strncmp(o, "retry=", 6) == 0)
				d->tries = atoi(o + 6) + 1;
			else {
				fprintf(stderr, "camada dig: unknown option '%s'\n", a);
				goto usage;
			}
		} else if (a[0] == '-') {
			fprintf(stderr, "camada dig: unknown option '%s'\n", a);
			goto usage;
		} else if (name == NULL && !rev) {
			name = a;
		} else if (!have_type &&
		    dns_type_from_text(a, strlen(a), &d->qtype) == 0) {
			have_type = 1;
		} else if (dns_class_from_text(a, strlen(a), &d->qclass) == 0) {
			/* a class */
		} else if (name == NULL) {
			name = a;
		} else {
			fprintf(stderr, "camada dig: unexpected argument '%s'\n", a);
			goto usage;
		}
	}
	if (rev) {
		if (dns_dig_reverse_name(rev, d->qname) < 0) {
			fprintf(stderr, "camada dig: -x %s: not an address\n", rev);
			goto usage;
		}
		if (!have_type)
			d->qtype = DNS_T_PTR;
	} else {
		if (name == NULL)
			name = ".";
		if (!have_type && strcmp(name, ".") == 0)
			d->qtype = DNS_T_NS;
		if (dns_name_from_text(name, strlen(name), (const uint8_t *)"",
		    d->qname, NULL) < 0) {
			fprintf(stderr, "camada dig: bad name '%s'\n", name);
			goto usage;
		}
	}
	d->arena_mem = malloc(DNS_ARENA_SIZE);
	if (d->arena_mem == NULL) {
		rc = 1;
		goto out;
	}
	dns_arena_init(&d->arena, d->arena_mem, DNS_ARENA_SIZE);
	if (d->trace) {
		if (!d->shortf)
			printf("\n; <<>> camada dig <<>>%s\n;; global options: "
			    "+cmd\n", d->cmdline);
		rc = dig_trace(d);
		goto out;
	}
	if (d->server == NULL) {
		resolv_conf_server(serverbuf, sizeof(serverbuf));
		d->server = NULL;
		if (sock_parse_host(serverbuf, d->port, &d->addr, err) < 0) {
			fprintf(stderr, "camada dig: /etc/resolv.conf: %s\n", err);
			rc = 1;
			goto out;
		}
	} else if (sock_parse_host(d->server, d->port, &d->addr, err) < 0) {
		/* "::1" without brackets, or a host name */
		char b[300];
		struct addrinfo hints, *res = NULL;
		snprintf(b, sizeof(b), "[%s]", d->server);
		memset(&hints, 0, sizeof(hints));
		hints.ai_socktype = SOCK_DGRAM;
		if (sock_parse_host(b, d->port, &d->addr, err) < 0) {
			if (getaddrinfo(d->server, NULL, &hints, &res) != 0 ||
			    res == NULL) {
				fprintf(stderr, "camada dig: couldn't get address "
				    "for '%s': not found\n", d->server);
				rc = 1;
				goto out;
			}
			memset(&d->addr, 0, sizeof(d->addr));
			memcpy(&d->addr.ss, res->ai_addr, res->ai_addrlen);
			d->addr.len = res->ai_addrlen;
			freeaddrinfo(res);
		}
	}
	sock_addr_set_port(&d->addr, d->port);
	sock_addr_host(&d->addr, d->server_host, sizeof(d->server_host));
	if (!d->shortf)
		printf("\n; <<>> camada dig <<>>%s\n;; global options: +cmd\n",
		    d->cmdline);
	rc = dig_one(d);
	goto out;
usage:
	dig_usage(stderr);
	rc = 2;
out:
	free(d->arena_mem);
	free(d);
	return rc;
}
