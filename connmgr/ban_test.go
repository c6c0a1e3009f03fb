package connmgr

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// fakeClock is a settable clock for decay and expiry tests.
type fakeClock struct {
	mtx sync.Mutex
	t   time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Unix(1_700_000_000, 0)}
}

func (c *fakeClock) now() time.Time {
	c.mtx.Lock()
	defer c.mtx.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mtx.Lock()
	c.t = c.t.Add(d)
	c.mtx.Unlock()
}

// newTestBanManager returns a ban manager on a fake clock.
func newTestBanManager(t *testing.T, cfg *BanConfig) (*BanManager, *fakeClock) {
	t.Helper()
	bm, err := NewBanManager(cfg)
	if err != nil {
		t.Fatalf("NewBanManager: %v", err)
	}
	clock := newFakeClock()
	bm.now = clock.now
	return bm, clock
}

// TestCanonicalHost checks host parsing and normalisation.
func TestCanonicalHost(t *testing.T) {
	tests := []struct {
		name string
		host string
		want string
		ok   bool
	}{
		{"ipv4", "1.2.3.4", "1.2.3.4", true},
		{"ipv4 with port", "1.2.3.4:18555", "1.2.3.4", true},
		{"ipv6", "2001:db8::1", "2001:db8::1", true},
		{"ipv6 with port", "[2001:db8::1]:18555", "2001:db8::1", true},
		{"ipv6 long form", "2001:0db8:0000::0001", "2001:db8::1", true},
		{"ipv4-mapped", "::ffff:1.2.3.4", "1.2.3.4", true},
		{"hostname", "example.org", "", false},
		{"hostname with port", "example.org:18555", "", false},
		{"empty", "", "", false},
	}
	for _, test := range tests {
		_, got, err := canonicalHost(test.host)
		if test.ok != (err == nil) {
			t.Errorf("%s: got error %v, want ok=%v", test.name, err, test.ok)
			continue
		}
		if test.ok && got != test.want {
			t.Errorf("%s: got %q, want %q", test.name, got, test.want)
		}
		if !test.ok && !errors.Is(err, ErrInvalidHost) {
			t.Errorf("%s: got error %v, want %v", test.name, err, ErrInvalidHost)
		}
	}
}

// TestBanConfig checks config validation and defaults.
func TestBanConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  *BanConfig
		ok   bool
	}{
		{"nil", nil, true},
		{"zero", &BanConfig{}, true},
		{"negative duration", &BanConfig{Duration: -time.Second}, false},
		{"negative half-life", &BanConfig{HalfLife: -time.Second}, false},
	}
	for _, test := range tests {
		bm, err := NewBanManager(test.cfg)
		if test.ok != (err == nil) {
			t.Errorf("%s: got error %v, want ok=%v", test.name, err, test.ok)
			continue
		}
		if !test.ok {
			if !errors.Is(err, ErrInvalidConfig) {
				t.Errorf("%s: got error %v, want %v", test.name, err, ErrInvalidConfig)
			}
			continue
		}
		if bm.cfg.Threshold != DefaultBanThreshold || bm.cfg.Duration != DefaultBanDuration ||
			bm.cfg.HalfLife != DefaultBanHalfLife {
			t.Errorf("%s: defaults not applied: %+v", test.name, bm.cfg)
		}
	}
}

// TestBanScore drives scores to the threshold as a script.
func TestBanScore(t *testing.T) {
	bm, clock := newTestBanManager(t, &BanConfig{Threshold: 100, HalfLife: time.Minute})
	const host = "203.0.113.7:18555"

	steps := []struct {
		name       string
		advance    time.Duration
		persistent uint32
		transient  uint32
		wantBanned bool
		wantScore  uint32
	}{
		{"first persistent", 0, 40, 0, false, 40},
		{"transient on top", 0, 0, 40, false, 80},
		{"one half-life later", time.Minute, 0, 0, false, 60},
		{"two more half-lives", 2 * time.Minute, 0, 0, false, 45},
		{"persistent stays", time.Hour, 0, 0, false, 40},
		{"reaches the threshold", 0, 60, 0, true, 0},
	}
	for _, s := range steps {
		clock.advance(s.advance)
		banned := bm.AddScore(host, s.persistent, s.transient, s.name)
		if banned != s.wantBanned {
			t.Fatalf("%s: got banned %v, want %v", s.name, banned, s.wantBanned)
		}
		if got := bm.Score(host); got != s.wantScore {
			t.Errorf("%s: got score %d, want %d", s.name, got, s.wantScore)
		}
	}
	if !bm.IsBanned("203.0.113.7") {
		t.Fatalf("host not banned")
	}
	// The same IP on another port is the same host.
	if !bm.IsBanned("203.0.113.7:1") {
		t.Errorf("ban does not cover the host's other ports")
	}
	if !bm.AddScore(host, 1, 0, "while banned") {
		t.Errorf("AddScore on a banned host reported not banned")
	}
	bans := bm.ListBans()
	if len(bans) != 1 || bans[0].Host != "203.0.113.7" || bans[0].Reason != "reaches the threshold" {
		t.Errorf("ListBans: got %+v", bans)
	}
	if bm.AddScore("not an ip", 1000, 0, "bad host") {
		t.Errorf("a host that is not an IP was banned")
	}
}

// TestBanExpires checks that a ban ends after its duration, on the real
// clock and on a fake one.
func TestBanExpires(t *testing.T) {
	bm, err := NewBanManager(&BanConfig{Duration: 100 * time.Millisecond})
	if err != nil {
		t.Fatalf("NewBanManager: %v", err)
	}
	if !bm.AddScore("198.51.100.1", DefaultBanThreshold, 0, "test") {
		t.Fatalf("not banned at the threshold")
	}
	if !bm.IsBanned("198.51.100.1") {
		t.Fatalf("not banned right after the ban")
	}
	time.Sleep(150 * time.Millisecond)
	if bm.IsBanned("198.51.100.1") {
		t.Fatalf("still banned after the ban duration")
	}
	if got := len(bm.ListBans()); got != 0 {
		t.Errorf("ListBans after expiry: %d bans", got)
	}

	fm, clock := newTestBanManager(t, &BanConfig{Duration: time.Hour})
	if err := fm.Ban("198.51.100.2", 0); err != nil {
		t.Fatalf("Ban: %v", err)
	}
	clock.advance(59 * time.Minute)
	if !fm.IsBanned("198.51.100.2") {
		t.Fatalf("ban ended early")
	}
	clock.advance(time.Minute)
	if fm.IsBanned("198.51.100.2") {
		t.Fatalf("ban did not end at its duration")
	}
}

// TestBanWhitelist checks that whitelisted hosts are never banned.
func TestBanWhitelist(t *testing.T) {
	_, local, _ := net.ParseCIDR("127.0.0.0/8")
	bm, _ := newTestBanManager(t, &BanConfig{Whitelist: []*net.IPNet{local}})
	if bm.AddScore("127.0.0.1:5000", 1000, 1000, "test") {
		t.Errorf("whitelisted host banned by score")
	}
	if err := bm.Ban("127.0.0.2", time.Hour); !errors.Is(err, ErrWhitelisted) {
		t.Errorf("Ban of a whitelisted host: got %v, want %v", err, ErrWhitelisted)
	}
	if bm.IsBanned("127.0.0.1") || !bm.IsWhitelisted("127.0.0.9:1") || bm.IsWhitelisted("10.0.0.1") {
		t.Errorf("whitelist not applied")
	}
	if err := bm.Ban("example.org", time.Hour); !errors.Is(err, ErrInvalidHost) {
		t.Errorf("Ban of a hostname: got %v, want %v", err, ErrInvalidHost)
	}
}

// TestBanPersistence checks that bans survive a restart, expired bans do
// not, and Unban is saved.
func TestBanPersistence(t *testing.T) {
	dir := t.TempDir()
	bm, err := NewBanManager(&BanConfig{DataDir: dir, Duration: time.Hour})
	if err != nil {
		t.Fatalf("NewBanManager: %v", err)
	}
	bm.AddScore("192.0.2.1", 100, 0, "bad checksum")
	bm.Ban("192.0.2.2", 50*time.Millisecond)
	bm.Ban("2001:db8::5", 0)

	time.Sleep(60 * time.Millisecond)
	reopened, err := NewBanManager(&BanConfig{DataDir: dir})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	bans := reopened.ListBans()
	if len(bans) != 2 || bans[0].Host != "192.0.2.1" || bans[1].Host != "2001:db8::5" {
		t.Fatalf("bans after restart: got %+v", bans)
	}
	if bans[0].Reason != "bad checksum" {
		t.Errorf("reason after restart: got %q", bans[0].Reason)
	}
	if !reopened.Unban("192.0.2.1") || reopened.Unban("192.0.2.1") {
		t.Errorf("Unban did not report the lifted ban exactly once")
	}
	again, err := NewBanManager(&BanConfig{DataDir: dir})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	if again.IsBanned("192.0.2.1") || !again.IsBanned("2001:db8::5") {
		t.Errorf("after Unban and restart: got %+v", again.ListBans())
	}
}

// TestBanBrokenFile checks that a broken bans.json is reported, not fatal,
// and replaced by the next save.
func TestBanBrokenFile(t *testing.T) {
	tests := []struct {
		name string
		data string
	}{
		{"garbage", "\x00\x01 not json"},
		{"wrong version", `{"version": 99, "bans": []}`},
		{"truncated", `{"version": 1, "bans": [{"host": "1.2.3.4", "unt`},
		{"wrong types", `{"version": "one"}`},
	}
	for _, test := range tests {
		dir := t.TempDir()
		path := filepath.Join(dir, bansFileName)
		if err := os.WriteFile(path, []byte(test.data), 0o600); err != nil {
			t.Fatalf("%s: write: %v", test.name, err)
		}
		bm, err := NewBanManager(&BanConfig{DataDir: dir})
		if err != nil {
			t.Errorf("%s: got error %v, want none", test.name, err)
			continue
		}
		if got := len(bm.ListBans()); got != 0 {
			t.Errorf("%s: %d bans from a broken file", test.name, got)
		}
		if err := bm.Ban("192.0.2.9", time.Hour); err != nil {
			t.Errorf("%s: Ban: %v", test.name, err)
		}
		data, _ := os.ReadFile(path)
		if _, err := decodeBans(data); err != nil {
			t.Errorf("%s: file not replaced by a valid one: %v", test.name, err)
		}
	}
}

// TestBanScoreBound checks that the score map stays bounded.
func TestBanScoreBound(t *testing.T) {
	bm, _ := newTestBanManager(t, nil)
	for i := 0; i < maxScoredHosts+100; i++ {
		ip := net.IPv4(10, byte(i>>16), byte(i>>8), byte(i))
		bm.AddScore(ip.String(), 1, 0, "test")
	}
	if got := len(bm.scores); got > maxScoredHosts {
		t.Errorf("scored hosts: got %d, want at most %d", got, maxScoredHosts)
	}
}

// TestBanAutoSaveSpacing checks that a burst of automatic bans is written
// once right away and completely by the next explicit Save.
func TestBanAutoSaveSpacing(t *testing.T) {
	dir := t.TempDir()
	bm, err := NewBanManager(&BanConfig{DataDir: dir})
	if err != nil {
		t.Fatalf("NewBanManager: %v", err)
	}
	for i := 0; i < 50; i++ {
		bm.AddScore(net.IPv4(11, 0, 0, byte(i)).String(), DefaultBanThreshold, 0, "burst")
	}
	back, err := NewBanManager(&BanConfig{DataDir: dir})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	// How many of the burst made it depends on the machine's speed; the
	// first one always does.
	if got := len(back.ListBans()); got < 1 {
		t.Errorf("after a burst: no ban on disk")
	}
	if err := bm.Save(); err != nil {
		t.Fatalf("Save: %v", err)
	}
	back, err = NewBanManager(&BanConfig{DataDir: dir})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	if got := len(back.ListBans()); got != 50 {
		t.Errorf("after Save: %d bans on disk, want 50", got)
	}
}
