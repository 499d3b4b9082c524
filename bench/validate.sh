#!/usr/bin/env bash
# Cost of `nslab validate` on big topologies, per kind of item: routes, mounts, addresses,
# nodes, links, env, sysctls (JSON), and routes in YAML. Each kind at a tenth of its size and
# at full size (close to the 4 MiB file limit, or the count limit of that kind): the cost per
# item should stay flat from one to the other (no quadratic part). No root, no kernel.
#
#   NSLAB=build/nslab bench/validate.sh [KIND...]
#
# Not a test: it prints numbers and fails only when validate refuses a file.
set -euo pipefail

NSLAB=${NSLAB:-$(dirname "$0")/../build/nslab}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# gen KIND N > FILE: a valid topology with N items of that kind.
gen() {
	awk -v kind="$1" -v n="$2" 'BEGIN {
		printf "{\"name\": \"bench\", \"nodes\": {"
		if (kind == "routes") {
			printf "\"a\": {\"interfaces\": {\"e\": {\"addresses\": [\"10.0.0.1/8\"]}}, \"routes\": ["
			for (i = 0; i < n; i++)
				printf "%s{\"to\": \"11.%d.%d.%d/32\", \"via\": \"10.0.0.2\"}", i ? "," : "", int(i / 65536), int(i / 256) % 256, i % 256
			printf "]}, \"b\": {}}, \"links\": [{\"endpoints\": [\"a:e\", \"b:e\"]}]"
		} else if (kind == "mounts") {
			printf "\"a\": {\"mounts\": ["
			for (i = 0; i < n; i++)
				printf "%s{\"tmpfs\": \"/m/%d\"}", i ? "," : "", i
			printf "]}}"
		} else if (kind == "addresses") {
			printf "\"a\": {\"interfaces\": {\"e\": {\"addresses\": ["
			for (i = 0; i < n; i++)
				printf "%s\"10.%d.%d.%d/8\"", i ? "," : "", int(i / 65536), int(i / 256) % 256, i % 256
			printf "]}}}, \"b\": {}}, \"links\": [{\"endpoints\": [\"a:e\", \"b:e\"]}]"
		} else if (kind == "nodes") {
			for (i = 0; i < n; i++)
				printf "%s\"n%d\": {\"hostname\": \"h%d\", \"sysctls\": {\"net.ipv4.ip_forward\": 1}}", i ? "," : "", i, i
			printf "}"
		} else if (kind == "links") {
			printf "\"hub\": {}"
			for (i = 0; i < 4096 - 1; i++)
				printf ", \"n%d\": {}", i
			printf "}, \"links\": ["
			for (i = 0; i < n; i++)
				printf "%s{\"endpoints\": [\"hub:h%d\", \"n%d:e%d\"]}", i ? "," : "", i, i % 4095, int(i / 4095)
			printf "]"
		} else if (kind == "env") {
			for (j = 0; j < n / 256; j++) {
				printf "%s\"n%d\": {\"env\": {", j ? "," : "", j
				for (i = 0; i < 256; i++)
					printf "%s\"V%d\": \"%d\"", i ? "," : "", i, i
				printf "}}"
			}
			printf "}"
		} else if (kind == "sysctls") {
			printf "\"a\": {\"sysctls\": {"
			for (i = 0; i < n; i++)
				printf "%s\"net.bench.k%d\": %d", i ? "," : "", i, i
			printf "}}}"
		}
		printf "}\n"
	}'
}

# gen_yaml_routes N > FILE
gen_yaml_routes() {
	awk -v n="$1" 'BEGIN {
		print "name: bench\nnodes:\n  b: {}\n  a:\n    interfaces:\n      e: {addresses: [10.0.0.1/8]}\n    routes:"
		for (i = 0; i < n; i++)
			printf "      - {to: 11.%d.%d.%d/32, via: 10.0.0.2}\n", int(i / 65536), int(i / 256) % 256, i % 256
		print "links:\n  - endpoints: [a:e, b:e]"
	}'
}

# Full sizes: close to 4 MiB, or the limit of the kind (4096 nodes, 16384 links, 256 env
# entries per node).
declare -A FULL=([routes]=85000 [mounts]=170000 [addresses]=240000 [nodes]=4096 [links]=16384
	[env]=262144 [sysctls]=140000 [yaml-routes]=85000)
KINDS=("$@")
[ ${#KINDS[@]} -gt 0 ] || KINDS=(routes mounts addresses nodes links env sysctls yaml-routes)

printf '%-12s %9s %9s %9s %12s\n' kind items bytes seconds "us/item"
for kind in "${KINDS[@]}"; do
	for n in $((FULL[$kind] / 10)) "${FULL[$kind]}"; do
		if [ "$kind" = yaml-routes ]; then
			f=$TMP/$kind-$n.yaml
			gen_yaml_routes "$n" >"$f"
		else
			f=$TMP/$kind-$n.json
			gen "$kind" "$n" >"$f"
		fi
		t0=$(date +%s%N)
		if ! "$NSLAB" validate "$f" >/dev/null 2>"$TMP/err"; then
			echo "validate refused $kind ($n items):" >&2
			head -5 "$TMP/err" >&2
			exit 1
		fi
		t1=$(date +%s%N)
		awk -v k="$kind" -v n="$n" -v b="$(stat -c %s "$f")" -v ns=$((t1 - t0)) \
			'BEGIN { printf "%-12s %9d %9d %9.3f %12.2f\n", k, n, b, ns / 1e9, ns / 1e3 / n }'
	done
done
