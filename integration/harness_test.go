package integration

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/soterdag/soterd/internal/procnode"
	"github.com/soterdag/soterd/keys"
	"github.com/soterdag/soterd/rpcmodel"
)

// longFlag and SOTERD_LONG=1 select the long variants of the tests.
var longFlag = flag.Bool("long", false, "run the long variants of the integration tests")

// bins are the binaries TestMain builds once for every test.
var bins *procnode.Binaries

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

// runTests builds soterd, soterctl, sotertx and sotermine into a temporary
// directory, runs the tests and removes the directory.
func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "soterd-integration-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	bins, err = procnode.Build(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// isLong reports whether the long variants run.
func isLong() bool {
	return *longFlag || os.Getenv("SOTERD_LONG") == "1"
}

// pick returns short in the default run and long in the long run.
func pick[T any](short, long T) T {
	if isLong() {
		return long
	}
	return short
}

// newRand returns the test's random source, seeded by SOTERD_SEED or the
// clock, and logs the seed so a failing run can be repeated.
func newRand(t *testing.T) *rand.Rand {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("SOTERD_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("SOTERD_SEED=%q: %v", s, err)
		}
		seed = v
	}
	t.Logf("random seed %d (repeat with SOTERD_SEED=%d)", seed, seed)
	return rand.New(rand.NewPCG(seed, seed^0x5eed))
}

// nodeOptions adjust a node's Config before it starts.
type nodeOption func(cfg *procnode.Config)

// withArgs appends command-line options.
func withArgs(args ...string) nodeOption {
	return func(cfg *procnode.Config) { cfg.ExtraArgs = append(cfg.ExtraArgs, args...) }
}

// withMiningKey makes the node pay mined coins to pub.
func withMiningKey(pub [32]byte) nodeOption {
	return withArgs("--miningaddr=" + keys.EncodePubKeyHex(pub))
}

// withTLS serves RPC over TLS.
func withTLS() nodeOption {
	return func(cfg *procnode.Config) { cfg.TLS = true }
}

// baseArgs keep the topology the test's own: no automatic outbound peers
// (regtest allows local addresses, so nodes would find each other through
// addr messages), and the miner's one worker leaves CPU for the others.
var baseArgs = []string{"--targetoutbound=0", "--miningworkers=1"}

// startNode starts a regtest node in a temporary home. It is stopped when
// the test ends, and its log is then searched for errors and panics.
func startNode(t *testing.T, opts ...nodeOption) *procnode.Node {
	t.Helper()
	cfg := &procnode.Config{
		Binary:    bins.Soterd,
		HomeDir:   t.TempDir(),
		ExtraArgs: append([]string(nil), baseArgs...),
	}
	for _, opt := range opts {
		opt(cfg)
	}
	// Registered before StartTest's cleanup, so it runs after the node
	// stopped and sees the shutdown's lines too.
	logFile := cfg.HomeDir + "/" + procnode.DefaultLogFilename
	t.Cleanup(func() { checkLog(t, logFile) })
	return procnode.StartTest(t, cfg)
}

// startNodes starts n nodes with the same options.
func startNodes(t *testing.T, n int, opts ...nodeOption) []*procnode.Node {
	t.Helper()
	nodes := make([]*procnode.Node, n)
	for i := range nodes {
		nodes[i] = startNode(t, opts...)
	}
	return nodes
}

// badLogMarkers are log contents that mean a bug in the node: the error and
// critical levels are for the node's own bugs (STYLE.md), and a panic or a
// fatal runtime error is one.
var badLogMarkers = []string{" [ERR] ", " [CRT] ", "panic:", "fatal error:", "DATA RACE"}

// checkLog fails the test for every line of a node's log that shows a bug,
// quoting up to ten of them.
func checkLog(t *testing.T, path string) {
	f, err := os.Open(path)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			t.Errorf("read log %s: %v", path, err)
		}
		return
	}
	defer f.Close()
	var bad []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		for _, m := range badLogMarkers {
			if strings.Contains(line, m) {
				bad = append(bad, line)
				break
			}
		}
	}
	if len(bad) > 0 {
		t.Errorf("log %s has %d error lines, first ones:\n%s", path, len(bad),
			strings.Join(bad[:min(len(bad), 10)], "\n"))
	}
}

// connect makes from keep a connection to to (addnode add) and waits until
// from lists it as a peer.
func connect(t *testing.T, from, to *procnode.Node) {
	t.Helper()
	if err := from.AddNode(to.P2PAddr()); err != nil {
		t.Fatalf("addnode %s: %v", to.P2PAddr(), err)
	}
	waitFor(t, 30*time.Second, "connection to "+to.P2PAddr(), func() (bool, error) {
		return hasPeer(from, to.P2PAddr())
	})
}

// hasPeer reports whether n has a peer at addr.
func hasPeer(n *procnode.Node, addr string) (bool, error) {
	peers, err := n.GetPeerInfo()
	if err != nil {
		return false, err
	}
	for _, p := range peers {
		if p.Addr == addr {
			return true, nil
		}
	}
	return false, nil
}

// waitFor polls cond every 100 ms until it holds, failing the test after
// timeout with the last error.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var lastErr error
	for {
		ok, err := cond()
		if ok {
			return
		}
		if err != nil {
			lastErr = err
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not reached within %v (last error: %v)", what, timeout, lastErr)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// dagState is what nodes that agree on the DAG have in common.
type dagState struct {
	Blocks     uint64
	Tips       []string
	Commitment string
	UTXOCount  uint64
	BlueScore  uint64
	Selected   string
}

// String prints the state compactly for failure messages.
func (s dagState) String() string {
	return fmt.Sprintf("blocks %d, %d tips, blue score %d, selected %.12s, utxo %d %.12s",
		s.Blocks, len(s.Tips), s.BlueScore, s.Selected, s.UTXOCount, s.Commitment)
}

// equal reports whether two states are the same.
func (s dagState) equal(o dagState) bool {
	return s.Blocks == o.Blocks && slices.Equal(s.Tips, o.Tips) &&
		s.Commitment == o.Commitment && s.UTXOCount == o.UTXOCount &&
		s.BlueScore == o.BlueScore && s.Selected == o.Selected
}

// stateOf reads a node's DAG state.
func stateOf(n *procnode.Node) (dagState, error) {
	info, err := n.GetDAGInfo()
	if err != nil {
		return dagState{}, err
	}
	tips := slices.Clone(info.TipHashes)
	slices.Sort(tips)
	return dagState{
		Blocks:     info.Blocks,
		Tips:       tips,
		Commitment: info.UTXOCommitment,
		UTXOCount:  info.UTXOCount,
		BlueScore:  info.BlueScore,
		Selected:   info.VirtualSelectedParent,
	}, nil
}

// settled reports whether a node has nothing left to fetch: not in sync
// mode, no orphans, no requested blocks.
func settled(n *procnode.Node) (bool, *rpcmodel.GetSyncInfoResult, error) {
	si, err := n.GetSyncInfo()
	if err != nil {
		return false, nil, err
	}
	return !si.InSyncMode && si.Orphans == 0 && si.RequestedBlocks == 0, si, nil
}

// waitConverged waits until every node has the same DAG state, has settled,
// and the state held for two polls in a row, and returns the state. On
// timeout it fails the test with every node's state.
func waitConverged(t *testing.T, timeout time.Duration, nodes ...*procnode.Node) dagState {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var prev *dagState
	for {
		states := make([]dagState, len(nodes))
		report := make([]string, len(nodes))
		same, allSettled := true, true
		var err error
		for i, n := range nodes {
			states[i], err = stateOf(n)
			if err != nil {
				break
			}
			ok, si, serr := settled(n)
			if serr != nil {
				err = serr
				break
			}
			allSettled = allSettled && ok
			same = same && states[i].equal(states[0])
			report[i] = fmt.Sprintf("node %d (%s): %v; sync mode %v, orphans %d, requested %d, current %v",
				i, n.P2PAddr(), states[i], si.InSyncMode, si.Orphans, si.RequestedBlocks, si.IsCurrent)
		}
		if err == nil && same && allSettled {
			if prev != nil && prev.equal(states[0]) {
				return states[0]
			}
			s := states[0]
			prev = &s
		} else {
			prev = nil
		}
		if time.Now().After(deadline) {
			t.Fatalf("nodes did not converge within %v (last error %v):\n%s", timeout, err,
				strings.Join(report, "\n"))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// checkSameOrder compares the whole GHOSTDAG order, with colors and
// accepting blocks, of every node with the first's, and returns it.
func checkSameOrder(t *testing.T, nodes ...*procnode.Node) []rpcmodel.ColoredBlock {
	t.Helper()
	want, err := nodes[0].GetDAGOrder()
	if err != nil {
		t.Fatalf("order of node 0: %v", err)
	}
	for i, n := range nodes[1:] {
		got, err := n.GetDAGOrder()
		if err != nil {
			t.Fatalf("order of node %d: %v", i+1, err)
		}
		if len(got) != len(want) {
			t.Fatalf("node %d orders %d blocks, node 0 %d", i+1, len(got), len(want))
		}
		for j := range want {
			if got[j] != want[j] {
				t.Fatalf("node %d differs from node 0 at position %d: %+v, want %+v",
					i+1, j, got[j], want[j])
			}
		}
	}
	for j, b := range want {
		if b.Index != uint64(j) {
			t.Fatalf("order position %d has index %d", j, b.Index)
		}
	}
	return want
}

// newKey returns a fresh key pair for coins the test controls.
func newKey(t *testing.T) (*btcec.PrivateKey, [32]byte) {
	t.Helper()
	priv, pub, err := keys.GenerateKey()
	if err != nil {
		t.Fatalf("generate key: %v", err)
	}
	return priv, pub
}

// soterctl runs the soterctl binary against a node and returns its standard
// output; a non-zero exit fails the test.
func soterctl(t *testing.T, n *procnode.Node, args ...string) string {
	t.Helper()
	out, errOut, err := runSoterctl(n, args...)
	if err != nil {
		t.Fatalf("soterctl %s: %v\n%s", strings.Join(args, " "), err, errOut)
	}
	return out
}

// runSoterctl runs soterctl with the node's address, certificate and conf
// file (for the credentials) and returns its output and error output.
func runSoterctl(n *procnode.Node, args ...string) (string, string, error) {
	cfg := n.Config()
	full := []string{"--" + cfg.Network, "-C", os.DevNull,
		"--soterdconfig=" + n.ConfFile(), "-s", n.RPCAddr()}
	if cfg.TLS {
		full = append(full, "-c", n.CertFile())
	} else {
		full = append(full, "--notls")
	}
	cmd := exec.Command(bins.Soterctl, append(full, args...)...)
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	return out.String(), errOut.String(), err
}
