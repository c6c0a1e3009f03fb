package mempool

import (
	"errors"
	"fmt"
	"time"

	"github.com/soterdag/soterd/blockdag"
	"github.com/soterdag/soterd/wire"
)

// Policy defaults. The node's config package exposes each as an option.
const (
	// DefaultMinRelayTxFee is the default minimum fee rate, in base units
	// per 1000 bytes: 1 base unit per byte, Bitcoin's long-standing rate.
	DefaultMinRelayTxFee = 1000

	// DefaultDustLimit is the default smallest output value, in base units.
	// An output is dust when spending it costs more than a third of its
	// value at the default relay fee rate (Bitcoin's rule, which gives its
	// 546 for a 34-byte P2PKH output and a 148-byte input). Here every
	// output is 40 bytes and the input that spends it 100 bytes, so
	// spending it costs 140 base units and three times that is 420.
	DefaultDustLimit = 3 * (wire.TxOutSerializeSize + wire.TxInSerializeSize) *
		DefaultMinRelayTxFee / 1000

	// DefaultMaxPoolBytes bounds the serialized size of all pool
	// transactions: 300 MB, Bitcoin Core's default.
	DefaultMaxPoolBytes = 300_000_000

	// DefaultMaxTxSize is the largest transaction the pool relays: 100 kB,
	// a tenth of a block, so no single transaction crowds out the rest.
	DefaultMaxTxSize = 100_000

	// DefaultMaxOrphanTxs bounds the number of orphans kept.
	DefaultMaxOrphanTxs = 100

	// DefaultMaxOrphanTxBytes bounds the serialized size of all orphans, so
	// large orphans cannot cost more memory than 50 typical-sized ones.
	DefaultMaxOrphanTxBytes = 5_000_000

	// DefaultOrphanTTL is how long an orphan waits for its parents.
	DefaultOrphanTTL = 15 * time.Minute
)

// Config configures a TxPool. Params, FetchUTXO and VirtualBlueScore are
// required.
type Config struct {
	// Params are the network's consensus parameters.
	Params *blockdag.Params

	// FetchUTXO looks an output up in the virtual block's UTXO set. It must
	// be safe for concurrent use and must not call into the pool.
	FetchUTXO func(wire.OutPoint) (*blockdag.UTXOEntry, bool)

	// VirtualBlueScore returns the blue score a transaction in the next
	// block gets (the virtual's blue score): finality and coinbase
	// maturity are checked at it.
	VirtualBlueScore func() uint64

	// MinRelayTxFee is the lowest fee rate accepted, in base units per
	// 1000 bytes of serialized transaction. Zero accepts free
	// transactions; the node's default is DefaultMinRelayTxFee.
	MinRelayTxFee uint64

	// DustLimit is the smallest output value accepted, in base units. Zero
	// turns the dust rule off; the node's default is DefaultDustLimit.
	DustLimit uint64

	// MaxTxSize is the largest serialized transaction accepted. Zero means
	// DefaultMaxTxSize; it may not exceed Params.MaxBlockSize.
	MaxTxSize int

	// MaxPoolBytes bounds the serialized size of all pool transactions.
	// Zero means DefaultMaxPoolBytes.
	MaxPoolBytes int

	// MaxOrphanTxs bounds the number of orphans kept; zero keeps none.
	// The node's default is DefaultMaxOrphanTxs.
	MaxOrphanTxs int

	// MaxOrphanTxBytes bounds the serialized size of all orphans; zero
	// means DefaultMaxOrphanTxBytes.
	MaxOrphanTxBytes int

	// OrphanTTL is how long an orphan is kept; zero means
	// DefaultOrphanTTL.
	OrphanTTL time.Duration

	// OnTxAccepted, if set, is called for every transaction that enters
	// the pool through ProcessTransaction or by the promotion of an orphan,
	// in the order they entered, for relay and RPC notifications. It runs
	// after the pool's lock is released and may call the pool's read
	// methods, but not ProcessTransaction or HandleVirtualChanged.
	// Transactions taken back after a virtual change are not reported:
	// peers have seen them before.
	OnTxAccepted func(tx *wire.MsgTx, txID wire.Hash, fee uint64)

	// TimeSource returns the current time; nil means time.Now. Tests
	// inject it to expire orphans.
	TimeSource func() time.Time
}

// validate checks cfg and returns a copy with the defaults filled in.
func (cfg *Config) validate() (Config, error) {
	if cfg == nil {
		return Config{}, errors.New("mempool: nil config")
	}
	c := *cfg
	if c.Params == nil {
		return c, errors.New("mempool: config Params is nil")
	}
	if c.FetchUTXO == nil {
		return c, errors.New("mempool: config FetchUTXO is nil")
	}
	if c.VirtualBlueScore == nil {
		return c, errors.New("mempool: config VirtualBlueScore is nil")
	}
	if c.MaxTxSize == 0 {
		c.MaxTxSize = min(DefaultMaxTxSize, c.Params.MaxBlockSize)
	}
	if c.MaxTxSize < wire.MinTxSerializeSize || c.MaxTxSize > c.Params.MaxBlockSize {
		return c, fmt.Errorf("mempool: MaxTxSize %d is not in %d..%d",
			c.MaxTxSize, wire.MinTxSerializeSize, c.Params.MaxBlockSize)
	}
	if c.MaxPoolBytes == 0 {
		c.MaxPoolBytes = DefaultMaxPoolBytes
	}
	if c.MaxPoolBytes < c.MaxTxSize {
		return c, fmt.Errorf("mempool: MaxPoolBytes %d is below MaxTxSize %d",
			c.MaxPoolBytes, c.MaxTxSize)
	}
	if c.MaxOrphanTxs < 0 {
		return c, fmt.Errorf("mempool: MaxOrphanTxs %d is negative", c.MaxOrphanTxs)
	}
	if c.MaxOrphanTxBytes == 0 {
		c.MaxOrphanTxBytes = DefaultMaxOrphanTxBytes
	}
	if c.MaxOrphanTxBytes < 0 {
		return c, fmt.Errorf("mempool: MaxOrphanTxBytes %d is negative", c.MaxOrphanTxBytes)
	}
	if c.OrphanTTL == 0 {
		c.OrphanTTL = DefaultOrphanTTL
	}
	if c.OrphanTTL < 0 {
		return c, fmt.Errorf("mempool: OrphanTTL %v is negative", c.OrphanTTL)
	}
	if c.MinRelayTxFee > blockdag.MaxSupply {
		return c, fmt.Errorf("mempool: MinRelayTxFee %d is above the maximum supply %d",
			c.MinRelayTxFee, uint64(blockdag.MaxSupply))
	}
	if c.DustLimit > blockdag.MaxSupply {
		return c, fmt.Errorf("mempool: DustLimit %d is above the maximum supply %d",
			c.DustLimit, uint64(blockdag.MaxSupply))
	}
	if c.TimeSource == nil {
		c.TimeSource = time.Now
	}
	return c, nil
}
