package blockdag

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/big"
	"os"
	"runtime"
	"sort"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/soterdag/soterd/database"
	"github.com/soterdag/soterd/wire"
)

// genLevelBlocks makes coinbase-only blocks in levels of width blocks, each
// naming every block of the level below (the first level names genesis),
// without a DAG: on regtest with K >= width every block is blue, so a block
// of level h >= 1 has blue score 1 + width*(h-1).
func genLevelBlocks(params *Params, width, levels int) []*wire.MsgBlock {
	var out []*wire.MsgBlock
	below := []wire.Hash{params.GenesisHash}
	for h := 1; h <= levels; h++ {
		bs := uint64(1 + width*(h-1))
		parents := append([]wire.Hash(nil), below...)
		sort.Slice(parents, func(i, j int) bool { return parents[i].Less(&parents[j]) })
		below = below[:0]
		for w := 0; w < width; w++ {
			payload := binary.LittleEndian.AppendUint64(nil, bs)
			payload = binary.LittleEndian.AppendUint32(payload, uint32(w))
			cb := &wire.MsgTx{Version: wire.TxVersion, Payload: payload}
			if v := params.CalcBlockSubsidy(bs); v > 0 {
				cb.TxOut = []wire.TxOut{{Value: v, PubKey: testPubKey}}
			}
			b := &wire.MsgBlock{
				Header: wire.BlockHeader{
					Version:   BlockVersion,
					Parents:   parents,
					Timestamp: params.GenesisBlock.Header.Timestamp + int64(h)*1000,
					Bits:      params.PowLimitBits,
				},
				Transactions: []*wire.MsgTx{cb},
			}
			b.Header.MerkleRoot = wire.BlockMerkleRoot(b.Transactions)
			solve(b)
			out = append(out, b)
			below = append(below, b.BlockHash())
		}
	}
	return out
}

// openBenchDAG opens a DAG on a fresh NoSync store.
func openBenchDAG(b *testing.B, params *Params) (*BlockDAG, func()) {
	b.Helper()
	db, err := database.Open(b.TempDir(), &database.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	far := time.Unix(1<<40, 0)
	dag, err := New(&Config{DB: db, Params: params, TimeSource: func() time.Time { return far }})
	if err != nil {
		b.Fatal(err)
	}
	return dag, func() { dag.Close(); db.Close() }
}

// benchProcessLevels measures ProcessBlock, store included, on coinbase-only
// blocks in levels of the given width.
func benchProcessLevels(b *testing.B, width int) {
	params := RegressionNetParams()
	blocks := genLevelBlocks(params, width, (b.N+width-1)/width)
	dag, done := openBenchDAG(b, params)
	defer done()
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	for i := 0; i < b.N; i++ {
		if _, err := dag.ProcessBlock(blocks[i], BFNone); err != nil {
			b.Fatalf("block %d: %v", i, err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "blocks/s")
	b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/float64(b.N), "cpu-µs/block")
}

// cpuTime returns the CPU time the process has used, on all threads. The
// machine the benchmarks run on is shared, so CPU time per block says more
// about the code than wall time when it is busy.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkProcessBlockChain: coinbase-only blocks on a chain.
func BenchmarkProcessBlockChain(b *testing.B) { benchProcessLevels(b, 1) }

// BenchmarkProcessBlockWidth4: coinbase-only blocks on a DAG of width 4.
func BenchmarkProcessBlockWidth4(b *testing.B) { benchProcessLevels(b, 4) }

// benchGHOSTDAG measures GHOSTDAG plus the reachability insertion per block
// on a width-4 DAG that already holds size blocks, with the block index in
// a LevelDB store behind the node cache as the node keeps it: every 64
// blocks the new and changed records are written and the cache may start a
// new generation.
func benchGHOSTDAG(b *testing.B, size int) {
	db, err := database.Open(b.TempDir(), &database.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ns := newNodeStore(db, DefaultCacheBytes/8*cacheShares[0])
	gs := ghostdagState{src: ns, k: 18, mergeLimit: 180, workCache: make(map[uint32]*big.Int)}
	var stats reachStats
	genesis := &blockNode{bits: 0x207fffff, status: statusValid,
		ghostdagData: ghostdagData{blueWork: new(big.Int)}}
	initReachRoot(genesis)
	ns.beginWrite()
	ns.addFresh(genesis)
	count := uint64(0)
	commit := func() {
		batch := db.NewBatch()
		ns.flushDirty(batch)
		if err := db.Write(batch); err != nil {
			b.Fatal(err)
		}
		ns.clearDirty()
		ns.endWrite()
		ns.beginWrite()
	}
	// add does for one block what ProcessBlock does for GHOSTDAG and
	// reachability; level holds the parents, sorted by hash.
	add := func(parents []*blockNode) *blockNode {
		gd, err := gs.ghostdag(parents)
		if err != nil {
			b.Fatal(err)
		}
		count++
		n := &blockNode{parents: hashesOf(parents), bits: 0x207fffff, status: statusValid}
		binary.BigEndian.PutUint64(n.hash[:], count)
		n.ghostdagData = *gd
		ns.addFresh(n)
		if err := addReachability(ns, n, &stats); err != nil {
			b.Fatal(err)
		}
		if count%64 == 0 {
			commit()
		}
		return n
	}
	level := []*blockNode{genesis}
	addLevel := func() {
		next := make([]*blockNode, 0, 4)
		for w := 0; w < 4; w++ {
			next = append(next, add(level))
		}
		// The next level's parents come from the cache or the store,
		// as a new block's parents do.
		for i, n := range next {
			if next[i], err = ns.node(n.hash); err != nil {
				b.Fatal(err)
			}
		}
		level = next
	}
	start := time.Now()
	for count < uint64(size) {
		addLevel()
		if count%1_000_000 < 4 && count > 4 || os.Getenv("BLOCKDAG_BENCH_TRACE") != "" && count%100_000 < 4 {
			nodes, bytes, _, misses := ns.stats()
			b.Logf("built %d blocks in %v: %d cached nodes (%d MB), %d misses, %d reindexes touching %d nodes",
				count, time.Since(start).Round(time.Second), nodes, bytes>>20, misses,
				stats.reindexes, stats.nodesTouched)
		}
	}
	commit()
	runtime.GC()
	b.ReportAllocs()
	b.ResetTimer()
	startStats := stats
	_, _, _, missesBefore := ns.stats()
	cpu := cpuTime()
	for i := 0; i < b.N; i += 4 {
		addLevel()
	}
	b.StopTimer()
	_, _, _, misses := ns.stats()
	b.ReportMetric(float64(stats.nodesTouched-startStats.nodesTouched)/float64(b.N), "reindexed/block")
	b.ReportMetric(float64(misses-missesBefore)/float64(b.N), "cache-misses/block")
	b.ReportMetric(float64((cpuTime()-cpu).Nanoseconds())/float64(b.N), "cpu-ns/block")
}

// BenchmarkGHOSTDAG10k: GHOSTDAG and reachability per block at 10,000
// blocks.
func BenchmarkGHOSTDAG10k(b *testing.B) { benchGHOSTDAG(b, 10_000) }

// BenchmarkGHOSTDAGLarge: the same at BLOCKDAG_BENCH_BLOCKS blocks (for
// example 5000000). Building the DAG first takes minutes, so it runs only
// when the variable is set.
func BenchmarkGHOSTDAGLarge(b *testing.B) {
	n, err := strconv.Atoi(os.Getenv("BLOCKDAG_BENCH_BLOCKS"))
	if err != nil || n <= 0 {
		b.Skip("set BLOCKDAG_BENCH_BLOCKS=5000000 to run")
	}
	benchGHOSTDAG(b, n)
}

// txBlockSize is the number of signed 1-in/1-out transactions per block in
// BenchmarkProcessBlockTxs.
const txBlockSize = 1000

// BenchmarkProcessBlockTxs measures ProcessBlock, store included, on blocks
// of 1,000 signed 1-in/1-out transactions on a chain; the tx/s metric is to
// be read next to BenchmarkSchnorrVerify's.
func BenchmarkProcessBlockTxs(b *testing.B) { benchProcessBlockTxs(b, false, false) }

// BenchmarkProcessBlockTxsTxIndex is BenchmarkProcessBlockTxs with the
// transaction index on: the difference is the index's cost per block.
func BenchmarkProcessBlockTxsTxIndex(b *testing.B) { benchProcessBlockTxs(b, true, false) }

// BenchmarkProcessBlockTxsUTXOIndex is BenchmarkProcessBlockTxs with the
// UTXO index on: each block's 1,000 spends and 1,000 new outputs are
// written to the index too.
func BenchmarkProcessBlockTxsUTXOIndex(b *testing.B) { benchProcessBlockTxs(b, false, true) }

func benchProcessBlockTxs(b *testing.B, txIndex, utxoIndex bool) {
	params := RegressionNetParams()
	c := newTestChain(b, params)
	if txIndex || utxoIndex {
		c.cfg.TxIndex = txIndex
		c.cfg.UTXOIndex = utxoIndex
		c.reopen()
	}
	c.now = time.Unix(1<<40, 0)
	// Funding blocks whose coinbases have 1,000 outputs each, then enough
	// blocks for them to mature.
	var funding []string
	for i := 0; i < b.N; i++ {
		name := fmt.Sprintf("fund%d", i)
		prev := "genesis"
		if i > 0 {
			prev = funding[i-1]
		}
		c.mineWith(name, blockOpts{coinbase: func(tx *wire.MsgTx) {
			v := tx.TxOut[0].Value / txBlockSize
			tx.TxOut = tx.TxOut[:0]
			for j := 0; j < txBlockSize; j++ {
				tx.TxOut = append(tx.TxOut, wire.TxOut{Value: v, PubKey: testPubKey})
			}
		}}, prev)
		funding = append(funding, name)
	}
	prev := funding[len(funding)-1]
	for i := uint64(0); i < params.CoinbaseMaturity; i++ {
		name := fmt.Sprintf("wait%d", i)
		c.mine(name, prev)
		prev = name
	}
	// The measured blocks, built on a second DAG so that building does
	// not touch the measured one.
	builder := newTestChain(b, params)
	builder.now = c.now
	for name, blk := range c.blocks {
		builder.blocks[name] = blk
		builder.hashes[name] = c.hashes[name]
	}
	order, _ := c.dag.Order(1, 1<<30)
	for _, ob := range order {
		blk, _ := c.dag.BlockByHash(&ob.Hash)
		if _, err := builder.dag.ProcessBlock(blk, BFNone); err != nil {
			b.Fatal(err)
		}
	}
	var blocks []*wire.MsgBlock
	for i := 0; i < b.N; i++ {
		cb := builder.blocks[funding[i]].Transactions[0]
		cbID := cb.TxID()
		txs := make([]*wire.MsgTx, txBlockSize)
		for j := range txs {
			in := spendable{op: wire.OutPoint{TxID: cbID, Index: uint32(j)}, out: cb.TxOut[j]}
			txs[j] = spendTx(b, []spendable{in}, in.out.Value-1000)
		}
		name := fmt.Sprintf("txs%d", i)
		blocks = append(blocks, builder.build(name, []string{prev}, withTxs(txs...)))
		builder.accept(name)
		prev = name
	}
	runtime.GC()
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	for _, blk := range blocks {
		if _, err := c.dag.ProcessBlock(blk, BFNone); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N*txBlockSize)/b.Elapsed().Seconds(), "tx/s")
	b.ReportMetric(float64((cpuTime()-cpu).Nanoseconds())/float64(b.N*txBlockSize), "cpu-ns/tx")
}

// BenchmarkSchnorrVerify measures raw BIP-340 verification (parsing the key
// and signature included) on every core: the ceiling for
// BenchmarkProcessBlockTxs.
func BenchmarkSchnorrVerify(b *testing.B) {
	msg := sha256.Sum256([]byte("soterd"))
	sig, err := schnorr.Sign(testKey, msg[:])
	if err != nil {
		b.Fatal(err)
	}
	sigBytes := sig.Serialize()
	pub := testPubKey
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			key, err := schnorr.ParsePubKey(pub[:])
			if err != nil {
				b.Fatal(err)
			}
			s, err := schnorr.ParseSignature(sigBytes)
			if err != nil {
				b.Fatal(err)
			}
			if !s.Verify(msg[:], key) {
				b.Fatal("signature does not verify")
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tx/s")
	b.ReportMetric(float64((cpuTime()-cpu).Nanoseconds())/float64(b.N), "cpu-ns/tx")
}

// BenchmarkLoad measures New on a store of a coinbase-only chain: the
// state record, tips, chain tail and virtual, which should not depend on
// the chain's length. The chain has BLOCKDAG_BENCH_LOAD blocks (default
// 20,000).
func BenchmarkLoad(b *testing.B) {
	n := 20_000
	if v, err := strconv.Atoi(os.Getenv("BLOCKDAG_BENCH_LOAD")); err == nil && v > 0 {
		n = v
	}
	params := RegressionNetParams()
	dir := b.TempDir()
	db, err := database.Open(dir, &database.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	far := time.Unix(1<<40, 0)
	cfg := &Config{DB: db, Params: params, TimeSource: func() time.Time { return far }}
	dag, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	for _, blk := range genLevelBlocks(params, 1, n) {
		if _, err := dag.ProcessBlock(blk, BFNone); err != nil {
			b.Fatal(err)
		}
	}
	dag.Close()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d, err := New(cfg)
		if err != nil {
			b.Fatal(err)
		}
		d.Close()
	}
	b.StopTimer()
	db.Close()
	b.ReportMetric(float64(n), "blocks")
}
