#!/usr/bin/python3
"""bench/mininet_chain.py N TAG: the benchmark's chain of N nodes built with Mininet (issue 16).

The same lab as bench/gen.sh's chain-N: plain Host nodes (no switch, no controller), a veth
per link, 10.128.0.0/9 + 4k as a /30 on link k (.1 on the lower-numbered end, .2 on the other),
every link up. Prints up_ns= (Mininet() with every host and link made, addresses set) and
down_ns= (net.stop()). Interface names carry TAG (mTAGa<k>, mTAGb<k>): Mininet makes its veths
in the host before moving them, and those names must be ours alone. Nothing else is touched:
no `mn -c`, which kills by name.
"""
import sys
import time

from mininet.log import setLogLevel
from mininet.net import Mininet
from mininet.node import Host


def addr(k, end):
    v = 4 * k + end
    return "10.%d.%d.%d/30" % (128 + v // 65536, (v // 256) % 256, v % 256)


def main():
    n, tag = int(sys.argv[1]), sys.argv[2]
    setLogLevel("error")
    t0 = time.monotonic_ns()
    net = Mininet(topo=None, host=Host, controller=None, build=False, autoSetMacs=False)
    try:
        hosts = [net.addHost("h%d" % i, ip=None) for i in range(1, n + 1)]
        for k in range(n - 1):
            a, b = "m%sa%d" % (tag, k), "m%sb%d" % (tag, k)
            net.addLink(hosts[k], hosts[k + 1], intfName1=a, intfName2=b)
            hosts[k].setIP(addr(k, 1), intf=a)
            hosts[k + 1].setIP(addr(k, 2), intf=b)
        net.build()
        t1 = time.monotonic_ns()
    finally:
        t2 = time.monotonic_ns()
        net.stop()
        t3 = time.monotonic_ns()
    print("up_ns=%d" % (t1 - t0))
    print("down_ns=%d" % (t3 - t2))


if __name__ == "__main__":
    main()
