package connmgr

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/soterdag/soterd/wire"
)

const (
	// MaxAddresses bounds the address book. Ten thousand addresses are far
	// more than a node ever dials, and the bound keeps an addr flood from
	// growing memory or peers.json without end: a full book evicts.
	MaxAddresses = 10000

	// peersFileName is the address book's file in the data directory.
	peersFileName = "peers.json"

	// peersFileVersion is the version of the peers.json format.
	peersFileVersion = 1

	// addrSaveInterval is how often a started address book is written.
	addrSaveInterval = 10 * time.Minute

	// minRetrySpacing is how long GetAddress leaves an address alone after
	// an attempt, so a dead address is not dialled in a loop.
	minRetrySpacing = 30 * time.Second

	// maxFailedAttempts is how many attempts in a row may fail before an
	// address that never connected counts as bad.
	maxFailedAttempts = 10

	// staleAddressAge is how old an address's last-seen time may be before
	// it counts as bad: it is no longer gossiped or dialled and goes first
	// when the book is full.
	staleAddressAge = 30 * 24 * time.Hour

	// maxFutureSlack is how far in the future a gossiped timestamp may be.
	// A later one is a lie meant to make the address look fresh.
	maxFutureSlack = 10 * time.Minute

	// penaltyAge is the age given to an address whose timestamp is a lie.
	penaltyAge = 5 * 24 * time.Hour

	// getAddressTries is how many random candidates GetAddress looks at.
	getAddressTries = 64

	// evictionSample is how many random entries a full book compares to
	// choose the one to evict. A sample rather than a scan keeps AddAddresses
	// O(1), and randomness keeps an attacker from predicting the victim.
	evictionSample = 16

	// maxAddrsPerSource bounds the addresses learned from one source
	// group (the /16 of the peer that gossiped them, see groupKey): one
	// peer, or many in one network, cannot own more than an eighth of
	// the book, so it takes at least eight unrelated sources to fill it.
	maxAddrsPerSource = MaxAddresses / 8

	// maxAddrsPerBucket bounds the addresses of one address group
	// learned from one source group: a source cannot flood the book with
	// one network's addresses either (Bitcoin Core buckets by the same
	// pair).
	maxAddrsPerBucket = 64
)

// groupKey returns the network group of ip: its /16 for a routable IPv4
// address, its /32 for a routable IPv6 one. Addresses that are not
// routable (admitted on local test networks) are each a group of their
// own: every local host is its own operator there.
func groupKey(ip net.IP) string {
	if ip == nil {
		return ""
	}
	if !IsRoutable(ip) {
		return ip.String()
	}
	if v4 := ip.To4(); v4 != nil {
		return fmt.Sprintf("%d.%d", v4[0], v4[1])
	}
	return fmt.Sprintf("%x", []byte(ip.To16()[:4]))
}

// sourceGroup returns the group of a source "ip:port" (or bare IP), or ""
// when it has none (addresses added by hand).
func sourceGroup(src string) string {
	host := src
	if h, _, err := net.SplitHostPort(src); err == nil {
		host = h
	}
	return groupKey(net.ParseIP(host))
}

// knownAddress is one address in the book.
type knownAddress struct {
	na  wire.NetAddress
	key string
	src string

	// srcGroup and bucket are the groups the address counts against:
	// its source's, and its source's with its own.
	srcGroup    string
	bucket      string
	attempts    uint32
	lastAttempt time.Time
	lastSuccess time.Time

	// index is the entry's position in AddrManager.list.
	index int
}

// isBad reports whether the address should be neither dialled nor
// gossiped: it failed too often without ever working, or nobody has seen it
// for a month.
func (ka *knownAddress) isBad(now time.Time) bool {
	if ka.lastSuccess.IsZero() && ka.attempts >= maxFailedAttempts {
		return true
	}
	seen := time.Unix(ka.na.Timestamp, 0)
	if ka.lastSuccess.After(seen) {
		seen = ka.lastSuccess
	}
	return now.Sub(seen) > staleAddressAge
}

// chance is the relative likelihood that GetAddress picks the address:
// halved for each failed attempt, and halved again if it never worked.
func (ka *knownAddress) chance() float64 {
	c := 1.0
	if ka.lastSuccess.IsZero() {
		c = 0.5
	}
	for i := uint32(0); i < min(ka.attempts, 8); i++ {
		c /= 2
	}
	return c
}

// AddrManager is the address book: addresses learned from addr messages,
// bounded by MaxAddresses, persisted as DataDir/peers.json. Unless local
// addresses are allowed (regtest and simnet), private and unroutable
// addresses are neither stored nor gossiped. It is safe for concurrent
// access.
type AddrManager struct {
	dataDir    string
	net        wire.SoterNet
	allowLocal bool
	now        func() time.Time

	mtx   sync.Mutex
	addrs map[string]*knownAddress
	list  []*knownAddress
	rng   *rand.Rand

	// perSource and perBucket count the entries of each source group
	// and each (source group, address group) bucket.
	perSource map[string]int
	perBucket map[string]int

	// saveMtx orders writes of the file, which happen outside mtx.
	saveMtx sync.Mutex

	lifeMtx sync.Mutex
	started bool
	stopped bool
	quit    chan struct{}
	wg      sync.WaitGroup
}

// NewAddrManager returns the address book of dataDir (empty keeps it in
// memory only) for network net, loaded from peers.json. allowLocal admits
// private and loopback addresses, for local test networks. A file that
// cannot be decoded, or belongs to another network, is reported in the log
// and replaced at the next save; only a file that cannot be read at all is
// an error.
func NewAddrManager(dataDir string, net wire.SoterNet, allowLocal bool) (*AddrManager, error) {
	am := &AddrManager{
		dataDir:    dataDir,
		net:        net,
		allowLocal: allowLocal,
		now:        time.Now,
		addrs:      make(map[string]*knownAddress),
		perSource:  make(map[string]int),
		perBucket:  make(map[string]int),
		rng:        rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())),
		quit:       make(chan struct{}),
	}
	if err := am.Load(); err != nil {
		return nil, err
	}
	return am, nil
}

// path returns the book's file, or "" when it is not persisted.
func (am *AddrManager) path() string {
	if am.dataDir == "" {
		return ""
	}
	return filepath.Join(am.dataDir, peersFileName)
}

// Start starts the goroutine that saves the book every ten minutes, so a
// crash loses little. Calls after the first do nothing.
func (am *AddrManager) Start() {
	am.lifeMtx.Lock()
	defer am.lifeMtx.Unlock()
	if am.started || am.stopped {
		return
	}
	am.started = true
	am.wg.Add(1)
	go am.saveHandler()
}

// Stop stops the saving goroutine, waits for it, and saves the book one
// last time. It is safe to call twice, and without Start.
func (am *AddrManager) Stop() error {
	am.lifeMtx.Lock()
	if am.stopped {
		am.lifeMtx.Unlock()
		return nil
	}
	am.stopped = true
	close(am.quit)
	am.lifeMtx.Unlock()
	am.wg.Wait()
	return am.Save()
}

// saveHandler saves the book periodically until Stop.
func (am *AddrManager) saveHandler() {
	defer am.wg.Done()
	ticker := time.NewTicker(addrSaveInterval)
	defer ticker.Stop()
	for {
		select {
		case <-ticker.C:
			if err := am.Save(); err != nil {
				log.Warnf("Cannot save the address book: %v", err)
			}
		case <-am.quit:
			return
		}
	}
}

// addrKey returns the book's key of an IP and port.
func addrKey(ip net.IP, port uint16) string {
	return net.JoinHostPort(ip.String(), strconv.Itoa(int(port)))
}

// acceptable reports whether ip may be stored and gossiped.
func (am *AddrManager) acceptable(ip net.IP) bool {
	if ip == nil || ip.IsUnspecified() || ip.IsMulticast() {
		return false
	}
	return am.allowLocal || IsRoutable(ip)
}

// AddAddresses adds gossiped addresses learned from src (the peer's
// address, for the record) and returns how many were new. At most
// wire.MaxAddrPerMsg are taken from one call. Addresses already known get
// the newer timestamp and the union of services. A timestamp in the future
// is a lie and is replaced by one five days old.
func (am *AddrManager) AddAddresses(addrs []wire.NetAddress, src string) int {
	if len(addrs) > wire.MaxAddrPerMsg {
		addrs = addrs[:wire.MaxAddrPerMsg]
	}
	now := am.now()
	srcGroup := sourceGroup(src)
	am.mtx.Lock()
	defer am.mtx.Unlock()
	added := 0
	for i := range addrs {
		na := addrs[i]
		ip := na.IP
		if v4 := ip.To4(); v4 != nil {
			ip = v4
		}
		if na.Port == 0 || !am.acceptable(ip) {
			continue
		}
		if na.Timestamp <= 0 || time.Unix(na.Timestamp, 0).After(now.Add(maxFutureSlack)) {
			na.Timestamp = now.Add(-penaltyAge).Unix()
		}
		key := addrKey(ip, na.Port)
		if ka, ok := am.addrs[key]; ok {
			if na.Timestamp > ka.na.Timestamp {
				ka.na.Timestamp = na.Timestamp
			}
			ka.na.Services |= na.Services
			continue
		}
		bucket := srcGroup + "|" + groupKey(ip)
		if srcGroup != "" && (am.perSource[srcGroup] >= maxAddrsPerSource ||
			am.perBucket[bucket] >= maxAddrsPerBucket) {
			// This source has its share: what it sends beyond it
			// is dropped rather than pushing others out.
			continue
		}
		if len(am.list) >= MaxAddresses {
			am.evictLocked(now)
		}
		na.IP = append(net.IP(nil), ip...)
		am.insertLocked(&knownAddress{na: na, key: key, src: src})
		added++
	}
	if added > 0 {
		log.Debugf("Added %d of %d addresses from %s, %d known", added, len(addrs),
			src, len(am.list))
	}
	return added
}

// insertLocked adds a new entry.
func (am *AddrManager) insertLocked(ka *knownAddress) {
	ka.index = len(am.list)
	am.list = append(am.list, ka)
	am.addrs[ka.key] = ka
	ka.srcGroup = sourceGroup(ka.src)
	ka.bucket = ka.srcGroup + "|" + groupKey(ka.na.IP)
	am.perSource[ka.srcGroup]++
	am.perBucket[ka.bucket]++
}

// removeLocked removes an entry by swapping the last one into its place.
func (am *AddrManager) removeLocked(ka *knownAddress) {
	last := am.list[len(am.list)-1]
	am.list[ka.index] = last
	last.index = ka.index
	am.list[len(am.list)-1] = nil
	am.list = am.list[:len(am.list)-1]
	delete(am.addrs, ka.key)
	if am.perSource[ka.srcGroup]--; am.perSource[ka.srcGroup] <= 0 {
		delete(am.perSource, ka.srcGroup)
	}
	if am.perBucket[ka.bucket]--; am.perBucket[ka.bucket] <= 0 {
		delete(am.perBucket, ka.bucket)
	}
}

// evictLocked removes the worst of a random sample: a bad address first,
// then one that never worked, then the one seen longest ago.
func (am *AddrManager) evictLocked(now time.Time) {
	worse := func(a, b *knownAddress) bool {
		if ab, bb := a.isBad(now), b.isBad(now); ab != bb {
			return ab
		}
		if an, bn := a.lastSuccess.IsZero(), b.lastSuccess.IsZero(); an != bn {
			return an
		}
		return a.na.Timestamp < b.na.Timestamp
	}
	var victim *knownAddress
	for i := 0; i < evictionSample; i++ {
		ka := am.list[am.rng.IntN(len(am.list))]
		if victim == nil || worse(ka, victim) {
			victim = ka
		}
	}
	am.removeLocked(victim)
}

// GetAddress returns an address ("ip:port") to dial. It prefers addresses
// that worked and have not failed lately, skips bad ones and those tried in
// the last 30 seconds, and returns ErrNoAddress when none qualifies. The
// caller reports the outcome with Attempt and Good.
func (am *AddrManager) GetAddress() (string, error) {
	now := am.now()
	am.mtx.Lock()
	defer am.mtx.Unlock()
	if len(am.list) == 0 {
		return "", ruleError(ErrNoAddress, "address book is empty")
	}
	var best *knownAddress
	var bestChance float64
	for i := 0; i < getAddressTries; i++ {
		ka := am.list[am.rng.IntN(len(am.list))]
		if now.Sub(ka.lastAttempt) < minRetrySpacing || ka.isBad(now) {
			continue
		}
		c := ka.chance()
		if am.rng.Float64() < c {
			return ka.key, nil
		}
		if best == nil || c > bestChance {
			best, bestChance = ka, c
		}
	}
	if best != nil {
		return best.key, nil
	}
	return "", ruleError(ErrNoAddress, fmt.Sprintf(
		"none of %d addresses is ready to dial", len(am.list)))
}

// lookupLocked finds the entry of "ip:port" in its canonical form.
func (am *AddrManager) lookupLocked(addr string) *knownAddress {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil
	}
	ip := net.ParseIP(host)
	p, err := strconv.ParseUint(port, 10, 16)
	if ip == nil || err != nil {
		return nil
	}
	if v4 := ip.To4(); v4 != nil {
		ip = v4
	}
	return am.addrs[addrKey(ip, uint16(p))]
}

// Attempt records a connection attempt to addr ("ip:port"). Unknown
// addresses are ignored.
func (am *AddrManager) Attempt(addr string) {
	now := am.now()
	am.mtx.Lock()
	defer am.mtx.Unlock()
	if ka := am.lookupLocked(addr); ka != nil {
		ka.attempts++
		ka.lastAttempt = now
	}
}

// Good records a successful connection (handshake included) to addr
// ("ip:port"): its failures are forgotten and it is seen now. Unknown
// addresses are ignored.
func (am *AddrManager) Good(addr string) {
	now := am.now()
	am.mtx.Lock()
	defer am.mtx.Unlock()
	if ka := am.lookupLocked(addr); ka != nil {
		ka.attempts = 0
		ka.lastSuccess = now
		ka.na.Timestamp = now.Unix()
	}
}

// NumAddresses returns the number of addresses in the book.
func (am *AddrManager) NumAddresses() int {
	am.mtx.Lock()
	defer am.mtx.Unlock()
	return len(am.list)
}

// AddressCache returns up to wire.MaxAddrPerMsg addresses in random order
// for an answer to getaddr: good ones only, and only routable ones unless
// local addresses are allowed. Sources take turns: one address from each
// source group in a random order, then another from each, so a source that
// gossiped many addresses fills no more of the answer than one that
// gossiped a few, as long as those last.
func (am *AddrManager) AddressCache() []wire.NetAddress {
	now := am.now()
	am.mtx.Lock()
	defer am.mtx.Unlock()
	bySource := make(map[string][]*knownAddress)
	var order []string
	for _, i := range am.rng.Perm(len(am.list)) {
		ka := am.list[i]
		if ka.isBad(now) || !am.acceptable(ka.na.IP) {
			continue
		}
		if _, ok := bySource[ka.srcGroup]; !ok {
			order = append(order, ka.srcGroup)
		}
		bySource[ka.srcGroup] = append(bySource[ka.srcGroup], ka)
	}
	out := make([]wire.NetAddress, 0, min(len(am.list), wire.MaxAddrPerMsg))
	for round := 0; len(out) < wire.MaxAddrPerMsg; round++ {
		took := false
		for _, g := range order {
			list := bySource[g]
			if round >= len(list) {
				continue
			}
			took = true
			na := list[round].na
			na.IP = append(net.IP(nil), list[round].na.IP...)
			out = append(out, na)
			if len(out) == wire.MaxAddrPerMsg {
				break
			}
		}
		if !took {
			break
		}
	}
	am.rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// peersFile is the JSON layout of peers.json.
type peersFile struct {
	Version   int           `json:"version"`
	Network   string        `json:"network"`
	Addresses []peersFileNA `json:"addresses"`
}

// peersFileNA is one address of peers.json. Times are unix seconds, zero
// meaning never.
type peersFileNA struct {
	Addr        string `json:"addr"`
	Services    uint64 `json:"services"`
	Timestamp   int64  `json:"timestamp"`
	Source      string `json:"source,omitempty"`
	Attempts    uint32 `json:"attempts,omitempty"`
	LastAttempt int64  `json:"lastattempt,omitempty"`
	LastSuccess int64  `json:"lastsuccess,omitempty"`
}

// unixOrZero converts unix seconds, zero meaning the zero time.
func unixOrZero(s int64) time.Time {
	if s <= 0 {
		return time.Time{}
	}
	return time.Unix(s, 0)
}

// zeroOrUnix converts a time to unix seconds, the zero time to zero.
func zeroOrUnix(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

// decodePeers decodes peers.json for network netName. Entries that do not
// parse, are not acceptable, or repeat an address are dropped; at most
// MaxAddresses are kept.
func decodePeers(data []byte, netName string, acceptable func(net.IP) bool) ([]*knownAddress, error) {
	var f peersFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, ruleError(ErrBadFile, fmt.Sprintf("address book is not valid JSON: %v", err))
	}
	if f.Version != peersFileVersion {
		return nil, ruleError(ErrBadFile, fmt.Sprintf(
			"address book version %d, want %d", f.Version, peersFileVersion))
	}
	if f.Network != netName {
		return nil, ruleError(ErrBadFile, fmt.Sprintf(
			"address book is for %s, not %s", f.Network, netName))
	}
	seen := make(map[string]struct{}, min(len(f.Addresses), MaxAddresses))
	list := make([]*knownAddress, 0, min(len(f.Addresses), MaxAddresses))
	for _, e := range f.Addresses {
		if len(list) == MaxAddresses {
			break
		}
		host, port, err := net.SplitHostPort(e.Addr)
		if err != nil {
			continue
		}
		ip := net.ParseIP(host)
		p, err := strconv.ParseUint(port, 10, 16)
		if ip == nil || err != nil || p == 0 {
			continue
		}
		if v4 := ip.To4(); v4 != nil {
			ip = v4
		}
		if !acceptable(ip) {
			continue
		}
		key := addrKey(ip, uint16(p))
		if _, dup := seen[key]; dup {
			continue
		}
		seen[key] = struct{}{}
		list = append(list, &knownAddress{
			na: wire.NetAddress{
				Timestamp: e.Timestamp,
				Services:  wire.ServiceFlag(e.Services),
				IP:        ip,
				Port:      uint16(p),
			},
			key:         key,
			src:         e.Source,
			attempts:    e.Attempts,
			lastAttempt: unixOrZero(e.LastAttempt),
			lastSuccess: unixOrZero(e.LastSuccess),
		})
	}
	return list, nil
}

// encodePeers encodes entries as peers.json for network netName.
func encodePeers(list []*knownAddress, netName string) ([]byte, error) {
	f := peersFile{
		Version:   peersFileVersion,
		Network:   netName,
		Addresses: make([]peersFileNA, 0, len(list)),
	}
	for _, ka := range list {
		f.Addresses = append(f.Addresses, peersFileNA{
			Addr:        ka.key,
			Services:    uint64(ka.na.Services),
			Timestamp:   ka.na.Timestamp,
			Source:      ka.src,
			Attempts:    ka.attempts,
			LastAttempt: zeroOrUnix(ka.lastAttempt),
			LastSuccess: zeroOrUnix(ka.lastSuccess),
		})
	}
	return json.Marshal(f)
}

// Load replaces the book with the contents of peers.json. A missing file
// leaves the book empty; a broken one is logged and ignored, and replaced
// at the next save. Only a file that cannot be read is an error.
func (am *AddrManager) Load() error {
	path := am.path()
	if path == "" {
		return nil
	}
	data, err := readStateFile(path)
	var rerr RuleError
	if errors.As(err, &rerr) {
		log.Warnf("Ignoring address book: %v; it will be replaced", err)
		return nil
	}
	if err != nil {
		return fmt.Errorf("read address book: %w", err)
	}
	if data == nil {
		return nil
	}
	list, err := decodePeers(data, am.net.String(), am.acceptable)
	if err != nil {
		log.Warnf("Ignoring address book %s: %v; it will be replaced", path, err)
		return nil
	}
	am.mtx.Lock()
	am.addrs = make(map[string]*knownAddress, len(list))
	am.list = am.list[:0]
	for _, ka := range list {
		am.insertLocked(ka)
	}
	am.mtx.Unlock()
	log.Infof("Loaded %d addresses from %s", len(list), path)
	return nil
}

// Save writes the book to peers.json atomically. It does nothing without
// a data directory.
func (am *AddrManager) Save() error {
	path := am.path()
	if path == "" {
		return nil
	}
	am.saveMtx.Lock()
	defer am.saveMtx.Unlock()
	am.mtx.Lock()
	data, err := encodePeers(am.list, am.net.String())
	am.mtx.Unlock()
	if err != nil {
		return fmt.Errorf("encode address book: %w", err)
	}
	return writeFileAtomic(path, data)
}
