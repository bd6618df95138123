/* http_mime.c - media types by file extension: /etc/mime.types when the
 * system has it (Debian's media-types package), a built-in table otherwise
 * and for the types that matter most to a browser. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/http_mime.h"

struct mime {
	char ext[16];
	char type[80];
	size_t order; /* built-ins first, so that they win over the file */
};

static const struct {
	const char *ext;
	const char *type;
} builtin[] = {
	{ "html", "text/html" }, { "htm", "text/html" },
	{ "css", "text/css" }, { "js", "text/javascript" },
	{ "mjs", "text/javascript" }, { "json", "application/json" },
	{ "txt", "text/plain" }, { "xml", "application/xml" },
	{ "png", "image/png" }, { "jpg", "image/jpeg" }, { "jpeg", "image/jpeg" },
	{ "gif", "image/gif" }, { "svg", "image/svg+xml" },
	{ "ico", "image/vnd.microsoft.icon" }, { "webp", "image/webp" },
	{ "avif", "image/avif" }, { "woff", "font/woff" },
	{ "woff2", "font/woff2" }, { "pdf", "application/pdf" },
	{ "wasm", "application/wasm" }, { "mp4", "video/mp4" },
	{ "webm", "video/webm" }, { "mp3", "audio/mpeg" },
	{ "zip", "application/zip" }, { "gz", "application/gzip" },
	{ "tar", "application/x-tar" }, { "torrent", "application/x-bittorrent" },
};

static struct mime *table;
static size_t ntable;

static int
cmp_mime(const void *a, const void *b)
{
	return strcasecmp(((const struct mime *)a)->ext,
	    ((const struct mime *)b)->ext);
}

static int
cmp_mime_order(const void *a, const void *b)
{
	const struct mime *x = a, *y = b;
	int c = strcasecmp(x->ext, y->ext);

	if (c)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

static void
add(struct mime **t, size_t *n, size_t *cap, const char *ext, const char *type)
{
	if (strlen(ext) >= sizeof((*t)->ext) || strlen(type) >= sizeof((*t)->type))
		return;
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 256;
		struct mime *nt = realloc(*t, nc * sizeof(*nt));
		if (nt == NULL)
			return;
		*t = nt;
		*cap = nc;
	}
	snprintf((*t)[*n].ext, sizeof((*t)[*n].ext), "%s", ext);
	snprintf((*t)[*n].type, sizeof((*t)[*n].type), "%s", type);
	(*t)[*n].order = *n;
	(*n)++;
}

void
http_mime_load(void)
{
	struct mime *t = NULL;
	size_t n = 0, cap = 0;
	char line[1024];
	FILE *f;

	if (table)
		return;
	/* built-ins first: qsort is not stable, so drop later duplicates */
	for (size_t i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++)
		add(&t, &n, &cap, builtin[i].ext, builtin[i].type);
	f = fopen("/etc/mime.types", "re");
	while (f && fgets(line, sizeof(line), f)) {
		char *save = NULL, *type, *ext;
		if (line[0] == '#')
			continue;
		type = strtok_r(line, " \t\r\n", &save);
		if (type == NULL)
			continue;
		while ((ext = strtok_r(NULL, " \t\r\n", &save)) != NULL)
			add(&t, &n, &cap, ext, type);
	}
	if (f)
		fclose(f);
	/* keep the first entry of each extension (the built-in one) */
	qsort(t, n, sizeof(*t), cmp_mime_order);
	size_t j = 0;
	for (size_t i = 0; i < n; i++) {
		if (j && strcasecmp(t[j - 1].ext, t[i].ext) == 0)
			continue;
		t[j++] = t[i];
	}
	table = t;
	ntable = j;
}

const char *
http_mime_type(const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *dot = strrchr(slash ? slash : path, '.');
	struct mime key;

	if (dot == NULL || dot[1] == '\0' || strlen(dot + 1) >= sizeof(key.ext))
		return "application/octet-stream";
	snprintf(key.ext, sizeof(key.ext), "%s", dot + 1);
	const struct mime *m = table ?
	    bsearch(&key, table, ntable, sizeof(*table), cmp_mime) : NULL;
	if (m == NULL) {
		for (size_t i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++)
			if (strcasecmp(builtin[i].ext, key.ext) == 0)
				return builtin[i].type;
		return "application/octet-stream";
	}
	return m->type;
}
