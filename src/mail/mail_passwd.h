/* mail_passwd.h - "camada passwd": a hashed password line for the users
 * file (mail_users.h), read from the terminal or standard input. */
#ifndef CAMADA_MAIL_PASSWD_H
#define CAMADA_MAIL_PASSWD_H

/* camada passwd [--scheme sha512|yescrypt|bcrypt] [USER@DOMAIN]: argv[0]
 * is "passwd". Prints "user@domain:{SCHEME}hash" (or "{SCHEME}hash"
 * without USER) to stdout. Returns the exit code: 0, 1 (the password
 * could not be read, the two differ, or it is empty), 2 (usage). */
int mail_passwd_main(int argc, char **argv);

#endif
