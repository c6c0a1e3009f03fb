package blockdag

import (
	"encoding/binary"
	"errors"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/soterdag/soterd/database"
	"github.com/soterdag/soterd/wire"
)

// The consensus tests read as scripts over testChain, a block generator
// with named blocks: mine this, reject that with ErrX, expect these tips.

// testKey is the key every test output pays to.
var testKey, _ = btcec.PrivKeyFromBytes([]byte("soterd blockdag test key ......."))

// testPubKey is testKey's x-only public key.
var testPubKey = func() [32]byte {
	var k [32]byte
	copy(k[:], schnorr.SerializePubKey(testKey.PubKey()))
	return k
}()

// testParams returns regtest parameters with a short coinbase maturity, so
// spending tests need few blocks.
func testParams() *Params {
	p := RegressionNetParams()
	p.CoinbaseMaturity = 2
	return p
}

// testChain drives a BlockDAG through named blocks.
type testChain struct {
	t      testing.TB
	params *Params
	dir    string
	db     *database.DB
	dag    *BlockDAG
	cfg    Config
	blocks map[string]*wire.MsgBlock
	hashes map[string]wire.Hash
	names  map[wire.Hash]string
	// now is what the DAG's TimeSource returns.
	now   time.Time
	notes []*Notification
	// precheck makes process go through PrecheckBlock and
	// ProcessPrecheckedBlock, as blocks from peers do.
	precheck bool
}

// newTestChain opens a store in a temporary directory and a DAG on it.
func newTestChain(t testing.TB, params *Params) *testChain {
	t.Helper()
	c := &testChain{
		t:      t,
		params: params,
		dir:    t.TempDir(),
		blocks: make(map[string]*wire.MsgBlock),
		hashes: make(map[string]wire.Hash),
		names:  make(map[wire.Hash]string),
		now:    time.UnixMilli(params.GenesisBlock.Header.Timestamp).Add(time.Hour),
	}
	c.blocks["genesis"] = params.GenesisBlock
	c.hashes["genesis"] = params.GenesisHash
	c.names[params.GenesisHash] = "genesis"
	c.open()
	return c
}

// open opens the store and the DAG.
func (c *testChain) open() {
	c.t.Helper()
	db, err := database.Open(c.dir, &database.Options{NoSync: true})
	if err != nil {
		c.t.Fatalf("open database: %v", err)
	}
	c.db = db
	cfg := c.cfg
	cfg.DB = db
	cfg.Params = c.params
	cfg.TimeSource = func() time.Time { return c.now }
	dag, err := New(&cfg)
	if err != nil {
		db.Close()
		c.t.Fatalf("New: %v", err)
	}
	c.dag = dag
	dag.Subscribe(func(n *Notification) { c.notes = append(c.notes, n) })
	if cl, ok := c.t.(interface{ Cleanup(func()) }); ok {
		cl.Cleanup(func() { c.close() })
	}
}

// close closes the DAG and the store; it is safe to call twice.
func (c *testChain) close() {
	if c.dag != nil {
		if err := c.dag.Close(); err != nil {
			c.t.Errorf("Close: %v", err)
		}
		c.dag = nil
	}
	if c.db != nil {
		c.db.Close()
		c.db = nil
	}
}

// reopen closes and reopens the DAG and store.
func (c *testChain) reopen() {
	c.t.Helper()
	c.close()
	c.open()
}

// hash returns the hash of a named block.
func (c *testChain) hash(name string) wire.Hash {
	c.t.Helper()
	h, ok := c.hashes[name]
	if !ok {
		c.t.Fatalf("no block named %q", name)
	}
	return h
}

// name returns a block's name, or its hash when it has none.
func (c *testChain) name(h wire.Hash) string {
	if n, ok := c.names[h]; ok {
		return n
	}
	return h.String()
}

// blockContext returns what a block with these parents needs: blue score,
// bits and past median time. It reads the DAG under the process lock.
func (d *BlockDAG) blockContext(parentHashes []wire.Hash) (uint64, uint32, int64, uint32, error) {
	d.processLock.Lock()
	defer d.processLock.Unlock()
	parents := make([]*blockNode, len(parentHashes))
	height := uint32(0)
	for i := range parentHashes {
		n, err := d.nodes.lookup(parentHashes[i])
		if err != nil {
			return 0, 0, 0, 0, err
		}
		if n == nil {
			return 0, 0, 0, 0, notFound(&parentHashes[i])
		}
		parents[i] = n
		height = max(height, n.height+1)
	}
	gd, err := d.gd.ghostdag(parents)
	if err != nil {
		return 0, 0, 0, 0, err
	}
	bits, err := requiredBits(d.nodes, gd, d.params)
	if err != nil {
		return 0, 0, 0, 0, err
	}
	pmt, err := pastMedianTime(d.nodes, gd, d.params)
	if err != nil {
		return 0, 0, 0, 0, err
	}
	return gd.blueScore, bits, pmt, height, nil
}

// blockOpts changes a generated block.
type blockOpts struct {
	txs []*wire.MsgTx
	// coinbase changes the coinbase before the merkle root is computed.
	coinbase func(tx *wire.MsgTx)
	// txsHook changes the transaction list before the merkle root is
	// computed.
	txsHook func(b *wire.MsgBlock)
	// header changes the header after the merkle root is set and before
	// the proof of work is solved.
	header func(h *wire.BlockHeader)
	// solved changes the block after the proof of work is solved.
	solved func(b *wire.MsgBlock)
	// timestamp, when non-zero, is the block's timestamp.
	timestamp int64
	// noSolve leaves the nonce at zero.
	noSolve bool
}

// withTxs adds transactions after the coinbase.
func withTxs(txs ...*wire.MsgTx) blockOpts {
	return blockOpts{txs: txs}
}

// build makes a valid block named name on the named parents, using builder
// (a DAG that has the parents) for the blue score, bits and median time. It
// does not process the block.
func (c *testChain) buildOn(builder *BlockDAG, name string, parentNames []string, opts blockOpts) *wire.MsgBlock {
	c.t.Helper()
	parents := make([]wire.Hash, len(parentNames))
	for i, p := range parentNames {
		parents[i] = c.hash(p)
	}
	sort.Slice(parents, func(i, j int) bool { return parents[i].Less(&parents[j]) })
	bs, bits, pmt, _, err := builder.blockContext(parents)
	if err != nil {
		c.t.Fatalf("block %s: context: %v", name, err)
	}
	payload := binary.LittleEndian.AppendUint64(nil, bs)
	payload = append(payload, name...)
	coinbase := &wire.MsgTx{
		Version: wire.TxVersion,
		TxOut:   []wire.TxOut{{Value: c.params.CalcBlockSubsidy(bs), PubKey: testPubKey}},
		Payload: payload,
	}
	if opts.coinbase != nil {
		opts.coinbase(coinbase)
	}
	ts := pmt + 1000
	if opts.timestamp != 0 {
		ts = opts.timestamp
	}
	block := &wire.MsgBlock{
		Header: wire.BlockHeader{
			Version:   BlockVersion,
			Parents:   parents,
			Timestamp: ts,
			Bits:      bits,
		},
		Transactions: append([]*wire.MsgTx{coinbase}, opts.txs...),
	}
	if opts.txsHook != nil {
		opts.txsHook(block)
	}
	block.Header.MerkleRoot = wire.BlockMerkleRoot(block.Transactions)
	if opts.header != nil {
		opts.header(&block.Header)
	}
	if !opts.noSolve {
		solve(block)
	}
	if opts.solved != nil {
		opts.solved(block)
	}
	h := block.BlockHash()
	c.blocks[name] = block
	c.hashes[name] = h
	c.names[h] = name
	return block
}

// build makes a block on the chain's own DAG.
func (c *testChain) build(name string, parents []string, opts blockOpts) *wire.MsgBlock {
	c.t.Helper()
	return c.buildOn(c.dag, name, parents, opts)
}

// solve finds a nonce whose hash meets the block's bits.
func solve(block *wire.MsgBlock) {
	target := wire.CompactToBig(block.Header.Bits)
	for {
		h := block.BlockHash()
		if wire.HashToBig(&h).Cmp(target) <= 0 {
			return
		}
		block.Header.Nonce++
	}
}

// unsolve finds a nonce whose hash misses the block's bits.
func unsolve(block *wire.MsgBlock) {
	target := wire.CompactToBig(block.Header.Bits)
	for {
		h := block.BlockHash()
		if wire.HashToBig(&h).Cmp(target) > 0 {
			return
		}
		block.Header.Nonce++
	}
}

// process feeds a named block to the DAG.
func (c *testChain) process(name string) (bool, error) {
	c.t.Helper()
	b, ok := c.blocks[name]
	if !ok {
		c.t.Fatalf("no block named %q", name)
	}
	if c.precheck {
		return c.dag.ProcessPrecheckedBlock(c.dag.PrecheckBlock(b))
	}
	return c.dag.ProcessBlock(b, BFNone)
}

// accept processes a named block and fails the test unless it is accepted.
func (c *testChain) accept(name string) {
	c.t.Helper()
	isOrphan, err := c.process(name)
	if err != nil || isOrphan {
		c.t.Fatalf("block %s: got orphan %v, error %v; want accepted", name, isOrphan, err)
	}
}

// mine builds a block on the named parents and accepts it.
func (c *testChain) mine(name string, parents ...string) *wire.MsgBlock {
	c.t.Helper()
	b := c.build(name, parents, blockOpts{})
	c.accept(name)
	return b
}

// mineWith builds a block with options and accepts it.
func (c *testChain) mineWith(name string, opts blockOpts, parents ...string) *wire.MsgBlock {
	c.t.Helper()
	b := c.build(name, parents, opts)
	c.accept(name)
	return b
}

// reject processes a named block and fails the test unless it is rejected
// with the given kind.
func (c *testChain) reject(name string, kind ErrorKind) {
	c.t.Helper()
	isOrphan, err := c.process(name)
	if !errors.Is(err, kind) {
		c.t.Fatalf("block %s: got orphan %v, error %v; want %v", name, isOrphan, err, kind)
	}
	var re RuleError
	if !errors.As(err, &re) {
		c.t.Fatalf("block %s: error %v is not a RuleError", name, err)
	}
	if h := c.hashes[name]; c.dag.HaveBlock(&h) {
		c.t.Fatalf("block %s: rejected but in the DAG", name)
	}
}

// expectTips checks the DAG's tips, in Tips order.
func (c *testChain) expectTips(names ...string) {
	c.t.Helper()
	got := c.dag.Tips()
	gotNames := make([]string, len(got))
	for i, h := range got {
		gotNames[i] = c.name(h)
	}
	if strings.Join(gotNames, " ") != strings.Join(names, " ") {
		c.t.Fatalf("tips: got %v, want %v", gotNames, names)
	}
}

// spendable is an output a test can spend.
type spendable struct {
	op  wire.OutPoint
	out wire.TxOut
}

// coinbaseOut returns output i of a named block's coinbase.
func (c *testChain) coinbaseOut(name string, i int) spendable {
	c.t.Helper()
	tx := c.blocks[name].Transactions[0]
	return spendable{op: wire.OutPoint{TxID: tx.TxID(), Index: uint32(i)}, out: tx.TxOut[i]}
}

// txOut returns output i of tx.
func txOut(tx *wire.MsgTx, i int) spendable {
	return spendable{op: wire.OutPoint{TxID: tx.TxID(), Index: uint32(i)}, out: tx.TxOut[i]}
}

// spendTx builds a signed transaction spending ins to outputs of the given
// values, all locked to the test key.
func spendTx(t testing.TB, ins []spendable, values ...uint64) *wire.MsgTx {
	t.Helper()
	tx := &wire.MsgTx{Version: wire.TxVersion}
	prevOuts := make([]wire.TxOut, len(ins))
	for i, in := range ins {
		tx.TxIn = append(tx.TxIn, wire.TxIn{PreviousOutPoint: in.op})
		prevOuts[i] = in.out
	}
	for _, v := range values {
		tx.TxOut = append(tx.TxOut, wire.TxOut{Value: v, PubKey: testPubKey})
	}
	signTx(t, tx, prevOuts)
	return tx
}

// signTx signs every input of tx with the test key.
func signTx(t testing.TB, tx *wire.MsgTx, prevOuts []wire.TxOut) {
	t.Helper()
	for i := range tx.TxIn {
		h, err := wire.SignatureHash(tx, i, prevOuts)
		if err != nil {
			t.Fatalf("signature hash: %v", err)
		}
		sig, err := schnorr.Sign(testKey, h[:])
		if err != nil {
			t.Fatalf("sign: %v", err)
		}
		copy(tx.TxIn[i].Signature[:], sig.Serialize())
	}
}
