package integration

import (
	"slices"
	"testing"
	"time"
)

// TestPartitionHeal splits five nodes into groups of three and two that
// mine apart, then heals the partition with addnode across and checks that
// every node ends with the union of both sides' blocks, in the same order,
// with the same UTXO set, and that one new block merges both sides.
func TestPartitionHeal(t *testing.T) {
	rng := newRand(t)
	nodes := startNodes(t, 5)
	groupA, groupB := nodes[:3], nodes[3:]
	inside := []link{{1, 0}, {2, 1}, {4, 3}}
	cross := []link{{3, 0}, {4, 2}}
	connectLinks(t, nodes, inside)
	connectLinks(t, nodes, cross)

	if _, err := nodes[0].Generate(10); err != nil {
		t.Fatalf("generate: %v", err)
	}
	prefix := waitConverged(t, convergeTimeout, nodes...)

	// Partition: drop the links across. Each group keeps its own links,
	// so each node ends with only its in-group peers.
	for _, l := range cross {
		if err := nodes[l.from].RemoveNode(nodes[l.to].P2PAddr()); err != nil {
			t.Fatalf("addnode remove: %v", err)
		}
	}
	degree := make([]int, len(nodes))
	for _, l := range inside {
		degree[l.from]++
		degree[l.to]++
	}
	waitFor(t, 30*time.Second, "partition", func() (bool, error) {
		for i, n := range nodes {
			c, err := n.GetConnectionCount()
			if err != nil || c != degree[i] {
				return false, err
			}
		}
		return true, nil
	})

	// Mine apart. The time is short enough that one block can still
	// merge the other side within the mergeset limit.
	d := pick(8*time.Second, 20*time.Second)
	var st mineStats
	for _, err := range mineRandomly(rng, nodes, d, &st) {
		t.Error(err)
	}
	stateA := waitConverged(t, convergeTimeout, groupA...)
	stateB := waitConverged(t, convergeTimeout, groupB...)
	if stateA.equal(stateB) || stateA.Blocks <= prefix.Blocks || stateB.Blocks <= prefix.Blocks {
		t.Fatalf("the groups did not mine apart: %v and %v after %v", stateA, stateB, prefix)
	}
	t.Logf("apart for %v: group A %v, group B %v", d, stateA, stateB)

	// Heal.
	connectLinks(t, nodes, cross)
	healed := waitConverged(t, convergeTimeout, nodes...)
	union := stateA.Blocks + stateB.Blocks - prefix.Blocks
	if healed.Blocks != union {
		t.Fatalf("healed DAG has %d blocks, want the union's %d", healed.Blocks, union)
	}
	for _, tip := range slices.Concat(stateA.Tips, stateB.Tips) {
		for i, n := range nodes {
			if _, err := n.GetBlock(tip, 1); err != nil {
				t.Fatalf("node %d lacks the pre-heal tip %s: %v", i, tip, err)
			}
		}
	}
	checkSameOrder(t, nodes...)

	// One block on top merges both sides.
	hashes, err := nodes[4].Generate(1)
	if err != nil {
		t.Fatalf("generate: %v", err)
	}
	final := waitConverged(t, convergeTimeout, nodes...)
	if final.Blocks != union+1 || len(final.Tips) != 1 || final.Tips[0] != hashes[0] {
		t.Fatalf("after the merging block: %v, want %d blocks and the one tip %s",
			final, union+1, hashes[0])
	}
	order := checkSameOrder(t, nodes...)
	if uint64(len(order)) != final.Blocks {
		t.Fatalf("the merging block's order has %d blocks, the DAG %d", len(order), final.Blocks)
	}
	t.Logf("healed: %v; %s", final, dagShape(t, nodes[0], order))
}
