/* http_mime.h - media types by file name (http_mime.c). */
#ifndef CAMADA_HTTP_MIME_H
#define CAMADA_HTTP_MIME_H

/* The media type for a file name ("text/html"). */
const char *http_mime_type(const char *path);
void http_mime_load(void);

#endif
