/* The lab model: what a topology file says, as plain structs.
 * Built by the parser (parse_*.c, from the JSON or YAML reader's tree), checked and
 * completed by validate.c, read by the engine.
 * All memory of a topology lives in its arena and goes with nsl_topology_free(). */
#ifndef NSL_TOPOLOGY_H
#define NSL_TOPOLOGY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/util.h"

#define NSL_NAME_MAX 32   /* lab and node names */
#define NSL_IFNAME_MAX 15 /* kernel IFNAMSIZ - 1 */
#define NSL_HOST_NODE "host"
#define NSL_FILE_MAX (4u << 20) /* topology files larger than this are refused */
#define NSL_DEPTH_MAX 16        /* nesting deeper than this is refused (JSON and YAML) */
/* What the engine can apply, so that validate refuses what up could not build: */
#define NSL_RATE_MAX 2147483647u   /* bytes/s: the most the kernel's tbf takes */
#define NSL_ENV_MAX 256            /* env entries of a node */
#define NSL_ENV_BYTES_MAX 65536u   /* their "KEY=VALUE" strings with NULs, together */
#define NSL_EXEC_ARG_MAX 131071u   /* bytes of one exec argument (kernel MAX_ARG_STRLEN-1) */
#define NSL_EXEC_BYTES_MAX 262144u /* bytes of one exec command, NULs included */

/* ---- diagnostics: every problem found, each with the file, its place and a JSON path ---- */

struct nsl_diag {
	char *path; /* JSON path ("nodes.r1.routes[0].via"), "" for the file as a whole */
	char *message;
	unsigned line, col; /* of the offending value (or key), 1-based; 0: no place */
};

struct nsl_diags {
	const char *file;
	struct nsl_diag *items;
	size_t n, cap;
};

void nsl_diags_add(struct nsl_diags *d, const char *path, const char *fmt, ...) NSL_PRINTF(3, 4);
void nsl_diags_add_at(struct nsl_diags *d, unsigned line, unsigned col, const char *path,
                      const char *fmt, ...) NSL_PRINTF(5, 6);
void nsl_diags_clear(struct nsl_diags *d);
/* Writes "FILE:LINE:COL: PATH: MESSAGE\n" per problem, as compilers do; "LINE:COL" is left
 * out when the problem has no place, "PATH: " when it is about the file as a whole. */
void nsl_diags_print(const struct nsl_diags *d, FILE *out);

/* ---- addresses ---- */

struct nsl_ip {
	int family; /* AF_INET or AF_INET6 */
	uint8_t bytes[16];
};

struct nsl_prefix {
	struct nsl_ip ip; /* host bits kept: "10.0.1.2/24" is an interface address */
	uint8_t len;
};

/* "10.0.1.2/24", "fd00::1/64"; false on anything else (no bare address, no junk). */
bool nsl_prefix_parse(const char *s, struct nsl_prefix *ret);
/* "10.0.1.1", "fd00::1". */
bool nsl_ip_parse(const char *s, struct nsl_ip *ret);
/* "02:00:00:00:00:01": unicast, not all-zero. */
bool nsl_mac_parse(const char *s, uint8_t ret[6]);
/* Whether two prefixes share any address (compares the shorter mask). */
bool nsl_prefix_overlap(const struct nsl_prefix *a, const struct nsl_prefix *b);
/* Text form into buf (INET6_ADDRSTRLEN + 4 is enough). */
const char *nsl_prefix_str(const struct nsl_prefix *p, char *buf, size_t size);
const char *nsl_ip_str(const struct nsl_ip *ip, char *buf, size_t size);
/* "100mbit", "1gbit", "512kbit", "10mbps" (bytes), plain bits/s; false on junk or 0. */
bool nsl_rate_parse(const char *s, uint64_t *ret_bytes_per_sec);

/* ---- impairments: what netem (or tbf, for a rate alone) does to the packets leaving an
 * interface; parsed, merged, chosen and written back as text in impair.c ---- */

#define NSL_PERCENT_ONE 1000000000u     /* 100% in an impairment's probabilities */
#define NSL_IMPAIR_TIME_MAX 60000000ull /* delay and jitter: at most 60 s, in us */

enum nsl_impair_key {
	NSL_IMP_DELAY = 1 << 0,
	NSL_IMP_JITTER = 1 << 1,
	NSL_IMP_LOSS = 1 << 2,
	NSL_IMP_DUPLICATE = 1 << 3,
	NSL_IMP_CORRUPT = 1 << 4,
	NSL_IMP_REORDER = 1 << 5,
	NSL_IMP_RATE = 1 << 6,
};
#define NSL_IMP_KEYS 7

struct nsl_impair {
	unsigned set;             /* NSL_IMP_* written (a 0 written overrides, unset does not) */
	uint64_t delay, jitter;   /* microseconds */
	uint32_t loss, duplicate; /* probabilities: NSL_PERCENT_ONE is 100% */
	uint32_t corrupt, reorder;
	uint64_t rate; /* bytes per second, 0: none */
};

/* What carries an impairment: netem when anything but a rate is non-zero (the rate goes
 * with it), a token bucket (tbf) for a rate alone, nothing when all is zero. */
enum nsl_qdisc { NSL_QDISC_NONE, NSL_QDISC_TBF, NSL_QDISC_NETEM };

/* The key names, in the order of the bits ("delay", "jitter", ... "rate"). */
extern const char *const nsl_impair_keys[NSL_IMP_KEYS];
/* One value as the topology writes it: key is NSL_IMP_*; false with *ret_why (a static
 * text: what is wrong and what is expected) on anything else. */
bool nsl_impair_parse_value(unsigned key, const char *s, struct nsl_impair *im,
                            const char **ret_why);
/* "20ms" "1.5s" "250us"; "1%" "0.1%"; "10mbit": the shortest exact text of a value. */
const char *nsl_time_str(uint64_t us, char *buf, size_t size);
const char *nsl_percent_str(uint32_t p, char *buf, size_t size);
const char *nsl_rate_str(uint64_t bytes_per_sec, char *buf, size_t size);
/* The value of one key (0: none), and its text. */
uint64_t nsl_impair_value(const struct nsl_impair *im, unsigned key);
const char *nsl_impair_value_str(const struct nsl_impair *im, unsigned key, char *buf, size_t size);
/* over's keys that are set replace base's. */
void nsl_impair_merge(struct nsl_impair *base, const struct nsl_impair *over);
/* What a combination of values breaks of netem's rules ("jitter needs a delay"), with the key
 * it is about; NULL if none. */
const char *nsl_impair_check(const struct nsl_impair *im, unsigned *ret_key);
enum nsl_qdisc nsl_impair_qdisc(const struct nsl_impair *im);
/* netem's queue, in packets: the bandwidth-delay product of delay + jitter + 100 ms at the
 * rate (1 Gbit/s without one), in 1500-byte packets, at least 1000 (netem's default). */
uint32_t nsl_impair_limit(const struct nsl_impair *im);
bool nsl_impair_equal(const struct nsl_impair *a, const struct nsl_impair *b);

/* ---- the model ---- */

enum nsl_iface_kind {
	NSL_IFACE_UNKNOWN = 0, /* named only under interfaces: a validation error */
	NSL_IFACE_VETH,        /* an end of a link */
	NSL_IFACE_DEVICE,      /* a host device moved in */
	NSL_IFACE_BRIDGE,      /* a bridge of this node */
	NSL_IFACE_LO,
	/* declared with "kind" under interfaces */
	NSL_IFACE_DUMMY,
	NSL_IFACE_VLAN,    /* 802.1Q (or 802.1ad) sub-interface of parent */
	NSL_IFACE_VXLAN,   /* in a node, or in the host (host.interfaces) */
	NSL_IFACE_MACVLAN, /* on a host device (device) or on an interface of the node (parent) */
	NSL_IFACE_IPVLAN,  /* likewise */
	NSL_IFACE_VRF,
	NSL_IFACE_BOND,
	NSL_IFACE_MGMT, /* an end of the management network's veths (mgmt) */
};

struct nsl_iface;
/* The name of a kind as written in "kind" (and printed), NULL for the implicit ones. */
const char *nsl_iface_kind_name(enum nsl_iface_kind k);
/* As written: the "mode" of a macvlan, ipvlan or bond; a bond's "xmit_hash_policy"
 * (NULL when not written). */
const char *nsl_iface_mode_name(const struct nsl_iface *f);
const char *nsl_bond_hash_name(int xmit_hash);
/* A bond's settings as `up --dry-run` and `validate --show` print them: " mode M miimon N",
 * then lacp_rate and xmit_hash_policy when written. */
void nsl_bond_print(const struct nsl_iface *f, FILE *out);

struct nsl_vxlan {
	uint32_t vni;
	uint16_t port; /* UDP destination port, 4789 unless written */
	bool has_remote;
	bool group;           /* remote is a multicast group */
	struct nsl_ip remote; /* "remote" or "group" */
	bool has_local;
	struct nsl_ip local;
	bool host_underlay; /* "underlay": "host": made from the host, its UDP socket there and the
	                     * device in the node (containerlab's vxlan links); dev is the host's */
	bool cross;         /* the end of a link between two hosts (nsl_topology_part): its
	                     * impairment is in the interface's impair, the link's merged in */
};

enum nsl_bond_mode {
	NSL_BOND_BALANCE_RR, /* the kernel's numbers (IFLA_BOND_MODE) */
	NSL_BOND_ACTIVE_BACKUP,
	NSL_BOND_BALANCE_XOR,
	NSL_BOND_BROADCAST,
	NSL_BOND_8023AD,
	NSL_BOND_BALANCE_TLB,
	NSL_BOND_BALANCE_ALB,
};

struct nsl_bond_cfg {
	enum nsl_bond_mode mode;
	uint32_t miimon; /* ms, 100 unless written */
	int lacp_rate;   /* -1 the kernel's (slow), 0 slow, 1 fast */
	int xmit_hash;   /* -1 the kernel's (layer2), else IFLA_BOND_XMIT_HASH_POLICY's value */
	char (*ports)[NSL_IFNAME_MAX + 1];
	size_t n_ports;
};

/* Where an address of an interface comes from (nsl_iface.addr_pool). */
enum nsl_pool_id {
	NSL_POOL_P2P,
	NSL_POOL_P2P6,
	NSL_POOL_LAN,
	NSL_POOL_LAN6,
	NSL_POOL_LOOPBACK,
	NSL_POOL_LOOPBACK6,
	NSL_POOLS,
	NSL_POOL_MGMT = NSL_POOLS, /* the management network's subnet */
};
/* "p2p", "lan6", ..., "mgmt". */
const char *nsl_pool_name(enum nsl_pool_id id);

struct nsl_iface {
	char name[NSL_IFNAME_MAX + 1];
	enum nsl_iface_kind kind; /* filled by validation */
	struct nsl_prefix *addrs;
	size_t n_addrs;
	uint32_t mtu; /* 0: kernel default */
	bool has_mac;
	uint8_t mac[6];
	bool up;                         /* default true */
	char device[NSL_IFNAME_MAX + 1]; /* host device to move in, "" if none */
	int link;                        /* index in topology links, -1 if none (validation) */
	struct nsl_impair impair;        /* of the packets it sends: over its link's, key by key */
	int bridge; /* index of the bridge this is a port of, -1 (validation) */

	enum nsl_iface_kind declared; /* from "kind"; UNKNOWN for entries without one */
	bool addrs_given;             /* "addresses" is written (even []): pools leave it alone */
	uint8_t
	    *addr_pool; /* per address: 0 written, else enum nsl_pool_id + 1; NULL: all written */
	size_t n_pool;  /* the last n_pool addresses come from pools (validation) */
	/* vlan, macvlan, ipvlan: the node's interface it sits on; vxlan: its "dev" ("" none) */
	char parent[NSL_IFNAME_MAX + 1];
	char vrf[NSL_IFNAME_MAX + 1]; /* the VRF it is enslaved to ("" none) */
	int lower;                    /* index of parent in the same ifaces, -1 (validation) */
	int master_vrf;               /* index of the VRF's entry, -1 (validation) */
	int bond; /* index of the bond's entry it is a port of, -1 (validation) */
	uint16_t vlan_id;
	bool vlan_8021ad; /* "protocol": "802.1ad" (QinQ) */
	uint32_t mode;    /* macvlan: MACVLAN_MODE_*; ipvlan: IPVLAN_MODE_* */
	uint32_t table;   /* vrf */
	struct nsl_vxlan vxlan;
	struct nsl_bond_cfg bonding;
};

struct nsl_bridge {
	char name[NSL_IFNAME_MAX + 1];
	char (*ports)[NSL_IFNAME_MAX + 1];
	size_t n_ports;
	bool stp;
};

enum nsl_route_type {
	NSL_RT_UNICAST, /* through via and/or dev, or nexthops */
	NSL_RT_BLACKHOLE,
	NSL_RT_UNREACHABLE,
	NSL_RT_PROHIBIT,
	NSL_RT_THROW,
};

struct nsl_nexthop {
	bool has_via;
	struct nsl_ip via; /* an IPv6 next hop of an IPv4 route goes as RTA_VIA */
	char dev[NSL_IFNAME_MAX + 1];
	uint16_t weight; /* 1-256 */
};

#define NSL_TABLE_DEFAULT 253
#define NSL_TABLE_MAIN 254
#define NSL_TABLE_LOCAL 255

struct nsl_route {
	struct nsl_prefix to; /* "default" becomes len 0 of via's family */
	bool is_default;
	bool has_via;
	struct nsl_ip via;            /* its family may differ from to's: an IPv4 route via IPv6 */
	char dev[NSL_IFNAME_MAX + 1]; /* "" if none */
	bool has_metric;
	uint32_t metric;
	bool has_src;
	struct nsl_ip src;
	enum nsl_route_type type;
	struct nsl_nexthop *nexthops; /* "nexthops": a multipath route (via and dev unused) */
	size_t n_nexthops;
	uint32_t table; /* NSL_TABLE_MAIN unless written (resolved by validation) */
	char table_name[NSL_NAME_MAX + 1]; /* "table" as a name, or "vrf" ("" when a number) */
	bool table_is_vrf;                 /* written as "vrf" */
};

/* A policy routing rule; AF_UNSPEC: one for each family. */
struct nsl_rule {
	int family;
	bool has_from, has_to;
	struct nsl_prefix from, to;
	char iif[NSL_IFNAME_MAX + 1], oif[NSL_IFNAME_MAX + 1];
	bool has_fwmark;
	uint32_t fwmark, fwmask; /* mask 0xffffffff unless written */
	uint32_t table;          /* resolved by validation */
	char table_name[NSL_NAME_MAX + 1];
	bool has_priority;
	uint32_t priority;
};

/* A name of a routing table of a node ("tables"). */
struct nsl_table_name {
	char name[NSL_NAME_MAX + 1];
	uint32_t id;
};

enum nsl_nat_to { NSL_NAT_MASQUERADE, NSL_NAT_ADDRESS, NSL_NAT_RANGE };

struct nsl_nat {
	bool has_source;
	struct nsl_prefix source;
	char out[NSL_IFNAME_MAX + 1]; /* "" for any */
	enum nsl_nat_to to;
	struct nsl_ip to_min, to_max; /* ADDRESS: min only; RANGE: both */
	int family; /* AF_INET or AF_INET6: from source/to, AF_INET if neither says */
};

struct nsl_sysctl {
	char *key;   /* "net.ipv4.ip_forward" */
	char *value; /* "1" */
};

struct nsl_argv {
	char **argv; /* NULL-terminated */
	size_t argc;
};

struct nsl_mount {
	bool tmpfs;
	char *source; /* absolute (resolved against the topology's directory); NULL for tmpfs */
	char *target; /* absolute path inside the node */
	bool read_only;
};

/* What a node sees as its file system ("rootfs"): the host's own (as before), the host's through
 * an overlay of the node's own, or a directory tree (read-only, with an overlay on top). */
enum nsl_rootfs_kind { NSL_ROOTFS_HOST, NSL_ROOTFS_OVERLAY, NSL_ROOTFS_DIR };

struct nsl_rootfs {
	bool set; /* written (on the node, or at the top level for the lab's default) */
	enum nsl_rootfs_kind kind;
	char *dir; /* NSL_ROOTFS_DIR: absolute (resolved against the topology's directory) */
};

/* Namespaces beyond net, mnt, pid and uts ("namespaces"): bits. */
#define NSL_NS_IPC 0x1u
#define NSL_NS_CGROUP 0x2u
#define NSL_NS_TIME 0x4u
#define NSL_NS_USER 0x8u
#define NSL_NS_ALL (NSL_NS_IPC | NSL_NS_CGROUP | NSL_NS_TIME | NSL_NS_USER)
/* "ipc" -> NSL_NS_IPC, 0 if unknown; and back. */
unsigned nsl_ns_bit(const char *name);
const char *nsl_ns_name(unsigned bit);

/* Resource limits through cgroup v2 ("limits"); 0: not limited. */
struct nsl_limits {
	bool set;
	uint64_t memory;    /* bytes: memory.max */
	uint64_t pids;      /* pids.max */
	uint32_t cpu_milli; /* thousandths of one CPU: cpu.max */
};

/* Readiness: a command re-run in the node until it exits 0 (see nsl_node.ready). */
struct nsl_ready {
	struct nsl_argv cmd;
	uint32_t interval_ms; /* between attempts, default 100 */
	uint32_t timeout_ms;  /* the node is not ready in time after this, default 30000 */
};

struct nsl_node {
	char name[NSL_NAME_MAX + 1];
	char hostname[65];
	struct nsl_iface *ifaces;
	size_t n_ifaces;
	struct nsl_bridge *bridges;
	size_t n_bridges;
	struct nsl_route *routes;
	size_t n_routes;
	struct nsl_sysctl *sysctls;
	size_t n_sysctls;
	struct nsl_nat *nat;
	size_t n_nat;
	struct nsl_argv *exec;
	size_t n_exec;
	struct nsl_mount *mounts;
	size_t n_mounts;
	char **env; /* "KEY=VALUE", NULL-terminated, may be NULL */
	size_t n_env;
	struct nsl_rule *rules;
	size_t n_rules;
	struct nsl_table_name *tables;
	size_t n_tables;
	bool no_mgmt;              /* "mgmt": false: no interface on the management network */
	bool has_mgmt4, has_mgmt6; /* "mgmt": {address, address6}: its own there */
	struct nsl_ip mgmt4, mgmt6;
	bool has_ready;
	struct nsl_ready ready;
	char **after_names; /* "after": nodes whose readiness this node's exec waits for */
	int *after;         /* their indices (validation) */
	size_t n_after;
	struct nsl_rootfs rootfs; /* the lab's default when the node writes none */
	unsigned namespaces;      /* NSL_NS_*: as written, plus ipc with a rootfs */
	bool has_time_offsets;
	int64_t time_monotonic, time_boottime; /* seconds, "time_offsets" */
	struct nsl_limits limits;
	char host_name[NSL_NAME_MAX + 1]; /* "host": the machine it sits on ("" the first) */
	int host;                         /* its index in t->hosts (validation), -1 none */
};

struct nsl_endpoint {
	int node; /* index in nodes, NSL_ENDPOINT_HOST for the host */
	char ifname[NSL_IFNAME_MAX + 1];
};
#define NSL_ENDPOINT_HOST (-1)

struct nsl_link {
	struct nsl_endpoint ends[2];
	uint32_t mtu;             /* 0: kernel default; interfaces.X.mtu overrides per end */
	uint64_t rate;            /* bytes per second, 0: none */
	struct nsl_impair impair; /* both directions; an end's own impair overrides it */
	bool has_vni;             /* "vni": a link between hosts, its VXLAN's VNI */
	uint32_t vni;
	int index; /* its place in the file's "links" (a host's part keeps some of them) */
};

/* A rootless lab's way out ("host": {"uplink": ...}): the lab's keeper's network namespace
 * stands in for the host, and reaches the host's networks through a user-mode stack. */
enum nsl_uplink { NSL_UPLINK_NONE, NSL_UPLINK_SLIRP4NETNS };
#define NSL_UPLINK_IFNAME "uplink0"     /* its interface in the lab's host */
#define NSL_UPLINK_PREFIX "10.0.2.0/24" /* slirp4netns's network: gateway .2, DNS .3, us .100 */

struct nsl_host {
	struct nsl_iface *ifaces; /* host ends of host: links */
	size_t n_ifaces;
	struct nsl_nat *nat;
	size_t n_nat;
	struct nsl_sysctl *sysctls;
	size_t n_sysctls;
	enum nsl_uplink uplink;
};

/* Address pools ("pools"): links, bridges and each node's lo without "addresses" get theirs
 * from these (validation numbers them, in file order). */
struct nsl_pool {
	bool set;
	struct nsl_prefix net; /* host bits clear */
	uint8_t block;         /* the prefix length of what each link or bridge gets */
};

/* The management network ("mgmt"): a bridge in the host (named by the plan after the lab),
 * and in every node an interface on it, its addresses from the subnets in node order. */
struct nsl_mgmt {
	bool set;
	bool has4, has6;
	struct nsl_prefix subnet, subnet6;
	struct nsl_prefix gw4, gw6;      /* the host bridge's: first address of each subnet */
	char bridge[NSL_IFNAME_MAX + 1]; /* "" : the plan names it after the lab */
	char iface[NSL_IFNAME_MAX + 1];  /* in each node, "mgmt0" unless written */
};

/* A machine of a lab that spans several ("hosts"): the address its VXLANs are sent from. */
struct nsl_labhost {
	char name[NSL_NAME_MAX + 1];
	struct nsl_ip underlay;
};

/* A node another machine builds, in the part of one host (nsl_topology_part). */
struct nsl_elsewhere {
	char name[NSL_NAME_MAX + 1];
	int host;
	char hostname[65];
	struct nsl_ip addr; /* its first address, for /etc/hosts (family 0: none) */
};

/* ---- checks: the top-level "tests" list (parse_tests.c, validate_tests.c, checks.c) ---- */

enum nsl_check_kind {
	NSL_CHECK_PING,    /* an ICMP/ICMPv6 echo is answered */
	NSL_CHECK_NO_PING, /* no echo is answered */
	NSL_CHECK_CONNECT, /* a TCP port accepts, or a UDP port replies */
	NSL_CHECK_ROUTE,   /* a route is in the node's table */
	NSL_CHECK_CMD,     /* a command exits with a status, its output matching a regex */
};

#define NSL_CHECK_NAME_MAX 256
#define NSL_DURATION_MAX_MS 3600000u /* durations: at most an hour */

struct nsl_check {
	char *name; /* as written, or what it checks ("h1 ping 10.0.2.2") */
	bool named; /* the name was written */
	enum nsl_check_kind kind;
	char node_name[NSL_NAME_MAX + 1]; /* "from" or "node" */
	bool from_key;                    /* it was written as "from" */
	int node;                         /* its index (validation) */
	struct nsl_ip ip;                 /* PING, NO_PING, CONNECT: the target */
	uint32_t count;                   /* PING, NO_PING: echo requests, default 1 */
	uint16_t port;                    /* CONNECT */
	int proto;                        /* CONNECT: IPPROTO_TCP (default) or IPPROTO_UDP */
	struct nsl_prefix route;          /* ROUTE: the destination */
	bool has_via;
	struct nsl_ip via;            /* ROUTE: a gateway it must have */
	char dev[NSL_IFNAME_MAX + 1]; /* ROUTE: an interface it must leave by, "" any */
	uint32_t table;               /* ROUTE: default 254 (main) */
	struct nsl_argv cmd;          /* CMD */
	int status;                   /* CMD: the expected exit status, default 0 */
	char *match;                  /* CMD: an extended regex its output must match */
	uint32_t within_ms;           /* retry until it holds, this long; 0: one attempt */
	uint32_t interval_ms;         /* between attempts, default 100 */
	uint32_t timeout_ms;          /* one attempt at most, default: the kind's */
};

/* "100ms", "20s", "1.5s", "2m", "1h" -> milliseconds; false on anything else. */
bool nsl_duration_parse(const char *s, uint64_t *ret_ms);
/* Default values of checks. */
#define NSL_READY_INTERVAL_MS 100
#define NSL_READY_TIMEOUT_MS 30000
#define NSL_CHECK_INTERVAL_MS 100
/* The timeout of one attempt of a check: as written, else the kind's default. */
uint32_t nsl_check_timeout_ms(const struct nsl_check *c);
const char *nsl_check_kind_name(enum nsl_check_kind k);
/* What a check does, as one line ("ping 10.0.2.2 from h1, 1 request, 1 s timeout"). */
void nsl_check_describe(const struct nsl_check *c, char *buf, size_t size);
/* A command as a shell would read it, into buf (cut with "..." when too long). */
void nsl_argv_str(const struct nsl_argv *a, char *buf, size_t size);

struct nsl_arena;
struct nsl_dnode;

struct nsl_topology {
	struct nsl_arena *arena;
	char *file; /* as given */
	char *dir;  /* absolute directory of the file, for relative mount sources */
	char name[NSL_NAME_MAX + 1];
	struct nsl_node *nodes;
	size_t n_nodes;
	struct nsl_link *links;
	size_t n_links;
	struct nsl_host host;
	struct nsl_pool pools[NSL_POOLS];
	struct nsl_mgmt mgmt;
	struct nsl_check *checks; /* "tests" */
	size_t n_checks;
	struct nsl_rootfs rootfs;    /* "rootfs" at the top level: the nodes' default */
	const struct nsl_dnode *doc; /* the file as read, for the places of problems; NULL if
	                              * the topology was not read from text */
	char *text;                  /* the text it was read from */
	size_t text_len;
	char sha256[65];           /* of the text: which version of the file this is */
	struct nsl_labhost *hosts; /* "hosts": the machines of a lab over several, in file order */
	size_t n_hosts;
	int part; /* the host whose part this model is (nsl_topology_part); -1 the whole lab */
	struct nsl_elsewhere *elsewhere; /* in a part: the nodes of the other hosts */
	size_t n_elsewhere;
};

/* Parse a topology from JSON or YAML text (file_name names it in messages, anchors
 * relative paths and picks the format: .json, .yaml/.yml, else by content). Every problem
 * goes to diags; returns 0 with *ret set, or -EINVAL. Checks syntax, duplicate keys,
 * unknown keys, types, value syntax (names, CIDRs, MACs, numbers), size and depth. Does
 * not resolve references: see nsl_topology_validate. */
int nsl_topology_parse(const char *file_name, const char *text, size_t len,
                       struct nsl_topology **ret, struct nsl_diags *diags) NSL_MUST_USE;
/* Read a file (size-limited) and parse it. */
int nsl_topology_load(const char *path, struct nsl_topology **ret,
                      struct nsl_diags *diags) NSL_MUST_USE;
/* Cross-checks: references, duplicates, kinds; fills iface kind/link/bridge. 0 or -EINVAL. */
int nsl_topology_validate(struct nsl_topology *t, struct nsl_diags *diags) NSL_MUST_USE;
/* What a lab of root's, or a rootless one (built by a user other than root), cannot have
 * (model/validate_rootless.c). Rootless: every key that needs privilege on the host (host
 * ends of links, host interfaces, moved devices, the host's NAT and sysctls), each refused
 * where it is written; with host.uplink the lab has a host of its own (its keeper's network
 * namespace), and only moved devices are refused, and what would clash with the uplink. Root:
 * host.uplink. On a validated topology; 0 or -EINVAL. */
int nsl_topology_check_for(const struct nsl_topology *t, bool rootless,
                           struct nsl_diags *diags) NSL_MUST_USE;
void nsl_topology_free(struct nsl_topology *t);
/* The validated model as deterministic, readable text (`nslab validate --show`). */
void nsl_topology_dump(const struct nsl_topology *t, FILE *out);
/* Whether a command-line argument names a topology file by its extension. */
bool nsl_topology_file_name(const char *s);

enum nsl_format { NSL_FORMAT_JSON, NSL_FORMAT_YAML };
/* The format of a file: by extension (.json; .yaml, .yml), else by content (JSON when the
 * first character that is not white space is '{' or '['). */
enum nsl_format nsl_topology_format(const char *file_name, const char *text, size_t len);

/* The metric the kernel gives a route: as written, else 0 (IPv4) or 1024 (IPv6); for IPv6
 * also 1024 when written 0, as the kernel reads it. */
uint32_t nsl_route_metric(const struct nsl_route *r);

/* The impairment of the packets leaving an interface, as the topology says: its link's
 * `impair`, its own `impair` over it key by key, and the link's `rate` (validation refuses
 * both rates on one link). All zero for what is no link end. */
void nsl_iface_impair(const struct nsl_topology *t, const struct nsl_iface *f,
                      struct nsl_impair *ret);

/* The /etc/hosts of every node of the lab (malloc'd; NULL when out of memory): localhost,
 * then each node's name (and hostname, if another) with its first address (in interface
 * order, link-local ones skipped; else its own management address); nodes with none are
 * left out. */
char *nsl_hosts_text(const struct nsl_topology *t, const char *lab);
/* That first address of a node, or NULL. In a part (a lab over several hosts), the nodes of
 * the other hosts follow with theirs (t->elsewhere). */
const struct nsl_ip *nsl_node_first_address(const struct nsl_node *n);
/* ---- labs over several hosts (part.c) ---- */

/* The VXLAN header and the outer UDP, IP and Ethernet headers a link between hosts costs. */
#define NSL_VXLAN_OVERHEAD4 50
#define NSL_VXLAN_OVERHEAD6 70
#define NSL_VXLAN_MTU_BASE 1500 /* the underlay's MTU the default MTU of such a link assumes */
#define NSL_VNI_FIRST 0x1000u   /* derived VNIs: from here to 0xffffff, low ones left to users */
/* The VNI of a link between hosts, derived from the lab's name and its two ends ("node:if",
 * in either order): the same on every machine, whatever the order of the file. */
uint32_t nsl_vni_derive(const char *lab, const char *end_a, const char *end_b);
/* The VNI of each link (0 for links within one host, or a single host's lab): the written
 * ones, then the derived ones in link order, each moved on (+1) past VNIs taken in the lab
 * (written ones, VXLANs whose socket is a host's). ret has t->n_links entries. */
int nsl_topology_vnis(const struct nsl_topology *t, const char *lab, uint32_t *ret) NSL_MUST_USE;
/* The MAC of the VXLAN of a link between hosts (unless written): derived from the lab's name
 * and the end, so that it is the same each time its part comes up. */
void nsl_cross_mac(const char *lab, const char *node, const char *ifname, uint8_t mac[6]);
/* The host of that name, -1 if none. */
int nsl_topology_host(const struct nsl_topology *t, const char *name);
/* The host a node (or, NSL_ENDPOINT_HOST, the host end of link l) sits on. */
int nsl_endpoint_host(const struct nsl_topology *t, const struct nsl_link *l, int end);
/* Turns a validated lab of several hosts into the part host builds, under the lab name lab:
 * the other hosts' nodes go (named in t->elsewhere), as do links between them and the checks
 * they run; a link between host and another becomes, on host's side, a VXLAN in the node
 * (its socket in the host: "underlay": "host") with the link's VNI, remote the other host's
 * underlay, its MTU NSL_VXLAN_MTU_BASE less the overhead and its MAC nsl_cross_mac's unless
 * written, its impairment the link's and the end's. Not to be validated again. 0 or -ENOMEM. */
int nsl_topology_part(struct nsl_topology *t, int host, const char *lab) NSL_MUST_USE;

/* Find a node by name, -1 if none. */
int nsl_topology_node(const struct nsl_topology *t, const char *name);
/* Find a node's interface entry by name, NULL if none. */
struct nsl_iface *nsl_node_iface(const struct nsl_node *n, const char *name);

/* Name rules of the contract. */
bool nsl_name_valid(const char *s);   /* lab and node names */
bool nsl_ifname_valid(const char *s); /* kernel interface names */

/* ---- added by the parser/validator module (diag.c, addr.c) ---- */
/* nsl_diags_add(_at) with a va_list, for wrappers that count problems. */
void nsl_diags_addv(struct nsl_diags *d, const char *path, const char *fmt, va_list ap);
void nsl_diags_addv_at(struct nsl_diags *d, unsigned line, unsigned col, const char *path,
                       const char *fmt, va_list ap);
/* Same family and same bytes. */
bool nsl_ip_equal(const struct nsl_ip *a, const struct nsl_ip *b);
/* Whether ip lies inside p (same family, first p->len bits equal). */
bool nsl_prefix_contains(const struct nsl_prefix *p, const struct nsl_ip *ip);
/* Multicast or unspecified (0.0.0.0, ::): never an interface address or a gateway. */
bool nsl_ip_is_special(const struct nsl_ip *ip);

#endif
