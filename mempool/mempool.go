package mempool

import (
	"container/heap"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/soterdag/soterd/blockdag"
	"github.com/soterdag/soterd/wire"
)

// TxDesc describes a pool transaction. The pool hands out copies; Tx itself
// is shared and must not be modified.
type TxDesc struct {
	// Tx is the transaction and TxID its id.
	Tx   *wire.MsgTx
	TxID wire.Hash

	// Added is when the transaction entered the pool.
	Added time.Time

	// BlueScore is the virtual's blue score when the transaction entered
	// the pool, the counterpart of btcd's height.
	BlueScore uint64

	// Size is the serialized size in bytes, signatures included.
	Size int

	// Fee is the inputs' value minus the outputs' value, in base units.
	// Fees are burned (DESIGN.md), but they still rank transactions.
	Fee uint64

	// FeePerKB is Fee per 1000 bytes of Size, rounded down.
	FeePerKB uint64
}

// poolTx is a transaction in the pool with its bookkeeping.
type poolTx struct {
	TxDesc

	// heapIdx is the position in the eviction heap, -1 when out of it.
	heapIdx int

	// seq orders transactions by arrival; it breaks fee rate ties.
	seq uint64

	// minBlueScore is the lowest virtual blue score at which the
	// transaction is still final and spends only mature coinbase outputs.
	minBlueScore uint64
}

// TxPool is the pool of unconfirmed transactions. It is safe for concurrent
// use.
type TxPool struct {
	cfg Config

	mtx sync.RWMutex

	// pool holds every transaction by id, and spends every output a pool
	// transaction spends, with its spender: together they give each
	// transaction's parents (its inputs' ids in pool) and children (the
	// spenders of its outputs) without storing either.
	pool   map[wire.Hash]*poolTx
	spends map[wire.OutPoint]*poolTx

	// evict orders the pool by fee rate for eviction when it is full.
	evict evictHeap

	// bytes is the serialized size of all pool transactions.
	bytes int

	// seq counts arrivals, in the pool and the orphan pool.
	seq uint64

	orphans orphanPool

	// lastBlueScore is the virtual blue score at the last virtual change.
	lastBlueScore uint64

	lastUpdated time.Time

	// notifyMtx keeps OnTxAccepted calls in acceptance order: it is taken
	// before mtx is released and held while the callbacks run.
	notifyMtx sync.Mutex
}

// New returns an empty pool. It checks the configuration and fills in the
// defaults Config names.
func New(cfg *Config) (*TxPool, error) {
	c, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	p := &TxPool{
		cfg:    c,
		pool:   make(map[wire.Hash]*poolTx),
		spends: make(map[wire.OutPoint]*poolTx),
		orphans: orphanPool{
			byHash:   make(map[wire.Hash]*orphanTx),
			byID:     make(map[wire.Hash][]*orphanTx),
			byParent: make(map[wire.Hash]map[wire.Hash]*orphanTx),
		},
		lastBlueScore: c.VirtualBlueScore(),
		lastUpdated:   c.TimeSource(),
	}
	return p, nil
}

// txCheck is what checkTx found out about a transaction.
type txCheck struct {
	// entries[i] is the output input i spends; nil where missing.
	entries []*blockdag.UTXOEntry

	// missing lists the ids of the unknown parents, without repeats, in
	// input order. When it is not empty the other fields are unset.
	missing []wire.Hash

	fee          uint64
	blueScore    uint64
	minBlueScore uint64
}

// checkTx applies every rule but the signature check to tx. The caller
// holds mtx, for reading or writing.
func (p *TxPool) checkTx(tx *wire.MsgTx, txID wire.Hash, size int) (*txCheck, error) {
	if _, ok := p.pool[txID]; ok {
		return nil, ruleError(ErrDuplicate, fmt.Sprintf(
			"transaction %s is already in the pool", txID))
	}
	if p.orphans.hasCopy(tx, txID) {
		// Only the same copy: one with other signatures waits beside
		// it, as neither can be verified yet.
		return nil, ruleError(ErrDuplicate, fmt.Sprintf(
			"transaction %s is already in the orphan pool", txID))
	}
	if tx.IsCoinBase() {
		return nil, ruleError(ErrCoinbase, fmt.Sprintf(
			"transaction %s is a coinbase, which is only valid in its block", txID))
	}
	if err := blockdag.CheckTransactionSanity(tx, p.cfg.Params); err != nil {
		return nil, dagRuleError(txID, err)
	}
	if size > p.cfg.MaxTxSize {
		return nil, ruleError(ErrTxTooLarge, fmt.Sprintf(
			"transaction %s of %d bytes is over the pool's limit of %d",
			txID, size, p.cfg.MaxTxSize))
	}
	for i := range tx.TxOut {
		if v := tx.TxOut[i].Value; v < p.cfg.DustLimit {
			return nil, ruleError(ErrDust, fmt.Sprintf(
				"transaction %s output %d pays %d, below the dust limit of %d",
				txID, i, v, p.cfg.DustLimit))
		}
	}
	for i := range tx.TxIn {
		op := tx.TxIn[i].PreviousOutPoint
		if spender, ok := p.spends[op]; ok {
			return nil, ruleError(ErrDoubleSpend, fmt.Sprintf(
				"transaction %s input %d spends %s, which pool transaction %s already spends",
				txID, i, op, spender.TxID))
		}
	}

	chk := &txCheck{
		entries:   make([]*blockdag.UTXOEntry, len(tx.TxIn)),
		blueScore: p.cfg.VirtualBlueScore(),
	}
	for i := range tx.TxIn {
		op := tx.TxIn[i].PreviousOutPoint
		if parent, ok := p.pool[op.TxID]; ok {
			if int(op.Index) >= len(parent.Tx.TxOut) {
				return nil, dagRuleError(txID, blockdag.RuleError{
					Err: blockdag.ErrMissingTxOut,
					Description: fmt.Sprintf("input %d spends %s, but pool transaction %s has %d outputs",
						i, op, op.TxID, len(parent.Tx.TxOut)),
				})
			}
			out := &parent.Tx.TxOut[op.Index]
			chk.entries[i] = &blockdag.UTXOEntry{
				Amount:    out.Value,
				PubKey:    out.PubKey,
				BlueScore: chk.blueScore,
			}
			continue
		}
		if entry, ok := p.cfg.FetchUTXO(op); ok {
			chk.entries[i] = entry
			continue
		}
		if !containsHash(chk.missing, op.TxID) {
			chk.missing = append(chk.missing, op.TxID)
		}
	}
	if len(chk.missing) > 0 {
		// Unknown inputs usually mean unknown parents, but may mean the
		// transaction itself is already in the DAG and spent them: if any
		// of its outputs is unspent there, it is.
		for i := range tx.TxOut {
			if _, ok := p.cfg.FetchUTXO(wire.OutPoint{TxID: txID, Index: uint32(i)}); ok {
				return nil, ruleError(ErrDuplicate, fmt.Sprintf(
					"transaction %s is already in the DAG", txID))
			}
		}
		return &txCheck{missing: chk.missing}, nil
	}

	fee, err := blockdag.CheckTransactionInputs(tx, chk.blueScore, chk.entries, p.cfg.Params)
	if err != nil {
		return nil, dagRuleError(txID, err)
	}
	if !meetsFeeRate(fee, size, p.cfg.MinRelayTxFee) {
		return nil, ruleError(ErrInsufficientFee, fmt.Sprintf(
			"transaction %s pays a fee of %d for %d bytes (%d per kB), below the minimum of %d per kB",
			txID, fee, size, feePerKB(fee, size), p.cfg.MinRelayTxFee))
	}
	chk.fee = fee
	chk.minBlueScore = tx.LockTime
	for _, e := range chk.entries {
		if e.IsCoinbase {
			chk.minBlueScore = max(chk.minBlueScore, e.BlueScore+p.cfg.Params.CoinbaseMaturity)
		}
	}
	return chk, nil
}

// containsHash reports whether list holds h.
func containsHash(list []wire.Hash, h wire.Hash) bool {
	for i := range list {
		if list[i] == h {
			return true
		}
	}
	return false
}

// ProcessTransaction validates tx and adds it to the pool, then promotes
// the orphans it completes. accepted holds the transaction and the promoted
// orphans, parents before children, for relay; they were also reported to
// OnTxAccepted. When some inputs are unknown the transaction is an orphan:
// missingParents lists the unknown parents to ask peers for, and the
// transaction is kept in the orphan pool if allowOrphan is set (err is nil)
// or refused with ErrMissingInputs if not. A refusal is a RuleError. tx must
// not be modified after the call.
func (p *TxPool) ProcessTransaction(tx *wire.MsgTx, allowOrphan bool) (accepted []*TxDesc, missingParents []wire.Hash, err error) {
	if tx == nil {
		return nil, nil, errors.New("mempool: nil transaction")
	}
	txID := tx.TxID()
	size := tx.SerializeSize()

	// The cheap rules run first under the read lock, so that invalid
	// transactions and orphans cost no signature check and block nobody.
	p.mtx.RLock()
	chk, err := p.checkTx(tx, txID, size)
	p.mtx.RUnlock()
	if err != nil {
		return nil, nil, err
	}

	// Signatures are checked without the lock: what they sign, the spent
	// outputs' values and keys, is fixed by the outpoints (a txid commits
	// to its outputs), so the result stays true whatever the pool or the
	// UTXO set do meanwhile.
	sigsChecked := false
	if len(chk.missing) == 0 {
		if err := blockdag.VerifySignatures(tx, txID, chk.entries); err != nil {
			return nil, nil, dagRuleError(txID, err)
		}
		sigsChecked = true
	}

	p.mtx.Lock()
	// The pool or the virtual may have changed since the first check.
	chk, err = p.checkTx(tx, txID, size)
	if err != nil {
		p.mtx.Unlock()
		return nil, nil, err
	}
	now := p.cfg.TimeSource()
	if len(chk.missing) > 0 {
		if !allowOrphan {
			p.mtx.Unlock()
			return nil, chk.missing, ruleError(ErrMissingInputs, fmt.Sprintf(
				"transaction %s spends outputs of %d unknown or spent transactions, first %s",
				txID, len(chk.missing), chk.missing[0]))
		}
		err = p.addOrphan(tx, txID, size, now)
		p.mtx.Unlock()
		return nil, chk.missing, err
	}
	if !sigsChecked {
		// The parents arrived between the two checks.
		if err := blockdag.VerifySignatures(tx, txID, chk.entries); err != nil {
			p.mtx.Unlock()
			return nil, nil, dagRuleError(txID, err)
		}
	}
	ptx, err := p.addTx(tx, txID, size, chk, now)
	if err != nil {
		p.mtx.Unlock()
		return nil, nil, err
	}
	added := append([]*poolTx{ptx}, p.promoteOrphans([]wire.Hash{txID}, now)...)
	accepted = p.unlockAndNotify(added)
	return accepted, nil, nil
}

// unlockAndNotify releases mtx, which the caller holds for writing, reports
// added to OnTxAccepted in order, and returns copies of their descriptors.
func (p *TxPool) unlockAndNotify(added []*poolTx) []*TxDesc {
	descs := make([]*TxDesc, len(added))
	for i, ptx := range added {
		d := ptx.TxDesc
		descs[i] = &d
	}
	if p.cfg.OnTxAccepted == nil || len(descs) == 0 {
		p.mtx.Unlock()
		return descs
	}
	p.notifyMtx.Lock()
	p.mtx.Unlock()
	defer p.notifyMtx.Unlock()
	for _, d := range descs {
		p.cfg.OnTxAccepted(d.Tx, d.TxID, d.Fee)
	}
	return descs
}

// addTx puts a checked transaction into the pool, evicting cheaper ones if
// the pool is full. The caller holds mtx for writing.
func (p *TxPool) addTx(tx *wire.MsgTx, txID wire.Hash, size int, chk *txCheck, now time.Time) (*poolTx, error) {
	if p.bytes+size > p.cfg.MaxPoolBytes {
		if err := p.makeRoom(tx, txID, size, chk.fee); err != nil {
			return nil, err
		}
	}
	p.seq++
	ptx := &poolTx{
		TxDesc: TxDesc{
			Tx:        tx,
			TxID:      txID,
			Added:     now,
			BlueScore: chk.blueScore,
			Size:      size,
			Fee:       chk.fee,
			FeePerKB:  feePerKB(chk.fee, size),
		},
		heapIdx:      -1,
		seq:          p.seq,
		minBlueScore: chk.minBlueScore,
	}
	p.pool[txID] = ptx
	for i := range tx.TxIn {
		p.spends[tx.TxIn[i].PreviousOutPoint] = ptx
	}
	heap.Push(&p.evict, ptx)
	p.bytes += size
	// Orphans that spend what this transaction spends can never enter.
	p.removeOrphanDoubleSpends(tx)
	p.lastUpdated = now
	log.Tracef("Accepted transaction %s (%d bytes, fee %d, pool now %d txs)",
		txID, size, chk.fee, len(p.pool))
	return ptx, nil
}

// makeRoom evicts the lowest fee rate transactions, each with its
// descendants (which cannot stay without it), until a transaction of size
// bytes paying fee fits. Only transactions of a lower fee rate than the new
// one are evicted, and never its own ancestors. If that cannot free enough,
// nothing is evicted and the error is ErrPoolFull. The caller holds mtx for
// writing.
func (p *TxPool) makeRoom(tx *wire.MsgTx, txID wire.Hash, size int, fee uint64) error {
	need := p.bytes + size - p.cfg.MaxPoolBytes
	ancestors := p.ancestors(tx)
	plan := make(map[wire.Hash]*poolTx)
	var popped []*poolTx
	freed := 0
	for freed < need && p.evict.Len() > 0 {
		c := p.evict[0]
		if !feeRateLess(c.Fee, c.Size, fee, size) {
			break
		}
		heap.Pop(&p.evict)
		popped = append(popped, c)
		if _, skip := ancestors[c.TxID]; skip {
			continue
		}
		if _, done := plan[c.TxID]; done {
			continue
		}
		for _, d := range p.withDescendants(c) {
			if _, done := plan[d.TxID]; !done {
				plan[d.TxID] = d
				freed += d.Size
			}
		}
	}
	if freed < need {
		for _, c := range popped {
			heap.Push(&p.evict, c)
		}
		return ruleError(ErrPoolFull, fmt.Sprintf(
			"transaction %s (%d per kB) does not fit: the pool holds %d of %d bytes "+
				"and nothing of a lower fee rate to evict",
			txID, feePerKB(fee, size), p.bytes, p.cfg.MaxPoolBytes))
	}
	for _, c := range popped {
		if _, evicted := plan[c.TxID]; !evicted {
			heap.Push(&p.evict, c)
		}
	}
	for _, d := range plan {
		p.removeOne(d)
	}
	log.Debugf("Evicted %d transactions (%d bytes) to make room for %s",
		len(plan), freed, txID)
	return nil
}

// ancestors returns the pool transactions tx depends on, directly or
// through other pool transactions. The caller holds mtx.
func (p *TxPool) ancestors(tx *wire.MsgTx) map[wire.Hash]struct{} {
	seen := make(map[wire.Hash]struct{})
	stack := []*wire.MsgTx{tx}
	for len(stack) > 0 {
		t := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for i := range t.TxIn {
			parent, ok := p.pool[t.TxIn[i].PreviousOutPoint.TxID]
			if !ok {
				continue
			}
			if _, done := seen[parent.TxID]; done {
				continue
			}
			seen[parent.TxID] = struct{}{}
			stack = append(stack, parent.Tx)
		}
	}
	return seen
}

// withDescendants returns ptx and every pool transaction that spends its
// outputs, directly or through others, parents before children. The caller
// holds mtx.
func (p *TxPool) withDescendants(ptx *poolTx) []*poolTx {
	list := []*poolTx{ptx}
	seen := map[wire.Hash]struct{}{ptx.TxID: {}}
	for i := 0; i < len(list); i++ {
		t := list[i]
		for j := range t.Tx.TxOut {
			child, ok := p.spends[wire.OutPoint{TxID: t.TxID, Index: uint32(j)}]
			if !ok {
				continue
			}
			if _, done := seen[child.TxID]; done {
				continue
			}
			seen[child.TxID] = struct{}{}
			list = append(list, child)
		}
	}
	return list
}

// removeOne takes ptx alone out of the pool. The caller holds mtx for
// writing and deals with ptx's children.
func (p *TxPool) removeOne(ptx *poolTx) {
	if p.pool[ptx.TxID] != ptx {
		return
	}
	delete(p.pool, ptx.TxID)
	for i := range ptx.Tx.TxIn {
		op := ptx.Tx.TxIn[i].PreviousOutPoint
		if p.spends[op] == ptx {
			delete(p.spends, op)
		}
	}
	p.evict.remove(ptx)
	p.bytes -= ptx.Size
	p.lastUpdated = p.cfg.TimeSource()
}

// removeWithDescendants takes ptx and its descendants out of the pool and
// returns their ids. The caller holds mtx for writing.
func (p *TxPool) removeWithDescendants(ptx *poolTx) []wire.Hash {
	list := p.withDescendants(ptx)
	ids := make([]wire.Hash, len(list))
	for i, d := range list {
		p.removeOne(d)
		ids[i] = d.TxID
	}
	return ids
}

// RemoveTransaction takes the transaction with the given id out of the pool
// or the orphan pool and returns the ids of what it removed. With
// removeDescendants the pool transactions that spend its outputs go too;
// leave it unset only for a transaction whose outputs now exist elsewhere
// (in the UTXO set), or its children would spend outputs that do not exist.
func (p *TxPool) RemoveTransaction(txID *wire.Hash, removeDescendants bool) []wire.Hash {
	p.mtx.Lock()
	defer p.mtx.Unlock()
	if len(p.orphans.byID[*txID]) > 0 {
		p.removeOrphanCopies(*txID)
		return []wire.Hash{*txID}
	}
	ptx, ok := p.pool[*txID]
	if !ok {
		return nil
	}
	if removeDescendants {
		return p.removeWithDescendants(ptx)
	}
	p.removeOne(ptx)
	return []wire.Hash{*txID}
}

// HaveTransaction reports whether the transaction is in the pool or the
// orphan pool.
func (p *TxPool) HaveTransaction(txID *wire.Hash) bool {
	p.mtx.RLock()
	defer p.mtx.RUnlock()
	if _, ok := p.pool[*txID]; ok {
		return true
	}
	return len(p.orphans.byID[*txID]) > 0
}

// IsTransactionInPool reports whether the transaction is in the pool proper
// (not an orphan).
func (p *TxPool) IsTransactionInPool(txID *wire.Hash) bool {
	p.mtx.RLock()
	defer p.mtx.RUnlock()
	_, ok := p.pool[*txID]
	return ok
}

// IsOrphanInPool reports whether the transaction waits in the orphan pool.
func (p *TxPool) IsOrphanInPool(txID *wire.Hash) bool {
	p.mtx.RLock()
	defer p.mtx.RUnlock()
	return len(p.orphans.byID[*txID]) > 0
}

// FetchTransaction returns the pool transaction with the given id (orphans
// excluded, as they are not valid yet). The transaction is shared: do not
// modify it.
func (p *TxPool) FetchTransaction(txID *wire.Hash) (*wire.MsgTx, bool) {
	p.mtx.RLock()
	defer p.mtx.RUnlock()
	ptx, ok := p.pool[*txID]
	if !ok {
		return nil, false
	}
	return ptx.Tx, true
}

// FetchTxDesc returns a copy of the descriptor of a pool transaction.
func (p *TxPool) FetchTxDesc(txID *wire.Hash) (*TxDesc, bool) {
	p.mtx.RLock()
	defer p.mtx.RUnlock()
	ptx, ok := p.pool[*txID]
	if !ok {
		return nil, false
	}
	d := ptx.TxDesc
	return &d, true
}

// SpentBy returns the id of the pool transaction that spends op, if any,
// for gettxout and wallets that must not reuse an output.
func (p *TxPool) SpentBy(op wire.OutPoint) (wire.Hash, bool) {
	p.mtx.RLock()
	defer p.mtx.RUnlock()
	ptx, ok := p.spends[op]
	if !ok {
		return wire.Hash{}, false
	}
	return ptx.TxID, true
}

// TxDescs returns copies of the descriptors of every pool transaction, in
// no particular order.
func (p *TxPool) TxDescs() []*TxDesc {
	p.mtx.RLock()
	defer p.mtx.RUnlock()
	descs := make([]*TxDesc, 0, len(p.pool))
	for _, ptx := range p.pool {
		d := ptx.TxDesc
		descs = append(descs, &d)
	}
	return descs
}

// MiningDescs returns copies of the descriptors of every pool transaction,
// highest fee rate first (ties: earliest arrival first). A child may come
// before its parent; package mining orders each block's transactions.
func (p *TxPool) MiningDescs() []*TxDesc {
	p.mtx.RLock()
	list := make([]*poolTx, 0, len(p.pool))
	for _, ptx := range p.pool {
		list = append(list, ptx)
	}
	p.mtx.RUnlock()
	sort.Slice(list, func(i, j int) bool {
		a, b := list[i], list[j]
		if feeRateLess(b.Fee, b.Size, a.Fee, a.Size) {
			return true
		}
		if feeRateLess(a.Fee, a.Size, b.Fee, b.Size) {
			return false
		}
		return a.seq < b.seq
	})
	descs := make([]*TxDesc, len(list))
	for i, ptx := range list {
		d := ptx.TxDesc
		descs[i] = &d
	}
	return descs
}

// TxIDs returns the ids of every pool transaction, in no particular order.
func (p *TxPool) TxIDs() []wire.Hash {
	p.mtx.RLock()
	defer p.mtx.RUnlock()
	ids := make([]wire.Hash, 0, len(p.pool))
	for id := range p.pool {
		ids = append(ids, id)
	}
	return ids
}

// Count returns the number of pool transactions (orphans excluded).
func (p *TxPool) Count() int {
	p.mtx.RLock()
	defer p.mtx.RUnlock()
	return len(p.pool)
}

// Bytes returns the serialized size of all pool transactions (orphans
// excluded), the figure MaxPoolBytes bounds.
func (p *TxPool) Bytes() int {
	p.mtx.RLock()
	defer p.mtx.RUnlock()
	return p.bytes
}

// OrphanCount returns the number of orphans waiting for their parents.
func (p *TxPool) OrphanCount() int {
	p.mtx.RLock()
	defer p.mtx.RUnlock()
	return len(p.orphans.byHash)
}

// LastUpdated returns when a transaction last entered or left the pool, so
// a miner can tell whether its template is stale.
func (p *TxPool) LastUpdated() time.Time {
	p.mtx.RLock()
	defer p.mtx.RUnlock()
	return p.lastUpdated
}
