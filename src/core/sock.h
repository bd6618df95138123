/* sock.h - socket set-up: ADDR:PORT parsing, TCP listeners, UDP sockets,
 * non-blocking connect and accept. Functions return an fd or 0 on success and
 * -1 on failure, with a message in err[SOCK_ERR_LEN] where one is given. */
#ifndef CAMADA_SOCK_H
#define CAMADA_SOCK_H

#include <netinet/in.h>
#include <stddef.h>
#include <sys/socket.h>

#define SOCK_ERR_LEN 256
/* "[ffff:...]:65535" fits */
#define SOCK_ADDR_STRLEN 64

struct sock_addr {
	struct sockaddr_storage ss;
	socklen_t len;
};

/* Parses "1.2.3.4:80", "[::1]:80", "*:80" (IPv6 any, dual stack), ":80"
 * (IPv4 any) or "80" (IPv4 any). Port 0 means "choose one". No name lookup. */
int sock_parse_addr(const char *s, struct sock_addr *a, char *err);
/* Like sock_parse_addr but the port may be absent (default_port used). */
int sock_parse_host(const char *s, int default_port, struct sock_addr *a,
    char *err);
/* "1.2.3.4:80" or "[::1]:80" */
const char *sock_addr_str(const struct sock_addr *a, char *out, size_t n);
/* Only the address part: "1.2.3.4" or "::1". */
const char *sock_addr_host(const struct sock_addr *a, char *out, size_t n);
int sock_addr_port(const struct sock_addr *a);
void sock_addr_set_port(struct sock_addr *a, int port);
int sock_addr_is_loopback(const struct sock_addr *a);
int sock_addr_equal(const struct sock_addr *x, const struct sock_addr *y);

/* Options for listeners. */
#define SOCK_REUSEPORT 0x1
#define SOCK_V6ONLY 0x2

/* A non-blocking, close-on-exec TCP listener (SO_REUSEADDR always). */
int sock_listen_tcp(const struct sock_addr *a, int backlog, int flags,
    char *err);
/* A non-blocking, close-on-exec UDP socket bound to a. */
int sock_bind_udp(const struct sock_addr *a, int flags, char *err);
/* Reads the address the kernel bound (port 0 resolved). */
int sock_local_addr(int fd, struct sock_addr *a);

/* Accepts one connection, non-blocking and close-on-exec (conn_accept sets
 * TCP_NODELAY).
 * Returns the fd, or -1 with errno (EAGAIN when none waits). */
int sock_accept(int lfd, struct sock_addr *peer);

/* Starts a non-blocking connect; returns the fd (connected or in progress:
 * wait for writability, then sock_connect_result) or -1 with err. */
int sock_connect_tcp(const struct sock_addr *a, char *err);
/* 0 when the connect finished well, else the errno it failed with. */
int sock_connect_result(int fd);

int sock_set_nonblock(int fd);

#endif
