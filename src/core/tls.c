/* tls.c - placeholder while the transport is written (see tls.h). */
#include <stdio.h>

#include "core/tls.h"

struct tls_server *
tls_server_new(const struct tls_server_conf *cf, char *err)
{
	snprintf(err, TLS_ERR_LEN, "tls: not built yet");
	return NULL;
}

void tls_server_ref(struct tls_server *ts) {}
void tls_server_unref(struct tls_server *ts) {}

int
tls_server_check(const struct tls_server_conf *cf, char *err)
{
	snprintf(err, TLS_ERR_LEN, "tls: not built yet");
	return -1;
}

struct tls_client *
tls_client_new(const struct tls_client_conf *cf, char *err)
{
	snprintf(err, TLS_ERR_LEN, "tls: not built yet");
	return NULL;
}

void tls_client_ref(struct tls_client *tc) {}
void tls_client_unref(struct tls_client *tc) {}
void tls_metrics_register(void) {}
int tls_ktls_available(void) { return 0; }
