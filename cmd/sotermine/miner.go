package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/soterdag/soterd/internal/rpcclient"
	"github.com/soterdag/soterd/mining"
	"github.com/soterdag/soterd/rpcmodel"
)

const (
	// hashesPerCheck is how many nonces a worker tries between looks at
	// whether its job is stale: the built-in CPU miner's number, so the
	// two hash at the same rate and react within a millisecond or so.
	hashesPerCheck = 1 << 10

	// timeRefresh is how often the header timestamp moves on while the
	// template stays the same, as the built-in miner rebuilds its
	// template every 5 s.
	timeRefresh = 5 * time.Second

	// callTimeout bounds one RPC call to the node.
	callTimeout = 30 * time.Second

	// reconnectDelay is the wait before dialling again after the
	// connection to the node failed.
	reconnectDelay = 5 * time.Second
)

// errDone ends a session when the miner found the blocks it was asked for.
var errDone = errors.New("done")

// job is what the workers hash: a work with a timestamp and the extra
// nonces they take theirs from. A job without work means idle.
type job struct {
	work      *work
	timestamp int64
	// extraBase + worker index is each worker's extra nonce, so no two
	// workers hash the same header.
	extraBase uint64
	start     time.Time
	// done is closed when the job is superseded.
	done chan struct{}
}

// solution is a nonce a worker found for a job.
type solution struct {
	job        *job
	extraNonce uint64
	nonce      uint64
}

// minerConfig configures a miner.
type minerConfig struct {
	workers int
	// miningAddr is the coinbase key asked for, empty for the node's.
	miningAddr string
	// pace is the least time between two blocks; zero is none.
	pace time.Duration
	// maxBlocks ends mining after that many accepted blocks; zero is
	// never.
	maxBlocks int
	// statsInterval is how often the hash rate is logged.
	statsInterval time.Duration
}

// miner mines on templates from one node at a time. Its counters are safe
// for concurrent access; run is called once.
type miner struct {
	cfg minerConfig

	hashes   atomic.Uint64
	found    atomic.Uint64
	accepted atomic.Uint64
}

// pool is the hashing goroutines and the job they work on.
type pool struct {
	m         *miner
	current   atomic.Pointer[job]
	solutions chan solution
	quit      chan struct{}
	wg        sync.WaitGroup
}

// startPool starts n idle workers.
func (m *miner) startPool(n int) *pool {
	p := &pool{m: m, solutions: make(chan solution, n), quit: make(chan struct{})}
	p.current.Store(&job{done: make(chan struct{})})
	for i := 0; i < n; i++ {
		p.wg.Add(1)
		go p.worker(uint64(i))
	}
	return p
}

// publish hands the workers a new job (nil: idle) and wakes those on the
// old one.
func (p *pool) publish(j *job) {
	if j == nil {
		j = &job{done: make(chan struct{})}
	}
	old := p.current.Swap(j)
	close(old.done)
}

// stop ends the workers and waits for them.
func (p *pool) stop() {
	close(p.quit)
	p.publish(nil)
	p.wg.Wait()
}

// worker hashes the current job with its own extra nonce until it finds a
// nonce, the job is superseded, or the pool stops.
func (p *pool) worker(index uint64) {
	defer p.wg.Done()
	for {
		j := p.current.Load()
		if j.work != nil {
			if sol, ok := p.solve(j, index); ok {
				select {
				case p.solutions <- sol:
				case <-j.done:
				case <-p.quit:
					return
				}
			}
		}
		select {
		case <-j.done:
		case <-p.quit:
			return
		}
	}
}

// solve searches j's header for this worker's extra nonce from a random
// nonce, through package mining's search, the built-in miner's own loop.
func (p *pool) solve(j *job, index uint64) (solution, bool) {
	extra := j.extraBase + index
	header := j.work.header(extra, j.timestamp)
	h := mining.NewHeaderHasher(&header)
	nonce := rand.Uint64()
	for {
		found, tried, ok := h.Search(nonce, hashesPerCheck, &j.work.target)
		p.m.hashes.Add(uint64(tried))
		if ok {
			return solution{job: j, extraNonce: extra, nonce: found}, true
		}
		nonce += hashesPerCheck
		select {
		case <-j.done:
			return solution{}, false
		case <-p.quit:
			return solution{}, false
		default:
		}
	}
}

// run mines until ctx ends or the blocks asked for are found, dialling the
// node again whenever the connection fails.
func (m *miner) run(ctx context.Context, opts *rpcclient.ConnOptions) error {
	for {
		client, err := rpcclient.Dial(opts)
		if err == nil {
			log.Infof("Connected to %s", opts.RPCServer)
			err = m.session(ctx, client)
			client.Close()
		}
		switch {
		case errors.Is(err, errDone):
			return nil
		case ctx.Err() != nil:
			return nil
		}
		log.Warnf("Node %s: %v; trying again in %v", opts.RPCServer, err, reconnectDelay)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(reconnectDelay):
		}
	}
}

// fetch asks the node for a template and decodes it.
func (m *miner) fetch(ctx context.Context, client *rpcclient.WSClient) (*work, time.Time, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	req := rpcmodel.TemplateRequest{MiningAddr: m.cfg.miningAddr}
	var r rpcmodel.GetBlockTemplateResult
	if err := client.Call(ctx, &r, "getblocktemplate", req); err != nil {
		return nil, time.Time{}, err
	}
	w, err := newWork(&r)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("unusable template: %w", err)
	}
	return w, time.Now(), nil
}

// session mines over one connection: it subscribes to template changes,
// fetches a template, hashes it on every worker, restarts the workers on a
// new template whenever the node announces one, submits what they find,
// and returns when the connection fails or ctx ends.
func (m *miner) session(ctx context.Context, client *rpcclient.WSClient) error {
	{
		callCtx, cancel := context.WithTimeout(ctx, callTimeout)
		err := client.Call(callCtx, nil, "notifyblocktemplate")
		cancel()
		if err != nil {
			return err
		}
	}
	p := m.startPool(m.cfg.workers)
	defer p.stop()

	stats := time.NewTicker(m.cfg.statsInterval)
	defer stats.Stop()
	statsSince, statsHashes := time.Now(), m.hashes.Load()
	logStats := func() {
		now, hashes := time.Now(), m.hashes.Load()
		if now.Sub(statsSince) < time.Second {
			// Too short a window for a rate worth reading.
			return
		}
		rate := float64(hashes-statsHashes) / now.Sub(statsSince).Seconds()
		statsSince, statsHashes = now, hashes
		log.Infof("Hash rate %s over %d workers; %d blocks found, %d accepted",
			formatRate(rate), m.cfg.workers, m.found.Load(), m.accepted.Load())
	}
	refresh := time.NewTicker(timeRefresh)
	defer refresh.Stop()

	var (
		cur       *work
		fetchedAt time.Time
		// paced is set while the workers wait out the pace after a
		// block; templates are fetched again when it fires.
		paced <-chan time.Time
	)
	// start fetches a template and puts the workers on it; it returns an
	// error only for a broken connection.
	start := func() error {
		w, at, err := m.fetch(ctx, client)
		if err != nil {
			return err
		}
		if cur == nil || w.id != cur.id {
			log.Debugf("New template %s: height %d, blue score %d, %d parents, %d transactions",
				w.id, w.height, w.blueScore, len(w.parents), len(w.txs))
		}
		cur, fetchedAt = w, at
		p.publish(&job{work: w, timestamp: w.timestamp(0), extraBase: rand.Uint64(),
			start: at, done: make(chan struct{})})
		return nil
	}
	if err := start(); err != nil {
		return err
	}

	for {
		select {
		case <-ctx.Done():
			logStats()
			return ctx.Err()
		case <-client.Done():
			return client.Err()
		case n := <-client.Notifications():
			if paced != nil || !changedFrom(n, cur) {
				continue
			}
			// Several announcements may wait: one fetch answers all.
			drainNotifications(client)
			if err := start(); err != nil {
				return err
			}
		case <-paced:
			paced = nil
			drainNotifications(client)
			if err := start(); err != nil {
				return err
			}
		case <-refresh.C:
			if paced != nil {
				continue
			}
			// Same template, a current timestamp.
			since := time.Since(fetchedAt).Milliseconds()
			p.publish(&job{work: cur, timestamp: cur.timestamp(since), extraBase: rand.Uint64(),
				start: time.Now(), done: make(chan struct{})})
		case <-stats.C:
			logStats()
		case sol := <-p.solutions:
			if sol.job != p.current.Load() {
				// A late answer for a superseded job.
				continue
			}
			foundAt := time.Now()
			p.publish(nil)
			if err := m.submit(ctx, client, sol); err != nil {
				return err
			}
			if m.cfg.maxBlocks > 0 && m.accepted.Load() >= uint64(m.cfg.maxBlocks) {
				logStats()
				log.Infof("Mined the %d blocks asked for", m.cfg.maxBlocks)
				return errDone
			}
			if m.cfg.pace > 0 {
				// The workers stay idle until the pace has passed
				// since the block was found.
				paced = time.After(time.Until(foundAt.Add(m.cfg.pace)))
				continue
			}
			if err := start(); err != nil {
				return err
			}
		}
	}
}

// changedFrom reports whether a notification announces a template other
// than the one held.
func changedFrom(n rpcclient.Notification, cur *work) bool {
	if n.Method != rpcmodel.NtfnBlockTemplateChanged {
		return false
	}
	var ntfn rpcmodel.BlockTemplateChangedNtfn
	if len(n.Params) != 1 || json.Unmarshal(n.Params[0], &ntfn) != nil {
		return true
	}
	return cur == nil || ntfn.LongPollID != cur.id
}

// drainNotifications discards the notifications already queued.
func drainNotifications(client *rpcclient.WSClient) {
	for {
		select {
		case <-client.Notifications():
		default:
			return
		}
	}
}

// submit sends a solution's block to the node and logs the answer. Only a
// broken connection is an error: a refused block is logged and mining goes
// on.
func (m *miner) submit(ctx context.Context, client *rpcclient.WSClient, sol solution) error {
	m.found.Add(1)
	j := sol.job
	block := j.work.block(sol.extraNonce, j.timestamp, sol.nonce)
	hash := block.BlockHash()
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	var answer *string
	err := client.Call(ctx, &answer, "submitblock", hex.EncodeToString(block.Serialize()))
	var rpcErr *rpcmodel.RPCError
	switch {
	case errors.As(err, &rpcErr):
		log.Warnf("Block %s refused: %v", hash, rpcErr)
		return nil
	case err != nil:
		return err
	case answer != nil:
		log.Warnf("Block %s not accepted: %s", hash, *answer)
		return nil
	}
	m.accepted.Add(1)
	log.Infof("Found block %s (height %d, blue score %d, %d transactions) in %v",
		hash, j.work.height, j.work.blueScore, len(block.Transactions),
		time.Since(j.start).Round(time.Millisecond))
	return nil
}

// formatRate prints a hash rate with a unit.
func formatRate(rate float64) string {
	switch {
	case rate >= 1e9:
		return fmt.Sprintf("%.2f GH/s", rate/1e9)
	case rate >= 1e6:
		return fmt.Sprintf("%.2f MH/s", rate/1e6)
	case rate >= 1e3:
		return fmt.Sprintf("%.2f kH/s", rate/1e3)
	}
	return fmt.Sprintf("%.0f H/s", rate)
}
