/* mailq.c - "camada mailq": list the queue, flush (a request file the relay
 * runner takes), delete; and the hidden `put` that queues stdin, which the
 * relay's tests use before the SMTP server queues mail itself. Reads the
 * folder only through mail_queue.h. */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/conf.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/sock.h"
#include "mail/mail_queue.h"
#include "mail/mail_relay.h"
#include "mail/mailq.h"

#define PUT_MAX ((size_t)1 << 30)

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: camada mailq [-c FILE] [--queue DIR] [flush [ID] | "
	    "delete ID]\n"
	    "Lists the outgoing mail queue ([mail] queue of FILE, or DIR): "
	    "each message's id,\nsize, age and sender, and each recipient's "
	    "state and last error.\n"
	    "  flush [ID]   retry ID (or every message) now\n"
	    "  delete ID    remove ID from the queue\n");
}

/* [mail] queue of file (or the first [smtp]'s, which carries the [mail]
 * keys itself), joined onto its folder; NULL with a message. */
static char *
queue_from_conf(const char *file, int given)
{
	char err[CONF_ERR_LEN];
	struct conf cf;
	char *q = NULL;

	memset(&cf, 0, sizeof(cf));
	if (conf_load(file, &cf, err) < 0) {
		fprintf(stderr, "camada: %s\n", err);
		return NULL;
	}
	for (size_t i = 0; i < cf.n && q == NULL; i++) {
		if (strcmp(cf.sec[i].name, "mail") != 0 &&
		    strcmp(cf.sec[i].name, "smtp") != 0)
			continue;
		for (size_t j = 0; j < cf.sec[i].n; j++)
			if (strcmp(cf.sec[i].kv[j].key, "queue") == 0)
				q = conf_path_join(file, cf.sec[i].kv[j].value);
	}
	if (q == NULL)
		fprintf(stderr, "camada: %s: no [mail] queue key%s\n", file,
		    given ? "" : " (use -c FILE or --queue DIR)");
	conf_free(&cf);
	return q;
}

static void
age_str(char *out, size_t n, int64_t secs)
{
	if (secs < 0)
		secs = 0;
	if (secs < 120)
		snprintf(out, n, "%llds", (long long)secs);
	else if (secs < 7200)
		snprintf(out, n, "%lldm", (long long)secs / 60);
	else if (secs < 2 * 86400)
		snprintf(out, n, "%lldh", (long long)secs / 3600);
	else
		snprintf(out, n, "%lldd", (long long)secs / 86400);
}

static int
list(const char *dir)
{
	char (*ids)[MAIL_QUEUE_ID_LEN], err[MAIL_QUEUE_ERR_LEN];
	int64_t now = (int64_t)time(NULL);
	unsigned long long bytes = 0;
	int n, shown = 0, rc = 0;

	if (mail_queue_list(dir, &ids, &n, err) < 0) {
		fprintf(stderr, "camada: %s\n", err);
		return 1;
	}
	for (int i = 0; i < n; i++) {
		struct mail_queue_msg m;
		char age[32];
		int r = mail_queue_read(dir, ids[i], &m, err);

		if (r == 1)
			continue;
		if (r < 0) {
			fprintf(stderr, "camada: %s\n", err);
			rc = 1;
			continue;
		}
		age_str(age, sizeof(age), now - m.created);
		printf("%s %9zu %5s  <%s>\n", m.id, m.size, age, m.env.from);
		for (int j = 0; j < m.env.nrcpt; j++) {
			const struct mail_queue_rstat *s = &m.st[j];
			const char *st = s->state == MAIL_QUEUE_DONE ? "sent" :
			    s->state == MAIL_QUEUE_FAILED ? "bounced" :
			    s->tries ? "deferred" : "queued";
			char next[32] = "";

			if (s->state == MAIL_QUEUE_PENDING && s->tries) {
				char a[24];

				age_str(a, sizeof(a), s->next_try - now);
				snprintf(next, sizeof(next), ", next in %s", a);
			}
			printf("    <%s> %s, %d tr%s%s%s%s%s\n",
			    m.env.rcpt[j].addr, st, s->tries,
			    s->tries == 1 ? "y" : "ies", next,
			    s->err[0] ? " (" : "", s->err,
			    s->err[0] ? ")" : "");
		}
		bytes += m.size;
		shown++;
		mail_queue_msg_free(&m);
	}
	free(ids);
	if (shown == 0)
		printf("mail queue is empty\n");
	else
		printf("-- %d message%s, %llu bytes\n", shown,
		    shown == 1 ? "" : "s", bytes);
	return rc;
}

/* Hidden: queue stdin for FROM to RCPT... ("" or "<>" is the null
 * sender). */
static int
put(const char *dir, int argc, char **argv)
{
	char id[MAIL_QUEUE_ID_LEN], err[MAIL_QUEUE_ERR_LEN];
	struct mail_queue_env env = {0};
	struct mail_queue_rcpt *r;
	size_t n = 0, cap = 65536;
	char *data = malloc(cap);
	ssize_t k;
	int rc;

	if (argc < 2) {
		usage(stderr);
		free(data);
		return 2;
	}
	r = calloc((size_t)argc - 1, sizeof(*r));
	if (data == NULL || r == NULL) {
		fprintf(stderr, "camada: out of memory\n");
		free(data);
		free(r);
		return 1;
	}
	while ((k = read(0, data + n, cap - n)) > 0) {
		n += (size_t)k;
		if (n == cap) {
			char *q = cap < PUT_MAX ? realloc(data, cap * 2) : NULL;

			if (q == NULL) {
				fprintf(stderr, "camada: message too large\n");
				free(data);
				free(r);
				return 1;
			}
			data = q;
			cap *= 2;
		}
	}
	env.from = strcmp(argv[0], "<>") == 0 ? "" : argv[0];
	for (int i = 1; i < argc; i++)
		r[i - 1].addr = argv[i];
	env.rcpt = r;
	env.nrcpt = argc - 1;
	env.client = "camada mailq put";
	rc = mail_queue_put(dir, &env, data, n, id, err);
	if (rc < 0)
		fprintf(stderr, "camada: %s\n", err);
	else
		printf("%s\n", id);
	free(data);
	free(r);
	return rc < 0 ? 1 : 0;
}

static void
on_signal(struct loop *loop, int signo, void *arg)
{
	loop_stop(loop);
}

static int
num_arg(const char *flag, const char *v, uint64_t *out)
{
	char *end;
	unsigned long long x = strtoull(v, &end, 10);

	if (end == v || *end != '\0') {
		fprintf(stderr, "camada: mailq run: %s: not a number '%s'\n",
		    flag, v);
		return -1;
	}
	*out = x;
	return 0;
}

/* Hidden until the SMTP server starts the runner itself: the relay
 * runner in the foreground, with the mail_relay_conf keys as flags
 * (times in seconds, --scan-ms and --timeout-ms in ms). */
static int
run(const char *dir, int argc, char **argv)
{
	struct mail_relay_conf rc;
	char err[MAIL_RELAY_ERR_LEN];
	struct mail_relay *r;
	struct loop *loop;
	uint64_t v;

	memset(&rc, 0, sizeof(rc));
	rc.queue = dir;
	for (int i = 0; i < argc; i++) {
		const char *f = argv[i], *a = i + 1 < argc ? argv[i + 1] : NULL;
		int used = 1;

		if (strcmp(f, "--no-starttls") == 0) {
			rc.no_starttls = 1;
			used = 0;
		} else if (a == NULL) {
			fprintf(stderr, "camada: mailq run: %s needs a value\n",
			    f);
			return 2;
		} else if (strcmp(f, "--resolver") == 0) {
			if (sock_parse_host(a, 53, &rc.resolver, err) < 0) {
				fprintf(stderr, "camada: mailq run: --resolver "
				    "%s: %s\n", a, err);
				return 2;
			}
		} else if (strcmp(f, "--smarthost") == 0) {
			rc.smarthost = a;
		} else if (strcmp(f, "--hostname") == 0) {
			rc.hostname = a;
		} else if (num_arg(f, a, &v) < 0) {
			return 2;
		} else if (strcmp(f, "--smtp-port") == 0 && v < 65536) {
			rc.smtp_port = (int)v;
		} else if (strcmp(f, "--scan-ms") == 0) {
			rc.scan_ms = v;
		} else if (strcmp(f, "--timeout-ms") == 0) {
			rc.timeout_ms = v;
		} else if (strcmp(f, "--retry-min") == 0) {
			rc.retry_min_s = v;
		} else if (strcmp(f, "--retry-max") == 0) {
			rc.retry_max_s = v;
		} else if (strcmp(f, "--max-queue-time") == 0) {
			rc.max_queue_time_s = v;
		} else {
			fprintf(stderr, "camada: mailq run: unknown flag %s\n",
			    f);
			return 2;
		}
		i += used;
	}
	if ((loop = loop_new()) == NULL) {
		fprintf(stderr, "camada: out of memory\n");
		return 1;
	}
	if (loop_signal(loop, SIGTERM, on_signal, NULL) < 0 ||
	    loop_signal(loop, SIGINT, on_signal, NULL) < 0 ||
	    (r = mail_relay_new(loop, &rc, err)) == NULL) {
		fprintf(stderr, "camada: mailq run: %s\n", err);
		loop_free(loop);
		return 1;
	}
	fprintf(stderr, "camada: relay running on %s\n", dir);
	loop_run(loop);
	mail_relay_free(r);
	loop_once(loop, 0);
	loop_free(loop);
	return 0;
}

int
mailq_main(int argc, char **argv, const char *default_conf)
{
	const char *file = NULL, *qdir = NULL;
	char err[MAIL_QUEUE_ERR_LEN], *q = NULL;
	int i, rc;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		}
		if ((strcmp(argv[i], "-c") == 0 ||
		    strcmp(argv[i], "--config") == 0) && i + 1 < argc) {
			file = argv[++i];
		} else if (strcmp(argv[i], "--queue") == 0 && i + 1 < argc) {
			qdir = argv[++i];
		} else {
			fprintf(stderr, "camada: mailq: unknown or incomplete "
			    "option '%s'\n", argv[i]);
			usage(stderr);
			return 2;
		}
	}
	if (qdir == NULL) {
		q = queue_from_conf(file ? file : default_conf, file != NULL);
		if (q == NULL)
			return 2;
		qdir = q;
	}
	argc -= i;
	argv += i;
	if (argc == 0) {
		rc = list(qdir);
	} else if (strcmp(argv[0], "flush") == 0 && argc <= 2) {
		rc = mail_queue_flush_request(qdir, argc == 2 ? argv[1] : NULL,
		    err) < 0;
		if (rc)
			fprintf(stderr, "camada: %s\n", err);
	} else if (strcmp(argv[0], "delete") == 0 && argc == 2) {
		int r = mail_queue_remove(qdir, argv[1], err);

		if (r < 0)
			fprintf(stderr, "camada: %s\n", err);
		else if (r == 1)
			fprintf(stderr, "camada: %s: no such message in %s\n",
			    argv[1], qdir);
		rc = r != 0;
	} else if (strcmp(argv[0], "run") == 0) {
		rc = run(qdir, argc - 1, argv + 1);
	} else if (strcmp(argv[0], "put") == 0) {
		rc = put(qdir, argc - 1, argv + 1);
	} else {
		usage(stderr);
		rc = 2;
	}
	free(q);
	return rc;
}
