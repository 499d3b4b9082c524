/* libFuzzer harness: arbitrary bytes through the topology parser and validator.
 * `make fuzz FUZZ_SECONDS=60` builds it (clang, -fsanitize=fuzzer,address,undefined) against
 * the core sources and runs it on a copy of tests/fuzz/corpus in build-fuzz/.
 * A fixed, relative file name: parse only uses it in messages and for the topology's dir. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "model/topology.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nsl_diags d = {.file = "fuzz.json"};
	struct nsl_topology *t = NULL;

	if (nsl_topology_parse("fuzz.json", (const char *)data, size, &t, &d) == 0 && t) {
		if (nsl_topology_validate(t, &d) == 0) {
			/* A valid model must be walkable: touch what validate completed. */
			size_t n = 0;
			for (size_t i = 0; i < t->n_nodes; i++)
				n += t->nodes[i].n_ifaces;
			(void)n;
		}
	}
	/* Printing walks every diagnostic: path and message must be valid strings. */
	FILE *null = fopen("/dev/null", "w");
	if (null) {
		nsl_diags_print(&d, null);
		fclose(null);
	}
	nsl_diags_clear(&d);
	nsl_topology_free(t);
	return 0;
}
