package blockdag

import (
	"encoding/binary"
	"errors"
	"testing"
	"time"

	"github.com/soterdag/soterd/wire"
)

// TestBlockRules has one case per rule a block can break: each builds a
// block on a short chain, breaks one rule, and expects the rule's error
// kind. No rejected block enters the DAG. It runs once through
// ProcessBlock and once through PrecheckBlock and ProcessPrecheckedBlock,
// as blocks from peers go, which must reach the same verdicts.
func TestBlockRules(t *testing.T) {
	t.Run("ProcessBlock", func(t *testing.T) { testBlockRules(t, false) })
	t.Run("PrecheckBlock", func(t *testing.T) { testBlockRules(t, true) })
}

func testBlockRules(t *testing.T, precheck bool) {
	c := newTestChain(t, testParams())
	c.precheck = precheck
	c.mine("A", "genesis")
	c.mine("B", "A")
	c.mine("C", "B")
	// A's coinbase is mature in a block on C (blue score 4).
	coinA := c.coinbaseOut("A", 0)
	coinB := c.coinbaseOut("B", 0)
	spendA := func() *wire.MsgTx { return spendTx(t, []spendable{coinA}, 1000) }
	unsigned := func(ins []spendable, values ...uint64) *wire.MsgTx {
		tx := &wire.MsgTx{Version: wire.TxVersion}
		for _, in := range ins {
			tx.TxIn = append(tx.TxIn, wire.TxIn{PreviousOutPoint: in.op})
		}
		for _, v := range values {
			tx.TxOut = append(tx.TxOut, wire.TxOut{Value: v, PubKey: testPubKey})
		}
		return tx
	}
	sign := func(tx *wire.MsgTx, ins ...spendable) *wire.MsgTx {
		prev := make([]wire.TxOut, len(ins))
		for i, in := range ins {
			prev[i] = in.out
		}
		signTx(t, tx, prev)
		return tx
	}
	genesisTime := c.params.GenesisBlock.Header.Timestamp

	tests := []struct {
		name    string
		parents []string
		opts    blockOpts
		want    ErrorKind
	}{
		{"version", []string{"C"}, blockOpts{header: func(h *wire.BlockHeader) { h.Version = 2 }}, ErrBlockVersion},
		{"high hash", []string{"C"}, blockOpts{solved: unsolve}, ErrHighHash},
		{"bits above limit", []string{"C"}, blockOpts{header: func(h *wire.BlockHeader) { h.Bits = 0x2100ffff }}, ErrUnexpectedDifficulty},
		{"bits not required", []string{"C"}, blockOpts{header: func(h *wire.BlockHeader) { h.Bits = 0x207ffffe }}, ErrUnexpectedDifficulty},
		{"time too new", []string{"C"}, blockOpts{timestamp: c.now.Add(time.Hour).UnixMilli()}, ErrTimeTooNew},
		{"time too old", []string{"C"}, blockOpts{timestamp: genesisTime}, ErrTimeTooOld},
		{"no parents", []string{"C"}, blockOpts{header: func(h *wire.BlockHeader) { h.Parents = nil }}, ErrNoParents},
		{"too many parents", []string{"C"}, blockOpts{header: func(h *wire.BlockHeader) {
			h.Parents = nil
			for i := 0; i < c.params.MaxParents+1; i++ {
				var p wire.Hash
				p[0] = byte(i)
				h.Parents = append(h.Parents, p)
			}
		}}, ErrTooManyParents},
		{"parents not sorted", []string{"C"}, blockOpts{header: func(h *wire.BlockHeader) {
			h.Parents = []wire.Hash{{2}, {1}}
		}}, ErrParentsNotSorted},
		{"parents duplicated", []string{"C"}, blockOpts{header: func(h *wire.BlockHeader) {
			h.Parents = []wire.Hash{h.Parents[0], h.Parents[0]}
		}}, ErrParentsNotSorted},
		{"no transactions", []string{"C"}, blockOpts{txsHook: func(b *wire.MsgBlock) { b.Transactions = nil }}, ErrNoTransactions},
		{"block too big", []string{"C"}, blockOpts{coinbase: func(tx *wire.MsgTx) {
			for i := 0; i < c.params.MaxBlockSize/wire.TxOutSerializeSize; i++ {
				tx.TxOut = append(tx.TxOut, wire.TxOut{Value: 1, PubKey: testPubKey})
			}
		}}, ErrBlockTooBig},
		{"bad merkle root", []string{"C"}, blockOpts{header: func(h *wire.BlockHeader) { h.MerkleRoot[0] ^= 1 }}, ErrBadMerkleRoot},
		{"duplicate tx", []string{"C"}, blockOpts{txsHook: func(b *wire.MsgBlock) {
			tx := spendA()
			b.Transactions = append(b.Transactions, tx, tx)
		}}, ErrDuplicateTx},
		{"first tx not coinbase", []string{"C"}, blockOpts{txsHook: func(b *wire.MsgBlock) {
			b.Transactions = []*wire.MsgTx{spendA(), b.Transactions[0]}
		}}, ErrFirstTxNotCoinbase},
		{"multiple coinbases", []string{"C"}, blockOpts{txsHook: func(b *wire.MsgBlock) {
			cb := b.Transactions[0].Copy()
			cb.Payload = append(cb.Payload, 'x')
			b.Transactions = append(b.Transactions, cb)
		}}, ErrMultipleCoinbases},
		{"coinbase payload short", []string{"C"}, blockOpts{coinbase: func(tx *wire.MsgTx) { tx.Payload = tx.Payload[:4] }}, ErrBadCoinbasePayload},
		{"coinbase payload blue score", []string{"C"}, blockOpts{coinbase: func(tx *wire.MsgTx) {
			binary.LittleEndian.PutUint64(tx.Payload, 99)
		}}, ErrBadCoinbasePayload},
		{"coinbase value", []string{"C"}, blockOpts{coinbase: func(tx *wire.MsgTx) { tx.TxOut[0].Value++ }}, ErrBadCoinbaseValue},
		{"double spend in block", []string{"C"}, withTxs(spendTx(t, []spendable{coinA}, 1000), spendTx(t, []spendable{coinA}, 2000)), ErrDoubleSpendInBlock},
		{"tx version", []string{"C"}, blockOpts{txsHook: func(b *wire.MsgBlock) {
			tx := unsigned([]spendable{coinA}, 1000)
			tx.Version = 2
			b.Transactions = append(b.Transactions, sign(tx, coinA))
		}}, ErrBadTxVersion},
		{"tx no outputs", []string{"C"}, withTxs(sign(unsigned([]spendable{coinA}), coinA)), ErrNoTxOutputs},
		{"tx zero output", []string{"C"}, withTxs(sign(unsigned([]spendable{coinA}, 0), coinA)), ErrBadTxOutValue},
		{"tx output over supply", []string{"C"}, withTxs(sign(unsigned([]spendable{coinA}, MaxSupply+1), coinA)), ErrBadTxOutValue},
		{"tx duplicate inputs", []string{"C"}, withTxs(sign(unsigned([]spendable{coinA, coinA}, 1000), coinA, coinA)), ErrDuplicateTxInputs},
		{"tx payload", []string{"C"}, blockOpts{txsHook: func(b *wire.MsgBlock) {
			tx := unsigned([]spendable{coinA}, 1000)
			tx.Payload = []byte{1}
			b.Transactions = append(b.Transactions, sign(tx, coinA))
		}}, ErrTxPayload},
		{"missing output", []string{"C"}, withTxs(spendTx(t, []spendable{{op: wire.OutPoint{TxID: wire.Hash{7}}, out: coinA.out}}, 1000)), ErrMissingTxOut},
		{"output spent by an earlier tx of the block order", []string{"C"}, blockOpts{txsHook: func(b *wire.MsgBlock) {
			// The second tx spends the first one's output, but they
			// are listed the other way round.
			first := spendTx(t, []spendable{coinA}, 1000)
			second := spendTx(t, []spendable{txOut(first, 0)}, 500)
			b.Transactions = append(b.Transactions, second, first)
		}}, ErrMissingTxOut},
		{"spend too high", []string{"C"}, withTxs(spendTx(t, []spendable{coinA}, coinA.out.Value+1)), ErrSpendTooHigh},
		{"immature spend", []string{"C"}, withTxs(spendTx(t, []spendable{c.coinbaseOut("C", 0)}, 1000)), ErrImmatureSpend},
		{"unfinalized tx", []string{"C"}, blockOpts{txsHook: func(b *wire.MsgBlock) {
			tx := unsigned([]spendable{coinA}, 1000)
			tx.LockTime = 1000
			b.Transactions = append(b.Transactions, sign(tx, coinA))
		}}, ErrUnfinalizedTx},
		{"bad signature", []string{"C"}, blockOpts{txsHook: func(b *wire.MsgBlock) {
			tx := spendTx(t, []spendable{coinA}, 1000)
			tx.TxIn[0].Signature[5] ^= 1
			b.Transactions = append(b.Transactions, tx)
		}}, ErrBadSignature},
		{"signature of another input", []string{"C"}, blockOpts{txsHook: func(b *wire.MsgBlock) {
			tx := spendTx(t, []spendable{coinA, coinB}, 1000)
			tx.TxIn[0].Signature, tx.TxIn[1].Signature = tx.TxIn[1].Signature, tx.TxIn[0].Signature
			b.Transactions = append(b.Transactions, tx)
		}}, ErrBadSignature},
		{"parent is ancestor", []string{"B", "C"}, blockOpts{}, ErrParentIsAncestor},
	}
	for i, test := range tests {
		name := test.name
		var block *wire.MsgBlock
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("%s: building panicked: %v", name, r)
				}
			}()
			// The parent-is-ancestor case needs a context the DAG
			// cannot compute; build it on C and fix the parents.
			if test.want == ErrParentIsAncestor {
				opts := test.opts
				opts.header = func(h *wire.BlockHeader) {
					b, cc := c.hash("B"), c.hash("C")
					if b.Less(&cc) {
						h.Parents = []wire.Hash{b, cc}
					} else {
						h.Parents = []wire.Hash{cc, b}
					}
				}
				block = c.build(name, []string{"C"}, opts)
				return
			}
			block = c.build(name, test.parents, test.opts)
		}()
		_ = block
		_, err := c.process(name)
		if !errors.Is(err, test.want) {
			t.Errorf("%d %s: got %v, want %v", i, name, err, test.want)
			continue
		}
		var re RuleError
		if !errors.As(err, &re) || re.Description == "" {
			t.Errorf("%s: error %v is not a described RuleError", name, err)
		}
		if h := c.hash(name); c.dag.HaveBlock(&h) {
			t.Errorf("%s: rejected block is in the DAG", name)
		}
	}
	c.expectTips("C")

	// Known blocks and known invalid blocks.
	if _, err := c.process("C"); !errors.Is(err, ErrDuplicateBlock) {
		t.Fatalf("known block: got %v, want ErrDuplicateBlock", err)
	}
	c.build("X", []string{"C"}, blockOpts{coinbase: func(tx *wire.MsgTx) { tx.TxOut[0].Value++ }})
	c.reject("X", ErrBadCoinbaseValue)
	c.reject("X", ErrKnownInvalid)
	if h := c.hash("X"); !c.dag.IsKnownInvalid(&h) {
		t.Fatalf("X not remembered as invalid")
	}
	c.build("Y", []string{"C"}, blockOpts{})
	y := c.blocks["Y"]
	y.Header.Parents = []wire.Hash{c.hash("X")}
	y.Header.MerkleRoot = wire.BlockMerkleRoot(y.Transactions)
	solve(y)
	c.hashes["Y"] = y.BlockHash()
	c.reject("Y", ErrInvalidParent)

	// A relay that mangles a signature changes the merkle root (it
	// commits to tx hashes, signatures included), so the header no longer
	// matches the body: that failure is not remembered and the genuine
	// block is accepted afterwards.
	good := c.build("Z", []string{"C"}, withTxs(spendA()))
	mangled := *good
	mangled.Transactions = append([]*wire.MsgTx(nil), good.Transactions...)
	bad := good.Transactions[1].Copy()
	bad.TxIn[0].Signature[0] ^= 1
	mangled.Transactions[1] = bad
	if _, err := c.dag.ProcessBlock(&mangled, BFNone); !errors.Is(err, ErrBadMerkleRoot) {
		t.Fatalf("mangled block: got %v, want ErrBadMerkleRoot", err)
	}
	if h := good.BlockHash(); c.dag.IsKnownInvalid(&h) {
		t.Fatalf("a relay's mutation marked the genuine block invalid")
	}
	// A block that commits to a bad signature is invalid for good.
	forged := c.build("F", []string{"C"}, withTxs(spendA()))
	forged.Transactions[1].TxIn[0].Signature[0] ^= 1
	forged.Header.MerkleRoot = wire.BlockMerkleRoot(forged.Transactions)
	solve(forged)
	c.hashes["F"] = forged.BlockHash()
	c.reject("F", ErrBadSignature)
	if h := c.hash("F"); !c.dag.IsKnownInvalid(&h) {
		t.Fatalf("a block with a bad signature is not remembered as invalid")
	}
	c.accept("Z")
	c.expectTips("Z")
}

// TestMergeSetLimit rejects a block whose mergeset is over the limit.
func TestMergeSetLimit(t *testing.T) {
	p := testParams()
	p.MergeSetSizeLimit = 4
	c := newTestChain(t, p)
	c.mine("A1", "genesis")
	c.mine("A2", "A1")
	c.mine("A3", "A2")
	c.mine("A4", "A3")
	c.mine("S1", "genesis")
	c.mine("S2", "S1")
	c.mine("S3", "S2")
	c.mine("S4", "S3")
	// Merging S1..S4 into A4 makes a mergeset of five.
	c.build("M", []string{"A3"}, blockOpts{})
	m := c.blocks["M"]
	a4, s4 := c.hash("A4"), c.hash("S4")
	m.Header.Parents = []wire.Hash{a4, s4}
	if s4.Less(&a4) {
		m.Header.Parents = []wire.Hash{s4, a4}
	}
	solve(m)
	c.hashes["M"] = m.BlockHash()
	c.reject("M", ErrMergeSetTooBig)
	// The virtual never merges more than the limit either: its parents
	// are pruned to fit.
	vi := c.dag.VirtualInfo()
	if len(vi.Parents) != 1 {
		t.Fatalf("virtual parents %d, want 1 (the other tip would break the limit)", len(vi.Parents))
	}
	// Three blocks of the side branch fit.
	c.mine("M3", "A4", "S3")
}

// TestOrphans feeds blocks before their parents.
func TestOrphans(t *testing.T) {
	src := newTestChain(t, testParams())
	src.mine("A", "genesis")
	src.mine("B", "A")
	src.mine("C", "B")
	src.mine("D", "C")
	src.mine("E", "genesis")
	src.mine("F", "D", "E")

	c := newTestChain(t, testParams())
	for name, b := range src.blocks {
		c.blocks[name] = b
		c.hashes[name] = src.hashes[name]
		c.names[src.hashes[name]] = name
	}
	for _, name := range []string{"F", "D", "C", "B"} {
		isOrphan, err := c.process(name)
		if err != nil || !isOrphan {
			t.Fatalf("%s: orphan %v, error %v; want orphan", name, isOrphan, err)
		}
	}
	if _, err := c.process("D"); !errors.Is(err, ErrDuplicateBlock) {
		t.Fatalf("known orphan: got %v, want ErrDuplicateBlock", err)
	}
	if h := c.hash("C"); !c.dag.IsKnownOrphan(&h) {
		t.Fatalf("C is not a known orphan")
	}
	f := c.hash("F")
	missing := c.dag.OrphanMissingParents(&f)
	want := map[wire.Hash]bool{c.hash("A"): true, c.hash("E"): true}
	if len(missing) != 2 || !want[missing[0]] || !want[missing[1]] {
		t.Fatalf("missing parents of F: %v", missing)
	}
	c.accept("A")
	if c.dag.OrphanCount() != 1 {
		t.Fatalf("orphans after A: %d, want 1 (F waits for E)", c.dag.OrphanCount())
	}
	c.accept("E")
	if c.dag.OrphanCount() != 0 {
		t.Fatalf("orphans left: %d", c.dag.OrphanCount())
	}
	c.expectTips("F")
	if diff := stateOf(t, c.dag).equal(stateOf(t, src.dag)); diff != "" {
		t.Fatalf("state differs from the source: %s", diff)
	}
}

// TestOrphanPoolBounds checks the orphan pool's count, byte and age
// bounds.
func TestOrphanPoolBounds(t *testing.T) {
	src := newTestChain(t, testParams())
	src.mine("A", "genesis")
	for i := 0; i < 5; i++ {
		src.mine(string(rune('a'+i)), "A")
	}

	c := newTestChain(t, testParams())
	c.close()
	c.cfg.MaxOrphans = 3
	c.cfg.MaxOrphanBytes = 10000
	c.cfg.OrphanTTL = time.Minute
	c.open()
	for name, b := range src.blocks {
		c.blocks[name] = b
		c.hashes[name] = src.hashes[name]
	}
	for i := 0; i < 5; i++ {
		name := string(rune('a' + i))
		if isOrphan, err := c.process(name); !isOrphan || err != nil {
			t.Fatalf("%s: orphan %v error %v", name, isOrphan, err)
		}
	}
	if n := c.dag.OrphanCount(); n != 3 {
		t.Fatalf("orphan count %d, want 3", n)
	}
	// The oldest went first.
	if h := c.hash("a"); c.dag.IsKnownOrphan(&h) {
		t.Fatalf("oldest orphan not evicted")
	}
	// Age: after the TTL the next insertion drops them.
	c.now = c.now.Add(2 * time.Minute)
	big := src.build("big", []string{"A"}, blockOpts{coinbase: func(tx *wire.MsgTx) {
		for i := 0; i < 300; i++ {
			tx.TxOut = append(tx.TxOut, wire.TxOut{Value: 1, PubKey: testPubKey})
		}
	}})
	if _, err := c.dag.ProcessBlock(big, BFNone); !errors.Is(err, ErrOrphanLimit) {
		t.Fatalf("orphan over the byte bound: got %v, want ErrOrphanLimit", err)
	}
	small := src.build("small", []string{"A"}, blockOpts{})
	if isOrphan, err := c.dag.ProcessBlock(small, BFNone); !isOrphan || err != nil {
		t.Fatalf("small orphan: %v %v", isOrphan, err)
	}
	if n := c.dag.OrphanCount(); n != 1 {
		t.Fatalf("orphan count after expiry %d, want 1", n)
	}
}

// TestTxRules covers the transaction rules a block cannot reach (a block's
// size bound comes first, and a tx without inputs is a coinbase) and the
// coinbase output rule.
func TestTxRules(t *testing.T) {
	p := testParams()
	big := &wire.MsgTx{Version: wire.TxVersion, TxIn: []wire.TxIn{{}}}
	for i := 0; i < p.MaxBlockSize/wire.TxOutSerializeSize+1; i++ {
		big.TxOut = append(big.TxOut, wire.TxOut{Value: 1})
	}
	if err := CheckTransactionSanity(big, p); !errors.Is(err, ErrTxTooBig) {
		t.Errorf("big tx: got %v, want ErrTxTooBig", err)
	}
	cb := &wire.MsgTx{Version: wire.TxVersion, Payload: make([]byte, 8)}
	if _, err := CheckTransactionInputs(cb, 1, nil, p); !errors.Is(err, ErrNoTxInputs) {
		t.Errorf("coinbase inputs: got %v, want ErrNoTxInputs", err)
	}

	// A coinbase whose outputs already exist in the block's past.
	c := newTestChain(t, p)
	c.mine("A", "genesis")
	block := c.build("B", []string{"A"}, blockOpts{})
	view := newUTXOView(c.dag.utxo)
	txids := block.TxIDs()
	hash := block.BlockHash()
	addTxOutputs(view, block.Transactions[0], txids[0], 2, true)
	if err := c.dag.checkBlockTxs(newUTXOView(view), block, &hash, txids, 2); !errors.Is(err, ErrOutputExists) {
		t.Errorf("repeated coinbase: got %v, want ErrOutputExists", err)
	}
}

// TestBlockTemplateAndReads checks CheckBlockTemplate, TemplateInfo and the
// lookups of unknown blocks.
func TestBlockTemplateAndReads(t *testing.T) {
	c := newTestChain(t, testParams())
	c.mine("A", "genesis")
	c.mine("B", "A")
	c.mine("C", "A")
	ti := c.dag.TemplateInfo()
	if len(ti.Parents) != 2 || ti.BlueScore != 4 || ti.Height != 3 {
		t.Fatalf("template info %+v", ti)
	}
	tmpl := c.build("T", []string{"B", "C"}, blockOpts{noSolve: true, timestamp: ti.MinTimestamp})
	if err := c.dag.CheckBlockTemplate(tmpl); err != nil {
		t.Fatalf("CheckBlockTemplate: %v", err)
	}
	if h := c.hash("T"); c.dag.HaveBlock(&h) {
		t.Fatalf("template was stored")
	}
	tmpl.Header.Timestamp = ti.MinTimestamp - 1
	if err := c.dag.CheckBlockTemplate(tmpl); !errors.Is(err, ErrTimeTooOld) {
		t.Fatalf("template below the median time: got %v", err)
	}
	tmpl.Header.Parents = []wire.Hash{{9}}
	if err := c.dag.CheckBlockTemplate(tmpl); !errors.Is(err, ErrBlockNotFound) {
		t.Fatalf("template on an unknown parent: got %v", err)
	}

	unknown := wire.Hash{1, 2, 3}
	if _, err := c.dag.BlockByHash(&unknown); !errors.Is(err, ErrBlockNotFound) {
		t.Errorf("BlockByHash: %v", err)
	}
	if _, err := c.dag.HeaderByHash(&unknown); !errors.Is(err, ErrBlockNotFound) {
		t.Errorf("HeaderByHash: %v", err)
	}
	if _, err := c.dag.BlockInfo(&unknown); !errors.Is(err, ErrBlockNotFound) {
		t.Errorf("BlockInfo: %v", err)
	}
	if _, err := c.dag.LocateBlocks(0, &unknown, 10); !errors.Is(err, ErrBlockNotFound) {
		t.Errorf("LocateBlocks: %v", err)
	}
	if _, err := c.dag.SelectedChainBlock(99); !errors.Is(err, ErrBlockNotFound) {
		t.Errorf("SelectedChainBlock: %v", err)
	}

	// LocateBlocks: everything from height 1, and the past of B only.
	inv, err := c.dag.LocateBlocks(1, &wire.ZeroHash, 100)
	if err != nil || len(inv) != 3 || inv[0].Hash != c.hash("A") || inv[0].Height != 1 {
		t.Fatalf("LocateBlocks to the tips: %v %v", inv, err)
	}
	b := c.hash("B")
	inv, err = c.dag.LocateBlocks(0, &b, 100)
	if err != nil || len(inv) != 3 || inv[2].Hash != b {
		t.Fatalf("LocateBlocks to B: %v %v", inv, err)
	}
	inv, _ = c.dag.LocateBlocks(0, &wire.ZeroHash, 2)
	if len(inv) != 2 {
		t.Fatalf("LocateBlocks max: %d entries", len(inv))
	}

	// Block info and order of the two tips.
	info, err := c.dag.BlockInfo(&b)
	if err != nil {
		t.Fatal(err)
	}
	if info.Height != 2 || info.BlueScore != 2 || info.SelectedParent != c.hash("A") {
		t.Fatalf("block info %+v", info)
	}
	a := c.hash("A")
	infoA, _ := c.dag.BlockInfo(&a)
	if !infoA.IsChainBlock || !infoA.IsBlue || len(infoA.Children) != 2 {
		t.Fatalf("block info of A %+v", infoA)
	}
	order, _ := c.dag.Order(0, 10)
	if len(order) != 4 || order[0].Hash != c.params.GenesisHash || order[1].Hash != a ||
		order[1].AcceptingBlock.IsZero() {
		t.Fatalf("order %+v", order)
	}
	if h, err := c.dag.SelectedChainBlock(0); err != nil || h != c.params.GenesisHash {
		t.Fatalf("chain block 0: %v %v", h, err)
	}
	if c.dag.IsCurrent() {
		t.Fatalf("current with an hour-old tip")
	}
	c.now = time.UnixMilli(c.blocks["C"].Header.Timestamp).Add(time.Second)
	if !c.dag.IsCurrent() {
		t.Fatalf("not current one second after the tip")
	}
	if got := c.dag.BlockHashesAtHeight(2); len(got) != 2 {
		t.Fatalf("blocks at height 2: %v", got)
	}
	bytes, err := c.dag.BlockBytesByHash(&b)
	if err != nil || len(bytes) != c.blocks["B"].SerializeSize() {
		t.Fatalf("block bytes: %d %v", len(bytes), err)
	}
	hdr, err := c.dag.HeaderByHash(&b)
	if err != nil || hdr.BlockHash() != b {
		t.Fatalf("header: %v", err)
	}
}

// TestInvalidDropsOrphans checks that orphans waiting for an invalid block
// are dropped and remembered as invalid.
func TestInvalidDropsOrphans(t *testing.T) {
	c := newTestChain(t, testParams())
	c.mine("A", "genesis")
	bad := c.build("X", []string{"A"}, blockOpts{coinbase: func(tx *wire.MsgTx) { tx.TxOut[0].Value++ }})
	// A child of X, built as if X were valid.
	child := c.build("Y", []string{"A"}, blockOpts{})
	child.Header.Parents = []wire.Hash{bad.BlockHash()}
	solve(child)
	c.hashes["Y"] = child.BlockHash()
	if isOrphan, err := c.process("Y"); !isOrphan || err != nil {
		t.Fatalf("Y: orphan %v error %v", isOrphan, err)
	}
	c.reject("X", ErrBadCoinbaseValue)
	if c.dag.OrphanCount() != 0 {
		t.Fatalf("orphan of an invalid block kept")
	}
	if h := c.hash("Y"); !c.dag.IsKnownInvalid(&h) {
		t.Fatalf("orphan of an invalid block not remembered as invalid")
	}
}

// TestVirtualColoring checks that blocks only the virtual merges carry the
// virtual's coloring in BlockInfo and Order, so the blues of the order add
// up to the virtual's blue score.
func TestVirtualColoring(t *testing.T) {
	c := newTestChain(t, testParams())
	c.mine("A", "genesis")
	c.mine("B", "genesis")
	c.mine("C", "B")
	order, err := c.dag.Order(0, 100)
	if err != nil {
		t.Fatal(err)
	}
	blues := 0
	for _, ob := range order {
		if ob.IsBlue {
			blues++
		}
	}
	if vi := c.dag.VirtualInfo(); uint64(blues) != vi.BlueScore {
		t.Errorf("order has %d blues, virtual blue score is %d", blues, vi.BlueScore)
	}
	for _, name := range []string{"A", "B", "C"} {
		h := c.hash(name)
		info, err := c.dag.BlockInfo(&h)
		if err != nil {
			t.Fatal(err)
		}
		if !info.IsBlue {
			t.Errorf("%s: got red, want blue (K allows a 1-block anticone)", name)
		}
	}
}
