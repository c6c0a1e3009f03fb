package blockdag

import (
	"testing"
)

// TestBasicChain mines a short chain with a spend and checks the read API
// and a restart.
func TestBasicChain(t *testing.T) {
	c := newTestChain(t, testParams())
	c.mine("A", "genesis")
	c.mine("B", "A")
	c.mine("C", "B")
	c.expectTips("C")
	if got := c.dag.BlockCount(); got != 4 {
		t.Fatalf("block count %d, want 4", got)
	}
	// A's coinbase is mature at blue score 1+2 = 3; D has blue score 4.
	tx := spendTx(t, []spendable{c.coinbaseOut("A", 0)}, 10*BaseUnitsPerCoin, 39*BaseUnitsPerCoin)
	c.mineWith("D", withTxs(tx), "C")
	if _, ok := c.dag.FetchUTXO(c.coinbaseOut("A", 0).op); ok {
		t.Fatalf("spent output still in the UTXO set")
	}
	if e, ok := c.dag.FetchUTXO(txOut(tx, 1).op); !ok || e.Amount != 39*BaseUnitsPerCoin {
		t.Fatalf("new output: %v %v", e, ok)
	}
	count, total, commit := c.dag.UTXOStats()
	vi := c.dag.VirtualInfo()
	if vi.ChainHeight != 5 || vi.BlueScore != 5 {
		t.Fatalf("virtual: chain height %d blue score %d", vi.ChainHeight, vi.BlueScore)
	}
	c.reopen()
	c.expectTips("D")
	count2, total2, commit2 := c.dag.UTXOStats()
	if count != count2 || total != total2 || commit != commit2 {
		t.Fatalf("after restart: stats %d %d %v, want %d %d %v", count2, total2, commit2, count, total, commit)
	}
	c.mine("E", "D")
	order, err := c.dag.Order(0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, o := range order {
		names = append(names, c.name(o.Hash))
	}
	if got := len(names); got != 6 {
		t.Fatalf("order %v", names)
	}
}
