package connmgr

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"path/filepath"
	"sort"
	"sync"
	"time"
)

// Defaults for the zero values of BanConfig.
const (
	// DefaultBanThreshold is the score at which a host is banned. The
	// peer package's scores are scaled to it: a deliberate protocol
	// violation scores it alone.
	DefaultBanThreshold = 100

	// DefaultBanDuration is how long a ban lasts: long enough to make an
	// attack from one address expensive, short enough that a reassigned
	// address is not shut out for good.
	DefaultBanDuration = 24 * time.Hour

	// DefaultBanHalfLife is the half-life of transient score. A minute
	// forgives an occasional slip while a burst still adds up.
	DefaultBanHalfLife = time.Minute
)

const (
	// bansFileName is the ban list's file in the data directory.
	bansFileName = "bans.json"

	// bansFileVersion is the version of the bans.json format.
	bansFileVersion = 1

	// maxScoredHosts bounds the hosts with a non-zero score held in
	// memory. Every peer that misbehaves once would otherwise stay in the
	// map forever; an attacker with many addresses could grow it without
	// end.
	maxScoredHosts = 10000

	// maxBans bounds the ban list. With IPv6 an attacker can get very many
	// addresses banned; past the bound the ban closest to its end goes.
	maxBans = 50000

	// operatorBanReason is the reason recorded for bans made by Ban.
	operatorBanReason = "banned by the operator"

	// minAutoSaveInterval spaces the saves that follow automatic bans.
	// Each save writes the whole list, so an attacker who gets thousands
	// of addresses banned in a burst would otherwise cost a full write
	// per ban. A ban within the interval is written by the next save.
	minAutoSaveInterval = time.Second
)

// BanConfig is the configuration of a ban manager. Zero values take the
// defaults.
type BanConfig struct {
	// Threshold is the score at which a host is banned.
	Threshold uint32

	// Duration is how long a ban lasts.
	Duration time.Duration

	// HalfLife is the half-life of the transient part of a score.
	HalfLife time.Duration

	// Whitelist holds the networks whose hosts are never banned.
	Whitelist []*net.IPNet

	// DataDir is where bans.json is kept; empty keeps bans in memory
	// only.
	DataDir string
}

// BanInfo is one ban.
type BanInfo struct {
	// Host is the banned IP address.
	Host string `json:"host"`

	// Until is when the ban ends.
	Until time.Time `json:"until"`

	// Reason is the misbehaviour that caused the ban.
	Reason string `json:"reason"`
}

// hostScore is the misbehaviour score of one host. The persistent part only
// grows; the transient part halves every half-life, computed lazily when
// the score is read or changed.
type hostScore struct {
	persistent uint32
	transient  float64
	updated    time.Time
}

// decay brings the transient part up to now.
func (s *hostScore) decay(now time.Time, halfLife time.Duration) {
	if elapsed := now.Sub(s.updated); elapsed > 0 {
		s.transient *= math.Exp2(-float64(elapsed) / float64(halfLife))
		if s.transient < 0.01 {
			s.transient = 0
		}
	}
	s.updated = now
}

// total returns the whole score, saturating.
func (s *hostScore) total() uint32 {
	t := float64(s.persistent) + s.transient
	if t >= math.MaxUint32 {
		return math.MaxUint32
	}
	return uint32(t)
}

// BanManager keeps misbehaviour scores per host and bans hosts whose score
// reaches the threshold. Bans are kept in DataDir/bans.json, written
// atomically when they change, so they survive a restart; scores are kept
// in memory only. Saves after automatic bans are at most one a second, so
// the owner calls Save at shutdown to write the last of them. It is safe
// for concurrent access.
type BanManager struct {
	cfg BanConfig
	now func() time.Time

	mtx    sync.Mutex
	scores map[string]*hostScore
	bans   map[string]BanInfo

	// saveMtx orders writes of the file, which happen outside mtx, and
	// protects the fields below.
	saveMtx      sync.Mutex
	lastAutoSave time.Time
}

// NewBanManager returns a ban manager with the bans of DataDir/bans.json. A
// file that cannot be decoded is reported in the log and replaced at the
// next save; only a file that cannot be read at all, or an invalid config,
// is an error.
func NewBanManager(cfg *BanConfig) (*BanManager, error) {
	var c BanConfig
	if cfg != nil {
		c = *cfg
	}
	if c.Duration < 0 {
		return nil, ruleError(ErrInvalidConfig, fmt.Sprintf(
			"ban duration %v is negative", c.Duration))
	}
	if c.HalfLife < 0 {
		return nil, ruleError(ErrInvalidConfig, fmt.Sprintf(
			"ban score half-life %v is negative", c.HalfLife))
	}
	if c.Threshold == 0 {
		c.Threshold = DefaultBanThreshold
	}
	if c.Duration == 0 {
		c.Duration = DefaultBanDuration
	}
	if c.HalfLife == 0 {
		c.HalfLife = DefaultBanHalfLife
	}
	c.Whitelist = append([]*net.IPNet(nil), c.Whitelist...)

	bm := &BanManager{
		cfg:    c,
		now:    time.Now,
		scores: make(map[string]*hostScore),
		bans:   make(map[string]BanInfo),
	}
	if err := bm.load(); err != nil {
		return nil, err
	}
	return bm, nil
}

// path returns the ban list's file, or "" when bans are not persisted.
func (bm *BanManager) path() string {
	if bm.cfg.DataDir == "" {
		return ""
	}
	return filepath.Join(bm.cfg.DataDir, bansFileName)
}

// load reads the ban list, dropping expired bans.
func (bm *BanManager) load() error {
	path := bm.path()
	if path == "" {
		return nil
	}
	data, err := readStateFile(path)
	var rerr RuleError
	if errors.As(err, &rerr) {
		log.Warnf("Ignoring ban list: %v; it will be replaced", err)
		return nil
	}
	if err != nil {
		return fmt.Errorf("read ban list: %w", err)
	}
	if data == nil {
		return nil
	}
	bans, err := decodeBans(data)
	if err != nil {
		log.Warnf("Ignoring ban list %s: %v; it will be replaced", path, err)
		return nil
	}
	now := bm.now()
	for host, b := range bans {
		if now.Before(b.Until) {
			bm.bans[host] = b
		}
	}
	log.Debugf("Loaded %d bans from %s", len(bm.bans), path)
	return nil
}

// bansFile is the JSON layout of bans.json.
type bansFile struct {
	Version int       `json:"version"`
	Bans    []BanInfo `json:"bans"`
}

// decodeBans decodes bans.json. Entries with a host that is not an IP are
// dropped; a second entry for a host replaces the first.
func decodeBans(data []byte) (map[string]BanInfo, error) {
	var f bansFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, ruleError(ErrBadFile, fmt.Sprintf("ban list is not valid JSON: %v", err))
	}
	if f.Version != bansFileVersion {
		return nil, ruleError(ErrBadFile, fmt.Sprintf(
			"ban list version %d, want %d", f.Version, bansFileVersion))
	}
	bans := make(map[string]BanInfo, min(len(f.Bans), maxBans))
	for _, b := range f.Bans {
		_, key, err := canonicalHost(b.Host)
		if err != nil || b.Until.IsZero() {
			continue
		}
		if _, dup := bans[key]; !dup && len(bans) >= maxBans {
			continue
		}
		b.Host = key
		bans[key] = b
	}
	return bans, nil
}

// encodeBans encodes bans sorted by host, so the file is stable.
func encodeBans(bans []BanInfo) ([]byte, error) {
	return json.MarshalIndent(bansFile{Version: bansFileVersion, Bans: bans}, "", "  ")
}

// isWhitelisted reports whether ip is in a whitelisted network.
func (bm *BanManager) isWhitelisted(ip net.IP) bool {
	for _, n := range bm.cfg.Whitelist {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

// IsWhitelisted reports whether host (an IP, or ip:port) is never banned.
func (bm *BanManager) IsWhitelisted(host string) bool {
	ip, _, err := canonicalHost(host)
	return err == nil && bm.isWhitelisted(ip)
}

// AddScore adds misbehaviour score to host (an IP, or ip:port) and reports
// whether the host is banned afterwards. The persistent part stays until a
// ban; the transient part halves every HalfLife. A host is banned for
// Duration when its score reaches Threshold, and its score starts again
// from zero. Whitelisted hosts and hosts that are not IP addresses are
// never banned.
func (bm *BanManager) AddScore(host string, persistent, transient uint32, reason string) bool {
	ip, key, err := canonicalHost(host)
	if err != nil {
		log.Warnf("Not scoring %q: %v", host, err)
		return false
	}
	if bm.isWhitelisted(ip) {
		log.Debugf("Misbehaviour by whitelisted host %s: %s", key, reason)
		return false
	}

	now := bm.now()
	bm.mtx.Lock()
	if b, ok := bm.bans[key]; ok && now.Before(b.Until) {
		bm.mtx.Unlock()
		return true
	}
	s, ok := bm.scores[key]
	if !ok {
		if len(bm.scores) >= maxScoredHosts {
			bm.evictScoreLocked(now)
		}
		s = &hostScore{updated: now}
		bm.scores[key] = s
	}
	s.decay(now, bm.cfg.HalfLife)
	if s.persistent > math.MaxUint32-persistent {
		s.persistent = math.MaxUint32
	} else {
		s.persistent += persistent
	}
	s.transient += float64(transient)
	score := s.total()
	if score < bm.cfg.Threshold {
		bm.mtx.Unlock()
		log.Debugf("Ban score of %s is %d of %d after: %s", key, score,
			bm.cfg.Threshold, reason)
		return false
	}
	delete(bm.scores, key)
	bm.banLocked(BanInfo{Host: key, Until: now.Add(bm.cfg.Duration), Reason: reason}, now)
	bm.mtx.Unlock()

	log.Infof("Banned %s for %v: score %d reached %d (%s)", key, bm.cfg.Duration,
		score, bm.cfg.Threshold, reason)
	bm.saveLogged()
	return true
}

// evictScoreLocked drops the lowest score to make room. It is O(n) but
// runs only when the map is full.
func (bm *BanManager) evictScoreLocked(now time.Time) {
	var worstKey string
	var worst uint32 = math.MaxUint32
	for k, s := range bm.scores {
		s.decay(now, bm.cfg.HalfLife)
		if t := s.total(); t < worst {
			worst, worstKey = t, k
		}
	}
	delete(bm.scores, worstKey)
}

// banLocked records a ban, dropping expired bans and, at the bound, the one
// that ends first.
func (bm *BanManager) banLocked(b BanInfo, now time.Time) {
	if _, ok := bm.bans[b.Host]; !ok && len(bm.bans) >= maxBans {
		var first string
		var firstUntil time.Time
		for k, old := range bm.bans {
			if !now.Before(old.Until) {
				delete(bm.bans, k)
				continue
			}
			if first == "" || old.Until.Before(firstUntil) {
				first, firstUntil = k, old.Until
			}
		}
		if len(bm.bans) >= maxBans {
			delete(bm.bans, first)
		}
	}
	bm.bans[b.Host] = b
}

// Score returns host's current score, zero for a banned or unknown host.
func (bm *BanManager) Score(host string) uint32 {
	_, key, err := canonicalHost(host)
	if err != nil {
		return 0
	}
	bm.mtx.Lock()
	defer bm.mtx.Unlock()
	s, ok := bm.scores[key]
	if !ok {
		return 0
	}
	s.decay(bm.now(), bm.cfg.HalfLife)
	return s.total()
}

// IsBanned reports whether host (an IP, or ip:port) is banned now. A
// whitelisted host never is, even if it was banned before being
// whitelisted.
func (bm *BanManager) IsBanned(host string) bool {
	ip, key, err := canonicalHost(host)
	if err != nil || bm.isWhitelisted(ip) {
		return false
	}
	now := bm.now()
	bm.mtx.Lock()
	defer bm.mtx.Unlock()
	b, ok := bm.bans[key]
	if !ok {
		return false
	}
	if !now.Before(b.Until) {
		// Expired: forget it; the file drops it at the next save.
		delete(bm.bans, key)
		return false
	}
	return true
}

// Ban bans host (an IP, or ip:port) for d, or for Duration when d is not
// positive, whatever its score.
func (bm *BanManager) Ban(host string, d time.Duration) error {
	ip, key, err := canonicalHost(host)
	if err != nil {
		return err
	}
	if bm.isWhitelisted(ip) {
		return ruleError(ErrWhitelisted, fmt.Sprintf("host %s is whitelisted", key))
	}
	if d <= 0 {
		d = bm.cfg.Duration
	}
	now := bm.now()
	bm.mtx.Lock()
	delete(bm.scores, key)
	bm.banLocked(BanInfo{Host: key, Until: now.Add(d), Reason: operatorBanReason}, now)
	bm.mtx.Unlock()
	log.Infof("Banned %s for %v by operator", key, d)
	return bm.Save()
}

// Unban lifts host's ban and clears its score. It reports whether there was
// a ban to lift.
func (bm *BanManager) Unban(host string) bool {
	_, key, err := canonicalHost(host)
	if err != nil {
		return false
	}
	bm.mtx.Lock()
	_, banned := bm.bans[key]
	delete(bm.bans, key)
	delete(bm.scores, key)
	bm.mtx.Unlock()
	if banned {
		log.Infof("Unbanned %s", key)
		bm.saveLogged()
	}
	return banned
}

// ListBans returns the bans in force, sorted by host.
func (bm *BanManager) ListBans() []BanInfo {
	now := bm.now()
	bm.mtx.Lock()
	defer bm.mtx.Unlock()
	return bm.activeBansLocked(now)
}

// activeBansLocked returns the unexpired bans sorted by host.
func (bm *BanManager) activeBansLocked(now time.Time) []BanInfo {
	list := make([]BanInfo, 0, len(bm.bans))
	for _, b := range bm.bans {
		if now.Before(b.Until) {
			list = append(list, b)
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Host < list[j].Host })
	return list
}

// Save writes the bans in force to DataDir/bans.json. Bans are saved
// whenever they change; Save is for a final write at shutdown. It does
// nothing without a DataDir.
func (bm *BanManager) Save() error {
	path := bm.path()
	if path == "" {
		return nil
	}
	bm.saveMtx.Lock()
	defer bm.saveMtx.Unlock()
	return bm.saveLocked(path)
}

// saveLocked writes the file; saveMtx must be held.
func (bm *BanManager) saveLocked(path string) error {
	bm.mtx.Lock()
	list := bm.activeBansLocked(bm.now())
	bm.mtx.Unlock()
	data, err := encodeBans(list)
	if err != nil {
		return fmt.Errorf("encode ban list: %w", err)
	}
	return writeFileAtomic(path, data)
}

// saveLogged saves after a change, at most once per minAutoSaveInterval,
// and logs a failure: a ban that cannot be persisted still holds until the
// restart.
func (bm *BanManager) saveLogged() {
	path := bm.path()
	if path == "" {
		return
	}
	bm.saveMtx.Lock()
	defer bm.saveMtx.Unlock()
	now := time.Now()
	if now.Sub(bm.lastAutoSave) < minAutoSaveInterval {
		return
	}
	bm.lastAutoSave = now
	if err := bm.saveLocked(path); err != nil {
		log.Warnf("Cannot save the ban list: %v", err)
	}
}
