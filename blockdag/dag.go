package blockdag

import (
	"cmp"
	"errors"
	"fmt"
	"math/big"
	"runtime"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/soterdag/soterd/database"
	"github.com/soterdag/soterd/wire"
)

// Config configures a BlockDAG.
type Config struct {
	// DB is the store, opened by the caller; blockdag never closes it.
	DB *database.DB

	// Params are the network's parameters.
	Params *Params

	// TimeSource returns the current time; nil means time.Now. Tests
	// inject it.
	TimeSource func() time.Time

	// MaxOrphans, MaxOrphanBytes and OrphanTTL bound the orphan pool;
	// zero means DefaultMaxOrphans, DefaultMaxOrphanBytes and
	// DefaultOrphanTTL.
	MaxOrphans     int
	MaxOrphanBytes int
	OrphanTTL      time.Duration

	// SigVerifyWorkers is the number of goroutines that check signatures;
	// zero means runtime.NumCPU().
	SigVerifyWorkers int

	// UTXOCacheEntries bounds the in-memory cache of UTXO entries; zero
	// means DefaultUTXOCacheEntries.
	UTXOCacheEntries int

	// TxIndex keeps a transaction index (txid -> containing block) for
	// FindTransaction, written in each block's batch. Turning it on for a
	// store built without it makes New index the stored blocks first;
	// turning it off leaves the records but marks the index incomplete.
	TxIndex bool
}

// Cache sizes.
const (
	// DefaultUTXOCacheEntries is the default bound of the UTXO cache,
	// about 25 MB: recent outputs are the ones spent soonest.
	DefaultUTXOCacheEntries = 200_000

	// diffCacheBytes bounds the past diffs kept in memory, so that the
	// common virtual moves need no disk reads beyond the inputs.
	diffCacheBytes = 64 << 20

	// blockCacheBytes bounds the block bodies kept for acceptance and
	// notifications.
	blockCacheBytes = 32 << 20

	// maxSigVerifyWorkers bounds Config.SigVerifyWorkers.
	maxSigVerifyWorkers = 1024
)

// virtualState is the virtual block: the current tips (up to MaxParents by
// blue work) as parents, its GHOSTDAG data, the diff that takes the UTXO
// state of its selected parent's past to its own, and the commitment of
// its UTXO set.
type virtualState struct {
	parents []*blockNode // ascending hash
	ghostdagData
	key          wire.Hash
	diff         *pastDiff
	pmt          int64
	requiredBits uint32
	height       uint32
	multiset     multiset
	count        uint64
	total        uint64
}

// BlockDAG is the consensus core: the block index with GHOSTDAG data and
// reachability, the virtual block and its UTXO set, validation, orphans and
// notifications. It is safe for concurrent access.
//
// Locking: processLock serializes the writers (ProcessBlock,
// CheckBlockTemplate), so a writer may read shared state without other
// locks. stateLock guards what readers see: the writer takes it for
// writing only while it changes that state and writes the store, and the
// read methods take it for reading. notifyLock keeps notifications in
// acceptance order while letting the next writer start.
type BlockDAG struct {
	params     *Params
	db         *database.DB
	timeSource func() time.Time
	txIndex    bool

	processLock sync.Mutex
	notifyLock  sync.Mutex
	stateLock   sync.RWMutex

	// Guarded by stateLock.
	index       map[wire.Hash]*blockNode
	byHeight    [][]*blockNode // each level sorted by hash
	tips        []*blockNode
	genesis     *blockNode
	virtual     *virtualState
	chain       []*blockNode // the virtual's selected chain, genesis first
	chainPrefix []uint64     // chainPrefix[i] is chain[i]'s position in the order
	utxo        *utxoSet
	blockCount  uint64
	fatalErr    error
	closed      bool

	// Used only under processLock.
	gd         ghostdagState
	reachStats reachStats
	diffCache  *lruCache[wire.Hash, *pastDiff]

	blockCache *lruCache[*blockNode, *blockData]
	orphans    *orphanPool
	invalid    *invalidSet
	pool       *workerPool

	subsLock    sync.Mutex
	subscribers []func(*Notification)
}

// asRuleError reports whether err is or wraps a RuleError and sets re.
func asRuleError(err error, re *RuleError) bool {
	return errors.As(err, re)
}

// New returns a BlockDAG over cfg.DB: it loads the stored DAG or, on an
// empty store, stores the network's genesis block. The store must belong
// to the same network.
func New(cfg *Config) (*BlockDAG, error) {
	if cfg == nil || cfg.DB == nil || cfg.Params == nil {
		return nil, errors.New("blockdag: config needs a database and network parameters")
	}
	c := *cfg
	if c.TimeSource == nil {
		c.TimeSource = time.Now
	}
	if c.MaxOrphans < 0 || c.MaxOrphanBytes < 0 || c.OrphanTTL < 0 {
		return nil, errors.New("blockdag: orphan pool bounds must not be negative")
	}
	if c.MaxOrphans == 0 {
		c.MaxOrphans = DefaultMaxOrphans
	}
	if c.MaxOrphanBytes == 0 {
		c.MaxOrphanBytes = DefaultMaxOrphanBytes
	}
	if c.OrphanTTL == 0 {
		c.OrphanTTL = DefaultOrphanTTL
	}
	if c.SigVerifyWorkers < 0 || c.SigVerifyWorkers > maxSigVerifyWorkers {
		return nil, fmt.Errorf("blockdag: SigVerifyWorkers %d is out of range: "+
			"it must be 0 (one per CPU) to %d", c.SigVerifyWorkers, maxSigVerifyWorkers)
	}
	if c.SigVerifyWorkers == 0 {
		c.SigVerifyWorkers = runtime.NumCPU()
	}
	if c.UTXOCacheEntries < 0 {
		return nil, errors.New("blockdag: UTXOCacheEntries must not be negative")
	}
	if c.UTXOCacheEntries == 0 {
		c.UTXOCacheEntries = DefaultUTXOCacheEntries
	}

	d := &BlockDAG{
		params:     c.Params,
		db:         c.DB,
		timeSource: c.TimeSource,
		txIndex:    c.TxIndex,
		index:      make(map[wire.Hash]*blockNode),
		utxo: &utxoSet{
			db:       c.DB,
			cache:    make(map[wire.OutPoint]*UTXOEntry),
			absent:   make(map[wire.OutPoint]struct{}),
			fetched:  make(map[wire.OutPoint]*UTXOEntry),
			maxCache: c.UTXOCacheEntries,
		},
		gd: ghostdagState{
			k:          c.Params.K,
			mergeLimit: c.Params.MergeSetSizeLimit,
			workCache:  make(map[uint32]*big.Int),
		},
		diffCache:  newLRUCache[wire.Hash](diffCacheBytes, (*pastDiff).cost),
		blockCache: newLRUCache[*blockNode](blockCacheBytes, blockDataCost),
		orphans:    newOrphanPool(c.MaxOrphans, c.MaxOrphanBytes, c.OrphanTTL),
		invalid:    newInvalidSet(),
	}

	stored, err := d.db.Get(virtualGenesisKey)
	switch {
	case err == nil:
		if len(stored) != wire.HashSize || wire.Hash(stored) != c.Params.GenesisHash {
			return nil, fmt.Errorf("blockdag: the database in %s belongs to another "+
				"network than %s; use that network's data directory", d.db.Path(), c.Params.Name)
		}
		start := time.Now()
		if err := d.load(); err != nil {
			return nil, fmt.Errorf("blockdag: load the DAG from %s: %w", d.db.Path(), err)
		}
		log.Infof("Loaded %d blocks in %v (max height %d, virtual blue score %d)",
			d.blockCount, time.Since(start).Round(time.Millisecond), d.maxHeightLocked(),
			d.virtual.blueScore)
		if err := d.prepareTxIndex(); err != nil {
			return nil, fmt.Errorf("blockdag: transaction index in %s: %w", d.db.Path(), err)
		}
	case errors.Is(err, database.ErrNotFound):
		if err := d.initGenesis(); err != nil {
			return nil, fmt.Errorf("blockdag: store the genesis block: %w", err)
		}
	default:
		return nil, fmt.Errorf("blockdag: read the network of the database: %w", err)
	}
	d.pool = newWorkerPool(c.SigVerifyWorkers)
	return d, nil
}

// Close stops the signature workers and flushes the store. The DB stays
// open. Close is safe to call more than once.
func (d *BlockDAG) Close() error {
	d.processLock.Lock()
	defer d.processLock.Unlock()
	d.stateLock.Lock()
	if d.closed {
		d.stateLock.Unlock()
		return nil
	}
	d.closed = true
	d.stateLock.Unlock()
	d.pool.close()
	if err := d.db.Sync(); err != nil {
		return fmt.Errorf("blockdag: flush the store: %w", err)
	}
	return nil
}

// Params returns the network's parameters.
func (d *BlockDAG) Params() *Params {
	return d.params
}

// genesisNode builds the node of the genesis block.
func (d *BlockDAG) newNode(block *wire.MsgBlock, hash wire.Hash, parents []*blockNode,
	gd *ghostdagData, size int) *blockNode {

	h := &block.Header
	n := &blockNode{
		hash:       hash,
		parents:    parents,
		version:    h.Version,
		merkleRoot: h.MerkleRoot,
		timestamp:  h.Timestamp,
		bits:       h.Bits,
		nonce:      h.Nonce,
		status:     statusValid,
		size:       uint32(size),
		txCount:    uint32(len(block.Transactions)),
		pastKey:    pastKeyOf(parents),
	}
	for _, p := range parents {
		n.height = max(n.height, p.height+1)
	}
	n.ghostdagData = *gd
	return n
}

// initGenesis stores the genesis block and the virtual on it in an empty
// store.
func (d *BlockDAG) initGenesis() error {
	block := d.params.GenesisBlock
	hash := d.params.GenesisHash
	size := block.SerializeSize()
	g := d.newNode(block, hash, nil, &ghostdagData{blueWork: new(big.Int)}, size)
	initReachRoot(g)
	d.linkNode(g)
	d.genesis = g
	d.chain = []*blockNode{g}
	d.chainPrefix = []uint64{0}

	vparents := []*blockNode{g}
	vgd, err := d.gd.ghostdag(vparents)
	if err != nil {
		return err
	}
	view := newUTXOView(d.utxo)
	d.cacheBlockData(g, block, block.TxIDs())
	vpd, err := d.computePastDiff(view, vgd, pastKeyOf(vparents))
	if err != nil {
		return err
	}
	vs := &virtualState{parents: vparents, ghostdagData: *vgd, key: vpd.key, diff: vpd}
	d.applyCommitment(vs, vpd.diff)
	d.finishVirtual(vs)

	batch := d.db.NewBatch()
	batch.Put(blockKey(&hash), block.Serialize())
	batch.Put(indexKey(&hash), encodeIndexRecord(g))
	batch.Put(undoKey(vpd.key), encodePastDiff(vpd))
	d.utxo.commit(vpd.diff, batch)
	batch.Put(virtualStateKey, encodeVirtualRecord(vs.record()))
	batch.Put(virtualGenesisKey, hash[:])
	if d.txIndex {
		if _, err := d.indexBlockTxs(batch, &hash, block.TxIDs(), nil); err != nil {
			return err
		}
		batch.Put(txIndexCompleteKey, []byte{1})
	}
	if err := d.db.Write(batch); err != nil {
		return err
	}
	vpd.stored = true
	d.diffCache.put(vpd.key, vpd)
	d.utxo.updateCache(vpd.diff)
	d.virtual = vs
	log.Infof("Stored the %s genesis block %s", d.params.Name, hash)
	return nil
}

// record returns the stored form of the virtual state.
func (vs *virtualState) record() *virtualRecord {
	return &virtualRecord{
		parents:  hashesOf(vs.parents),
		multiset: vs.multiset,
		count:    vs.count,
		total:    vs.total,
	}
}

// finishVirtual computes the derived fields of a virtual state.
func (d *BlockDAG) finishVirtual(vs *virtualState) {
	vs.pmt = pastMedianTime(&vs.ghostdagData, d.params)
	vs.requiredBits = requiredBits(&vs.ghostdagData, d.params)
	vs.height = 0
	for _, p := range vs.parents {
		vs.height = max(vs.height, p.height+1)
	}
}

// linkNode adds n to the index structures: the hash map, its height level,
// its parents' children and the tips. It must be called with the state lock
// held for writing (or before the DAG is shared).
func (d *BlockDAG) linkNode(n *blockNode) {
	d.index[n.hash] = n
	for int(n.height) >= len(d.byHeight) {
		d.byHeight = append(d.byHeight, nil)
	}
	level := d.byHeight[n.height]
	i := sort.Search(len(level), func(i int) bool { return level[i].hash.Compare(&n.hash) > 0 })
	level = append(level, nil)
	copy(level[i+1:], level[i:])
	level[i] = n
	d.byHeight[n.height] = level

	for _, p := range n.parents {
		p.children = append(p.children, n)
	}
	tips := d.tips[:0]
	for _, t := range d.tips {
		if len(t.children) == 0 {
			tips = append(tips, t)
		}
	}
	d.tips = append(tips, n)
	d.blockCount++
}

// load rebuilds the in-memory DAG from the store: the index in height
// order, the reachability tree, the virtual and its selected chain.
func (d *BlockDAG) load() error {
	type loaded struct {
		hash wire.Hash
		rec  *indexRecord
	}
	var records []loaded
	it := d.db.NewIterator([]byte{byte(database.BucketBlockIndex)})
	for it.Next() {
		key := it.Key()
		if len(key) != 1+wire.HashSize {
			it.Release()
			return ruleError(ErrCorruptState, "index key of the wrong size")
		}
		rec, err := decodeIndexRecord(it.Value())
		if err != nil {
			it.Release()
			return err
		}
		records = append(records, loaded{wire.Hash(key[1:]), rec})
	}
	it.Release()
	if err := it.Err(); err != nil {
		return err
	}
	// Height order is topological: parents and mergesets come first.
	slices.SortFunc(records, func(a, b loaded) int {
		if a.rec.height != b.rec.height {
			return cmp.Compare(a.rec.height, b.rec.height)
		}
		return a.hash.Compare(&b.hash)
	})

	resolve := func(hashes []wire.Hash) ([]*blockNode, error) {
		if len(hashes) == 0 {
			return nil, nil
		}
		out := make([]*blockNode, len(hashes))
		for i := range hashes {
			n, ok := d.index[hashes[i]]
			if !ok {
				return nil, ruleError(ErrCorruptState, fmt.Sprintf(
					"index refers to block %s, which is not loaded before it", hashes[i]))
			}
			out[i] = n
		}
		return out, nil
	}

	for _, l := range records {
		hash, rec := l.hash, l.rec
		parents, err := resolve(rec.header.Parents)
		if err != nil {
			return err
		}
		blues, err := resolve(rec.blues)
		if err != nil {
			return err
		}
		reds, err := resolve(rec.reds)
		if err != nil {
			return err
		}
		acNodes, err := resolve(rec.anticoneNodes)
		if err != nil {
			return err
		}
		gd := ghostdagData{
			blueScore: rec.blueScore,
			blueWork:  rec.blueWork,
			blues:     blues,
			reds:      reds,
		}
		if rec.blueWork == nil {
			gd.blueWork = new(big.Int)
		}
		if len(blues) > 0 {
			gd.selectedParent = blues[0]
		}
		gd.anticoneSizes = make([]anticoneSize, len(acNodes))
		for i := range acNodes {
			gd.anticoneSizes[i] = anticoneSize{node: acNodes[i], size: rec.anticoneSizes[i]}
		}
		n := &blockNode{
			hash:       hash,
			parents:    parents,
			version:    rec.header.Version,
			merkleRoot: rec.header.MerkleRoot,
			timestamp:  rec.header.Timestamp,
			bits:       rec.header.Bits,
			nonce:      rec.header.Nonce,
			height:     rec.height,
			status:     rec.status,
			size:       rec.size,
			txCount:    rec.txCount,
			pastKey:    pastKeyOf(parents),
		}
		n.ghostdagData = gd
		if len(parents) == 0 {
			if hash != d.params.GenesisHash || d.genesis != nil {
				return ruleError(ErrCorruptState, fmt.Sprintf("block %s has no parents", hash))
			}
			d.genesis = n
			initReachRoot(n)
		} else {
			if gd.selectedParent == nil {
				return ruleError(ErrCorruptState, fmt.Sprintf("block %s has no selected parent", hash))
			}
			if err := addReachability(n, &d.reachStats); err != nil {
				return err
			}
		}
		for _, p := range parents {
			if p.height >= n.height {
				return ruleError(ErrCorruptState, fmt.Sprintf(
					"block %s is not above its parent %s", hash, p.hash))
			}
		}
		d.linkNode(n)
	}
	if d.genesis == nil {
		return ruleError(ErrCorruptState, "the genesis block is not in the index")
	}

	// The virtual.
	b, err := d.db.Get(virtualStateKey)
	if err != nil {
		return err
	}
	rec, err := decodeVirtualRecord(b)
	if err != nil {
		return err
	}
	vparents, err := resolve(rec.parents)
	if err != nil {
		return err
	}
	vgd, err := d.gd.ghostdag(vparents)
	if err != nil {
		return err
	}
	vs := &virtualState{
		parents:      vparents,
		ghostdagData: *vgd,
		key:          pastKeyOf(vparents),
		multiset:     rec.multiset,
		count:        rec.count,
		total:        rec.total,
	}
	vs.diff, err = d.loadPastDiff(vs.key)
	if err != nil {
		return err
	}
	if vs.diff == nil {
		return ruleError(ErrCorruptState, "the virtual's past diff is missing")
	}
	d.finishVirtual(vs)
	d.virtual = vs

	// The selected chain and the order positions.
	var chain []*blockNode
	for n := vs.selectedParent; n != nil; n = n.selectedParent {
		chain = append(chain, n)
	}
	for i, j := 0, len(chain)-1; i < j; i, j = i+1, j-1 {
		chain[i], chain[j] = chain[j], chain[i]
	}
	d.chain = chain
	d.chainPrefix = make([]uint64, len(chain))
	for i := 1; i < len(chain); i++ {
		d.chainPrefix[i] = d.chainPrefix[i-1] + uint64(chain[i].mergeSetSize())
	}
	return nil
}

// maxHeightLocked returns the highest block height. The state lock must be
// held.
func (d *BlockDAG) maxHeightLocked() uint32 {
	return uint32(len(d.byHeight) - 1)
}

// cacheBlockData keeps a block body for acceptance and notifications.
func (d *BlockDAG) cacheBlockData(n *blockNode, msg *wire.MsgBlock, txids []wire.Hash) *blockData {
	bd := &blockData{msg: msg, txids: txids, size: int(n.size)}
	d.blockCache.put(n, bd)
	return bd
}

// blockDataOf returns a block's body and txids, from the cache or the store.
func (d *BlockDAG) blockDataOf(n *blockNode) (*blockData, error) {
	if bd, ok := d.blockCache.get(n); ok {
		return bd, nil
	}
	b, err := d.db.Get(blockKey(&n.hash))
	if err != nil {
		return nil, fmt.Errorf("read block %s: %w", n.hash, err)
	}
	msg := new(wire.MsgBlock)
	if err := msg.Deserialize(b); err != nil {
		return nil, ruleError(ErrCorruptState, fmt.Sprintf("stored block %s does not decode: %v", n.hash, err))
	}
	return d.cacheBlockData(n, msg, msg.TxIDs()), nil
}

// loadPastDiff returns the past diff with the given key from the cache or
// the store, or nil when neither has it.
func (d *BlockDAG) loadPastDiff(key wire.Hash) (*pastDiff, error) {
	if pd, ok := d.diffCache.get(key); ok {
		return pd, nil
	}
	b, err := d.db.Get(undoKey(key))
	if err != nil {
		if errors.Is(err, database.ErrNotFound) {
			return nil, nil
		}
		return nil, err
	}
	s, err := decodePastDiff(b)
	if err != nil {
		return nil, err
	}
	pd := &pastDiff{
		key:      key,
		diff:     &utxoDiff{removed: s.removed, added: s.added},
		accepted: make([]blockAcceptance, len(s.blocks)),
		stored:   true,
	}
	for i := range s.blocks {
		n, ok := d.index[s.blocks[i]]
		if !ok {
			return nil, ruleError(ErrCorruptState, fmt.Sprintf(
				"past diff names unknown block %s", s.blocks[i]))
		}
		pd.accepted[i] = blockAcceptance{node: n, txCount: s.txCount[i], bits: s.bits[i]}
	}
	d.diffCache.put(key, pd)
	return pd, nil
}

// computePastDiff computes the past diff of a block (or the virtual) with
// GHOSTDAG data gd on view, which must hold the UTXO state of the past of
// gd's selected parent: it accepts the mergeset's transactions in order. The
// view is left unchanged; the result's diff is relative to it.
func (d *BlockDAG) computePastDiff(view *utxoView, gd *ghostdagData, key wire.Hash) (*pastDiff, error) {
	child := newUTXOView(view)
	ms := gd.orderedMergeSet()
	pd := &pastDiff{key: key, accepted: make([]blockAcceptance, len(ms))}
	var entries []*UTXOEntry
	for i, m := range ms {
		bd, err := d.blockDataOf(m)
		if err != nil {
			return nil, err
		}
		txs := bd.msg.Transactions
		acc := blockAcceptance{node: m, txCount: len(txs), bits: make([]byte, (len(txs)+7)/8)}
		for j, tx := range txs {
			var ok bool
			ok, entries, err = acceptTx(child, tx, bd.txids[j], m.blueScore, d.params, entries)
			if err != nil {
				return nil, err
			}
			if ok {
				acc.bits[j/8] |= 1 << (j % 8)
			}
		}
		pd.accepted[i] = acc
	}
	pd.diff = child.diff
	d.diffCache.put(key, pd)
	return pd, nil
}

// pastDiffFor returns the past diff of chain block n, computing it on view
// (which must then hold the state of the past of n's selected parent) when
// neither the cache nor the store has it.
func (d *BlockDAG) pastDiffFor(n *blockNode, view *utxoView) (*pastDiff, error) {
	pd, err := d.loadPastDiff(n.pastKey)
	if err != nil || pd != nil {
		return pd, err
	}
	if view == nil {
		return nil, ruleError(ErrCorruptState, fmt.Sprintf("past diff of block %s is missing", n.hash))
	}
	return d.computePastDiff(view, &n.ghostdagData, n.pastKey)
}

// applyCommitment updates vs's multiset, count and total by a net change of
// the UTXO set, computing the elements on the worker pool when there are
// many.
func (d *BlockDAG) applyCommitment(vs *virtualState, diff *utxoDiff) {
	type change struct {
		op  wire.OutPoint
		e   *UTXOEntry
		add bool
	}
	changes := make([]change, 0, len(diff.removed)+len(diff.added))
	for op, e := range diff.removed {
		changes = append(changes, change{op, e, false})
		vs.count--
		vs.total -= e.Amount
	}
	for op, e := range diff.added {
		changes = append(changes, change{op, e, true})
		vs.count++
		vs.total += e.Amount
	}
	if len(changes) < 64 || d.pool == nil {
		for _, c := range changes {
			if c.add {
				vs.multiset.addEntry(c.op, c.e)
			} else {
				vs.multiset.removeEntry(c.op, c.e)
			}
		}
		return
	}
	// Sum the elements per chunk in parallel, then fold the sums in.
	const chunk = 64
	n := (len(changes) + chunk - 1) / chunk
	adds := make([]multiset, n)
	subs := make([]multiset, n)
	_ = d.pool.run(n, func(i int) error {
		var el element
		for _, c := range changes[i*chunk : min((i+1)*chunk, len(changes))] {
			utxoElement(c.op, c.e, &el)
			if c.add {
				adds[i].addElement(&el)
			} else {
				subs[i].addElement(&el)
			}
		}
		return nil
	})
	for i := range adds {
		vs.multiset.add(&adds[i])
		vs.multiset.sub(&subs[i])
	}
}
