/* server.h - how a system plugs into camada, and the process model that runs
 * it: a parent that reads the configuration, opens every listening socket,
 * prints "listening on" lines and supervises N worker processes; each worker
 * runs one loop and starts every configured instance on it.
 *
 *   parent: service->setup(inst)      register metrics, open listeners
 *   worker: service->start(inst, w)   watch the listeners, serve
 *           service->stop(inst, w)    SIGTERM: stop accepting, wind down
 *                                     (then the core stops its sessions)
 *           service->reload(inst, err) SIGHUP with a new config (below;
 *                                     server_conf.h says when)
 *   both:   service->check(inst, err) "camada check", and the parent's
 *                                     check of a config before a reload
 *
 * Listening sockets use SO_REUSEPORT: the parent opens one per worker on the
 * same address, so the kernel spreads connections across workers, and keeps
 * them all open so that a restarted worker finds its queue intact.
 */
#ifndef CAMADA_SERVER_H
#define CAMADA_SERVER_H

#include <stddef.h>

#include "core/conf.h"
#include "core/listener.h"
#include "core/udp.h"
#include "core/loop.h"
#include "core/metrics.h"
#include "core/sock.h"

#define SERVER_MAX_INSTANCES 64
#define SERVER_MAX_LISTEN 32

/* Threads in a worker's pool: blocking disk work is short and rare. */
#define SERVER_POOL_THREADS 2

struct instance;
struct session_set;
struct pool;
struct worker {
	struct loop *loop;
	int idx;
	/* The process's one stopping flag: set once SIGTERM (or SIGINT)
	 * arrived, before any service's stop runs, never cleared. Services
	 * read it through their session set (session_stopping) or here. */
	int stopping;
	struct pool *pool;       /* server_pool makes it at first use */
};

/* The worker's thread pool (core/pool.h), made at the first call with
 * SERVER_POOL_THREADS threads, so a worker whose services never block has
 * no threads. It lives until the worker exits: after the services' stop, the
 * shutdown waits for its jobs as for connections, then the pool is freed
 * (jobs still queued run, every done function runs) before the services'
 * release. NULL when it cannot be made (errno). */
struct pool *server_pool(struct worker *w);

struct service {
	const char *name;               /* its section: "echo" */
	const struct conf_key *keys;    /* its config keys */
	size_t conf_size;               /* sizeof its config struct */
	int (*setup)(struct instance *in, char *err);
	int (*start)(struct instance *in, struct worker *w, char *err);
	void (*stop)(struct instance *in, struct worker *w);
	void (*release)(struct instance *in); /* frees what setup made */
	void (*reopen)(struct instance *in);  /* SIGHUP: reopen its own logs */
	/* Checks what the config names beyond its keys (roots exist, zone
	 * files and root hints parse, ACLs, formats) without opening a
	 * socket or keeping anything: 0, or -1 with err. in has only svc,
	 * index and conf. Runs for "camada check" and, in the parent, on the
	 * new config before a reload. May be NULL. */
	int (*check)(struct instance *in, char *err);
	/* SIGHUP with a changed, valid config, in a worker: the core has
	 * already moved every key not in restart_keys from the file into
	 * in->conf (the struct stays where it was; pointers to it stay
	 * good). Rebuild what was derived from those keys (fds, tables,
	 * limits of new connections) and keep what is in flight: 0, or -1
	 * with err, and the core moves the old values back. Build the new
	 * before freeing the old, so a failure leaves the service as it
	 * was. NULL: the service keeps running on its old derived state. */
	int (*reload)(struct instance *in, char *err);
	/* Keys that cannot change without a restart (NULL-terminated; NULL:
	 * none): the listeners' ("listen"), and what setup sized in shared
	 * memory. A reload keeps their old values and logs "restart needed
	 * to apply" with the line of the new value. */
	const char *const *restart_keys;
	/* A section whose keys every section of this service takes unless it
	 * sets them itself ("mail": the store's keys shared by [smtp] and,
	 * later, [pop3] and [imap]), and those keys (only names are read).
	 * The shared section makes no instance; a key of it that no service
	 * knows is an error. NULL: none. */
	const char *shared_section;
	const struct conf_key *shared_keys;
};

struct listen_sock {
	int udp;
	struct sock_addr addr;   /* as bound (port 0 resolved) */
	int fds[METRICS_MAX_WORKERS];
	int nfds;
};

struct instance {
	const struct service *svc;
	void *conf;              /* the service's config struct */
	int index;               /* 0 for the first [echo], 1 for the second */
	char *file;              /* the config file it came from, for
	                          * messages ("command line" for flags) */
	int line;                /* its [section]'s line, 0 if none */
	struct listen_sock ls[SERVER_MAX_LISTEN];
	int nls;
	void *state;             /* the service's, per process */
	struct session_set *sessions; /* its TCP sessions, once listening
	                          * (session_set_listen): the core stops them
	                          * after the service's stop; the service's
	                          * release frees them (it knows what must go
	                          * first: work that holds sessions) */
};

/* A worker's watch over an instance's listening sockets: every service
 * starts and stops it the same way. */
struct server_watch {
	struct listener tcp[SERVER_MAX_LISTEN];
	struct udp_sock udp[SERVER_MAX_LISTEN];
};

/* In start: accept on the TCP listeners with on_accept (given tcp_arg),
 * read the UDP ones with on_datagram (given udp_arg; max_dgram bytes at
 * most; NULL if the service has none). 0, or -1 with err. Services call it
 * through session_set_listen. */
int server_watch_start(struct server_watch *sw, struct instance *in,
    struct worker *w, listener_cb *on_accept, udp_cb *on_datagram,
    size_t max_dgram, void *tcp_arg, void *udp_arg, char *err);
/* In stop: stop watching (the sockets stay open in the parent). */
void server_watch_stop(struct server_watch *sw, struct instance *in);

struct global_conf {
	int workers;             /* 0: one per core */
	char *log;
	char *log_level;
	char *log_format;
	uint64_t shutdown_timeout_ms;
};

extern const struct conf_key global_keys[];

/* list: NULL-terminated, the systems main.c knows. */
const struct service *service_find(const struct service *const *list,
    const char *name);

/* In setup: opens the listener(s) for a on every worker and prints the
 * "listening on" line. Returns its index in in->ls, or -1 with err. */
int server_listen(struct instance *in, const struct sock_addr *a, int udp,
    char *err);
/* TCP and UDP on one address (DNS, echo): with port 0, one port free for
 * both. Prints both lines; returns the TCP listener's index (the UDP one
 * follows it), or -1 with err. */
int server_listen_both(struct instance *in, const struct sock_addr *a,
    char *err);

/* Opens the log named by the global keys. 0, or -1 with err. */
int server_open_log(const struct global_conf *g, char *err);

/* Runs the instances until SIGTERM/SIGINT. Returns the exit code. g is
 * the caller's and must outlive the call: a reload changes its log keys
 * and shutdown-timeout in place. */
int server_run(struct global_conf *g, struct instance *in, int n);

/* Builds instances from a whole config file ("camada serve"). Returns the
 * number of instances, or -1 with err (exit 2). */
int server_instances_from_conf(struct conf *cf,
    const struct service *const *list, struct global_conf *g,
    struct instance *out, int max, char *err);
/* Fills one instance of svc from a config section (NULL: defaults). */
int server_instance_init(struct instance *in, const struct service *svc,
    struct conf_section *sec, const char *file, int index, char *err);
void server_instances_free(struct instance *in, int n);

#endif
