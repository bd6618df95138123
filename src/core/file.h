/* file.h - reading a whole configuration-sized file (a config, a zone, a
 * users file) into memory, once, bounded. */
#ifndef CAMADA_FILE_H
#define CAMADA_FILE_H

#include <stddef.h>
#include <sys/stat.h>

/* Reads the regular file at path, at most max bytes, into a new buffer with
 * a NUL after the last byte (*data, freed by the caller; *len excludes the
 * NUL). st (may be NULL) gets the file's stat. Returns 0, or -1 with a short
 * reason in err ("No such file or directory", "not a regular file of at most
 * N bytes", "out of memory"); errno is kept from the failing call. */
int file_read_all(const char *path, size_t max, char **data, size_t *len,
    struct stat *st, char *err, size_t errlen);

#endif
