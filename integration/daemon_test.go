package integration

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/soterdag/soterd/internal/procnode"
	"github.com/soterdag/soterd/rpcmodel"
)

// cleanStopLimit is how soon after SIGTERM a node must have exited with
// code 0.
const cleanStopLimit = 10 * time.Second

// TestDaemon runs two daemons with conf files and TLS on loopback ports,
// mines 100 blocks on one with the soterctl binary, connects the other
// with soterctl addnode, waits until both are current with the same DAG,
// stops both with SIGTERM and restarts one to find its DAG intact.
func TestDaemon(t *testing.T) {
	n1 := startNode(t, withTLS())
	n2 := startNode(t, withTLS())

	var hashes []string
	if err := json.Unmarshal([]byte(soterctl(t, n1, "generate", "100")), &hashes); err != nil {
		t.Fatalf("soterctl generate: %v", err)
	}
	if len(hashes) != 100 {
		t.Fatalf("soterctl generate 100: got %d hashes", len(hashes))
	}
	soterctl(t, n2, "addnode", n1.P2PAddr(), "add")

	waitFor(t, time.Minute, "both nodes current", func() (bool, error) {
		for _, n := range []*procnode.Node{n1, n2} {
			si, err := n.GetSyncInfo()
			if err != nil || !si.IsCurrent {
				return false, err
			}
		}
		return true, nil
	})
	state := waitConverged(t, time.Minute, n1, n2)
	if state.Blocks != 101 || len(state.Tips) != 1 || state.Tips[0] != hashes[99] {
		t.Fatalf("converged on %v, want 101 blocks with tip %s", state, hashes[99])
	}
	checkSameOrder(t, n1, n2)

	// soterctl's view of the restarted node, to compare after the restart.
	var before rpcmodel.GetDAGInfoResult
	if err := json.Unmarshal([]byte(soterctl(t, n2, "getdaginfo")), &before); err != nil {
		t.Fatalf("soterctl getdaginfo: %v", err)
	}

	for i, n := range []*procnode.Node{n1, n2} {
		start := time.Now()
		code, err := n.Stop()
		took := time.Since(start)
		if err != nil || code != 0 {
			t.Fatalf("node %d: SIGTERM: exit code %d, %v", i+1, code, err)
		}
		if took > cleanStopLimit {
			t.Errorf("node %d: SIGTERM took %v, want at most %v", i+1, took, cleanStopLimit)
		}
		if !strings.Contains(n.OutputTail(5), "Shutdown complete") {
			t.Errorf("node %d: no \"Shutdown complete\" in its last lines:\n%s", i+1, n.OutputTail(5))
		}
	}

	if err := n2.Restart(); err != nil {
		t.Fatalf("restart: %v", err)
	}
	var after rpcmodel.GetDAGInfoResult
	if err := json.Unmarshal([]byte(soterctl(t, n2, "getdaginfo")), &after); err != nil {
		t.Fatalf("soterctl getdaginfo after restart: %v", err)
	}
	after.IsCurrent, before.IsCurrent = false, false
	if !sameDAGInfo(&before, &after) {
		t.Fatalf("DAG after restart differs:\n%+v\nwant\n%+v", after, before)
	}
	blk, err := n2.GetBlock(hashes[50], 1)
	if err != nil || blk.Hash != hashes[50] {
		t.Fatalf("block 50 after restart: %v, %v", blk, err)
	}

	// The stop RPC ends the process cleanly too.
	soterctl(t, n2, "stop")
	select {
	case <-n2.Done():
	case <-time.After(cleanStopLimit):
		t.Fatalf("soterd still running %v after the stop RPC", cleanStopLimit)
	}
	if code, _ := n2.ExitCode(); code != 0 {
		t.Fatalf("exit code %d after the stop RPC, want 0", code)
	}
}

// sameDAGInfo compares the fields of getdaginfo that describe the DAG.
func sameDAGInfo(a, b *rpcmodel.GetDAGInfoResult) bool {
	return a.Blocks == b.Blocks && strings.Join(a.TipHashes, ",") == strings.Join(b.TipHashes, ",") &&
		a.MaxHeight == b.MaxHeight && a.ChainHeight == b.ChainHeight &&
		a.BlueScore == b.BlueScore && a.BlueWork == b.BlueWork &&
		a.VirtualSelectedParent == b.VirtualSelectedParent &&
		a.UTXOCount == b.UTXOCount && a.UTXOCommitment == b.UTXOCommitment &&
		a.Bits == b.Bits && a.PastMedianTime == b.PastMedianTime
}

// TestSecondProcessSameDataDir starts a second soterd on the data directory
// of a running one: it must exit non-zero with a clear message and leave
// the first one working.
func TestSecondProcessSameDataDir(t *testing.T) {
	first := startNode(t)
	if _, err := first.Generate(5); err != nil {
		t.Fatalf("generate: %v", err)
	}
	dataDir := filepath.Join(first.HomeDir(), "data")
	second, err := procnode.Start(&procnode.Config{
		Binary:    bins.Soterd,
		HomeDir:   t.TempDir(),
		ExtraArgs: []string{"--datadir=" + dataDir},
	})
	if err == nil {
		second.Kill()
		t.Fatalf("a second soterd on %s started", dataDir)
	}
	var perr procnode.Error
	if !errors.As(err, &perr) || !errors.Is(err, procnode.ErrExited) {
		t.Fatalf("second soterd: got %v, want it to exit", err)
	}
	if perr.ExitCode == 0 {
		t.Errorf("second soterd exited with code 0")
	}
	if !strings.Contains(perr.Output, "in use by another process") {
		t.Errorf("second soterd's output does not say the directory is in use:\n%s", perr.Output)
	}
	info, err := first.GetDAGInfo()
	if err != nil || info.Blocks != 6 {
		t.Fatalf("first soterd after the attempt: %v, %v; want 6 blocks", info, err)
	}
}

// TestBrokenConf starts soterd with broken conf files and command lines:
// each must exit non-zero with a message naming the option.
func TestBrokenConf(t *testing.T) {
	tests := []struct {
		name  string
		conf  []string
		args  []string
		wants []string
	}{
		{name: "unknown option", conf: []string{"bogusoption=1"},
			wants: []string{"unknown option", "bogusoption"}},
		{name: "not an integer", conf: []string{"maxpeers=lots"},
			wants: []string{"maxpeers", "lots"}},
		{name: "out of range", conf: []string{"maxpeers=20000"},
			wants: []string{"maxpeers"}},
		{name: "bad duration", conf: []string{"banduration=forever"},
			wants: []string{"banduration", "forever"}},
		{name: "bad boolean", conf: []string{"generate=maybe"},
			wants: []string{"generate", "maybe"}},
		{name: "bad mining key", conf: []string{"miningaddr=xyz"},
			wants: []string{"miningaddr"}},
		{name: "unknown flag", args: []string{"--nosuchflag"},
			wants: []string{"nosuchflag"}},
		{name: "two networks", args: []string{"--simnet"},
			wants: []string{"simnet", "regtest"}},
	}
	for _, test := range tests {
		home := t.TempDir()
		n, err := procnode.Start(&procnode.Config{
			Binary:    bins.Soterd,
			HomeDir:   home,
			ConfLines: test.conf,
			ExtraArgs: test.args,
		})
		if err == nil {
			n.Kill()
			t.Errorf("%s: soterd started", test.name)
			continue
		}
		var perr procnode.Error
		if !errors.As(err, &perr) || !errors.Is(err, procnode.ErrExited) {
			t.Errorf("%s: got %v, want soterd to exit", test.name, err)
			continue
		}
		if perr.ExitCode == 0 {
			t.Errorf("%s: exit code 0, want non-zero", test.name)
		}
		for _, want := range test.wants {
			if !strings.Contains(perr.Output, want) {
				t.Errorf("%s: output does not name %q:\n%s", test.name, want, perr.Output)
			}
		}
		checkLog(t, filepath.Join(home, procnode.DefaultLogFilename))
	}
}
