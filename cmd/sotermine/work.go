package main

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"

	"github.com/soterdag/soterd/mining"
	"github.com/soterdag/soterd/rpcmodel"
	"github.com/soterdag/soterd/wire"
)

// This file turns a getblocktemplate result into headers to hash, the way
// any external miner has to (docs/mining.md walks through the same steps):
//
//  1. decode coinbasetxn and the transactions, and check that each one's
//     hash is the one the template lists;
//  2. compute the merkle branch of the coinbase, the first leaf: the
//     sibling hashes on its path to the root, which do not change when the
//     coinbase does;
//  3. for each extra nonce, write it into the coinbase payload at
//     coinbasepayload.extranonceoffset, hash the coinbase and fold the
//     branch into it to get the merkle root;
//  4. build the header: version, parents, merkle root, timestamp (unix ms,
//     within mintime..maxtime), bits; the nonce is its last 8 bytes.

// work is one block template, ready to make headers from. It is read-only
// once built and shared by the hashing goroutines.
type work struct {
	id        string
	version   int32
	parents   []wire.Hash
	bits      uint32
	target    mining.Target
	height    uint32
	blueScore uint64

	// curTime, minTime and maxTime are the template's times (unix ms).
	curTime, minTime, maxTime int64

	coinbase *wire.MsgTx
	// extraOffset is where the extra nonce lies in the coinbase payload,
	// extraLen its size in bytes (at most 8).
	extraOffset, extraLen int
	txs                   []*wire.MsgTx
	// branch is the coinbase's merkle branch.
	branch []wire.Hash
}

// newWork checks and decodes a template result. Everything the node sent
// is checked before a single hash is spent on it: a miner that hashed a
// header the node then refuses would waste its work.
func newWork(r *rpcmodel.GetBlockTemplateResult) (*work, error) {
	if n := len(r.Parents); n == 0 || n > wire.MaxParentsPerHeader {
		return nil, fmt.Errorf("template has %d parents, want 1..%d", n, wire.MaxParentsPerHeader)
	}
	if len(r.Transactions) > wire.MaxTxPerBlock {
		return nil, fmt.Errorf("template has %d transactions, more than a block holds", len(r.Transactions))
	}
	w := &work{
		id:        r.LongPollID,
		version:   r.Version,
		height:    r.Height,
		blueScore: r.BlueScore,
		curTime:   r.CurTime,
		minTime:   r.MinTime,
		maxTime:   r.MaxTime,
		parents:   make([]wire.Hash, len(r.Parents)),
	}
	for i, p := range r.Parents {
		h, err := wire.NewHashFromStr(p)
		if err != nil {
			return nil, fmt.Errorf("template parent %d: %w", i, err)
		}
		w.parents[i] = *h
	}
	bits, err := strconv.ParseUint(r.Bits, 16, 32)
	if err != nil || len(r.Bits) != 8 {
		return nil, fmt.Errorf("template bits %q are not 8 hex digits", r.Bits)
	}
	w.bits = uint32(bits)
	w.target = mining.TargetFromBits(w.bits)
	if w.minTime > w.maxTime {
		return nil, fmt.Errorf("template mintime %d is after maxtime %d", w.minTime, w.maxTime)
	}

	if r.CoinbaseTxn == nil {
		return nil, errors.New("template has no coinbasetxn")
	}
	w.coinbase, err = decodeTemplateTx(r.CoinbaseTxn)
	if err != nil {
		return nil, fmt.Errorf("template coinbase: %w", err)
	}
	if !w.coinbase.IsCoinBase() {
		return nil, errors.New("template coinbase has inputs")
	}
	rules := r.CoinbasePayload
	w.extraOffset, w.extraLen = rules.ExtraNonceOffset, rules.ExtraNonceLength
	if w.extraLen < 1 || w.extraLen > 8 || w.extraOffset < 8 ||
		w.extraOffset+w.extraLen > len(w.coinbase.Payload) {
		return nil, fmt.Errorf("template coinbase payload of %d bytes has no extra nonce at %d..%d",
			len(w.coinbase.Payload), w.extraOffset, w.extraOffset+w.extraLen)
	}
	if prefix := hex.EncodeToString(w.coinbase.Payload[:8]); prefix != rules.Prefix {
		return nil, fmt.Errorf("template coinbase payload starts with %s, the rules say %s", prefix, rules.Prefix)
	}

	hashes := make([]wire.Hash, 1, len(r.Transactions)+1)
	w.txs = make([]*wire.MsgTx, len(r.Transactions))
	for i := range r.Transactions {
		tx, err := decodeTemplateTx(&r.Transactions[i])
		if err != nil {
			return nil, fmt.Errorf("template transaction %d: %w", i+1, err)
		}
		w.txs[i] = tx
		hashes = append(hashes, tx.TxHash())
	}
	w.branch = coinbaseBranch(hashes)
	return w, nil
}

// decodeTemplateTx decodes one transaction of a template and checks its
// txid and hash against the template's.
func decodeTemplateTx(rt *rpcmodel.GetBlockTemplateResultTx) (*wire.MsgTx, error) {
	b, err := hex.DecodeString(rt.Data)
	if err != nil {
		return nil, fmt.Errorf("data is not hex: %w", err)
	}
	var tx wire.MsgTx
	if err := tx.Deserialize(b); err != nil {
		return nil, err
	}
	if txID := tx.TxID().String(); txID != rt.TxID {
		return nil, fmt.Errorf("data has txid %s, the template says %s", txID, rt.TxID)
	}
	if hash := tx.TxHash().String(); hash != rt.Hash {
		return nil, fmt.Errorf("data has hash %s, the template says %s", hash, rt.Hash)
	}
	return &tx, nil
}

// hashPair is one step of the merkle tree: the double SHA-256 of two
// hashes side by side.
func hashPair(a, b *wire.Hash) wire.Hash {
	var buf [2 * wire.HashSize]byte
	copy(buf[:wire.HashSize], a[:])
	copy(buf[wire.HashSize:], b[:])
	return wire.DoubleHashH(buf[:])
}

// coinbaseBranch returns the merkle branch of the first leaf of hashes
// (whose own value is ignored): at each level of the tree, the hash it is
// paired with. The tree is package wire's: a level of odd length pairs its
// last hash with itself.
func coinbaseBranch(hashes []wire.Hash) []wire.Hash {
	var branch []wire.Hash
	level := hashes
	for len(level) > 1 {
		branch = append(branch, level[1])
		// The first hash of the next level depends on the coinbase;
		// only the others are computed.
		next := make([]wire.Hash, 1, (len(level)+1)/2)
		for i := 2; i < len(level); i += 2 {
			j := i + 1
			if j == len(level) {
				j = i
			}
			next = append(next, hashPair(&level[i], &level[j]))
		}
		level = next
	}
	return branch
}

// merkleRoot returns the root of a tree whose first leaf is leaf and whose
// first leaf's branch is branch.
func merkleRoot(leaf wire.Hash, branch []wire.Hash) wire.Hash {
	for i := range branch {
		leaf = hashPair(&leaf, &branch[i])
	}
	return leaf
}

// coinbaseWith returns a copy of the template's coinbase carrying
// extraNonce (little endian, cut to the extra nonce's size).
func (w *work) coinbaseWith(extraNonce uint64) *wire.MsgTx {
	cb := w.coinbase.Copy()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], extraNonce)
	copy(cb.Payload[w.extraOffset:w.extraOffset+w.extraLen], b[:w.extraLen])
	return cb
}

// header returns the header to hash for an extra nonce and a timestamp
// (unix ms), nonce zero.
func (w *work) header(extraNonce uint64, timestamp int64) wire.BlockHeader {
	return wire.BlockHeader{
		Version:    w.version,
		Parents:    w.parents,
		MerkleRoot: merkleRoot(w.coinbaseWith(extraNonce).TxHash(), w.branch),
		Timestamp:  timestamp,
		Bits:       w.bits,
	}
}

// block returns the whole block for a solution, ready for submitblock.
func (w *work) block(extraNonce uint64, timestamp int64, nonce uint64) *wire.MsgBlock {
	header := w.header(extraNonce, timestamp)
	header.Parents = append([]wire.Hash(nil), w.parents...)
	header.Nonce = nonce
	txs := make([]*wire.MsgTx, 0, 1+len(w.txs))
	txs = append(txs, w.coinbaseWith(extraNonce))
	txs = append(txs, w.txs...)
	return &wire.MsgBlock{Header: header, Transactions: txs}
}

// timestamp returns the header timestamp sinceFetch after the template was
// fetched: its curtime moved on by as much, within mintime..maxtime.
func (w *work) timestamp(sinceFetchMillis int64) int64 {
	return min(max(w.curTime+sinceFetchMillis, w.minTime), w.maxTime)
}
