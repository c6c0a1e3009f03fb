package connmgr

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/soterdag/soterd/wire"
)

// newTestAddrManager returns an address book on a fake clock.
func newTestAddrManager(t testing.TB, dir string, allowLocal bool) (*AddrManager, *fakeClock) {
	t.Helper()
	am, err := NewAddrManager(dir, wire.SimNet, allowLocal)
	if err != nil {
		t.Fatalf("NewAddrManager: %v", err)
	}
	clock := newFakeClock()
	am.now = clock.now
	return am, clock
}

// routableAddr returns the i-th of many distinct routable addresses.
func routableAddr(i int, ts int64) wire.NetAddress {
	return wire.NetAddress{
		Timestamp: ts,
		Services:  wire.SFNodeNetwork,
		IP:        net.IPv4(11, byte(i>>16), byte(i>>8), byte(i)),
		Port:      18555,
	}
}

// TestIsRoutable checks the routability rules.
func TestIsRoutable(t *testing.T) {
	tests := []struct {
		ip   string
		want bool
	}{
		{"8.8.8.8", true},
		{"11.0.0.1", true},
		{"2a00:1450::1", true},
		{"0.0.0.0", false},
		{"0.1.2.3", false},
		{"127.0.0.1", false},
		{"10.1.2.3", false},
		{"172.16.0.1", false},
		{"192.168.1.1", false},
		{"169.254.1.1", false},
		{"100.64.0.1", false},
		{"192.0.2.1", false},
		{"198.18.0.1", false},
		{"198.51.100.1", false},
		{"203.0.113.1", false},
		{"224.0.0.1", false},
		{"240.0.0.1", false},
		{"255.255.255.255", false},
		{"::", false},
		{"::1", false},
		{"fc00::1", false},
		{"fe80::1", false},
		{"ff02::1", false},
		{"2001:db8::1", false},
		{"100::1", false},
	}
	for _, test := range tests {
		if got := IsRoutable(net.ParseIP(test.ip)); got != test.want {
			t.Errorf("%s: got %v, want %v", test.ip, got, test.want)
		}
	}
	if IsRoutable(nil) {
		t.Errorf("nil IP is routable")
	}
}

// TestAddAddresses checks which gossiped addresses are stored.
func TestAddAddresses(t *testing.T) {
	clock := newFakeClock()
	now := clock.now().Unix()
	tests := []struct {
		name       string
		allowLocal bool
		na         wire.NetAddress
		wantAdded  bool
	}{
		{"routable", false, wire.NetAddress{Timestamp: now, IP: net.ParseIP("8.8.8.8"), Port: 1}, true},
		{"routable ipv6", false, wire.NetAddress{Timestamp: now, IP: net.ParseIP("2a00:1450::1"), Port: 1}, true},
		{"private", false, wire.NetAddress{Timestamp: now, IP: net.ParseIP("192.168.1.1"), Port: 1}, false},
		{"loopback", false, wire.NetAddress{Timestamp: now, IP: net.ParseIP("127.0.0.1"), Port: 1}, false},
		{"private allowed", true, wire.NetAddress{Timestamp: now, IP: net.ParseIP("192.168.1.1"), Port: 1}, true},
		{"loopback allowed", true, wire.NetAddress{Timestamp: now, IP: net.ParseIP("127.0.0.1"), Port: 1}, true},
		{"unspecified even when local", true, wire.NetAddress{Timestamp: now, IP: net.IPv4zero, Port: 1}, false},
		{"multicast even when local", true, wire.NetAddress{Timestamp: now, IP: net.ParseIP("224.0.0.1"), Port: 1}, false},
		{"port zero", false, wire.NetAddress{Timestamp: now, IP: net.ParseIP("8.8.8.8"), Port: 0}, false},
		{"no ip", false, wire.NetAddress{Timestamp: now, Port: 1}, false},
	}
	for _, test := range tests {
		am, err := NewAddrManager("", wire.SimNet, test.allowLocal)
		if err != nil {
			t.Fatalf("%s: NewAddrManager: %v", test.name, err)
		}
		am.now = clock.now
		added := am.AddAddresses([]wire.NetAddress{test.na}, "8.8.4.4:18555")
		if (added == 1) != test.wantAdded {
			t.Errorf("%s: got %d added, want added=%v", test.name, added, test.wantAdded)
		}
		if cache := am.AddressCache(); (len(cache) == 1) != test.wantAdded {
			t.Errorf("%s: AddressCache has %d entries", test.name, len(cache))
		}
	}
}

// TestAddAddressesUpdate checks duplicate handling, timestamp clamping and
// the per-call bound.
func TestAddAddressesUpdate(t *testing.T) {
	am, clock := newTestAddrManager(t, "", false)
	now := clock.now().Unix()
	na := routableAddr(1, now-3600)
	am.AddAddresses([]wire.NetAddress{na}, "src")
	newer := na
	newer.Timestamp = now
	newer.Services = 0x10
	if added := am.AddAddresses([]wire.NetAddress{newer}, "src"); added != 0 {
		t.Errorf("duplicate added: %d", added)
	}
	got := am.AddressCache()[0]
	if got.Timestamp != now || got.Services != wire.SFNodeNetwork|0x10 {
		t.Errorf("duplicate did not update: %+v", got)
	}

	future := routableAddr(2, now+3600)
	am.AddAddresses([]wire.NetAddress{future}, "src")
	for _, na := range am.AddressCache() {
		if na.IP.Equal(future.IP) && na.Timestamp != now-int64(penaltyAge/time.Second) {
			t.Errorf("future timestamp not penalised: got %d", na.Timestamp)
		}
	}

	many := make([]wire.NetAddress, wire.MaxAddrPerMsg+50)
	for i := range many {
		many[i] = routableAddr(1000+i, now)
	}
	if added := am.AddAddresses(many, "src"); added != wire.MaxAddrPerMsg {
		t.Errorf("one call added %d, want at most %d", added, wire.MaxAddrPerMsg)
	}
}

// TestAddrManagerBound checks that the book never passes MaxAddresses.
func TestAddrManagerBound(t *testing.T) {
	am, clock := newTestAddrManager(t, "", false)
	now := clock.now().Unix()
	batch := make([]wire.NetAddress, 0, wire.MaxAddrPerMsg)
	for i := 0; i < MaxAddresses+2500; i++ {
		batch = append(batch, routableAddr(i, now))
		if len(batch) == cap(batch) {
			am.AddAddresses(batch, "src")
			batch = batch[:0]
		}
	}
	am.AddAddresses(batch, "src")
	if got := am.NumAddresses(); got != MaxAddresses {
		t.Errorf("NumAddresses: got %d, want %d", got, MaxAddresses)
	}
	if got := len(am.addrs); got != len(am.list) {
		t.Errorf("map has %d entries, list %d", got, len(am.list))
	}
	for i, ka := range am.list {
		if ka.index != i || am.addrs[ka.key] != ka {
			t.Fatalf("entry %d inconsistent", i)
		}
	}
}

// TestGetAddress checks selection, retry spacing and bad addresses.
func TestGetAddress(t *testing.T) {
	am, clock := newTestAddrManager(t, "", false)
	if _, err := am.GetAddress(); !errors.Is(err, ErrNoAddress) {
		t.Fatalf("empty book: got %v, want %v", err, ErrNoAddress)
	}
	na := routableAddr(7, clock.now().Unix())
	am.AddAddresses([]wire.NetAddress{na}, "src")
	addr, err := am.GetAddress()
	if err != nil || addr != "11.0.0.7:18555" {
		t.Fatalf("GetAddress: got %q, %v", addr, err)
	}
	am.Attempt(addr)
	if _, err := am.GetAddress(); !errors.Is(err, ErrNoAddress) {
		t.Errorf("just attempted: got %v, want %v", err, ErrNoAddress)
	}
	clock.advance(minRetrySpacing)
	if got, err := am.GetAddress(); err != nil || got != addr {
		t.Errorf("after the retry spacing: got %q, %v", got, err)
	}
	for i := 0; i < maxFailedAttempts; i++ {
		am.Attempt(addr)
	}
	clock.advance(time.Hour)
	if _, err := am.GetAddress(); !errors.Is(err, ErrNoAddress) {
		t.Errorf("bad address offered: %v", err)
	}
	if got := len(am.AddressCache()); got != 0 {
		t.Errorf("bad address gossiped")
	}
	am.Good(addr)
	if got, err := am.GetAddress(); err != nil || got != addr {
		t.Errorf("after Good: got %q, %v", got, err)
	}
	// Attempt and Good ignore what they do not know.
	am.Attempt("1.1.1.1:1")
	am.Good("not an address")
	if am.NumAddresses() != 1 {
		t.Errorf("unknown address added")
	}
}

// TestGetAddressPrefersGood checks that an address that worked is chosen
// more often than one that keeps failing.
func TestGetAddressPrefersGood(t *testing.T) {
	am, clock := newTestAddrManager(t, "", false)
	now := clock.now().Unix()
	am.AddAddresses([]wire.NetAddress{routableAddr(1, now), routableAddr(2, now)}, "src")
	good, bad := "11.0.0.1:18555", "11.0.0.2:18555"
	am.Good(good)
	for i := 0; i < 5; i++ {
		am.Attempt(bad)
	}
	clock.advance(time.Hour)
	counts := map[string]int{}
	for i := 0; i < 1000; i++ {
		addr, err := am.GetAddress()
		if err != nil {
			t.Fatalf("GetAddress: %v", err)
		}
		counts[addr]++
	}
	if counts[good] < 10*counts[bad] {
		t.Errorf("selection: good %d times, failing %d times", counts[good], counts[bad])
	}
}

// TestAddressCache checks the bound and the shuffling.
func TestAddressCache(t *testing.T) {
	am, clock := newTestAddrManager(t, "", false)
	now := clock.now().Unix()
	for start := 0; start < 3000; start += wire.MaxAddrPerMsg {
		batch := make([]wire.NetAddress, wire.MaxAddrPerMsg)
		for i := range batch {
			batch[i] = routableAddr(start+i, now)
		}
		am.AddAddresses(batch, "src")
	}
	a, b := am.AddressCache(), am.AddressCache()
	if len(a) != wire.MaxAddrPerMsg || len(b) != wire.MaxAddrPerMsg {
		t.Fatalf("AddressCache: got %d and %d, want %d", len(a), len(b), wire.MaxAddrPerMsg)
	}
	same := 0
	for i := range a {
		if a[i].IP.Equal(b[i].IP) {
			same++
		}
	}
	if same > 50 {
		t.Errorf("two caches share %d positions: not shuffled", same)
	}
	// The cache holds copies: changing it leaves the book alone.
	a[0].IP[0] = 99
	for _, na := range am.AddressCache() {
		if na.IP[0] == 99 {
			t.Fatalf("AddressCache shares memory with the book")
		}
	}
}

// TestAddrPersistence checks the save/load round trip and the handling of
// broken and foreign files.
func TestAddrPersistence(t *testing.T) {
	dir := t.TempDir()
	am, clock := newTestAddrManager(t, dir, false)
	now := clock.now().Unix()
	am.AddAddresses([]wire.NetAddress{routableAddr(1, now), routableAddr(2, now)}, "8.8.8.8:1")
	am.Attempt("11.0.0.2:18555")
	am.Good("11.0.0.1:18555")
	if err := am.Save(); err != nil {
		t.Fatalf("Save: %v", err)
	}

	back, _ := newTestAddrManager(t, dir, false)
	if got := back.NumAddresses(); got != 2 {
		t.Fatalf("loaded %d addresses, want 2", got)
	}
	ka := back.addrs["11.0.0.2:18555"]
	if ka == nil || ka.attempts != 1 || ka.src != "8.8.8.8:1" || ka.lastAttempt.IsZero() {
		t.Errorf("loaded entry: got %+v", ka)
	}
	if ka := back.addrs["11.0.0.1:18555"]; ka == nil || ka.lastSuccess.IsZero() {
		t.Errorf("loaded good entry: got %+v", ka)
	}

	other, err := NewAddrManager(dir, wire.MainNet, false)
	if err != nil {
		t.Fatalf("other network: %v", err)
	}
	if got := other.NumAddresses(); got != 0 {
		t.Errorf("another network's book loaded %d addresses", got)
	}

	path := filepath.Join(dir, peersFileName)
	os.WriteFile(path, []byte("{broken"), 0o600)
	broken, err := NewAddrManager(dir, wire.SimNet, false)
	if err != nil {
		t.Fatalf("broken file: got error %v, want none", err)
	}
	if broken.NumAddresses() != 0 {
		t.Errorf("addresses from a broken file")
	}
	broken.AddAddresses([]wire.NetAddress{routableAddr(3, time.Now().Unix())}, "src")
	if err := broken.Save(); err != nil {
		t.Fatalf("Save: %v", err)
	}
	data, _ := os.ReadFile(path)
	if _, err := decodePeers(data, wire.SimNet.String(), broken.acceptable); err != nil {
		t.Errorf("broken file not replaced: %v", err)
	}
	// No temporary files are left behind.
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.Name() != peersFileName {
			t.Errorf("stray file %s", e.Name())
		}
	}
}

// TestAddrManagerStartStop checks that Stop saves and that the lifecycle
// calls are idempotent.
func TestAddrManagerStartStop(t *testing.T) {
	dir := t.TempDir()
	am, err := NewAddrManager(dir, wire.SimNet, true)
	if err != nil {
		t.Fatalf("NewAddrManager: %v", err)
	}
	am.Start()
	am.Start()
	am.AddAddresses([]wire.NetAddress{{Timestamp: time.Now().Unix(),
		IP: net.ParseIP("127.0.0.1"), Port: 18555}}, "src")
	if err := am.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := am.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	back, _ := NewAddrManager(dir, wire.SimNet, true)
	if back.NumAddresses() != 1 {
		t.Errorf("Stop did not save the book")
	}
	// A book loaded without local addresses drops the local ones.
	strict, _ := NewAddrManager(dir, wire.SimNet, false)
	if strict.NumAddresses() != 0 {
		t.Errorf("local address loaded into a strict book")
	}
}

// TestAddrSourceBuckets checks that one source cannot own the book: what
// one source group gossips is bounded in total and per address group, a
// source in another group still gets its addresses in, and AddressCache
// gives the small source's addresses a fair share of the answer.
func TestAddrSourceBuckets(t *testing.T) {
	am, clock := newTestAddrManager(t, "", false)
	now := clock.now().Unix()
	batch := make([]wire.NetAddress, 0, wire.MaxAddrPerMsg)
	for i := 0; i < MaxAddresses+2500; i++ {
		// Many address groups: 11.x.y.z varies its second byte.
		batch = append(batch, routableAddr(i*300, now))
		if len(batch) == cap(batch) {
			am.AddAddresses(batch, "44.0.113.7:18555")
			batch = batch[:0]
		}
	}
	// The same /16 as a second source: the same source group.
	am.AddAddresses(batch, "44.0.200.1:18555")
	if got := am.NumAddresses(); got != maxAddrsPerSource {
		t.Errorf("one source group holds %d addresses, want its bound %d", got, maxAddrsPerSource)
	}

	// One address group from one source: at most maxAddrsPerBucket.
	oneGroup := make([]wire.NetAddress, 200)
	for i := range oneGroup {
		oneGroup[i] = wire.NetAddress{Timestamp: now, IP: net.IPv4(12, 1, byte(i>>8), byte(i)), Port: 18555}
	}
	if got := am.AddAddresses(oneGroup, "45.51.100.9:18555"); got != maxAddrsPerBucket {
		t.Errorf("one address group from one source: added %d, want %d", got, maxAddrsPerBucket)
	}

	honest := []wire.NetAddress{
		{Timestamp: now, IP: net.IPv4(13, 1, 1, 1), Port: 18555},
		{Timestamp: now, IP: net.IPv4(14, 1, 1, 1), Port: 18555},
		{Timestamp: now, IP: net.IPv4(15, 1, 1, 1), Port: 18555},
	}
	if got := am.AddAddresses(honest, "46.0.2.55:18555"); got != len(honest) {
		t.Fatalf("honest source: added %d of %d", got, len(honest))
	}
	cache := am.AddressCache()
	found := 0
	for _, na := range cache {
		for _, h := range honest {
			if na.IP.Equal(h.IP) {
				found++
			}
		}
	}
	if found != len(honest) {
		t.Errorf("getaddr answer of %d addresses holds %d of the honest source's %d", len(cache), found, len(honest))
	}

	// Removing entries frees the source's share.
	am.mtx.Lock()
	for len(am.list) > 0 {
		am.removeLocked(am.list[0])
	}
	left := len(am.perSource) + len(am.perBucket)
	am.mtx.Unlock()
	if left != 0 {
		t.Errorf("%d group counters left in an empty book", left)
	}
}

func TestGroupKey(t *testing.T) {
	tests := []struct {
		name string
		ip   string
		want string
	}{
		{name: "ipv4", ip: "44.0.113.7", want: "44.0"},
		{name: "ipv4 same /16", ip: "44.0.200.1", want: "44.0"},
		{name: "ipv6", ip: "2a01:4f8::1", want: "2a0104f8"},
		{name: "loopback is its own group", ip: "127.0.0.2", want: "127.0.0.2"},
		{name: "private is its own group", ip: "10.1.2.3", want: "10.1.2.3"},
	}
	for _, test := range tests {
		if got := groupKey(net.ParseIP(test.ip)); got != test.want {
			t.Errorf("%s: got %q, want %q", test.name, got, test.want)
		}
	}
	if got := sourceGroup("not an address"); got != "" {
		t.Errorf("source without an IP: got %q, want empty", got)
	}
}
