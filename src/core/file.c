/* file.c - whole-file reads for configuration-sized files. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/file.h"

int
file_read_all(const char *path, size_t max, char **data, size_t *len,
    struct stat *st_out, char *err, size_t errlen)
{
	struct stat st;
	size_t got = 0;
	char *p;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		snprintf(err, errlen, "%s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size > (uint64_t)max) {
		snprintf(err, errlen, "not a regular file of at most %zu bytes",
		    max);
		close(fd);
		return -1;
	}
	p = malloc((size_t)st.st_size + 1);
	if (p == NULL) {
		snprintf(err, errlen, "out of memory");
		close(fd);
		return -1;
	}
	/* a file that shrinks while we read it ends where it ends */
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, p + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	p[got] = '\0';
	*data = p;
	*len = got;
	if (st_out)
		*st_out = st;
	return 0;
}
