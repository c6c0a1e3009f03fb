package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/soterdag/soterd/blockdag"
	"github.com/soterdag/soterd/internal/procnode"
	"github.com/soterdag/soterd/internal/wanproxy"
	"github.com/soterdag/soterd/rpcmodel"
)

// Limits of the ibd command's link options.
const (
	// maxIBDPeers bounds -peers: each source is a soterd process and a
	// copy of the DAG.
	maxIBDPeers = 8

	// maxLinkDelay bounds -delay and -jitter: a one-way delay of 10 s is
	// no longer a link but an outage.
	maxLinkDelay = 10 * time.Second

	// handshakeRoundTrips is the round trips a download needs before and
	// between data on a perfect pipeline: the version handshake, the
	// first getblocks, and the first getdata.
	handshakeRoundTrips = 3
)

// wan reports whether the links to the sources go through proxies.
func (o *ibdOptions) wan() bool {
	return o.delay > 0 || o.jitter > 0 || o.mbit > 0
}

// checkWANOptions checks -peers, -delay, -jitter and -mbit.
func checkWANOptions(o *ibdOptions) error {
	switch {
	case o.peers < 1 || o.peers > maxIBDPeers:
		return usageError{fmt.Sprintf("-peers must be in 1..%d, got %d", maxIBDPeers, o.peers)}
	case o.delay < 0 || o.delay > maxLinkDelay:
		return usageError{fmt.Sprintf("-delay must be in 0..%v, got %v", maxLinkDelay, o.delay)}
	case o.jitter < 0 || o.jitter > maxLinkDelay:
		return usageError{fmt.Sprintf("-jitter must be in 0..%v, got %v", maxLinkDelay, o.jitter)}
	case o.mbit < 0 || o.mbit > 1e6 || o.mbit != o.mbit:
		return usageError{fmt.Sprintf("-mbit must be in 0..1000000 (0: no cap), got %v", o.mbit)}
	}
	return nil
}

// linkBound returns the least time a download of wireBytes can take over
// the links: the bytes at the sources' combined bandwidth plus the round
// trips no pipeline avoids. Jitter is left out: it delays, on average,
// by half of itself.
func linkBound(wireBytes uint64, o *ibdOptions) time.Duration {
	bound := time.Duration(handshakeRoundTrips) * 2 * o.delay
	if o.mbit > 0 {
		bps := o.mbit * 1e6 / 8 * float64(o.peers)
		bound += time.Duration(float64(wireBytes) / bps * float64(time.Second))
	}
	return bound
}

// startSources starts -peers source nodes on the DAG in srcHome: the first
// on srcHome itself, the others on fresh copies of its data, and returns
// them with the DAG they serve.
func startSources(c *cluster, opts *ibdOptions, params *blockdag.Params, binary, srcHome string,
	info *sourceInfo, stderr io.Writer) ([]*procnode.Node, *rpcmodel.GetDAGInfoResult, error) {

	homes := []string{srcHome}
	for i := 1; i < opts.peers; i++ {
		home := fmt.Sprintf("%s-copy%d", srcHome, i)
		if err := os.RemoveAll(home); err != nil {
			return nil, nil, fmt.Errorf("clear source copy %d: %w", i, err)
		}
		if err := cloneTree(filepath.Join(srcHome, "data"), filepath.Join(home, "data")); err != nil {
			return nil, nil, fmt.Errorf("copy the source DAG: %w", err)
		}
		homes = append(homes, home)
	}
	var sources []*procnode.Node
	var want *rpcmodel.GetDAGInfoResult
	for i, home := range homes {
		n, err := c.start(&procnode.Config{Binary: binary, Network: params.Name, HomeDir: home})
		if err != nil {
			return nil, nil, fmt.Errorf("start source node %d: %w", i, err)
		}
		got, err := n.GetDAGInfo()
		if err != nil {
			return nil, nil, fmt.Errorf("source node %d: %w", i, err)
		}
		if got.Blocks != info.DAGBlocks {
			return nil, nil, fmt.Errorf("source node %d has %d blocks, the build made %d",
				i, got.Blocks, info.DAGBlocks)
		}
		if want != nil && !synced(got, want) {
			return nil, nil, fmt.Errorf("source node %d holds another DAG than source node 0", i)
		}
		want = got
		sources = append(sources, n)
	}
	fmt.Fprintf(stderr, "soterbench: %d source node(s) up with %d blocks (%s); starting the syncing node\n",
		len(sources), want.Blocks, sources[0].LogFile())
	return sources, want, nil
}

// ibdLinks are the addresses the syncing node connects to: the sources'
// own, or proxies in front of them that model the links.
type ibdLinks struct {
	addrs   []string
	proxies []*wanproxy.Proxy
}

// startLinks starts a proxy in front of every source when the options
// model a link.
func startLinks(opts *ibdOptions, sources []*procnode.Node) (*ibdLinks, error) {
	l := &ibdLinks{}
	for _, n := range sources {
		if !opts.wan() {
			l.addrs = append(l.addrs, n.P2PAddr())
			continue
		}
		p, err := wanproxy.New(&wanproxy.Config{Target: n.P2PAddr(), Delay: opts.delay,
			Jitter: opts.jitter, Mbit: opts.mbit})
		if err != nil {
			l.close()
			return nil, fmt.Errorf("link proxy: %w", err)
		}
		l.proxies = append(l.proxies, p)
		l.addrs = append(l.addrs, p.Addr())
	}
	return l, nil
}

// bytesDown returns the bytes the proxies carried to the syncing node.
func (l *ibdLinks) bytesDown() uint64 {
	var total uint64
	for _, p := range l.proxies {
		_, down := p.Bytes()
		total += down
	}
	return total
}

// perLink returns the MB each proxy carried to the syncing node, for the
// log: it shows how the download was shared.
func (l *ibdLinks) perLink() string {
	parts := make([]string, len(l.proxies))
	for i, p := range l.proxies {
		_, down := p.Bytes()
		parts[i] = fmt.Sprintf("%.2f", float64(down)/1e6)
	}
	return strings.Join(parts, " ")
}

// close stops the proxies.
func (l *ibdLinks) close() {
	for _, p := range l.proxies {
		p.Close()
	}
}
