package blockdag

import (
	"fmt"
	"sync"

	"github.com/soterdag/soterd/internal/schnorrbatch"
	"github.com/soterdag/soterd/wire"
)

// Signature checks (docs/consensus.md, stage 3). A block's signatures are
// verified in batches (internal/schnorrbatch: one multi-scalar
// multiplication per batch, a third to a fifth of the cost of checking each
// signature alone), one batch per chunk of the block's inputs, the chunks
// spread over the worker pool. A batch that fails is bisected down to its
// lowest invalid signature, so a block with one bad signature fails with
// the same error, naming the same input, as one checked signature by
// signature.

const (
	// minSigBatch keeps batches big enough to pay off: below about 16
	// signatures the per-signature cost of a batch is still falling
	// steeply (BenchmarkBatch in internal/schnorrbatch).
	minSigBatch = 32

	// maxSigBatch caps a batch: past about 1,024 the cost per signature
	// hardly falls, and smaller batches spread better over the workers.
	maxSigBatch = 1024

	// keyCacheSize is how many parsed public keys the DAG keeps: a key
	// paid to again skips its square root (about 180 bytes each, some
	// 3 MB).
	keyCacheSize = 16384
)

// sigJob is one transaction whose signatures a block's validation checks.
type sigJob struct {
	tx      *wire.MsgTx
	txid    wire.Hash
	entries []*UTXOEntry
}

// sigVerifier holds what batch verification reuses across blocks.
type sigVerifier struct {
	keys    *schnorrbatch.KeyCache
	batches sync.Pool
}

func newSigVerifier() *sigVerifier {
	v := &sigVerifier{keys: schnorrbatch.NewKeyCache(keyCacheSize)}
	v.batches.New = func() any { return schnorrbatch.New(maxSigBatch, v.keys) }
	return v
}

// sigInput names one input of one job.
type sigInput struct {
	job, input int
}

// verifyBlockSignatures checks the signatures of every job's inputs on the
// worker pool. With several bad signatures the error names the first in
// block order, whatever the scheduling.
func (d *BlockDAG) verifyBlockSignatures(jobs []sigJob) error {
	n := 0
	for i := range jobs {
		n += len(jobs[i].tx.TxIn)
	}
	if n == 0 {
		return nil
	}
	inputs := make([]sigInput, 0, n)
	msgs := make([][32]byte, 0, n)
	for i := range jobs {
		j := &jobs[i]
		if len(j.entries) != len(j.tx.TxIn) {
			return ruleError(ErrMissingTxOut, fmt.Sprintf(
				"transaction %s: %d spent outputs for %d inputs", j.txid, len(j.entries), len(j.tx.TxIn)))
		}
		prevOuts := make([]wire.TxOut, len(j.entries))
		for k, e := range j.entries {
			prevOuts[k] = e.TxOut()
		}
		prevOutsHash := wire.PrevOutsHash(prevOuts)
		for k := range j.tx.TxIn {
			inputs = append(inputs, sigInput{job: i, input: k})
			msgs = append(msgs, wire.SignatureHashFromParts(j.txid, uint32(k), prevOutsHash))
		}
	}

	// One batch per worker (the caller counts as one) when that keeps
	// them within [minSigBatch, maxSigBatch].
	size := (n + d.pool.workers) / (d.pool.workers + 1)
	size = min(max(size, minSigBatch), maxSigBatch)
	chunks := (n + size - 1) / size
	return d.pool.run(chunks, func(c int) error {
		lo, hi := c*size, min((c+1)*size, n)
		b := d.sigs.batches.Get().(*schnorrbatch.Batch)
		defer func() {
			b.Reset()
			d.sigs.batches.Put(b)
		}()
		for i := lo; i < hi; i++ {
			in := inputs[i]
			j := &jobs[in.job]
			b.Add(j.entries[in.input].PubKey, msgs[i], j.tx.TxIn[in.input].Signature)
		}
		if b.Verify() {
			return nil
		}
		bad, err := b.FirstInvalid()
		if bad < 0 {
			// A failed batch whose every signature verifies alone: the
			// random weights failed a valid batch, which cannot happen
			// (a valid batch always passes). Trust the single checks.
			return nil
		}
		in := inputs[lo+bad]
		return ruleError(ErrBadSignature, fmt.Sprintf("transaction %s: input %d: %v",
			jobs[in.job].txid, in.input, err))
	})
}
