package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/soterdag/soterd/internal/procnode"
)

// Bounds and timing of the propagate command.
const (
	// maxPropagateNodes bounds -nodes: every node is a process with its
	// own database and goroutines.
	maxPropagateNodes = 50

	// maxPropagateBlocks bounds -blocks.
	maxPropagateBlocks = 100_000

	// connectTimeout bounds the wait for the line to be connected.
	connectTimeout = 60 * time.Second

	// blockArrivalTimeout bounds the wait for one block to reach every
	// node; a relay that takes this long is broken, not slow.
	blockArrivalTimeout = 30 * time.Second
)

// propagateResult holds the measured delays.
type propagateResult struct {
	// hops are the delays between a node and the next one seeing a block,
	// ends the delays from the first node to the last.
	hops []time.Duration
	ends []time.Duration
}

// cmdPropagate measures how fast a block crosses a line of soterd
// processes.
func cmdPropagate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("propagate", stderr)
	nodes := fs.Int("nodes", 5, fmt.Sprintf("soterd processes in the line (2..%d)", maxPropagateNodes))
	blocks := fs.Int("blocks", 50, fmt.Sprintf("blocks to mine on the first node, one at a time (1..%d)", maxPropagateBlocks))
	soterd := fs.String("soterd", "", "soterd executable (default: beside soterbench, bin/soterd or on PATH)")
	dirFlag := fs.String("dir", "", "keep the node homes here (default: a temporary directory, removed)")
	network := fs.String("net", "regtest", "network: regtest or simnet")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *nodes < 2 || *nodes > maxPropagateNodes {
		return usageError{fmt.Sprintf("-nodes must be in 2..%d, got %d", maxPropagateNodes, *nodes)}
	}
	if *blocks < 1 || *blocks > maxPropagateBlocks {
		return usageError{fmt.Sprintf("-blocks must be in 1..%d, got %d", maxPropagateBlocks, *blocks)}
	}
	if *network != "regtest" && *network != "simnet" {
		return usageError{fmt.Sprintf("-net must be regtest or simnet, got %q", *network)}
	}
	binary, err := findSoterd(*soterd)
	if err != nil {
		return err
	}
	dir, cleanup, err := workDir(*dirFlag, "soterbench-propagate-")
	if err != nil {
		return fmt.Errorf("work directory: %w", err)
	}
	defer cleanup()

	res, err := runPropagate(ctx, binary, *network, dir, *nodes, *blocks, stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "soterbench: first to last node: median %.3f ms, p99 %.3f ms\n",
		millis(percentile(res.ends, 50)), millis(percentile(res.ends, 99)))
	fmt.Fprintf(stdout, "propagate nodes=%d blocks=%d hop_median_ms=%.3f hop_p99_ms=%.3f\n",
		*nodes, *blocks, millis(percentile(res.hops, 50)), millis(percentile(res.hops, 99)))
	return nil
}

// runPropagate starts the line, subscribes to every node's block
// notifications, mines the blocks on the first node and collects when each
// node connected each block.
func runPropagate(ctx context.Context, binary, network, dir string, count, blocks int,
	stderr io.Writer) (*propagateResult, error) {

	c := &cluster{log: stderr}
	defer c.stopAll()

	// Start from the end of the line, so each node can be told the
	// address of the next one.
	nodes := make([]*procnode.Node, count)
	for i := count - 1; i >= 0; i-- {
		cfg := &procnode.Config{
			Binary:  binary,
			Network: network,
			HomeDir: filepath.Join(dir, fmt.Sprintf("node%d", i)),
		}
		if i < count-1 {
			cfg.ExtraArgs = []string{"--connect=" + nodes[i+1].P2PAddr()}
		}
		n, err := c.start(cfg)
		if err != nil {
			return nil, fmt.Errorf("start node %d: %w", i, err)
		}
		nodes[i] = n
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	if err := waitLine(ctx, nodes); err != nil {
		return nil, err
	}

	events := make(chan blockEvent, 64*count)
	stopped := make(chan struct{})
	watchers := make([]*blockWatcher, 0, count)
	defer func() {
		close(stopped)
		for _, w := range watchers {
			w.close()
		}
	}()
	for i, n := range nodes {
		cfg := n.Config()
		w, err := watchBlocks(i, n.RPCAddr(), cfg.RPCUser, cfg.RPCPass, events, stopped)
		if err != nil {
			return nil, err
		}
		watchers = append(watchers, w)
	}
	fmt.Fprintf(stderr, "soterbench: %d nodes connected in a line; mining %d blocks on node 0\n",
		count, blocks)

	res := &propagateResult{}
	// Notifications of a block may arrive before generate returns its
	// hash, so early ones wait here.
	seen := make(map[string][]time.Time)
	for b := 0; b < blocks; b++ {
		hashes, err := nodes[0].Generate(1)
		if err != nil {
			return nil, fmt.Errorf("generate block %d on node 0: %w", b+1, err)
		}
		if len(hashes) != 1 {
			return nil, fmt.Errorf("generate returned %d hashes, want 1", len(hashes))
		}
		times, err := awaitBlock(ctx, hashes[0], count, events, seen, nodes)
		if err != nil {
			return nil, fmt.Errorf("block %d: %w", b+1, err)
		}
		for i := 0; i+1 < count; i++ {
			res.hops = append(res.hops, times[i+1].Sub(times[i]))
		}
		res.ends = append(res.ends, times[count-1].Sub(times[0]))
		delete(seen, hashes[0])
	}
	return res, nil
}

// awaitBlock collects the time every node connected the block, from seen
// and from events, and returns them by node.
func awaitBlock(ctx context.Context, hash string, count int, events <-chan blockEvent,
	seen map[string][]time.Time, nodes []*procnode.Node) ([]time.Time, error) {

	timeout := time.NewTimer(blockArrivalTimeout)
	defer timeout.Stop()
	have := func() ([]time.Time, bool) {
		times := seen[hash]
		if len(times) < count {
			return nil, false
		}
		for _, t := range times {
			if t.IsZero() {
				return nil, false
			}
		}
		return times, true
	}
	for {
		if times, ok := have(); ok {
			return times, nil
		}
		select {
		case ev := <-events:
			times := seen[ev.hash]
			if times == nil {
				times = make([]time.Time, count)
				seen[ev.hash] = times
			}
			if times[ev.node].IsZero() {
				times[ev.node] = ev.at
			}
		case <-timeout.C:
			missing := []int{}
			for i, t := range seen[hash] {
				if t.IsZero() {
					missing = append(missing, i)
				}
			}
			if seen[hash] == nil {
				for i := range nodes {
					missing = append(missing, i)
				}
			}
			return nil, fmt.Errorf("%s did not reach nodes %v within %v; see %s",
				hash, missing, blockArrivalTimeout, nodes[missing[0]].LogFile())
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// waitLine waits until every node has its neighbours as peers: one for the
// ends of the line, two for the others.
func waitLine(ctx context.Context, nodes []*procnode.Node) error {
	deadline := time.Now().Add(connectTimeout)
	for i, n := range nodes {
		want := 2
		if i == 0 || i == len(nodes)-1 {
			want = 1
		}
		for {
			got, err := n.GetConnectionCount()
			if err != nil {
				return fmt.Errorf("node %d: %w", i, err)
			}
			if got >= want {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("node %d has %d peers after %v, want %d; see %s",
					i, got, connectTimeout, want, n.LogFile())
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	return nil
}
