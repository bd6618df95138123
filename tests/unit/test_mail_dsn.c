/* test_mail_dsn.c - the DSN's bytes: the status code taken from a reply,
 * the multipart/report's parts and per-recipient fields, RET=HDRS, CRLF
 * only and no line over 998 octets; and Python's email package (the
 * stdlib's RFC 3464 reader) parsing it as a delivery-status report. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mail/mail_dsn.h"
#include "test.h"

TEST(mail_dsn_status)
{
	char st[16];

	mail_dsn_status("550 5.1.1 <bob@x>: no such user", 0, st);
	ok(strcmp(st, "5.1.1") == 0, "enhanced: %s", st);
	mail_dsn_status("452-4.2.2 mailbox full", 0, st);
	ok(strcmp(st, "4.2.2") == 0, "continuation: %s", st);
	mail_dsn_status("554 5.7.1", 0, st);
	ok(strcmp(st, "5.7.1") == 0, "code alone: %s", st);
	mail_dsn_status("550 no such user", 0, st);
	ok(strcmp(st, "5.0.0") == 0, "class only: %s", st);
	mail_dsn_status("451 later", 1, st);
	ok(strcmp(st, "4.0.0") == 0, "temporary: %s", st);
	mail_dsn_status("550 5.1234.1 x", 0, st);
	ok(strcmp(st, "5.0.0") == 0, "bad code: %s", st);
	mail_dsn_status("connection refused", 1, st);
	ok(strcmp(st, "4.0.0") == 0, "no reply, delayed: %s", st);
	mail_dsn_status(NULL, 0, st);
	ok(strcmp(st, "5.0.0") == 0, "none: %s", st);
}

static const char orig[] = "From: alice@crepes.fr\r\nTo: bob@hamburger.edu\r\n"
    "Subject: hello\r\n\r\nBonjour Bob\r\n.\r\nend\r\n";

static const struct mail_dsn_rcpt rcpts[] = {
	{"bob@hamburger.edu", "rfc822;bob@hamburger.edu", "mx.hamburger.edu",
	    "550 5.1.1 <bob@hamburger.edu>: no such user", 0},
	{"carol@hamburger.edu", NULL, NULL, "no MX or address for "
	    "hamburger.edu", 0},
};

static int
lines_ok(const char *p, size_t n)
{
	size_t start = 0;

	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\n' && (i == 0 || p[i - 1] != '\r'))
			return 0;
		if (p[i] == '\r' && (i + 1 == n || p[i + 1] != '\n'))
			return 0;
		if (p[i] == '\n') {
			if (i + 1 - start > 1000)
				return 0;
			start = i + 1;
		}
	}
	return n >= 2 && p[n - 2] == '\r' && p[n - 1] == '\n';
}

TEST(mail_dsn_build)
{
	struct mail_dsn d = {
		.reporting_mta = "crepes.fr",
		.sender = "alice@crepes.fr",
		.envid = "QQ314159",
		.queue_id = "06B1344A801B5C000254A0000",
		.arrival = 1796000000,
		.now = 1796000600,
		.msg = (const uint8_t *)orig,
		.len = sizeof(orig) - 1,
		.rcpt = rcpts,
		.nrcpt = 2,
	};
	char *out, err[MAIL_DSN_ERR_LEN];
	size_t len;

	ok(mail_dsn_build(&d, &out, &len, err) == 0, "build: %s", err);
	ok(lines_ok(out, len), "CRLF lines of at most 998 octets");
	ok(strstr(out, "To: <alice@crepes.fr>\r\n") != NULL, "To");
	ok(strstr(out, "Content-Type: multipart/report; "
	    "report-type=delivery-status;") != NULL, "multipart/report");
	ok(strstr(out, "Reporting-MTA: dns; crepes.fr\r\n") != NULL, "MTA");
	ok(strstr(out, "Original-Envelope-Id: QQ314159\r\n") != NULL,
	    "envid");
	ok(strstr(out, "Final-Recipient: rfc822; bob@hamburger.edu\r\n"
	    "Action: failed\r\nStatus: 5.1.1\r\n"
	    "Remote-MTA: dns; mx.hamburger.edu\r\n"
	    "Diagnostic-Code: smtp; 550 5.1.1") != NULL, "bob's fields");
	ok(strstr(out, "Original-Recipient: rfc822;bob@hamburger.edu\r\n") !=
	    NULL, "orcpt");
	ok(strstr(out, "Diagnostic-Code: X-camada; no MX") != NULL,
	    "our own reason");
	ok(strstr(out, "Content-Type: message/rfc822\r\n\r\nFrom: alice") !=
	    NULL, "the original follows");
	ok(strstr(out, "Bonjour Bob\r\n.\r\nend\r\n") != NULL, "whole body");
	ok(strstr(out, "Date: Fri, ") != NULL || strstr(out, "Date: ") !=
	    NULL, "a Date");

	/* Python's email package reads it as RFC 3464 does. */
	char path[] = "/tmp/camada-dsn-XXXXXX";
	int fd = mkstemp(path);

	ok(fd >= 0 && write(fd, out, len) == (ssize_t)len, "write");
	close(fd);
	if (access("/usr/bin/python3", X_OK) == 0) {
		char cmd[1024];

		snprintf(cmd, sizeof(cmd), "/usr/bin/python3 -c '"
		    "import email,sys\n"
		    "m=email.message_from_binary_file(\n"
		    "  open(sys.argv[1],\"rb\"))\n"
		    "assert m.get_content_type()==\"multipart/report\"\n"
		    "assert m.get_param(\"report-type\")==\"delivery-status\"\n"
		    "p=m.get_payload()\n"
		    "assert [x.get_content_type() for x in p]==[\"text/plain\","
		    "\"message/delivery-status\",\"message/rfc822\"]\n"
		    "b=p[1].get_payload()\n"
		    "assert len(b)==3, len(b)\n"
		    "assert b[0][\"Reporting-MTA\"]==\"dns; crepes.fr\"\n"
		    "assert b[1][\"Status\"]==\"5.1.1\"\n"
		    "assert b[2][\"Action\"]==\"failed\"\n"
		    "o=p[2].get_payload()[0]\n"
		    "assert o[\"Subject\"]==\"hello\"\n"
		    "assert not m.defects, m.defects\n"
		    "' %s", path);
		ok(system(cmd) == 0, "python's email package parses it");
	}
	unlink(path);
	free(out);

	/* RET=HDRS: only the header; one recipient delayed. */
	struct mail_dsn_rcpt r = {"bob@hamburger.edu", NULL, NULL,
	    "451 4.4.1 connection timed out", 1};

	d.ret_hdrs = 1;
	d.rcpt = &r;
	d.nrcpt = 1;
	d.envid = NULL;
	ok(mail_dsn_build(&d, &out, &len, err) == 0, "build hdrs");
	ok(lines_ok(out, len), "lines");
	ok(strstr(out, "Content-Type: text/rfc822-headers\r\n") != NULL,
	    "headers only");
	ok(strstr(out, "Bonjour") == NULL, "no body");
	ok(strstr(out, "Action: delayed\r\nStatus: 4.4.1\r\n") != NULL,
	    "delayed");
	ok(strstr(out, "Subject: Delayed Mail") != NULL, "subject");
	ok(strstr(out, "Original-Envelope-Id") == NULL, "no envid");
	free(out);

	d.nrcpt = 0;
	ok(mail_dsn_build(&d, &out, &len, err) < 0, "no recipients");
}
