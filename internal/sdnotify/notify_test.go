package sdnotify

import (
	"errors"
	"net"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// listen opens a unixgram socket standing in for systemd's and returns its
// path and a channel of the datagrams it receives.
func listen(t *testing.T, path string) <-chan string {
	t.Helper()
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatalf("listen on %s: %v", path, err)
	}
	out := make(chan string, 100)
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			out <- string(buf[:n])
		}
	}()
	t.Cleanup(func() {
		conn.Close()
		<-done
	})
	return out
}

// next returns the next datagram or fails after a timeout.
func next(t *testing.T, got <-chan string) string {
	t.Helper()
	select {
	case msg := <-got:
		return msg
	case <-time.After(5 * time.Second):
		t.Fatal("no datagram within 5s")
		return ""
	}
}

// TestSend checks single messages to a path and an abstract socket, and
// the cases that send nothing or fail.
func TestSend(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notify")
	got := listen(t, path)
	if err := Send(path, "READY=1"); err != nil {
		t.Fatalf("send: %v", err)
	}
	if msg := next(t, got); msg != "READY=1" {
		t.Errorf("got %q, want READY=1", msg)
	}

	abstract := "@soterd-sdnotify-test-" + filepath.Base(t.TempDir())
	gotAbstract := listen(t, abstract)
	if err := Send(abstract, "STATUS=hello"); err != nil {
		t.Fatalf("send to abstract socket: %v", err)
	}
	if msg := next(t, gotAbstract); msg != "STATUS=hello" {
		t.Errorf("abstract: got %q", msg)
	}

	if err := Send("", "READY=1"); err != nil {
		t.Errorf("no socket: got %v, want nil", err)
	}
	if err := Send(path, ""); !errors.Is(err, ErrBadMessage) {
		t.Errorf("empty message: got %v, want ErrBadMessage", err)
	}
	if err := Send(filepath.Join(t.TempDir(), "missing"), "READY=1"); !errors.Is(err, ErrSend) {
		t.Errorf("missing socket: got %v, want ErrSend", err)
	}
}

// TestWatchdogInterval checks the reading of systemd's watchdog variables.
func TestWatchdogInterval(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    time.Duration
		wantErr bool
	}{
		{"none", nil, 0, false},
		{"ours", map[string]string{"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "42"}, 30 * time.Second, false},
		{"no pid", map[string]string{"WATCHDOG_USEC": "1000"}, time.Millisecond, false},
		{"another process", map[string]string{"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "7"}, 0, false},
		{"zero", map[string]string{"WATCHDOG_USEC": "0"}, 0, true},
		{"garbage", map[string]string{"WATCHDOG_USEC": "soon"}, 0, true},
		{"bad pid", map[string]string{"WATCHDOG_USEC": "5", "WATCHDOG_PID": "x"}, 0, true},
	}
	for _, test := range tests {
		got, err := WatchdogInterval(func(k string) string { return test.env[k] }, 42)
		if got != test.want || (err != nil) != test.wantErr {
			t.Errorf("%s: got %v, %v; want %v, error %v", test.name, got, err, test.want, test.wantErr)
		}
		if err != nil && !errors.Is(err, ErrBadEnv) {
			t.Errorf("%s: error %v is not ErrBadEnv", test.name, err)
		}
	}
}

// TestNotifier checks the whole conversation: READY=1 with the first
// status, refreshed statuses with line breaks removed, watchdog pings, and
// STOPPING=1 on Stop, after which nothing more is sent.
func TestNotifier(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notify")
	got := listen(t, path)
	var calls atomic.Int32
	n := New(&Config{
		Socket:   path,
		Watchdog: 40 * time.Millisecond,
		Status: func() string {
			c := calls.Add(1)
			if c == 1 {
				return "Loading"
			}
			return "Syncing\nheight 5"
		},
		StatusInterval: 30 * time.Millisecond,
	})
	n.Start()
	n.Start()
	first := next(t, got)
	if !strings.HasPrefix(first, "READY=1\nMAINPID=") || !strings.HasSuffix(first, "\nSTATUS=Loading") {
		t.Errorf("first message %q, want READY=1, MAINPID and the status", first)
	}
	var sawStatus, sawWatchdog bool
	for !(sawStatus && sawWatchdog) {
		switch msg := next(t, got); msg {
		case "STATUS=Syncing height 5":
			sawStatus = true
		case "WATCHDOG=1":
			sawWatchdog = true
		default:
			t.Fatalf("unexpected message %q", msg)
		}
	}
	n.Stop()
	n.Stop()
	for {
		msg := next(t, got)
		if msg == "STOPPING=1" {
			break
		}
		if msg != "WATCHDOG=1" && msg != "STATUS=Syncing height 5" {
			t.Fatalf("unexpected message %q before STOPPING=1", msg)
		}
	}
	select {
	case msg := <-got:
		t.Errorf("message %q after STOPPING=1", msg)
	case <-time.After(150 * time.Millisecond):
	}
}

// TestNotifierOff checks that without a socket nothing runs and Stop
// returns, with or without Start.
func TestNotifierOff(t *testing.T) {
	n := New(&Config{Status: func() string { t.Error("status called"); return "" }})
	n.Start()
	n.Stop()
	New(&Config{Socket: "/nonexistent"}).Stop()
}
