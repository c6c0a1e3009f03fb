package node

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/btcsuite/btclog"
)

// dnsServer is a minimal authoritative DNS server on 127.0.0.1 for the
// seeding tests: it answers A queries for the names in records, an empty
// answer for other types of those names, and NXDOMAIN for the rest.
type dnsServer struct {
	conn    net.PacketConn
	records map[string][]net.IP // lower-case name with the final dot
	queries atomic.Int32
	done    chan struct{}
}

// DNS wire constants the test server needs (RFC 1035).
const (
	dnsHeaderLen  = 12
	dnsTypeA      = 1
	dnsClassIN    = 1
	dnsFlagsReply = 0x8400 // QR and AA
	dnsRcodeNX    = 3
)

func startDNSServer(t *testing.T, records map[string][]net.IP) *dnsServer {
	t.Helper()
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	d := &dnsServer{conn: conn, records: records, done: make(chan struct{})}
	go d.serve()
	t.Cleanup(func() {
		conn.Close()
		<-d.done
	})
	return d
}

func (d *dnsServer) serve() {
	defer close(d.done)
	buf := make([]byte, 512)
	for {
		n, from, err := d.conn.ReadFrom(buf)
		if err != nil {
			return
		}
		if reply := d.answer(buf[:n]); reply != nil {
			d.conn.WriteTo(reply, from)
		}
	}
}

// answer builds the reply to one query, nil for a malformed one.
func (d *dnsServer) answer(q []byte) []byte {
	if len(q) < dnsHeaderLen || binary.BigEndian.Uint16(q[4:]) != 1 {
		return nil
	}
	// The question: labels up to the root, then type and class.
	var name strings.Builder
	off := dnsHeaderLen
	for {
		if off >= len(q) {
			return nil
		}
		l := int(q[off])
		off++
		if l == 0 {
			break
		}
		if l > 63 || off+l > len(q) {
			return nil
		}
		name.Write(bytes.ToLower(q[off : off+l]))
		name.WriteByte('.')
		off += l
	}
	if off+4 > len(q) {
		return nil
	}
	qtype := binary.BigEndian.Uint16(q[off:])
	question := q[dnsHeaderLen : off+4]
	d.queries.Add(1)

	ips, known := d.records[name.String()]
	flags := uint16(dnsFlagsReply)
	if !known {
		flags |= dnsRcodeNX
	}
	var answers [][]byte
	if qtype == dnsTypeA {
		for _, ip := range ips {
			rr := []byte{0xc0, dnsHeaderLen} // pointer to the question's name
			rr = binary.BigEndian.AppendUint16(rr, dnsTypeA)
			rr = binary.BigEndian.AppendUint16(rr, dnsClassIN)
			rr = binary.BigEndian.AppendUint32(rr, 60)
			rr = binary.BigEndian.AppendUint16(rr, 4)
			answers = append(answers, append(rr, ip.To4()...))
		}
	}
	reply := make([]byte, 0, 512)
	reply = append(reply, q[0], q[1]) // the query's id
	reply = binary.BigEndian.AppendUint16(reply, flags)
	reply = binary.BigEndian.AppendUint16(reply, 1)
	reply = binary.BigEndian.AppendUint16(reply, uint16(len(answers)))
	reply = binary.BigEndian.AppendUint32(reply, 0)
	reply = append(reply, question...)
	for _, a := range answers {
		reply = append(reply, a...)
	}
	return reply
}

// resolver returns a resolver that asks only d.
func (d *dnsServer) resolver() *net.Resolver {
	addr := d.conn.LocalAddr().String()
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var dialer net.Dialer
		return dialer.DialContext(ctx, "udp", addr)
	}}
}

// TestDNSServerHarness checks the test server itself through Go's resolver,
// so a seeding failure is not the harness's.
func TestDNSServerHarness(t *testing.T) {
	d := startDNSServer(t, map[string][]net.IP{"seed.example.": {net.IPv4(10, 0, 0, 1)}})
	hosts, err := d.resolver().LookupHost(context.Background(), "seed.example.")
	if err != nil || len(hosts) != 1 || hosts[0] != "10.0.0.1" {
		t.Errorf("lookup: %v, %v; want [10.0.0.1]", hosts, err)
	}
	_, err = d.resolver().LookupHost(context.Background(), "other.example.")
	var dnsErr *net.DNSError
	if !errors.As(err, &dnsErr) || !dnsErr.IsNotFound {
		t.Errorf("unknown name: got %v, want not found", err)
	}
}

// logBuffer collects log lines for a test; safe for concurrent writes.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// captureLog sends the node's log at info and above to a buffer until the
// test ends.
func captureLog(t *testing.T) *logBuffer {
	var out logBuffer
	l := btclog.NewBackend(&out).Logger("SRVR")
	l.SetLevel(btclog.LevelInfo)
	UseLogger(l)
	t.Cleanup(func() { UseLogger(btclog.Disabled) })
	return &out
}

// TestDNSSeeding checks that a node with an empty address book asks its
// network's DNS seeds, puts their addresses in the book with the network's
// port, skips a seed that does not resolve, and that --nodnsseed and
// --connect keep it from asking.
func TestDNSSeeding(t *testing.T) {
	seeds := map[string][]net.IP{
		"seed1.soterd.test.": {net.IPv4(127, 0, 0, 2), net.IPv4(127, 0, 0, 3)},
		"seed2.soterd.test.": {net.IPv4(127, 0, 0, 3), net.IPv4(127, 0, 0, 4)},
	}
	tests := []struct {
		name      string
		noSeed    bool
		connect   []string
		wantAddrs int
	}{
		{name: "seeded", wantAddrs: 3},
		{name: "nodnsseed", noSeed: true},
		{name: "connect only", connect: []string{"127.0.0.1:1"}},
	}
	// Set once: a node's goroutines read the package logger until it
	// stops.
	out := captureLog(t)
	for _, test := range tests {
		d := startDNSServer(t, seeds)
		params := testParams()
		params.DNSSeeds = []string{"seed1.soterd.test.", "missing.soterd.test.", "seed2.soterd.test."}
		n := newTestNode(t, nodeOptions{params: params, mutate: func(c *Config) {
			c.TargetOutbound = 2
			c.NoDNSSeed = test.noSeed
			c.ConnectPeers = test.connect
			c.Resolver = d.resolver()
		}})
		if test.wantAddrs > 0 {
			waitFor(t, 10*time.Second, test.name+": seeded addresses", func() bool {
				return n.addrManager.NumAddresses() == test.wantAddrs
			})
			for _, na := range n.addrManager.AddressCache() {
				if na.Port != 18931 {
					t.Errorf("%s: address %v has port %d, want the network's 18931", test.name, na.IP, na.Port)
				}
			}
			logText := out.String()
			if !strings.Contains(logText, "DNS seed seed1.soterd.test. gave 2 addresses, 2 new") ||
				!strings.Contains(logText, "DNS seed missing.soterd.test.") {
				t.Errorf("%s: log does not report the seeds:\n%s", test.name, logText)
			}
			n.Stop()
			continue
		}
		time.Sleep(300 * time.Millisecond)
		if q := d.queries.Load(); q != 0 || n.addrManager.NumAddresses() != 0 {
			t.Errorf("%s: %d DNS queries, %d addresses; want none", test.name, q, n.addrManager.NumAddresses())
		}
		n.Stop()
	}
}

// TestNoPeersWarning checks that a node that wants peers and has none
// warns, with what to do, and that a network without DNS seeds says so at
// start.
func TestNoPeersWarning(t *testing.T) {
	out := captureLog(t)
	newTestNode(t, nodeOptions{mutate: func(c *Config) {
		c.TargetOutbound = 1
		c.DiscoveryInterval = 20 * time.Millisecond
		c.NoPeersWarning = 100 * time.Millisecond
	}})
	waitFor(t, 5*time.Second, "no peers warning", func() bool {
		return strings.Contains(out.String(), "No peers for")
	})
	logText := out.String()
	for _, want := range []string{
		"The regtest network has no DNS seeds and the address book is empty",
		"--addpeer=host:port",
		"outbound TCP to port 18931",
	} {
		if !strings.Contains(logText, want) {
			t.Errorf("log lacks %q:\n%s", want, logText)
		}
	}
	if strings.Count(logText, "No peers for") != 1 {
		t.Errorf("warning repeated before %v:\n%s", noPeersRepeat, logText)
	}
}

// TestDialFailuresRateLimited checks that failed dials take one line at
// once and then at most one summary line per interval.
func TestDialFailuresRateLimited(t *testing.T) {
	var lines []string
	d := &dialFailures{interval: time.Minute, logf: func(f string, a ...interface{}) {
		lines = append(lines, fmt.Sprintf(f, a...))
	}}
	start := time.Unix(1000, 0)
	refused := errors.New("connection refused")
	d.record("192.0.2.1:18911", refused, start)
	for i := 0; i < 100; i++ {
		d.record("192.0.2.2:18911", refused, start.Add(time.Duration(i)*time.Second/10))
	}
	d.flush(start.Add(30 * time.Second))
	if len(lines) != 1 || lines[0] != "Cannot connect to peer 192.0.2.1:18911: connection refused" {
		t.Fatalf("after the burst got %q, want the first failure only", lines)
	}
	d.flush(start.Add(time.Minute))
	want := "Cannot connect to 100 peers in the last 1m0s; the last, 192.0.2.2:18911: connection refused"
	if len(lines) != 2 || lines[1] != want {
		t.Fatalf("after a minute got %q, want %q", lines, want)
	}
	d.flush(start.Add(5 * time.Minute))
	d.record("192.0.2.3:18911", refused, start.Add(5*time.Minute))
	if len(lines) != 3 || !strings.Contains(lines[2], "peer 192.0.2.3:18911") {
		t.Errorf("after a quiet period got %q, want the new failure at once", lines)
	}
}
