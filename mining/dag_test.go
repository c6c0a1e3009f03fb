package mining

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/soterdag/soterd/blockdag"
	"github.com/soterdag/soterd/database"
	"github.com/soterdag/soterd/keys"
	"github.com/soterdag/soterd/mempool"
	"github.com/soterdag/soterd/wire"
)

// The tests in this file run the generator, the miner and the mempool
// against a real BlockDAG, wired the way the node wires them: the mempool
// sees the virtual's UTXO set and follows its changes through the DAG's
// notifications, templates come from TemplateInfo and are checked with
// CheckBlockTemplate, and mined blocks go to ProcessBlock.

// dagNode is that wiring.
type dagNode struct {
	t      *testing.T
	params *blockdag.Params
	db     *database.DB
	dag    *blockdag.BlockDAG
	pool   *mempool.TxPool
	gen    *Generator
	miner  *CPUMiner
	priv   *btcec.PrivateKey
	payTo  [32]byte
	now    func() time.Time

	mtx        sync.Mutex
	unaccepted int // transactions reported unaccepted so far
}

func newDAGNode(t *testing.T, params *blockdag.Params) *dagNode {
	t.Helper()
	n := &dagNode{t: t, params: params}
	// A clock that runs from an hour after genesis, whatever the machine
	// thinks the date is.
	start := time.Now()
	base := time.UnixMilli(params.GenesisBlock.Header.Timestamp).Add(time.Hour)
	n.now = func() time.Time { return base.Add(time.Since(start)) }

	db, err := database.Open(t.TempDir(), &database.Options{NoSync: true})
	if err != nil {
		t.Fatalf("open database: %v", err)
	}
	n.db = db
	n.dag, err = blockdag.New(&blockdag.Config{DB: db, Params: params, TimeSource: n.now, SigVerifyWorkers: 2})
	if err != nil {
		t.Fatalf("blockdag.New: %v", err)
	}
	t.Cleanup(func() {
		n.miner.Stop()
		n.dag.Close()
		n.db.Close()
	})

	n.pool, err = mempool.New(&mempool.Config{
		Params:           params,
		FetchUTXO:        n.dag.FetchUTXO,
		VirtualBlueScore: func() uint64 { return n.dag.VirtualInfo().BlueScore },
		MinRelayTxFee:    mempool.DefaultMinRelayTxFee,
		DustLimit:        mempool.DefaultDustLimit,
		MaxOrphanTxs:     mempool.DefaultMaxOrphanTxs,
		TimeSource:       n.now,
	})
	if err != nil {
		t.Fatal(err)
	}
	n.gen, err = NewGenerator(&Config{
		Params:             params,
		TemplateState:      n.templateState,
		TxSource:           n.pool,
		FetchUTXO:          n.dag.FetchUTXO,
		CheckBlockTemplate: n.dag.CheckBlockTemplate,
		TimeSource:         n.now,
	})
	if err != nil {
		t.Fatal(err)
	}
	n.priv, err = keys.PrivateKeyFromBytes([]byte("soterd mining test key .........")[:32])
	if err != nil {
		t.Fatal(err)
	}
	n.payTo = keys.PubKey(n.priv)
	n.miner, err = NewCPUMiner(&MinerConfig{
		Generator:   n.gen,
		PayTo:       n.payTo,
		NumWorkers:  2,
		SubmitBlock: n.submit,
		PaceBlocks:  10 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	n.dag.Subscribe(func(note *blockdag.Notification) {
		if note.Type != blockdag.NTVirtualChanged {
			return
		}
		data := note.Data.(*blockdag.VirtualChangedData)
		n.mtx.Lock()
		n.unaccepted += len(data.UnacceptedTxs)
		n.mtx.Unlock()
		n.pool.HandleVirtualChanged(data.AcceptedTxs, data.UnacceptedTxs)
		n.miner.NotifyTipsChanged()
	})
	return n
}

func (n *dagNode) templateState() (TemplateState, error) {
	ti := n.dag.TemplateInfo()
	return TemplateState{
		Parents:      ti.Parents,
		BlueScore:    ti.BlueScore,
		Bits:         ti.Bits,
		MinTimestamp: ti.MinTimestamp,
		Height:       ti.Height,
	}, nil
}

func (n *dagNode) submit(b *wire.MsgBlock) (bool, error) {
	isOrphan, err := n.dag.ProcessBlock(b, blockdag.BFNone)
	if err != nil {
		return false, err
	}
	return !isOrphan, nil
}

// generate mines count blocks and fails the test on any error.
func (n *dagNode) generate(count int) []wire.Hash {
	n.t.Helper()
	hashes, err := n.miner.Generate(count)
	if err != nil {
		n.t.Fatalf("Generate(%d): %v", count, err)
	}
	return hashes
}

// coinbaseCoin returns output 0 of the coinbase of the block with hash h.
func (n *dagNode) coinbaseCoin(h wire.Hash) (wire.OutPoint, wire.TxOut) {
	n.t.Helper()
	b, err := n.dag.BlockByHash(&h)
	if err != nil {
		n.t.Fatal(err)
	}
	cb := b.Transactions[0]
	return wire.OutPoint{TxID: cb.TxID()}, cb.TxOut[0]
}

// spend returns a signed transaction spending ops (all paying n.payTo) into
// outputs of values, all to n.payTo.
func (n *dagNode) spend(ops []wire.OutPoint, prev []wire.TxOut, values ...uint64) *wire.MsgTx {
	n.t.Helper()
	tx := &wire.MsgTx{Version: wire.TxVersion}
	privs := make([]*btcec.PrivateKey, len(ops))
	for i, op := range ops {
		tx.TxIn = append(tx.TxIn, wire.TxIn{PreviousOutPoint: op})
		privs[i] = n.priv
	}
	for _, v := range values {
		tx.TxOut = append(tx.TxOut, wire.TxOut{Value: v, PubKey: n.payTo})
	}
	if err := keys.SignTx(tx, prev, privs); err != nil {
		n.t.Fatal(err)
	}
	return tx
}

func (n *dagNode) mustAccept(tx *wire.MsgTx) {
	n.t.Helper()
	if _, _, err := n.pool.ProcessTransaction(tx, false); err != nil {
		n.t.Fatalf("mempool refused %s: %v", tx.TxID(), err)
	}
}

// solve finds a nonce for tmpl's block, which stays unsubmitted.
func solve(t *testing.T, tmpl *BlockTemplate) *wire.MsgBlock {
	t.Helper()
	h := NewHeaderHasher(&tmpl.Block.Header)
	tgt := TargetFromBits(tmpl.Block.Header.Bits)
	nonce, _, ok := h.Search(0, 1<<20, &tgt)
	if !ok {
		t.Fatal("no nonce found")
	}
	b := *tmpl.Block
	b.Header = *tmpl.Block.Header.Copy()
	b.Header.Nonce = nonce
	return &b
}

// testDAGParams returns regtest parameters with a coinbase maturity of two,
// so tests spend coinbases after a few blocks.
func testDAGParams() *blockdag.Params {
	p := blockdag.RegressionNetParams()
	p.CoinbaseMaturity = 2
	return p
}

func TestDAGTemplatesWithMempoolTxs(t *testing.T) {
	n := newDAGNode(t, testDAGParams())
	hashes := n.generate(5)
	if got := n.dag.BlockCount(); got != 6 {
		t.Fatalf("block count after Generate(5): %d, want 6", got)
	}
	if got := n.dag.Tips(); len(got) != 1 || got[0] != hashes[4] {
		t.Fatalf("tips: got %v, want the last generated block", got)
	}

	// A chain of two pool transactions and an independent one.
	op1, out1 := n.coinbaseCoin(hashes[0])
	op2, out2 := n.coinbaseCoin(hashes[1])
	tx1 := n.spend([]wire.OutPoint{op1}, []wire.TxOut{out1}, out1.Value/2, out1.Value/2-10_000)
	tx2 := n.spend([]wire.OutPoint{{TxID: tx1.TxID()}}, []wire.TxOut{tx1.TxOut[0]}, tx1.TxOut[0].Value-5_000)
	tx3 := n.spend([]wire.OutPoint{op2}, []wire.TxOut{out2}, out2.Value-100_000)
	// Submitted child first: it waits as an orphan until tx1 arrives.
	if _, missing, err := n.pool.ProcessTransaction(tx2, true); err != nil || len(missing) != 1 {
		t.Fatalf("child as orphan: missing %v, err %v", missing, err)
	}
	n.mustAccept(tx1)
	n.mustAccept(tx3)
	if n.pool.Count() != 3 {
		t.Fatalf("pool holds %d txs, want 3", n.pool.Count())
	}

	// The template holds all three, parents first, and the DAG takes it.
	tmpl, err := n.gen.NewBlockTemplate(n.payTo)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(tmpl.Block.Transactions); got != 4 {
		t.Fatalf("template has %d txs, want the coinbase and 3", got)
	}
	pos := make(map[wire.Hash]int)
	for i, tx := range tmpl.Block.Transactions {
		pos[tx.TxID()] = i
	}
	if pos[tx1.TxID()] > pos[tx2.TxID()] {
		t.Errorf("child placed before its parent")
	}
	if tmpl.Fees != 10_000+5_000+100_000 {
		t.Errorf("fees: got %d", tmpl.Fees)
	}
	mined := n.generate(1)
	block, err := n.dag.BlockByHash(&mined[0])
	if err != nil || len(block.Transactions) != 4 {
		t.Fatalf("mined block: %v, %d txs", err, len(block.Transactions))
	}
	// The virtual change emptied the pool and the outputs exist.
	if n.pool.Count() != 0 {
		t.Errorf("pool holds %d txs after they were mined", n.pool.Count())
	}
	if _, ok := n.dag.FetchUTXO(wire.OutPoint{TxID: tx2.TxID()}); !ok {
		t.Errorf("tx2's output is not in the UTXO set")
	}
	// A double spend of a mined output is refused by the pool.
	again := n.spend([]wire.OutPoint{op2}, []wire.TxOut{out2}, out2.Value-200_000)
	if _, _, err := n.pool.ProcessTransaction(again, false); !errors.Is(err, mempool.ErrMissingInputs) {
		t.Errorf("spend of a spent coinbase: got %v, want %v", err, mempool.ErrMissingInputs)
	}
}

func TestDAGTemplateParents(t *testing.T) {
	params := testDAGParams()
	n := newDAGNode(t, params)
	n.generate(2)

	// Twelve blocks on the same tip: twelve tips, more than MaxParents.
	// Each is built on the state before the first, so none sees another.
	state, err := n.templateState()
	if err != nil {
		t.Fatal(err)
	}
	n.gen.cfg.TemplateState = func() (TemplateState, error) { return state, nil }
	const siblings = 12
	for i := 0; i < siblings; i++ {
		tmpl, err := n.gen.NewBlockTemplate(n.payTo)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := n.dag.ProcessBlock(solve(t, tmpl), blockdag.BFNone); err != nil {
			t.Fatalf("sibling %d: %v", i, err)
		}
	}
	n.gen.cfg.TemplateState = n.templateState
	if got := len(n.dag.Tips()); got != siblings {
		t.Fatalf("tips: got %d, want %d", got, siblings)
	}
	tmpl, err := n.gen.NewBlockTemplate(n.payTo)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(tmpl.Block.Header.Parents); got != params.MaxParents {
		t.Errorf("template parents: got %d, want MaxParents %d", got, params.MaxParents)
	}
	// Mining merges them: MaxParents now, the rest with the next block.
	n.generate(1)
	if got := len(n.dag.Tips()); got != siblings-params.MaxParents+1 {
		t.Errorf("tips after one block: got %d, want %d", got, siblings-params.MaxParents+1)
	}
	n.generate(1)
	if got := len(n.dag.Tips()); got != 1 {
		t.Errorf("tips after two blocks: got %d, want 1", got)
	}
}

func TestDAGReorgReadmission(t *testing.T) {
	// With one parent per block the DAG is a chain, and a heavier branch
	// takes a block (and its transactions) out of the virtual's past: a
	// reorganisation as in Bitcoin.
	params := testDAGParams()
	params.MaxParents = 1
	n := newDAGNode(t, params)
	hashes := n.generate(4)
	fork := hashes[3]
	forkInfo, err := n.dag.BlockInfo(&fork)
	if err != nil {
		t.Fatal(err)
	}

	op, out := n.coinbaseCoin(hashes[0])
	tx := n.spend([]wire.OutPoint{op}, []wire.TxOut{out}, out.Value-10_000)
	n.mustAccept(tx)
	a := n.generate(1)[0] // block A accepts tx
	if n.pool.Count() != 0 {
		t.Fatalf("pool holds %d txs after A", n.pool.Count())
	}
	// A child of the confirmed tx enters the pool.
	child := n.spend([]wire.OutPoint{{TxID: tx.TxID()}}, []wire.TxOut{tx.TxOut[0]}, tx.TxOut[0].Value-10_000)
	n.mustAccept(child)

	// Two blocks on the fork point, without tx: the branch outweighs A.
	branch, err := NewGenerator(&Config{
		Params: params,
		TemplateState: func() (TemplateState, error) {
			return TemplateState{
				Parents:      []wire.Hash{fork},
				BlueScore:    forkInfo.BlueScore + 1,
				Bits:         params.PowLimitBits,
				MinTimestamp: forkInfo.Header.Timestamp + 1,
				Height:       forkInfo.Height + 1,
			}, nil
		},
		TimeSource: n.now,
	})
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := branch.NewBlockTemplate(n.payTo)
	if err != nil {
		t.Fatal(err)
	}
	b1 := solve(t, tmpl)
	if _, err := n.dag.ProcessBlock(b1, blockdag.BFNone); err != nil {
		t.Fatalf("b1: %v", err)
	}
	b1Hash := b1.BlockHash()
	branch.cfg.TemplateState = func() (TemplateState, error) {
		return TemplateState{
			Parents:      []wire.Hash{b1Hash},
			BlueScore:    forkInfo.BlueScore + 2,
			Bits:         params.PowLimitBits,
			MinTimestamp: b1.Header.Timestamp + 1,
			Height:       forkInfo.Height + 2,
		}, nil
	}
	tmpl, err = branch.NewBlockTemplate(n.payTo)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.dag.ProcessBlock(solve(t, tmpl), blockdag.BFNone); err != nil {
		t.Fatalf("b2: %v", err)
	}
	if info, _ := n.dag.BlockInfo(&a); info.IsChainBlock {
		t.Fatalf("A is still on the selected chain after the heavier branch")
	}
	n.mtx.Lock()
	unaccepted := n.unaccepted
	n.mtx.Unlock()
	if unaccepted == 0 {
		t.Fatalf("the DAG reported no unaccepted transactions")
	}

	// tx came back and its child stayed.
	id, childID := tx.TxID(), child.TxID()
	if !n.pool.IsTransactionInPool(&id) || !n.pool.IsTransactionInPool(&childID) {
		t.Fatalf("after the reorg: tx in pool %v, child %v; want both",
			n.pool.IsTransactionInPool(&id), n.pool.IsTransactionInPool(&childID))
	}
	// The next block on the new chain mines both.
	mined := n.generate(1)
	block, err := n.dag.BlockByHash(&mined[0])
	if err != nil || len(block.Transactions) != 3 {
		t.Fatalf("block after the reorg: %v, %d txs; want the coinbase, tx and child", err, len(block.Transactions))
	}
	if n.pool.Count() != 0 {
		t.Errorf("pool holds %d txs after they were mined again", n.pool.Count())
	}
}

func TestDAGContinuousMiner(t *testing.T) {
	n := newDAGNode(t, testDAGParams())
	n.miner.Start()
	waitFor(t, "10 blocks", 20*time.Second, func() bool { return n.dag.BlockCount() >= 11 })
	n.miner.Stop()
	count := n.dag.BlockCount()
	if got := n.miner.BlocksMined(); got != count-1 {
		t.Errorf("miner counted %d blocks, the DAG has %d besides genesis", got, count-1)
	}
	// Every block the miner made is in the DAG.
	for _, mb := range n.miner.MinedBlocks() {
		h := mb.Hash
		if !n.dag.HaveBlock(&h) {
			t.Errorf("mined block %s not in the DAG", h)
		}
	}
}

func TestDAGConflictRemoval(t *testing.T) {
	n := newDAGNode(t, testDAGParams())
	hashes := n.generate(4)
	op, out := n.coinbaseCoin(hashes[0])
	mine := n.spend([]wire.OutPoint{op}, []wire.TxOut{out}, out.Value-10_000)
	n.mustAccept(mine)
	child := n.spend([]wire.OutPoint{{TxID: mine.TxID()}}, []wire.TxOut{mine.TxOut[0]}, mine.TxOut[0].Value-10_000)
	n.mustAccept(child)

	// Another miner's block spends the same coinbase differently.
	theirs := n.spend([]wire.OutPoint{op}, []wire.TxOut{out}, out.Value-20_000)
	other, err := NewGenerator(&Config{
		Params:             n.params,
		TemplateState:      n.templateState,
		TxSource:           &fakePool{descs: []*mempool.TxDesc{desc(theirs, 20_000)}},
		FetchUTXO:          n.dag.FetchUTXO,
		CheckBlockTemplate: n.dag.CheckBlockTemplate,
		TimeSource:         n.now,
	})
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := other.NewBlockTemplate(n.payTo)
	if err != nil || len(tmpl.Block.Transactions) != 2 {
		t.Fatalf("rival template: %v", err)
	}
	if _, err := n.dag.ProcessBlock(solve(t, tmpl), blockdag.BFNone); err != nil {
		t.Fatal(err)
	}
	if n.pool.Count() != 0 {
		t.Errorf("pool holds %d txs after a block double spent them, want 0", n.pool.Count())
	}
	// And the next template is valid without them.
	n.generate(1)
}
