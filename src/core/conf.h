/* conf.h - the configuration file: INI-style, global keys first, then one
 * section per system ("[echo]", "[http]", ...), `key = value`, `#` comments.
 * A section may repeat: each is one instance of that system.
 *
 * conf_parse is a pure function over bytes (fuzzed); conf_apply checks a
 * section against a system's key table and fills its config struct. Every
 * error is one line "FILE:LINE: message", and the command line maps onto the
 * same tables (cli.h) so that every flag has a key of the same name.
 *
 * Paths (CONF_PATH, CONF_PATHS): a relative path read from a file is taken
 * from that file's folder, not from the current directory. conf_apply joins
 * it once, as it applies the section, so the rest of camada sees a path that
 * works from the current directory ("etc/camada.conf" saying "zones/a.zone"
 * gives "etc/zones/a.zone"). A path from the command line (line 0) or a
 * default is taken as it is, from the current directory. The words stderr,
 * stdout, off and - are not paths and stay as they are.
 */
#ifndef CAMADA_CONF_H
#define CAMADA_CONF_H

#include <stddef.h>
#include <stdint.h>

#include "core/sock.h"

#define CONF_ERR_LEN 512
#define CONF_MAX_FILE (1024 * 1024)
#define CONF_MAX_LINE 4096
#define CONF_MAX_SECTIONS 256
#define CONF_MAX_KEYS 1024

struct conf_kv {
	char *key;
	char *value;
	int line;    /* 0 for the command line */
	int used;
};

struct conf_section {
	char *name;  /* "" for the global keys */
	int line;
	struct conf_kv *kv;
	size_t n, cap;
};

struct conf {
	char *file;  /* as named in messages */
	struct conf_section *sec;
	size_t n, cap;
};

/* Parses a whole file's bytes. 0, or -1 with err = "FILE:LINE: message".
 * out->sec[0] is always the global section. */
int conf_parse(const char *file, const uint8_t *p, size_t n, struct conf *out,
    char *err);
int conf_load(const char *path, struct conf *out, char *err);
void conf_init(struct conf *c, const char *file);
void conf_free(struct conf *c);
struct conf_section *conf_add_section(struct conf *c, const char *name,
    int line);
int conf_add_kv(struct conf_section *s, const char *key, const char *value,
    int line);

/* Typed keys, described by a table per system. */
enum conf_type {
	CONF_STR,     /* char * (strdup'ed; freed by conf_release) */
	CONF_INT,     /* long, within [min, max] */
	CONF_BOOL,    /* int: on/off, yes/no, true/false, 1/0 */
	CONF_SIZE,    /* size_t: 123, 64k, 8m, 1g */
	CONF_MS,      /* uint64_t milliseconds: 500ms, 30s, 5m, 1h; bare = s */
	CONF_ADDRS,   /* struct conf_addrs: ADDR:PORT, may repeat */
	CONF_STRS,    /* struct conf_strs: may repeat */
	CONF_WORKERS, /* int: auto (0) or N */
	CONF_PATH,    /* char *: a file or folder, as CONF_STR (see Paths) */
	CONF_PATHS,   /* struct conf_strs: PATH, NAME=PATH or NAME PATH...
	               * (the label ends at the first '=' or blank before any
	               * '/'; after "NAME " each blank-separated word is a
	               * path: "NAME ROOT CERT KEY"); may repeat */
};

#define CONF_ADDRS_MAX 8
struct conf_addrs {
	struct sock_addr a[CONF_ADDRS_MAX];
	int line[CONF_ADDRS_MAX]; /* where each came from (0: a default or
	                           * the command line), for messages such as
	                           * a port in use */
	int n;
};

#define CONF_STRS_MAX 64
struct conf_strs {
	char *v[CONF_STRS_MAX];
	int n;
};

struct conf_key {
	const char *name;
	enum conf_type type;
	size_t offset;    /* into the system's config struct */
	const char *def;  /* default, as text (NULL: zero) */
	long min, max;    /* for CONF_INT */
	const char *help; /* one line for --help and docs */
	char flag;        /* a short flag ('l' for -l), or 0 */
};

/* Fills obj from defaults then from the section. Unknown keys, bad values and
 * repeats of single-valued keys are errors "FILE:LINE: ..." (or "--key: ..."
 * on the command line). file is the path the section's lines (line > 0) were
 * read from: their relative paths are joined onto its folder. */
int conf_apply(const struct conf_key *keys, struct conf_section *sec, void *obj,
    const char *file, char *err);
/* Frees the strings conf_apply allocated in obj. */
void conf_release(const struct conf_key *keys, void *obj);
const struct conf_key *conf_key_find(const struct conf_key *keys,
    const char *name);

/* The path rel as seen from the folder of file: "etc/camada.conf" and
 * "zones/a.zone" give "etc/zones/a.zone", "../www" gives "etc/../www" (the
 * kernel's meaning of "..", as a chdir to the folder would have it). An
 * absolute or empty rel, or a file with no folder, gives rel itself. Returns
 * a new string that the caller frees, or NULL (out of memory). */
char *conf_path_join(const char *file, const char *rel)
	__attribute__((warn_unused_result));

/* Value parsers, also used by the command line. 0 or -1. */
int conf_parse_size(const char *s, size_t *out);
int conf_parse_ms(const char *s, uint64_t *out);
int conf_parse_bool(const char *s, int *out);

#endif
