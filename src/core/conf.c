/* conf.c - see conf.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/conf.h"
#include "core/file.h"

static void __attribute__((format(printf, 4, 5)))
conf_err(char *err, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (line > 0)
		k = snprintf(err, CONF_ERR_LEN, "%s:%d: ", file, line);
	else
		k = snprintf(err, CONF_ERR_LEN, "%s", "");
	if (k < 0 || k >= CONF_ERR_LEN)
		return;
	va_start(ap, fmt);
	vsnprintf(err + k, CONF_ERR_LEN - (size_t)k, fmt, ap);
	va_end(ap);
}

void
conf_init(struct conf *c, const char *file)
{
	memset(c, 0, sizeof(*c));
	c->file = strdup(file ? file : "-");
}

void
conf_free(struct conf *c)
{
	for (size_t i = 0; i < c->n; i++) {
		struct conf_section *s = &c->sec[i];
		for (size_t j = 0; j < s->n; j++) {
			free(s->kv[j].key);
			free(s->kv[j].value);
		}
		free(s->kv);
		free(s->name);
	}
	free(c->sec);
	free(c->file);
	memset(c, 0, sizeof(*c));
}

struct conf_section *
conf_add_section(struct conf *c, const char *name, int line)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 8;
		struct conf_section *s = realloc(c->sec, cap * sizeof(*s));
		if (s == NULL)
			return NULL;
		c->sec = s;
		c->cap = cap;
	}
	struct conf_section *s = &c->sec[c->n];
	memset(s, 0, sizeof(*s));
	s->name = strdup(name);
	if (s->name == NULL)
		return NULL;
	s->line = line;
	c->n++;
	return s;
}

int
conf_add_kv(struct conf_section *s, const char *key, const char *value,
    int line)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		struct conf_kv *kv = realloc(s->kv, cap * sizeof(*kv));
		if (kv == NULL)
			return -1;
		s->kv = kv;
		s->cap = cap;
	}
	struct conf_kv *kv = &s->kv[s->n];
	kv->key = strdup(key);
	kv->value = strdup(value);
	kv->line = line;
	kv->used = 0;
	if (kv->key == NULL || kv->value == NULL) {
		free(kv->key);
		free(kv->value);
		return -1;
	}
	s->n++;
	return 0;
}

static int
is_name_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

static int
is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

int
conf_parse(const char *file, const uint8_t *p, size_t n, struct conf *out,
    char *err)
{
	const uint8_t *end = p + n;
	struct conf_section *cur;
	char key[128], value[CONF_MAX_LINE];
	size_t keys = 0;
	int line = 0;

	conf_init(out, file);
	if (out->file == NULL || (cur = conf_add_section(out, "", 0)) == NULL) {
		conf_err(err, file, 0, "out of memory");
		return -1;
	}
	if (n > CONF_MAX_FILE) {
		conf_err(err, file, 1, "file larger than %d bytes", CONF_MAX_FILE);
		return -1;
	}
	while (p < end) {
		const uint8_t *eol = memchr(p, '\n', (size_t)(end - p));
		const uint8_t *ls = p, *le = eol ? eol : end;
		p = eol ? eol + 1 : end;
		line++;
		if ((size_t)(le - ls) >= CONF_MAX_LINE) {
			conf_err(err, file, line, "line longer than %d bytes",
			    CONF_MAX_LINE);
			return -1;
		}
		for (const uint8_t *q = ls; q < le; q++) {
			if (*q == 0 || (*q < 0x20 && *q != '\t' && *q != '\r')) {
				conf_err(err, file, line, "control character in line");
				return -1;
			}
		}
		/* comments: '#' at the start or after a blank */
		for (const uint8_t *q = ls; q < le; q++) {
			if (*q == '#' && (q == ls || is_space(q[-1]))) {
				le = q;
				break;
			}
		}
		while (ls < le && is_space(*ls))
			ls++;
		while (le > ls && is_space(le[-1]))
			le--;
		if (ls == le)
			continue;
		if (*ls == '[') {
			const uint8_t *q = ls + 1;
			size_t k = 0;
			while (q < le && is_name_char(*q) && k + 1 < sizeof(key))
				key[k++] = (char)*q++;
			key[k] = '\0';
			if (q >= le || *q != ']' || q + 1 != le || k == 0) {
				conf_err(err, file, line,
				    "bad section header (expected [name])");
				return -1;
			}
			if (out->n >= CONF_MAX_SECTIONS) {
				conf_err(err, file, line, "too many sections");
				return -1;
			}
			cur = conf_add_section(out, key, line);
			if (cur == NULL) {
				conf_err(err, file, line, "out of memory");
				return -1;
			}
			continue;
		}
		const uint8_t *eq = memchr(ls, '=', (size_t)(le - ls));
		if (eq == NULL) {
			conf_err(err, file, line, "expected 'key = value'");
			return -1;
		}
		const uint8_t *ke = eq;
		while (ke > ls && is_space(ke[-1]))
			ke--;
		if (ke == ls) {
			conf_err(err, file, line, "missing key before '='");
			return -1;
		}
		if ((size_t)(ke - ls) >= sizeof(key)) {
			conf_err(err, file, line, "key too long");
			return -1;
		}
		for (const uint8_t *q = ls; q < ke; q++) {
			if (!is_name_char(*q)) {
				conf_err(err, file, line,
				    "bad character in key (letters, digits, '-', '_', '.')");
				return -1;
			}
		}
		memcpy(key, ls, (size_t)(ke - ls));
		key[ke - ls] = '\0';
		const uint8_t *vs = eq + 1;
		while (vs < le && is_space(*vs))
			vs++;
		size_t vl = (size_t)(le - vs);
		/* "quoted values" keep their blanks */
		if (vl >= 2 && vs[0] == '"' && vs[vl - 1] == '"') {
			vs++;
			vl -= 2;
		}
		memcpy(value, vs, vl);
		value[vl] = '\0';
		if (++keys > CONF_MAX_KEYS) {
			conf_err(err, file, line, "too many keys");
			return -1;
		}
		if (conf_add_kv(cur, key, value, line) < 0) {
			conf_err(err, file, line, "out of memory");
			return -1;
		}
	}
	return 0;
}

int
conf_load(const char *path, struct conf *out, char *err)
{
	char why[128];
	char *data;
	size_t len;
	int rc;

	if (file_read_all(path, CONF_MAX_FILE, &data, &len, NULL, why,
	    sizeof(why)) < 0) {
		snprintf(err, CONF_ERR_LEN, "%s: %s", path, why);
		conf_init(out, path);
		return -1;
	}
	rc = conf_parse(path, (const uint8_t *)data, len, out, err);
	free(data);
	return rc;
}

int
conf_parse_bool(const char *s, int *out)
{
	static const char *const yes[] = { "on", "yes", "true", "1" };
	static const char *const no[] = { "off", "no", "false", "0" };

	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

/* A decimal number and what follows it. */
static int
parse_num(const char *s, unsigned long long *v, const char **unit)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	*unit = end;
	return 0;
}

int
conf_parse_size(const char *s, size_t *out)
{
	unsigned long long v, mul = 1;
	const char *u;

	if (parse_num(s, &v, &u) < 0)
		return -1;
	if (*u == '\0' || strcasecmp(u, "b") == 0)
		mul = 1;
	else if (strcasecmp(u, "k") == 0 || strcasecmp(u, "kb") == 0 ||
	    strcasecmp(u, "kib") == 0)
		mul = 1024ull;
	else if (strcasecmp(u, "m") == 0 || strcasecmp(u, "mb") == 0 ||
	    strcasecmp(u, "mib") == 0)
		mul = 1024ull * 1024;
	else if (strcasecmp(u, "g") == 0 || strcasecmp(u, "gb") == 0 ||
	    strcasecmp(u, "gib") == 0)
		mul = 1024ull * 1024 * 1024;
	else
		return -1;
	if (v > (unsigned long long)SIZE_MAX / mul)
		return -1;
	*out = (size_t)(v * mul);
	return 0;
}

int
conf_parse_ms(const char *s, uint64_t *out)
{
	unsigned long long v, mul;
	const char *u;

	if (parse_num(s, &v, &u) < 0)
		return -1;
	if (*u == '\0' || strcmp(u, "s") == 0)
		mul = 1000;
	else if (strcmp(u, "ms") == 0)
		mul = 1;
	else if (strcmp(u, "m") == 0 || strcmp(u, "min") == 0)
		mul = 60000;
	else if (strcmp(u, "h") == 0)
		mul = 3600000;
	else if (strcmp(u, "d") == 0)
		mul = 86400000;
	else
		return -1;
	if (v > UINT64_MAX / mul / 2)
		return -1;
	*out = v * mul;
	return 0;
}

const struct conf_key *
conf_key_find(const struct conf_key *keys, const char *name)
{
	for (; keys && keys->name; keys++)
		if (strcmp(keys->name, name) == 0)
			return keys;
	return NULL;
}

char *
conf_path_join(const char *file, const char *rel)
{
	const char *slash = file ? strrchr(file, '/') : NULL;
	size_t dl, rl = strlen(rel);
	char *out;

	if (slash == NULL || rel[0] == '/' || rel[0] == '\0')
		return strdup(rel);
	dl = (size_t)(slash - file) + 1; /* the folder with its '/' */
	if ((out = malloc(dl + rl + 1)) == NULL)
		return NULL;
	memcpy(out, file, dl);
	memcpy(out + dl, rel, rl + 1);
	return out;
}

/* Words that name no file where a path is expected (log destinations). */
static int
is_path_word(const char *v)
{
	return strcmp(v, "stderr") == 0 || strcmp(v, "stdout") == 0 ||
	    strcmp(v, "off") == 0 || strcmp(v, "-") == 0;
}

/* Where the label of a CONF_PATHS value ends: after "NAME=" or "NAME "
 * (and its blanks) when that comes before any '/'; 0 when it has none. */
static size_t
path_label_len(const char *v)
{
	size_t i = strcspn(v, "=/ \t");

	if (v[i] == '=')
		return i + 1;
	if (v[i] == ' ' || v[i] == '\t')
		return i + strspn(v + i, " \t");
	return 0;
}

/* Appends p[0..n) to the string *out (length *len), growing it. 0 or -1. */
static int
str_cat(char **out, size_t *len, const char *p, size_t n)
{
	char *d = realloc(*out, *len + n + 1);

	if (d == NULL)
		return -1;
	memcpy(d + *len, p, n);
	*len += n;
	d[*len] = '\0';
	*out = d;
	return 0;
}

/* v as a path: joined onto file's folder when file is not NULL (the value
 * came from that file). After a "NAME " label every blank-separated word
 * is a path of its own ("NAME ROOT CERT KEY"), each joined, the blanks
 * kept; after "NAME=" or with no label the rest is one path (a zone file
 * may have a blank in its name). A new string, or NULL (out of memory). */
static char *
path_value(const char *file, const char *v, int labelled)
{
	size_t l = labelled ? path_label_len(v) : 0, len = 0;
	int words = l > 0 && v[l - 1] != '=';
	char *out = NULL;
	const char *q;

	if (file == NULL || is_path_word(v + l))
		return strdup(v);
	if (str_cat(&out, &len, v, l) < 0)
		return NULL;
	for (q = v + l; *q; ) {
		size_t wl = words ? strcspn(q, " \t") : strlen(q), bl;
		char *w = strndup(q, wl), *p = NULL;

		if (w != NULL)
			p = is_path_word(w) ? strdup(w) : conf_path_join(file, w);
		free(w);
		if (p == NULL || str_cat(&out, &len, p, strlen(p)) < 0) {
			free(p);
			free(out);
			return NULL;
		}
		free(p);
		q += wl;
		bl = strspn(q, " \t");
		if (str_cat(&out, &len, q, bl) < 0) {
			free(out);
			return NULL;
		}
		q += bl;
	}
	return out;
}

/* Sets k in obj from the text v. file: where v was read (its relative paths
 * are joined onto its folder), or NULL for a default or the command line. */
static int
set_value(const struct conf_key *k, void *obj, const char *v,
    const char *file, char *why, size_t whylen)
{
	char *field = (char *)obj + k->offset;
	char serr[SOCK_ERR_LEN];

	switch (k->type) {
	case CONF_PATH: {
		char *d = path_value(file, v, 0);
		if (d == NULL) {
			snprintf(why, whylen, "out of memory");
			return -1;
		}
		free(*(char **)field);
		*(char **)field = d;
		return 0;
	}
	case CONF_PATHS: {
		struct conf_strs *ss = (struct conf_strs *)field;
		if (ss->n == CONF_STRS_MAX) {
			snprintf(why, whylen, "at most %d values",
			    CONF_STRS_MAX);
			return -1;
		}
		if ((ss->v[ss->n] = path_value(file, v, 1)) == NULL) {
			snprintf(why, whylen, "out of memory");
			return -1;
		}
		ss->n++;
		return 0;
	}
	case CONF_STR: {
		char *d = strdup(v);
		if (d == NULL)
			return -1;
		free(*(char **)field);
		*(char **)field = d;
		return 0;
	}
	case CONF_INT: {
		char *end;
		long x;
		errno = 0;
		x = strtol(v, &end, 10);
		if (errno || end == v || *end || x < k->min || x > k->max) {
			snprintf(why, whylen, "expected a number from %ld to %ld",
			    k->min, k->max);
			return -1;
		}
		*(long *)field = x;
		return 0;
	}
	case CONF_BOOL:
		if (conf_parse_bool(v, (int *)field) < 0) {
			snprintf(why, whylen, "expected on or off");
			return -1;
		}
		return 0;
	case CONF_SIZE:
		if (conf_parse_size(v, (size_t *)field) < 0) {
			snprintf(why, whylen, "expected a size like 4096, 64k, 8m");
			return -1;
		}
		return 0;
	case CONF_MS:
		if (conf_parse_ms(v, (uint64_t *)field) < 0) {
			snprintf(why, whylen,
			    "expected a duration like 30s, 500ms, 5m");
			return -1;
		}
		return 0;
	case CONF_ADDRS: {
		struct conf_addrs *as = (struct conf_addrs *)field;
		if (as->n == CONF_ADDRS_MAX) {
			snprintf(why, whylen, "at most %d addresses", CONF_ADDRS_MAX);
			return -1;
		}
		if (sock_parse_addr(v, &as->a[as->n], serr) < 0) {
			snprintf(why, whylen, "%s", serr);
			return -1;
		}
		as->n++;
		return 0;
	}
	case CONF_STRS: {
		struct conf_strs *ss = (struct conf_strs *)field;
		if (ss->n == CONF_STRS_MAX) {
			snprintf(why, whylen, "at most %d values", CONF_STRS_MAX);
			return -1;
		}
		if ((ss->v[ss->n] = strdup(v)) == NULL)
			return -1;
		ss->n++;
		return 0;
	}
	case CONF_WORKERS: {
		char *end;
		long x;
		if (strcasecmp(v, "auto") == 0) {
			*(int *)field = 0;
			return 0;
		}
		errno = 0;
		x = strtol(v, &end, 10);
		if (errno || end == v || *end || x < 1 || x > 64) {
			snprintf(why, whylen, "expected auto or 1 to 64");
			return -1;
		}
		*(int *)field = (int)x;
		return 0;
	}
	}
	return -1;
}

static int
is_multi(const struct conf_key *k)
{
	return k->type == CONF_ADDRS || k->type == CONF_STRS ||
	    k->type == CONF_PATHS;
}

static void
clear_list(const struct conf_key *k, void *obj)
{
	char *field = (char *)obj + k->offset;

	if (k->type == CONF_ADDRS) {
		((struct conf_addrs *)field)->n = 0;
	} else if (k->type == CONF_STRS || k->type == CONF_PATHS) {
		struct conf_strs *ss = (struct conf_strs *)field;
		for (int i = 0; i < ss->n; i++)
			free(ss->v[i]);
		ss->n = 0;
	}
}

static void __attribute__((format(printf, 4, 5)))
where(char *err, const char *file, const struct conf_kv *kv, const char *fmt,
    ...)
{
	char msg[CONF_ERR_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (kv->line > 0)
		snprintf(err, CONF_ERR_LEN, "%s:%d: %s", file, kv->line, msg);
	else
		snprintf(err, CONF_ERR_LEN, "--%s: %s", kv->key, msg);
}

int
conf_apply(const struct conf_key *keys, struct conf_section *sec, void *obj,
    const char *file, char *err)
{
	char why[256];

	for (const struct conf_key *k = keys; k && k->name; k++) {
		if (k->def && set_value(k, obj, k->def, NULL, why,
		    sizeof(why)) < 0) {
			snprintf(err, CONF_ERR_LEN, "internal: bad default for %s",
			    k->name);
			return -1;
		}
	}
	for (size_t i = 0; sec && i < sec->n; i++) {
		struct conf_kv *kv = &sec->kv[i];
		const struct conf_key *k = conf_key_find(keys, kv->key);
		if (k == NULL) {
			if (sec->name[0])
				where(err, file, kv, "unknown key '%s' in [%s]",
				    kv->key, sec->name);
			else
				where(err, file, kv, "unknown key '%s'", kv->key);
			return -1;
		}
		if (!is_multi(k)) {
			for (size_t j = 0; j < i; j++) {
				if (strcmp(sec->kv[j].key, kv->key) == 0 &&
				    sec->kv[j].line > 0 && kv->line > 0) {
					where(err, file, kv, "duplicate key '%s'",
					    kv->key);
					return -1;
				}
			}
		}
		if (is_multi(k)) {
			/* the default list is replaced by the first given value */
			int first = 1;
			for (size_t j = 0; j < i; j++)
				if (strcmp(sec->kv[j].key, kv->key) == 0)
					first = 0;
			if (first)
				clear_list(k, obj);
		}
		why[0] = '\0';
		if (set_value(k, obj, kv->value, kv->line > 0 ? file : NULL,
		    why, sizeof(why)) < 0) {
			where(err, file, kv, "bad value for '%s': %s", kv->key, why);
			return -1;
		}
		if (k->type == CONF_ADDRS) {
			struct conf_addrs *as = (struct conf_addrs *)
			    ((char *)obj + k->offset);
			as->line[as->n - 1] = kv->line;
		}
		kv->used = 1;
	}
	return 0;
}

void
conf_release(const struct conf_key *keys, void *obj)
{
	for (const struct conf_key *k = keys; k && k->name; k++) {
		char *field = (char *)obj + k->offset;
		if (k->type == CONF_STR || k->type == CONF_PATH) {
			free(*(char **)field);
			*(char **)field = NULL;
		} else if (k->type == CONF_STRS || k->type == CONF_PATHS) {
			struct conf_strs *ss = (struct conf_strs *)field;
			for (int i = 0; i < ss->n; i++)
				free(ss->v[i]);
			ss->n = 0;
		}
	}
}
