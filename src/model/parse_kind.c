/* Interfaces of a kind: "kind" under an interface entry (dummy, vlan, vxlan, macvlan,
 * ipvlan, vrf, bond), each with keys of its own, and "vrf" on any interface. Each value is
 * checked on its own here; what the keys name (a parent, a VRF, bond ports) is checked by
 * validate_kinds.c. The names and numbers are iproute2's (ip-link(8)). */
#include <arpa/inet.h>
#include <linux/if_link.h>
#include <string.h>
#include <strings.h>

#include "base/arena.h"
#include "model/parse.h"

/* Every key of an interface entry, whatever its kind; which kind takes which is below. */
const struct key_spec nsl_p_iface_keys[] = {
    {"addresses", J_ARRAY},  {"mtu", J_INT},
    {"mac", J_STRING},       {"up", J_BOOL},
    {"device", J_STRING},    {"kind", J_STRING},
    {"vrf", J_STRING},       {"parent", J_STRING},
    {"id", J_INT},           {"protocol", J_STRING},
    {"vni", J_INT},          {"remote", J_STRING},
    {"group", J_STRING},     {"local", J_STRING},
    {"port", J_INT},         {"dev", J_STRING},
    {"mode", J_STRING},      {"table", J_INT},
    {"ports", J_ARRAY},      {"miimon", J_INT},
    {"lacp_rate", J_STRING}, {"xmit_hash_policy", J_STRING},
    {"underlay", J_STRING},  {"impair", J_OBJECT},
};
const size_t nsl_p_n_iface_keys = NSL_ARRAY_SIZE(nsl_p_iface_keys);

/* The host's interfaces: ends of links, and VXLAN devices. */
const struct key_spec nsl_p_host_iface_keys[] = {
    {"addresses", J_ARRAY}, {"mtu", J_INT},       {"mac", J_STRING},    {"kind", J_STRING},
    {"vni", J_INT},         {"remote", J_STRING}, {"group", J_STRING},  {"local", J_STRING},
    {"port", J_INT},        {"dev", J_STRING},    {"impair", J_OBJECT},
};
const size_t nsl_p_n_host_iface_keys = NSL_ARRAY_SIZE(nsl_p_host_iface_keys);

/* Keys every entry may have. */
static const char *const common_keys[] = {"addresses", "mtu", "mac", "up", "kind", "vrf"};

struct kind_spec {
	const char *name;
	enum nsl_iface_kind kind;
	const char *keys[8]; /* of its own, NULL-terminated */
};

static const struct kind_spec kinds[] = {
    {"dummy", NSL_IFACE_DUMMY, {NULL}},
    {"vlan", NSL_IFACE_VLAN, {"parent", "id", "protocol", NULL}},
    {"vxlan",
     NSL_IFACE_VXLAN,
     {"vni", "remote", "group", "local", "port", "dev", "underlay", NULL}},
    {"macvlan", NSL_IFACE_MACVLAN, {"device", "parent", "mode", NULL}},
    {"ipvlan", NSL_IFACE_IPVLAN, {"device", "parent", "mode", NULL}},
    {"vrf", NSL_IFACE_VRF, {"table", NULL}},
    {"bond", NSL_IFACE_BOND, {"mode", "ports", "miimon", "lacp_rate", "xmit_hash_policy", NULL}},
};

static const char *const bond_modes[] = {"balance-rr", "active-backup", "balance-xor", "broadcast",
                                         "802.3ad",    "balance-tlb",   "balance-alb"};
static const char *const bond_hashes[] = {"layer2",   "layer3+4", "layer2+3",
                                          "encap2+3", "encap3+4", "vlan+srcmac"};
static const char *const mac_modes[] = {"bridge", "private", "vepa", "passthru"};
static const uint32_t mac_values[] = {MACVLAN_MODE_BRIDGE, MACVLAN_MODE_PRIVATE, MACVLAN_MODE_VEPA,
                                      MACVLAN_MODE_PASSTHRU};
static const char *const ip_modes[] = {"l2", "l3", "l3s"};
static const uint32_t ip_values[] = {IPVLAN_MODE_L2, IPVLAN_MODE_L3, IPVLAN_MODE_L3S};

const char *nsl_iface_mode_name(const struct nsl_iface *f)
{
	switch (f->kind) {
	case NSL_IFACE_MACVLAN:
		for (size_t i = 0; i < NSL_ARRAY_SIZE(mac_values); i++)
			if (mac_values[i] == f->mode)
				return mac_modes[i];
		return "?";
	case NSL_IFACE_IPVLAN:
		for (size_t i = 0; i < NSL_ARRAY_SIZE(ip_values); i++)
			if (ip_values[i] == f->mode)
				return ip_modes[i];
		return "?";
	case NSL_IFACE_BOND:
		return f->bonding.mode < NSL_ARRAY_SIZE(bond_modes) ? bond_modes[f->bonding.mode]
		                                                    : "?";
	default:
		return NULL;
	}
}

const char *nsl_bond_hash_name(int xmit_hash)
{
	return xmit_hash >= 0 && (size_t)xmit_hash < NSL_ARRAY_SIZE(bond_hashes)
	           ? bond_hashes[xmit_hash]
	           : NULL;
}

void nsl_bond_print(const struct nsl_iface *f, FILE *out)
{
	fprintf(out, " mode %s miimon %u", nsl_iface_mode_name(f), f->bonding.miimon);
	if (f->bonding.lacp_rate >= 0)
		fprintf(out, " lacp_rate %s", f->bonding.lacp_rate ? "fast" : "slow");
	if (f->bonding.xmit_hash >= 0)
		fprintf(out, " xmit_hash_policy %s", nsl_bond_hash_name(f->bonding.xmit_hash));
}

const char *nsl_iface_kind_name(enum nsl_iface_kind k)
{
	for (size_t i = 0; i < NSL_ARRAY_SIZE(kinds); i++)
		if (kinds[i].kind == k)
			return kinds[i].name;
	return NULL;
}

static bool kind_has(const struct kind_spec *k, const char *key)
{
	for (size_t i = 0; i < NSL_ARRAY_SIZE(common_keys); i++)
		if (!strcmp(key, common_keys[i]))
			return true;
	if (!k) /* no kind: a link end, a moved device, a bridge's entry or lo */
		return !strcmp(key, "device");
	for (size_t i = 0; k->keys[i]; i++)
		if (!strcmp(key, k->keys[i]))
			return true;
	return false;
}

/* The kinds that take a key, for a message: "vxlan", "macvlan or ipvlan". */
static void kinds_with(const char *key, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < NSL_ARRAY_SIZE(kinds); i++)
		if (kind_has(&kinds[i], key)) {
			size_t len = strlen(buf);
			nsl_fmt(buf + len, size - len, "%s%s", n ? " or " : "", kinds[i].name);
			n++;
		}
}

/* A key that belongs to another kind: said once per key, at the key. */
static void check_keys(struct pctx *c, const struct nsl_dnode *obj, const char *path,
                       const struct kind_spec *k)
{
	for (uint32_t i = 0; i < obj->n; i++) {
		const struct nsl_dnode *ch = &obj->kids[i];
		char p[PATH_LEN], who[64];

		if (ch->dup || kind_has(k, ch->key))
			continue;
		kinds_with(ch->key, who, sizeof(who));
		if (!who[0])
			continue; /* an unknown key: reported already */
		nsl_p_path_key(p, path, ch->key);
		if (k)
			nsl_p_err_key(c, ch, p,
			              "'%s' is not a key of a %s interface (it is one of %s)",
			              ch->key, k->name, who);
		else
			nsl_p_err_key(
			    c, ch, p,
			    "'%s' is a key of interfaces of kind %s: this one has no \"kind\"",
			    ch->key, who);
	}
}

/* One of names (case-sensitive), its index; else a message listing them. */
static int pick(struct pctx *c, const struct nsl_dnode *obj, const char *key, const char *path,
                const char *what, const char *const *names, size_t n)
{
	const struct nsl_dnode *v = nsl_p_get(obj, key, J_STRING);
	char p[PATH_LEN], b[QUOTE_LEN], list[256] = "";
	const char *hint;

	if (!v)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v->text, names[i]))
			return (int)i;
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(list);
		nsl_fmt(list + len, sizeof(list) - len, "%s%s", i ? ", " : "", names[i]);
	}
	nsl_p_path_key(p, path, key);
	hint = nsl_p_suggest(v->text, names, n);
	if (hint)
		nsl_p_err(c, v, p, "unknown %s '%s' (did you mean '%s'? %s)", what,
		          nsl_p_quote(b, v->text), hint, list);
	else
		nsl_p_err(c, v, p, "unknown %s '%s' (%s)", what, nsl_p_quote(b, v->text), list);
	return -2;
}

static bool is_multicast(const struct nsl_ip *ip)
{
	return ip->family == AF_INET ? (ip->bytes[0] & 0xf0) == 0xe0 : ip->bytes[0] == 0xff;
}

static void parse_vxlan(struct pctx *c, struct nsl_iface *f, const struct nsl_dnode *obj,
                        const char *path)
{
	struct nsl_vxlan *x = &f->vxlan;
	const struct nsl_dnode *v;
	char p[PATH_LEN], b[QUOTE_LEN];
	int64_t i;

	x->port = 4789;
	if (nsl_p_get_int(c, obj, "vni", path, 0, 16777215, &i))
		x->vni = (uint32_t)i;
	else if (!nsl_p_member(obj, "vni"))
		nsl_p_err(c, obj, path, "a vxlan needs 'vni' (0 to 16777215)");
	if (nsl_p_get_int(c, obj, "port", path, 1, 65535, &i))
		x->port = (uint16_t)i;
	if ((v = nsl_p_get(obj, "remote", J_STRING))) {
		nsl_p_path_key(p, path, "remote");
		x->has_remote = nsl_p_ip(c, v, v->text, p, &x->remote);
	}
	if ((v = nsl_p_get(obj, "group", J_STRING))) {
		nsl_p_path_key(p, path, "group");
		if (x->has_remote || nsl_p_member(obj, "remote")) {
			nsl_p_err_key(c, v, p,
			              "give 'remote' (one peer) or 'group' (multicast), not both");
		} else if (!nsl_ip_parse(v->text, &x->remote) || !is_multicast(&x->remote)) {
			nsl_p_err(c, v, p,
			          "'%s' is not a multicast address (like 239.1.1.1 or ff05::100)",
			          nsl_p_quote(b, v->text));
		} else {
			x->has_remote = true;
			x->group = true;
			if (!nsl_p_member(obj, "dev"))
				nsl_p_err(c, v, p,
				          "a multicast group needs 'dev' (the interface it is "
				          "joined on)");
		}
	}
	if ((v = nsl_p_get(obj, "local", J_STRING))) {
		nsl_p_path_key(p, path, "local");
		x->has_local = nsl_p_ip(c, v, v->text, p, &x->local);
		if (x->has_local && x->has_remote && x->local.family != x->remote.family) {
			nsl_p_err(c, v, p, "'local' and '%s' are of different families",
			          x->group ? "group" : "remote");
			x->has_local = false;
		}
	}
	nsl_p_get_ifname(c, obj, "dev", path, f->parent);
	if ((v = nsl_p_get(obj, "underlay", J_STRING))) {
		nsl_p_path_key(p, path, "underlay");
		if (!strcmp(v->text, "host"))
			x->host_underlay = true;
		else if (strcmp(v->text, "node"))
			nsl_p_err(
			    c, v, p,
			    "unknown underlay '%s' (\"node\", the default: the node's own network; "
			    "\"host\": the host's)",
			    nsl_p_quote(b, v->text));
	}
}

static void parse_bond(struct pctx *c, struct nsl_iface *f, const struct nsl_dnode *obj,
                       const char *path)
{
	static const char *const rates[] = {"slow", "fast"};
	struct nsl_bond_cfg *bc = &f->bonding;
	const struct nsl_dnode *v;
	char p[PATH_LEN];
	int64_t i;
	int r;

	bc->miimon = 100;
	bc->lacp_rate = -1;
	bc->xmit_hash = -1;
	if ((r = pick(c, obj, "mode", path, "bond mode", bond_modes, NSL_ARRAY_SIZE(bond_modes))) >=
	    0)
		bc->mode = (enum nsl_bond_mode)r;
	if (nsl_p_get_int(c, obj, "miimon", path, 0, INT32_MAX, &i))
		bc->miimon = (uint32_t)i;
	if ((r = pick(c, obj, "lacp_rate", path, "LACP rate", rates, NSL_ARRAY_SIZE(rates))) >= 0) {
		bc->lacp_rate = r;
		if (bc->mode != NSL_BOND_8023AD) {
			nsl_p_path_key(p, path, "lacp_rate");
			nsl_p_err_key(c, nsl_p_member(obj, "lacp_rate"), p,
			              "'lacp_rate' is for \"mode\": \"802.3ad\" only");
		}
	}
	if ((r = pick(c, obj, "xmit_hash_policy", path, "hash policy", bond_hashes,
	              NSL_ARRAY_SIZE(bond_hashes))) >= 0)
		bc->xmit_hash = r;
	if ((v = nsl_p_get(obj, "ports", J_ARRAY))) {
		nsl_p_path_key(p, path, "ports");
		bc->ports =
		    nsl_p_oom(c, nsl_arena_array(c->a, v->n ? v->n : 1, sizeof(*bc->ports)));
		if (!bc->ports)
			return;
		for (uint32_t k = 0; k < v->n; k++) {
			const struct nsl_dnode *e = &v->kids[k];
			char ep[PATH_LEN];

			nsl_p_path_idx(ep, p, k);
			if (e->kind != NSL_D_STRING)
				nsl_p_type_err(c, e, ep, "string");
			else if (!nsl_ifname_valid(e->text))
				nsl_p_ifname_err(c, e, false, ep, "interface name", e->text);
			else
				nsl_fmt(bc->ports[bc->n_ports++], sizeof(*bc->ports), "%s",
				        e->text);
		}
	}
}

/* macvlan and ipvlan: on a host device ("device") or on an interface of the node
 * ("parent"), and a mode. */
static void parse_upper(struct pctx *c, struct nsl_iface *f, const struct nsl_dnode *obj,
                        const char *path)
{
	bool mac = f->declared == NSL_IFACE_MACVLAN;
	int r;

	f->mode = mac ? MACVLAN_MODE_BRIDGE : IPVLAN_MODE_L2;
	if (mac)
		r = pick(c, obj, "mode", path, "macvlan mode", mac_modes,
		         NSL_ARRAY_SIZE(mac_modes));
	else
		r = pick(c, obj, "mode", path, "ipvlan mode", ip_modes, NSL_ARRAY_SIZE(ip_modes));
	if (r >= 0)
		f->mode = mac ? mac_values[r] : ip_values[r];
	nsl_p_get_ifname(c, obj, "parent", path, f->parent);
	if (nsl_p_member(obj, "device") && nsl_p_member(obj, "parent"))
		nsl_p_err(c, obj, path,
		          "a %s sits on a host device ('device') or on an interface of the node "
		          "('parent'), not both",
		          mac ? "macvlan" : "ipvlan");
	else if (!nsl_p_member(obj, "device") && !nsl_p_member(obj, "parent"))
		nsl_p_err(c, obj, path,
		          "a %s needs 'device' (a host interface) or 'parent' (an interface of the "
		          "node)",
		          mac ? "macvlan" : "ipvlan");
	if (!mac && f->has_mac) {
		char p[PATH_LEN];

		nsl_p_path_key(p, path, "mac");
		nsl_p_err(c, nsl_p_member(obj, "mac"), p,
		          "an ipvlan has its device's MAC address: it takes no 'mac'");
	}
}

void nsl_p_iface_kind(struct pctx *c, struct nsl_iface *f, const struct nsl_dnode *obj,
                      const char *path, bool host)
{
	const struct nsl_dnode *v = nsl_p_get(obj, "kind", J_STRING);
	const struct kind_spec *k = NULL;
	char p[PATH_LEN], b[QUOTE_LEN];
	int64_t i;

	if (v) {
		const char *names[NSL_ARRAY_SIZE(kinds)], *hint;

		nsl_p_path_key(p, path, "kind");
		for (size_t n = 0; n < NSL_ARRAY_SIZE(kinds); n++) {
			names[n] = kinds[n].name;
			if (!strcmp(v->text, kinds[n].name))
				k = &kinds[n];
		}
		if (!k) {
			if (!strcmp(v->text, "veth"))
				nsl_p_err(c, v, p,
				          "a veth is made by \"links\": its ends need no kind");
			else if (!strcmp(v->text, "bridge"))
				nsl_p_err(c, v, p, "bridges are made under the node's \"bridges\"");
			else if ((hint = nsl_p_suggest(v->text, names, NSL_ARRAY_SIZE(names))))
				nsl_p_err(
				    c, v, p,
				    "unknown kind '%s' (did you mean '%s'? kinds: dummy, vlan, "
				    "vxlan, macvlan, ipvlan, vrf, bond)",
				    nsl_p_quote(b, v->text), hint);
			else
				nsl_p_err(c, v, p,
				          "unknown kind '%s' (kinds: dummy, vlan, vxlan, macvlan, "
				          "ipvlan, vrf, bond)",
				          nsl_p_quote(b, v->text));
			return;
		}
		if (host && k->kind != NSL_IFACE_VXLAN) {
			nsl_p_err(c, v, p,
			          "the host's interfaces are ends of links or of kind vxlan");
			return;
		}
		if (!host && !strcmp(f->name, "lo")) {
			nsl_p_err(c, v, p, "lo is the loopback: it has no kind");
			return;
		}
		f->declared = k->kind;
	}
	check_keys(c, obj, path, k);
	if (nsl_p_get_ifname(c, obj, "vrf", path, f->vrf)) {
		nsl_p_path_key(p, path, "vrf");
		if (!strcmp(f->name, "lo"))
			nsl_p_err(c, nsl_p_member(obj, "vrf"), p,
			          "lo cannot join a VRF (the VRF device is the VRF's loopback)");
		else if (k && k->kind == NSL_IFACE_VRF)
			nsl_p_err(c, nsl_p_member(obj, "vrf"), p, "VRFs do not nest");
	}
	if (!k)
		return;
	switch (k->kind) {
	case NSL_IFACE_VLAN:
		if (!nsl_p_get_ifname(c, obj, "parent", path, f->parent) &&
		    !nsl_p_member(obj, "parent"))
			nsl_p_err(c, obj, path, "a vlan needs 'parent' (the interface it tags on)");
		if (nsl_p_get_int(c, obj, "id", path, 1, 4094, &i))
			f->vlan_id = (uint16_t)i;
		else if (!nsl_p_member(obj, "id"))
			nsl_p_err(c, obj, path, "a vlan needs 'id' (1 to 4094)");
		if ((v = nsl_p_get(obj, "protocol", J_STRING))) {
			nsl_p_path_key(p, path, "protocol");
			if (!strcasecmp(v->text, "802.1ad"))
				f->vlan_8021ad = true;
			else if (strcasecmp(v->text, "802.1Q"))
				nsl_p_err(c, v, p, "unknown protocol '%s' (802.1Q or 802.1ad)",
				          nsl_p_quote(b, v->text));
		}
		break;
	case NSL_IFACE_VXLAN:
		parse_vxlan(c, f, obj, path);
		break;
	case NSL_IFACE_MACVLAN:
	case NSL_IFACE_IPVLAN:
		parse_upper(c, f, obj, path);
		break;
	case NSL_IFACE_VRF:
		if ((v = nsl_p_get(obj, "table", J_INT))) {
			nsl_p_path_key(p, path, "table");
			if (nsl_p_int(c, v, p, 1, UINT32_MAX, &i)) {
				if (i == NSL_TABLE_DEFAULT || i == NSL_TABLE_MAIN ||
				    i == NSL_TABLE_LOCAL)
					nsl_p_err(
					    c, v, p,
					    "table %lld is the kernel's %s table: a VRF needs a "
					    "table of its own",
					    (long long)i,
					    i == NSL_TABLE_MAIN    ? "main"
					    : i == NSL_TABLE_LOCAL ? "local"
					                           : "default");
				else
					f->table = (uint32_t)i;
			}
		} else if (!nsl_p_member(obj, "table")) {
			nsl_p_err(c, obj, path,
			          "a vrf needs 'table' (its routing table, a number)");
		}
		break;
	case NSL_IFACE_BOND:
		parse_bond(c, f, obj, path);
		break;
	default:
		break;
	}
}
