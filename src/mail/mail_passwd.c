/* mail_passwd.c - "camada passwd": reads a password (twice, without echo,
 * from a terminal; one line from a pipe) and prints the users file's line.
 * The hashing itself is mail_users_hash. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "mail/mail_addr.h"
#include "mail/mail_passwd.h"
#include "mail/mail_users.h"

#define PW_LINE (MAIL_USERS_PASSWORD_MAX + 2)

static void
usage(FILE *f)
{
	fprintf(f, "usage: camada passwd [--scheme sha512|yescrypt|bcrypt] "
	    "[USER@DOMAIN]\n"
	    "Reads a password (twice from a terminal, without echo; one line "
	    "from standard\ninput otherwise) and prints the line for the "
	    "[mail] users file:\n"
	    "  user@domain:{SHA512-CRYPT}$6$...\n"
	    "The default scheme is sha512 ({SHA512-CRYPT}); yescrypt prints "
	    "{CRYPT}$y$...,\nbcrypt {BLF-CRYPT}$2y$... Dovecot reads all "
	    "three.\n");
}

/* One line from fd into buf (without its newline, NUL-terminated).
 * Returns its length, or -1 on a read error, end of input before any
 * byte, or a line longer than the buffer. */
static long
read_line(int fd, char *buf, size_t cap)
{
	size_t n = 0;

	for (;;) {
		char c;
		ssize_t r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0) {
			if (n == 0)
				return -1;
			break;
		}
		if (c == '\n')
			break;
		if (n + 1 >= cap)
			return -1;
		buf[n++] = c;
	}
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	return (long)n;
}

/* Echo off, a prompt on stderr, then a line from the terminal on fd; echo
 * is restored before returning. Echo goes off before the prompt shows (as
 * getpass does), so nothing typed after the prompt is echoed or flushed. */
static long
read_hidden(int fd, const char *prompt, char *buf, size_t cap)
{
	struct termios old, quiet;
	long n;
	int have = tcgetattr(fd, &old) == 0;

	if (have) {
		quiet = old;
		quiet.c_lflag &= (tcflag_t)~(ECHO | ECHONL);
		quiet.c_lflag |= ICANON;
		tcsetattr(fd, TCSAFLUSH, &quiet);
	}
	fputs(prompt, stderr);
	fflush(stderr);
	n = read_line(fd, buf, cap);
	if (have)
		tcsetattr(fd, TCSANOW, &old);
	fputc('\n', stderr);
	return n;
}

int
mail_passwd_main(int argc, char **argv)
{
	enum mail_users_hash_kind kind = MAIL_USERS_HASH_SHA512;
	const char *user = NULL, *scheme = NULL;
	char pw[PW_LINE], again[PW_LINE], out[512], err[256];
	char addr[MAIL_ADDR_STRLEN];
	long n;
	int rc = 1;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			return 0;
		}
		if (strcmp(a, "--scheme") == 0 || strcmp(a, "-s") == 0) {
			if (++i >= argc) {
				fprintf(stderr, "camada passwd: %s needs a "
				    "value\n", a);
				usage(stderr);
				return 2;
			}
			scheme = argv[i];
		} else if (strncmp(a, "--scheme=", 9) == 0) {
			scheme = a + 9;
		} else if (a[0] == '-' && a[1] != '\0') {
			fprintf(stderr, "camada passwd: unknown option '%s'\n",
			    a);
			usage(stderr);
			return 2;
		} else if (user == NULL) {
			user = a;
		} else {
			fprintf(stderr, "camada passwd: one USER@DOMAIN at "
			    "most\n");
			usage(stderr);
			return 2;
		}
	}
	if (scheme == NULL || strcmp(scheme, "sha512") == 0)
		kind = MAIL_USERS_HASH_SHA512;
	else if (strcmp(scheme, "yescrypt") == 0)
		kind = MAIL_USERS_HASH_YESCRYPT;
	else if (strcmp(scheme, "bcrypt") == 0)
		kind = MAIL_USERS_HASH_BCRYPT;
	else {
		fprintf(stderr, "camada passwd: --scheme: '%s' is not one of "
		    "sha512, yescrypt, bcrypt\n", scheme);
		return 2;
	}
	if (user != NULL) {
		struct mail_addr ad;
		struct mail_addr_err e;
		if (mail_addr_parse_mailbox((const uint8_t *)user,
		    strlen(user), MAIL_ADDR_UTF8, &ad, &e) < 0) {
			fprintf(stderr, "camada passwd: '%s' is not an address "
			    "user@domain (%s)\n", user, e.text);
			return 2;
		}
		mail_addr_format(&ad, addr, sizeof(addr));
	}
	if (isatty(STDIN_FILENO)) {
		n = read_hidden(STDIN_FILENO, "Password: ", pw, sizeof(pw));
		if (n >= 0) {
			long m = read_hidden(STDIN_FILENO, "Retype password: ",
			    again, sizeof(again));
			if (m != n || memcmp(pw, again, (size_t)n) != 0) {
				fprintf(stderr, "camada passwd: the passwords "
				    "differ\n");
				goto out;
			}
		}
	} else {
		n = read_line(STDIN_FILENO, pw, sizeof(pw));
	}
	if (n < 0) {
		fprintf(stderr, "camada passwd: no password read (a line of at "
		    "most %d bytes)\n", MAIL_USERS_PASSWORD_MAX);
		goto out;
	}
	if (n == 0) {
		fprintf(stderr, "camada passwd: empty password\n");
		goto out;
	}
	if (mail_users_hash(kind, pw, (size_t)n, out, sizeof(out), err,
	    sizeof(err)) < 0) {
		fprintf(stderr, "camada passwd: %s\n", err);
		goto out;
	}
	if (user != NULL)
		printf("%s:%s\n", addr, out);
	else
		printf("%s\n", out);
	rc = fflush(stdout) == 0 ? 0 : 1;
out:
	explicit_bzero(pw, sizeof(pw));
	explicit_bzero(again, sizeof(again));
	return rc;
}
