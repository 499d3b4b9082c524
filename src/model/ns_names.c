/* The namespaces a node may have of its own beyond its network, PID, mount and UTS ones
 * (topology.h: NSL_NS_*), by name: the parser reads them, the state files write and read them
 * (`nslab exec` too, which links no parser: see src/cli/front.c). */
#include <string.h>

#include "model/topology.h"

static const char *const ns_names[] = {"ipc", "cgroup", "time", "user"};

unsigned nsl_ns_bit(const char *name)
{
	for (size_t i = 0; i < NSL_ARRAY_SIZE(ns_names); i++)
		if (!strcmp(name, ns_names[i]))
			return 1u << i;
	return 0;
}

const char *nsl_ns_name(unsigned bit)
{
	for (size_t i = 0; i < NSL_ARRAY_SIZE(ns_names); i++)
		if (bit == 1u << i)
			return ns_names[i];
	return "?";
}
