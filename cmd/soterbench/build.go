package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/soterdag/soterd/blockdag"
	"github.com/soterdag/soterd/database"
	"github.com/soterdag/soterd/mempool"
	"github.com/soterdag/soterd/mining"
	"github.com/soterdag/soterd/wire"
)

// Bounds of the source DAG's shape.
const (
	// maxBuildBlocks bounds -n: a long-lived node's benchmarks need DAGs
	// of several million blocks (about 80 seconds and 250 MB of disk per
	// million coinbase-only blocks on a 2-core machine); 20 million is
	// beyond any of them.
	maxBuildBlocks = 20_000_000

	// maxTxsPerBlock bounds -txs: a 1-in/2-out transaction is 193 bytes,
	// so 5,000 of them stay within the 1 MB block of every network.
	maxTxsPerBlock = 5000

	// buildMinerTag ends the coinbase payloads of the source DAG, so its
	// blocks are recognisable.
	buildMinerTag = "soterbench"

	// sourceInfoFilename is the file in the source home that records the
	// finished DAG, so that -dir can reuse it.
	sourceInfoFilename = "soterbench-source.json"
)

// buildConfig describes the source DAG to build.
type buildConfig struct {
	// Params are the network's parameters; NoDifficultyAdjustment must be
	// set, since blocks are mined by trying nonces on one core.
	Params *blockdag.Params

	// DBPath is the database directory: <home>/data/<network>/db, where
	// soterd will open it.
	DBPath string

	// Blocks is the number of blocks after genesis, TxsPerBlock the
	// signed transactions per block (fewer in the first rounds, while no
	// coinbase has matured), Width the blocks per round, all built on the
	// same tips.
	Blocks      int
	TxsPerBlock int
	Width       int

	// Progress, if set, is called after each round with the blocks built
	// so far.
	Progress func(blocks int)

	// AnyBuilder reuses a stored build made by another soterbench
	// executable (see sourceInfo.Builder): for DAGs of millions of blocks,
	// whose build takes minutes, when the consensus rules have not changed.
	AnyBuilder bool
}

// sourceInfo is what a finished build reports, and what
// sourceInfoFilename stores.
type sourceInfo struct {
	Network     string `json:"network"`
	Blocks      int    `json:"blocks"`
	TxsPerBlock int    `json:"txsperblock"`
	Width       int    `json:"width"`

	// DAGBlocks counts genesis; Txs the non-coinbase transactions.
	DAGBlocks      uint64      `json:"dagblocks"`
	Txs            int         `json:"txs"`
	Tips           []wire.Hash `json:"tips"`
	UTXOCommitment wire.Hash   `json:"utxocommitment"`
	Seconds        float64     `json:"seconds"`

	// Builder identifies the soterbench executable that built the DAG.
	// Consensus code changes between builds (a new merkle rule, say)
	// would make an old DAG invalid to a new soterd, so a DAG is reused
	// only by the executable that built it.
	Builder string `json:"builder"`
}

// matches reports whether a stored build is the one cfg asks for, made by
// this executable.
func (s *sourceInfo) matches(cfg *buildConfig) bool {
	return s.Network == cfg.Params.Name && s.Blocks == cfg.Blocks &&
		s.TxsPerBlock == cfg.TxsPerBlock && s.Width == cfg.Width &&
		(cfg.AnyBuilder || s.Builder != "" && s.Builder == builderID())
}

// builderID names this executable by path, size and modification time,
// which change with every rebuild; "" when they cannot be read.
func builderID() string {
	path, err := os.Executable()
	if err != nil {
		return ""
	}
	info, err := os.Stat(path)
	if err != nil {
		return ""
	}
	return fmt.Sprintf("%s %d %d", path, info.Size(), info.ModTime().UnixNano())
}

// checkBuildConfig returns an error naming the option that is out of range.
func checkBuildConfig(cfg *buildConfig) error {
	switch {
	case cfg.Params == nil || !cfg.Params.NoDifficultyAdjustment:
		return errors.New("the source DAG can only be built on a network without difficulty adjustment (regtest, simnet)")
	case cfg.Blocks < 1 || cfg.Blocks > maxBuildBlocks:
		return fmt.Errorf("-n must be in 1..%d, got %d", maxBuildBlocks, cfg.Blocks)
	case cfg.TxsPerBlock < 0 || cfg.TxsPerBlock > maxTxsPerBlock:
		return fmt.Errorf("-txs must be in 0..%d, got %d", maxTxsPerBlock, cfg.TxsPerBlock)
	case cfg.Width < 1 || cfg.Width > cfg.Params.MaxParents:
		// A block merges at most MaxParents tips, so a wider round would
		// leave tips unmerged and the DAG would not stay W wide.
		return fmt.Errorf("-width must be in 1..%d (the network's most parents), got %d",
			cfg.Params.MaxParents, cfg.Width)
	}
	return nil
}

// roundSource hands the generator the transactions of the block it builds.
type roundSource struct {
	descs []*mempool.TxDesc
}

// MiningDescs returns the transactions of the block being built, in the
// order they were made, which the generator keeps: they all pay the same
// fee rate and none depends on another.
func (r *roundSource) MiningDescs() []*mempool.TxDesc {
	return r.descs
}

// buildDAG builds the source DAG into an empty database at cfg.DBPath:
// rounds of Width blocks on the same tips, each with a coinbase paying a
// key of its own miner and TxsPerBlock signed spends, connected through
// blockdag.ProcessBlock like any block. It stops between rounds when ctx
// is done.
func buildDAG(ctx context.Context, cfg *buildConfig) (*sourceInfo, error) {
	if err := checkBuildConfig(cfg); err != nil {
		return nil, err
	}
	start := time.Now()
	if err := os.MkdirAll(filepath.Dir(cfg.DBPath), 0o700); err != nil {
		return nil, fmt.Errorf("create the data directory: %w", err)
	}
	db, err := database.Open(cfg.DBPath, &database.Options{NoSync: true})
	if err != nil {
		return nil, fmt.Errorf("open the source database: %w", err)
	}
	info, err := buildInto(ctx, cfg, db)
	if cerr := db.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("close the source database: %w", cerr)
	}
	if err != nil {
		return nil, err
	}
	info.Seconds = time.Since(start).Seconds()
	return info, nil
}

// buildInto builds the DAG into the open db.
func buildInto(ctx context.Context, cfg *buildConfig, db *database.DB) (*sourceInfo, error) {
	dag, err := blockdag.New(&blockdag.Config{DB: db, Params: cfg.Params})
	if err != nil {
		return nil, err
	}
	defer dag.Close()
	if dag.BlockCount() != 1 {
		return nil, fmt.Errorf("the source database %s is not empty (%d blocks)",
			cfg.DBPath, dag.BlockCount())
	}

	w, err := newWallet(cfg.Params, cfg.Width)
	if err != nil {
		return nil, err
	}
	var state mining.TemplateState
	source := &roundSource{}
	gen, err := mining.NewGenerator(&mining.Config{
		Params:        cfg.Params,
		TemplateState: func() (mining.TemplateState, error) { return state, nil },
		TxSource:      source,
		FetchUTXO:     dag.FetchUTXO,
		MinerTag:      buildMinerTag,
	})
	if err != nil {
		return nil, err
	}

	info := &sourceInfo{
		Builder:     builderID(),
		Network:     cfg.Params.Name,
		Blocks:      cfg.Blocks,
		TxsPerBlock: cfg.TxsPerBlock,
		Width:       cfg.Width,
	}
	for built := 0; built < cfg.Blocks; {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		ti := dag.TemplateInfo()
		state = mining.TemplateState{
			Parents:      ti.Parents,
			BlueScore:    ti.BlueScore,
			Bits:         ti.Bits,
			MinTimestamp: ti.MinTimestamp,
			Height:       ti.Height,
		}
		width := min(cfg.Width, cfg.Blocks-built)
		need := cfg.TxsPerBlock * cfg.Width
		if need > 0 {
			w.matureCoinbases(ti.BlueScore, need, dag.FetchUTXO)
		}

		// Make and sign the round's transactions first, on every core.
		perBlock := make([][]unsignedTx, width)
		var all []unsignedTx
		for j := 0; j < width; j++ {
			perBlock[j] = w.makeTxs(cfg.TxsPerBlock, need, j)
			all = append(all, perBlock[j]...)
		}
		if err := w.signRound(all); err != nil {
			return nil, err
		}

		blocks := make([]*wire.MsgBlock, width)
		for j := 0; j < width; j++ {
			block, err := buildBlock(gen, source, perBlock[j], w.pubs[j])
			if err != nil {
				return nil, fmt.Errorf("block %d: %w", built+j+1, err)
			}
			blocks[j] = block
		}
		for j, block := range blocks {
			isOrphan, err := dag.ProcessBlock(block, blockdag.BFNone)
			if err != nil {
				return nil, fmt.Errorf("connect block %d (%s): %w", built+j+1, block.BlockHash(), err)
			}
			if isOrphan {
				return nil, fmt.Errorf("block %d (%s) became an orphan", built+j+1, block.BlockHash())
			}
			w.addCoinbase(block.Transactions[0], j, ti.BlueScore)
			info.Txs += len(block.Transactions) - 1
		}
		w.endRound()
		built += width
		if cfg.Progress != nil {
			cfg.Progress(built)
		}
	}

	info.DAGBlocks = dag.BlockCount()
	info.Tips = dag.Tips()
	info.UTXOCommitment = dag.UTXOCommitment()
	return info, nil
}

// buildBlock returns a block with a proof of work on the generator's
// current state, paying its coinbase to payTo, holding txs.
func buildBlock(gen *mining.Generator, source *roundSource, txs []unsignedTx,
	payTo [wire.PubKeySize]byte) (*wire.MsgBlock, error) {

	source.descs = source.descs[:0]
	for i := range txs {
		tx := txs[i].tx
		size := tx.SerializeSize()
		source.descs = append(source.descs, &mempool.TxDesc{
			Tx:       tx,
			TxID:     tx.TxID(),
			Size:     size,
			Fee:      benchTxFee,
			FeePerKB: benchTxFee * 1000 / uint64(size),
		})
	}
	tmpl, err := gen.NewBlockTemplate(payTo)
	if err != nil {
		return nil, err
	}
	block := tmpl.Block
	if got := len(block.Transactions) - 1; got != len(txs) {
		// The generator skips what it finds unspendable: a bookkeeping
		// error of the wallet, which would make the figures wrong.
		return nil, fmt.Errorf("the template took %d of the %d transactions made for it",
			got, len(txs))
	}
	if err := solveBlock(&block.Header); err != nil {
		return nil, err
	}
	return block, nil
}

// maxNonceTries bounds the nonce search. On a network without difficulty
// adjustment about half of all hashes meet the target, so a block needs
// two tries on average; a million failures mean the bits are not easy.
const maxNonceTries = 1_000_000

// solveBlock sets a nonce that meets the header's target.
func solveBlock(header *wire.BlockHeader) error {
	target := wire.CompactToBig(header.Bits)
	for nonce := uint64(0); nonce < maxNonceTries; nonce++ {
		header.Nonce = nonce
		hash := header.BlockHash()
		if wire.HashToBig(&hash).Cmp(target) <= 0 {
			return nil
		}
	}
	return fmt.Errorf("no nonce below %d meets bits %08x", maxNonceTries, header.Bits)
}

// readSourceInfo reads the record of a finished build in home, or returns
// nil when there is none.
func readSourceInfo(home string) (*sourceInfo, error) {
	data, err := os.ReadFile(filepath.Join(home, sourceInfoFilename))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var info sourceInfo
	if err := json.Unmarshal(data, &info); err != nil {
		return nil, fmt.Errorf("read %s: %w", sourceInfoFilename, err)
	}
	return &info, nil
}

// writeSourceInfo records a finished build in home. It is written last, so
// its presence means the database is complete.
func writeSourceInfo(home string, info *sourceInfo) error {
	data, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(home, sourceInfoFilename), append(data, '\n'), 0o600)
}
