package rpcserver

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/soterdag/soterd/blockdag"
	"github.com/soterdag/soterd/keys"
	"github.com/soterdag/soterd/mining"
	"github.com/soterdag/soterd/rpcmodel"
	"github.com/soterdag/soterd/wire"
)

// genTemplater serves templates from a mining.Generator, as package node
// does.
type genTemplater struct {
	g     *mining.Generator
	payTo [wire.PubKeySize]byte
}

func (t genTemplater) NewBlockTemplate() (*BlockTemplate, error) {
	tmpl, err := t.g.NewBlockTemplate(t.payTo)
	if err != nil {
		return nil, err
	}
	return &BlockTemplate{Block: tmpl.Block, Height: tmpl.Height, BlueScore: tmpl.BlueScore,
		MinTimestamp: tmpl.MinTimestamp, TxFees: tmpl.TxFees, Subsidy: tmpl.Subsidy,
		ExtraNonceOffset: mining.CoinbaseExtraNonceOffset, ExtraNonceLen: mining.CoinbaseExtraNonceLen}, nil
}

func (t genTemplater) NewCoinbase(blueScore uint64, payTo [wire.PubKeySize]byte) *wire.MsgTx {
	return t.g.NewCoinbase(blueScore, payTo)
}

// templateDAG is a real regtest DAG served by a test server with a real
// template generator, its notifications wired as the node wires them.
type templateDAG struct {
	ts     *testServer
	dag    *blockdag.BlockDAG
	miner  *realMiner
	params *blockdag.Params
	priv   *btcec.PrivateKey // key of the realMiner's coinbases
}

// newTemplateDAG opens the DAG and starts the server; mutate may adjust
// the server's config.
func newTemplateDAG(t testing.TB, mutate func(*Config)) *templateDAG {
	t.Helper()
	params, dag, miner := newRealDAG(t, false)
	gen, err := mining.NewGenerator(&mining.Config{
		Params: params,
		TemplateState: func() (mining.TemplateState, error) {
			ti := dag.TemplateInfo()
			return mining.TemplateState{Parents: ti.Parents, BlueScore: ti.BlueScore,
				Bits: ti.Bits, MinTimestamp: ti.MinTimestamp, Height: ti.Height}, nil
		},
		FetchUTXO:          dag.FetchUTXO,
		CheckBlockTemplate: dag.CheckBlockTemplate,
		TimeSource:         miner.clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	_, nodeKey := testKey(10)
	ts := newTestServer(t, func(c *Config, _ *fakes) {
		c.Params = params
		c.DAG = dag
		c.Miner = miner
		c.TxLocator = nil
		c.Templater = genTemplater{g: gen, payTo: nodeKey}
		c.MiningAddr = &nodeKey
		c.TimeSource = miner.clock.Now
		if mutate != nil {
			mutate(c)
		}
	})
	dag.Subscribe(func(n *blockdag.Notification) {
		if d, ok := n.Data.(*blockdag.VirtualChangedData); ok {
			ts.NotifyVirtualChanged(d.AddedChainBlocks, d.RemovedChainBlocks,
				d.VirtualParents, d.VirtualBlueScore)
		}
	})
	priv, _ := testKey(9)
	return &templateDAG{ts: ts, dag: dag, miner: miner, params: params, priv: priv}
}

// blockFromTemplate assembles the block of a template result the way an
// external miner does: coinbasetxn, the transactions, the merkle root, the
// header from the template's fields; then grinds the nonce.
func blockFromTemplate(t testing.TB, r *rpcmodel.GetBlockTemplateResult) *wire.MsgBlock {
	t.Helper()
	txs := []*wire.MsgTx{decodeTemplateTx(t, r.CoinbaseTxn)}
	for i := range r.Transactions {
		txs = append(txs, decodeTemplateTx(t, &r.Transactions[i]))
	}
	parents := make([]wire.Hash, len(r.Parents))
	for i, p := range r.Parents {
		h, err := wire.NewHashFromStr(p)
		if err != nil {
			t.Fatal(err)
		}
		parents[i] = *h
	}
	var bits uint32
	if _, err := fmt.Sscanf(r.Bits, "%08x", &bits); err != nil {
		t.Fatal(err)
	}
	block := &wire.MsgBlock{
		Header: wire.BlockHeader{Version: r.Version, Parents: parents,
			Timestamp: r.CurTime, Bits: bits},
		Transactions: txs,
	}
	block.Header.MerkleRoot = wire.BlockMerkleRoot(txs)
	solveBlock(t, block)
	return block
}

// solveBlock sets a nonce that meets the block's bits.
func solveBlock(t testing.TB, block *wire.MsgBlock) {
	t.Helper()
	target := mining.TargetFromBits(block.Header.Bits)
	nonce, _, ok := mining.NewHeaderHasher(&block.Header).Search(0, 1<<20, &target)
	if !ok {
		t.Fatal("no nonce meets the template's bits")
	}
	block.Header.Nonce = nonce
}

// spend returns a signed transaction spending the coinbase output of the
// block hash (paid to the realMiner's key) with the given outputs' values.
func (d *templateDAG) spend(t testing.TB, hash wire.Hash, values ...uint64) *wire.MsgTx {
	t.Helper()
	b, err := d.dag.BlockByHash(&hash)
	if err != nil {
		t.Fatal(err)
	}
	cb := b.Transactions[0]
	tx := &wire.MsgTx{Version: wire.TxVersion,
		TxIn: []wire.TxIn{{PreviousOutPoint: wire.OutPoint{TxID: cb.TxID()}}}}
	for _, v := range values {
		tx.TxOut = append(tx.TxOut, wire.TxOut{Value: v, PubKey: d.miner.pub})
	}
	if err := keys.SignTx(tx, []wire.TxOut{cb.TxOut[0]}, []*btcec.PrivateKey{d.priv}); err != nil {
		t.Fatal(err)
	}
	return tx
}

// propose asks the server about block and returns the answer: "null" or
// the reject reason.
func (d *templateDAG) propose(t testing.TB, block *wire.MsgBlock) string {
	t.Helper()
	r := d.ts.call(t, "getblocktemplate", rpcmodel.TemplateRequest{Mode: rpcmodel.TemplateModeProposal,
		Data: hex.EncodeToString(block.Serialize())})
	if r.Error != nil {
		t.Fatalf("proposal: %v", r.Error)
	}
	if string(r.Result) == "null" {
		return "null"
	}
	var reason string
	decode(t, r.Result, &reason)
	return reason
}

// TestTemplateMinedAndStale mines a block from getblocktemplate, and a
// block from a template whose parents were built on meanwhile: both are
// accepted, and the next template merges the stale block with the block
// that overtook it.
func TestTemplateMinedAndStale(t *testing.T) {
	d := newTemplateDAG(t, nil)
	if _, err := d.miner.Generate(3); err != nil {
		t.Fatal(err)
	}
	r := d.ts.getTemplate(t, nil)
	block := blockFromTemplate(t, r)
	if got := d.propose(t, block); got != "null" {
		t.Fatalf("proposal of a template block: %s", got)
	}
	res := d.ts.call(t, "submitblock", hex.EncodeToString(block.Serialize()))
	if res.Error != nil || string(res.Result) != "null" {
		t.Fatalf("submitblock of a template block: %s %v", res.Result, res.Error)
	}
	if got := d.propose(t, block); got != rpcmodel.RejectDuplicate {
		t.Errorf("proposal of a block in the DAG: %s", got)
	}

	// A template, then another block on its parents: the template is
	// stale, and its block still valid.
	d.miner.clock.advance(time.Second)
	stale := d.ts.getTemplate(t, nil)
	d.miner.clock.advance(time.Second)
	overtaking, err := d.miner.Generate(1)
	if err != nil {
		t.Fatal(err)
	}
	now := d.ts.getTemplate(t, nil)
	if now.LongPollID == stale.LongPollID {
		t.Fatalf("the longpollid did not move with the tips")
	}
	staleBlock := blockFromTemplate(t, stale)
	if got := d.propose(t, staleBlock); got != "null" {
		t.Fatalf("proposal of a stale template's block: %s", got)
	}
	res = d.ts.call(t, "submitblock", hex.EncodeToString(staleBlock.Serialize()))
	if res.Error != nil || string(res.Result) != "null" {
		t.Fatalf("submitblock of a stale template's block: %s %v", res.Result, res.Error)
	}
	merge := d.ts.getTemplate(t, nil)
	want := map[string]bool{overtaking[0].String(): true, staleBlock.BlockHash().String(): true}
	if len(merge.Parents) != 2 || !want[merge.Parents[0]] || !want[merge.Parents[1]] {
		t.Errorf("next template's parents %v, want the overtaking and the stale block", merge.Parents)
	}
	mergeBlock := blockFromTemplate(t, merge)
	if _, err := d.dag.ProcessBlock(mergeBlock, blockdag.BFNone); err != nil {
		t.Errorf("merging block: %v", err)
	}
}

// TestProposalRealDAG proposes one block for each rule a block can break
// and checks the BIP 22 reason the node answers with. Nothing proposed is
// stored or remembered: the valid proposal is still new afterwards.
func TestProposalRealDAG(t *testing.T) {
	d := newTemplateDAG(t, nil)
	params := d.params
	// Mature coinbases to spend: the first blocks' outputs.
	hashes, err := d.miner.Generate(uint32(params.CoinbaseMaturity) + 4)
	if err != nil {
		t.Fatal(err)
	}
	d.miner.clock.advance(time.Second)
	r := d.ts.getTemplate(t, nil)
	base := blockFromTemplate(t, r)
	blueScore := r.BlueScore
	subsidy := params.CalcBlockSubsidy(blueScore)
	coin := params.CalcBlockSubsidy(1)

	// An invalid block the DAG remembers, and an orphan it keeps.
	invalid := clone(base)
	bad := d.spend(t, hashes[0], coin-1000)
	bad.TxIn[0].Signature[5] ^= 1
	withTxs(invalid, bad)
	if _, err := d.dag.ProcessBlock(invalid, blockdag.BFNone); err == nil {
		t.Fatal("a block with a bad signature was accepted")
	}
	orphan := clone(base)
	orphan.Header.Parents = []wire.Hash{{0xee}}
	solveBlock(t, orphan)
	if isOrphan, err := d.dag.ProcessBlock(orphan, blockdag.BFNone); err != nil || !isOrphan {
		t.Fatalf("orphan: %v %v", isOrphan, err)
	}

	tip := d.dag.TemplateInfo().Parents[0]
	big := make([]*wire.MsgTx, 2)
	for i := range big {
		big[i] = d.spend(t, hashes[i], make([]uint64, params.MaxBlockSize/2/wire.TxOutSerializeSize)...)
	}
	tests := []struct {
		name   string
		mutate func(b *wire.MsgBlock)
		want   string
	}{
		{name: "valid", want: "null"},
		{name: "valid with a transaction", want: "null",
			mutate: func(b *wire.MsgBlock) { withTxs(b, d.spend(t, hashes[0], coin-1000)) }},
		{name: "merkle root", want: rpcmodel.RejectBadMerkleRoot,
			mutate: func(b *wire.MsgBlock) { b.Header.MerkleRoot[0] ^= 1 }},
		{name: "version", want: rpcmodel.RejectBadVersion,
			mutate: func(b *wire.MsgBlock) { b.Header.Version = 2 }},
		{name: "bits", want: rpcmodel.RejectBadDiffBits,
			mutate: func(b *wire.MsgBlock) { b.Header.Bits = 0x207ffffe }},
		{name: "time too old", want: rpcmodel.RejectTimeTooOld,
			mutate: func(b *wire.MsgBlock) { b.Header.Timestamp = r.MinTime - 1 }},
		{name: "time too new", want: rpcmodel.RejectTimeTooNew,
			mutate: func(b *wire.MsgBlock) {
				b.Header.Timestamp = d.miner.clock.Now().Add(params.MaxTimeOffset + time.Minute).UnixMilli()
			}},
		{name: "unknown parent", want: rpcmodel.RejectInconclusive,
			mutate: func(b *wire.MsgBlock) { b.Header.Parents = []wire.Hash{{0xdd}} }},
		{name: "invalid parent", want: rpcmodel.RejectBadPrevBlk,
			mutate: func(b *wire.MsgBlock) { b.Header.Parents = []wire.Hash{invalid.BlockHash()} }},
		{name: "parent is an ancestor", want: rpcmodel.RejectBadParents,
			mutate: func(b *wire.MsgBlock) { b.Header.Parents = sortedHashes(params.GenesisHash, tip) }},
		{name: "parent twice", want: rpcmodel.RejectBadParents,
			mutate: func(b *wire.MsgBlock) { b.Header.Parents = []wire.Hash{tip, tip} }},
		{name: "no parents", want: rpcmodel.RejectBadParents,
			mutate: func(b *wire.MsgBlock) { b.Header.Parents = nil }},
		{name: "no transactions", want: rpcmodel.RejectCoinbaseMissing,
			mutate: func(b *wire.MsgBlock) { b.Transactions = nil }},
		{name: "first not a coinbase", want: rpcmodel.RejectCoinbaseMissing,
			mutate: func(b *wire.MsgBlock) {
				b.Transactions[0] = d.spend(t, hashes[0], coin-1000)
				withTxs(b)
			}},
		{name: "two coinbases", want: rpcmodel.RejectCoinbaseMultiple,
			mutate: func(b *wire.MsgBlock) { withTxs(b, d.coinbase(blueScore, subsidy, 1)) }},
		{name: "payload blue score", want: rpcmodel.RejectCoinbasePayload,
			mutate: func(b *wire.MsgBlock) {
				b.Transactions[0] = d.coinbase(blueScore+1, subsidy, 0)
				withTxs(b)
			}},
		{name: "coinbase pays too much", want: rpcmodel.RejectCoinbaseAmount,
			mutate: func(b *wire.MsgBlock) {
				b.Transactions[0] = d.coinbase(blueScore, subsidy+1, 0)
				withTxs(b)
			}},
		{name: "block too big", want: rpcmodel.RejectBadLength,
			mutate: func(b *wire.MsgBlock) { withTxs(b, big...) }},
		{name: "duplicate transaction", want: rpcmodel.RejectTxnsDuplicate,
			mutate: func(b *wire.MsgBlock) {
				tx := d.spend(t, hashes[0], coin-1000)
				withTxs(b, tx, tx)
			}},
		{name: "double spend", want: rpcmodel.RejectTxnsDoubleSpend,
			mutate: func(b *wire.MsgBlock) {
				withTxs(b, d.spend(t, hashes[0], coin-1000), d.spend(t, hashes[0], coin-2000))
			}},
		{name: "missing input", want: rpcmodel.RejectTxnsMissingInputs,
			mutate: func(b *wire.MsgBlock) {
				tx := d.spend(t, hashes[0], coin-1000)
				tx.TxIn[0].PreviousOutPoint.Index = 1
				withTxs(b, tx)
			}},
		{name: "immature coinbase", want: rpcmodel.RejectTxnsPrematureSpend,
			mutate: func(b *wire.MsgBlock) { withTxs(b, d.spend(t, hashes[len(hashes)-1], coin-1000)) }},
		{name: "outputs above inputs", want: rpcmodel.RejectTxnsInBelowOut,
			mutate: func(b *wire.MsgBlock) { withTxs(b, d.spend(t, hashes[0], coin+1)) }},
		{name: "bad signature", want: rpcmodel.RejectTxnsSignature,
			mutate: func(b *wire.MsgBlock) {
				tx := d.spend(t, hashes[1], coin-1000)
				tx.TxIn[0].Signature[0] ^= 1
				withTxs(b, tx)
			}},
		{name: "lock time", want: rpcmodel.RejectTxnsNonFinal,
			mutate: func(b *wire.MsgBlock) {
				tx := d.spend(t, hashes[0], coin-1000)
				tx.LockTime = blueScore + 10
				prev := wire.TxOut{Value: coin, PubKey: d.miner.pub}
				if err := keys.SignTx(tx, []wire.TxOut{prev}, []*btcec.PrivateKey{d.priv}); err != nil {
					t.Fatal(err)
				}
				withTxs(b, tx)
			}},
		{name: "payload outside the coinbase", want: rpcmodel.RejectTxns,
			mutate: func(b *wire.MsgBlock) {
				tx := d.spend(t, hashes[0], coin-1000)
				tx.Payload = []byte{1}
				withTxs(b, tx)
			}},
		{name: "known invalid", want: rpcmodel.RejectDuplicateInvalid,
			mutate: func(b *wire.MsgBlock) { *b = *clone(invalid) }},
		{name: "orphan", want: rpcmodel.RejectDuplicateInconclusive,
			mutate: func(b *wire.MsgBlock) { *b = *clone(orphan) }},
	}
	for _, test := range tests {
		b := clone(base)
		if test.mutate != nil {
			test.mutate(b)
		}
		if got := d.propose(t, b); got != test.want {
			t.Errorf("%s: got %s, want %s", test.name, got, test.want)
		}
	}
	// The valid proposal was not stored.
	if hash := base.BlockHash(); d.dag.HaveBlock(&hash) || d.dag.IsKnownInvalid(&hash) {
		t.Errorf("a proposal was stored or remembered")
	}
}

// coinbase returns a coinbase with a payload starting with blueScore that
// pays value, made unique by extra.
func (d *templateDAG) coinbase(blueScore, value, extra uint64) *wire.MsgTx {
	payload := make([]byte, 16)
	binary.LittleEndian.PutUint64(payload, blueScore)
	binary.LittleEndian.PutUint64(payload[8:], extra^0xc0ffee)
	return &wire.MsgTx{Version: wire.TxVersion, Payload: payload,
		TxOut: []wire.TxOut{{Value: value, PubKey: d.miner.pub}}}
}

// clone returns a copy of block with its own header and transaction list.
func clone(block *wire.MsgBlock) *wire.MsgBlock {
	return &wire.MsgBlock{Header: *block.Header.Copy(),
		Transactions: append([]*wire.MsgTx(nil), block.Transactions...)}
}

// withTxs appends txs to block and redoes its merkle root.
func withTxs(block *wire.MsgBlock, txs ...*wire.MsgTx) {
	block.Transactions = append(block.Transactions, txs...)
	block.Header.MerkleRoot = wire.BlockMerkleRoot(block.Transactions)
}

// sortedHashes returns the hashes in header order.
func sortedHashes(hashes ...wire.Hash) []wire.Hash {
	out := append([]wire.Hash(nil), hashes...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].Less(&out[j-1]); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// TestLongPollNewBlock checks that a long poll on a real DAG answers when a
// block arrives, with a template built on it. The timeout is generous: the
// speed target (20 ms) is measured by BenchmarkTemplateAfterBlock and
// soterbench template, not asserted here.
func TestLongPollNewBlock(t *testing.T) {
	d := newTemplateDAG(t, nil)
	if _, err := d.miner.Generate(2); err != nil {
		t.Fatal(err)
	}
	r := d.ts.getTemplate(t, nil)
	ch := d.ts.longPoll(t, r.LongPollID)
	if !pending(ch, 50*time.Millisecond) {
		t.Fatal("long poll answered before a block")
	}
	hashes, err := d.miner.Generate(1)
	if err != nil {
		t.Fatal(err)
	}
	resp := waitResponse(t, ch, 10*time.Second)
	if resp.Error != nil {
		t.Fatal(resp.Error)
	}
	var next rpcmodel.GetBlockTemplateResult
	decode(t, resp.Result, &next)
	if len(next.Parents) != 1 || next.Parents[0] != hashes[0].String() || next.BlueScore != r.BlueScore+1 {
		t.Errorf("template after the block: parents %v blue score %d, want [%s] %d",
			next.Parents, next.BlueScore, hashes[0], r.BlueScore+1)
	}
}
