package node

import (
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btclog"
	"github.com/soterdag/soterd/blockdag"
	"github.com/soterdag/soterd/keys"
	"github.com/soterdag/soterd/wire"
)

// TestAssumeValidSync syncs two nodes from a source whose DAG holds signed
// transactions, one with --assumevalid on the source's tip and one
// without: both end identical to the source, and the first skipped the
// signature checks (its log says so, and that they resumed once the
// assumed-valid block arrived) while the second checked them all.
func TestAssumeValidSync(t *testing.T) {
	logs := &logBuffer{}
	logger := btclog.NewBackend(logs).Logger("CHAN")
	logger.SetLevel(btclog.LevelInfo)
	blockdag.UseLogger(logger)
	t.Cleanup(func() { blockdag.UseLogger(btclog.Disabled) })

	src := newTestNode(t, nodeOptions{})
	priv, pub, err := keys.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	first := src.mineTo(1, pub)[0]
	src.mine(int(testParams().CoinbaseMaturity)+1, 0)
	block, err := src.DAG().BlockByHash(&first)
	if err != nil {
		t.Fatal(err)
	}
	coinbase := block.Transactions[0]
	prevOut := coinbase.TxOut[0]
	spend := &wire.MsgTx{
		Version: wire.TxVersion,
		TxIn:    []wire.TxIn{{PreviousOutPoint: wire.OutPoint{TxID: coinbase.TxID()}}},
		TxOut:   []wire.TxOut{{Value: prevOut.Value - 100_000, PubKey: minerKey(7)}},
	}
	if err := keys.SignTx(spend, []wire.TxOut{prevOut}, []*btcec.PrivateKey{priv}); err != nil {
		t.Fatal(err)
	}
	withTx := makeBlock(t, src.DAG(), minerKey(1))
	withTx.Transactions = append(withTx.Transactions, spend)
	withTx.Header.MerkleRoot = wire.BlockMerkleRoot(withTx.Transactions)
	solve(withTx)
	if orphan, err := src.SyncManager().ProcessBlock(withTx, blockdag.BFNone); err != nil || orphan {
		t.Fatalf("block with a transaction: orphan %v, err %v", orphan, err)
	}
	src.mine(3, 0)
	av := src.DAG().Tips()[0]

	trusting := newTestNode(t, nodeOptions{mutate: func(c *Config) { c.AssumeValid = av }})
	if info := trusting.DAG().AssumeValidInfo(); !info.Active || info.Block != av {
		t.Fatalf("before the sync: %+v, want the assumed-valid block set and active", info)
	}
	trusting.connectTo(src)
	waitFor(t, 30*time.Second, "the assumevalid sync", func() bool {
		return sameState(src, trusting) && !trusting.SyncManager().InSyncMode()
	})
	checking := newTestNode(t, nodeOptions{})
	checking.connectTo(src)
	waitFor(t, 30*time.Second, "the full sync", func() bool {
		return sameState(src, checking) && !checking.SyncManager().InSyncMode()
	})
	if !sameState(trusting, checking) {
		t.Fatalf("the nodes with and without --assumevalid differ")
	}

	info := trusting.DAG().AssumeValidInfo()
	want := uint64(src.DAG().BlockCount() - 1) // all but genesis, which it had
	if info.Active || info.SkippedBlocks != 1 || info.Marked != want {
		t.Errorf("assumevalid node: got %+v, want inactive, 1 block skipped (the one with a "+
			"transaction), %d marked", info, want)
	}
	if info := checking.DAG().AssumeValidInfo(); info.SkippedBlocks != 0 || info.Marked != 0 {
		t.Errorf("node without assumevalid: got %+v, want nothing skipped or marked", info)
	}
	out := logs.String()
	skipped := strings.Index(out, "Skipping the signature checks of block "+withTx.BlockHash().String())
	resumed := strings.Index(out, "Assumed-valid block "+av.String()+" is in the DAG: signature checks resume")
	if skipped < 0 || resumed < skipped {
		t.Errorf("the log does not say the checks were skipped, then resumed:\n%s", out)
	}
}
