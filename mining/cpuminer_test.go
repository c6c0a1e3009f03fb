package mining

import (
	"errors"
	"runtime"
	"testing"
	"time"

	"github.com/soterdag/soterd/blockdag"
	"github.com/soterdag/soterd/wire"
)

func newTestMiner(t *testing.T, chain *fakeChain, mod func(*MinerConfig)) *CPUMiner {
	t.Helper()
	g := newTestGenerator(t, chain, nil)
	cfg := &MinerConfig{
		Generator:   g,
		PayTo:       payTo,
		NumWorkers:  2,
		SubmitBlock: chain.submit,
	}
	if mod != nil {
		mod(cfg)
	}
	m, err := NewCPUMiner(cfg)
	if err != nil {
		t.Fatalf("NewCPUMiner: %v", err)
	}
	return m
}

func TestGenerate(t *testing.T) {
	chain := newFakeChain(blockdag.RegressionNetParams())
	m := newTestMiner(t, chain, nil)
	hashes, err := m.Generate(20)
	if err != nil || len(hashes) != 20 {
		t.Fatalf("Generate(20): got %d hashes, err %v", len(hashes), err)
	}
	if chain.acceptedCount() != 20 {
		t.Fatalf("chain accepted %d blocks, want 20", chain.acceptedCount())
	}
	for i, b := range chain.accepted {
		if b.BlockHash() != hashes[i] {
			t.Errorf("hash %d: got %s, want %s", i, hashes[i], b.BlockHash())
		}
		if i > 0 && b.Header.Parents[0] != hashes[i-1] {
			t.Errorf("block %d does not build on block %d", i, i-1)
		}
	}
	mined := m.MinedBlocks()
	if len(mined) != 20 || mined[19].Hash != hashes[19] || m.BlocksMined() != 20 {
		t.Fatalf("MinedBlocks: got %d, want the 20 generated", len(mined))
	}
	last := chain.accepted[19]
	if mb := mined[19]; mb.Size != last.SerializeSize() || mb.TxCount != 1 || mb.Elapsed < 0 ||
		mb.Height != 20 || mb.BlueScore != 20 {
		t.Errorf("MinedBlocks[19]: got %+v", mb)
	}
}

func TestGenerateErrors(t *testing.T) {
	rejected := errors.New("rejected by test")
	tests := []struct {
		name       string
		params     *blockdag.Params
		n          int
		reject     error
		orphan     bool
		wantHashes int
		want       error
	}{
		{"mainnet", blockdag.MainNetParams(), 1, nil, false, 0, ErrGenerateNotAllowed},
		{"testnet", blockdag.TestNetParams(), 1, nil, false, 0, ErrGenerateNotAllowed},
		{"zero blocks", blockdag.RegressionNetParams(), 0, nil, false, 0, ErrBadGenerateCount},
		{"too many blocks", blockdag.SimNetParams(), MaxGenerateBlocks + 1, nil, false, 0, ErrBadGenerateCount},
		{"rejected", blockdag.SimNetParams(), 3, rejected, false, 0, ErrBlockNotAccepted},
		{"orphan", blockdag.RegressionNetParams(), 3, nil, true, 0, ErrBlockNotAccepted},
	}
	for _, test := range tests {
		chain := newFakeChain(test.params)
		chain.reject, chain.orphan = test.reject, test.orphan
		m := newTestMiner(t, chain, nil)
		hashes, err := m.Generate(test.n)
		if !errors.Is(err, test.want) || len(hashes) != test.wantHashes {
			t.Errorf("%s: got %d hashes and %v, want %d and %v", test.name, len(hashes), err,
				test.wantHashes, test.want)
		}
		if test.reject != nil && !errors.Is(err, test.reject) {
			t.Errorf("%s: cause lost: %v", test.name, err)
		}
	}

	// Hashes of the blocks accepted before a failure are returned.
	chain := newFakeChain(blockdag.RegressionNetParams())
	calls := 0
	m := newTestMiner(t, chain, func(c *MinerConfig) {
		c.SubmitBlock = func(b *wire.MsgBlock) (bool, error) {
			calls++
			if calls == 3 {
				return false, rejected
			}
			return chain.submit(b)
		}
	})
	if hashes, err := m.Generate(5); len(hashes) != 2 || !errors.Is(err, rejected) {
		t.Errorf("partial: got %d hashes and %v, want 2 and %v", len(hashes), err, rejected)
	}
}

func TestNewCPUMinerConfig(t *testing.T) {
	chain := newFakeChain(blockdag.RegressionNetParams())
	g := newTestGenerator(t, chain, nil)
	tests := []struct {
		name  string
		cfg   *MinerConfig
		valid bool
	}{
		{"minimal", &MinerConfig{Generator: g, SubmitBlock: chain.submit}, true},
		{"nil", nil, false},
		{"no generator", &MinerConfig{SubmitBlock: chain.submit}, false},
		{"no submit", &MinerConfig{Generator: g}, false},
	}
	for _, test := range tests {
		m, err := NewCPUMiner(test.cfg)
		if (err == nil) != test.valid {
			t.Errorf("%s: got %v, want valid=%v", test.name, err, test.valid)
		}
		if err == nil && m.NumWorkers() != runtime.NumCPU() {
			t.Errorf("%s: default workers %d, want %d", test.name, m.NumWorkers(), runtime.NumCPU())
		}
	}
	// Pacing defaults.
	for _, test := range []struct {
		params *blockdag.Params
		pace   time.Duration
		want   time.Duration
	}{
		{blockdag.RegressionNetParams(), 0, blockdag.RegressionNetParams().TargetTimePerBlock},
		{blockdag.SimNetParams(), -1, 0},
		{blockdag.SimNetParams(), time.Minute, time.Minute},
		{blockdag.MainNetParams(), 0, 0},
	} {
		c := newFakeChain(test.params)
		m := newTestMiner(t, c, func(mc *MinerConfig) { mc.PaceBlocks = test.pace })
		if m.pace != test.want {
			t.Errorf("%s pace %v: got %v, want %v", test.params.Name, test.pace, m.pace, test.want)
		}
	}
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestCPUMinerStartStop(t *testing.T) {
	goroutines := runtime.NumGoroutine()
	chain := newFakeChain(blockdag.RegressionNetParams())
	m := newTestMiner(t, chain, func(c *MinerConfig) { c.PaceBlocks = 20 * time.Millisecond })

	m.Stop() // stopping a stopped miner is fine
	m.Start()
	m.Start() // and so is starting a running one
	if !m.IsMining() {
		t.Fatal("not mining after Start")
	}
	waitFor(t, "3 blocks", 10*time.Second, func() bool { return chain.acceptedCount() >= 3 })

	if _, err := m.Generate(1); !errors.Is(err, ErrAlreadyMining) {
		t.Errorf("Generate while mining: got %v, want %v", err, ErrAlreadyMining)
	}

	// Change the worker count at run time, poke the tips, keep mining.
	m.SetNumWorkers(1)
	if m.NumWorkers() != 1 || !m.IsMining() {
		t.Errorf("after SetNumWorkers(1): %d workers, mining %v", m.NumWorkers(), m.IsMining())
	}
	m.NotifyTipsChanged()
	m.NotifyTipsChanged()
	n := chain.acceptedCount()
	waitFor(t, "more blocks", 10*time.Second, func() bool { return chain.acceptedCount() >= n+2 })

	m.Stop()
	m.Stop()
	if m.IsMining() || m.HashesPerSecond() != 0 {
		t.Errorf("after Stop: mining %v, hash rate %v", m.IsMining(), m.HashesPerSecond())
	}
	n = chain.acceptedCount()
	time.Sleep(50 * time.Millisecond)
	if chain.acceptedCount() != n {
		t.Errorf("blocks found after Stop")
	}

	// Restart, then stop through SetGenerate and SetNumWorkers(0).
	m.SetGenerate(true, 2)
	waitFor(t, "a block after restart", 10*time.Second, func() bool { return chain.acceptedCount() > n })
	m.SetGenerate(false, 0)
	m.SetGenerate(true, -1)
	if !m.IsMining() || m.NumWorkers() != 2 {
		t.Errorf("SetGenerate(true, -1): mining %v, %d workers", m.IsMining(), m.NumWorkers())
	}
	m.SetNumWorkers(0)
	if m.IsMining() {
		t.Errorf("SetNumWorkers(0) did not stop the miner")
	}

	// Every accepted block is valid and recorded.
	mined := m.MinedBlocks()
	if len(mined) != chain.acceptedCount() {
		t.Errorf("MinedBlocks: %d, chain accepted %d", len(mined), chain.acceptedCount())
	}
	// Generate works once stopped.
	if _, err := m.Generate(2); err != nil {
		t.Errorf("Generate after Stop: %v", err)
	}

	// All goroutines are gone (allow the runtime a moment to reap them).
	waitFor(t, "miner goroutines to exit", 5*time.Second, func() bool {
		return runtime.NumGoroutine() <= goroutines
	})
}

func TestCPUMinerPacing(t *testing.T) {
	chain := newFakeChain(blockdag.SimNetParams())
	const pace = 100 * time.Millisecond
	m := newTestMiner(t, chain, func(c *MinerConfig) { c.PaceBlocks = pace })
	m.Start()
	time.Sleep(550 * time.Millisecond)
	m.Stop()
	n := chain.acceptedCount()
	// The first block comes at once, then one per pace: about 6.
	if n < 2 || n > 7 {
		t.Errorf("paced miner found %d blocks in 550ms at one per %v, want 2..7", n, pace)
	}
	mined := m.MinedBlocks()
	for i := 1; i < len(mined); i++ {
		if gap := mined[i].Time.Sub(mined[i-1].Time); gap < pace-5*time.Millisecond {
			t.Errorf("blocks %d and %d only %v apart", i-1, i, gap)
		}
	}
}

func TestCPUMinerHashRate(t *testing.T) {
	if testing.Short() {
		t.Skip("needs a few seconds of hashing")
	}
	chain := newFakeChain(blockdag.RegressionNetParams())
	// Bitcoin's difficulty one: no block in the test's lifetime.
	chain.bits = 0x1d00ffff
	m := newTestMiner(t, chain, func(c *MinerConfig) { c.NumWorkers = 1 })
	m.Start()
	defer m.Stop()
	waitFor(t, "a hash rate", 3*hashRateInterval, func() bool { return m.HashesPerSecond() > 0 })
	if chain.acceptedCount() != 0 {
		t.Errorf("found a block at difficulty one")
	}
}

func TestCPUMinerTemplateErrors(t *testing.T) {
	chain := newFakeChain(blockdag.RegressionNetParams())
	chain.tips = nil // no parents: every template fails
	m := newTestMiner(t, chain, nil)
	m.Start()
	time.Sleep(20 * time.Millisecond)
	m.NotifyTipsChanged()
	m.Stop()
	if chain.acceptedCount() != 0 {
		t.Errorf("mined without a template")
	}
}
