package blockdag

import (
	"fmt"
	"time"

	"github.com/soterdag/soterd/wire"
)

// BehaviorFlags modify how ProcessBlock validates a block.
type BehaviorFlags uint32

const (
	// BFNone is the default: every check.
	BFNone BehaviorFlags = 0

	// BFNoPoWCheck skips the proof-of-work check: only for block
	// templates checked before mining.
	BFNoPoWCheck BehaviorFlags = 1 << iota
)

// Validation runs in three stages (docs/consensus.md lists every rule):
//
//  1. checkBlockSanity, context-free: header version, proof of work, time
//     not too far ahead, parents (count, order), then the merkle root and
//     duplicate txids, which prove that the transactions are the ones the
//     header commits to, then the shape of the transactions.
//  2. checkBlockContext, against the DAG: parents known, valid and not
//     ancestors of each other, the mergeset limit, the required
//     difficulty, the past median time, the coinbase's blue score and
//     value, and finality.
//  3. checkBlockTxs, against the UTXO state of the block's past: every
//     transaction acceptable in order, signatures checked in parallel.

// checkProofOfWork checks that bits are within the network's limit and,
// unless flags say otherwise, that the hash meets them.
func checkProofOfWork(header *wire.BlockHeader, hash *wire.Hash, params *Params, flags BehaviorFlags) error {
	target := wire.CompactToBig(header.Bits)
	if target.Sign() <= 0 {
		return ruleError(ErrUnexpectedDifficulty, fmt.Sprintf(
			"block target of bits %08x is not positive", header.Bits))
	}
	if target.Cmp(params.PowLimit) > 0 {
		return ruleError(ErrUnexpectedDifficulty, fmt.Sprintf(
			"block target of bits %08x is above the proof-of-work limit", header.Bits))
	}
	if flags&BFNoPoWCheck == 0 && wire.HashToBig(hash).Cmp(target) > 0 {
		return ruleError(ErrHighHash, fmt.Sprintf(
			"block hash %s is above the target of bits %08x", hash, header.Bits))
	}
	return nil
}

// checkBlockSanity applies the context-free rules and returns the
// transaction ids.
func checkBlockSanity(block *wire.MsgBlock, hash *wire.Hash, params *Params,
	flags BehaviorFlags, now time.Time) ([]wire.Hash, error) {

	header := &block.Header
	if header.Version != BlockVersion {
		return nil, ruleError(ErrBlockVersion, fmt.Sprintf(
			"block version %d is not %d", header.Version, BlockVersion))
	}
	if err := checkProofOfWork(header, hash, params, flags); err != nil {
		return nil, err
	}
	maxTime := now.Add(params.MaxTimeOffset).UnixMilli()
	if header.Timestamp > maxTime {
		return nil, ruleError(ErrTimeTooNew, fmt.Sprintf(
			"block timestamp %d is more than %v ahead of the local time %d",
			header.Timestamp, params.MaxTimeOffset, now.UnixMilli()))
	}
	if len(header.Parents) == 0 {
		return nil, ruleError(ErrNoParents, "block has no parents and is not the genesis block")
	}
	if len(header.Parents) > params.MaxParents {
		return nil, ruleError(ErrTooManyParents, fmt.Sprintf(
			"block has %d parents, more than the limit of %d",
			len(header.Parents), params.MaxParents))
	}
	for i := 1; i < len(header.Parents); i++ {
		if header.Parents[i-1].Compare(&header.Parents[i]) >= 0 {
			return nil, ruleError(ErrParentsNotSorted, fmt.Sprintf(
				"parent %d is not above parent %d in byte order", i, i-1))
		}
	}

	if len(block.Transactions) == 0 {
		return nil, ruleError(ErrNoTransactions, "block has no transactions")
	}
	if size := block.SerializeSize(); size > params.MaxBlockSize {
		return nil, ruleError(ErrBlockTooBig, fmt.Sprintf(
			"block of %d bytes exceeds the limit of %d", size, params.MaxBlockSize))
	}

	// The merkle root (over tx hashes, signatures included) and unique
	// txids prove the transactions are exactly the ones the header commits
	// to; after this point a failure is the block's own, not a relay's
	// mutation.
	txids := make([]wire.Hash, len(block.Transactions))
	hashes := make([]wire.Hash, len(block.Transactions))
	for i, tx := range block.Transactions {
		txids[i] = tx.TxID()
		hashes[i] = tx.TxHash()
	}
	if root := wire.MerkleRoot(hashes); root != header.MerkleRoot {
		return nil, ruleError(ErrBadMerkleRoot, fmt.Sprintf(
			"merkle root %s does not match the header's %s", root, header.MerkleRoot))
	}
	seen := make(map[wire.Hash]struct{}, len(txids))
	for _, id := range txids {
		if _, dup := seen[id]; dup {
			return nil, ruleError(ErrDuplicateTx, fmt.Sprintf(
				"transaction %s appears twice", id))
		}
		seen[id] = struct{}{}
	}

	if !block.Transactions[0].IsCoinBase() {
		return nil, ruleError(ErrFirstTxNotCoinbase, "first transaction is not a coinbase")
	}
	spent := make(map[wire.OutPoint]struct{})
	for i, tx := range block.Transactions {
		if i > 0 && tx.IsCoinBase() {
			return nil, ruleError(ErrMultipleCoinbases, fmt.Sprintf(
				"transaction %d is a second coinbase", i))
		}
		if err := CheckTransactionSanity(tx, params); err != nil {
			return nil, err
		}
		for j := range tx.TxIn {
			op := tx.TxIn[j].PreviousOutPoint
			if _, dup := spent[op]; dup {
				return nil, ruleError(ErrDoubleSpendInBlock, fmt.Sprintf(
					"output %s is spent twice in the block", op))
			}
			spent[op] = struct{}{}
		}
	}
	return txids, nil
}

// isMutationError reports whether a rule error may come from a relay
// altering a valid block without changing its hash rather than from the
// block itself: a body that does not match the header's merkle root, or
// one padded with a duplicate of its last transaction (which leaves a
// btcd-style merkle root unchanged, CVE-2012-2459). Such failures must not
// mark the hash as invalid: the genuine block may still arrive. The root
// commits to signatures, so a bad signature is the block's own fault.
func isMutationError(err error) bool {
	var re RuleError
	if !asRuleError(err, &re) {
		return true
	}
	switch re.Err {
	case ErrBadMerkleRoot, ErrDuplicateTx, ErrTimeTooNew,
		ErrBlockTooBig, ErrNoTransactions, ErrOrphanLimit, ErrDuplicateBlock,
		ErrKnownInvalid, ErrCorruptState, ErrBlockNotFound:
		return true
	}
	return false
}

// checkBlockContext applies the rules that need the block's place in the
// DAG. parents are the block's parent nodes; gd its GHOSTDAG data.
func checkBlockContext(src nodeSource, block *wire.MsgBlock, gd *ghostdagData,
	params *Params) error {

	header := &block.Header
	bits, err := requiredBits(src, gd, params)
	if err != nil {
		return err
	}
	if header.Bits != bits {
		return ruleError(ErrUnexpectedDifficulty, fmt.Sprintf(
			"block bits %08x, required %08x", header.Bits, bits))
	}
	pmt, err := pastMedianTime(src, gd, params)
	if err != nil {
		return err
	}
	if header.Timestamp <= pmt {
		return ruleError(ErrTimeTooOld, fmt.Sprintf(
			"block timestamp %d is not above the past median time %d",
			header.Timestamp, pmt))
	}
	coinbase := block.Transactions[0]
	bs, err := CoinbaseBlueScore(coinbase)
	if err != nil {
		return err
	}
	if bs != gd.blueScore {
		return ruleError(ErrBadCoinbasePayload, fmt.Sprintf(
			"coinbase payload blue score %d, the block's blue score is %d", bs, gd.blueScore))
	}
	var paid uint64
	for i := range coinbase.TxOut {
		paid += coinbase.TxOut[i].Value
	}
	if subsidy := params.CalcBlockSubsidy(gd.blueScore); paid > subsidy {
		return ruleError(ErrBadCoinbaseValue, fmt.Sprintf(
			"coinbase pays %d, more than the subsidy %d", paid, subsidy))
	}
	for i, tx := range block.Transactions {
		if !IsFinalized(tx, gd.blueScore) {
			return ruleError(ErrUnfinalizedTx, fmt.Sprintf(
				"transaction %d is locked until blue score %d, the block's is %d",
				i, tx.LockTime, gd.blueScore))
		}
	}
	return nil
}

// checkParentsIndependent rejects a block one of whose parents is in the
// past of another.
func checkParentsIndependent(src nodeSource, parents []*blockNode) error {
	for i, a := range parents {
		for j, b := range parents {
			if i == j {
				continue
			}
			anc, err := isAncestor(src, a, b)
			if err != nil {
				return err
			}
			if anc {
				return ruleError(ErrParentIsAncestor, fmt.Sprintf(
					"parent %s is an ancestor of parent %s", a.hash, b.hash))
			}
		}
	}
	return nil
}

// checkBlockTxs checks the block's transactions, in order, against view,
// the UTXO state of the block's past, and applies them to it: each input
// must exist unspent (an earlier transaction of the same block counts), the
// input rules must hold and the coinbase must not recreate existing outputs.
// Signatures are checked last, in parallel, unless the block is in the
// past of the assumed-valid block (assumevalid.go).
func (d *BlockDAG) checkBlockTxs(view *utxoView, block *wire.MsgBlock, hash *wire.Hash,
	txids []wire.Hash, blueScore uint64) error {

	coinbase := block.Transactions[0]
	for i := range coinbase.TxOut {
		op := wire.OutPoint{TxID: txids[0], Index: uint32(i)}
		e, err := view.fetch(op)
		if err != nil {
			return err
		}
		if e != nil {
			return ruleError(ErrOutputExists, fmt.Sprintf(
				"coinbase output %s already exists unspent", op))
		}
	}
	addTxOutputs(view, coinbase, txids[0], blueScore, true)

	txs := block.Transactions[1:]
	jobs := make([]sigJob, len(txs))
	nIn := 0
	for _, tx := range txs {
		nIn += len(tx.TxIn)
	}
	all := make([]*UTXOEntry, nIn)
	for i, tx := range txs {
		txid := txids[i+1]
		entries := all[:len(tx.TxIn):len(tx.TxIn)]
		all = all[len(tx.TxIn):]
		for j := range tx.TxIn {
			op := tx.TxIn[j].PreviousOutPoint
			e, err := view.fetch(op)
			if err != nil {
				return err
			}
			if e == nil {
				return ruleError(ErrMissingTxOut, fmt.Sprintf(
					"transaction %s input %d spends %s, which is missing or spent "+
						"in the block's past", txid, j, op))
			}
			entries[j] = e
		}
		if _, err := CheckTransactionInputs(tx, blueScore, entries, d.params); err != nil {
			var re RuleError
			if asRuleError(err, &re) {
				return RuleError{Err: re.Err, Description: fmt.Sprintf(
					"transaction %s: %s", txid, re.Description)}
			}
			return err
		}
		for j := range tx.TxIn {
			view.remove(tx.TxIn[j].PreviousOutPoint, entries[j])
		}
		addTxOutputs(view, tx, txid, blueScore, false)
		jobs[i] = sigJob{tx: tx, txid: txid, entries: entries}
	}

	if len(jobs) > 0 && d.av.sigsAssumed(hash) {
		return nil
	}
	return d.verifyBlockSignatures(jobs)
}
