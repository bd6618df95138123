/* mailq.h - "camada mailq": the outgoing queue (mail_queue.h) for an
 * operator: list it, ask the relay runner to retry now, delete. */
#ifndef CAMADA_MAILQ_H
#define CAMADA_MAILQ_H

/* camada mailq [-c CONF] [--queue DIR] [flush [ID] | delete ID]: argv[0]
 * is "mailq". The queue is DIR, else CONF's (default_conf without -c)
 * [mail] `queue`, relative to CONF's folder. Without an action it lists
 * each message (id, size, age, sender) and its recipients (state, tries,
 * next try, last error). flush writes a request the runner takes within
 * its scan interval. A hidden action for tests and scripts, `put FROM RCPT
 * ...`, queues standard input as a message (mail_queue_put) and prints its
 * id. Returns the exit code: 0, 1 (a queue error; delete of an unknown id),
 * 2 (usage, or no queue configured). */
int mailq_main(int argc, char **argv, const char *default_conf);

#endif
