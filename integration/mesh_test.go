package integration

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/soterdag/soterd/internal/procnode"
	"github.com/soterdag/soterd/rpcmodel"
)

// convergeTimeout bounds the wait for nodes to agree once mining stopped.
const convergeTimeout = 2 * time.Minute

// link is a connection that node from keeps to node to (addnode add).
type link struct{ from, to int }

// connectLinks makes every link.
func connectLinks(t *testing.T, nodes []*procnode.Node, links []link) {
	t.Helper()
	for _, l := range links {
		connect(t, nodes[l.from], nodes[l.to])
	}
}

// mineStats counts what the miners of mineRandomly did.
type mineStats struct {
	mu        sync.Mutex
	generated int
	toggles   int
}

// mineRandomly makes every node mine on and off at random moments until
// the duration is over: the CPU miner switched on for a while
// (setgenerate), bursts of generate, pauses. It stops every miner before
// it returns, and returns the errors the nodes answered with.
func mineRandomly(rng *rand.Rand, nodes []*procnode.Node, d time.Duration, st *mineStats) []error {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	fail := func(i int, err error) {
		mu.Lock()
		errs = append(errs, fmt.Errorf("node %d: %w", i, err))
		mu.Unlock()
	}
	end := time.Now().Add(d)
	for i, n := range nodes {
		r := rand.New(rand.NewPCG(rng.Uint64(), rng.Uint64()))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(end) {
				switch p := r.IntN(10); {
				case p < 4:
					if err := n.SetGenerate(true, 1); err != nil {
						fail(i, err)
						return
					}
					sleepUntil(end, time.Duration(300+r.IntN(1700))*time.Millisecond)
					if err := n.SetGenerate(false, 0); err != nil {
						fail(i, err)
						return
					}
					st.mu.Lock()
					st.toggles++
					st.mu.Unlock()
				case p < 8:
					// Small bursts: a big one would build a side
					// branch beyond the mergeset limit.
					k := 1 + r.IntN(3)
					if _, err := n.Generate(k); err != nil {
						fail(i, err)
						return
					}
					st.mu.Lock()
					st.generated += k
					st.mu.Unlock()
				default:
					sleepUntil(end, time.Duration(100+r.IntN(900))*time.Millisecond)
				}
			}
		}()
	}
	wg.Wait()
	for i, n := range nodes {
		if err := n.SetGenerate(false, 0); err != nil {
			fail(i, err)
		}
	}
	return errs
}

// sleepUntil sleeps for d, or until end if that comes first.
func sleepUntil(end time.Time, d time.Duration) {
	if left := time.Until(end); left < d {
		d = max(left, 0)
	}
	time.Sleep(d)
}

// dagShape describes how far a DAG is from a chain: its red blocks, and
// the blocks off the virtual's selected chain.
func dagShape(t *testing.T, n *procnode.Node, order []rpcmodel.ColoredBlock) string {
	t.Helper()
	reds := 0
	for _, b := range order {
		if b.Color == rpcmodel.ColorRed {
			reds++
		}
	}
	info, err := n.GetDAGInfo()
	if err != nil {
		t.Fatalf("getdaginfo: %v", err)
	}
	return fmt.Sprintf("%d blocks, %d red, %d off the selected chain, max height %d",
		info.Blocks, reds, info.Blocks-info.ChainHeight, info.MaxHeight)
}

// TestMeshMining runs five nodes in a partial mesh (a ring with one chord),
// each mining on and off at random moments, and checks that they converge
// to the same tips, order and UTXO set.
func TestMeshMining(t *testing.T) {
	rng := newRand(t)
	nodes := startNodes(t, 5)
	connectLinks(t, nodes, []link{{1, 0}, {2, 1}, {3, 2}, {4, 3}, {0, 4}, {2, 0}})

	d := pick(15*time.Second, time.Minute)
	var st mineStats
	for _, err := range mineRandomly(rng, nodes, d, &st) {
		t.Error(err)
	}
	state := waitConverged(t, convergeTimeout, nodes...)
	order := checkSameOrder(t, nodes...)
	t.Logf("mined %v: %d blocks by generate, %d miner sessions; converged on %v; %s",
		d, st.generated, st.toggles, state, dagShape(t, nodes[0], order))
	if state.Blocks < uint64(st.generated)+1 {
		t.Fatalf("converged on %d blocks, fewer than the %d generated", state.Blocks, st.generated)
	}
	if uint64(len(order)) > state.Blocks {
		t.Fatalf("order has %d blocks, the DAG %d", len(order), state.Blocks)
	}
}
