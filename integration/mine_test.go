package integration

import (
	"context"
	"encoding/hex"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/soterdag/soterd/blockdag"
	"github.com/soterdag/soterd/internal/procnode"
	"github.com/soterdag/soterd/keys"
	"github.com/soterdag/soterd/wire"
)

// sotermineTimeout bounds one sotermine run: a few paced blocks take
// seconds; this only catches a miner that hangs.
const sotermineTimeout = 2 * time.Minute

// foundBlockLine matches sotermine's log line for an accepted block.
var foundBlockLine = regexp.MustCompile(`Found block ([0-9a-f]{64})`)

// runSotermine runs sotermine against n over TLS (or plain HTTP) with the
// node's credentials, until it exits, and returns the hashes of the blocks
// it reports accepted. A non-zero exit fails the test.
func runSotermine(t *testing.T, n *procnode.Node, args ...string) []string {
	t.Helper()
	cfg := n.Config()
	full := []string{"--" + cfg.Network, "-C", os.DevNull, "--soterdconfig=" + n.ConfFile(),
		"-s", n.RPCAddr(), "--statsinterval=1s"}
	if cfg.TLS {
		full = append(full, "-c", n.CertFile())
	} else {
		full = append(full, "--notls")
	}
	ctx, cancel := context.WithTimeout(context.Background(), sotermineTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bins.Sotermine, append(full, args...)...)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if err != nil {
		t.Fatalf("sotermine %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	var hashes []string
	for _, m := range foundBlockLine.FindAllStringSubmatch(out.String(), -1) {
		hashes = append(hashes, m[1])
	}
	t.Logf("sotermine %s:\n%s", strings.Join(args, " "), out.String())
	return hashes
}

// TestSotermine mines with the external miner against a node with a peer,
// over TLS: its blocks, one of them carrying a mempool transaction, reach
// both nodes and pay the key it asked for. It then mines again while the
// peer's own miner moves the tips under it, so its templates go stale and
// are replaced, and both nodes still agree on every block.
func TestSotermine(t *testing.T) {
	priv, pub := newKey(t)
	_, minerPub := newKey(t)
	a := startNode(t, withTLS(), withMiningKey(pub))
	b := startNode(t)
	connect(t, b, a)

	// A coin to spend: the first block's coinbase, once mature.
	params := blockdag.RegressionNetParams()
	hashes, err := a.Generate(int(params.CoinbaseMaturity) + 1)
	if err != nil {
		t.Fatal(err)
	}
	first, err := a.GetBlock(hashes[0], 2)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := hex.DecodeString(first.RawTx[0].Hex)
	if err != nil {
		t.Fatal(err)
	}
	var coinbase wire.MsgTx
	if err := coinbase.Deserialize(raw); err != nil {
		t.Fatal(err)
	}
	tx := &wire.MsgTx{Version: wire.TxVersion,
		TxIn:  []wire.TxIn{{PreviousOutPoint: wire.OutPoint{TxID: coinbase.TxID()}}},
		TxOut: []wire.TxOut{{Value: coinbase.TxOut[0].Value - 10_000, PubKey: minerPub}}}
	if err := keys.SignTx(tx, []wire.TxOut{coinbase.TxOut[0]}, []*btcec.PrivateKey{priv}); err != nil {
		t.Fatal(err)
	}
	waitConverged(t, time.Minute, a, b)
	if _, err := a.SendRawTransaction(hex.EncodeToString(tx.Serialize())); err != nil {
		t.Fatal(err)
	}

	minerKey := keys.EncodePubKeyHex(minerPub)
	mined := runSotermine(t, a, "--miningaddr="+minerKey, "-t", "1", "--pace=100ms", "--maxblocks=2")
	if len(mined) != 2 {
		t.Fatalf("sotermine reported %d blocks, want 2", len(mined))
	}
	waitConverged(t, time.Minute, a, b)
	txID := tx.TxID().String()
	carried := false
	for _, h := range mined {
		blk, err := b.GetBlock(h, 1)
		if err != nil {
			t.Fatalf("block %s on the peer: %v", h, err)
		}
		carried = carried || slices.Contains(blk.Tx, txID)
		full, err := b.GetBlock(h, 2)
		if err != nil {
			t.Fatal(err)
		}
		if out := full.RawTx[0].Vout; len(out) != 1 || out[0].PubKey != minerKey {
			t.Errorf("block %s pays %+v, want %s", h, out, minerKey)
		}
	}
	if !carried {
		t.Errorf("no block of sotermine carries the mempool transaction %s", txID)
	}

	// Again, with the peer mining too: sotermine's templates go stale
	// whenever a block of the peer arrives.
	if err := b.SetGenerate(true, 1); err != nil {
		t.Fatal(err)
	}
	more := runSotermine(t, a, "--miningaddr="+minerKey, "-t", "1", "--pace=400ms", "--maxblocks=4",
		"--debuglevel=debug")
	if err := b.SetGenerate(false, 0); err != nil {
		t.Fatal(err)
	}
	if len(more) != 4 {
		t.Fatalf("sotermine reported %d blocks, want 4", len(more))
	}
	waitConverged(t, time.Minute, a, b)
	checkSameOrder(t, a, b)
	for _, h := range append(mined, more...) {
		for i, n := range []*procnode.Node{a, b} {
			if _, err := n.GetBlock(h, 1); err != nil {
				t.Errorf("node %d lacks sotermine's block %s: %v", i, h, err)
			}
		}
	}
}
