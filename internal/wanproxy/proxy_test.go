package wanproxy

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// echoServer accepts connections on a loopback port and echoes what they
// send until the test ends.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				io.Copy(c, c)
				c.Close()
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String()
}

// startProxy starts a proxy to target that the test closes.
func startProxy(t *testing.T, cfg *Config) *Proxy {
	t.Helper()
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// dial connects to the proxy.
func dial(t *testing.T, p *Proxy) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestConfigErrors checks that a config the proxy cannot run with is
// refused with ErrInvalidConfig.
func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{name: "no target", cfg: Config{}},
		{name: "negative delay", cfg: Config{Target: "127.0.0.1:1", Delay: -time.Second}},
		{name: "negative jitter", cfg: Config{Target: "127.0.0.1:1", Jitter: -time.Second}},
		{name: "negative bandwidth", cfg: Config{Target: "127.0.0.1:1", Mbit: -1}},
		{name: "negative buffer", cfg: Config{Target: "127.0.0.1:1", MaxBuffered: -1}},
	}
	for _, test := range tests {
		p, err := New(&test.cfg)
		if !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%s: got %v, want ErrInvalidConfig", test.name, err)
		}
		if p != nil {
			p.Close()
		}
	}
}

// TestDelay checks that a round trip through the proxy takes at least
// twice the one-way delay.
func TestDelay(t *testing.T) {
	const delay = 60 * time.Millisecond
	p := startProxy(t, &Config{Target: echoServer(t), Delay: delay})
	c := dial(t, p)
	buf := make([]byte, 4)
	for i := range 3 {
		start := time.Now()
		if _, err := c.Write([]byte("ping")); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(c, buf); err != nil {
			t.Fatal(err)
		}
		if rtt := time.Since(start); rtt < 2*delay {
			t.Errorf("round trip %d: got %v, want at least %v", i, rtt, 2*delay)
		}
	}
	p.SetDelay(0, 0)
	if _, err := c.Write([]byte("pong")); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "pong" {
		t.Fatalf("after removing the delay: got %q, %v", buf, err)
	}
}

// TestBandwidthAndIntegrity sends random bytes through a capped, jittery
// link and checks that they come back whole, in order, and no faster than
// the cap allows.
func TestBandwidthAndIntegrity(t *testing.T) {
	const (
		size = 256 << 10
		mbit = 8 // 1 MB/s each way
	)
	p := startProxy(t, &Config{Target: echoServer(t), Delay: 5 * time.Millisecond,
		Jitter: 5 * time.Millisecond, Mbit: mbit, MaxBuffered: 64 << 10})
	c := dial(t, p)
	data := make([]byte, size)
	rand.Read(data)
	start := time.Now()
	errc := make(chan error, 1)
	go func() {
		_, err := c.Write(data)
		errc <- err
	}()
	got := make([]byte, size)
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Fatal("bytes changed on the way")
	}
	// Each direction serialises size bytes at the cap; the echo
	// overlaps them, so the floor is one direction's time.
	floor := time.Duration(float64(size) / (mbit * 1e6 / 8) * float64(time.Second))
	if took := time.Since(start); took < floor*9/10 {
		t.Errorf("%d bytes at %d Mbit/s: took %v, want at least %v", size, mbit, took, floor)
	}
	// The counters move just after each write, so give the last one a
	// moment.
	deadline := time.Now().Add(5 * time.Second)
	for up, down := p.Bytes(); (up != size || down != size) && time.Now().Before(deadline); up, down = p.Bytes() {
		time.Sleep(5 * time.Millisecond)
	}
	if up, down := p.Bytes(); up != size || down != size {
		t.Errorf("bytes counted: up %d down %d, want %d each", up, down, size)
	}
}

// TestCut checks that Cut closes the open connections at once and refuses
// new ones until Restore.
func TestCut(t *testing.T) {
	p := startProxy(t, &Config{Target: echoServer(t), Delay: time.Second})
	c := dial(t, p)
	if _, err := c.Write([]byte("lost")); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for p.Connections() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	p.Cut()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := c.Read(make([]byte, 4)); err == nil || isTimeout(err) {
		t.Fatalf("read after the cut: got %d bytes, %v; want the connection closed", n, err)
	}
	c2 := dial(t, p)
	c2.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c2.Read(make([]byte, 1)); err == nil {
		t.Fatal("a connection made while cut was not closed")
	}
	p.Restore()
	p.SetDelay(0, 0)
	c3 := dial(t, p)
	if _, err := c3.Write([]byte("back")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	c3.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(c3, buf); err != nil || string(buf) != "back" {
		t.Fatalf("after Restore: got %q, %v", buf, err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

// isTimeout reports whether err is a read deadline passing, which is not
// a closed connection.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
