package main

import (
	"encoding/binary"
	"time"

	"github.com/soterdag/soterd/mining"
	"github.com/soterdag/soterd/wire"
)

// benchBits is the difficulty of the bench's synthetic header: a target of
// about 2^224, which a CPU meets once in some four billion hashes, so the
// bench measures hashing and nothing else.
const benchBits = 0x1d00ffff

// benchWork returns a synthetic one-parent template with a coinbase-only
// block, the shape of most templates on a quiet DAG.
func benchWork() *work {
	payload := make([]byte, 16, 24)
	binary.LittleEndian.PutUint64(payload, 1)
	payload = append(payload, "/bench/"...)
	cb := &wire.MsgTx{Version: wire.TxVersion, Payload: payload,
		TxOut: []wire.TxOut{{Value: 1, PubKey: [wire.PubKeySize]byte{2}}}}
	return &work{
		id:          "bench",
		version:     1,
		parents:     []wire.Hash{{1}},
		bits:        benchBits,
		target:      mining.TargetFromBits(benchBits),
		coinbase:    cb,
		extraOffset: mining.CoinbaseExtraNonceOffset,
		extraLen:    mining.CoinbaseExtraNonceLen,
		branch:      coinbaseBranch([]wire.Hash{{}}),
	}
}

// bench hashes the synthetic template on the miner's workers for d, through
// the very code that mines, and returns the hashes per second.
func (m *miner) bench(d time.Duration) float64 {
	p := m.startPool(m.cfg.workers)
	w := benchWork()
	start := time.Now()
	p.publish(&job{work: w, timestamp: start.UnixMilli(), start: start, done: make(chan struct{})})
	time.Sleep(d)
	hashes := m.hashes.Load()
	elapsed := time.Since(start)
	p.stop()
	return float64(hashes) / elapsed.Seconds()
}
