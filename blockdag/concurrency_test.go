package blockdag

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/soterdag/soterd/wire"
)

// TestConcurrentUse feeds blocks from several goroutines, some out of
// order, while others read; run with -race. Notifications must arrive one
// block at a time, each BlockAccepted after its parents'.
func TestConcurrentUse(t *testing.T) {
	src := newTestChain(t, testParams())
	var names []string
	prev := []string{"genesis"}
	for i := 0; i < 40; i++ {
		var level []string
		for w := 0; w < 2; w++ {
			name := fmt.Sprintf("L%02d_%d", i, w)
			src.mine(name, prev...)
			level = append(level, name)
			names = append(names, name)
		}
		prev = level
	}

	c := newTestChain(t, testParams())
	var mu sync.Mutex
	seen := map[wire.Hash]bool{c.params.GenesisHash: true}
	var orderErr error
	c.dag.Subscribe(func(n *Notification) {
		mu.Lock()
		defer mu.Unlock()
		if n.Type != NTBlockAccepted {
			return
		}
		data := n.Data.(*BlockAcceptedData)
		for _, p := range data.Block.Header.Parents {
			if !seen[p] && orderErr == nil {
				orderErr = fmt.Errorf("block %s notified before its parent %s", data.Hash, p)
			}
		}
		seen[data.Hash] = true
		// Callbacks may read.
		c.dag.BlockInfo(&data.Hash)
	})

	var wg sync.WaitGroup
	for g := 0; g < 3; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := g; i < len(names); i += 3 {
				b := src.blocks[names[len(names)-1-i]]
				if g == 0 {
					b = src.blocks[names[i]]
				}
				if _, err := c.dag.ProcessBlock(b, BFNone); err != nil && !errors.Is(err, ErrDuplicateBlock) {
					t.Errorf("ProcessBlock: %v", err)
				}
			}
		}(g)
	}
	stop := make(chan struct{})
	var readers sync.WaitGroup
	for r := 0; r < 2; r++ {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				for _, h := range c.dag.Tips() {
					c.dag.BlockInfo(&h)
				}
				c.dag.VirtualInfo()
				c.dag.Order(0, 50)
				c.dag.LocateBlocks(0, &wire.ZeroHash, 20)
				c.dag.FetchUTXO(src.coinbaseOut(names[0], 0).op)
			}
		}()
	}
	wg.Wait()
	// Everything fed: the blocks sent before their parents are
	// resolved by now, whichever goroutine brought the parent.
	for _, n := range names {
		if h := src.hash(n); !c.dag.HaveBlock(&h) {
			if _, err := c.dag.ProcessBlock(src.blocks[n], BFNone); err != nil && !errors.Is(err, ErrDuplicateBlock) {
				t.Fatalf("late %s: %v", n, err)
			}
		}
	}
	close(stop)
	readers.Wait()
	if orderErr != nil {
		t.Fatal(orderErr)
	}
	if diff := stateOf(t, c.dag).equal(stateOf(t, src.dag)); diff != "" {
		t.Fatalf("state differs from the source: %s", diff)
	}
	// Close is idempotent and stops writers.
	if err := c.dag.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.dag.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.dag.ProcessBlock(src.blocks[names[0]], BFNone); err == nil {
		t.Fatalf("ProcessBlock after Close succeeded")
	}
	c.db.Close()
	c.db, c.dag = nil, nil
}
