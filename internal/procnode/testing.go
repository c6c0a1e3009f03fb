package procnode

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// KeepLogsEnv names an environment variable: when it holds a directory, the
// output log of every node of a failed test is copied there, so a failure
// in CI leaves evidence after the test's temporary directories are gone.
const KeepLogsEnv = "PROCNODE_KEEP_LOGS"

// failureTailLines is how much of a node's output a failed test prints.
const failureTailLines = 40

// TB is the part of testing.TB that StartTest uses; *testing.T and
// *testing.B satisfy it. Package procnode does not import testing so that
// tools can use it.
type TB interface {
	Helper()
	Name() string
	Cleanup(func())
	Failed() bool
	Fatalf(format string, args ...interface{})
	Logf(format string, args ...interface{})
}

// StartTest starts a node for a test and registers a cleanup that stops it
// (SIGTERM, then SIGKILL) whatever the outcome, and that, when the test
// failed, logs the tail of the node's output and copies its log into
// $PROCNODE_KEEP_LOGS if that is set. A start failure fails the test.
func StartTest(tb TB, cfg *Config) *Node {
	tb.Helper()
	n, err := Start(cfg)
	if err != nil {
		tb.Fatalf("start soterd: %v", err)
		return nil
	}
	tb.Cleanup(func() { n.cleanup(tb) })
	return n
}

// cleanup stops the node after a test and leaves evidence of a failure.
func (n *Node) cleanup(tb TB) {
	if n.Running() {
		if _, err := n.Stop(); err != nil {
			tb.Logf("stop %s: %v", n.HomeDir(), err)
		}
	}
	if !tb.Failed() {
		return
	}
	tb.Logf("soterd %s (pid %d, log %s), last output:\n%s", n.HomeDir(),
		n.PID(), n.LogFile(), n.OutputTail(failureTailLines))
	dir := os.Getenv(KeepLogsEnv)
	if dir == "" {
		return
	}
	name := strings.NewReplacer("/", "_", " ", "_").Replace(tb.Name()) + "-" +
		filepath.Base(n.HomeDir()) + ".log"
	if err := copyFile(n.LogFile(), filepath.Join(dir, name)); err != nil {
		tb.Logf("keep log: %v", err)
	}
}

// copyFile copies src to dst, creating dst's directory.
func copyFile(src, dst string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(dst, data, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", dst, err)
	}
	return nil
}
