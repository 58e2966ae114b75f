// SPDX-License-Identifier: GPL-2.0
/*
 * make bench-scale, guest side: every TPM node busy at once.
 *
 * scale_client SECONDS NODE...: one thread per node, each opening its node
 * (or, for fd:N, using inherited file descriptor N: a socketpair to a
 * swtpm with no driver in the path) and then, once all are ready, sending TPM2_GetRandom(16) (write, then a
 * blocking read) back to back until SECONDS have passed.  Prints one line:
 *   nodes=N seconds=S ops=X ops_s=Y median_us=M p99_us=P errors=E
 * and exits 1 if any command failed (E > 0) or a node answered none.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const unsigned char cmd[] = {
	0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x7b, 0, 16
};

/* every thread opens its node, then all start together */
static pthread_barrier_t start;
static double t_start, t_end;

struct worker {
	pthread_t thread;
	const char *node;
	unsigned long *lat_us;	/* one per command answered */
	size_t n, cap;
	unsigned long errors;
	int first_errno;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* fd:N: an inherited descriptor, checked to be one */
static int inherited(const char *s)
{
	char *end;
	long fd;

	errno = 0;
	fd = strtol(s, &end, 10);
	if (errno || end == s || *end || fd < 3 || fd > 65535 ||
	    fcntl(fd, F_GETFD) < 0) {
		errno = EBADF;
		return -1;
	}
	return fd;
}

/* one response: a socket may hand it over in parts (28 bytes expected) */
static ssize_t read_rsp(int fd, unsigned char *rsp)
{
	ssize_t got = 0, n;

	while (got < 28) {
		n = read(fd, rsp + got, 64 - got);
		if (n <= 0)
			return n;
		got += n;
		if (got >= 6 && rsp[2] | rsp[3] | rsp[4] | (rsp[5] != 28))
			break;	/* not the size expected: an error */
	}
	return got;
}

static void *run(void *arg)
{
	struct worker *w = arg;
	unsigned char rsp[64];
	double t0;
	int fd = strncmp(w->node, "fd:", 3) ? open(w->node, O_RDWR) :
		 inherited(w->node + 3);

	if (fd < 0) {
		w->errors++;
		w->first_errno = errno;
	}
	pthread_barrier_wait(&start);
	if (fd < 0)
		return NULL;
	/*
	 * One clock reading per command: the end of one is the start of the
	 * next (a clock without a vDSO path, 6.1's HPET under TCG, costs a
	 * system call and an emulated device read each time)
	 */
	t0 = now();
	for (;;) {
		double t1;
		ssize_t n;

		if (t0 >= t_end)
			break;
		if (write(fd, cmd, sizeof(cmd)) != sizeof(cmd) ||
		    (n = read_rsp(fd, rsp)) != 28 ||
		    rsp[6] | rsp[7] | rsp[8] | rsp[9]) {
			if (!w->errors++)
				w->first_errno = errno;
			break;
		}
		if (w->n == w->cap) {
			unsigned long *p;

			w->cap = w->cap ? 2 * w->cap : 1024;
			p = realloc(w->lat_us, w->cap * sizeof(*p));
			if (!p) {
				w->errors++;
				w->first_errno = ENOMEM;
				break;
			}
			w->lat_us = p;
		}
		t1 = now();
		w->lat_us[w->n++] = (unsigned long)((t1 - t0) * 1e6);
		t0 = t1;
	}
	close(fd);
	return NULL;
}

static int cmp(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a;
	unsigned long y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	struct worker *w;
	unsigned long *all, errors = 0;
	size_t i, total = 0, k = 0, idle = 0;
	double seconds, t0, took;
	int nodes;

	if (argc < 3) {
		fprintf(stderr, "usage: %s SECONDS NODE...\n", argv[0]);
		return 2;
	}
	seconds = atof(argv[1]);
	nodes = argc - 2;
	w = calloc(nodes, sizeof(*w));
	if (!w || pthread_barrier_init(&start, NULL, nodes + 1))
		return 2;
	for (i = 0; i < (size_t)nodes; i++) {
		w[i].node = argv[i + 2];
		if (pthread_create(&w[i].thread, NULL, run, &w[i])) {
			fprintf(stderr, "pthread_create failed\n");
			return 2;
		}
	}
	/* the clock starts when the last thread is ready */
	t_start = now();
	t_end = t_start + seconds;
	pthread_barrier_wait(&start);
	t0 = t_start;
	for (i = 0; i < (size_t)nodes; i++) {
		pthread_join(w[i].thread, NULL);
		total += w[i].n;
		errors += w[i].errors;
		idle += !w[i].n;
		if (w[i].errors)
			fprintf(stderr, "%s: %lu error(s), first: %s\n", w[i].node,
				w[i].errors, strerror(w[i].first_errno));
	}
	took = now() - t0;
	all = malloc((total ? total : 1) * sizeof(*all));
	if (!all)
		return 2;
	for (i = 0; i < (size_t)nodes; i++) {
		memcpy(all + k, w[i].lat_us, w[i].n * sizeof(*all));
		k += w[i].n;
	}
	qsort(all, total, sizeof(*all), cmp);
	printf("nodes=%d seconds=%.2f ops=%zu ops_s=%.1f median_us=%lu p99_us=%lu errors=%lu idle=%zu\n",
	       nodes, took, total, total / took,
	       total ? all[total / 2] : 0, total ? all[total * 99 / 100] : 0,
	       errors, idle);
	return errors || idle ? 1 : 0;
}
