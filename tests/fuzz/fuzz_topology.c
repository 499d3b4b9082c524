/* libFuzzer harness: arbitrary bytes through the topology parser and validator, then the
 * dump of what validates. `make fuzz FUZZ_SECONDS=60` builds it twice (clang,
 * -fsanitize=fuzzer,address,undefined) against the core sources: fuzz_topology reads the
 * bytes as JSON (FUZZ_FILE "fuzz.json", seeds tests/fuzz/corpus), fuzz_topology_yaml as YAML
 * ("fuzz.yaml", seeds tests/fuzz/corpus_yaml), each on a copy of its corpus in build-fuzz/.
 * A fixed, relative file name: parse uses it in messages, for the dir and for the format. */
#ifndef FUZZ_FILE
#define FUZZ_FILE "fuzz.json"
#endif
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "model/topology.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nsl_diags d = {.file = FUZZ_FILE};
	struct nsl_topology *t = NULL;

	if (nsl_topology_parse(FUZZ_FILE, (const char *)data, size, &t, &d) == 0 && t) {
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
		if (t && !d.n)
			nsl_topology_dump(t, null);
		fclose(null);
	}
	nsl_diags_clear(&d);
	nsl_topology_free(t);
	return 0;
}
