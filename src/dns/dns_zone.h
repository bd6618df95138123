/* dns_zone.h - a master (zone) file reader: RFC 1035 §5 as BIND and NSD read
 * it, over a whole buffer. It does no I/O: $INCLUDE goes through a callback
 * that the caller provides, records come out through another.
 *
 * Supported: $ORIGIN, $TTL, $INCLUDE file [origin] (nested up to
 * DNS_ZONE_MAX_DEPTH), "@", relative names, an omitted owner (the previous
 * one), omitted TTL and class, TTL and class in either order, TTL units
 * (1h30m, 1w, 2d), parentheses across lines, ';' comments, quoted strings
 * with escapes, "\# len hex" rdata, TYPEnnn and CLASSnnn. Not supported:
 * $GENERATE and other BIND extensions (an error), and text forms of the
 * types we carry opaquely (DNSKEY, RRSIG, NSEC...: use "\#"). Limits:
 * DNS_ZONE_MAX_TOKENS fields per record (a TXT of more strings, or "\#"
 * hex in more words, is refused), DNS_ZONE_MAX_INCLUDES files per parse.
 *
 * TTL of a record without one, in order: the $TTL in force; else the last
 * TTL given explicitly or, if more recent, the minimum of the SOA read last
 * (BIND's rule; an SOA without TTL and no $TTL takes its own minimum); else
 * the error "no TTL specified".
 *
 * An included file starts with the includer's origin (or the one given) and
 * current owner; its $ORIGIN and owner do not come back, its $TTL does.
 *
 * This is a syntax reader: that the SOA is first and at the origin, that
 * records are inside the zone, CNAME-and-other-data and the like are for the
 * caller to check on the records it gets.
 */
#ifndef CAMADA_DNS_ZONE_H
#define CAMADA_DNS_ZONE_H

#include <stddef.h>
#include <stdint.h>

#include "dns/dns_rr.h"
#include "dns/dns_text.h"
#include "dns/dns_wire.h"

#define DNS_ZONE_MAX_DEPTH 8		/* $INCLUDE nesting */
#define DNS_ZONE_MAX_INCLUDES 256	/* $INCLUDEs per dns_zone_parse: a file
					 * that includes itself k times would
					 * otherwise cost k^8 parses */
#define DNS_ZONE_MAX_TOKENS 1024	/* fields in one record */
#define DNS_ZONE_PATH_MAX 1024
#define DNS_ZONE_ERR_MAX 256

struct dns_zone;

/* Called for each record. rr's owner and rdata are valid during the call
 * only. file and line are where the record starts. Return 0 to go on;
 * anything else stops the parse with an error at that line (the callback
 * may write its own message into z->err first, else it reads "record
 * rejected"). */
typedef int dns_zone_rr_fn(struct dns_zone *z, void *arg,
    const struct dns_rr *rr, const char *file, unsigned line);

/* Opens the file of an $INCLUDE: path as written in the zone file, from is
 * the name of the including file (to resolve relative paths). On success
 * sets *data, *len and *handle and returns 0; the bytes must stay valid until
 * the close callback gets handle. On failure returns nonzero and may write a
 * reason into err[0..errlen). */
typedef int dns_zone_open_fn(void *arg, const char *path, const char *from,
    const char **data, size_t *len, void **handle, char *err, size_t errlen);
typedef void dns_zone_close_fn(void *arg, void *handle);

/* The parser. About 100 KiB: allocate it statically or on the heap. */
struct dns_zone {
	/* set by dns_zone_init; the caller may change them before parsing */
	uint8_t origin[DNS_NAME_MAX];	/* initial $ORIGIN */
	int origin_len;			/* 0: none (relative names fail) */
	uint16_t rclass;		/* the zone's class, default IN */
	int have_ttl;			/* default TTL before any $TTL */
	uint32_t ttl;
	dns_zone_rr_fn *on_rr;
	dns_zone_open_fn *open;		/* NULL: $INCLUDE is an error */
	dns_zone_close_fn *close;
	void *arg;

	/* results */
	unsigned long nrecords;		/* records passed to on_rr */
	char err[DNS_ZONE_ERR_MAX];	/* on error: the message */
	const char *err_file;		/* ... the file (points into z or at
					 * the caller's file name) */
	unsigned err_line;		/* ... and line, from 1 (0: none) */

	/* private */
	int depth;
	int nincludes;
	int have_dttl;			/* $TTL in force */
	uint32_t dttl;
	int have_last_ttl;		/* last explicit TTL or SOA minimum */
	uint32_t last_ttl;
	struct dns_token tok[DNS_ZONE_MAX_TOKENS];
	uint8_t rdata[65535];
	char paths[DNS_ZONE_MAX_DEPTH][DNS_ZONE_PATH_MAX];
};

/* Sets the defaults: origin (a wire name, or NULL), class IN, no default
 * TTL, no $INCLUDE. */
void dns_zone_init(struct dns_zone *z, const uint8_t *origin,
    dns_zone_rr_fn *on_rr, void *arg);

/* Reads the zone text data[0..len); file names it in errors and for the
 * open callback. Returns DNS_OK when every record was read and accepted, or
 * DNS_ERR with z->err, z->err_file and z->err_line set, so that the caller
 * can print "FILE:LINE: message". Records before the error were already
 * passed to on_rr. May be called again on the same struct for another
 * file; $TTL and the origin then start from z's fields again. */
int dns_zone_parse(struct dns_zone *z, const char *file, const char *data,
    size_t len);

#endif
