package procnode

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/soterdag/soterd/rpcmodel"
)

// testConfig returns a regtest Config in a fresh temporary home.
func testConfig(t *testing.T) *Config {
	return &Config{Binary: bins.Soterd, HomeDir: t.TempDir()}
}

// TestStartStop starts a node, mines on it over RPC, reads its peak RSS and
// stops it cleanly.
func TestStartStop(t *testing.T) {
	n := StartTest(t, testConfig(t))
	if n.P2PAddr() == "" || strings.HasSuffix(n.P2PAddr(), ":0") {
		t.Fatalf("P2P address %q: want a bound port", n.P2PAddr())
	}
	if strings.HasSuffix(n.RPCAddr(), ":0") {
		t.Fatalf("RPC address %q: want a bound port", n.RPCAddr())
	}
	if n.PID() <= 0 || !n.Running() {
		t.Fatalf("pid %d running %v: want a running process", n.PID(), n.Running())
	}
	hashes, err := n.Generate(3)
	if err != nil {
		t.Fatalf("generate: %v", err)
	}
	if len(hashes) != 3 {
		t.Fatalf("generate: got %d hashes, want 3", len(hashes))
	}
	info, err := n.GetDAGInfo()
	if err != nil {
		t.Fatalf("getdaginfo: %v", err)
	}
	if info.Blocks != 4 || info.Network != "regtest" {
		t.Fatalf("getdaginfo: got %d blocks on %s, want 4 on regtest", info.Blocks, info.Network)
	}
	stats, err := n.GetUTXOStats()
	if err != nil || stats.Count != info.UTXOCount || stats.Commitment != info.UTXOCommitment ||
		stats.TotalUnits == 0 {
		t.Fatalf("getutxostats: got %+v, %v; want the getdaginfo set %d %s", stats, err,
			info.UTXOCount, info.UTXOCommitment)
	}
	out, err := n.GetTxOut(strings.Repeat("00", 32), 0, true)
	if err != nil || out != nil {
		t.Fatalf("gettxout of a missing output: got %v, %v; want nil, nil", out, err)
	}
	rss, err := n.PeakRSS()
	if err != nil || rss < 1<<20 {
		t.Fatalf("peak RSS: got %d, %v; want at least 1 MiB", rss, err)
	}
	code, err := n.Stop()
	if err != nil || code != 0 {
		t.Fatalf("stop: got %d, %v; want 0, nil", code, err)
	}
	if rss, err := n.PeakRSS(); err != nil || rss < 1<<20 {
		t.Fatalf("peak RSS after exit: got %d, %v; want at least 1 MiB", rss, err)
	}
	if code, err := n.Stop(); err != nil || code != 0 {
		t.Fatalf("second stop: got %d, %v; want 0, nil", code, err)
	}
	if _, err := n.Call("getdaginfo"); !errors.Is(err, ErrRPCTransport) {
		t.Fatalf("call after stop: got %v, want ErrRPCTransport", err)
	}
	var rpcErr *rpcmodel.RPCError
	if errors.As(err, &rpcErr) {
		t.Fatalf("call after stop: got an RPC error %v, want a transport error", rpcErr)
	}
}

// TestRestart checks that a restart, after a stop and after a kill, keeps
// the ports and the DAG.
func TestRestart(t *testing.T) {
	n := StartTest(t, testConfig(t))
	if _, err := n.Generate(5); err != nil {
		t.Fatalf("generate: %v", err)
	}
	p2p, rpc, pid := n.P2PAddr(), n.RPCAddr(), n.PID()

	restarts := []struct {
		name string
		stop func() error
	}{
		{"stop", func() error { return nil }}, // Restart stops it itself
		{"kill", n.Kill},
	}
	for _, test := range restarts {
		if err := test.stop(); err != nil {
			t.Fatalf("%s: %v", test.name, err)
		}
		if err := n.Restart(); err != nil {
			t.Fatalf("%s: restart: %v", test.name, err)
		}
		if n.P2PAddr() != p2p || n.RPCAddr() != rpc {
			t.Errorf("%s: addresses %s %s, want %s %s", test.name, n.P2PAddr(),
				n.RPCAddr(), p2p, rpc)
		}
		if n.PID() == pid {
			t.Errorf("%s: same pid %d after restart", test.name, pid)
		}
		pid = n.PID()
		info, err := n.GetDAGInfo()
		if err != nil {
			t.Fatalf("%s: getdaginfo: %v", test.name, err)
		}
		if info.Blocks != 6 {
			t.Errorf("%s: got %d blocks, want 6", test.name, info.Blocks)
		}
	}
	if n.Starts() != 3 {
		t.Errorf("starts: got %d, want 3", n.Starts())
	}
	if err := n.Kill(); err != nil {
		t.Fatalf("kill: %v", err)
	}
	if code, ok := n.ExitCode(); !ok || code != -1 {
		t.Errorf("exit code after kill: got %d, %v; want -1, true", code, ok)
	}
}

// TestTLS talks to a node over TLS with the certificate it generated.
func TestTLS(t *testing.T) {
	cfg := testConfig(t)
	cfg.TLS = true
	cfg.NoListen = true
	n := StartTest(t, cfg)
	if _, err := os.Stat(n.CertFile()); err != nil {
		t.Fatalf("certificate: %v", err)
	}
	if n.P2PAddr() != "" {
		t.Errorf("P2P address with NoListen: got %q, want none", n.P2PAddr())
	}
	if _, err := n.GetSyncInfo(); err != nil {
		t.Fatalf("getsyncinfo over TLS: %v", err)
	}
}

// TestTwoNodes connects two nodes with addnode and waits for the block.
func TestTwoNodes(t *testing.T) {
	a := StartTest(t, testConfig(t))
	b := StartTest(t, testConfig(t))
	hashes, err := a.Generate(2)
	if err != nil {
		t.Fatalf("generate: %v", err)
	}
	if err := b.AddNode(a.P2PAddr()); err != nil {
		t.Fatalf("addnode: %v", err)
	}
	waitFor(t, func() bool {
		info, err := b.GetDAGInfo()
		return err == nil && info.Blocks == 3
	})
	blk, err := b.GetBlock(hashes[1], 1)
	if err != nil || blk.Hash != hashes[1] {
		t.Fatalf("getblock on the peer: got %v, %v", blk, err)
	}
	order, err := b.GetDAGOrder()
	if err != nil || len(order) != 3 {
		t.Fatalf("order: got %d blocks, %v; want 3", len(order), err)
	}
	peers, err := b.GetPeerInfo()
	if err != nil || len(peers) != 1 {
		t.Fatalf("getpeerinfo: got %v, %v; want one peer", peers, err)
	}
}

// TestStartErrors checks that a process that cannot start is reported with
// its exit code and output, and that bad configs are refused.
func TestStartErrors(t *testing.T) {
	home := t.TempDir()
	tests := []struct {
		name   string
		cfg    *Config
		kind   error
		output string
	}{
		{"nil config", nil, ErrInvalidConfig, ""},
		{"no binary", &Config{HomeDir: home}, ErrInvalidConfig, ""},
		{"missing binary", &Config{Binary: filepath.Join(home, "nope"), HomeDir: home},
			ErrInvalidConfig, ""},
		{"mainnet", &Config{Binary: bins.Soterd, HomeDir: home, Network: "mainnet"},
			ErrInvalidConfig, ""},
		{"no home", &Config{Binary: bins.Soterd}, ErrInvalidConfig, ""},
		{"unknown option", &Config{Binary: bins.Soterd, HomeDir: t.TempDir(),
			ConfLines: []string{"bogusoption=1"}}, ErrExited, "bogusoption"},
		{"bad value", &Config{Binary: bins.Soterd, HomeDir: t.TempDir(),
			ExtraArgs: []string{"--maxpeers=many"}}, ErrExited, "maxpeers"},
	}
	for _, test := range tests {
		n, err := Start(test.cfg)
		if n != nil {
			n.Kill()
			t.Errorf("%s: got a node, want an error", test.name)
			continue
		}
		if !errors.Is(err, test.kind) {
			t.Errorf("%s: got %v, want %v", test.name, err, test.kind)
			continue
		}
		var perr Error
		if !errors.As(err, &perr) {
			t.Errorf("%s: got %T, want Error", test.name, err)
			continue
		}
		if test.kind == ErrExited {
			if perr.ExitCode == 0 {
				t.Errorf("%s: exit code 0, want non-zero", test.name)
			}
			if !strings.Contains(perr.Output, test.output) {
				t.Errorf("%s: output %q does not name %q", test.name, perr.Output, test.output)
			}
		}
	}
}

// fakeTB records what StartTest does with a TB.
type fakeTB struct {
	failed   bool
	cleanups []func()
	logs     []string
	fatal    string
}

func (f *fakeTB) Helper()                                   {}
func (f *fakeTB) Name() string                              { return "fake/test" }
func (f *fakeTB) Cleanup(fn func())                         { f.cleanups = append(f.cleanups, fn) }
func (f *fakeTB) Failed() bool                              { return f.failed }
func (f *fakeTB) Fatalf(format string, args ...interface{}) { f.fatal = format }
func (f *fakeTB) Logf(format string, args ...interface{})   { f.logs = append(f.logs, format) }

// TestStartTestCleanup checks that the cleanup stops the node and, on a
// failed test, keeps its log.
func TestStartTestCleanup(t *testing.T) {
	keep := t.TempDir()
	t.Setenv(KeepLogsEnv, keep)
	tb := &fakeTB{failed: true}
	n := StartTest(tb, testConfig(t))
	if n == nil || len(tb.cleanups) != 1 {
		t.Fatalf("StartTest: node %v, %d cleanups; want a node and one cleanup", n, len(tb.cleanups))
	}
	tb.cleanups[0]()
	if n.Running() {
		t.Fatalf("node still running after the cleanup")
	}
	if len(tb.logs) == 0 {
		t.Errorf("failed test: no output logged")
	}
	entries, err := os.ReadDir(keep)
	if err != nil || len(entries) != 1 || !strings.HasPrefix(entries[0].Name(), "fake_test-") {
		t.Fatalf("kept logs: got %v, %v; want one fake_test- file", entries, err)
	}

	bad := &fakeTB{}
	if n := StartTest(bad, &Config{}); n != nil || bad.fatal == "" {
		t.Errorf("StartTest with a bad config: got %v, fatal %q; want nil and a failure", n, bad.fatal)
	}
}
