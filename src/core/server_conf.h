/* server_conf.h - "camada serve"'s config file over the process model: the
 * global flags over the file, "camada check", and what SIGHUP does with the
 * file (server.h runs the processes; this decides what they apply). */
#ifndef CAMADA_SERVER_CONF_H
#define CAMADA_SERVER_CONF_H

#include "core/conf.h"
#include "core/server.h"

/* Before server_run, for "camada serve -c FILE": SIGHUP re-reads file
 * (list: the systems, as for server_instances_from_conf; flags: global
 * keys the command line set, which win over the file's again on every
 * reload, or NULL). All three must outlive server_run. Without this call
 * SIGHUP only reopens logs and reloads zones (the one-system commands).
 *
 * On SIGHUP the parent reads and checks the file as "camada check" does.
 * An error is logged as FILE:LINE and the running configuration stays
 * (logs are still reopened and zones reloaded). Otherwise it logs each
 * change that needs a restart (workers, a restart key, a section added or
 * removed) and tells the workers, which re-read the file and apply the
 * rest: log keys, shutdown-timeout, and each service's reload. A worker
 * restarted later applies the reloaded file after its start. */
void server_conf_set(const char *file, const struct conf_section *flags,
    const struct service *const *list);

/* Puts every key of flags (the command line's global keys) into cf's
 * global section, replacing what the file said about it. 0, or -1 (out
 * of memory). */
int server_conf_override(struct conf *cf, const struct conf_section *flags);

/* Like server_instances_from_conf (server.h), then each instance's check: 0 ... n
 * instances, or -1 with err "FILE:LINE: message" (exit 2). The instances
 * have no listeners; free them with server_instances_free. */
int server_conf_check(struct conf *cf, const struct service *const *list,
    struct global_conf *g, struct instance *out, int max, char *err);

/* The file server_conf_set named, or NULL. */
const char *server_conf_file(void);

/* For server.c. The parent's half of a SIGHUP: reads and checks the file;
 * 0 when it is good (what needs a restart is logged, the log keys and
 * shutdown-timeout are moved into g), or -1 after logging the error. */
int server_conf_reload_parent(struct global_conf *g, struct instance *in,
    int n);
/* A worker's half: reads the file again and gives each running instance
 * its section's new values (see struct service's reload). Errors are
 * logged; what failed keeps running as it was. */
void server_conf_reload_worker(struct global_conf *g, struct instance *in,
    int n);

#endif
