/* dns_db.c - the zone database: zone files in, a read-only table of nodes
 * and RRsets out (see dns_db.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/file.h"
#include "dns/dns_db.h"
#include "dns/dns_text.h"
#include "dns/dns_zone.h"

#define CHUNK_SIZE (64 * 1024)
#define DNS_DB_MAX_FILE (512u * 1024 * 1024)

struct dns_db_chunk {
	struct dns_db_chunk *next;
	size_t used, cap;
	_Alignas(16) uint8_t data[];
};

struct dns_db_rec {
	struct dns_db_rec *next;
	uint32_t ttl;
	uint16_t rdlen;
	uint8_t rdata[];
};

/* ---- memory ---- */

static void *
zalloc(struct dns_dbzone *z, size_t n)
{
	struct dns_db_chunk *c = z->mem;

	n = (n + 15) & ~(size_t)15;
	if (c == NULL || c->cap - c->used < n) {
		size_t cap = n > CHUNK_SIZE / 4 ? n : CHUNK_SIZE;
		c = malloc(sizeof(*c) + cap);
		if (c == NULL)
			return NULL;
		c->cap = cap;
		c->used = 0;
		if (n > CHUNK_SIZE / 4 && z->mem) {
			/* a big one: keep the current chunk in front */
			c->next = z->mem->next;
			z->mem->next = c;
		} else {
			c->next = z->mem;
			z->mem = c;
		}
	}
	void *p = c->data + c->used;
	c->used += n;
	return p;
}

static void
zone_free(struct dns_dbzone *z)
{
	struct dns_db_chunk *c = z->mem, *next;

	for (; c; c = next) {
		next = c->next;
		free(c);
	}
	free(z->tab);
	free(z->order);
	free(z->file);
	free(z);
}

void
dns_dbzone_ref(struct dns_dbzone *z)
{
	z->refs++;
}

void
dns_dbzone_unref(struct dns_dbzone *z)
{
	if (z && --z->refs <= 0)
		zone_free(z);
}

/* ---- nodes ---- */

struct dns_node *
dns_dbzone_node(const struct dns_dbzone *z, const uint8_t *name)
{
	uint32_t h = dns_name_hash(name);

	for (struct dns_node *n = z->tab[h & z->tabmask]; n; n = n->hnext)
		if (n->hash == h && dns_name_equal(n->name, name))
			return n;
	return NULL;
}

static int
grow(struct dns_dbzone *z)
{
	size_t size = (z->tabmask + 1) * 2;
	struct dns_node **tab = calloc(size, sizeof(*tab));
	struct dns_node **order = realloc(z->order, size * sizeof(*order));

	if (tab == NULL || order == NULL) {
		free(tab);
		if (order)
			z->order = order;
		return -1;
	}
	z->order = order;
	for (size_t i = 0; i <= z->tabmask; i++) {
		struct dns_node *n = z->tab[i], *next;
		for (; n; n = next) {
			next = n->hnext;
			n->hnext = tab[n->hash & (size - 1)];
			tab[n->hash & (size - 1)] = n;
		}
	}
	free(z->tab);
	z->tab = tab;
	z->tabmask = size - 1;
	return 0;
}

/* The node of name (at or below the apex), created with its empty
 * non-terminal ancestors when missing. NULL when out of memory. */
static struct dns_node *
node_get(struct dns_dbzone *z, const uint8_t *name)
{
	struct dns_node *n = dns_dbzone_node(z, name);
	int len;

	if (n)
		return n;
	if (z->nnodes + 1 > z->tabmask + 1 && grow(z) < 0)
		return NULL;
	len = dns_name_len(name, DNS_NAME_MAX);
	n = zalloc(z, sizeof(*n) + (size_t)len);
	if (n == NULL)
		return NULL;
	memset(n, 0, sizeof(*n));
	memcpy((uint8_t *)(n + 1), name, (size_t)len);
	n->name = (const uint8_t *)(n + 1);
	n->name_len = (uint16_t)len;
	n->labels = (uint8_t)dns_name_labels(name);
	n->hash = dns_name_hash(name);
	n->hnext = z->tab[n->hash & z->tabmask];
	z->tab[n->hash & z->tabmask] = n;
	z->order[z->nnodes++] = n;
	if (n->labels > z->labels &&
	    node_get(z, dns_name_parent(name)) == NULL)
		return NULL;
	return n;
}

/* ---- loading ---- */

struct load {
	struct dns_dbzone *z;
	int have_origin;	/* z->origin is known */
	int have_soa;
	char *err;
	size_t errlen;
};

static int
reject(struct dns_zone *zp, const char *msg, const uint8_t *name)
{
	char txt[DNS_NAME_TEXT_MAX];

	if (name == NULL || dns_name_to_text(name, txt, sizeof(txt)) < 0)
		snprintf(zp->err, sizeof(zp->err), "%s", msg);
	else
		snprintf(zp->err, sizeof(zp->err), "%s: %s", msg, txt);
	return -1;
}

static int
on_rr(struct dns_zone *zp, void *arg, const struct dns_rr *rr,
    const char *file, unsigned line)
{
	struct load *ld = arg;
	struct dns_dbzone *z = ld->z;
	struct dns_node *n;
	struct dns_rrset *s;
	struct dns_db_rec *r;

	if (rr->rclass != DNS_C_IN)
		return reject(zp, "class is not IN", NULL);
	if (!ld->have_origin) {
		if (rr->type != DNS_T_SOA)
			return reject(zp, "the first record must be the SOA "
			    "(or name the zone: NAME=FILE)", NULL);
		memcpy(z->origin, rr->owner, rr->owner_len);
		z->origin_len = rr->owner_len;
		z->labels = dns_name_labels(z->origin);
		ld->have_origin = 1;
	}
	if (z->apex == NULL && (z->apex = node_get(z, z->origin)) == NULL)
		return reject(zp, "out of memory", NULL);
	if (!dns_name_is_sub(rr->owner, z->origin))
		return reject(zp, "record out of the zone", rr->owner);
	if (rr->type == DNS_T_SOA) {
		if (ld->have_soa)
			return reject(zp, "a second SOA record", rr->owner);
		if (!dns_name_equal(rr->owner, z->origin))
			return reject(zp, "SOA record not at the apex",
			    rr->owner);
		ld->have_soa = 1;
	}
	if ((n = node_get(z, rr->owner)) == NULL)
		return reject(zp, "out of memory", NULL);
	for (s = n->sets; s; s = s->next) {
		if (s->type == rr->type)
			break;
		if ((s->type == DNS_T_CNAME) != (rr->type == DNS_T_CNAME))
			return reject(zp, "CNAME and other data",
			    rr->owner);
	}
	if (s == NULL) {
		if ((s = zalloc(z, sizeof(*s))) == NULL)
			return reject(zp, "out of memory", NULL);
		memset(s, 0, sizeof(*s));
		s->type = rr->type;
		/* keep file order: append */
		struct dns_rrset **pp = &n->sets;
		while (*pp)
			pp = &(*pp)->next;
		*pp = s;
	} else {
		if (rr->type == DNS_T_CNAME || rr->type == DNS_T_SOA)
			return reject(zp, "more than one CNAME or SOA record", rr->owner);
		for (r = s->head; r; r = r->next)
			if (r->rdlen == rr->rdlen &&
			    memcmp(r->rdata, rr->rdata, rr->rdlen) == 0)
				return 0; /* a duplicate: dropped, as BIND does */
	}
	if (s->count == UINT16_MAX)
		return reject(zp, "too many records", rr->owner);
	if ((r = zalloc(z, sizeof(*r) + rr->rdlen)) == NULL)
		return reject(zp, "out of memory", NULL);
	r->next = NULL;
	r->ttl = rr->ttl;
	r->rdlen = rr->rdlen;
	memcpy(r->rdata, rr->rdata, rr->rdlen);
	if (s->tail)
		s->tail->next = r;
	else
		s->head = r;
	s->tail = r;
	s->count++;
	z->nrecords++;
	(void)file;
	(void)line;
	return 0;
}

/* Arrays of dns_rr, cuts, wildcards. */
static int
finish(struct dns_dbzone *z)
{
	for (size_t i = 0; i < z->nnodes; i++) {
		struct dns_node *n = z->order[i];
		for (struct dns_rrset *s = n->sets; s; s = s->next) {
			struct dns_db_rec *r = s->head;
			s->rr = zalloc(z, s->count * sizeof(*s->rr));
			if (s->rr == NULL)
				return -1;
			for (unsigned k = 0; k < s->count; k++, r = r->next) {
				struct dns_rr *o = &s->rr[k];
				o->owner = n->name;
				o->owner_len = n->name_len;
				o->type = s->type;
				o->rclass = DNS_C_IN;
				o->ttl = r->ttl;
				o->rdlen = r->rdlen;
				o->rdata = r->rdata;
			}
			s->head = s->tail = NULL;
		}
		if (n != z->apex && dns_node_rrset(n, DNS_T_NS))
			n->deleg = 1;
		if (n->name[0] == 1 && n->name[1] == '*' && n != z->apex) {
			struct dns_node *p =
			    dns_dbzone_node(z, dns_name_parent(n->name));
			if (p)
				p->wild_child = 1;
		}
	}
	for (size_t i = 0; i < z->nnodes; i++) {
		struct dns_node *n = z->order[i];
		const uint8_t *name = n->name;
		for (int l = n->labels; l > z->labels; l--) {
			struct dns_node *a = dns_dbzone_node(z, name);
			if (a && a->deleg)
				n->cut = a; /* keeps the topmost */
			name = dns_name_parent(name);
		}
	}
	z->soa = dns_node_rrset(z->apex, DNS_T_SOA);
	z->serial = dns_get32(z->soa->rr[0].rdata + z->soa->rr[0].rdlen - 20);
	return 0;
}

/* $INCLUDE: files relative to the including file's directory. */
struct incl {
	char *data;
	size_t len;
};

static int
incl_open(void *arg, const char *path, const char *from, const char **data,
    size_t *len, void **handle, char *err, size_t errlen)
{
	char full[DNS_ZONE_PATH_MAX + 2];
	char *buf;
	const char *slash = strrchr(from, '/');

	(void)arg;
	if (path[0] == '/' || slash == NULL)
		snprintf(full, sizeof(full), "%s", path);
	else
		snprintf(full, sizeof(full), "%.*s/%s", (int)(slash - from),
		    from, path);
	if (file_read_all(full, DNS_DB_MAX_FILE, &buf, len, NULL, err, errlen) < 0)
		return -1;
	*data = buf;
	*handle = buf;
	return 0;
}

static void
incl_close(void *arg, void *handle)
{
	(void)arg;
	free(handle);
}

static struct dns_dbzone *
zone_new(void)
{
	struct dns_dbzone *z = calloc(1, sizeof(*z));

	if (z == NULL)
		return NULL;
	z->tab = calloc(64, sizeof(*z->tab));
	z->order = calloc(64, sizeof(*z->order));
	if (z->tab == NULL || z->order == NULL) {
		zone_free(z);
		return NULL;
	}
	z->tabmask = 63;
	z->refs = 1;
	return z;
}

int
dns_dbzone_from_text(const char *file, const char *text, size_t len,
    const uint8_t *origin, struct dns_dbzone **out, char *err, size_t errlen)
{
	struct dns_zone *zp = malloc(sizeof(*zp));
	struct dns_dbzone *z = zone_new();
	struct load ld;

	if (zp == NULL || z == NULL) {
		snprintf(err, errlen, "%s: out of memory", file);
		goto fail;
	}
	memset(&ld, 0, sizeof(ld));
	ld.z = z;
	if (origin) {
		z->origin_len = dns_name_len(origin, DNS_NAME_MAX);
		memcpy(z->origin, origin, (size_t)z->origin_len);
		z->labels = dns_name_labels(origin);
		ld.have_origin = 1;
	}
	dns_zone_init(zp, origin, on_rr, &ld);
	zp->open = incl_open;
	zp->close = incl_close;
	if (dns_zone_parse(zp, file, text, len) != DNS_OK) {
		if (zp->err_line)
			snprintf(err, errlen, "%s:%u: %s",
			    zp->err_file ? zp->err_file : file, zp->err_line,
			    zp->err);
		else
			snprintf(err, errlen, "%s: %s",
			    zp->err_file ? zp->err_file : file, zp->err);
		goto fail;
	}
	if (!ld.have_soa) {
		snprintf(err, errlen, "%s:1: no SOA record", file);
		goto fail;
	}
	if (finish(z) < 0) {
		snprintf(err, errlen, "%s: out of memory", file);
		goto fail;
	}
	free(zp);
	*out = z;
	return 0;
fail:
	free(zp);
	if (z)
		zone_free(z);
	return -1;
}

int
dns_dbzone_load(const char *path, const uint8_t *origin,
    struct dns_dbzone **out, char *err, size_t errlen)
{
	struct stat st;
	char why[256];
	char *data;
	size_t len;

	if (file_read_all(path, DNS_DB_MAX_FILE, &data, &len, &st, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "%s: %s", path, why);
		return -1;
	}
	int rc = dns_dbzone_from_text(path, data, len, origin, out, err,
	    errlen);
	free(data);
	if (rc == 0) {
		(*out)->file = strdup(path);
		(*out)->mtime = st.st_mtim;
		(*out)->size = st.st_size;
		if ((*out)->file == NULL) {
			dns_dbzone_unref(*out);
			snprintf(err, errlen, "%s: out of memory", path);
			return -1;
		}
	}
	return rc;
}

/* ---- the set of zones ---- */

int
dns_db_add(struct dns_db *db, struct dns_dbzone *z)
{
	if (db->n == DNS_DB_MAX_ZONES)
		return -1;
	for (int i = 0; i < db->n; i++)
		if (dns_name_equal(db->zones[i]->origin, z->origin))
			return -1;
	db->zones[db->n++] = z;
	return 0;
}

struct dns_dbzone *
dns_db_find(const struct dns_db *db, const uint8_t *name)
{
	struct dns_dbzone *best = NULL;

	for (int i = 0; i < db->n; i++) {
		struct dns_dbzone *z = db->zones[i];
		if ((best == NULL || z->labels > best->labels) &&
		    dns_name_is_sub(name, z->origin))
			best = z;
	}
	return best;
}

void
dns_db_clear(struct dns_db *db)
{
	for (int i = 0; i < db->n; i++)
		dns_dbzone_unref(db->zones[i]);
	db->n = 0;
}
