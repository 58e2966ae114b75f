// SPDX-License-Identifier: GPL-2.0
/*
 * make bench, guest side: the one client every path is measured with.
 *
 * lat_client [-i] N WARMUP FD:CMD_HEX...: one thread per inherited file
 * descriptor (a TPM node, a unix socket to swtpm, or one end of a
 * socketpair to `swtpm chardev --fd`), each sending its command as one
 * write() and reading the response, WARMUP times, then, once all threads
 * are ready, N timed round trips.  -i: one thread takes the descriptors
 * in turn, one round trip each, N rounds: paths compared under the same
 * conditions, whatever drifts during the run.  TPM_RC_RETRY and TPM_RC_TESTING are sent
 * again, as every driver does; any other non-zero code is an error.
 *
 * Prints one line of totals over the timed part, all threads together:
 *   n=N wall_ns=W sched_ns=S stat_busy_ns=B ctxt=C errors=E
 * (S: run time of all non-idle tasks from /proc/schedstat; B: wall time
 * times CPUs minus idle and iowait from /proc/stat; C: context switches
 * from /proc/stat), then one line per command: the index of its
 * descriptor (0 for the first) and its round trip in ns.
 * Exits 1 when a command failed or a thread answered fewer than N.
 */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TPM_BUF 4096
/* resends of one command while the TPM says retry or testing */
#define MAX_RETRIES 1000

/* ready: every thread warmed up; go: the counters are read, time them */
static pthread_barrier_t ready, go;
static long n_timed, n_warm;
static int nfd;

struct worker {
	pthread_t thread;
	int fd;
	unsigned char cmd[TPM_BUF];
	size_t cmd_len;
	unsigned long long *lat_ns;
	long n;
	unsigned long errors;
	int first_errno;
	unsigned int first_rc;
};

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static unsigned int be32(const unsigned char *p)
{
	return (unsigned int)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

/* one write, then the response (a stream socket may return it in parts) */
static long round_trip(struct worker *w, unsigned char *rsp)
{
	size_t got = 0, want = 10;

	ssize_t wrote = write(w->fd, w->cmd, w->cmd_len);

	if (wrote != (ssize_t)w->cmd_len) {
		if (wrote >= 0)
			errno = EIO;	/* a short write: not one command */
		return -1;
	}
	while (got < want) {
		ssize_t n = read(w->fd, rsp + got, TPM_BUF - got);

		if (n <= 0) {
			if (!n)
				errno = EPIPE;
			return -1;
		}
		got += n;
		if (got >= 10) {
			want = be32(rsp + 2);
			if (want < 10 || want > TPM_BUF || got > want) {
				errno = EPROTO;
				return -1;
			}
		}
	}
	return be32(rsp + 6);
}

/* a round trip, again while the TPM says retry (0x922) or testing (0x90a) */
static int one(struct worker *w, unsigned char *rsp)
{
	int tries = 0;
	long rc;

	do
		rc = round_trip(w, rsp);
	while ((rc == 0x922 || rc == 0x90a) && ++tries < MAX_RETRIES);
	if (!rc)
		return 0;
	if (rc > 0 && tries == MAX_RETRIES) {
		errno = ETIME;	/* still retry or testing: an error */
		rc = -1;
	}
	if (!w->errors++) {
		w->first_errno = rc < 0 ? errno : 0;
		w->first_rc = rc < 0 ? 0 : rc;
	}
	return -1;
}

static void *run(void *arg)
{
	struct worker *w = arg;
	unsigned char rsp[TPM_BUF];
	long i;

	for (i = 0; i < n_warm && !w->errors; i++)
		one(w, rsp);
	pthread_barrier_wait(&ready);
	pthread_barrier_wait(&go);
	for (i = 0; i < n_timed && !w->errors; i++) {
		unsigned long long t0 = now_ns();

		if (one(w, rsp))
			break;
		w->lat_ns[w->n++] = now_ns() - t0;
	}
	return NULL;
}

/* -i: every worker's round trips in turn, from one thread */
static void *run_alternating(void *arg)
{
	struct worker *w = arg;
	unsigned char rsp[TPM_BUF];
	long i;
	int k;

	for (i = 0; i < n_warm; i++)
		for (k = 0; k < nfd; k++)
			if (!w[k].errors)
				one(&w[k], rsp);
	pthread_barrier_wait(&ready);
	pthread_barrier_wait(&go);
	for (i = 0; i < n_timed; i++) {
		for (k = 0; k < nfd; k++) {
			unsigned long long t0 = now_ns();

			if (w[k].errors || one(&w[k], rsp))
				return NULL;
			w[k].lat_ns[w[k].n++] = now_ns() - t0;
		}
	}
	return NULL;
}

static void die(const char *what)
{
	fprintf(stderr, "lat_client: %s: %s\n", what, strerror(errno));
	exit(2);
}

/* non-idle run time of every CPU so far, ns */
static unsigned long long sched_ns(void)
{
	unsigned long long sum = 0, v[8];
	char line[512], name[32];
	FILE *f = fopen("/proc/schedstat", "r");
	int cpus = 0;

	if (!f)
		die("/proc/schedstat");
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%31s %llu %llu %llu %llu %llu %llu %llu %llu",
			   name, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
			   &v[6], &v[7]) == 9 && !strncmp(name, "cpu", 3)) {
			sum += v[6];	/* rq_cpu_time */
			cpus++;
		}
	fclose(f);
	if (!cpus) {
		errno = ENODATA;
		die("/proc/schedstat: no cpu line");
	}
	return sum;
}

/* busy time of all CPUs (wall x CPUs - idle - iowait), ns; context switches */
static unsigned long long stat_busy_ns(unsigned long long *ctxt)
{
	unsigned long long idle = 0, io = 0, x;
	long tick = sysconf(_SC_CLK_TCK), ncpu = 0;
	char line[1024], name[32];
	FILE *f = fopen("/proc/stat", "r");
	unsigned long long t = now_ns();

	if (!f)
		die("/proc/stat");
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%31s", name) != 1)
			continue;
		if (!strcmp(name, "cpu"))
			sscanf(line, "%*s %llu %llu %llu %llu %llu", &x, &x, &x,
			       &idle, &io);
		else if (!strncmp(name, "cpu", 3))
			ncpu++;
		else if (!strcmp(name, "ctxt"))
			sscanf(line, "%*s %llu", ctxt);
	}
	fclose(f);
	return t * ncpu - (idle + io) * (1000000000ULL / tick);
}

/* FD:CMD_HEX */
static int parse(struct worker *w, const char *arg)
{
	char *s;
	size_t len, i;
	long fd;

	errno = 0;
	fd = strtol(arg, &s, 10);
	if (errno || s == arg || *s != ':' || fd < 0 || fd > 65535)
		return -1;
	w->fd = fd;
	len = strlen(++s);
	if (len % 2 || len / 2 < 10 || len / 2 > TPM_BUF)
		return -1;
	for (i = 0; i < len / 2; i++) {
		char pair[3] = { s[2 * i], s[2 * i + 1], 0 };

		if (!isxdigit((unsigned char)pair[0]) ||
		    !isxdigit((unsigned char)pair[1]))
			return -1;
		w->cmd[i] = strtoul(pair, NULL, 16);
	}
	w->cmd_len = len / 2;
	return be32(w->cmd + 2) == w->cmd_len ? 0 : -1;
}

int main(int argc, char **argv)
{
	unsigned long long s0, s1, b0, b1, c0 = 0, c1 = 0, t0, t1;
	unsigned long errors = 0;
	struct worker *w;
	int i, alt = argc > 1 && !strcmp(argv[1], "-i"), threads;
	long total = 0, j;

	argv += alt;
	argc -= alt;
	if (argc < 4) {
		fprintf(stderr, "usage: lat_client [-i] N WARMUP FD:CMD_HEX...\n");
		return 2;
	}
	n_timed = atol(argv[1]);
	n_warm = atol(argv[2]);
	nfd = argc - 3;
	threads = alt ? 1 : nfd;
	w = calloc(nfd, sizeof(*w));
	if (!w || n_timed <= 0 ||
	    pthread_barrier_init(&ready, NULL, threads + 1) ||
	    pthread_barrier_init(&go, NULL, threads + 1))
		return 2;
	for (i = 0; i < nfd; i++) {
		if (parse(&w[i], argv[i + 3])) {
			fprintf(stderr, "bad FD:CMD_HEX: %.40s\n", argv[i + 3]);
			return 2;
		}
		w[i].lat_ns = calloc(n_timed, sizeof(*w[i].lat_ns));
		if (!w[i].lat_ns) {
			fprintf(stderr, "out of memory\n");
			return 2;
		}
	}
	for (i = 0; i < threads; i++)
		if (pthread_create(&w[i].thread, NULL, alt ? run_alternating : run,
				   alt ? (void *)w : &w[i])) {
			fprintf(stderr, "out of threads\n");
			return 2;
		}
	/* the counters read while every thread waits, then all go */
	pthread_barrier_wait(&ready);
	s0 = sched_ns();
	b0 = stat_busy_ns(&c0);
	t0 = now_ns();
	pthread_barrier_wait(&go);
	for (i = 0; i < threads; i++)
		pthread_join(w[i].thread, NULL);
	t1 = now_ns();
	s1 = sched_ns();
	b1 = stat_busy_ns(&c1);
	for (i = 0; i < nfd; i++) {
		total += w[i].n;
		errors += w[i].errors;
		if (w[i].errors)
			fprintf(stderr, "fd %d: %lu error(s), first: %s rc 0x%x\n",
				w[i].fd, w[i].errors,
				w[i].first_errno ? strerror(w[i].first_errno) : "-",
				w[i].first_rc);
	}
	printf("n=%ld wall_ns=%llu sched_ns=%lld stat_busy_ns=%lld ctxt=%llu errors=%lu\n",
	       total, t1 - t0, (long long)(s1 - s0), (long long)(b1 - b0),
	       c1 - c0, errors);
	for (i = 0; i < nfd; i++)
		for (j = 0; j < w[i].n; j++)
			printf("%d %llu\n", i, w[i].lat_ns[j]);
	return errors || total != n_timed * nfd ? 1 : 0;
}
