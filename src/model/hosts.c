/* /etc/hosts of a lab's nodes (see nsl_hosts_text). Pure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "model/topology.h"

const struct nsl_ip *nsl_node_first_address(const struct nsl_node *n)
{
	for (size_t i = 0; i < n->n_ifaces; i++)
		for (size_t k = 0; k < n->ifaces[i].n_addrs; k++) {
			const struct nsl_ip *ip = &n->ifaces[i].addrs[k].ip;
			if (ip->family == AF_INET6 && ip->bytes[0] == 0xfe &&
			    (ip->bytes[1] & 0xc0) == 0x80)
				continue; /* link-local: useless without an interface */
			return ip;
		}
	if (n->has_mgmt4)
		return &n->mgmt4;
	if (n->has_mgmt6)
		return &n->mgmt6;
	return NULL;
}

char *nsl_hosts_text(const struct nsl_topology *t, const char *lab)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	fprintf(f,
	        "# the nodes of lab %s, written by nslab\n127.0.0.1\tlocalhost\n"
	        "::1\tlocalhost ip6-localhost ip6-loopback\n",
	        lab);
	for (size_t i = 0; i < t->n_nodes; i++) {
		const struct nsl_node *n = &t->nodes[i];
		const struct nsl_ip *ip = nsl_node_first_address(n);
		char b[64];
		if (!ip)
			continue;
		fprintf(f, "%s\t%s", nsl_ip_str(ip, b, sizeof(b)), n->name);
		if (strcmp(n->hostname, n->name))
			fprintf(f, " %s", n->hostname);
		fputc('\n', f);
	}
	for (size_t i = 0; i < t->n_elsewhere; i++) {
		const struct nsl_elsewhere *e = &t->elsewhere[i];
		char b[64];
		if (!e->addr.family)
			continue;
		fprintf(f, "%s\t%s", nsl_ip_str(&e->addr, b, sizeof(b)), e->name);
		if (e->hostname[0] && strcmp(e->hostname, e->name))
			fprintf(f, " %s", e->hostname);
		fputc('\n', f);
	}
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}
