package mining

import (
	"container/heap"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/soterdag/soterd/blockdag"
	"github.com/soterdag/soterd/mempool"
	"github.com/soterdag/soterd/wire"
)

// DefaultMinerTag ends every coinbase payload this node mines, so blocks
// can be told apart by software in explorers.
const DefaultMinerTag = "/soterd/"

// Layout of the coinbase payloads a Generator writes: the block's blue
// score, uint64 little endian (consensus requires it), then an extra nonce
// that keeps every coinbase unique, then the miner tag. An external miner
// that rolls the extra nonce rewrites the payload bytes
// CoinbaseExtraNonceOffset..+CoinbaseExtraNonceLen.
const (
	// CoinbaseExtraNonceOffset is where the extra nonce starts: right
	// after the 8-byte blue score.
	CoinbaseExtraNonceOffset = 8

	// CoinbaseExtraNonceLen is the extra nonce's size in bytes.
	CoinbaseExtraNonceLen = 8

	// coinbasePayloadHeadLen is the blue score and extra nonce that start
	// every payload, before the tag.
	coinbasePayloadHeadLen = CoinbaseExtraNonceOffset + CoinbaseExtraNonceLen
)

// maxTxCountVarIntSize is room left for the block's transaction count: the
// largest varint, so the count can never push a template over the limit.
const maxTxCountVarIntSize = 9

// TemplateState is what the DAG says about the block to build next, as
// blockdag's TemplateInfo reports it.
type TemplateState struct {
	// Parents are the tips to build on, by blue work, up to MaxParents and
	// within the mergeset limit. Any order; the template sorts them.
	Parents []wire.Hash

	// BlueScore is the new block's blue score: the coinbase commits to it,
	// and finality and maturity are checked at it.
	BlueScore uint64

	// Bits is the difficulty the new block must carry.
	Bits uint32

	// MinTimestamp is the earliest valid timestamp in unix milliseconds:
	// the past median time plus one.
	MinTimestamp int64

	// Height is the new block's height: one above its highest parent.
	Height uint32
}

// TxSource supplies the transactions to mine: the mempool.
type TxSource interface {
	// MiningDescs returns candidate transactions, highest fee rate
	// first.
	MiningDescs() []*mempool.TxDesc
}

// Config configures a Generator. Params and TemplateState are required.
type Config struct {
	// Params are the network's consensus parameters.
	Params *blockdag.Params

	// TemplateState returns the DAG's view of the next block; the node
	// fills it from blockdag's TemplateInfo.
	TemplateState func() (TemplateState, error)

	// TxSource supplies mempool transactions; nil makes coinbase-only
	// templates.
	TxSource TxSource

	// FetchUTXO, if set, looks outputs up in the virtual's UTXO set so the
	// template re-checks each transaction's inputs at the new block's blue
	// score, instead of trusting that the mempool has caught up with the
	// latest virtual change.
	FetchUTXO func(wire.OutPoint) (*blockdag.UTXOEntry, bool)

	// CheckBlockTemplate, if set, validates a finished template in every
	// way but proof of work (blockdag's CheckBlockTemplate). A template
	// with mempool transactions that fails it is rebuilt without them.
	CheckBlockTemplate func(*wire.MsgBlock) error

	// TimeSource returns the current time; nil means time.Now.
	TimeSource func() time.Time

	// MaxBlockSize bounds the templates' serialized size; zero means
	// Params.MaxBlockSize, and more than that is an error.
	MaxBlockSize int

	// MinerTag ends the coinbase payload; empty means DefaultMinerTag.
	// It must leave the payload within Params.MaxCoinbasePayloadLen.
	MinerTag string
}

// BlockTemplate is a block ready to be mined: only its nonce (and, to keep
// it current, its timestamp) remain to be set.
type BlockTemplate struct {
	// Block is the block; Header.Nonce is zero.
	Block *wire.MsgBlock

	// Height and BlueScore are the block's, from the template state.
	Height    uint32
	BlueScore uint64

	// MinTimestamp is the earliest timestamp the block may carry, for
	// miners that refresh Header.Timestamp while they hash.
	MinTimestamp int64

	// Fees is the total fee of the block's transactions, which the block
	// burns.
	Fees uint64

	// TxFees holds the fee of each transaction of Block, in order; the
	// coinbase's is zero.
	TxFees []uint64

	// Subsidy is what the coinbase pays.
	Subsidy uint64

	// PayTo is the key the coinbase pays to.
	PayTo [wire.PubKeySize]byte
}

// Generator builds block templates. It is safe for concurrent use.
type Generator struct {
	cfg Config
	tag []byte
}

// NewGenerator returns a Generator after checking cfg.
func NewGenerator(cfg *Config) (*Generator, error) {
	if cfg == nil {
		return nil, errors.New("mining: nil config")
	}
	c := *cfg
	if c.Params == nil {
		return nil, errors.New("mining: config Params is nil")
	}
	if c.TemplateState == nil {
		return nil, errors.New("mining: config TemplateState is nil")
	}
	if c.MaxBlockSize == 0 {
		c.MaxBlockSize = c.Params.MaxBlockSize
	}
	if c.MaxBlockSize < wire.MaxBlockHeaderSize || c.MaxBlockSize > c.Params.MaxBlockSize {
		return nil, fmt.Errorf("mining: MaxBlockSize %d is not in %d..%d",
			c.MaxBlockSize, wire.MaxBlockHeaderSize, c.Params.MaxBlockSize)
	}
	if c.MinerTag == "" {
		c.MinerTag = DefaultMinerTag
	}
	if maxTag := c.Params.MaxCoinbasePayloadLen - coinbasePayloadHeadLen; len(c.MinerTag) > maxTag {
		return nil, fmt.Errorf("mining: MinerTag of %d bytes is over the %d bytes the coinbase payload leaves",
			len(c.MinerTag), maxTag)
	}
	if c.TimeSource == nil {
		c.TimeSource = time.Now
	}
	return &Generator{cfg: c, tag: []byte(c.MinerTag)}, nil
}

// Params returns the network parameters templates are built for.
func (g *Generator) Params() *blockdag.Params {
	return g.cfg.Params
}

// NewBlockTemplate builds a block on the current tips that pays the subsidy
// to payTo.
func (g *Generator) NewBlockTemplate(payTo [wire.PubKeySize]byte) (*BlockTemplate, error) {
	state, err := g.cfg.TemplateState()
	if err != nil {
		return nil, fmt.Errorf("mining: template state: %w", err)
	}
	parents, err := g.checkState(&state)
	if err != nil {
		return nil, err
	}
	subsidy := g.cfg.Params.CalcBlockSubsidy(state.BlueScore)
	coinbase := g.coinbase(state.BlueScore, subsidy, payTo)
	header := wire.BlockHeader{
		Version:   blockdag.BlockVersion,
		Parents:   parents,
		Timestamp: max(g.cfg.TimeSource().UnixMilli(), state.MinTimestamp),
		Bits:      state.Bits,
	}
	tmpl := &BlockTemplate{
		Height:       state.Height,
		BlueScore:    state.BlueScore,
		MinTimestamp: state.MinTimestamp,
		Subsidy:      subsidy,
		PayTo:        payTo,
	}

	var txs []*wire.MsgTx
	var fees []uint64
	if g.cfg.TxSource != nil {
		room := g.cfg.MaxBlockSize - header.SerializeSize() - maxTxCountVarIntSize -
			coinbase.SerializeSize()
		txs, fees, tmpl.Fees = g.selectTxs(g.cfg.TxSource.MiningDescs(), room, state.BlueScore)
	}
	tmpl.Block = assemble(header, coinbase, txs)
	tmpl.TxFees = append([]uint64{0}, fees...)
	if g.cfg.CheckBlockTemplate == nil {
		return tmpl, nil
	}
	err = g.cfg.CheckBlockTemplate(tmpl.Block)
	if err != nil && len(txs) > 0 {
		// The mempool and the DAG disagree, which is a bug somewhere;
		// mining on without the transactions beats not mining.
		log.Errorf("Template with %d mempool transactions failed validation, "+
			"mining without them: %v", len(txs), err)
		tmpl.Fees = 0
		tmpl.TxFees = []uint64{0}
		tmpl.Block = assemble(header, coinbase, nil)
		err = g.cfg.CheckBlockTemplate(tmpl.Block)
	}
	if err != nil {
		return nil, miningError(ErrTemplateInvalid, "mining: the DAG refused a coinbase-only template", err)
	}
	return tmpl, nil
}

// checkState returns the state's parents sorted as a header needs them, or
// an error if no valid block can have them or its bits.
func (g *Generator) checkState(state *TemplateState) ([]wire.Hash, error) {
	n := len(state.Parents)
	if n == 0 || n > g.cfg.Params.MaxParents {
		return nil, miningError(ErrTemplateState, fmt.Sprintf(
			"mining: template state has %d parents, want 1..%d", n, g.cfg.Params.MaxParents), nil)
	}
	parents := append([]wire.Hash(nil), state.Parents...)
	sort.Slice(parents, func(i, j int) bool { return parents[i].Less(&parents[j]) })
	for i := 1; i < n; i++ {
		if parents[i] == parents[i-1] {
			return nil, miningError(ErrTemplateState, fmt.Sprintf(
				"mining: template state names parent %s twice", parents[i]), nil)
		}
	}
	target := wire.CompactToBig(state.Bits)
	if target.Sign() <= 0 || target.Cmp(g.cfg.Params.PowLimit) > 0 {
		return nil, miningError(ErrTemplateState, fmt.Sprintf(
			"mining: template bits %08x are not a target within the proof-of-work limit", state.Bits), nil)
	}
	return parents, nil
}

// NewCoinbase returns a coinbase for a block of the given blue score that
// pays the block subsidy to payTo, with a fresh random extra nonce and the
// generator's miner tag. Put in place of a template's coinbase it changes
// the merkle root and nothing else the block's validity depends on, so
// getblocktemplate gives every caller one of its own: two miners on the
// same template then never produce blocks that share a coinbase txid.
func (g *Generator) NewCoinbase(blueScore uint64, payTo [wire.PubKeySize]byte) *wire.MsgTx {
	return g.coinbase(blueScore, g.cfg.Params.CalcBlockSubsidy(blueScore), payTo)
}

// coinbase returns the coinbase of a block of the given blue score.
func (g *Generator) coinbase(blueScore, subsidy uint64, payTo [wire.PubKeySize]byte) *wire.MsgTx {
	payload := make([]byte, coinbasePayloadHeadLen, coinbasePayloadHeadLen+len(g.tag))
	binary.LittleEndian.PutUint64(payload[0:8], blueScore)
	// The extra nonce needs to be unique, not secret: two templates on the
	// same blue score paying the same key must still differ.
	binary.LittleEndian.PutUint64(payload[8:16], rand.Uint64())
	payload = append(payload, g.tag...)
	tx := &wire.MsgTx{Version: wire.TxVersion, Payload: payload}
	// Far down the halving schedule the subsidy is zero, and a zero
	// output is invalid: the coinbase then pays nothing.
	if subsidy > 0 {
		tx.TxOut = []wire.TxOut{{Value: subsidy, PubKey: payTo}}
	}
	return tx
}

// assemble returns the block of header, coinbase and txs, with its merkle
// root.
func assemble(header wire.BlockHeader, coinbase *wire.MsgTx, txs []*wire.MsgTx) *wire.MsgBlock {
	block := &wire.MsgBlock{
		Header:       *header.Copy(),
		Transactions: make([]*wire.MsgTx, 0, 1+len(txs)),
	}
	block.Transactions = append(block.Transactions, coinbase)
	block.Transactions = append(block.Transactions, txs...)
	block.Header.MerkleRoot = wire.BlockMerkleRoot(block.Transactions)
	return block
}

// candidate is a mempool transaction waiting for a place in the template.
type candidate struct {
	desc *mempool.TxDesc
	// waiting counts its parents in the candidate set not yet placed.
	waiting int
	// children are candidates that spend its outputs.
	children []*candidate
	seq      int
}

// candidateHeap orders ready candidates by fee rate, highest first, then by
// the mempool's order.
type candidateHeap []*candidate

// Len implements heap.Interface.
func (h candidateHeap) Len() int { return len(h) }

// Less implements heap.Interface.
func (h candidateHeap) Less(i, j int) bool {
	a, b := h[i].desc, h[j].desc
	// a.Fee/a.Size > b.Fee/b.Size, in 128 bits.
	ah, al := mul64(a.Fee, uint64(b.Size))
	bh, bl := mul64(b.Fee, uint64(a.Size))
	if ah != bh || al != bl {
		return ah > bh || (ah == bh && al > bl)
	}
	return h[i].seq < h[j].seq
}

// Swap implements heap.Interface.
func (h candidateHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }

// Push implements heap.Interface.
func (h *candidateHeap) Push(x any) { *h = append(*h, x.(*candidate)) }

// Pop implements heap.Interface.
func (h *candidateHeap) Pop() any {
	old := *h
	c := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return c
}

// selectTxs picks transactions from descs (highest fee rate first) that fit
// in room bytes, placing every transaction after its in-pool parents and
// skipping one whose parents were not placed. With FetchUTXO it also checks
// each transaction's inputs against the virtual's UTXO set and the outputs
// placed before it, at the block's blue score. Signatures are not checked
// again: the mempool checked them, and what they sign is fixed by the
// outpoints.
func (g *Generator) selectTxs(descs []*mempool.TxDesc, room int, blueScore uint64) (
	txs []*wire.MsgTx, fees []uint64, total uint64) {

	if len(descs) == 0 || room <= 0 {
		return nil, nil, 0
	}
	byID := make(map[wire.Hash]*candidate, len(descs))
	all := make([]*candidate, 0, len(descs))
	for i, d := range descs {
		if d == nil || d.Tx == nil || d.Tx.IsCoinBase() {
			continue
		}
		if _, dup := byID[d.TxID]; dup {
			continue
		}
		c := &candidate{desc: d, seq: i}
		byID[d.TxID] = c
		all = append(all, c)
	}
	ready := make(candidateHeap, 0, len(all))
	for _, c := range all {
		seen := make(map[wire.Hash]struct{})
		for _, in := range c.desc.Tx.TxIn {
			parent, ok := byID[in.PreviousOutPoint.TxID]
			if !ok {
				continue
			}
			if _, dup := seen[parent.desc.TxID]; dup {
				continue
			}
			seen[parent.desc.TxID] = struct{}{}
			c.waiting++
			parent.children = append(parent.children, c)
		}
		if c.waiting == 0 {
			ready = append(ready, c)
		}
	}
	heap.Init(&ready)

	// Outputs created and spent by the transactions placed so far.
	created := make(map[wire.OutPoint]*blockdag.UTXOEntry)
	spent := make(map[wire.OutPoint]struct{})
	for ready.Len() > 0 && room >= wire.MinTxSerializeSize {
		c := heap.Pop(&ready).(*candidate)
		tx := c.desc.Tx
		if c.desc.Size > room || !g.spendable(tx, blueScore, created, spent) {
			// Its children stay waiting and are never placed.
			continue
		}
		room -= c.desc.Size
		total += c.desc.Fee
		fees = append(fees, c.desc.Fee)
		txs = append(txs, tx)
		for i := range tx.TxIn {
			spent[tx.TxIn[i].PreviousOutPoint] = struct{}{}
		}
		for i, out := range tx.TxOut {
			created[wire.OutPoint{TxID: c.desc.TxID, Index: uint32(i)}] = &blockdag.UTXOEntry{
				Amount: out.Value, PubKey: out.PubKey, BlueScore: blueScore,
			}
		}
		for _, child := range c.children {
			child.waiting--
			if child.waiting == 0 {
				heap.Push(&ready, child)
			}
		}
	}
	return txs, fees, total
}

// spendable reports whether tx may go next into a block of the given blue
// score: no input spent by an earlier transaction of the block and, when
// FetchUTXO is set, every input in the UTXO set or created earlier in the
// block, with amounts, finality and maturity right.
func (g *Generator) spendable(tx *wire.MsgTx, blueScore uint64,
	created map[wire.OutPoint]*blockdag.UTXOEntry, spent map[wire.OutPoint]struct{}) bool {

	for i := range tx.TxIn {
		if _, ok := spent[tx.TxIn[i].PreviousOutPoint]; ok {
			return false
		}
	}
	if g.cfg.FetchUTXO == nil {
		return blockdag.IsFinalized(tx, blueScore)
	}
	entries := make([]*blockdag.UTXOEntry, len(tx.TxIn))
	for i := range tx.TxIn {
		op := tx.TxIn[i].PreviousOutPoint
		if e, ok := created[op]; ok {
			entries[i] = e
			continue
		}
		e, ok := g.cfg.FetchUTXO(op)
		if !ok {
			return false
		}
		entries[i] = e
	}
	_, err := blockdag.CheckTransactionInputs(tx, blueScore, entries, g.cfg.Params)
	return err == nil
}

// UpdateTimestamp moves the template's timestamp to now, or to its minimum
// if that is later, so a block mined long after its template was built
// still carries a current time. It changes the block hash, not the
// transactions.
func (g *Generator) UpdateTimestamp(tmpl *BlockTemplate) {
	tmpl.Block.Header.Timestamp = max(g.cfg.TimeSource().UnixMilli(), tmpl.MinTimestamp)
}
