/* fuzz_conf.c - libFuzzer target for the config file: conf_parse on the
 * bytes, then every section through conf_apply with one key of each type, so
 * that the value parsers, sock_parse_addr and the path joining (as from a
 * file in a folder) run on fuzzed values too. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/conf.h"

struct fz {
	char *root;
	long maxconn;
	int udp, workers;
	size_t max_line;
	uint64_t idle;
	struct conf_addrs listen;
	struct conf_strs vhost;
	char *log;
	struct conf_strs zone;
};

#define F(x) offsetof(struct fz, x)
static const struct conf_key keys[] = {
	{ "root", CONF_STR, F(root), "www", 0, 0, "", 0 },
	{ "max-connections", CONF_INT, F(maxconn), "100", 1, 1000000, "", 0 },
	{ "udp", CONF_BOOL, F(udp), "off", 0, 0, "", 0 },
	{ "workers", CONF_WORKERS, F(workers), "auto", 0, 0, "", 0 },
	{ "max-line", CONF_SIZE, F(max_line), "8k", 0, 0, "", 0 },
	{ "idle-timeout", CONF_MS, F(idle), "60s", 0, 0, "", 0 },
	{ "listen", CONF_ADDRS, F(listen), "0.0.0.0:7", 0, 0, "", 0 },
	{ "vhost", CONF_STRS, F(vhost), NULL, 0, 0, "", 0 },
	{ "log", CONF_PATH, F(log), "stderr", 0, 0, "", 0 },
	{ "zone", CONF_PATHS, F(zone), NULL, 0, 0, "", 0 },
	{ NULL, CONF_STR, 0, NULL, 0, 0, NULL, 0 },
};

int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t n)
{
	struct conf c;
	char err[CONF_ERR_LEN];

	if (conf_parse("f", p, n, &c, err) == 0) {
		for (size_t i = 0; i < c.n; i++) {
			struct fz o;
			memset(&o, 0, sizeof(o));
			conf_apply(keys, &c.sec[i], &o, "etc/f", err);
			conf_release(keys, &o);
		}
	} else if (strncmp(err, "f:", 2) != 0) {
		__builtin_trap(); /* every error is "FILE:LINE: message" */
	}
	conf_free(&c);
	return 0;
}
