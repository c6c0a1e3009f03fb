package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/soterdag/soterd/blockdag"
	"github.com/soterdag/soterd/database"
)

// TestBuildDAG builds small source DAGs of every shape and checks that the
// store soterd would open holds exactly what the build reports.
func TestBuildDAG(t *testing.T) {
	tests := []struct {
		name    string
		blocks  int
		txs     int
		width   int
		wantTxs bool
	}{
		{name: "chain, coinbase only", blocks: 30, width: 1},
		{name: "width 3, coinbase only", blocks: 31, width: 3},
		{name: "chain with txs", blocks: 130, txs: 12, width: 1, wantTxs: true},
		{name: "width 2 with txs", blocks: 250, txs: 5, width: 2, wantTxs: true},
	}
	for _, test := range tests {
		params := blockdag.RegressionNetParams()
		dbPath := filepath.Join(t.TempDir(), "data", params.Name, "db")
		cfg := &buildConfig{Params: params, DBPath: dbPath, Blocks: test.blocks,
			TxsPerBlock: test.txs, Width: test.width}
		info, err := buildDAG(context.Background(), cfg)
		if err != nil {
			t.Fatalf("%s: build: %v", test.name, err)
		}
		if got, want := info.DAGBlocks, uint64(test.blocks+1); got != want {
			t.Errorf("%s: got %d blocks, want %d", test.name, got, want)
		}
		if test.wantTxs != (info.Txs > 0) {
			t.Errorf("%s: got %d transactions, want some: %v", test.name, info.Txs, test.wantTxs)
		}
		wantTips := test.width
		if rem := test.blocks % test.width; rem != 0 {
			wantTips = rem
		}
		if len(info.Tips) != wantTips {
			t.Errorf("%s: got %d tips, want %d", test.name, len(info.Tips), wantTips)
		}

		// Reopen the store as soterd will and compare.
		db, err := database.Open(dbPath, nil)
		if err != nil {
			t.Fatalf("%s: reopen: %v", test.name, err)
		}
		dag, err := blockdag.New(&blockdag.Config{DB: db, Params: params})
		if err != nil {
			t.Fatalf("%s: load: %v", test.name, err)
		}
		if got := dag.BlockCount(); got != info.DAGBlocks {
			t.Errorf("%s: reopened DAG has %d blocks, want %d", test.name, got, info.DAGBlocks)
		}
		if got := dag.UTXOCommitment(); got != info.UTXOCommitment {
			t.Errorf("%s: reopened commitment %s, want %s", test.name, got, info.UTXOCommitment)
		}
		dag.Close()
		db.Close()
	}
}

// TestBuildTxsPerBlock checks that once coins have matured every block
// carries the requested number of transactions.
func TestBuildTxsPerBlock(t *testing.T) {
	params := blockdag.RegressionNetParams()
	const blocks, txs = 140, 16
	cfg := &buildConfig{Params: params, DBPath: filepath.Join(t.TempDir(), "db"),
		Blocks: blocks, TxsPerBlock: txs, Width: 1}
	info, err := buildDAG(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	// Coinbases mature at blue score 101; the wallet splits one coin per
	// block into two until it holds 16, which takes a few blocks.
	matured := blocks - int(params.CoinbaseMaturity)
	if min := (matured - 8) * txs; info.Txs < min {
		t.Errorf("got %d transactions, want at least %d", info.Txs, min)
	}
	if max := matured * txs; info.Txs > max {
		t.Errorf("got %d transactions, want at most %d", info.Txs, max)
	}
}

// TestBuildConfigErrors checks that every bad option is named.
func TestBuildConfigErrors(t *testing.T) {
	reg := blockdag.RegressionNetParams()
	tests := []struct {
		name string
		cfg  buildConfig
		want string
	}{
		{name: "mainnet", cfg: buildConfig{Params: blockdag.MainNetParams(), Blocks: 1, Width: 1}, want: "difficulty"},
		{name: "no blocks", cfg: buildConfig{Params: reg, Blocks: 0, Width: 1}, want: "-n"},
		{name: "too many txs", cfg: buildConfig{Params: reg, Blocks: 1, TxsPerBlock: maxTxsPerBlock + 1, Width: 1}, want: "-txs"},
		{name: "negative txs", cfg: buildConfig{Params: reg, Blocks: 1, TxsPerBlock: -1, Width: 1}, want: "-txs"},
		{name: "zero width", cfg: buildConfig{Params: reg, Blocks: 1, Width: 0}, want: "-width"},
		{name: "too wide", cfg: buildConfig{Params: reg, Blocks: 1, Width: reg.MaxParents + 1}, want: "-width"},
	}
	for _, test := range tests {
		err := checkBuildConfig(&test.cfg)
		if err == nil || !strings.Contains(err.Error(), test.want) {
			t.Errorf("%s: got %v, want an error naming %s", test.name, err, test.want)
		}
	}
}
