/* dns_db.h - the zone database of the authoritative server: names -> RRsets,
 * built once from zone files (dns_zone) and then only read.
 *
 * A zone is one block of memory chunks: a hash table of nodes (one per owner
 * name, plus the empty non-terminals between a name and the apex), each with
 * its RRsets as arrays of struct dns_rr ready for the builder. Zone cuts and
 * wildcards are resolved at load time: every node knows the delegation at or
 * above it (node->cut) and whether a "*" child exists (node->wild_child), so
 * a lookup is one hash probe for an existing name and a few for a missing one.
 *
 * Zones are reference counted so that a zone transfer in flight keeps the
 * data it started with while a reload (SIGHUP) swaps in a new version.
 * Nothing here is thread-safe: each worker process has its own copy.
 */
#ifndef CAMADA_DNS_DB_H
#define CAMADA_DNS_DB_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "dns/dns_rr.h"
#include "dns/dns_wire.h"

#define DNS_DB_MAX_ZONES 64
#define DNS_DB_ERR_MAX 512

struct dns_db_rec;

struct dns_rrset {
	struct dns_rrset *next;		/* the node's next RRset */
	uint16_t type;
	uint16_t count;
	uint32_t rot;			/* round-robin position (per process) */
	struct dns_rr *rr;		/* count records; owner = the node's */
	/* load time only */
	struct dns_db_rec *head, *tail;
};

struct dns_node {
	struct dns_node *hnext;		/* hash chain */
	const uint8_t *name;		/* as first written in the zone file */
	uint16_t name_len;
	uint8_t labels;
	uint8_t deleg : 1;		/* has NS and is not the apex */
	uint8_t wild_child : 1;		/* "*.<this name>" exists */
	uint32_t hash;
	struct dns_rrset *sets;		/* NULL: an empty non-terminal */
	struct dns_node *cut;		/* topmost delegation at or above this
					 * node (glue lives below it), or NULL */
};

struct dns_db_chunk;

struct dns_dbzone {
	uint8_t origin[DNS_NAME_MAX];
	int origin_len;
	int labels;
	struct dns_node *apex;
	const struct dns_rrset *soa;
	uint32_t serial;
	struct dns_node **tab;		/* hash table, tabmask + 1 slots */
	size_t tabmask;
	size_t nnodes;
	struct dns_node **order;	/* every node, apex first, in file order */
	size_t nrecords;
	int refs;
	char *file;			/* where it came from (for reloads) */
	struct timespec mtime;		/* of the file when loaded */
	off_t size;
	struct dns_db_chunk *mem;
};

/* The zones one server instance answers for. */
struct dns_db {
	struct dns_dbzone *zones[DNS_DB_MAX_ZONES];
	int n;
};

/* Reads a zone from text[0..len). file names it in messages. origin (a wire
 * name, or NULL) is the zone's name when known; without it the first record
 * must be the SOA and its owner is the apex. Checks: one SOA, at the apex;
 * every record in the zone and of class IN; no CNAME beside other data.
 * Returns 0 with *out (refs = 1), or -1 with err = "FILE:LINE: message". */
int dns_dbzone_from_text(const char *file, const char *text, size_t len,
    const uint8_t *origin, struct dns_dbzone **out, char *err, size_t errlen);

/* The same from a file ($INCLUDE paths are relative to the including file). */
int dns_dbzone_load(const char *path, const uint8_t *origin,
    struct dns_dbzone **out, char *err, size_t errlen);

void dns_dbzone_ref(struct dns_dbzone *z);
void dns_dbzone_unref(struct dns_dbzone *z);

/* The node of exactly this name, or NULL. */
struct dns_node *dns_dbzone_node(const struct dns_dbzone *z,
    const uint8_t *name);

/* The RRset of this type at n, or NULL. */
static inline struct dns_rrset *
dns_node_rrset(const struct dns_node *n, uint16_t type)
{
	for (struct dns_rrset *s = n->sets; s; s = s->next)
		if (s->type == type)
			return s;
	return NULL;
}

/* Adds z to db (the db takes the reference). 0, or -1 when db is full or
 * already serves that zone. */
int dns_db_add(struct dns_db *db, struct dns_dbzone *z);
/* The zone that name falls in (the longest origin that name is at or
 * below), or NULL. */
struct dns_dbzone *dns_db_find(const struct dns_db *db, const uint8_t *name);
/* Drops every zone. */
void dns_db_clear(struct dns_db *db);

#endif
