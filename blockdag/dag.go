package blockdag

import (
	"errors"
	"fmt"
	"math/big"
	"runtime"
	"slices"
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

	// CacheBytes bounds the memory of the DAG's caches together: block
	// index nodes, UTXO entries, past diffs and block bodies; zero means
	// DefaultCacheBytes. Nothing else the DAG keeps in memory grows with
	// the number of blocks it holds.
	CacheBytes int

	// UTXOCacheEntries, when not zero, bounds the in-memory cache of UTXO
	// entries instead of its share of CacheBytes.
	UTXOCacheEntries int

	// TxIndex keeps a transaction index (txid -> containing block) for
	// FindTransaction, written in each block's batch. Turning it on for a
	// store built without it makes New index the stored blocks first;
	// turning it off leaves the records but marks the index incomplete.
	TxIndex bool

	// UTXOIndex keeps an index of the virtual's unspent outputs by the
	// key they are locked to, for ForEachUTXOOfKey, written in the same
	// batch as the UTXO set. Turning it on for a store built without it
	// makes New build it from the UTXO set first.
	UTXOIndex bool

	// StageObserver, when set, is told each accepted block's processing
	// time by stage (stages.go), for metrics.
	StageObserver StageObserver

	// PruneBytes, when not zero, prunes the store: block bodies and past
	// diffs that consensus never reads again are deleted, oldest first,
	// while the retained ones take more than PruneBytes (prune.go). It
	// must be at least MinPruneBytes(Params), and TxIndex must be off. A
	// store that was pruned cannot be opened with PruneBytes zero.
	PruneBytes uint64

	// AssumeValid, when not the zero hash, is a block trusted to be
	// valid: the blocks in its past, as headers from peers show them
	// (MarkAssumedValid), and the block itself skip their signature
	// checks until it is in the DAG (assumevalid.go).
	AssumeValid wire.Hash
}

// Cache sizes.
const (
	// DefaultCacheBytes is the default bound of the DAG's caches. Its
	// shares (cacheShares) hold the working set of a node at one block a
	// second many times over: the difficulty window and the blocks near
	// the tips, the outputs spent soonest, the diffs of the recent chain.
	DefaultCacheBytes = 64 << 20

	// MinCacheBytes is the smallest CacheBytes accepted.
	MinCacheBytes = 16 << 20

	// utxoEntryMemSize estimates a cached UTXO entry with its map slot.
	utxoEntryMemSize = 160

	// maxSigVerifyWorkers bounds Config.SigVerifyWorkers.
	maxSigVerifyWorkers = 1024
)

// cacheShares splits CacheBytes: block index nodes, UTXO entries, past
// diffs, block bodies, in parts of eight.
var cacheShares = [4]int{3, 3, 1, 1}

// virtualState is the virtual block: the current tips (up to MaxParents by
// blue work) as parents, its GHOSTDAG data, the diff that takes the UTXO
// state of its selected parent's past to its own, and the commitment of
// its UTXO set.
type virtualState struct {
	parents []wire.Hash // ascending
	ghostdagData
	key      wire.Hash
	diff     *pastDiff
	height   uint32
	multiset multiset
	count    uint64
	total    uint64

	// derived holds the past median time and required bits, computed
	// when first asked for: they walk the difficulty window, and only a
	// miner asks, while a syncing node moves the virtual at every block.
	derived struct {
		once         sync.Once
		pmt          int64
		requiredBits uint32
		err          error
	}
}

// timeAndBits returns the virtual's past median time and required bits.
// It is safe for concurrent use under the state lock held for reading.
func (d *BlockDAG) timeAndBits(vs *virtualState) (int64, uint32, error) {
	vs.derived.once.Do(func() {
		v := &vs.derived
		if v.pmt, v.err = pastMedianTime(d.nodes, &vs.ghostdagData, d.params); v.err != nil {
			return
		}
		v.requiredBits, v.err = requiredBits(d.nodes, &vs.ghostdagData, d.params)
	})
	return vs.derived.pmt, vs.derived.requiredBits, vs.derived.err
}

// BlockDAG is the consensus core: the block index with GHOSTDAG data and
// reachability, the virtual block and its UTXO set, validation, orphans and
// notifications. It is safe for concurrent access.
//
// The block index, reachability, heights, children, tips and the selected
// chain are in the store; memory holds bounded caches of them (nodestore.go,
// chain.go), so neither memory nor start-up time grows with the DAG.
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

	// pruner is nil when pruning is off; prunedBelow is then the lowest
	// height with bodies, 0 unless the store was pruned before.
	pruner      *pruner
	prunedBelow uint32

	processLock sync.Mutex
	notifyLock  sync.Mutex
	stateLock   sync.RWMutex

	// nodes is safe for concurrent use.
	nodes *nodeStore

	// Guarded by stateLock.
	tips        []wire.Hash
	virtual     *virtualState
	chain       chainStore
	finalityPos uint64
	utxo        *utxoSet
	blockCount  uint64
	maxHeight   uint32
	fatalErr    error
	closed      bool

	// Used only under processLock.
	batch *database.Batch
	gd    ghostdagState
	// sinceCommitment counts the blocks accepted since the commitment
	// record was last written.
	sinceCommitment int
	// commitmentEvery is commitmentInterval; tests lower it, since it
	// also paces pruning.
	commitmentEvery int
	conflictWarned  time.Time
	reachStats      reachStats
	diffCache       *lruCache[wire.Hash, *pastDiff]

	blockCache *lruCache[wire.Hash, *blockData]
	orphans    *orphanPool
	invalid    *invalidSet
	pool       *workerPool
	stages     StageObserver
	clock      stageClock
	sigs       *sigVerifier
	av         *assumeValid

	subsLock    sync.Mutex
	subscribers []func(*Notification)
}

// asRuleError reports whether err is or wraps a RuleError and sets re.
func asRuleError(err error, re *RuleError) bool {
	return errors.As(err, re)
}

// New returns a BlockDAG over cfg.DB: it loads the stored DAG or, on an
// empty store, stores the network's genesis block. The store must belong
// to the same network. Loading reads the virtual, the tips and the newest
// part of the selected chain, whatever the size of the DAG.
func New(cfg *Config) (*BlockDAG, error) {
	if cfg == nil || cfg.DB == nil || cfg.Params == nil {
		return nil, errors.New("blockdag: config needs a database and network parameters")
	}
	c := *cfg
	if c.TimeSource == nil {
		c.TimeSource = time.Now
	}
	if p := c.Params; p.MergeDepth == 0 || p.MergeDepth >= p.FinalityDepth {
		return nil, fmt.Errorf("blockdag: MergeDepth %d must be at least 1 and below "+
			"FinalityDepth %d", p.MergeDepth, p.FinalityDepth)
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
	if c.CacheBytes == 0 {
		c.CacheBytes = DefaultCacheBytes
	}
	if c.CacheBytes < MinCacheBytes {
		return nil, fmt.Errorf("blockdag: CacheBytes %d is below the minimum of %d",
			c.CacheBytes, MinCacheBytes)
	}
	if c.PruneBytes > 0 {
		if min := MinPruneBytes(c.Params); c.PruneBytes < min {
			return nil, fmt.Errorf("blockdag: the prune target of %d bytes is below the "+
				"minimum of %d (%d MiB) for %s: a pruned node keeps at least the blocks "+
				"of the finality window", c.PruneBytes, min, MinPruneMiB(c.Params), c.Params.Name)
		}
		if c.TxIndex {
			return nil, errors.New("blockdag: the transaction index cannot be kept " +
				"with pruning: it would name blocks whose bodies are gone; turn one off")
		}
	}
	share := func(i int) int { return c.CacheBytes / 8 * cacheShares[i] }
	if c.UTXOCacheEntries == 0 {
		c.UTXOCacheEntries = share(1) / utxoEntryMemSize
	}

	d := &BlockDAG{
		params:     c.Params,
		db:         c.DB,
		timeSource: c.TimeSource,
		txIndex:    c.TxIndex,
		nodes:      newNodeStore(c.DB, share(0)),
		chain:      chainStore{db: c.DB, keep: tailLength(c.Params)},
		utxo: &utxoSet{
			db:       c.DB,
			cache:    make(map[wire.OutPoint]*UTXOEntry),
			absent:   make(map[wire.OutPoint]struct{}),
			fetched:  make(map[wire.OutPoint]*UTXOEntry),
			maxCache: c.UTXOCacheEntries,
		},
		diffCache:  newLRUCache[wire.Hash](share(2), (*pastDiff).cost),
		blockCache: newLRUCache[wire.Hash](share(3), blockDataCost),
		orphans:    newOrphanPool(c.MaxOrphans, c.MaxOrphanBytes, c.OrphanTTL),
		invalid:    newInvalidSet(),
		batch:      c.DB.NewBatch(),

		commitmentEvery: commitmentInterval,
	}
	d.utxo.addrIndex = c.UTXOIndex
	d.gd = ghostdagState{
		src:        d.nodes,
		k:          c.Params.K,
		mergeLimit: c.Params.MergeSetSizeLimit,
		workCache:  make(map[uint32]*big.Int),
	}

	stored, err := d.db.Get(virtualGenesisKey)
	switch {
	case err == nil:
		if len(stored) != wire.HashSize || wire.Hash(stored) != c.Params.GenesisHash {
			return nil, fmt.Errorf("blockdag: the database in %s belongs to another "+
				"network than %s; use that network's data directory", d.db.Path(), c.Params.Name)
		}
		lowest, err := readPruneRecord(d.db)
		if err != nil {
			return nil, fmt.Errorf("blockdag: %s: %w", d.db.Path(), err)
		}
		if lowest > 0 && c.PruneBytes == 0 {
			return nil, fmt.Errorf("blockdag: the store in %s was pruned below height %d, "+
				"and an archive node needs every block: keep pruning (--prune), or "+
				"remove the directory and restart to resync from peers", d.db.Path(), lowest)
		}
		d.prunedBelow = lowest
		if c.PruneBytes > 0 {
			d.pruner = newPruner(d, c.PruneBytes, lowest)
		}
		start := time.Now()
		if err := d.load(); err != nil {
			return nil, fmt.Errorf("blockdag: load the DAG from %s: %w", d.db.Path(), err)
		}
		log.Infof("Loaded the DAG in %v: %d blocks, max height %d, virtual blue score %d",
			time.Since(start).Round(time.Millisecond), d.blockCount, d.maxHeight,
			d.virtual.blueScore)
		if err := d.prepareTxIndex(); err != nil {
			return nil, fmt.Errorf("blockdag: transaction index in %s: %w", d.db.Path(), err)
		}
	case errors.Is(err, database.ErrNotFound):
		if c.PruneBytes > 0 {
			d.pruner = newPruner(d, c.PruneBytes, 0)
		}
		if err := d.initGenesis(); err != nil {
			return nil, fmt.Errorf("blockdag: store the genesis block: %w", err)
		}
	default:
		return nil, fmt.Errorf("blockdag: read the network of the database: %w", err)
	}
	if err := d.prepareUTXOIndex(); err != nil {
		return nil, fmt.Errorf("blockdag: UTXO index in %s: %w", d.db.Path(), err)
	}
	d.pool = newWorkerPool(c.SigVerifyWorkers)
	d.sigs = newSigVerifier()
	d.stages = c.StageObserver
	d.av = newAssumeValid(d, c.AssumeValid)
	if d.pruner != nil {
		d.pruner.start()
		if d.sinceCommitment == 0 {
			// The commitment record belongs to the virtual: the
			// limit of the current finality point is safe now.
			// After a crash the next commitment write sets it.
			d.updatePruneLimit()
		}
		log.Infof("Pruning to %d MiB of block bodies and past diffs; bodies kept from height %d",
			c.PruneBytes>>20, d.pruner.lowest.Load())
	}
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
	d.av.close()
	if d.pruner != nil {
		d.pruner.close()
	}
	if d.sinceCommitment > 0 && d.fatalErr == nil {
		// A clean stop leaves nothing to replay at the next start.
		if err := d.db.Put(commitmentKey, d.virtual.commitmentRecord()); err != nil {
			return fmt.Errorf("blockdag: store the UTXO commitment: %w", err)
		}
	}
	if err := d.db.Sync(); err != nil {
		return fmt.Errorf("blockdag: flush the store: %w", err)
	}
	return nil
}

// Flush waits until every block the DAG has accepted so far is in the
// store, past the writer goroutine's queue (database.DB.WriteAsync). Whoever
// tells the outside about the DAG's state calls it first, so that a block a
// client was told about survives a killed process; the RPC server does so
// before every reply and notification it sends.
func (d *BlockDAG) Flush() error {
	err := d.db.Flush()
	if errors.Is(err, database.ErrClosed) {
		// Closing the store wrote its queue out first: a reply during
		// shutdown reports nothing a kill could lose.
		return nil
	}
	if err != nil {
		return fmt.Errorf("blockdag: write the accepted blocks to the store: %w", err)
	}
	return nil
}

// Params returns the network's parameters.
func (d *BlockDAG) Params() *Params {
	return d.params
}

// newNode builds the node of a block with the given parent nodes (nil for
// genesis) and GHOSTDAG data.
func newNode(block *wire.MsgBlock, hash wire.Hash, parents []*blockNode,
	gd *ghostdagData, size int) *blockNode {

	h := &block.Header
	n := &blockNode{
		hash:       hash,
		parents:    append([]wire.Hash(nil), h.Parents...),
		version:    h.Version,
		merkleRoot: h.MerkleRoot,
		timestamp:  h.Timestamp,
		bits:       h.Bits,
		nonce:      h.Nonce,
		status:     statusValid,
		size:       uint32(size),
		txCount:    uint32(len(block.Transactions)),
		pastKey:    pastKeyOf(h.Parents),
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
	g := newNode(block, hash, nil, &ghostdagData{blueWork: new(big.Int)}, size)
	initReachRoot(g)
	d.nodes.addFresh(g)

	vparents := []*blockNode{g}
	vgd, err := d.gd.ghostdag(vparents)
	if err != nil {
		return err
	}
	view := newUTXOView(d.utxo)
	d.cacheBlockData(g, block, block.TxIDs())
	vkey := pastKeyOf(hashesOf(vparents))
	vpd, err := d.computePastDiff(view, vgd, vkey)
	if err != nil {
		return err
	}
	vs := &virtualState{parents: hashesOf(vparents), ghostdagData: *vgd, key: vpd.key, diff: vpd}
	d.applyCommitment(vs, vpd.diff)
	if err := d.finishVirtual(vs); err != nil {
		return err
	}
	update := &chainUpdate{added: []chainEntry{{hash: hash}}}

	batch := d.db.NewBatch()
	body := block.Serialize()
	batch.Put(blockKey(&hash), body)
	d.nodes.flushDirty(batch)
	batch.Put(heightKey(0, &hash), d.heightValue(g, len(body)))
	d.chain.write(update, batch)
	enc := encodePastDiff(vpd)
	batch.Put(undoKey(vpd.key), enc)
	d.indexDiff(batch, vs.height, vpd.key, len(enc))
	d.utxo.commit(vpd.diff, batch)
	batch.Put(virtualStateKey, encodeVirtualRecord(vs.record(&dagCounters{
		blockCount: 1, chainLen: 1, tips: []wire.Hash{hash}})))
	batch.Put(commitmentKey, vs.commitmentRecord())
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
	d.nodes.clearDirty()
	d.chain.apply(update)
	vpd.stored = true
	d.diffCache.put(vpd.key, vpd)
	d.utxo.updateCache(vpd.diff)
	d.virtual = vs
	d.tips = []wire.Hash{hash}
	d.blockCount = 1
	log.Infof("Stored the %s genesis block %s", d.params.Name, hash)
	return nil
}

// record returns the stored form of the virtual state with the DAG's
// counters and tips.
func (vs *virtualState) record(st *dagCounters) *virtualRecord {
	return &virtualRecord{
		parents: vs.parents,
		count:   vs.count,
		total:   vs.total,
		dag:     *st,
	}
}

// commitmentRecord returns the stored form of the virtual's commitment
// state.
func (vs *virtualState) commitmentRecord() []byte {
	return encodeCommitmentRecord(&commitmentRecord{parents: vs.parents, multiset: vs.multiset})
}

// commitmentInterval is how many blocks may pass between two writes of the
// commitment record: a start after a crash replays at most about that many
// past diffs (a few tens of milliseconds).
const commitmentInterval = 1000

// replayCommitment returns the commitment state of the virtual vs from the
// stored state c of an earlier virtual: it moves a view from vs's UTXO
// state to that virtual's and applies the inverse of the net change.
func (d *BlockDAG) replayCommitment(c *commitmentRecord, vs *virtualState) (multiset, error) {
	view := newUTXOView(d.utxo)
	view.applyInverse(vs.diff.diff)
	from, err := d.nodes.node(vs.selectedParent)
	if err != nil {
		return multiset{}, err
	}
	oldParents, err := resolveAll(d.nodes, c.parents)
	if err != nil {
		return multiset{}, err
	}
	if _, _, err := d.moveView(view, from, selectParent(oldParents)); err != nil {
		return multiset{}, err
	}
	oldDiff, err := d.loadPastDiff(pastKeyOf(c.parents))
	if err != nil {
		return multiset{}, err
	}
	if oldDiff == nil {
		return multiset{}, ruleError(ErrCorruptState, "the past diff of the committed virtual is missing")
	}
	view.applyDiff(oldDiff.diff)
	// view holds the old state as a change of the current one: undo it.
	tmp := &virtualState{multiset: c.multiset}
	d.applyCommitment(tmp, &utxoDiff{removed: view.diff.added, added: view.diff.removed})
	return tmp.multiset, nil
}

// loadCommitment reads the commitment state of the virtual vs: the stored
// one, brought up to vs if it belongs to an earlier virtual, or, for a
// store from before the current construction, recomputed from the UTXO set.
func (d *BlockDAG) loadCommitment(vs *virtualState) error {
	cb, err := d.db.Get(commitmentKey)
	if errors.Is(err, database.ErrNotFound) {
		if vs.multiset, err = d.recomputeCommitment(vs); err != nil {
			return fmt.Errorf("recompute the UTXO commitment: %w", err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("read the UTXO commitment record: %w", err)
	}
	crec, err := decodeCommitmentRecord(cb)
	if err != nil {
		return err
	}
	vs.multiset = crec.multiset
	if slices.Equal(crec.parents, vs.parents) {
		return nil
	}
	start := time.Now()
	if vs.multiset, err = d.replayCommitment(crec, vs); err != nil {
		return fmt.Errorf("bring the UTXO commitment up to date: %w", err)
	}
	d.sinceCommitment = 1
	log.Infof("Brought the UTXO commitment up to date in %v",
		time.Since(start).Round(time.Millisecond))
	return nil
}

// recomputeCommitment computes the commitment state of the virtual vs from
// the whole stored UTXO set, which is vs's, and stores it in place of a
// record of the first construction. It runs once, at the first start of a
// store written before the ChaCha8 elements; the set's count and total
// must match the virtual record's, or the store is corrupt.
func (d *BlockDAG) recomputeCommitment(vs *virtualState) (multiset, error) {
	start := time.Now()
	log.Infof("Recomputing the UTXO commitment under its current construction (once, for a store from an older soterd)")
	var ms multiset
	var count, total uint64
	err := d.forEachStoredUTXO(func(op wire.OutPoint, e *UTXOEntry) error {
		ms.addEntry(op, e)
		count++
		total += e.Amount
		return nil
	})
	if err != nil {
		return multiset{}, err
	}
	if count != vs.count || total != vs.total {
		return multiset{}, ruleError(ErrCorruptState, fmt.Sprintf(
			"the stored UTXO set has %d outputs worth %d, the virtual record says %d worth %d",
			count, total, vs.count, vs.total))
	}
	batch := d.db.NewBatch()
	batch.Put(commitmentKey, encodeCommitmentRecord(&commitmentRecord{parents: vs.parents, multiset: ms}))
	batch.Delete(legacyCommitmentKey)
	if err := d.db.Write(batch); err != nil {
		return multiset{}, err
	}
	log.Infof("Recomputed the UTXO commitment over %d outputs in %v",
		count, time.Since(start).Round(time.Millisecond))
	return ms, nil
}

// finishVirtual computes the height of a virtual state.
func (d *BlockDAG) finishVirtual(vs *virtualState) error {
	vs.height = 0
	for _, h := range vs.parents {
		p, err := d.nodes.node(h)
		if err != nil {
			return err
		}
		vs.height = max(vs.height, p.height+1)
	}
	return nil
}

// load reads the stored DAG's state: the counters and tips, the newest
// part of the selected chain and the virtual. Everything else is read on
// demand.
func (d *BlockDAG) load() error {
	vb, err := d.db.Get(virtualStateKey)
	if err != nil {
		return err
	}
	rec, err := decodeVirtualRecord(vb)
	if err != nil {
		return err
	}
	st := &rec.dag
	d.blockCount, d.maxHeight, d.finalityPos = st.blockCount, st.maxHeight, st.finalityPos
	d.tips = st.tips
	if err := d.chain.load(st.chainLen); err != nil {
		return err
	}
	genesis, err := d.chain.hashAt(0)
	if err != nil {
		return err
	}
	if genesis != d.params.GenesisHash {
		return ruleError(ErrCorruptState, "the selected chain does not start at the genesis block")
	}

	vparents, err := resolveAll(d.nodes, rec.parents)
	if err != nil {
		return err
	}
	vgd, err := d.gd.ghostdag(vparents)
	if err != nil {
		return err
	}
	vs := &virtualState{
		parents:      rec.parents,
		ghostdagData: *vgd,
		key:          pastKeyOf(rec.parents),
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
	if err := d.finishVirtual(vs); err != nil {
		return err
	}
	if err := d.loadCommitment(vs); err != nil {
		return err
	}
	last, err := d.chain.last()
	if err != nil {
		return err
	}
	if last.hash != vs.selectedParent {
		return ruleError(ErrCorruptState, "the selected chain does not end at the virtual's selected parent")
	}
	d.virtual = vs
	d.nodes.endWrite()
	return nil
}

// cacheBlockData keeps a block body for acceptance and notifications.
func (d *BlockDAG) cacheBlockData(n *blockNode, msg *wire.MsgBlock, txids []wire.Hash) *blockData {
	bd := &blockData{msg: msg, txids: txids, size: int(n.size)}
	d.blockCache.put(n.hash, bd)
	return bd
}

// blockDataOf returns a block's body and txids, from the cache or the store.
func (d *BlockDAG) blockDataOf(n *blockNode) (*blockData, error) {
	if bd, ok := d.blockCache.get(n.hash); ok {
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
		pd.accepted[i] = blockAcceptance{hash: s.blocks[i], txCount: s.txCount[i], bits: s.bits[i]}
	}
	d.diffCache.put(key, pd)
	return pd, nil
}

// orderedMergeSet returns the mergeset of a block with GHOSTDAG data gd in
// GHOSTDAG order: the selected parent, then the other blues and the reds
// merged in ascending (blue work, hash) order. Both lists are already in
// that order.
func orderedMergeSet(src nodeSource, gd *ghostdagData) ([]*blockNode, error) {
	if len(gd.blues) == 0 {
		return nil, nil
	}
	blues, err := resolveAll(src, gd.blues)
	if err != nil {
		return nil, err
	}
	reds, err := resolveAll(src, gd.reds)
	if err != nil {
		return nil, err
	}
	out := make([]*blockNode, 0, len(blues)+len(reds))
	out = append(out, blues[0])
	blues = blues[1:]
	for len(blues) > 0 && len(reds) > 0 {
		if blockLess(blues[0], reds[0]) {
			out = append(out, blues[0])
			blues = blues[1:]
		} else {
			out = append(out, reds[0])
			reds = reds[1:]
		}
	}
	out = append(out, blues...)
	return append(out, reds...), nil
}

// resolveAll resolves hashes through src.
func resolveAll(src nodeSource, hashes []wire.Hash) ([]*blockNode, error) {
	out := make([]*blockNode, len(hashes))
	for i := range hashes {
		n, err := src.node(hashes[i])
		if err != nil {
			return nil, err
		}
		out[i] = n
	}
	return out, nil
}

// computePastDiff computes the past diff of a block (or the virtual) with
// GHOSTDAG data gd on view, which must hold the UTXO state of the past of
// gd's selected parent: it accepts the mergeset's transactions in order. The
// view is left unchanged; the result's diff is relative to it.
func (d *BlockDAG) computePastDiff(view *utxoView, gd *ghostdagData, key wire.Hash) (*pastDiff, error) {
	child := newUTXOView(view)
	ms, err := orderedMergeSet(d.nodes, gd)
	if err != nil {
		return nil, err
	}
	pd := &pastDiff{key: key, accepted: make([]blockAcceptance, len(ms))}
	var entries []*UTXOEntry
	for i, m := range ms {
		bd, err := d.blockDataOf(m)
		if err != nil {
			return nil, err
		}
		txs := bd.msg.Transactions
		acc := blockAcceptance{hash: m.hash, txCount: len(txs), bits: make([]byte, (len(txs)+7)/8)}
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
