/* test_mail_maildir.c - Maildir delivery in a temporary folder: the names
 * Dovecot expects (sec.M<usec>P<pid>Q<n>.host,S=<size>,W=<vsize>), the
 * sizes against the file, CRLF stored as LF, nothing left in tmp/, one
 * message to several mailboxes, a message read from a file descriptor
 * across the copy's piece boundary, unique names with two threads
 * delivering 1,000 each, failures reported per mailbox (a read-only
 * Maildir, a new/ that is not a folder), the path template and Maildir++
 * folders. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mail/mail_maildir.h"
#include "test.h"

static char root[64];

static const char *
mkroot(void)
{
	return test_tmpdir("maildir", root, sizeof(root));
}

/* The number of entries in dir (without . and ..); name gets the last. */
static int
count(const char *dir, char *name, size_t namelen)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		n++;
		if (name)
			snprintf(name, namelen, "%s", e->d_name);
	}
	closedir(d);
	return n;
}

static char *
slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	char *b;
	long len;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	b = malloc((size_t)len + 1);
	if (b && fread(b, 1, (size_t)len, f) != (size_t)len) {
		free(b);
		b = NULL;
	}
	fclose(f);
	if (b) {
		b[len] = '\0';
		*n = (size_t)len;
	}
	return b;
}

static int
mode_is(const char *path, mode_t want)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode) &&
	    (st.st_mode & 07777) == want;
}

/* The name's fields, S and W, and the size and LFs of the file. */
static int
check_name(const char *dir, const char *name, unsigned long long *s,
    unsigned long long *w)
{
	regex_t re;
	regmatch_t m[3];
	char host[70];
	int r;

	gethostname(host, sizeof(host));
	r = regcomp(&re, "^[0-9]+\\.M[0-9]+P[0-9]+Q[0-9]+\\.[^,/]+"
	    ",S=([0-9]+),W=([0-9]+)$", REG_EXTENDED);
	if (r != 0)
		return 0;
	r = regexec(&re, name, 3, m, 0);
	regfree(&re);
	if (r != 0)
		return 0;
	*s = strtoull(name + m[1].rm_so, NULL, 10);
	*w = strtoull(name + m[2].rm_so, NULL, 10);
	(void)dir;
	return 1;
}

static const char body[] =
    "From: alice@crepes.fr\r\nTo: bob@hamburger.edu\r\nSubject: hi\r\n"
    "\r\nA line.\r\nA lone \r CR stays.\r\n.dot\r\n";
static const char stored[] =
    "Return-Path: <alice@crepes.fr>\nDelivered-To: bob@hamburger.edu\n"
    "From: alice@crepes.fr\nTo: bob@hamburger.edu\nSubject: hi\n"
    "\nA line.\nA lone \r CR stays.\n.dot\n";

TEST(mail_maildir_deliver_one)
{
	char md[256], p[1024], name[512];
	struct mail_maildir_msg m = { (const uint8_t *)body,
		sizeof(body) - 1, -1, 0, "alice@crepes.fr" };
	struct mail_maildir_dest d = { 0 };
	unsigned long long s = 0, w = 0, lfs = 0;
	size_t n = 0;
	char *got;

	if (!mkroot()) {
		ok(0, "mkdtemp");
		return;
	}
	snprintf(md, sizeof(md), "%s/var/mail/hamburger.edu/bob", root);
	d.maildir = md;
	d.rcpt = "bob@hamburger.edu";
	ok(mail_maildir_deliver(&m, &d, 1) == 1 && d.ok, "delivered: %s",
	    d.err);
	snprintf(p, sizeof(p), "%s/tmp", md);
	ok(mode_is(md, 0700) && mode_is(p, 0700), "made, mode 0700");
	ok(count(p, NULL, 0) == 0, "nothing left in tmp/");
	snprintf(p, sizeof(p), "%s/cur", md);
	ok(mode_is(p, 0700) && count(p, NULL, 0) == 0, "cur/ empty");
	snprintf(p, sizeof(p), "%s/new", md);
	ok(count(p, name, sizeof(name)) == 1 && strcmp(name, d.name) == 0,
	    "one file in new/: %s", d.name);
	ok(check_name(p, d.name, &s, &w), "Dovecot's name: %s", d.name);
	snprintf(p, sizeof(p), "%s/new/%s", md, d.name);
	got = slurp(p, &n);
	ok(got != NULL && n == sizeof(stored) - 1 &&
	    memcmp(got, stored, n) == 0, "headers first, LF line ends");
	for (size_t i = 0; got && i < n; i++)
		lfs += got[i] == '\n';
	ok(s == n && w == n + lfs, ",S=%llu is the size %zu, ,W=%llu with CRLF",
	    s, n, w);
	free(got);
	{
		struct stat st;
		ok(stat(p, &st) == 0 && (st.st_mode & 0777) == 0600,
		    "the message is 0600");
	}
	test_rm_rf(root);
}

/* Two mailboxes in one folder share a new/, a third is elsewhere; the
 * null sender; the message from a file at an offset, its CRLF split by
 * the 64 KiB copy. */
TEST(mail_maildir_deliver_many_from_fd)
{
	char a[256], b[256], f[256], p[1024], name[512];
	struct mail_maildir_dest d[3];
	struct mail_maildir_msg m;
	size_t len = 65536 + 100, n = 0;
	uint8_t *msg = malloc(len);
	int fd;
	char *got;

	if (!mkroot() || msg == NULL) {
		ok(0, "setup");
		free(msg);
		return;
	}
	memset(msg, 'x', len);
	/* "\r\n" across offset 65536 of the message (the piece boundary):
	 * the message starts 7 bytes into the file. */
	msg[65535] = '\r';
	msg[65536] = '\n';
	msg[len - 2] = '\r';
	msg[len - 1] = '\n';
	snprintf(f, sizeof(f), "%s/spool", root);
	fd = open(f, O_RDWR | O_CREAT, 0600);
	ok(fd >= 0 && write(fd, "ENVELOP", 7) == 7 &&
	    write(fd, msg, len) == (ssize_t)len, "spool file");
	snprintf(a, sizeof(a), "%s/a", root);
	snprintf(b, sizeof(b), "%s/b", root);
	memset(d, 0, sizeof(d));
	d[0].maildir = a;
	d[0].rcpt = "x@a";
	d[1].maildir = a;
	d[1].rcpt = "y@a";
	d[2].maildir = b;
	d[2].rcpt = "z@b";
	m.data = NULL;
	m.len = len;
	m.fd = fd;
	m.off = 7;
	m.return_path = "";
	ok(mail_maildir_deliver(&m, d, 3) == 3 && d[0].ok && d[1].ok &&
	    d[2].ok, "three mailboxes");
	ok(strcmp(d[0].name, d[1].name) != 0, "two names in a/new");
	snprintf(p, sizeof(p), "%s/new", a);
	ok(count(p, NULL, 0) == 2, "a/new has 2");
	snprintf(p, sizeof(p), "%s/new", b);
	ok(count(p, name, sizeof(name)) == 1, "b/new has 1");
	snprintf(p, sizeof(p), "%s/new/%s", b, name);
	got = slurp(p, &n);
	{
		const char *h = "Return-Path: <>\nDelivered-To: z@b\n";
		size_t hn = strlen(h);
		ok(got != NULL && n == hn + len - 2 &&
		    memcmp(got, h, hn) == 0 &&
		    got[hn + 65535] == '\n' && got[hn + 65536] == 'x' &&
		    got[n - 1] == '\n', "CRLF across the piece made LF");
		ok(strstr(d[2].name, ",S=") && strtoull(strstr(d[2].name,
		    ",S=") + 3, NULL, 10) == n, "S is the size");
	}
	free(got);
	free(msg);
	close(fd);
	test_rm_rf(root);
}

struct runner {
	const char *maildir;
	int delivered;
};

static void *
deliver_many(void *arg)
{
	struct runner *r = arg;
	static const char small[] = "Subject: x\r\n\r\nbody\r\n";
	struct mail_maildir_msg m = { (const uint8_t *)small,
		sizeof(small) - 1, -1, 0, "a@b" };

	for (int i = 0; i < 1000; i++) {
		struct mail_maildir_dest d = { 0 };
		d.maildir = r->maildir;
		d.rcpt = "c@d";
		r->delivered += (int)mail_maildir_deliver(&m, &d, 1);
	}
	return NULL;
}

TEST(mail_maildir_unique_names_two_threads)
{
	char md[256], p[1024];
	struct runner r[2];
	pthread_t t[2];

	if (!mkroot()) {
		ok(0, "mkdtemp");
		return;
	}
	snprintf(md, sizeof(md), "%s/m", root);
	for (int i = 0; i < 2; i++) {
		r[i].maildir = md;
		r[i].delivered = 0;
		ok(pthread_create(&t[i], NULL, deliver_many, &r[i]) == 0,
		    "thread %d", i);
	}
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	ok(r[0].delivered == 1000 && r[1].delivered == 1000,
	    "1,000 each: %d %d", r[0].delivered, r[1].delivered);
	snprintf(p, sizeof(p), "%s/new", md);
	ok(count(p, NULL, 0) == 2000, "2,000 distinct files in new/");
	snprintf(p, sizeof(p), "%s/tmp", md);
	ok(count(p, NULL, 0) == 0, "tmp/ empty");
	test_rm_rf(root);
}

/* In a child that is not root (when the test runs as root, it drops to
 * nobody), a Maildir it may not write: the failure comes back with its
 * reason and nothing is left. */
TEST(mail_maildir_read_only_reported)
{
	char md[256], p[1024], err[MAIL_MAILDIR_ERR_LEN] = "";
	int fds[2], status = 0;
	pid_t pid;

	if (!mkroot() || pipe(fds) < 0) {
		ok(0, "setup");
		return;
	}
	snprintf(md, sizeof(md), "%s/ro", root);
	ok(mail_maildir_create(md, err, sizeof(err)) == 0, "made: %s", err);
	chmod(root, 0755);
	chmod(md, 0555);
	snprintf(p, sizeof(p), "%s/tmp", md);
	chmod(p, 0555);
	snprintf(p, sizeof(p), "%s/new", md);
	chmod(p, 0555);
	pid = fork();
	if (pid == 0) {
		struct mail_maildir_msg m = { (const uint8_t *)"x\r\n", 3, -1,
			0, "a@b" };
		struct mail_maildir_dest d = { 0 };
		size_t n;
		if (geteuid() == 0 && (setgid(65534) < 0 || setuid(65534) < 0))
			_exit(3);
		d.maildir = md;
		d.rcpt = "c@d";
		n = mail_maildir_deliver(&m, &d, 1);
		if (write(fds[1], d.err, strlen(d.err)) < 0)
			_exit(4);
		_exit(n == 0 && !d.ok ? 0 : 1);
	}
	close(fds[1]);
	{
		ssize_t k = read(fds[0], err, sizeof(err) - 1);
		err[k > 0 ? k : 0] = '\0';
	}
	close(fds[0]);
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "refused (status %d)", status);
	ok(strstr(err, "Permission denied") != NULL && strstr(err, md),
	    "the reason: %s", err);
	snprintf(p, sizeof(p), "%s/new", md);
	ok(count(p, NULL, 0) == 0, "nothing in new/");
	snprintf(p, sizeof(p), "%s/tmp", md);
	ok(count(p, NULL, 0) == 0, "nothing in tmp/");
	chmod(md, 0700);
	chmod(p, 0700);
	snprintf(p, sizeof(p), "%s/new", md);
	chmod(p, 0700);
	test_rm_rf(root);
}

/* One good mailbox and two bad ones in one call: each reported alone. */
TEST(mail_maildir_partial_failure)
{
	char good[256], bad[256], p[1024];
	struct mail_maildir_msg m = { (const uint8_t *)"x\r\n", 3, -1, 0,
		"a@b" };
	struct mail_maildir_dest d[3];
	int fd;

	if (!mkroot()) {
		ok(0, "mkdtemp");
		return;
	}
	snprintf(good, sizeof(good), "%s/good", root);
	snprintf(bad, sizeof(bad), "%s/bad", root);
	mkdir(bad, 0700);
	snprintf(p, sizeof(p), "%s/tmp", bad);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/new", bad);
	fd = open(p, O_WRONLY | O_CREAT, 0600);	/* new/ is a file */
	close(fd);
	memset(d, 0, sizeof(d));
	d[0].maildir = bad;
	d[0].rcpt = "x@y";
	d[1].maildir = good;
	d[1].rcpt = "x@y";
	d[2].maildir = good;
	d[2].rcpt = "evil\r\nBcc: x@y";
	ok(mail_maildir_deliver(&m, d, 3) == 1, "one of three");
	ok(!d[0].ok && strstr(d[0].err, "new") && d[0].name[0] == '\0',
	    "new/ not a folder: %s", d[0].err);
	ok(d[1].ok && d[1].err[0] == '\0', "the good one");
	ok(!d[2].ok && strstr(d[2].err, "CR or LF"), "header injection: %s",
	    d[2].err);
	snprintf(p, sizeof(p), "%s/tmp", bad);
	ok(count(p, NULL, 0) == 0, "bad/tmp empty");
	snprintf(p, sizeof(p), "%s/new", good);
	ok(count(p, NULL, 0) == 1, "good/new has 1");
	test_rm_rf(root);
}

TEST(mail_maildir_path_template)
{
	struct mail_user u = { 0 };
	char out[256], err[MAIL_MAILDIR_ERR_LEN];

	u.addr = "bob@hamburger.edu";
	u.local = "bob";
	u.domain = "hamburger.edu";
	ok(mail_maildir_path("var/mail/%d/%n", &u, out, sizeof(out), err,
	    sizeof(err)) == 0 && strcmp(out, "var/mail/hamburger.edu/bob") ==
	    0, "%%d/%%n: %s", out);
	ok(mail_maildir_path("/srv/%u/Maildir-100%%", &u, out, sizeof(out),
	    err, sizeof(err)) == 0 &&
	    strcmp(out, "/srv/bob@hamburger.edu/Maildir-100%") == 0,
	    "%%u and %%%%: %s", out);
	ok(mail_maildir_path("var/%x", &u, out, sizeof(out), err,
	    sizeof(err)) == -1 && strstr(err, "unknown %x"), "%s", err);
	ok(mail_maildir_path("var/%", &u, out, sizeof(out), err,
	    sizeof(err)) == -1, "a lone %%");
	ok(mail_maildir_path("var/mail/%d/%n", &u, out, 10, err,
	    sizeof(err)) == -1 && strstr(err, "too long"), "bounded");
	u.local = "a/../../etc";
	ok(mail_maildir_path("var/%n", &u, out, sizeof(out), err,
	    sizeof(err)) == -1 && strstr(err, "unsafe"), "'/' refused");
	u.local = "..";
	ok(mail_maildir_path("var/%n", &u, out, sizeof(out), err,
	    sizeof(err)) == -1, "'..' refused");
	u.local = ".hidden";
	ok(mail_maildir_path("var/%n", &u, out, sizeof(out), err,
	    sizeof(err)) == -1, "leading dot refused");
	u.local = "a b";
	ok(mail_maildir_path("var/%n", &u, out, sizeof(out), err,
	    sizeof(err)) == 0 && strcmp(out, "var/a b") == 0,
	    "a space is fine");
}

TEST(mail_maildir_folders)
{
	char md[256], p[1024], err[MAIL_MAILDIR_ERR_LEN] = "";
	struct stat st;

	if (!mkroot()) {
		ok(0, "mkdtemp");
		return;
	}
	snprintf(md, sizeof(md), "%s/m", root);
	ok(mail_maildir_folder_create(md, "Sent", err, sizeof(err)) == 0,
	    "Sent: %s", err);
	ok(mail_maildir_folder_create(md, "Sent", err, sizeof(err)) == 0,
	    "again: fine");
	ok(mail_maildir_folder_create(md, "Archive.2026", err,
	    sizeof(err)) == 0, "Archive.2026");
	snprintf(p, sizeof(p), "%s/.Sent/maildirfolder", md);
	ok(stat(p, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0,
	    "maildirfolder");
	snprintf(p, sizeof(p), "%s/.Sent", md);
	ok(mode_is(p, 0700), ".Sent 0700");
	snprintf(p, sizeof(p), "%s/.Sent/new", md);
	ok(mode_is(p, 0700), ".Sent/new");
	snprintf(p, sizeof(p), "%s/.Archive.2026/cur", md);
	ok(mode_is(p, 0700), ".Archive.2026/cur");
	snprintf(p, sizeof(p), "%s/cur", md);
	ok(mode_is(p, 0700), "the Maildir itself was made");
	static const char *const badn[] = { "", ".x", "x.", "a..b", "a/b",
		"../x", "a\nb" };
	for (size_t i = 0; i < sizeof(badn) / sizeof(badn[0]); i++)
		ok(mail_maildir_folder_create(md, badn[i], err, sizeof(err)) ==
		    -1, "'%s' refused", badn[i]);
	ok(count(md, NULL, 0) == 3, "tmp new cur only (dot folders hidden)");
	test_rm_rf(root);
}
