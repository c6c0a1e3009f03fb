package rpcserver

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/soterdag/soterd/rpcmodel"
	"github.com/soterdag/soterd/wire"
)

// The template keeper serves getblocktemplate, its long poll and the
// blocktemplatechanged notification from one notion of "the current
// template", a generation number that moves on two events:
//
//   - the virtual block changed (NotifyVirtualChanged): a template must
//     name new parents, at once;
//   - transactions entered the mempool (NotifyTxAccepted) and the current
//     generation is at least TemplateTxRefresh old: at once if it is,
//     otherwise when it becomes that old.
//
// Each generation's template is built once, on the first request, and
// served to every caller with a coinbase of the caller's own. Long polls
// wait on a channel closed when the generation moves; the only goroutine
// is the one that owns the timer of the mempool rule.

// longPollIDTagLen is the length, in hex characters, of the parents tag
// that starts a longpollid.
const longPollIDTagLen = 16

// maxLongPollIDLen bounds a longpollid: the tag, a dash and a uint64.
const maxLongPollIDLen = longPollIDTagLen + 1 + 20

// longPollID names one template generation: a tag of the virtual's parents
// when it began and its number. Its text form is "<tag hex>-<number>".
// Clients treat it as opaque (BIP 22); the tag keeps the ids of a restarted
// node, whose numbers start again, from matching those it gave before.
type longPollID struct {
	tag uint64
	gen uint64
}

// String returns the id's text form.
func (id longPollID) String() string {
	return fmt.Sprintf("%016x-%d", id.tag, id.gen)
}

// parseLongPollID parses the text form of a longpollid. Only the canonical
// form String writes is accepted, so one id has one spelling.
func parseLongPollID(s string) (longPollID, error) {
	if len(s) > maxLongPollIDLen {
		return longPollID{}, fmt.Errorf("longpollid is %d characters, at most %d", len(s), maxLongPollIDLen)
	}
	tagHex, genText, ok := strings.Cut(s, "-")
	if !ok || len(tagHex) != longPollIDTagLen {
		return longPollID{}, fmt.Errorf("longpollid %s is not of the form <16 hex>-<number>", clip(s))
	}
	var tag [8]byte
	if _, err := hex.Decode(tag[:], []byte(tagHex)); err != nil || strings.ToLower(tagHex) != tagHex {
		return longPollID{}, fmt.Errorf("longpollid %s does not start with 16 lower-case hex digits", clip(s))
	}
	gen, err := strconv.ParseUint(genText, 10, 64)
	if err != nil || strconv.FormatUint(gen, 10) != genText {
		return longPollID{}, fmt.Errorf("longpollid %s does not end with a decimal number", clip(s))
	}
	return longPollID{tag: binary.BigEndian.Uint64(tag[:]), gen: gen}, nil
}

// parentsTag returns the tag of a set of parents: the first 8 bytes of the
// double SHA-256 of the sorted hashes.
func parentsTag(parents []wire.Hash) uint64 {
	sorted := slices.Clone(parents)
	slices.SortFunc(sorted, func(a, b wire.Hash) int { return a.Compare(&b) })
	buf := make([]byte, 0, len(sorted)*wire.HashSize)
	for i := range sorted {
		buf = append(buf, sorted[i][:]...)
	}
	h := wire.DoubleHashH(buf)
	return binary.BigEndian.Uint64(h[:8])
}

// servedTemplate is one generation's template with the parts of the
// getblocktemplate result that do not depend on the caller, computed once.
type servedTemplate struct {
	tmpl *BlockTemplate
	id   longPollID
	txs  []rpcmodel.GetBlockTemplateResultTx
}

// newServedTemplate prepares tmpl for serving under id.
func newServedTemplate(tmpl *BlockTemplate, id longPollID) *servedTemplate {
	txs := tmpl.Block.Transactions[1:]
	// BIP 22 numbers the transactions from 1, the coinbase left out.
	pos := make(map[wire.Hash]int64, len(txs))
	out := make([]rpcmodel.GetBlockTemplateResultTx, len(txs))
	for i, tx := range txs {
		txID := tx.TxID()
		depends := []int64{}
		for j := range tx.TxIn {
			p, ok := pos[tx.TxIn[j].PreviousOutPoint.TxID]
			if ok && !slices.Contains(depends, p) {
				depends = append(depends, p)
			}
		}
		slices.Sort(depends)
		var fee uint64
		if i+1 < len(tmpl.TxFees) {
			fee = tmpl.TxFees[i+1]
		}
		out[i] = rpcmodel.GetBlockTemplateResultTx{
			Data:    hex.EncodeToString(tx.Serialize()),
			TxID:    txID.String(),
			Hash:    tx.TxHash().String(),
			Depends: depends,
			Fee:     fee,
		}
		pos[txID] = int64(i + 1)
	}
	return &servedTemplate{tmpl: tmpl, id: id, txs: out}
}

// templateKeeper tracks the template generation, caches its template and
// tells long polls and websocket clients when it moves. It is safe for
// concurrent access.
type templateKeeper struct {
	s       *Server
	refresh time.Duration

	// arm tells run that transactions arrived in a generation younger
	// than refresh; one pending signal is enough.
	arm chan struct{}

	// buildMu makes concurrent callers wait for one build rather than
	// each building the same template.
	buildMu sync.Mutex

	mu         sync.Mutex
	id         longPollID
	genStart   time.Time
	txsPending bool
	changed    chan struct{} // closed when the generation moves
	cache      *servedTemplate
}

// newTemplateKeeper returns a keeper whose first generation is on the
// DAG's current virtual parents.
func newTemplateKeeper(s *Server) *templateKeeper {
	return &templateKeeper{
		s:        s,
		refresh:  s.cfg.TemplateTxRefresh,
		arm:      make(chan struct{}, 1),
		id:       longPollID{tag: parentsTag(s.cfg.DAG.VirtualInfo().Parents), gen: 1},
		genStart: time.Now(),
		changed:  make(chan struct{}),
	}
}

// run owns the timer of the mempool rule: it moves the generation when a
// generation that saw transactions becomes refresh old. It exits when the
// server stops.
func (k *templateKeeper) run() {
	defer k.s.wg.Done()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		select {
		case <-k.s.quit:
			return
		case <-k.arm:
			k.mu.Lock()
			due := time.Until(k.genStart.Add(k.refresh))
			k.mu.Unlock()
			timer.Reset(max(due, 0))
		case <-timer.C:
			k.mu.Lock()
			if !k.txsPending {
				k.mu.Unlock()
				continue
			}
			if due := time.Until(k.genStart.Add(k.refresh)); due > 0 {
				k.mu.Unlock()
				timer.Reset(due)
				continue
			}
			ntfn := k.advanceLocked(rpcmodel.TemplateChangedMempool)
			k.mu.Unlock()
			k.s.sendTemplateChanged(ntfn)
		}
	}
}

// templateChange is a new generation to announce to websocket clients.
type templateChange struct {
	id     longPollID
	reason string
}

// advanceLocked starts a new generation and returns what to announce once
// the lock is released. It must be called with mu held.
func (k *templateKeeper) advanceLocked(reason string) templateChange {
	k.id.gen++
	k.genStart = time.Now()
	k.txsPending = false
	k.cache = nil
	close(k.changed)
	k.changed = make(chan struct{})
	return templateChange{id: k.id, reason: reason}
}

// virtualChanged starts a generation on new virtual parents.
func (k *templateKeeper) virtualChanged(parents []wire.Hash) {
	k.mu.Lock()
	k.id.tag = parentsTag(parents)
	ntfn := k.advanceLocked(rpcmodel.TemplateChangedParents)
	k.mu.Unlock()
	k.s.sendTemplateChanged(ntfn)
}

// txAccepted applies the mempool rule to a new transaction.
func (k *templateKeeper) txAccepted() {
	k.mu.Lock()
	k.txsPending = true
	if time.Since(k.genStart) < k.refresh {
		k.mu.Unlock()
		select {
		case k.arm <- struct{}{}:
		default:
		}
		return
	}
	ntfn := k.advanceLocked(rpcmodel.TemplateChangedMempool)
	k.mu.Unlock()
	k.s.sendTemplateChanged(ntfn)
}

// current returns the generation's id and the channel closed when it
// moves.
func (k *templateKeeper) current() (longPollID, <-chan struct{}) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.id, k.changed
}

// template returns the current generation's template, building it on the
// first call. A template built while the generation moved is returned
// under the old id and not cached, so its holder's long poll answers at
// once.
func (k *templateKeeper) template() (*servedTemplate, error) {
	k.buildMu.Lock()
	defer k.buildMu.Unlock()
	k.mu.Lock()
	if c := k.cache; c != nil {
		k.mu.Unlock()
		return c, nil
	}
	id := k.id
	k.mu.Unlock()

	tmpl, err := k.s.cfg.Templater.NewBlockTemplate()
	if err != nil {
		return nil, err
	}
	st := newServedTemplate(tmpl, id)
	k.mu.Lock()
	if k.id == id {
		k.cache = st
	}
	k.mu.Unlock()
	return st, nil
}

// waitChange waits until the generation is no longer id, the timeout
// passes, the server stops or the client goes away; only the last two are
// errors.
func (k *templateKeeper) waitChange(id longPollID, timeout time.Duration,
	clientQuit <-chan struct{}) *rpcmodel.RPCError {

	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		cur, changed := k.current()
		if cur != id {
			return nil
		}
		select {
		case <-changed:
		case <-timer.C:
			return nil
		case <-k.s.quit:
			return errShuttingDown
		case <-clientQuit:
			return errClientGone
		}
	}
}

// sendTemplateChanged queues a blocktemplatechanged notification to the
// clients that asked for it. It never blocks.
func (s *Server) sendTemplateChanged(ch templateChange) {
	clients := s.ntfn.subscribers(func(c *wsClient) bool { return c.notifyTemplate.Load() })
	if len(clients) == 0 {
		// A syncing node moves the virtual with every block; nobody
		// needs the notification built.
		return
	}
	msg := marshalNtfn(rpcmodel.NtfnBlockTemplateChanged, rpcmodel.BlockTemplateChangedNtfn{
		LongPollID: ch.id.String(),
		Reason:     ch.reason,
	})
	if msg == nil {
		return
	}
	for _, c := range clients {
		c.queue(msg)
	}
}
