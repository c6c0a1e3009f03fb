package mining

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/soterdag/soterd/blockdag"
	"github.com/soterdag/soterd/mempool"
	"github.com/soterdag/soterd/wire"
)

// fakeChain is a stand-in DAG that is a chain: every accepted block becomes
// the only tip. It checks what the real DAG would check of a template that
// matters here: parents, proof of work, coinbase, merkle root, size.
type fakeChain struct {
	mtx       sync.Mutex
	params    *blockdag.Params
	tips      []wire.Hash
	blueScore uint64
	height    uint32
	bits      uint32
	minTime   int64
	accepted  []*wire.MsgBlock
	reject    error // submit error to return, if any
	orphan    bool  // submit reports an orphan
	utxos     map[wire.OutPoint]*blockdag.UTXOEntry
}

func newFakeChain(params *blockdag.Params) *fakeChain {
	return &fakeChain{
		params:    params,
		tips:      []wire.Hash{params.GenesisHash},
		blueScore: 1,
		height:    1,
		bits:      params.PowLimitBits,
		minTime:   params.GenesisBlock.Header.Timestamp + 1,
		utxos:     make(map[wire.OutPoint]*blockdag.UTXOEntry),
	}
}

func (c *fakeChain) state() (TemplateState, error) {
	c.mtx.Lock()
	defer c.mtx.Unlock()
	return TemplateState{
		Parents:      append([]wire.Hash(nil), c.tips...),
		BlueScore:    c.blueScore,
		Bits:         c.bits,
		MinTimestamp: c.minTime,
		Height:       c.height,
	}, nil
}

func (c *fakeChain) fetchUTXO(op wire.OutPoint) (*blockdag.UTXOEntry, bool) {
	c.mtx.Lock()
	defer c.mtx.Unlock()
	e, ok := c.utxos[op]
	return e, ok
}

// check validates a block as a template on the current tips.
func (c *fakeChain) check(b *wire.MsgBlock) error {
	c.mtx.Lock()
	defer c.mtx.Unlock()
	return c.checkLocked(b)
}

func (c *fakeChain) checkLocked(b *wire.MsgBlock) error {
	h := &b.Header
	if len(h.Parents) != len(c.tips) {
		return fmt.Errorf("%d parents, want %d", len(h.Parents), len(c.tips))
	}
	for i := range h.Parents {
		if i > 0 && !h.Parents[i-1].Less(&h.Parents[i]) {
			return errors.New("parents not sorted")
		}
	}
	if h.Bits != c.bits || h.Version != blockdag.BlockVersion || h.Timestamp < c.minTime {
		return errors.New("bad bits, version or timestamp")
	}
	if h.MerkleRoot != wire.BlockMerkleRoot(b.Transactions) {
		return errors.New("bad merkle root")
	}
	if b.SerializeSize() > c.params.MaxBlockSize {
		return errors.New("block too big")
	}
	if len(b.Transactions) == 0 || !b.Transactions[0].IsCoinBase() {
		return errors.New("no coinbase")
	}
	cb := b.Transactions[0]
	if err := blockdag.CheckTransactionSanity(cb, c.params); err != nil {
		return err
	}
	if bs, _ := blockdag.CoinbaseBlueScore(cb); bs != c.blueScore {
		return fmt.Errorf("coinbase blue score %d, want %d", bs, c.blueScore)
	}
	var paid uint64
	for _, out := range cb.TxOut {
		paid += out.Value
	}
	if paid > c.params.CalcBlockSubsidy(c.blueScore) {
		return errors.New("coinbase pays too much")
	}
	// Transactions in order against the UTXO set plus earlier outputs.
	view := make(map[wire.OutPoint]*blockdag.UTXOEntry)
	spent := make(map[wire.OutPoint]bool)
	for _, tx := range b.Transactions[1:] {
		entries := make([]*blockdag.UTXOEntry, len(tx.TxIn))
		for i, in := range tx.TxIn {
			op := in.PreviousOutPoint
			if spent[op] {
				return fmt.Errorf("double spend of %s", op)
			}
			spent[op] = true
			if e, ok := view[op]; ok {
				entries[i] = e
			} else if e, ok := c.utxos[op]; ok {
				entries[i] = e
			} else {
				return fmt.Errorf("missing input %s", op)
			}
		}
		if _, err := blockdag.CheckTransactionInputs(tx, c.blueScore, entries, c.params); err != nil {
			return err
		}
		id := tx.TxID()
		for i, out := range tx.TxOut {
			view[wire.OutPoint{TxID: id, Index: uint32(i)}] = &blockdag.UTXOEntry{
				Amount: out.Value, PubKey: out.PubKey, BlueScore: c.blueScore}
		}
	}
	return nil
}

// submit accepts a block on the current tips with valid proof of work.
func (c *fakeChain) submit(b *wire.MsgBlock) (bool, error) {
	c.mtx.Lock()
	defer c.mtx.Unlock()
	if c.reject != nil {
		return false, c.reject
	}
	if c.orphan {
		return false, nil
	}
	hash := b.BlockHash()
	if wire.HashToBig(&hash).Cmp(wire.CompactToBig(b.Header.Bits)) > 0 {
		return false, errors.New("high hash")
	}
	if err := c.checkLocked(b); err != nil {
		return false, err
	}
	c.accepted = append(c.accepted, b)
	c.tips = []wire.Hash{hash}
	c.blueScore++
	c.height++
	c.minTime = b.Header.Timestamp + 1
	return true, nil
}

func (c *fakeChain) acceptedCount() int {
	c.mtx.Lock()
	defer c.mtx.Unlock()
	return len(c.accepted)
}

// fakePool is a TxSource over a fixed list.
type fakePool struct {
	descs []*mempool.TxDesc
}

func (p *fakePool) MiningDescs() []*mempool.TxDesc { return p.descs }

// payTo is the key the test templates pay to: the generator point's x.
var payTo = [32]byte{
	0x79, 0xbe, 0x66, 0x7e, 0xf9, 0xdc, 0xbb, 0xac, 0x55, 0xa0, 0x62, 0x95, 0xce, 0x87, 0x0b, 0x07,
	0x02, 0x9b, 0xfc, 0xdb, 0x2d, 0xce, 0x28, 0xd9, 0x59, 0xf2, 0x81, 0x5b, 0x16, 0xf8, 0x17, 0x98,
}

// payloadTag returns what follows the blue score and extra nonce.
func payloadTag(cb *wire.MsgTx) []byte {
	return bytes.Clone(cb.Payload[coinbasePayloadHeadLen:])
}

// payloadBlueScore returns the blue score a coinbase payload starts with.
func payloadBlueScore(cb *wire.MsgTx) uint64 {
	return binary.LittleEndian.Uint64(cb.Payload)
}

// fixedTime returns a time source stuck at t.
func fixedTime(t time.Time) func() time.Time {
	return func() time.Time { return t }
}
