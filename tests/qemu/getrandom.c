// SPDX-License-Identifier: GPL-2.0
/*
 * TPM2_GetRandom(16) through a /dev/tpmsafeN node, for the RAM-only sleep
 * guest (busybox's "<>" would create a regular file where a node is gone).
 * Exit 0 on a 28-byte answer; otherwise the errno or the length on stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	static const unsigned char cmd[] = {
		0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x7b, 0, 16
	};
	unsigned char rsp[4096];
	ssize_t n;
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: getrandom /dev/tpmsafeN\n");
		return 2;
	}
	fd = open(argv[1], O_RDWR);
	if (fd < 0) {
		fprintf(stderr, "%s: open: %s\n", argv[1], strerror(errno));
		return 1;
	}
	if (write(fd, cmd, sizeof(cmd)) != (ssize_t)sizeof(cmd)) {
		fprintf(stderr, "%s: write: %s\n", argv[1], strerror(errno));
		close(fd);
		return 1;
	}
	n = read(fd, rsp, sizeof(rsp));
	close(fd);
	if (n != 28) {
		fprintf(stderr, "%s: read: %zd bytes (%s)\n", argv[1], n,
			n < 0 ? strerror(errno) : "short");
		return 1;
	}
	return 0;
}
