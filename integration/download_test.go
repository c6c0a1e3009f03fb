package integration

import (
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/soterdag/soterd/internal/procnode"
)

// maxSourceBatch bounds one generate call while building a source DAG:
// the two builders' batches run in parallel, so a batch is about the size
// of a side branch, which must stay well inside the mergeset limit (180).
const maxSourceBatch = 25

// buildSourceDAG mines at least n blocks on two connected nodes that call
// generate at the same time in small random batches, so the DAG has
// parallel blocks, merges and red blocks, not only a chain. It stops the
// second builder and returns the first with its state.
func buildSourceDAG(t *testing.T, rng *rand.Rand, n int) (*procnode.Node, dagState) {
	t.Helper()
	start := time.Now()
	builders := startNodes(t, 2)
	connect(t, builders[1], builders[0])
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		total int
		errs  []error
	)
	for _, b := range builders {
		r := rand.New(rand.NewPCG(rng.Uint64(), rng.Uint64()))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				done := total >= n || len(errs) > 0
				mu.Unlock()
				if done {
					return
				}
				k := 1 + r.IntN(maxSourceBatch)
				_, err := b.Generate(k)
				mu.Lock()
				total += k
				if err != nil {
					errs = append(errs, err)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		t.Fatalf("generate: %v", err)
	}
	state := waitConverged(t, convergeTimeout, builders...)
	if state.Blocks != uint64(total)+1 {
		t.Fatalf("source DAG has %d blocks, %d were mined", state.Blocks, total)
	}
	order := checkSameOrder(t, builders...)
	t.Logf("source DAG built in %v: %s", time.Since(start).Round(time.Millisecond),
		dagShape(t, builders[0], order))
	if code, err := builders[1].Stop(); err != nil || code != 0 {
		t.Fatalf("stop the second builder: exit code %d, %v", code, err)
	}
	return builders[0], state
}

// TestKillDuringDownload kills a downloading node with SIGKILL at random
// moments, at least ten times, restarting it each time, and checks that no
// block it had accepted is lost, that it finishes the download, and that it
// ends with its peer's state.
func TestKillDuringDownload(t *testing.T) {
	const minKills = 10
	rng := newRand(t)
	src, srcState := buildSourceDAG(t, rng, pick(5000, 20000))
	// The kill delay adapts to the download rate, so that kills fall
	// inside the download however fast the machine. Should a download
	// still finish before minKills kills, another episode starts a fresh
	// node with an empty data dir; kills add up across episodes, and
	// every one of them is checked.
	const maxEpisodes = 5
	kills := 0
	var killedAt []uint64
	var victim *procnode.Node
	for episode := 1; kills < minKills; episode++ {
		if episode > maxEpisodes {
			t.Fatalf("%d downloads finished after only %d kills, want at least %d (kills at %v blocks)",
				maxEpisodes, kills, minKills, killedAt)
		}
		if victim != nil {
			t.Logf("download finished after %d kills; episode %d starts a fresh node", kills, episode)
			if _, err := victim.Stop(); err != nil {
				t.Fatalf("stop the previous victim: %v", err)
			}
		}
		victim = startNode(t, withArgs("--addpeer="+src.P2PAddr()))
		maxDelay := 100 * time.Millisecond
		readyAt, blocksAtStart := time.Now(), uint64(1)
		for {
			time.Sleep(time.Duration(rng.Int64N(int64(maxDelay) + 1)))
			st, err := stateOf(victim)
			if err != nil {
				t.Fatalf("getdaginfo before kill %d: %v", kills+1, err)
			}
			if st.Blocks >= srcState.Blocks {
				break
			}
			if err := victim.Kill(); err != nil {
				t.Fatalf("kill: %v", err)
			}
			kills++
			killedAt = append(killedAt, st.Blocks)
			elapsed := time.Since(readyAt)
			if err := victim.Restart(); err != nil {
				t.Fatalf("restart after kill %d at %d blocks: %v", kills, st.Blocks, err)
			}
			readyAt = time.Now()
			after, err := stateOf(victim)
			if err != nil {
				t.Fatalf("getdaginfo after kill %d: %v", kills, err)
			}
			// Blocks the node reported before the kill were in the
			// store: a kill must not lose them.
			if after.Blocks < st.Blocks {
				t.Fatalf("kill %d lost blocks: %d before, %d after the restart", kills, st.Blocks, after.Blocks)
			}
			if kills < minKills {
				// Aim to spend about half the remaining blocks on
				// the kills still needed, at the rate of the last
				// stretch of download.
				rate := float64(st.Blocks-blocksAtStart) / max(elapsed.Seconds(), 0.001)
				left := float64(srcState.Blocks - after.Blocks)
				want := time.Duration(left / 2 / float64(minKills-kills) / max(rate, 1) * float64(time.Second))
				maxDelay = min(max(want, 5*time.Millisecond), time.Second)
			} else {
				maxDelay = time.Second
			}
			blocksAtStart = after.Blocks
		}
	}
	state := waitConverged(t, convergeTimeout, src, victim)
	if !state.equal(srcState) {
		t.Fatalf("converged on %v, the source had %v", state, srcState)
	}
	checkSameOrder(t, src, victim)
	t.Logf("%d kills during the download, at %v blocks of %d", kills, killedAt, srcState.Blocks)

	// A clean stop and start keeps it all.
	if err := victim.Restart(); err != nil {
		t.Fatalf("final restart: %v", err)
	}
	if st, err := stateOf(victim); err != nil || !st.equal(srcState) {
		t.Fatalf("after a clean restart: %v, %v; want %v", st, err, srcState)
	}
}

// TestLateJoin starts a node next to a DAG of thousands of blocks (20,000
// in the long run) that keeps growing, and checks that it catches up to the
// same state.
func TestLateJoin(t *testing.T) {
	rng := newRand(t)
	src, srcState := buildSourceDAG(t, rng, pick(3000, 20000))
	late := startNode(t)
	start := time.Now()
	connect(t, late, src)

	// The source keeps mining while the late node downloads, until the
	// late node has the blocks that were there when it joined.
	var mined int
	for {
		st, err := stateOf(late)
		if err != nil {
			t.Fatalf("getdaginfo: %v", err)
		}
		if st.Blocks >= srcState.Blocks {
			break
		}
		if time.Since(start) > convergeTimeout {
			t.Fatalf("late node at %d of %d blocks after %v", st.Blocks, srcState.Blocks, convergeTimeout)
		}
		if _, err := src.Generate(1); err != nil {
			t.Fatalf("generate: %v", err)
		}
		mined++
		time.Sleep(200 * time.Millisecond)
	}
	state := waitConverged(t, convergeTimeout, src, late)
	took := time.Since(start)
	if state.Blocks != srcState.Blocks+uint64(mined) {
		t.Fatalf("converged on %d blocks, want %d", state.Blocks, srcState.Blocks+uint64(mined))
	}
	checkSameOrder(t, src, late)
	rss, err := late.PeakRSS()
	if err != nil {
		t.Fatalf("peak RSS: %v", err)
	}
	t.Logf("late node caught up on %d blocks (%d mined meanwhile) in %v: %.0f blocks/s, peak RSS %d MiB",
		state.Blocks, mined, took.Round(time.Millisecond), float64(state.Blocks)/took.Seconds(), rss>>20)
}
