package rpcserver

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"sort"
	"sync"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/soterdag/soterd/blockdag"
	"github.com/soterdag/soterd/wire"
)

// Fakes of the state sources. They hold a small fixed DAG:
//
//	genesis <- A <- C
//	genesis <- B <-/
//
// A is C's selected parent; the selected chain is genesis, A, C; B is
// merged by C as blue.

// testKey returns a deterministic private key and its x-only public key.
func testKey(seed byte) (*btcec.PrivateKey, [32]byte) {
	var b [32]byte
	b[31] = seed
	b[0] = 1
	priv, _ := btcec.PrivKeyFromBytes(b[:])
	var pub [32]byte
	copy(pub[:], schnorr.SerializePubKey(priv.PubKey()))
	return priv, pub
}

// makeBlock builds a block with a coinbase paying 50 coins to pub.
func makeBlock(parents []wire.Hash, blueScore uint64, ts int64, pub [32]byte,
	extra ...*wire.MsgTx) *wire.MsgBlock {

	payload := make([]byte, 8, 16)
	binary.LittleEndian.PutUint64(payload, blueScore)
	payload = append(payload, "test"...)
	cb := &wire.MsgTx{Version: wire.TxVersion, Payload: payload,
		TxOut: []wire.TxOut{{Value: 50 * blockdag.BaseUnitsPerCoin, PubKey: pub}}}
	sorted := append([]wire.Hash(nil), parents...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Less(&sorted[j]) })
	b := &wire.MsgBlock{
		Header: wire.BlockHeader{Version: 1, Parents: sorted, Timestamp: ts,
			Bits: 0x207fffff, Nonce: blueScore},
		Transactions: append([]*wire.MsgTx{cb}, extra...),
	}
	b.Header.MerkleRoot = wire.BlockMerkleRoot(b.Transactions)
	return b
}

type fakeDAG struct {
	mu       sync.Mutex
	params   *blockdag.Params
	blocks   map[wire.Hash]*wire.MsgBlock
	infos    map[wire.Hash]*blockdag.BlockInfo
	heights  map[uint32][]wire.Hash
	chain    []wire.Hash
	order    []blockdag.OrderedBlock
	tips     []wire.Hash
	utxos    map[wire.OutPoint]*blockdag.UTXOEntry
	current  bool
	panicNow bool

	processErr    error
	processOrphan bool
	processed     []*wire.MsgBlock

	checkErr       error
	checked        []*wire.MsgBlock
	knownInvalid   map[wire.Hash]bool
	knownOrphans   map[wire.Hash]bool
	virtualParents []wire.Hash

	genesis, a, b, c wire.Hash
	spendTx          *wire.MsgTx // a tx in block C

	// prune is what PruneInfo answers; pruned is a block it knows with
	// its body pruned.
	prune blockdag.PruneInfo
	// flushes counts Flush calls; flushErr is what Flush returns.
	flushes  int
	flushErr error
	pruned   wire.Hash
}

func newFakeDAG(params *blockdag.Params) *fakeDAG {
	d := &fakeDAG{
		params:  params,
		blocks:  make(map[wire.Hash]*wire.MsgBlock),
		infos:   make(map[wire.Hash]*blockdag.BlockInfo),
		heights: make(map[uint32][]wire.Hash),
		utxos:   make(map[wire.OutPoint]*blockdag.UTXOEntry),
		current: true,
		prune:   blockdag.PruneInfo{Pruned: true, TargetBytes: 550 << 20, LowestHeight: 2},
		pruned:  wire.DoubleHashH([]byte("pruned block")),
	}
	_, pub := testKey(1)
	g := params.GenesisBlock
	d.genesis = g.BlockHash()
	t0 := g.Header.Timestamp
	blockA := makeBlock([]wire.Hash{d.genesis}, 1, t0+1000, pub)
	blockB := makeBlock([]wire.Hash{d.genesis}, 1, t0+1500, pub)
	d.a, d.b = blockA.BlockHash(), blockB.BlockHash()
	d.spendTx = &wire.MsgTx{Version: wire.TxVersion,
		TxIn:  []wire.TxIn{{PreviousOutPoint: wire.OutPoint{TxID: blockA.Transactions[0].TxID()}}},
		TxOut: []wire.TxOut{{Value: 10 * blockdag.BaseUnitsPerCoin, PubKey: pub}}}
	blockC := makeBlock([]wire.Hash{d.a, d.b}, 3, t0+2000, pub, d.spendTx)
	d.c = blockC.BlockHash()

	add := func(b *wire.MsgBlock, height uint32, blueScore uint64, sp wire.Hash,
		children []wire.Hash, chain bool, accepting wire.Hash) {
		h := b.BlockHash()
		d.blocks[h] = b
		d.heights[height] = append(d.heights[height], h)
		d.infos[h] = &blockdag.BlockInfo{
			Hash: h, Header: b.Header, Height: height, BlueScore: blueScore,
			BlueWork: big.NewInt(int64(blueScore + 1)), SelectedParent: sp,
			Parents: b.Header.Parents, Children: children, IsChainBlock: chain,
			IsBlue: true, AcceptingBlock: accepting, Size: b.SerializeSize(),
			TxCount: len(b.Transactions), Status: "valid",
		}
	}
	add(g, 0, 0, wire.Hash{}, []wire.Hash{d.a, d.b}, true, d.genesis)
	add(blockA, 1, 1, d.genesis, []wire.Hash{d.c}, true, d.a)
	add(blockB, 1, 1, d.genesis, []wire.Hash{d.c}, false, d.c)
	add(blockC, 2, 3, d.a, nil, true, d.c)
	d.infos[d.c].MergeSetBlues = []wire.Hash{d.a, d.b}
	d.chain = []wire.Hash{d.genesis, d.a, d.c}
	d.order = []blockdag.OrderedBlock{
		{Hash: d.genesis, Index: 0, IsBlue: true, AcceptingBlock: d.genesis},
		{Hash: d.a, Index: 1, IsBlue: true, AcceptingBlock: d.a},
		{Hash: d.b, Index: 2, IsBlue: false, AcceptingBlock: d.c},
		{Hash: d.c, Index: 3, IsBlue: true, AcceptingBlock: d.c},
	}
	d.infos[d.b].IsBlue = false
	d.tips = []wire.Hash{d.c}
	d.utxos[wire.OutPoint{TxID: blockC.Transactions[0].TxID()}] = &blockdag.UTXOEntry{
		Amount: 50 * blockdag.BaseUnitsPerCoin, PubKey: pub, BlueScore: 3, IsCoinbase: true}
	return d
}

func (d *fakeDAG) checkPanic() {
	if d.panicNow {
		panic("fake DAG told to panic")
	}
}

func (d *fakeDAG) BlockCount() uint64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return uint64(len(d.blocks))
}

func (d *fakeDAG) MaxHeight() uint32 { return 2 }

func (d *fakeDAG) Tips() []wire.Hash {
	d.checkPanic()
	return append([]wire.Hash(nil), d.tips...)
}

func (d *fakeDAG) VirtualInfo() *blockdag.VirtualInfo {
	return &blockdag.VirtualInfo{
		Parents: []wire.Hash{d.c}, SelectedParent: d.c, BlueScore: 4,
		BlueWork: big.NewInt(255), PastMedianTime: d.params.GenesisBlock.Header.Timestamp + 1000,
		RequiredBits: 0x207fffff, UTXOCount: uint64(len(d.utxos)),
		UTXOCommitment: wire.DoubleHashH([]byte("utxo")), Difficulty: 1,
		ChainHeight: uint64(len(d.chain)),
	}
}

func (d *fakeDAG) IsCurrent() bool { return d.current }

func (d *fakeDAG) HaveBlock(hash *wire.Hash) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	_, ok := d.blocks[*hash]
	return ok
}

func (d *fakeDAG) BlockByHash(hash *wire.Hash) (*wire.MsgBlock, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	b, ok := d.blocks[*hash]
	if *hash == d.pruned {
		return nil, blockdag.RuleError{Err: blockdag.ErrBlockPruned,
			Description: "block at height 1 was pruned: this node keeps block bodies from height 2 up"}
	}
	if !ok {
		return nil, blockdag.RuleError{Err: blockdag.ErrBlockNotFound, Description: "not found"}
	}
	return b, nil
}

func (d *fakeDAG) Flush() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.flushes++
	return d.flushErr
}

func (d *fakeDAG) PruneInfo() blockdag.PruneInfo {
	return d.prune
}

func (d *fakeDAG) HeaderByHash(hash *wire.Hash) (*wire.BlockHeader, error) {
	b, err := d.BlockByHash(hash)
	if err != nil {
		return nil, err
	}
	return &b.Header, nil
}

func (d *fakeDAG) BlockInfo(hash *wire.Hash) (*blockdag.BlockInfo, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	i, ok := d.infos[*hash]
	if !ok {
		return nil, blockdag.RuleError{Err: blockdag.ErrBlockNotFound, Description: "not found"}
	}
	c := *i
	return &c, nil
}

func (d *fakeDAG) BlockHashesAtHeight(height uint32) []wire.Hash {
	return append([]wire.Hash(nil), d.heights[height]...)
}

func (d *fakeDAG) SelectedChainBlock(index uint64) (wire.Hash, error) {
	if index >= uint64(len(d.chain)) {
		return wire.Hash{}, errors.New("beyond the chain")
	}
	return d.chain[index], nil
}

func (d *fakeDAG) Order(start uint64, max int) ([]blockdag.OrderedBlock, error) {
	if start >= uint64(len(d.order)) {
		return nil, fmt.Errorf("start %d beyond order", start)
	}
	end := start + uint64(max)
	if end > uint64(len(d.order)) {
		end = uint64(len(d.order))
	}
	return append([]blockdag.OrderedBlock(nil), d.order[start:end]...), nil
}

func (d *fakeDAG) FetchUTXO(op wire.OutPoint) (*blockdag.UTXOEntry, bool) {
	e, ok := d.utxos[op]
	return e, ok
}

func (d *fakeDAG) UTXOStats() (uint64, uint64, wire.Hash) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var total uint64
	for _, e := range d.utxos {
		total += e.Amount
	}
	return uint64(len(d.utxos)), total, wire.DoubleHashH([]byte("utxo"))
}

func (d *fakeDAG) CheckBlockTemplate(block *wire.MsgBlock) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.checked = append(d.checked, block)
	return d.checkErr
}

func (d *fakeDAG) IsKnownInvalid(hash *wire.Hash) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.knownInvalid[*hash]
}

func (d *fakeDAG) IsKnownOrphan(hash *wire.Hash) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.knownOrphans[*hash]
}

func (d *fakeDAG) ProcessBlock(block *wire.MsgBlock, _ blockdag.BehaviorFlags) (bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.processed = append(d.processed, block)
	return d.processOrphan, d.processErr
}

type fakeSync struct{ status SyncStatus }

func (f *fakeSync) SyncStatus() SyncStatus { return f.status }
func (f *fakeSync) IsCurrent() bool        { return f.status.IsCurrent }
func (f *fakeSync) SyncPeerID() int32      { return f.status.SyncPeerID }

type fakeConn struct {
	mu      sync.Mutex
	peers   []PeerInfo
	added   []string
	pings   int
	addErr  error
	listens []string
}

func (f *fakeConn) Peers() []PeerInfo     { return f.peers }
func (f *fakeConn) ConnectedCount() int32 { return int32(len(f.peers)) }
func (f *fakeConn) NetTotals() (uint64, uint64) {
	return 1000, 2000
}
func (f *fakeConn) AddNode(addr, subcmd string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.addErr != nil {
		return f.addErr
	}
	f.added = append(f.added, subcmd+" "+addr)
	return nil
}
func (f *fakeConn) PingAll() {
	f.mu.Lock()
	f.pings++
	f.mu.Unlock()
}
func (f *fakeConn) ListenAddrs() []string { return f.listens }

type fakeMempool struct {
	mu      sync.Mutex
	entries []MempoolEntry
	reject  error
	got     []*wire.MsgTx
}

func (f *fakeMempool) Entries() []MempoolEntry {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]MempoolEntry(nil), f.entries...)
}

func (f *fakeMempool) FetchTransaction(txID *wire.Hash) (*wire.MsgTx, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, e := range f.entries {
		if e.TxID == *txID {
			return e.Tx, true
		}
	}
	return nil, false
}

func (f *fakeMempool) ProcessTransaction(tx *wire.MsgTx) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.reject != nil {
		return f.reject
	}
	f.got = append(f.got, tx)
	return nil
}

func (f *fakeMempool) SpentBy(op wire.OutPoint) (wire.Hash, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, e := range f.entries {
		for _, in := range e.Tx.TxIn {
			if in.PreviousOutPoint == op {
				return e.TxID, true
			}
		}
	}
	return wire.Hash{}, false
}

func (f *fakeMempool) Count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.entries)
}

func (f *fakeMempool) Bytes() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	var n uint64
	for _, e := range f.entries {
		n += uint64(e.Tx.SerializeSize())
	}
	return n
}

type fakeMiner struct {
	mu      sync.Mutex
	mining  bool
	workers int
	mined   []MinedBlock
	genErr  error
	block   chan struct{} // when set, Generate waits on it
	dag     *fakeDAG
	entered chan struct{}
}

func (f *fakeMiner) IsMining() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.mining
}

func (f *fakeMiner) SetGenerate(on bool, workers int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.mining = on
	if workers > 0 {
		f.workers = workers
	}
}

func (f *fakeMiner) Workers() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.workers
}

func (f *fakeMiner) HashesPerSecond() float64 { return 1234.5 }

func (f *fakeMiner) Generate(n uint32) ([]wire.Hash, error) {
	if f.entered != nil {
		f.entered <- struct{}{}
	}
	if f.block != nil {
		<-f.block
	}
	if f.genErr != nil {
		return nil, f.genErr
	}
	out := make([]wire.Hash, n)
	for i := range out {
		out[i] = wire.DoubleHashH([]byte{byte(i)})
	}
	return out, nil
}

func (f *fakeMiner) MinedBlocks() []MinedBlock {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]MinedBlock(nil), f.mined...)
}

// fakeTemplater builds templates on the fake DAG's tip C: a coinbase and
// the two mempool transactions, the second spending the first. It counts
// its builds, and fails while err is set.
type fakeTemplater struct {
	mu      sync.Mutex
	dag     *fakeDAG
	txs     []*wire.MsgTx
	builds  int
	err     error
	extra   uint64
	minTime int64
}

// blueScore is the blue score of the fake templates.
const fakeTemplateBlueScore = 4

func (f *fakeTemplater) NewBlockTemplate() (*BlockTemplate, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	f.builds++
	_, pub := testKey(7)
	f.extra++
	block := &wire.MsgBlock{
		Header: wire.BlockHeader{Version: 1, Parents: []wire.Hash{f.dag.c},
			Timestamp: f.minTime, Bits: 0x207fffff},
		Transactions: append([]*wire.MsgTx{f.coinbaseLocked(fakeTemplateBlueScore, pub)}, f.txs...),
	}
	block.Header.MerkleRoot = wire.BlockMerkleRoot(block.Transactions)
	fees := []uint64{0}
	for i := range f.txs {
		fees = append(fees, uint64(1000*(i+1)))
	}
	return &BlockTemplate{Block: block, Height: 3, BlueScore: fakeTemplateBlueScore,
		MinTimestamp: f.minTime, TxFees: fees, Subsidy: 50 * blockdag.BaseUnitsPerCoin,
		ExtraNonceOffset: 8, ExtraNonceLen: 8}, nil
}

func (f *fakeTemplater) NewCoinbase(blueScore uint64, payTo [wire.PubKeySize]byte) *wire.MsgTx {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.extra++
	return f.coinbaseLocked(blueScore, payTo)
}

func (f *fakeTemplater) coinbaseLocked(blueScore uint64, payTo [wire.PubKeySize]byte) *wire.MsgTx {
	payload := make([]byte, 16, 20)
	binary.LittleEndian.PutUint64(payload, blueScore)
	binary.LittleEndian.PutUint64(payload[8:], f.extra)
	payload = append(payload, "fake"...)
	return &wire.MsgTx{Version: wire.TxVersion, Payload: payload,
		TxOut: []wire.TxOut{{Value: 50 * blockdag.BaseUnitsPerCoin, PubKey: payTo}}}
}

func (f *fakeTemplater) buildCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.builds
}

type fakeLocator struct {
	tx    *wire.MsgTx
	block wire.Hash
}

func (f *fakeLocator) FindTransaction(txID *wire.Hash) (*wire.MsgTx, wire.Hash, bool) {
	if f.tx != nil && f.tx.TxID() == *txID {
		return f.tx, f.block, true
	}
	return nil, wire.Hash{}, false
}

// fakes bundles every fake of a test server.
type fakes struct {
	dag       *fakeDAG
	sync      *fakeSync
	conn      *fakeConn
	mempool   *fakeMempool
	miner     *fakeMiner
	locator   *fakeLocator
	templater *fakeTemplater
	payTo     [wire.PubKeySize]byte
}

func newFakes(params *blockdag.Params) *fakes {
	dag := newFakeDAG(params)
	_, pub := testKey(2)
	mtx := &wire.MsgTx{Version: wire.TxVersion,
		TxIn:  []wire.TxIn{{PreviousOutPoint: wire.OutPoint{TxID: wire.DoubleHashH([]byte("prev")), Index: 1}}},
		TxOut: []wire.TxOut{{Value: 123456789, PubKey: pub}, {Value: 1, PubKey: pub}}}
	child := &wire.MsgTx{Version: wire.TxVersion,
		TxIn:  []wire.TxIn{{PreviousOutPoint: wire.OutPoint{TxID: mtx.TxID(), Index: 0}}},
		TxOut: []wire.TxOut{{Value: 100, PubKey: pub}}}
	now := time.Unix(1_800_000_000, 0)
	_, payTo := testKey(5)
	return &fakes{
		templater: &fakeTemplater{dag: dag, txs: []*wire.MsgTx{mtx, child},
			minTime: params.GenesisBlock.Header.Timestamp + 1001},
		payTo: payTo,
		dag:   dag,
		sync: &fakeSync{status: SyncStatus{SyncPeerID: 2, SyncPeerAddr: "10.0.0.2:18931",
			IsCurrent: true, MaxHeight: 2, SyncPeerMaxHeight: 2, BlocksProcessed: 3,
			LastBlockTime: now}},
		conn: &fakeConn{
			peers: []PeerInfo{
				{ID: 1, Addr: "10.0.0.1:18931", Services: wire.SFNodeNetwork, ConnTime: now,
					PingTime: 1500 * time.Microsecond, ProtocolVersion: 1, UserAgent: "/soterd:0.1.0/",
					StartingHeight: 1, CurrentHeight: 2},
				{ID: 2, Addr: "10.0.0.2:18931", Inbound: true, ConnTime: now},
			},
			listens: []string{"0.0.0.0:18931"},
		},
		mempool: &fakeMempool{entries: []MempoolEntry{
			{Tx: mtx, TxID: mtx.TxID(), Added: now, Height: 2, Fee: 1000},
			{Tx: child, TxID: child.TxID(), Added: now, Height: 2, Fee: 500},
		}},
		miner: &fakeMiner{workers: 2, dag: dag, mined: []MinedBlock{
			{Hash: dag.c, Height: 2, Found: now, Elapsed: 300 * time.Millisecond, Size: 250, TxCount: 2},
			{Hash: dag.a, Height: 1, Found: now, Elapsed: 100 * time.Millisecond, Size: 150, TxCount: 1},
		}},
		locator: &fakeLocator{tx: dag.spendTx, block: dag.c},
	}
}
