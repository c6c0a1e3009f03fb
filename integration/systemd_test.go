package integration

import (
	"net"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSystemdNotify runs a daemon the way a Type=notify unit does, with
// $NOTIFY_SOCKET and $WATCHDOG_USEC pointing at the test, and checks that
// it says READY=1 once its RPC server answers, sends status lines and
// watchdog pings, and says STOPPING=1 when told to stop.
func TestSystemdNotify(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	msgs := make(chan string, 1000)
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			msgs <- string(buf[:n])
		}
	}()
	t.Cleanup(func() {
		conn.Close()
		<-done
	})
	// The daemon inherits the environment; 2 s makes a ping every 1 s.
	t.Setenv("NOTIFY_SOCKET", sock)
	t.Setenv("WATCHDOG_USEC", "2000000")

	n := startNode(t)
	next := func(what string) string {
		t.Helper()
		select {
		case m := <-msgs:
			return m
		case <-time.After(30 * time.Second):
			t.Fatalf("no %s from the daemon within 30s", what)
			return ""
		}
	}
	ready := next("READY=1")
	if !strings.HasPrefix(ready, "READY=1\n") || !strings.Contains(ready, "\nSTATUS=") {
		t.Fatalf("first message %q, want READY=1 with a status", ready)
	}
	if _, err := n.GetDAGInfo(); err != nil {
		t.Fatalf("RPC after READY=1: %v", err)
	}
	var sawPing, sawStatus bool
	for !(sawPing && sawStatus) {
		m := next("watchdog ping and status")
		sawPing = sawPing || m == "WATCHDOG=1"
		sawStatus = sawStatus || strings.HasPrefix(m, "STATUS=No peers; max height 0")
	}
	if code, err := n.Stop(); err != nil || code != 0 {
		t.Fatalf("stop: exit code %d, %v", code, err)
	}
	for {
		m := next("STOPPING=1")
		if m == "STOPPING=1" {
			break
		}
	}
}

// TestDoubleInterrupt sends two SIGINTs at once, as `timeout -s INT` does
// (to the process and to its group), and checks that the daemon still
// shuts down cleanly.
func TestDoubleInterrupt(t *testing.T) {
	n := startNode(t)
	pid := n.PID()
	for i := 0; i < 2; i++ {
		if err := syscall.Kill(pid, syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-n.Done():
	case <-time.After(cleanStopLimit):
		t.Fatalf("still running %v after two SIGINTs", cleanStopLimit)
	}
	code, _ := n.ExitCode()
	if code != 0 || !strings.Contains(n.OutputTail(5), "Shutdown complete") {
		t.Errorf("exit code %d, last lines:\n%s\nwant 0 and a clean shutdown", code, n.OutputTail(5))
	}
}
