/* nslab, the program: runs `nslab exec` itself and hands every other command to the engine
 * (main.c and everything else, nslab-engine.so), which it loads only for them. `exec` is what
 * CI jobs call thousands of times: linked with libc and libcjson alone, it does not map and
 * relocate at every start libnl-3, libnl-route-3 (whose constructor also reads
 * /etc/libnl/classid), libyaml, libnftnl and libmnl, which it never uses.
 *
 * The engine is looked for beside the program (the build tree: build/nslab and
 * build/nslab-engine.so), then in ../lib/nslab/ from it (an installed tree, wherever it was
 * staged), then where `make install` put it (NSL_ENGINE). The first that exists is loaded, or
 * its error reported: never a second one, which could be of another version. The program is
 * the file that was executed (AT_EXECFN, symbolic links resolved), which is also right when
 * a dynamic loader ran it (`ld.so --library-path DIR nslab`: /proc/self/exe is the loader
 * then; the package's test runs it so); /proc/self/exe when that name cannot be resolved. */
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/output.h"

#ifndef NSL_ENGINE
#define NSL_ENGINE "/usr/local/lib/nslab/nslab-engine.so"
#endif
#define ENGINE_NAME "nslab-engine.so"
#ifndef NSL_VERSION
#error "NSL_VERSION (the Makefile's, from debian/changelog) is what the engine is checked by"
#endif

/* The places the engine may be, in order: dir/ENGINE_NAME, dir/../lib/nslab/ENGINE_NAME
 * (dir: the program's own directory, when /proc/self/exe tells it) and NSL_ENGINE. */
struct places {
	char path[3][PATH_MAX + 64];
	int n;
};

static void places_of(struct places *p)
{
	const char *execfn = (const char *)getauxval(AT_EXECFN);
	char exe[PATH_MAX];
	ssize_t len = -1;
	char *slash;

	p->n = 0;
	/* Run with privileges it did not have (setuid, file capabilities): only the engine where
	 * it was installed, never one found beside a path the caller chose. */
	if (getauxval(AT_SECURE))
		len = 0;
	else if (execfn && realpath(execfn, exe))
		len = (ssize_t)strlen(exe);
	else if ((len = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) > 0)
		exe[len] = 0;
	if (len > 0) {
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = 0;
			snprintf(p->path[p->n++], sizeof(p->path[0]), "%s/%s", exe, ENGINE_NAME);
			snprintf(p->path[p->n++], sizeof(p->path[0]), "%s/../lib/nslab/%s", exe,
			         ENGINE_NAME);
		}
	}
	snprintf(p->path[p->n++], sizeof(p->path[0]), "%s", NSL_ENGINE);
}

/* The engine and the program share the lab's state and its formats: one of another version (a
 * program copied beside an older installation) is refused, not run. */
static void *engine_checked(void *h, const char *path)
{
	const char *version = dlsym(h, "nsl_engine_version");

	if (version && !strcmp(version, NSL_VERSION))
		return h;
	nsl_cli_error("its engine, %s, is %s%s, the program %s: both must be of one version "
	              "(reinstall nslab)",
	              path, version ? "version " : "of an unknown version", version ? version : "",
	              NSL_VERSION);
	dlclose(h);
	return NULL;
}

static void *load_engine(void)
{
	struct places p;
	void *h;

	places_of(&p);
	for (int i = 0; i < p.n; i++) {
		if (access(p.path[i], F_OK) < 0)
			continue;
		h = dlopen(p.path[i], RTLD_LAZY | RTLD_LOCAL);
		if (!h) {
			nsl_cli_error("cannot load its engine: %s", dlerror());
			return NULL;
		}
		return engine_checked(h, p.path[i]);
	}
	nsl_cli_error("its engine, %s, is missing: not in %s%s%s%s%s (reinstall nslab)",
	              ENGINE_NAME, p.path[0], p.n > 1 ? ", " : "", p.n > 1 ? p.path[1] : "",
	              p.n > 2 ? " nor " : "", p.n > 2 ? p.path[2] : "");
	return NULL;
}

/* What a command returns when nslab itself fails (the README's exit statuses): 125 for those
 * whose 1 means something else (some check did not pass, CMD's own status), 1 for the rest. */
static int failure_of(const char *cmd)
{
	static const char *const own[] = {"test", "run", "wait"};

	for (size_t i = 0; cmd && i < NSL_ARRAY_SIZE(own); i++)
		if (!strcmp(cmd, own[i]))
			return NSL_EXIT_NSLAB;
	return NSL_EXIT_FAIL;
}

int main(int argc, char **argv)
{
	int (*engine_main)(int, char **);
	int first = 1;
	void *h;

	/* nslab -q exec ...: the options of every command also stand before it. */
	while (first < argc && nsl_cli_common_opt(argv[first]))
		first++;
	if (first < argc && !strcmp(argv[first], "exec"))
		return nsl_cmd_exec(argc - first, argv + first);
	/* The program's own version, which its engine must share: answered without it. */
	if (first < argc && !strcmp(argv[first], "--version")) {
		printf("nslab %s\n", NSL_VERSION);
		return fflush(stdout) == 0 && !ferror(stdout) ? NSL_EXIT_OK : NSL_EXIT_FAIL;
	}
	h = load_engine();
	if (!h)
		return failure_of(first < argc ? argv[first] : NULL);
	*(void **)&engine_main = dlsym(h, "nsl_engine_main");
	if (!engine_main) {
		nsl_cli_error("its engine has no entry point: %s", dlerror());
		return failure_of(first < argc ? argv[first] : NULL);
	}
	return engine_main(argc, argv);
}
