/* cli.c - see cli.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cli.h"
#include "core/log.h"

static const char *
type_hint(enum conf_type t)
{
	switch (t) {
	case CONF_STR: return "TEXT";
	case CONF_INT: return "N";
	case CONF_BOOL: return "";
	case CONF_SIZE: return "SIZE";
	case CONF_MS: return "TIME";
	case CONF_ADDRS: return "ADDR:PORT";
	case CONF_STRS: return "VALUE";
	case CONF_WORKERS: return "auto|N";
	case CONF_PATH: return "PATH";
	case CONF_PATHS: return "PATH";
	}
	return "";
}

void
cli_print_keys(FILE *f, const struct conf_key *keys)
{
	for (const struct conf_key *k = keys; k && k->name; k++) {
		char left[64];
		if (k->flag)
			snprintf(left, sizeof(left), "-%c, --%s %s", k->flag,
			    k->name, type_hint(k->type));
		else
			snprintf(left, sizeof(left), "    --%s %s", k->name,
			    type_hint(k->type));
		fprintf(f, "  %-30s %s", left, k->help ? k->help : "");
		if (k->def && k->def[0])
			fprintf(f, " (default: %s)", k->def);
		fputc('\n', f);
	}
}

static void
usage(FILE *f, const struct service *svc, const char *cmd, const char *summary)
{
	fprintf(f, "usage: camada %s [-c FILE] [OPTIONS]\n%s\n\noptions (each is "
	    "also a key of [%s] in the config file):\n", cmd, summary, svc->name);
	fprintf(f, "  %-30s %s\n", "-c, --config FILE",
	    "read this config file first; flags override it");
	cli_print_keys(f, svc->keys);
	fprintf(f, "\nglobal options:\n");
	cli_print_keys(f, global_keys);
}

/* Looks a flag up in one table: "--name", "--no-name" (booleans), "-x". */
static const struct conf_key *
match_flag(const struct conf_key *keys, const char *arg, const char **inline_val,
    int *negated)
{
	*inline_val = NULL;
	*negated = 0;
	if (arg[0] == '-' && arg[1] != '-' && arg[1] && !arg[2]) {
		for (const struct conf_key *k = keys; k->name; k++)
			if (k->flag == arg[1])
				return k;
		return NULL;
	}
	if (strncmp(arg, "--", 2) != 0)
		return NULL;
	const char *name = arg + 2, *eq = strchr(name, '=');
	size_t len = eq ? (size_t)(eq - name) : strlen(name);
	for (const struct conf_key *k = keys; k->name; k++) {
		if (strlen(k->name) == len && strncmp(k->name, name, len) == 0) {
			*inline_val = eq ? eq + 1 : NULL;
			return k;
		}
		if (k->type == CONF_BOOL && len == strlen(k->name) + 3 &&
		    strncmp(name, "no-", 3) == 0 &&
		    strncmp(name + 3, k->name, len - 3) == 0 && !eq) {
			*negated = 1;
			return k;
		}
	}
	return NULL;
}

/* The value of flag argv[*i] matched to k: v when it came inline
 * ("--key=v"), on/off for a bare boolean ("--udp", "--no-udp"), else the
 * next argument (*i moves past it). 0, or -1 after saying it is missing. */
static int
flag_value(const struct conf_key *k, int neg, const char *cmd, int argc,
    char **argv, int *i, const char **v)
{
	if (*v != NULL)
		return 0;
	if (k->type == CONF_BOOL) {
		*v = neg ? "off" : "on";
		return 0;
	}
	if (*i + 1 >= argc) {
		fprintf(stderr, "camada %s: %s needs a value\n", cmd, argv[*i]);
		return -1;
	}
	*v = argv[++*i];
	return 0;
}

/* Puts key=value into sec, replacing what the file said about that key the
 * first time the command line names it. */
static int
cli_set(struct conf_section *sec, const char *key, const char *value)
{
	int seen_cli = 0;

	for (size_t i = 0; i < sec->n; i++)
		if (sec->kv[i].line == 0 && strcmp(sec->kv[i].key, key) == 0)
			seen_cli = 1;
	if (!seen_cli) {
		size_t j = 0;
		for (size_t i = 0; i < sec->n; i++) {
			if (strcmp(sec->kv[i].key, key) == 0) {
				free(sec->kv[i].key);
				free(sec->kv[i].value);
				continue;
			}
			sec->kv[j++] = sec->kv[i];
		}
		sec->n = j;
	}
	return conf_add_kv(sec, key, value, 0);
}

static void
section_copy(struct conf_section *dst, const struct conf_section *src)
{
	for (size_t i = 0; src && i < src->n; i++)
		if (conf_add_kv(dst, src->kv[i].key, src->kv[i].value,
		    src->kv[i].line) < 0)
			return;
}

static void
globals_usage(FILE *f, const char *usage_line, const char *summary)
{
	fprintf(f, "%s\n%s\n\noptions:\n", usage_line, summary);
	fprintf(f, "  %-30s %s\n", "-c, --config FILE",
	    "the config file; flags override its global keys");
	cli_print_keys(f, global_keys);
}

int
cli_parse_globals(int argc, char **argv, const char *usage_line,
    const char *summary, const char **file, struct conf_section *flags)
{
	const char *cmd = argv[0];

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v;
		const struct conf_key *k;
		int neg;

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			globals_usage(stdout, usage_line, summary);
			return 1;
		}
		if (strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "camada %s: %s needs a file\n", cmd, a);
				goto usage_error;
			}
			*file = argv[++i];
			continue;
		}
		if (strncmp(a, "--config=", 9) == 0) {
			*file = a + 9;
			continue;
		}
		k = a[0] == '-' ? match_flag(global_keys, a, &v, &neg) : NULL;
		if (k == NULL) {
			fprintf(stderr, "camada %s: unknown %s '%s'\n", cmd,
			    a[0] == '-' ? "flag" : "argument", a);
			goto usage_error;
		}
		if (flag_value(k, neg, cmd, argc, argv, &i, &v) < 0)
			goto usage_error;
		if (cli_set(flags, k->name, v) < 0) {
			fprintf(stderr, "camada %s: out of memory\n", cmd);
			return -1;
		}
	}
	return 0;

usage_error:
	globals_usage(stderr, usage_line, summary);
	return -1;
}

int
cli_run_server(const struct service *svc, int argc, char **argv,
    const char *summary, const char *positional_key)
{
	const char *cmd = argv[0], *file = NULL;
	struct conf cf, cli;
	struct conf_section *sec, *gsec;
	struct global_conf g;
	struct instance in;
	char err[CONF_ERR_LEN];
	int rc = 2;

	memset(&g, 0, sizeof(g));
	conf_init(&cli, "command line");
	gsec = conf_add_section(&cli, "", 0);
	sec = conf_add_section(&cli, svc->name, 0);
	memset(&cf, 0, sizeof(cf));

	/* first pass: -c FILE and --help */
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout, svc, cmd, summary);
			conf_free(&cli);
			return 0;
		}
		if (strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "camada %s: %s needs a file\n", cmd,
				    argv[i]);
				goto usage_error;
			}
			file = argv[++i];
		} else if (strncmp(argv[i], "--config=", 9) == 0) {
			file = argv[i] + 9;
		}
	}
	if (file) {
		if (conf_load(file, &cf, err) < 0) {
			fprintf(stderr, "camada: %s\n", err);
			goto out;
		}
		for (size_t i = 1; i < cf.n; i++) {
			if (strcmp(cf.sec[i].name, svc->name) == 0) {
				section_copy(sec, &cf.sec[i]);
				break;
			}
		}
		section_copy(gsec, &cf.sec[0]);
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v;
		const struct conf_key *k;
		struct conf_section *to = sec;
		int neg;

		if (strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) {
			i++;
			continue;
		}
		if (strncmp(a, "--config=", 9) == 0)
			continue;
		if (a[0] != '-' || strcmp(a, "-") == 0) {
			if (positional_key == NULL) {
				fprintf(stderr, "camada %s: unexpected argument '%s'\n",
				    cmd, a);
				goto usage_error;
			}
			if (cli_set(sec, positional_key, a) < 0)
				goto out;
			continue;
		}
		k = match_flag(svc->keys, a, &v, &neg);
		if (k == NULL) {
			k = match_flag(global_keys, a, &v, &neg);
			to = gsec;
		}
		if (k == NULL) {
			fprintf(stderr, "camada %s: unknown flag '%s'\n", cmd, a);
			goto usage_error;
		}
		if (flag_value(k, neg, cmd, argc, argv, &i, &v) < 0)
			goto usage_error;
		if (cli_set(to, k->name, v) < 0)
			goto out;
		/* -z a.zone b.zone: a list flag takes the bare words after it */
		if (k->type == CONF_STRS && positional_key &&
		    strcmp(k->name, positional_key) == 0)
			continue;
	}
	if (conf_apply(global_keys, gsec, &g, file ? file : "command line",
	    err) < 0) {
		fprintf(stderr, "camada: %s\n", err);
		goto out;
	}
	if (server_instance_init(&in, svc, sec, file ? file : "command line", 0,
	    err) < 0) {
		fprintf(stderr, "camada: %s\n", err);
		server_instances_free(&in, 1);
		goto out;
	}
	if (server_open_log(&g, err) < 0) {
		fprintf(stderr, "camada: %s\n", err);
		server_instances_free(&in, 1);
		goto out;
	}
	rc = server_run(&g, &in, 1);
	goto out;

usage_error:
	usage(stderr, svc, cmd, summary);
	rc = 2;
out:
	conf_release(global_keys, &g);
	conf_free(&cf);
	conf_free(&cli);
	return rc;
}
