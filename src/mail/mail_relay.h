/* mail_relay.h - the relay runner: delivers the queue (mail_queue.h) to
 * other domains' servers. One runner per queue folder, on one loop (the
 * SMTP instance's worker 0, or `camada mailq run`): every scan interval
 * it reads the folder, takes flush requests, and for each destination
 * domain with recipients due looks up the MX (dns_mx.h; the smarthost
 * instead when set), tries each host in preference order (A/AAAA through
 * dns_stub), speaks ESMTP (STARTTLS when offered, opportunistic: the
 * certificate is not checked), and carries every due message for the
 * domain over one connection. Temporary failures are retried with
 * exponential backoff until max-queue-time; permanent ones and give-ups
 * queue a DSN (mail_dsn.h) to the sender, unless the sender is <> or asked
 * NOTIFY=NEVER. State lives in the queue's files only, so a restart (or
 * kill -9) carries on from what was saved: a message whose delivery was
 * cut after the remote 250 and before the state was saved is sent again
 * (the relay's window: at least once, never lost).
 *
 * Not here: PIPELINING (commands go one at a time, which every server
 * accepts), DANE/MTA-STS, connection caching across scans, concurrency
 * limits per destination. The queue's disk work runs on the loop's
 * thread: the runner belongs on a loop of its own or one with light load.
 */
#ifndef CAMADA_MAIL_RELAY_H
#define CAMADA_MAIL_RELAY_H

#include <stdint.h>

#include "core/loop.h"
#include "core/sock.h"

#define MAIL_RELAY_ERR_LEN 320

/* The settings, from [mail] and [smtp] (the names are the keys'). */
struct mail_relay_conf {
	const char *queue;		/* [mail] queue: the folder */
	const char *hostname;		/* [smtp] hostname: EHLO, DSN; NULL:
					 * gethostname */
	struct sock_addr resolver;	/* [mail] resolver; len 0: resolv.conf's
					 * first nameserver, port 53 */
	int smtp_port;			/* [smtp] smtp-port; 0: 25 */
	const char *smarthost;		/* [smtp] smarthost "host[:port]" or
					 * "[addr]:port"; NULL: by MX */
	int no_starttls;		/* 1: never STARTTLS */
	uint64_t scan_ms;		/* queue-scan; 0: 1000 */
	uint64_t retry_min_s;		/* retry-min; 0: 300 (then doubling) */
	uint64_t retry_max_s;		/* retry-max; 0: 4 h */
	uint64_t max_queue_time_s;	/* max-queue-time; 0: 5 days */
	uint64_t timeout_ms;		/* per reply and connect; 0: 300 s */
};

/* Registers the relay's metrics (smtp_delivered_total, smtp_deferred_
 * total, smtp_bounced_total, smtp_queue_depth). In setup, before the
 * workers fork; later calls do nothing. */
void mail_relay_metrics_register(void);

struct mail_relay;

/* Starts the runner on loop: makes the queue folder's layout and cleans
 * torn files (mail_queue_open), then scans at once and every scan_ms.
 * conf and its strings are copied. NULL with err. */
struct mail_relay *mail_relay_new(struct loop *loop,
    const struct mail_relay_conf *conf, char *err);
/* Stops: connections in flight are aborted, their recipients stay as
 * saved (they are tried again at the next start). */
void mail_relay_free(struct mail_relay *r);

#endif
