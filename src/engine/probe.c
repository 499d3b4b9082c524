/* The probe runner (see probe.h) and the command kind. One poll over every running attempt's
 * fds; each probe is a small state machine: waiting for another probe, waiting for its next
 * attempt, running one, decided. */
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "engine/fault.h"
#include "engine/probe_impl.h"

void nsl_ms_str(char *buf, size_t size, uint64_t ms)
{
	if (ms < 1000)
		nsl_fmt(buf, size, "%llu ms", (unsigned long long)ms);
	else if (ms % 1000 == 0)
		nsl_fmt(buf, size, "%llu s", (unsigned long long)(ms / 1000));
	else
		nsl_fmt(buf, size, "%.1f s", (double)ms / 1000.0);
}

void nsl_text_tail(const char *s, size_t len, char *buf, size_t max)
{
	size_t from;

	while (len && (s[len - 1] == '\n' || s[len - 1] == '\r'))
		len--;
	from = len > max - 1 ? len - (max - 1) : 0;
	/* start at a line when the cut falls inside one */
	if (from) {
		const char *nl = memchr(s + from, '\n', len - from);
		if (nl && (size_t)(nl - s) + 1 < len)
			from = (size_t)(nl - s) + 1;
	}
	memcpy(buf, s + from, len - from);
	buf[len - from] = 0;
}

/* ---- commands ---- */

static void cmd_read(struct attempt *a)
{
	char chunk[16384];

	for (;;) {
		ssize_t n = read(a->out, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0 || errno != EAGAIN) {
				close(a->out); /* EOF: nothing more will come */
				a->out = -1;
			}
			return;
		}
		if (a->len + (size_t)n > NSL_PROBE_OUTPUT_MAX) {
			/* keep the end: drop the older half */
			size_t keep = NSL_PROBE_OUTPUT_MAX / 2;
			if (a->len > keep) {
				memmove(a->buf, a->buf + a->len - keep, keep);
				a->len = keep;
			}
			a->cut = true;
		}
		if (a->len + (size_t)n + 1 > a->cap) {
			size_t cap = a->cap ? a->cap : 4096;
			while (cap < a->len + (size_t)n + 1)
				cap *= 2;
			char *b = realloc(a->buf, cap);
			if (!b)
				return;
			a->buf = b;
			a->cap = cap;
		}
		memcpy(a->buf + a->len, chunk, (size_t)n);
		a->len += (size_t)n;
		a->buf[a->len] = 0;
	}
}

static enum outcome cmd_start(struct attempt *a, uint64_t now)
{
	struct nsl_probe *p = a->p;
	const struct nsl_check *k = p->check;
	struct nsl_err err = {0};
	int pipefd[2];

	(void)now;
	if (k->match && !a->have_re) {
		if (regcomp(&a->re, k->match, REG_EXTENDED | REG_NOSUB | REG_NEWLINE)) {
			nsl_fmt(p->saw, sizeof(p->saw), "invalid regular expression");
			return BROKEN;
		}
		a->have_re = true;
	}
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		nsl_fmt(p->saw, sizeof(p->saw), "pipe: %s", strerror(errno));
		return BROKEN;
	}
	fcntl(pipefd[0], F_SETFL, O_NONBLOCK);
	struct nsl_spawn s = {.holder_pidfd = p->pidfd,
	                      .argv = k->cmd.argv,
	                      .env = p->env,
	                      .cwd = "/",
	                      .fd_in = -1,
	                      .fd_out = pipefd[1],
	                      .fd_err = pipefd[1],
	                      .new_session = true};
	int rc = nsl_spawn(&s, &a->child, &err);
	close(pipefd[1]);
	if (rc < 0) {
		close(pipefd[0]);
		nsl_fmt(p->saw, sizeof(p->saw), "%s", err.msg);
		return BROKEN;
	}
	a->out = pipefd[0];
	a->len = 0;
	a->cut = false;
	if (a->buf)
		a->buf[0] = 0;
	a->fds[0] = (struct pollfd){.fd = a->child.pidfd, .events = POLLIN};
	a->fds[1] = (struct pollfd){.fd = a->out, .events = POLLIN};
	return GOING;
}

static void cmd_keep_output(struct attempt *a)
{
	struct nsl_probe *p = a->p;

	free(p->output);
	p->output = NULL;
	p->output_len = 0;
	p->output_cut = a->cut;
	if (a->buf && a->len) {
		p->output = malloc(a->len + 1);
		if (p->output) {
			memcpy(p->output, a->buf, a->len);
			p->output[a->len] = 0;
			p->output_len = a->len;
		}
	}
}

static enum outcome cmd_exited(struct attempt *a, int status)
{
	struct nsl_probe *p = a->p;
	const struct nsl_check *k = p->check;
	char e[48];

	/* What it wrote before it exited is in the pipe; a child it left behind may keep the
	 * pipe open: take what is there, do not wait for the end. */
	if (a->out >= 0)
		cmd_read(a);
	nsl_child_close(&a->child);
	p->status = status;
	cmd_keep_output(a);
	if (status > 128 && status < 128 + NSIG)
		nsl_fmt(e, sizeof(e), "was killed by signal %d (%s)", status - 128,
		        strsignal(status - 128));
	else
		nsl_fmt(e, sizeof(e), "exited with status %d", status);
	if (status != k->status) {
		nsl_fmt(p->saw, sizeof(p->saw), "%s%s, expected %d", e,
		        status == 127   ? " (not found)"
		        : status == 126 ? " (not executable)"
		                        : "",
		        k->status);
		return FAILS;
	}
	if (a->have_re) {
		regmatch_t m = {.rm_so = 0, .rm_eo = (regoff_t)a->len};
		if (regexec(&a->re, a->buf ? a->buf : "", 1, &m, REG_STARTEND)) {
			nsl_fmt(p->saw, sizeof(p->saw), "%s, but its output does not match /%s/", e,
			        k->match);
			return FAILS;
		}
		nsl_fmt(p->saw, sizeof(p->saw), "%s, its output matches /%s/", e, k->match);
		return HOLDS;
	}
	nsl_fmt(p->saw, sizeof(p->saw), "%s", e);
	return HOLDS;
}

static enum outcome cmd_event(struct attempt *a)
{
	int status, rc;

	if (a->fds[1].fd >= 0 && a->fds[1].revents) {
		cmd_read(a);
		if (a->out < 0)
			a->fds[1].fd = -1;
	}
	if (a->fds[0].revents) {
		rc = nsl_child_wait(&a->child, 0, &status);
		if (rc == 1)
			return cmd_exited(a, status);
		if (rc < 0) {
			nsl_fmt(a->p->saw, sizeof(a->p->saw), "wait: %s", strerror(-rc));
			return BROKEN;
		}
	}
	return GOING;
}

static enum outcome cmd_timeout(struct attempt *a, uint64_t now)
{
	struct nsl_probe *p = a->p;
	char t[32];

	nsl_child_kill(&a->child);
	if (a->out >= 0)
		cmd_read(a);
	nsl_child_close(&a->child);
	p->status = -1;
	p->timed_out = true;
	cmd_keep_output(a);
	nsl_ms_str(t, sizeof(t), (now - a->start) / 1000000);
	nsl_fmt(p->saw, sizeof(p->saw), "still running after %s: killed", t);
	return FAILS;
}

static void cmd_stop(struct attempt *a)
{
	if (a->child.pid > 0)
		nsl_child_kill(&a->child);
	nsl_child_close(&a->child);
	if (a->out >= 0)
		close(a->out);
	a->out = -1;
}

/* ---- the runner ---- */

enum state { WAITING, IDLE, RUNNING, DECIDED };

struct runner {
	struct nsl_probe *p;
	size_t n;
	struct attempt *at;
	enum state *st;
	uint64_t *next_at;
	size_t running, left;
	nsl_probe_done_fn done;
	void *arg;
};

static bool is_cmd(const struct nsl_probe *p) { return p->check->kind == NSL_CHECK_CMD; }

static void stop(struct attempt *a)
{
	if (is_cmd(a->p))
		cmd_stop(a);
	else
		nsl_net_stop(a);
	a->fds[0].fd = a->fds[1].fd = -1;
	a->wake = 0;
}

static void decide(struct runner *r, size_t i, enum nsl_verdict v, uint64_t now)
{
	r->p[i].verdict = v;
	r->p[i].end_ns = now;
	r->st[i] = DECIDED;
	r->left--;
	if (r->done)
		r->done(r->arg, i);
}

static uint64_t within_end(const struct nsl_probe *p)
{
	return p->begin_ns + (uint64_t)p->check->within_ms * 1000000ull;
}

/* An attempt is over: decide, or try again after the interval while `within` lasts. */
static void finish(struct runner *r, size_t i, enum outcome o, uint64_t now)
{
	struct nsl_probe *p = &r->p[i];
	uint64_t next = now + (uint64_t)p->check->interval_ms * 1000000ull;

	stop(&r->at[i]);
	r->running--;
	if (o == HOLDS)
		decide(r, i, NSL_VERDICT_PASS, now);
	else if (o == BROKEN)
		decide(r, i, NSL_VERDICT_ERROR, now);
	else if (p->check->within_ms && next < within_end(p)) {
		r->st[i] = IDLE;
		r->next_at[i] = next;
	} else {
		decide(r, i, NSL_VERDICT_FAIL, now);
	}
}

static void start(struct runner *r, size_t i, uint64_t now)
{
	struct nsl_probe *p = &r->p[i];
	struct attempt *a = &r->at[i];
	uint64_t t = (uint64_t)nsl_check_timeout_ms(p->check) * 1000000ull;
	enum outcome o;

	a->start = now;
	a->deadline = t ? now + t : 0;
	if (p->hard_deadline && p->check->within_ms &&
	    (!a->deadline || a->deadline > within_end(p)))
		a->deadline = within_end(p);
	a->wake = 0;
	a->fds[0].fd = a->fds[1].fd = -1;
	p->attempts++;
	p->timed_out = false;
	p->saw[0] = 0;
	r->st[i] = RUNNING;
	r->running++;
	o = is_cmd(p) ? cmd_start(a, now) : nsl_net_start(a, now);
	if (o != GOING)
		finish(r, i, o, now);
}

static void abort_all(struct runner *r, uint64_t now)
{
	for (size_t i = 0; i < r->n; i++) {
		if (r->st[i] == DECIDED)
			continue;
		if (r->st[i] == RUNNING) {
			stop(&r->at[i]);
			r->running--;
		}
		nsl_fmt(r->p[i].saw, sizeof(r->p[i].saw), "interrupted");
		decide(r, i, NSL_VERDICT_ERROR, now);
	}
}

static int run(struct runner *r, unsigned jobs, struct nsl_err *err)
{
	_cleanup_free_ struct pollfd *pfd = calloc(2 * r->n + 1, sizeof(*pfd));
	_cleanup_free_ size_t *owner = calloc(2 * r->n + 1, sizeof(*owner));

	if (!pfd || !owner)
		return nsl_err_set(err, ENOMEM, "out of memory");
	while (r->left) {
		uint64_t now = nsl_now_ns(), wake = UINT64_MAX;
		size_t k = 0;

		if (nsl_interrupted) {
			abort_all(r, now);
			return nsl_err_set(err, EINTR, "interrupted");
		}
		for (size_t i = 0; i < r->n; i++) {
			if (r->st[i] == WAITING && r->st[r->p[i].after] == DECIDED) {
				r->st[i] = IDLE;
				r->next_at[i] = now;
				r->p[i].begin_ns = now;
			}
			if (r->st[i] == IDLE && r->next_at[i] <= now &&
			    (!jobs || r->running < jobs))
				start(r, i, now);
		}
		for (size_t i = 0; i < r->n; i++) {
			struct attempt *a = &r->at[i];
			if (r->st[i] == IDLE && (!jobs || r->running < jobs) &&
			    r->next_at[i] < wake)
				wake = r->next_at[i];
			if (r->st[i] != RUNNING)
				continue;
			for (int f = 0; f < 2; f++)
				if (a->fds[f].fd >= 0) {
					pfd[k] = a->fds[f];
					pfd[k].revents = 0;
					owner[k++] = i * 2 + (size_t)f;
				}
			if (a->deadline && a->deadline < wake)
				wake = a->deadline;
			if (a->wake && a->wake < wake)
				wake = a->wake;
		}
		if (!r->left)
			break;
		int ms = -1;
		if (wake != UINT64_MAX) {
			uint64_t d = wake > now ? wake - now : 0;
			ms = (int)((d + 999999) / 1000000);
		}
		if (k == 0 && ms < 0)
			return nsl_err_set(err, EDEADLK, "probes: nothing to wait for");
		int rc = poll(pfd, k, ms);
		if (rc < 0 && errno != EINTR)
			return nsl_err_set(err, errno, "poll: %m");
		now = nsl_now_ns();
		for (size_t j = 0; rc > 0 && j < k; j++)
			if (pfd[j].revents)
				r->at[owner[j] / 2].fds[owner[j] % 2].revents = pfd[j].revents;
		for (size_t i = 0; i < r->n; i++) {
			struct attempt *a = &r->at[i];
			enum outcome o = GOING;
			if (r->st[i] != RUNNING)
				continue;
			if (a->fds[0].revents || a->fds[1].revents)
				o = is_cmd(a->p) ? cmd_event(a) : nsl_net_event(a, now);
			a->fds[0].revents = a->fds[1].revents = 0;
			if (o == GOING &&
			    ((a->deadline && now >= a->deadline) || (a->wake && now >= a->wake)))
				o = is_cmd(a->p) ? cmd_timeout(a, now) : nsl_net_timer(a, now);
			if (o != GOING)
				finish(r, i, o, now);
		}
	}
	return 0;
}

int nsl_probes_run(struct nsl_probe *p, size_t n, unsigned jobs, nsl_probe_done_fn done, void *arg,
                   struct nsl_err *err)
{
	struct runner r = {.p = p, .n = n, .left = n, .done = done, .arg = arg};
	uint64_t now = nsl_now_ns();
	int rc;

	r.at = calloc(n + 1, sizeof(*r.at));
	r.st = calloc(n + 1, sizeof(*r.st));
	r.next_at = calloc(n + 1, sizeof(*r.next_at));
	if (!r.at || !r.st || !r.next_at) {
		rc = nsl_err_set(err, ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct attempt *a = &r.at[i];
		a->p = &p[i];
		a->index = i;
		a->out = a->sock = -1;
		a->child.pidfd = -1;
		a->fds[0].fd = a->fds[1].fd = -1;
		p[i].attempts = 0;
		p[i].status = -1;
		if (p[i].verdict == NSL_VERDICT_ERROR) {
			/* decided before it could start (its node is gone): saw says why */
			r.st[i] = DECIDED;
			p[i].begin_ns = p[i].end_ns = now;
			r.left--;
			continue;
		}
		p[i].verdict = NSL_VERDICT_PENDING;
		p[i].saw[0] = 0;
		if (p[i].after >= 0 && (size_t)p[i].after < n && (size_t)p[i].after != i) {
			r.st[i] = WAITING;
		} else {
			r.st[i] = IDLE;
			r.next_at[i] = now;
			p[i].begin_ns = now;
		}
	}
	for (size_t i = 0; done && i < n; i++)
		if (r.st[i] == DECIDED)
			done(arg, i);
	rc = run(&r, jobs, err);
out:
	for (size_t i = 0; r.at && i < n; i++) {
		if (r.st && r.st[i] == RUNNING)
			stop(&r.at[i]);
		free(r.at[i].buf);
		free(r.at[i].seen);
		if (r.at[i].have_re)
			regfree(&r.at[i].re);
	}
	free(r.at);
	free(r.st);
	free(r.next_at);
	return rc;
}

void nsl_probes_free(struct nsl_probe *p, size_t n)
{
	for (size_t i = 0; p && i < n; i++) {
		free(p[i].output);
		p[i].output = NULL;
	}
}
