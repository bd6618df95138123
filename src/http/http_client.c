/* http_client.c - "camada get": the options, the single-URL fetch with
 * its output (stdout or -o, the progress bar on a terminal) and the entry
 * point, which runs the loop until the work is done. The engine is in
 * http_client_xfer.c, --page in http_client_page.c. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "http/http_client_int.h"
#include "http/http_field.h"

#define HC_PROGRESS_MIN (256 * 1024)

/* ---- the single fetch ---------------------------------------------------- */

struct output {
	const struct hc_opts *o;
	int fd;				/* -1 until the first byte */
	bool failed;
	bool binary;			/* a NUL for a terminal: refused */
	bool range_err;			/* -C, and the server sent all */
	struct hc_xfer *x;
	bool progress;
	double last_draw, start;
};

static int
out_open(struct output *out)
{
	if (out->fd >= 0)
		return 0;
	if (out->o->out_file == NULL || strcmp(out->o->out_file, "-") == 0) {
		out->fd = STDOUT_FILENO;
		return 0;
	}
	/* -C: what is there stays, the rest goes after it */
	out->fd = open(out->o->out_file, O_WRONLY | O_CREAT | O_CLOEXEC |
	    (out->o->resume_from > 0 ? O_APPEND : O_TRUNC), 0644);
	return out->fd < 0 ? -1 : 0;
}

static void
human(double v, char *b, size_t n)
{
	const char *u[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	int i = 0;

	while (v >= 1024 && i < 4) {
		v /= 1024;
		i++;
	}
	snprintf(b, n, i ? "%.1f %s" : "%.0f %s", v, u[i]);
}

static void
progress_draw(struct output *out, bool final)
{
	const struct hc_xfer *x = out->x;
	uint64_t total = x->r.has_content_length ? x->r.content_length : 0;
	double now = hc_now_ms(), secs = (now - out->start) / 1000;
	char have[32], all[32], rate[32], bar[41];
	int fill = 0, pct = 0;

	if (!final && now - out->last_draw < 100)
		return;
	out->last_draw = now;
	human((double)x->bytes, have, sizeof(have));
	human(secs > 0 ? (double)x->bytes / secs : 0, rate, sizeof(rate));
	if (total > 0) {
		pct = (int)((double)x->bytes * 100 / (double)total);
		fill = (int)((double)x->bytes * 40 / (double)total);
		if (fill > 40)
			fill = 40;
		human((double)total, all, sizeof(all));
	}
	for (int i = 0; i < 40; i++)
		bar[i] = i < fill ? '#' : (total ? '-' : ' ');
	bar[40] = '\0';
	if (total > 0)
		fprintf(stderr, "\r[%s] %3d%%  %s / %s  %s/s   ", bar, pct,
		    have, all, rate);
	else
		fprintf(stderr, "\r%s  %s/s   ", have, rate);
	if (final)
		fputc('\n', stderr);
	fflush(stderr);
}

static int
out_sink(void *arg, const uint8_t *p, size_t n)
{
	struct output *out = arg;
	const struct hc_xfer *x = out->x;

	if (out->o->resume_from > 0 && !out->o->head && x->status == 416)
		return 0;	/* curl: nothing left to get, not an error */
	if (out->o->resume_from > 0 && !out->o->head && x->status == 200) {
		/* the whole body again: fine only if it is what we have */
		if (x->r.has_content_length &&
		    x->r.content_length == (uint64_t)out->o->resume_from)
			return 0;
		out->range_err = true;
		return -1;
	}
	/* curl's check: a NUL in the first 2000 bytes for a terminal, when
	 * no -o (even "-o -") was given */
	if (out->o->out_file == NULL && (x->bytes < n || x->bytes - n < 2000) &&
	    memchr(p, 0, n) != NULL && isatty(STDOUT_FILENO)) {
		out->binary = true;
		return -1;
	}
	if (out_open(out) < 0) {
		out->failed = true;
		return -1;
	}
	while (n > 0) {
		ssize_t w = write(out->fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			out->failed = true;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	if (out->progress && !out->o->head) {
		if ((x->r.has_content_length &&
		    x->r.content_length > HC_PROGRESS_MIN) ||
		    x->bytes > HC_PROGRESS_MIN)
			progress_draw(out, false);
	}
	return 0;
}

/* ---- -w FORMAT: curl's --write-out ------------------------------------- */

static double
secs_since(const struct hc_ctx *ctx, double t)
{
	return t > 0 ? (t - ctx->t0) / 1000 : 0;
}

/* One %{name}: its text into out. 0, or -1 for a name we do not know. */
static int
write_var(const struct hc_ctx *ctx, const struct hc_xfer *x, int rc,
    const char *name, size_t n, char *out, size_t outsz)
{
	char host[SOCK_ADDR_STRLEN];
	const struct http_header *h;

#define VAR(s) (n == sizeof(s) - 1 && memcmp(name, s, n) == 0)
	if (VAR("http_code") || VAR("response_code"))
		snprintf(out, outsz, "%03d", x->status);
	else if (VAR("size_download"))
		snprintf(out, outsz, "%llu", (unsigned long long)x->bytes);
	else if (VAR("size_header"))
		snprintf(out, outsz, "%zu", x->head_len);
	else if (VAR("size_request"))
		snprintf(out, outsz, "%zu", x->req.len);
	else if (VAR("time_total"))
		snprintf(out, outsz, "%.6f", (hc_now_ms() - ctx->t0) / 1000);
	else if (VAR("time_connect"))
		snprintf(out, outsz, "%.6f", secs_since(ctx, x->t_connected));
	else if (VAR("time_appconnect"))
		snprintf(out, outsz, "%.6f", secs_since(ctx, x->t_tls));
	else if (VAR("time_pretransfer"))
		snprintf(out, outsz, "%.6f", secs_since(ctx, x->t_sent));
	else if (VAR("time_starttransfer"))
		snprintf(out, outsz, "%.6f", secs_since(ctx, x->t_first));
	else if (VAR("url_effective"))
		snprintf(out, outsz, "%s", x->url.str[0] ? x->url.str :
		    ctx->o->url);
	else if (VAR("url"))
		snprintf(out, outsz, "%s", ctx->o->url);
	else if (VAR("content_type")) {
		h = x->head ? http_header_find(x->r.headers, x->r.nheaders,
		    "Content-Type") : NULL;
		snprintf(out, outsz, "%.*s", h ? (int)h->value.n : 0,
		    h ? (const char *)h->value.p : "");
	} else if (VAR("num_redirects"))
		snprintf(out, outsz, "%d", x->hops);
	else if (VAR("num_connects"))
		snprintf(out, outsz, "%u", ctx->conns_opened);
	else if (VAR("redirect_url"))
		snprintf(out, outsz, "%s", x->has_location && !x->follow ?
		    x->location : "");
	else if (VAR("remote_ip"))
		snprintf(out, outsz, "%s", x->has_remote ?
		    sock_addr_host(&x->remote, host, sizeof(host)) : "");
	else if (VAR("remote_port")) {
		if (x->has_remote)
			snprintf(out, outsz, "%d", sock_addr_port(&x->remote));
		else
			out[0] = '\0';
	} else if (VAR("scheme"))
		snprintf(out, outsz, "%s", x->url.scheme[0] == '\0' ? "" :
		    x->url.tls ? "HTTPS" : "HTTP");
	else if (VAR("exitcode"))
		snprintf(out, outsz, "%d", rc);
	else if (VAR("errormsg"))
		snprintf(out, outsz, "%s", rc ? x->err : "");
	else if (VAR("method"))
		snprintf(out, outsz, "%s", x->method);
	else
		return -1;
#undef VAR
	return 0;
}

/* Writes fmt to stdout with %{name} replaced and \n, \r, \t, %% read as
 * curl reads them; an unknown name is a warning and prints nothing. */
static void
write_out(const struct hc_ctx *ctx, const struct hc_xfer *x, const char *fmt,
    int rc)
{
	char val[HTTP_CLIENT_URL_MAX + 300];

	for (const char *p = fmt; *p; p++) {
		if (p[0] == '%' && p[1] == '%') {
			putchar('%');
			p++;
		} else if (p[0] == '%' && p[1] == '{' &&
		    strchr(p + 2, '}') != NULL) {
			const char *name = p + 2, *end = strchr(name, '}');
			if (write_var(ctx, x, rc, name, (size_t)(end - name),
			    val, sizeof(val)) == 0)
				fputs(val, stdout);
			else
				fprintf(stderr, "camada get: unknown "
				    "--write-out variable: '%.*s'\n",
				    (int)(end - name), name);
			p = end;
		} else if (p[0] == '\\' && (p[1] == 'n' || p[1] == 'r' ||
		    p[1] == 't')) {
			putchar(p[1] == 'n' ? '\n' : p[1] == 'r' ? '\r' : '\t');
			p++;
		} else {
			putchar(*p);
		}
	}
	fflush(stdout);
}

static int
single_fetch(struct hc_ctx *ctx)
{
	const struct hc_opts *o = ctx->o;
	struct output out = { o, -1, false, false, false, NULL, false, 0, 0 };
	struct hc_xfer *x = malloc(sizeof(*x));
	const char *method;
	int rc;

	if (x == NULL)
		return HC_WRITE;
	method = o->method ? o->method : o->head ? "HEAD" :
	    o->has_data ? "POST" : "GET";
	hc_xfer_init(x, method);
	x->follow = o->follow;
	x->fail = o->fail;
	x->print_head = o->head || o->include;
	x->sink = out_sink;
	x->sink_arg = &out;
	if (o->has_data) {
		x->has_body = true;
		x->body = (const uint8_t *)o->data;
		x->body_len = o->data_len;
	}
	out.x = x;
	out.progress = !o->silent && isatty(STDERR_FILENO);
	out.start = hc_now_ms();
	rc = hc_xfer_set_url(x, o->url);
	if (rc == HC_OK)
		rc = hc_run_one(ctx, x);
	if (out.progress && !o->head && x->bytes > HC_PROGRESS_MIN)
		progress_draw(&out, true);
	if (rc == HC_OK && out.fd < 0 && out_open(&out) < 0)
		out.failed = true;	/* an empty body still makes -o FILE */
	if (out.binary) {
		/* curl's words; its exit code, and no second message */
		if (!o->silent)
			fprintf(stderr, "camada get: warning: Binary output "
			    "can mess up your terminal. Use \"--output -\" to "
			    "tell camada get to output it to your terminal "
			    "anyway, or consider \"--output <FILE>\" to save "
			    "to a file.\n");
		rc = HC_WRITE;
	} else if (out.range_err) {
		fprintf(stderr, "camada get: HTTP server doesn't seem to "
		    "support byte ranges. Cannot resume.\n");
		rc = HC_RANGE;
	} else if (out.failed) {
		fprintf(stderr, "camada get: failed writing to %s: %s\n",
		    o->out_file ? o->out_file : "stdout", strerror(errno));
		rc = HC_WRITE;
	} else if (rc) {
		fprintf(stderr, "camada get: %s\n", x->err);
	} else if (x->from_cache && !o->silent) {
		fprintf(stderr, "camada get: 304, from cache (%llu bytes)\n",
		    (unsigned long long)x->bytes);
	}
	if (out.fd >= 0 && out.fd != STDOUT_FILENO && close(out.fd) != 0 &&
	    rc == HC_OK) {
		fprintf(stderr, "camada get: failed writing to %s: %s\n",
		    o->out_file, strerror(errno));
		rc = HC_WRITE;
	}
	if (o->write_out)
		write_out(ctx, x, o->write_out, rc);
	hc_xfer_reset(x);
	free(x);
	return rc;
}

/* ---- options ------------------------------------------------------------- */

static void
usage(FILE *f)
{
	fputs(
	    "usage: camada get [OPTIONS] URL\n"
	    "Fetches URL (http://host[:port]/path?query, http://[::1]:8080/, "
	    "https://host/;\nwithout a scheme, http://) over HTTP/1.1 with "
	    "persistent connections and\nwrites the body to standard output "
	    "(not binary to a terminal: 23 unless -o -).\n"
	    "https verifies the server's certificate chain against the "
	    "system's trust store\n(/etc/ssl/certs) or --cacert, and its "
	    "name against the URL's host.\n"
	    "\n"
	    "  -o, --output FILE        write the body to FILE (\"-\": "
	    "stdout, binary too)\n"
	    "  -O, --remote-name        write it to the URL's last path "
	    "segment\n"
	    "  -i, --include            the response headers before the "
	    "body\n"
	    "  -r, --range RANGE        ask for bytes RANGE (\"0-99\", "
	    "\"100-\")\n"
	    "  -C, --continue-at N|-    resume at byte N (-: the output "
	    "file's size)\n"
	    "  -w, --write-out FORMAT   after the transfer, print FORMAT "
	    "with curl's\n"
	    "                           %{http_code} %{size_download} "
	    "%{time_total}\n"
	    "                           %{url_effective} %{content_type} "
	    "%{num_redirects}\n"
	    "                           %{remote_ip} %{remote_port} "
	    "%{time_connect}\n"
	    "                           %{time_appconnect} (TLS done) "
	    "%{time_starttransfer}\n"
	    "                           %{size_header} %{scheme} "
	    "%{exitcode}\n"
	    "                           ... and \\n; @FILE reads FORMAT "
	    "from FILE\n"
	    "  -I, --head               HEAD; print the response headers\n"
	    "  -v, --verbose            request and response headers on "
	    "stderr (> and <)\n"
	    "  -s, --silent             no progress bar, no cache note\n"
	    "  -X, --request METHOD     the request method\n"
	    "  -d, --data DATA          POST DATA (application/x-www-form-"
	    "urlencoded);\n"
	    "                           @FILE reads FILE (CR and LF removed), "
	    "@- stdin;\n"
	    "                           several -d are joined with '&'\n"
	    "      --data-binary DATA   like -d, but @FILE is sent as it is\n"
	    "  -H, --header 'N: V'      add a header (again and again); 'N:' "
	    "removes ours\n"
	    "  -L, --location           follow redirects (301, 302, 303 turn "
	    "POST into GET;\n"
	    "                           307, 308 keep it)\n"
	    "      --max-redirs N       at most N redirects (default 10)\n"
	    "  -f, --fail               exit 22, with no body, on HTTP status "
	    ">= 400\n"
	    "  -m, --max-time SECONDS   give up after SECONDS in all\n"
	    "      --connect-timeout SECONDS  give up connecting after SECONDS "
	    "(default 30)\n"
	    "      --cookie-jar FILE    read cookies from FILE and save them "
	    "back (Netscape\n"
	    "                           format, as curl -b FILE -c FILE)\n"
	    "      --cache DIR          keep bodies with their validators in "
	    "DIR; revalidate\n"
	    "                           with If-None-Match/If-Modified-Since; "
	    "304 is served\n"
	    "                           from DIR (\"304, from cache\" on "
	    "stderr)\n"
	    "      --cacert FILE        trust the CA certificates in FILE "
	    "(PEM), not the\n"
	    "                           system's store\n"
	    "  -k, --insecure           https without verifying the "
	    "certificate (chain,\n"
	    "                           expiry, name): still encrypted, but "
	    "anyone in the\n"
	    "                           path can pose as the server\n"
	    "      --resolver ADDR[:PORT]  look host names up by asking this DNS "
	    "resolver\n"
	    "                           (camada resolver, or any other) instead "
	    "of the system's\n"
	    "      --page               fetch the page and every object it "
	    "references, then\n"
	    "                           print a table of times per object and "
	    "totals (below)\n"
	    "      --pipeline           (--page) send the requests of a "
	    "connection back to back\n"
	    "      --parallel N         (--page) use N connections per host\n"
	    "      --no-keepalive       a new connection for every request "
	    "(Connection: close)\n"
	    "  -h, --help               this text\n"
	    "\n"
	    "--page's columns, in round trips (RTT) on a new connection:\n"
	    "  conn ms  the TCP handshake: SYN, SYN+ACK             1 RTT\n"
	    "  tls ms   (https) the TLS handshake: ClientHello, the "
	    "server's\n"
	    "           certificate and Finished                    1 RTT "
	    "with TLS 1.3,\n"
	    "                                                       2 with "
	    "TLS 1.2\n"
	    "  ttfb ms  the request to the response's first byte    1 RTT + "
	    "the server\n"
	    "  xfer ms  the rest of the response\n"
	    "A reused connection pays neither handshake (0). The tls ms "
	    "column is there\nwhen the page has an https object; \"-\" "
	    "marks a plain one.\n"
	    "\n"
	    "Exit codes (curl's numbers):\n"
	    "   0  success                       23  cannot write the output\n"
	    "   1  unsupported scheme (ftp...)   26  cannot read -d @FILE\n"
	    "   2  bad options                   27  request head over 1 MiB\n"
	    "   3  malformed URL                 28  timeout "
	    "(--max-time, --connect-timeout)\n"
	    "   6  cannot resolve the host       47  too many redirects\n"
	    "   7  cannot connect (refused...)   52  empty reply from the "
	    "server\n"
	    "   8  unparseable response          55  send failure\n"
	    "  18  body shorter than announced   56  receive failure (reset)\n"
	    "  22  HTTP status >= 400 with -f   33  -C: the server ignored "
	    "the range\n"
	    "  35  TLS handshake failed          60  the server's certificate "
	    "failed\n"
	    "      (protocol, alert, reset)          verification (unknown "
	    "CA, expired,\n"
	    "                                        name mismatch)\n"
	    "  77  --cacert (or the system store) cannot be read\n"
	    "With --page the exit code is the first failed object's (22 with "
	    "-f for any\nobject's status >= 400).\n", f);
}

static int
opt_seconds(const char *flag, const char *v, double *out)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(v, &end);
	if (errno || end == v || *end || d < 0 || d > 1e7) {
		fprintf(stderr, "camada get: %s: bad number of seconds '%s'\n",
		    flag, v);
		return -1;
	}
	*out = d;
	return 0;
}

static int
opt_int(const char *flag, const char *v, int lo, int hi, int *out)
{
	char *end;
	long l;

	errno = 0;
	l = strtol(v, &end, 10);
	if (errno || end == v || *end || l < lo || l > hi) {
		fprintf(stderr, "camada get: %s: expected a number from %d to "
		    "%d, not '%s'\n", flag, lo, hi, v);
		return -1;
	}
	*out = (int)l;
	return 0;
}

/* Reads all of name (stdin for "-"); strips CR and LF when strip (curl's
 * -d @FILE). Returns a malloc'ed buffer (NUL-terminated) or NULL. */
static char *
read_file(const char *name, bool strip, size_t *len)
{
	FILE *f = strcmp(name, "-") == 0 ? stdin : fopen(name, "rb");
	char *b = malloc(4096);
	size_t n = 0, cap = 4096;
	bool bad;
	int ch;

	if (f == NULL || b == NULL) {
		if (f && f != stdin)
			fclose(f);
		free(b);
		return NULL;
	}
	while ((ch = getc(f)) != EOF) {
		if (strip && (ch == '\r' || ch == '\n'))
			continue;
		if (n + 1 >= cap) {
			char *nb = realloc(b, cap * 2);
			if (nb == NULL) {
				free(b);
				if (f != stdin)
					fclose(f);
				return NULL;
			}
			b = nb;
			cap *= 2;
		}
		b[n++] = (char)ch;
	}
	bad = ferror(f) != 0;
	if (f != stdin)
		fclose(f);
	if (bad) {
		free(b);
		return NULL;
	}
	b[n] = '\0';
	*len = n;
	return b;
}

static int
add_data(struct hc_opts *o, const char *v, bool binary)
{
	char *chunk;
	size_t cl;

	if (v[0] == '@') {
		chunk = read_file(v + 1, !binary, &cl);
		if (chunk == NULL) {
			fprintf(stderr, "camada get: cannot read %s: %s\n",
			    v + 1, strerror(errno));
			return HC_READ;
		}
	} else {
		cl = strlen(v);
		chunk = malloc(cl + 1);
		if (chunk == NULL)
			return HC_READ;
		memcpy(chunk, v, cl);
	}
	size_t need = o->data_len + (o->has_data ? 1 : 0) + cl + 1;
	char *nd = realloc(o->data, need);
	if (nd == NULL) {
		free(chunk);
		return HC_READ;
	}
	o->data = nd;
	if (o->has_data)
		o->data[o->data_len++] = '&';
	memcpy(o->data + o->data_len, chunk, cl);
	o->data_len += cl;
	o->data[o->data_len] = '\0';
	o->has_data = true;
	free(chunk);
	return HC_OK;
}

static bool
valid_header(const char *h)
{
	const char *sep = h + strcspn(h, ":;");

	if (*sep == '\0' || sep == h)
		return false;
	for (const char *p = h; p < sep; p++)
		if (!http_is_tchar((uint8_t)*p))
			return false;
	for (const char *p = sep + 1; *p; p++)
		if ((unsigned char)*p < 0x20 && *p != '\t')
			return false;
	return true;
}

static bool
valid_method(const char *m)
{
	if (*m == '\0' || strlen(m) >= 32)
		return false;
	for (; *m; m++)
		if (!http_is_tchar((uint8_t)*m))
			return false;
	return true;
}

/* Parses argv into o. Returns -1 to go on, else an exit code. */
static int
parse_args(int argc, char **argv, struct hc_opts *o)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		bool takes = true;

#define IS(s, l) (strcmp(a, s) == 0 || strcmp(a, l) == 0)
		if (IS("-h", "--help")) {
			usage(stdout);
			return 0;
		} else if (IS("-I", "--head")) {
			o->head = true, takes = false;
		} else if (IS("-v", "--verbose")) {
			o->verbose = true, takes = false;
		} else if (IS("-s", "--silent")) {
			o->silent = true, takes = false;
		} else if (IS("-f", "--fail")) {
			o->fail = true, takes = false;
		} else if (IS("-L", "--location")) {
			o->follow = true, takes = false;
		} else if (IS("--page", "--page")) {
			o->page = true, takes = false;
		} else if (IS("--pipeline", "--pipeline")) {
			o->pipeline = true, takes = false;
		} else if (IS("--no-keepalive", "--no-keepalive")) {
			o->no_keepalive = true, takes = false;
		} else if (IS("-i", "--include")) {
			o->include = true, takes = false;
		} else if (IS("-O", "--remote-name")) {
			o->remote_name = true, takes = false;
		} else if (IS("-k", "--insecure")) {
			o->insecure = true, takes = false;
		} else if (v == NULL && a[0] == '-' && a[1] != '\0') {
			if (IS("-o", "--output") || IS("-X", "--request") ||
			    IS("-r", "--range") || IS("-C", "--continue-at") ||
			    IS("-w", "--write-out") ||
			    IS("-d", "--data") || IS("-H", "--header") ||
			    IS("-m", "--max-time") ||
			    IS("--data-binary", "--data-binary") ||
			    IS("--max-redirs", "--connect-timeout") ||
			    IS("--parallel", "--cookie-jar") ||
			    IS("--cache", "--resolver") ||
			    IS("--cacert", "--cacert")) {
				fprintf(stderr, "camada get: %s needs a "
				    "value\n", a);
				return HC_USAGE;
			}
			goto unknown;
		} else if (IS("-o", "--output")) {
			o->out_file = v;
		} else if (IS("-X", "--request")) {
			if (!valid_method(v)) {
				fprintf(stderr, "camada get: bad method "
				    "'%s'\n", v);
				return HC_USAGE;
			}
			o->method = v;
		} else if (IS("-d", "--data") ||
		    IS("--data-binary", "--data-binary")) {
			int rc = add_data(o, v, strcmp(a,
			    "--data-binary") == 0);
			if (rc)
				return rc;
		} else if (IS("-H", "--header")) {
			if (!valid_header(v)) {
				fprintf(stderr, "camada get: bad header '%s' "
				    "(expected 'Name: value')\n", v);
				return HC_USAGE;
			}
			if (o->nheaders == sizeof(o->headers) /
			    sizeof(o->headers[0])) {
				fprintf(stderr, "camada get: too many -H\n");
				return HC_USAGE;
			}
			o->headers[o->nheaders++] = v;
		} else if (IS("-m", "--max-time")) {
			if (opt_seconds(a, v, &o->max_time) < 0)
				return HC_USAGE;
		} else if (IS("--connect-timeout", "--connect-timeout")) {
			if (opt_seconds(a, v, &o->connect_timeout) < 0)
				return HC_USAGE;
		} else if (IS("--max-redirs", "--max-redirs")) {
			if (opt_int(a, v, 0, 1000, &o->max_redirs) < 0)
				return HC_USAGE;
		} else if (IS("--parallel", "--parallel")) {
			if (opt_int(a, v, 1, 64, &o->parallel) < 0)
				return HC_USAGE;
		} else if (IS("-r", "--range")) {
			/* curl's check: digits, '-' and ',' only */
			if (v[0] == '\0' || v[strspn(v, "0123456789-,")] ||
			    strlen(v) > 128) {
				fprintf(stderr, "camada get: -r: bad range "
				    "'%s'\n", v);
				return HC_USAGE;
			}
			o->range = v;
		} else if (IS("-C", "--continue-at")) {
			o->resume_auto = strcmp(v, "-") == 0;
			if (!o->resume_auto) {
				char *end;
				errno = 0;
				long long k = strtoll(v, &end, 10);
				if (errno || end == v || *end || k < 0) {
					fprintf(stderr, "camada get: -C: "
					    "expected an offset or '-', not "
					    "'%s'\n", v);
					return HC_USAGE;
				}
				o->resume_from = k;
			}
		} else if (IS("-w", "--write-out")) {
			if (v[0] == '@') {
				size_t n;
				free(o->owned[2]);
				o->owned[2] = read_file(v + 1, false, &n);
				if (o->owned[2] == NULL) {
					fprintf(stderr, "camada get: -w: "
					    "cannot read %s: %s\n", v + 1,
					    strerror(errno));
					return HC_READ;
				}
				o->write_out = o->owned[2];
			} else {
				o->write_out = v;
			}
		} else if (IS("--cookie-jar", "--cookie-jar")) {
			o->cookie_jar = v;
		} else if (IS("--cache", "--cache")) {
			o->cache_dir = v;
		} else if (IS("--cacert", "--cacert")) {
			o->cacert = v;
		} else if (IS("--resolver", "--resolver")) {
			char serr[SOCK_ERR_LEN];
			if (sock_parse_host(v, 53, &o->resolver, serr) < 0) {
				fprintf(stderr, "camada get: --resolver: %s\n",
				    serr);
				return HC_USAGE;
			}
			o->use_resolver = true;
		} else if (a[0] == '-' && a[1] != '\0') {
unknown:
			fprintf(stderr, "camada get: unknown option '%s'\n"
			    "usage: camada get [OPTIONS] URL (camada get "
			    "--help)\n", a);
			return HC_USAGE;
		} else {
			if (o->url) {
				fprintf(stderr, "camada get: one URL only "
				    "('%s' and '%s')\n", o->url, a);
				return HC_USAGE;
			}
			o->url = a;
			takes = false;
		}
#undef IS
		if (takes)
			i++;
	}
	if (o->url == NULL) {
		fprintf(stderr, "usage: camada get [OPTIONS] URL (camada get "
		    "--help)\n");
		return HC_USAGE;
	}
	if (o->page && (o->head || o->has_data || o->method || o->out_file ||
	    o->remote_name || o->include || o->range || o->resume_auto ||
	    o->resume_from || o->write_out)) {
		fprintf(stderr,
		    "camada get: --page fetches with GET and prints a table; "
		    "it does not go with -I, -d, -X, -o, -O, -i, -r, -C or "
		    "-w\n");
		return HC_USAGE;
	}
	return -1;
}

/* curl's guess for a URL without "scheme://": http. Then -O's name, -C's
 * offset and the Range field. -1 to go on, else an exit code. */
static int
finish_args(struct hc_opts *o)
{
	if (strstr(o->url, "://") == NULL) {
		size_t n = strlen(o->url) + sizeof("http://");
		if ((o->owned[0] = malloc(n)) == NULL)
			return HC_NOMEM;
		snprintf(o->owned[0], n, "http://%s", o->url);
		o->url = o->owned[0];
	}
	if (o->remote_name) {
		/* the last segment of the path, query and fragment left out */
		const char *p = strstr(o->url, "://") + 3;
		size_t end;

		p += strcspn(p, "/?#");
		end = strcspn(p, "?#");
		const char *seg = p;
		for (size_t i = 0; i < end; i++)
			if (p[i] == '/')
				seg = p + i + 1;
		if (seg == p + end) {
			fprintf(stderr, "camada get: Remote file name has no "
			    "length!\n");
			return HC_WRITE;
		}
		if ((o->owned[1] = strndup(seg, (size_t)(p + end - seg))) ==
		    NULL)
			return HC_NOMEM;
		o->out_file = o->owned[1];
	}
	if (o->resume_auto && o->out_file && strcmp(o->out_file, "-") != 0) {
		struct stat st;
		if (stat(o->out_file, &st) == 0)
			o->resume_from = (int64_t)st.st_size;
	}
	if (o->resume_from > 0 || o->range) {
		if (o->nheaders == sizeof(o->headers) / sizeof(o->headers[0])) {
			fprintf(stderr, "camada get: too many -H\n");
			return HC_USAGE;
		}
		if (o->resume_from > 0)
			snprintf(o->range_hdr, sizeof(o->range_hdr),
			    "Range: bytes=%lld-", (long long)o->resume_from);
		else
			snprintf(o->range_hdr, sizeof(o->range_hdr),
			    "Range: bytes=%s", o->range);
		o->headers[o->nheaders++] = o->range_hdr;
	}
	return -1;
}

int
http_client_main(int argc, char **argv)
{
	struct hc_opts o;
	struct hc_ctx ctx;
	char err[512];
	int rc;

	memset(&o, 0, sizeof(o));
	o.max_redirs = 10;
	o.parallel = 1;
	rc = parse_args(argc, argv, &o);
	if (rc < 0)
		rc = finish_args(&o);
	if (rc >= 0) {
		free(o.data);
		for (int i = 0; i < 3; i++)
			free(o.owned[i]);
		return rc;
	}
	if (hc_ctx_init(&ctx, &o) < 0) {
		hc_ctx_free(&ctx);
		free(o.data);
		return HC_WRITE;
	}
	if (o.cookie_jar && http_client_cookie_jar_load(&ctx.jar, o.cookie_jar,
	    time(NULL), err, sizeof(err)) < 0)
		fprintf(stderr, "camada get: warning: cookie jar %s\n", err);
	if (o.cache_dir && mkdir(o.cache_dir, 0755) < 0 && errno != EEXIST)
		fprintf(stderr, "camada get: warning: cache %s: %s\n",
		    o.cache_dir, strerror(errno));

	rc = o.page ? http_client_page_run(&ctx) : single_fetch(&ctx);

	if (o.cookie_jar && http_client_cookie_jar_save(&ctx.jar, o.cookie_jar,
	    time(NULL), err, sizeof(err)) < 0)
		fprintf(stderr, "camada get: warning: cannot save cookies: "
		    "%s\n", err);
	hc_ctx_free(&ctx);
	http_client_cookie_jar_free(&ctx.jar);
	free(o.data);
	for (int i = 0; i < 3; i++)
		free(o.owned[i]);
	return rc;
}
