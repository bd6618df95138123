/* dns_stub.c - see dns_stub.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dns/dns_query.h"
#include "dns/dns_rr.h"
#include "dns/dns_stub.h"
#include "dns/dns_text.h"
#include "dns/dns_wire.h"

#define STUB_TRIES 3

static int
wait_in(int fd, int ms)
{
	struct pollfd p = { fd, POLLIN, 0 };
	int r;

	do
		r = poll(&p, 1, ms);
	while (r < 0 && errno == EINTR);
	return r;
}

/* One exchange over UDP (retried) or TCP. Returns the reply length or -1. */
static ssize_t
exchange(const struct sock_addr *server, const uint8_t *q, size_t qn,
    uint16_t id, const uint8_t *qname, uint16_t qtype, int tcp, uint8_t *resp,
    size_t cap, int timeout_ms)
{
	int fd = socket(server->ss.ss_family,
	    (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
	ssize_t n = -1;

	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)&server->ss, server->len) < 0)
		goto out;
	if (tcp) {
		uint8_t frame[2 + 512];
		size_t got = 0, want = 0;
		if (qn > 512)
			goto out;
		frame[0] = (uint8_t)(qn >> 8);
		frame[1] = (uint8_t)qn;
		memcpy(frame + 2, q, qn);
		if (send(fd, frame, qn + 2, MSG_NOSIGNAL) != (ssize_t)(qn + 2))
			goto out;
		uint8_t len[2];
		while (got < 2) {
			if (wait_in(fd, timeout_ms) <= 0)
				goto out;
			ssize_t r = recv(fd, len + got, 2 - got, 0);
			if (r <= 0)
				goto out;
			got += (size_t)r;
		}
		want = (size_t)len[0] << 8 | len[1];
		if (want > cap)
			goto out;
		got = 0;
		while (got < want) {
			if (wait_in(fd, timeout_ms) <= 0)
				goto out;
			ssize_t r = recv(fd, resp + got, want - got, 0);
			if (r <= 0)
				goto out;
			got += (size_t)r;
		}
		/* the same checks as over UDP: this answers our question */
		if (dns_query_matches(resp, want, id, qname, qtype, DNS_C_IN))
			n = (ssize_t)want;
		goto out;
	}
	for (int i = 0; i < STUB_TRIES && n < 0; i++) {
		if (send(fd, q, qn, 0) < 0 && errno != ECONNREFUSED)
			break;
		while (wait_in(fd, timeout_ms) > 0) {
			ssize_t r = recv(fd, resp, cap, 0);
			if (r < 0)
				break;
			/* connect() filters the source; check the rest */
			if (dns_query_matches(resp, (size_t)r, id, qname, qtype,
			    DNS_C_IN)) {
				n = r;
				break;
			}
		}
	}
out:
	close(fd);
	return n;
}

/* Asks for one type and appends the addresses found. 0 or -1. */
static int
ask(const struct sock_addr *server, const uint8_t *qname, uint16_t qtype,
    int port, struct sock_addr *out, int max, int *nout, int timeout_ms,
    char *err, size_t errlen)
{
	static uint8_t arena_mem[64 * 1024];
	uint8_t q[512], resp[DNS_MSG_MAX];
	struct dns_arena arena;
	struct dns_msg m;
	uint16_t id = dns_random16();
	int qn = dns_query_build(q, sizeof(q), id, qname, qtype, DNS_C_IN, 1,
	    1232);
	ssize_t n;

	if (qn < 0) {
		snprintf(err, errlen, "cannot build the query");
		return -1;
	}
	n = exchange(server, q, (size_t)qn, id, qname, qtype, 0, resp,
	    sizeof(resp), timeout_ms);
	if (n >= 2 + DNS_HDR_LEN && (dns_get16(resp + 2) & DNS_FLAG_TC))
		n = exchange(server, q, (size_t)qn, id, qname, qtype, 1, resp,
		    sizeof(resp), timeout_ms);
	if (n < 0) {
		snprintf(err, errlen, "no answer from the resolver");
		return -1;
	}
	dns_arena_init(&arena, arena_mem, sizeof(arena_mem));
	if (dns_msg_parse(resp, (size_t)n, &m, &arena) < 0) {
		snprintf(err, errlen, "bad answer from the resolver");
		return -1;
	}
	if (m.rcode == DNS_RCODE_NXDOMAIN)
		return 0;
	if (m.rcode != DNS_RCODE_NOERROR) {
		char rc[32];
		dns_rcode_to_text(m.rcode, rc, sizeof(rc));
		snprintf(err, errlen, "the resolver answered %s", rc);
		return -1;
	}
	/* follow the chain: the name asked, then each CNAME target */
	uint8_t target[DNS_NAME_MAX];
	memcpy(target, qname, (size_t)dns_name_len(qname, DNS_NAME_MAX));
	for (int hop = 0; hop < 16; hop++) {
		int moved = 0;
		for (int i = 0; i < m.count[DNS_SEC_ANSWER]; i++) {
			const struct dns_rr *rr = &m.rr[DNS_SEC_ANSWER][i];
			if (!dns_name_equal(rr->owner, target))
				continue;
			if (rr->type == DNS_T_CNAME && !moved) {
				int l = dns_name_len(rr->rdata, rr->rdlen);
				if (l > 0) {
					memcpy(target, rr->rdata, (size_t)l);
					moved = 1;
				}
			} else if (rr->type == qtype && *nout < max) {
				struct sock_addr *a = &out[*nout];
				memset(a, 0, sizeof(*a));
				if (qtype == DNS_T_A && rr->rdlen == 4) {
					struct sockaddr_in *s = (struct sockaddr_in *)&a->ss;
					s->sin_family = AF_INET;
					memcpy(&s->sin_addr, rr->rdata, 4);
					a->len = sizeof(*s);
				} else if (qtype == DNS_T_AAAA && rr->rdlen == 16) {
					struct sockaddr_in6 *s =
					    (struct sockaddr_in6 *)&a->ss;
					s->sin6_family = AF_INET6;
					memcpy(&s->sin6_addr, rr->rdata, 16);
					a->len = sizeof(*s);
				} else {
					continue;
				}
				sock_addr_set_port(a, port);
				(*nout)++;
			}
		}
		if (!moved)
			break;
	}
	return 0;
}

int
dns_stub_lookup(const struct sock_addr *server, const char *name, int port,
    struct sock_addr *out, int max, int timeout_ms, char *err, size_t errlen)
{
	uint8_t qname[DNS_NAME_MAX];
	const char *why = NULL;
	int n = 0;

	if (dns_name_from_text(name, strlen(name), (const uint8_t *)"", qname,
	    &why) < 0) {
		snprintf(err, errlen, "bad host name '%s'%s%s", name,
		    why ? ": " : "", why ? why : "");
		return -1;
	}
	if (ask(server, qname, DNS_T_A, port, out, max, &n, timeout_ms, err,
	    errlen) < 0)
		return -1;
	if (ask(server, qname, DNS_T_AAAA, port, out, max, &n, timeout_ms,
	    err, errlen) < 0 && n == 0)
		return -1;
	return n;
}
