// SPDX-License-Identifier: GPL-2.0
/*
 * TPM2_GetRandom(16) through a /dev/tpmsafeN node, for the RAM-only sleep
 * guest (busybox's "<>" would create a regular file where a node is gone).
 * Exit 0 on a 28-byte answer; otherwise the errno or the length on stderr.
 * getrandom --tpm12 /dev/tpmsafeN: TPM_GetRandom(16), a 30-byte answer
 * with the TPM 1.2 response tag and no error.
 *
 * getrandom --nonblock-loop /dev/tpmsafeN COUNT_FILE: one O_NONBLOCK open,
 * then write, poll(POLLIN, 30 s) and read until SIGTERM, appending one
 * byte to COUNT_FILE per command answered (its size is the count).  Exit 0
 * when stopped so, 1 at the first failure: EAGAIN or any error from write
 * or read, a short answer, or a poll that times out.
 *
 * getrandom --rm-loop /dev/tpmsafermN COUNT_FILE: a resource-manager space
 * with a primary key and a policy session, used (TPM2_ReadPublic and
 * TPM2_PolicyGetDigest, blocking) until SIGTERM, one byte appended to
 * COUNT_FILE per round: the space's saved contexts must live through
 * every sleep cycle.  Exit 0 when stopped so, 1 at the first failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const unsigned char cmd[] = {
	0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x7b, 0, 16
};

static const unsigned char cmd12[] = {
	0, 0xc1, 0, 0, 0, 14, 0, 0, 0, 0x46, 0, 0, 0, 16
};

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static int nonblock_loop(const char *dev, const char *count_file)
{
	struct sigaction sa = { .sa_handler = on_term };	/* no SA_RESTART */
	unsigned char rsp[4096];
	unsigned long answered = 0;
	struct pollfd pfd;
	ssize_t n;
	int fd, cfd, rc;

	sigaction(SIGTERM, &sa, NULL);
	cfd = open(count_file, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
	fd = open(dev, O_RDWR | O_NONBLOCK);
	if (fd < 0 || cfd < 0) {
		fprintf(stderr, "%s: open: %s\n", fd < 0 ? dev : count_file,
			strerror(errno));
		return 1;
	}
	while (!stop) {
		if (write(fd, cmd, sizeof(cmd)) != (ssize_t)sizeof(cmd)) {
			if (stop && errno == EINTR)
				break;
			fprintf(stderr, "%s: write: %s after %lu answered\n", dev,
				strerror(errno), answered);
			return 1;
		}
		pfd.fd = fd;
		pfd.events = POLLIN;
		rc = poll(&pfd, 1, 30000);
		if (rc < 0 && errno == EINTR && stop)
			break;
		if (rc <= 0) {
			fprintf(stderr, "%s: poll: %s after %lu answered\n", dev,
				rc ? strerror(errno) : "no answer in 30 s",
				answered);
			return 1;
		}
		n = read(fd, rsp, sizeof(rsp));
		if (n != 28) {
			fprintf(stderr, "%s: read: %zd bytes (%s) after %lu answered\n",
				dev, n, n < 0 ? strerror(errno) : "short", answered);
			return 1;
		}
		answered++;
		if (write(cfd, ".", 1) != 1) {
			fprintf(stderr, "%s: write: %s\n", count_file,
				strerror(errno));
			return 1;
		}
	}
	printf("%lu commands answered\n", answered);
	return 0;
}

/* one blocking command; returns the response code, or -1 (logged) */
static long transact(int fd, const unsigned char *c, size_t len,
		     unsigned char *rsp, const char *what)
{
	ssize_t n;

	if (write(fd, c, len) != (ssize_t)len) {
		if (!(stop && errno == EINTR))
			fprintf(stderr, "%s: write: %s\n", what, strerror(errno));
		return -1;
	}
	n = read(fd, rsp, 4096);
	if (n < 10) {
		fprintf(stderr, "%s: read: %zd (%s)\n", what, n,
			n < 0 ? strerror(errno) : "short");
		return -1;
	}
	return (long)rsp[6] << 24 | rsp[7] << 16 | rsp[8] << 8 | rsp[9];
}

static int rm_loop(const char *dev, const char *count_file)
{
	/* ECC P-256 storage primary under the owner, empty password */
	static const unsigned char primary[] = {
		0x80, 0x02, 0, 0, 0, 0x43, 0, 0, 0x01, 0x31,
		0x40, 0, 0, 0x01, 0, 0, 0, 9, 0x40, 0, 0, 0x09, 0, 0, 0, 0, 0,
		0, 4, 0, 0, 0, 0,
		0, 0x1a, 0, 0x23, 0, 0x0b, 0, 0x03, 0, 0x72, 0, 0,
		0, 0x06, 0, 0x80, 0, 0x43, 0, 0x10, 0, 0x03, 0, 0x10,
		0, 0, 0, 0,
		0, 0, 0, 0, 0, 0,
	};
	/* a policy session: no key, no bind, SHA-256 */
	static const unsigned char session[] = {
		0x80, 0x01, 0, 0, 0, 0x3b, 0, 0, 0x01, 0x76,
		0x40, 0, 0, 0x07, 0x40, 0, 0, 0x07,
		0, 32, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
		17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32,
		0, 0, 1, 0, 0x10, 0, 0x0b,
	};
	unsigned char read_public[14] = {
		0x80, 0x01, 0, 0, 0, 14, 0, 0, 0x01, 0x73,
	};
	unsigned char digest[14] = {
		0x80, 0x01, 0, 0, 0, 14, 0, 0, 0x01, 0x89,
	};
	struct sigaction sa = { .sa_handler = on_term };
	unsigned char rsp[4096];
	unsigned long rounds = 0;
	long rc;
	int fd, cfd;

	sigaction(SIGTERM, &sa, NULL);
	cfd = open(count_file, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
	fd = open(dev, O_RDWR);
	if (fd < 0 || cfd < 0) {
		fprintf(stderr, "%s: open: %s\n", fd < 0 ? dev : count_file,
			strerror(errno));
		return 1;
	}
	rc = transact(fd, primary, sizeof(primary), rsp, "CreatePrimary");
	if (rc) {
		fprintf(stderr, "CreatePrimary: 0x%lx\n", rc);
		return 1;
	}
	memcpy(read_public + 10, rsp + 10, 4);
	rc = transact(fd, session, sizeof(session), rsp, "StartAuthSession");
	if (rc) {
		fprintf(stderr, "StartAuthSession: 0x%lx\n", rc);
		return 1;
	}
	memcpy(digest + 10, rsp + 10, 4);
	while (!stop) {
		rc = transact(fd, read_public, sizeof(read_public), rsp,
			      "ReadPublic");
		if (!rc)
			rc = transact(fd, digest, sizeof(digest), rsp,
				      "PolicyGetDigest");
		if (rc == -1 && stop)
			break;
		if (rc) {
			fprintf(stderr, "%s: 0x%lx after %lu rounds\n", dev, rc,
				rounds);
			return 1;
		}
		rounds++;
		if (write(cfd, ".", 1) != 1)
			return 1;
	}
	printf("%lu rounds\n", rounds);
	return 0;
}

int main(int argc, char **argv)
{
	const unsigned char *c = cmd;
	size_t clen = sizeof(cmd), want = 28;
	unsigned char rsp[4096];
	ssize_t n;
	int fd;

	if (argc == 3 && !strcmp(argv[1], "--tpm12")) {
		c = cmd12;
		clen = sizeof(cmd12);
		want = 30;
		argc--;
		argv++;
	}
	if (argc == 4 && !strcmp(argv[1], "--nonblock-loop"))
		return nonblock_loop(argv[2], argv[3]);
	if (argc == 4 && !strcmp(argv[1], "--rm-loop"))
		return rm_loop(argv[2], argv[3]);
	if (argc != 2) {
		fprintf(stderr, "usage: getrandom /dev/tpmsafeN\n"
			"       getrandom --tpm12 /dev/tpmsafeN\n"
			"       getrandom --nonblock-loop /dev/tpmsafeN COUNT_FILE\n");
		return 2;
	}
	fd = open(argv[1], O_RDWR);
	if (fd < 0) {
		fprintf(stderr, "%s: open: %s\n", argv[1], strerror(errno));
		return 1;
	}
	if (write(fd, c, clen) != (ssize_t)clen) {
		fprintf(stderr, "%s: write: %s\n", argv[1], strerror(errno));
		close(fd);
		return 1;
	}
	n = read(fd, rsp, sizeof(rsp));
	close(fd);
	/* TPM 1.2: tag 0x00C4, return code 0 */
	if (n == 30 && want == 30 &&
	    (rsp[0] || rsp[1] != 0xc4 || rsp[6] || rsp[7] || rsp[8] || rsp[9])) {
		fprintf(stderr, "%s: tag 0x%02x%02x, code 0x%02x%02x%02x%02x\n",
			argv[1], rsp[0], rsp[1], rsp[6], rsp[7], rsp[8], rsp[9]);
		return 1;
	}
	if (n != (ssize_t)want) {
		fprintf(stderr, "%s: read: %zd bytes (%s)\n", argv[1], n,
			n < 0 ? strerror(errno) : "short");
		return 1;
	}
	return 0;
}
