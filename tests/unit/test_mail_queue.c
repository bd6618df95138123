/* test_mail_queue.c - the queue in a temporary folder: put and read back
 * (envelope fields with spaces and '%', DSN parameters, the bytes), ids
 * unique across threads and processes and sorted by time, state saved and
 * read, removal, a torn tmp/ file and a stale state file cleaned by
 * mail_queue_open, a damaged message file reported, flush requests. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mail/mail_queue.h"
#include "test.h"

static char root[64];

static const char *
mkroot(void)
{
	return test_tmpdir("queue", root, sizeof(root));
}

static int
count(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static struct mail_queue_rcpt rcpts[] = {
	{"bob@hamburger.edu", "rfc822;bob@hamburger.edu",
	    MAIL_NOTIFY_FAILURE | MAIL_NOTIFY_DELAY},
	{"\"john doe%\"@example.org", NULL, 0},
};

static const struct mail_queue_env env1 = {
	.from = "alice@crepes.fr",
	.rcpt = rcpts,
	.nrcpt = 2,
	.body_8bit = 1,
	.ret_hdrs = 1,
	.envid = "QQ314159",
	.client = "[127.0.0.1] crepes.fr",
};

static const char msg1[] = "Subject: hi\r\n\r\nline one\r\n.dot\r\n";

TEST(mail_queue_put_read)
{
	const char *dir = mkroot();
	char id[MAIL_QUEUE_ID_LEN], err[MAIL_QUEUE_ERR_LEN], p[256];
	struct mail_queue_msg m;

	ok(dir != NULL, "mkdtemp");
	ok(mail_queue_put(dir, &env1, msg1, sizeof(msg1) - 1, id, err) == 0,
	    "put: %s", err);
	ok(strlen(id) == 25, "id length %zu", strlen(id));
	snprintf(p, sizeof(p), "%s/tmp", dir);
	ok(count(p) == 0, "nothing left in tmp/");
	ok(mail_queue_read(dir, id, &m, err) == 0, "read: %s", err);
	ok(strcmp(m.id, id) == 0, "id");
	ok(strcmp(m.env.from, "alice@crepes.fr") == 0, "from");
	ok(m.env.nrcpt == 2, "nrcpt");
	ok(strcmp(m.env.rcpt[0].addr, "bob@hamburger.edu") == 0, "rcpt 0");
	ok(strcmp(m.env.rcpt[0].orcpt, "rfc822;bob@hamburger.edu") == 0,
	    "orcpt");
	ok(m.env.rcpt[0].notify == (MAIL_NOTIFY_FAILURE | MAIL_NOTIFY_DELAY),
	    "notify");
	ok(strcmp(m.env.rcpt[1].addr, "\"john doe%\"@example.org") == 0,
	    "rcpt 1 with a space and a %%: %s", m.env.rcpt[1].addr);
	ok(m.env.rcpt[1].orcpt == NULL && m.env.rcpt[1].notify == 0,
	    "no DSN parameters");
	ok(m.env.body_8bit && !m.env.smtputf8 && m.env.ret_hdrs, "flags");
	ok(strcmp(m.env.envid, "QQ314159") == 0, "envid");
	ok(strcmp(m.env.client, "[127.0.0.1] crepes.fr") == 0, "client");
	ok(m.len == sizeof(msg1) - 1 && memcmp(m.data, msg1, m.len) == 0,
	    "data");
	ok(m.created > 0 && m.size > m.len, "created, size");
	ok(m.st[0].state == MAIL_QUEUE_PENDING && m.st[0].tries == 0 &&
	    m.st[0].next_try == 0, "fresh state");
	ok(!mail_queue_finished(&m, NULL), "not finished");
	mail_queue_msg_free(&m);

	/* The null sender and no optional fields. */
	struct mail_queue_env e2 = {.from = "", .rcpt = rcpts, .nrcpt = 1};

	ok(mail_queue_put(dir, &e2, "", 0, id, err) == 0, "put empty");
	ok(mail_queue_read(dir, id, &m, err) == 0, "read empty: %s", err);
	ok(strcmp(m.env.from, "") == 0 && m.env.envid == NULL &&
	    m.env.client == NULL && m.len == 0, "null sender, empty data");
	mail_queue_msg_free(&m);

	e2.nrcpt = 0;
	ok(mail_queue_put(dir, &e2, "x", 1, id, err) < 0, "no recipients");
	ok(mail_queue_read(dir, "../etc", &m, err) == 1, "bad id");
	ok(mail_queue_read(dir, "0123456789ABCDEF", &m, err) == 1, "no such");
	test_rm_rf(dir);
}

TEST(mail_queue_state_remove)
{
	const char *dir = mkroot();
	char id[MAIL_QUEUE_ID_LEN], err[MAIL_QUEUE_ERR_LEN];
	struct mail_queue_msg m;
	int64_t next = 0;

	ok(mail_queue_put(dir, &env1, msg1, sizeof(msg1) - 1, id, err) == 0,
	    "put: %s", err);
	ok(mail_queue_read(dir, id, &m, err) == 0, "read");
	m.st[0].state = MAIL_QUEUE_DONE;
	m.st[0].tries = 1;
	m.st[0].last_try = 1000;
	m.st[1].tries = 3;
	m.st[1].next_try = 123456;
	m.st[1].last_try = 2000;
	snprintf(m.st[1].err, sizeof(m.st[1].err),
	    "451 4.3.0 try again, 100%% sure");
	ok(mail_queue_save_state(dir, &m, err) == 0, "save: %s", err);
	ok(!mail_queue_finished(&m, &next) && next == 123456, "next try");
	mail_queue_msg_free(&m);
	ok(mail_queue_read(dir, id, &m, err) == 0, "read again");
	ok(m.st[0].state == MAIL_QUEUE_DONE && m.st[0].tries == 1 &&
	    m.st[0].last_try == 1000 && m.st[0].err[0] == '\0', "rcpt 0");
	ok(m.st[1].state == MAIL_QUEUE_PENDING && m.st[1].tries == 3 &&
	    m.st[1].next_try == 123456 && m.st[1].last_try == 2000, "rcpt 1");
	ok(strcmp(m.st[1].err, "451 4.3.0 try again, 100% sure") == 0,
	    "error text: %s", m.st[1].err);
	m.st[1].state = MAIL_QUEUE_FAILED;
	ok(mail_queue_finished(&m, NULL), "finished");

	char (*ids)[MAIL_QUEUE_ID_LEN];
	int n;

	ok(mail_queue_list(dir, &ids, &n, err) == 0 && n == 1 &&
	    strcmp(ids[0], id) == 0, "listed");
	free(ids);
	ok(mail_queue_remove(dir, id, err) == 0, "remove");
	ok(mail_queue_remove(dir, id, err) == 1, "removed twice");
	ok(mail_queue_save_state(dir, &m, err) == 1, "save after remove");
	mail_queue_msg_free(&m);
	ok(mail_queue_read(dir, id, &m, err) == 1, "gone");
	ok(mail_queue_list(dir, &ids, &n, err) == 0 && n == 0, "empty list");
	free(ids);
	test_rm_rf(dir);
}

struct put_arg {
	const char *dir;
	char (*ids)[MAIL_QUEUE_ID_LEN];
	int n, failed;
};

static void *
put_many(void *arg)
{
	struct put_arg *a = arg;
	char err[MAIL_QUEUE_ERR_LEN];

	for (int i = 0; i < a->n; i++)
		if (mail_queue_put(a->dir, &env1, "x\r\n", 3, a->ids[i],
		    err) < 0)
			a->failed++;
	return NULL;
}

TEST(mail_queue_unique_ids)
{
	const char *dir = mkroot();
	char err[MAIL_QUEUE_ERR_LEN];
	char (*ids)[MAIL_QUEUE_ID_LEN];
	struct put_arg a[2];
	pthread_t th[2];
	pid_t pid;
	int n, st, sorted = 1;

	/* A child process puts 200 while two threads put 300 each. */
	pid = fork();
	if (pid == 0) {
		char id[MAIL_QUEUE_ID_LEN];

		for (int i = 0; i < 200; i++)
			if (mail_queue_put(dir, &env1, "y\r\n", 3, id, err) < 0)
				_exit(1);
		_exit(0);
	}
	for (int i = 0; i < 2; i++) {
		a[i].dir = dir;
		a[i].n = 300;
		a[i].failed = 0;
		a[i].ids = calloc(300, MAIL_QUEUE_ID_LEN);
		pthread_create(&th[i], NULL, put_many, &a[i]);
	}
	for (int i = 0; i < 2; i++) {
		pthread_join(th[i], NULL);
		ok(a[i].failed == 0, "thread %d puts", i);
		free(a[i].ids);
	}
	ok(waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	    WEXITSTATUS(st) == 0, "child puts");
	ok(mail_queue_list(dir, &ids, &n, err) == 0, "list");
	ok(n == 800, "800 distinct messages, got %d", n);
	for (int i = 1; i < n; i++)
		if (strcmp(ids[i - 1], ids[i]) >= 0)
			sorted = 0;
	ok(sorted, "sorted and distinct");
	free(ids);
	test_rm_rf(dir);
}

static int flushed;

static void
on_flush(const char *id, void *arg)
{
	(void)arg;
	if (strcmp(id, "00000000000000000000000AB") == 0)
		flushed++;
}

TEST(mail_queue_open_clean_flush)
{
	const char *dir = mkroot();
	char err[MAIL_QUEUE_ERR_LEN], p[256], id[MAIL_QUEUE_ID_LEN];
	struct mail_queue_msg m;
	int fd;

	ok(mail_queue_open(dir, err) == 0, "open: %s", err);
	/* A torn file of a writer that is gone (pid 1 runs, so take a
	 * child's pid after it exited), one of a live writer, a stale state
	 * file, and a damaged message file. */
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	snprintf(p, sizeof(p), "%s/tmp/%ld.0000000000000000000000001", dir,
	    (long)pid);
	fd = open(p, O_WRONLY | O_CREAT, 0600);
	ok(fd >= 0 && write(fd, "camada-queue 1\ncre", 18) == 18, "torn");
	close(fd);
	snprintf(p, sizeof(p), "%s/tmp/%ld.0000000000000000000000002", dir,
	    (long)getpid());
	fd = open(p, O_WRONLY | O_CREAT, 0600);
	close(fd);
	snprintf(p, sizeof(p), "%s/state/00000000000000000000000AB", dir);
	fd = open(p, O_WRONLY | O_CREAT, 0600);
	close(fd);
	snprintf(p, sizeof(p), "%s/msg/00000000000000000000000CD", dir);
	fd = open(p, O_WRONLY | O_CREAT, 0600);
	ok(write(fd, "camada-queue 1\ndata 99\nabc", 26) == 26, "damaged");
	close(fd);

	ok(mail_queue_open(dir, err) == 0, "open again: %s", err);
	snprintf(p, sizeof(p), "%s/tmp", dir);
	ok(count(p) == 1, "the torn file is gone, the live one stays");
	snprintf(p, sizeof(p), "%s/state", dir);
	ok(count(p) == 0, "stale state removed");
	ok(mail_queue_read(dir, "00000000000000000000000CD", &m, err) == -1,
	    "damaged file reported");
	ok(strstr(err, "not a queue file") != NULL, "err %s", err);

	ok(mail_queue_flush_take(dir, on_flush, NULL, err) == 0, "no flush");
	ok(mail_queue_flush_request(dir, "00000000000000000000000AB",
	    err) == 0, "flush one");
	ok(mail_queue_flush_request(dir, "../x", err) < 0, "flush bad id");
	ok(mail_queue_flush_take(dir, on_flush, NULL, err) == 0 &&
	    flushed == 1, "one id taken");
	ok(mail_queue_flush_request(dir, NULL, err) == 0, "flush all");
	ok(mail_queue_flush_take(dir, on_flush, NULL, err) == 1, "all taken");
	ok(mail_queue_flush_take(dir, on_flush, NULL, err) == 0, "taken once");

	/* A put into a folder that does not exist yet makes it. */
	snprintf(p, sizeof(p), "%s/sub/queue", dir);
	ok(mail_queue_put(p, &env1, "z", 1, id, err) < 0, "no parent");
	snprintf(p, sizeof(p), "%s/new", dir);
	ok(mail_queue_put(p, &env1, "z", 1, id, err) == 0, "fresh: %s", err);
	test_rm_rf(dir);
}
