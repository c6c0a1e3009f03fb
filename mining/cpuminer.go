package mining

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/soterdag/soterd/blockdag"
	"github.com/soterdag/soterd/wire"
)

const (
	// templateRefreshInterval is how often the miner rebuilds its template
	// when the tips do not change, to pick up new mempool transactions and
	// keep the timestamp current.
	templateRefreshInterval = 5 * time.Second

	// templateRetryInterval is the wait after a failed template before the
	// next attempt.
	templateRetryInterval = time.Second

	// hashRateInterval is how often the hash rate is recomputed.
	hashRateInterval = 2 * time.Second

	// hashesPerCheck is how many nonces a worker tries between looks at
	// whether its template is stale: small enough to react within a
	// millisecond or so, large enough to cost nothing.
	hashesPerCheck = 1 << 10

	// maxMinedBlocks bounds the history MinedBlocks returns.
	maxMinedBlocks = 1000

	// MaxGenerateBlocks bounds one Generate call.
	MaxGenerateBlocks = 10_000

	// maxGenerateTries bounds the nonces Generate tries per block. On the
	// networks Generate runs on about half of all hashes meet the target,
	// so reaching it means the bits are not what those networks use.
	maxGenerateTries = 1 << 24
)

// MinerConfig configures a CPUMiner. Generator and SubmitBlock are required.
type MinerConfig struct {
	// Generator builds the templates.
	Generator *Generator

	// PayTo is the x-only public key the coinbases pay to.
	PayTo [wire.PubKeySize]byte

	// NumWorkers is how many hashing goroutines run; zero or less means
	// one per CPU.
	NumWorkers int

	// SubmitBlock hands a solved block to the node (netsync's
	// ProcessBlock path) and reports whether the DAG accepted it; an
	// orphan is not accepted. It must not call Stop, SetNumWorkers or
	// Generate.
	SubmitBlock func(*wire.MsgBlock) (bool, error)

	// PaceBlocks is the least time between two blocks of the continuous
	// miner. Zero picks the default: the network's TargetTimePerBlock on
	// networks without difficulty adjustment (regtest, simnet), where
	// every nonce nearly wins and an unpaced miner would fill a disk in
	// minutes, and no pacing elsewhere, where difficulty paces. A negative
	// value turns pacing off. Generate is never paced.
	PaceBlocks time.Duration
}

// MinedBlock records a block this miner found and the DAG accepted.
type MinedBlock struct {
	Hash wire.Hash

	// Time is when the nonce was found, and Elapsed the time from the
	// template to the solution (pacing not included).
	Time    time.Time
	Elapsed time.Duration

	Height    uint32
	BlueScore uint64
	Size      int
	TxCount   int
}

// job is one template the workers hash. A job without a template means
// idle.
type job struct {
	tmpl   *BlockTemplate
	start  time.Time
	target Target
	// done is closed when the job is superseded.
	done chan struct{}
}

// solution is a nonce a worker found for a job.
type solution struct {
	job   *job
	nonce uint64
}

// CPUMiner mines blocks with the CPU. Its methods are safe for concurrent
// use.
type CPUMiner struct {
	cfg    MinerConfig
	params *blockdag.Params
	pace   time.Duration

	// mtx guards the fields below it. The miner's goroutines never take
	// it, so Stop can hold it while it waits for them.
	mtx        sync.Mutex
	running    bool
	numWorkers int
	quit       chan struct{}
	wg         sync.WaitGroup

	// genMtx serialises Generate calls.
	genMtx sync.Mutex

	// tipsChanged wakes the controller; one pending signal is enough.
	tipsChanged chan struct{}

	// hashes counts nonces tried since the last hash rate update, and
	// hashRate holds the last rate as float64 bits.
	hashes   atomic.Uint64
	hashRate atomic.Uint64

	statsMtx   sync.Mutex
	mined      []MinedBlock // ring of the newest maxMinedBlocks
	minedNext  int
	minedTotal uint64
}

// NewCPUMiner returns a stopped miner.
func NewCPUMiner(cfg *MinerConfig) (*CPUMiner, error) {
	if cfg == nil {
		return nil, errors.New("mining: nil miner config")
	}
	if cfg.Generator == nil {
		return nil, errors.New("mining: miner config Generator is nil")
	}
	if cfg.SubmitBlock == nil {
		return nil, errors.New("mining: miner config SubmitBlock is nil")
	}
	params := cfg.Generator.Params()
	m := &CPUMiner{
		cfg:         *cfg,
		params:      params,
		numWorkers:  cfg.NumWorkers,
		tipsChanged: make(chan struct{}, 1),
	}
	if m.numWorkers <= 0 {
		m.numWorkers = runtime.NumCPU()
	}
	switch {
	case cfg.PaceBlocks > 0:
		m.pace = cfg.PaceBlocks
	case cfg.PaceBlocks == 0 && params.NoDifficultyAdjustment:
		m.pace = params.TargetTimePerBlock
	}
	return m, nil
}

// Start starts mining with the configured number of workers. It does
// nothing if the miner runs.
func (m *CPUMiner) Start() {
	m.mtx.Lock()
	defer m.mtx.Unlock()
	m.startLocked()
}

func (m *CPUMiner) startLocked() {
	if m.running {
		return
	}
	m.running = true
	m.quit = make(chan struct{})
	m.hashes.Store(0)
	m.wg.Add(1)
	go m.controller(m.quit, m.numWorkers)
	log.Infof("CPU miner started with %d workers", m.numWorkers)
}

// Stop stops mining and returns once every miner goroutine has exited. It
// is safe to call when stopped and more than once.
func (m *CPUMiner) Stop() {
	m.mtx.Lock()
	defer m.mtx.Unlock()
	m.stopLocked()
}

func (m *CPUMiner) stopLocked() {
	if !m.running {
		return
	}
	close(m.quit)
	m.wg.Wait()
	m.running = false
	m.hashRate.Store(0)
	log.Infof("CPU miner stopped")
}

// IsMining reports whether the continuous miner runs.
func (m *CPUMiner) IsMining() bool {
	m.mtx.Lock()
	defer m.mtx.Unlock()
	return m.running
}

// NumWorkers returns the number of hashing goroutines the miner runs (or
// would run once started).
func (m *CPUMiner) NumWorkers() int {
	m.mtx.Lock()
	defer m.mtx.Unlock()
	return m.numWorkers
}

// SetNumWorkers changes the number of hashing goroutines: n < 0 means one
// per CPU, and 0 stops the miner (as btcd's genproclimit does). A running
// miner restarts with the new count; a stopped one stays stopped.
func (m *CPUMiner) SetNumWorkers(n int) {
	m.mtx.Lock()
	defer m.mtx.Unlock()
	if n == 0 {
		m.stopLocked()
		return
	}
	if n < 0 {
		n = runtime.NumCPU()
	}
	if n == m.numWorkers {
		return
	}
	m.numWorkers = n
	if m.running {
		m.stopLocked()
		m.startLocked()
	}
}

// SetGenerate starts or stops the miner, for the setgenerate RPC: workers
// > 0 sets the number of workers first, anything else keeps the current
// one.
func (m *CPUMiner) SetGenerate(on bool, workers int) {
	if !on {
		m.Stop()
		return
	}
	if workers > 0 {
		m.SetNumWorkers(workers)
	}
	m.Start()
}

// NotifyTipsChanged tells the miner that the DAG's tips moved, so its
// template is stale. It never blocks.
func (m *CPUMiner) NotifyTipsChanged() {
	select {
	case m.tipsChanged <- struct{}{}:
	default:
	}
}

// HashesPerSecond returns the hash rate over the last few seconds; zero when
// stopped.
func (m *CPUMiner) HashesPerSecond() float64 {
	return math.Float64frombits(m.hashRate.Load())
}

// MinedBlocks returns the newest blocks (up to 1000) this miner found and
// the DAG accepted, oldest first, for getblockmetrics.
func (m *CPUMiner) MinedBlocks() []MinedBlock {
	m.statsMtx.Lock()
	defer m.statsMtx.Unlock()
	out := make([]MinedBlock, 0, len(m.mined))
	if len(m.mined) == maxMinedBlocks {
		out = append(out, m.mined[m.minedNext:]...)
		out = append(out, m.mined[:m.minedNext]...)
		return out
	}
	return append(out, m.mined...)
}

// BlocksMined returns how many blocks this miner found that the DAG
// accepted since it was created.
func (m *CPUMiner) BlocksMined() uint64 {
	m.statsMtx.Lock()
	defer m.statsMtx.Unlock()
	return m.minedTotal
}

// recordMined adds an accepted block, found at found from a template built
// at start, to the history.
func (m *CPUMiner) recordMined(block *wire.MsgBlock, tmpl *BlockTemplate, start, found time.Time) {
	mb := MinedBlock{
		Hash:      block.BlockHash(),
		Time:      found,
		Elapsed:   found.Sub(start),
		Height:    tmpl.Height,
		BlueScore: tmpl.BlueScore,
		Size:      block.SerializeSize(),
		TxCount:   len(block.Transactions),
	}
	m.statsMtx.Lock()
	defer m.statsMtx.Unlock()
	if len(m.mined) < maxMinedBlocks {
		m.mined = append(m.mined, mb)
	} else {
		m.mined[m.minedNext] = mb
		m.minedNext = (m.minedNext + 1) % maxMinedBlocks
	}
	m.minedTotal++
}

// newJob returns a job over tmpl.
func newJob(tmpl *BlockTemplate) *job {
	return &job{
		tmpl:   tmpl,
		start:  time.Now(),
		target: TargetFromBits(tmpl.Block.Header.Bits),
		done:   make(chan struct{}),
	}
}

// controller owns the templates: it builds one, hands it to the workers,
// and replaces it when a block is found, the tips change or it gets old. It
// starts the workers and returns after they have exited.
func (m *CPUMiner) controller(quit chan struct{}, numWorkers int) {
	defer m.wg.Done()

	// The workers start idle: a job without a template.
	var current atomic.Pointer[job]
	current.Store(&job{done: make(chan struct{})})
	// publish replaces the workers' job, nil meaning idle, and wakes those
	// waiting on the old one.
	publish := func(j *job) {
		if j == nil {
			j = &job{done: make(chan struct{})}
		}
		old := current.Swap(j)
		close(old.done)
	}

	solutions := make(chan solution, numWorkers)
	var workers sync.WaitGroup
	for i := 0; i < numWorkers; i++ {
		workers.Add(1)
		go m.worker(quit, &current, solutions, &workers)
	}
	defer func() {
		publish(nil)
		workers.Wait()
	}()

	rateTicker := time.NewTicker(hashRateInterval)
	defer rateTicker.Stop()
	rateSince := time.Now()
	updateRate := func() {
		now := time.Now()
		if secs := now.Sub(rateSince).Seconds(); secs > 0 {
			rate := float64(m.hashes.Swap(0)) / secs
			m.hashRate.Store(math.Float64bits(rate))
		}
		rateSince = now
	}

	// sleep waits d with the workers idle, keeping the hash rate
	// current; it returns false if quit closed. With wakeOnTips a tips
	// change ends the wait early.
	sleep := func(d time.Duration, wakeOnTips bool) bool {
		timer := time.NewTimer(d)
		defer timer.Stop()
		tips := m.tipsChanged
		if !wakeOnTips {
			tips = nil
		}
		for {
			select {
			case <-quit:
				return false
			case <-tips:
				return true
			case <-timer.C:
				return true
			case <-rateTicker.C:
				updateRate()
			}
		}
	}

	var lastBlock time.Time
	for {
		// Pacing: on networks where every nonce wins, wait out the rest
		// of the interval since the last block with the workers idle.
		if m.pace > 0 && !lastBlock.IsZero() {
			if wait := time.Until(lastBlock.Add(m.pace)); wait > 0 && !sleep(wait, false) {
				return
			}
		}

		tmpl, err := m.cfg.Generator.NewBlockTemplate(m.cfg.PayTo)
		if err != nil {
			log.Warnf("Cannot build a block template: %v", err)
			if !sleep(templateRetryInterval, true) {
				return
			}
			continue
		}
		j := newJob(tmpl)
		publish(j)

		refresh := time.NewTimer(templateRefreshInterval)
	wait:
		for {
			select {
			case <-quit:
				refresh.Stop()
				return
			case <-m.tipsChanged:
				break wait
			case <-refresh.C:
				break wait
			case <-rateTicker.C:
				updateRate()
			case sol := <-solutions:
				if sol.job != j {
					// A late answer for a superseded template.
					continue
				}
				found := time.Now()
				publish(nil)
				m.submit(j, sol.nonce, found)
				lastBlock = time.Now()
				break wait
			}
		}
		refresh.Stop()
	}
}

// submit hands the block of j's template with nonce, found at found, to
// SubmitBlock and records it if accepted.
func (m *CPUMiner) submit(j *job, nonce uint64, found time.Time) {
	tmpl := j.tmpl
	block := &wire.MsgBlock{
		Header:       *tmpl.Block.Header.Copy(),
		Transactions: tmpl.Block.Transactions,
	}
	block.Header.Nonce = nonce
	hash := block.BlockHash()
	accepted, err := m.cfg.SubmitBlock(block)
	switch {
	case err != nil:
		log.Warnf("Mined block %s was rejected: %v", hash, err)
	case !accepted:
		log.Warnf("Mined block %s was not accepted (orphan)", hash)
	default:
		m.recordMined(block, tmpl, j.start, found)
		log.Infof("Mined block %s (height %d, blue score %d, %d transactions)",
			hash, tmpl.Height, tmpl.BlueScore, len(block.Transactions))
	}
}

// worker hashes the current job until it finds a nonce, the job is
// superseded, or quit closes.
func (m *CPUMiner) worker(quit chan struct{}, current *atomic.Pointer[job],
	solutions chan<- solution, wg *sync.WaitGroup) {

	defer wg.Done()
	for {
		j := current.Load()
		if j.tmpl == nil {
			select {
			case <-quit:
				return
			case <-j.done:
			}
			continue
		}
		nonce, found := m.solve(j, quit)
		if found {
			select {
			case solutions <- solution{job: j, nonce: nonce}:
			case <-quit:
				return
			case <-j.done:
				continue
			}
		}
		// Solved or superseded: wait for the next job.
		select {
		case <-quit:
			return
		case <-j.done:
		}
	}
}

// solve tries nonces for j from a random start until one meets the target
// (found), or j is superseded or quit closes (not found).
func (m *CPUMiner) solve(j *job, quit chan struct{}) (uint64, bool) {
	h := NewHeaderHasher(&j.tmpl.Block.Header)
	// A random start keeps workers, and restarts, off each other's nonces.
	nonce := rand.Uint64()
	for {
		found, tried, ok := h.Search(nonce, hashesPerCheck, &j.target)
		m.hashes.Add(uint64(tried))
		if ok {
			return found, true
		}
		nonce += hashesPerCheck
		select {
		case <-quit:
			return 0, false
		case <-j.done:
			return 0, false
		default:
		}
	}
}

// Generate mines n blocks one after the other, each on the tips the last
// one made, without pacing, and returns the hashes of the blocks the DAG
// accepted. It stops at the first block that is not accepted and returns
// the hashes so far with an error. It runs only on networks without
// difficulty adjustment (regtest and simnet), and not while the continuous
// miner runs.
func (m *CPUMiner) Generate(n int) ([]wire.Hash, error) {
	if !m.params.NoDifficultyAdjustment {
		return nil, miningError(ErrGenerateNotAllowed, fmt.Sprintf(
			"mining: generate runs only on regtest and simnet, not %s", m.params.Name), nil)
	}
	if n < 1 || n > MaxGenerateBlocks {
		return nil, miningError(ErrBadGenerateCount, fmt.Sprintf(
			"mining: cannot generate %d blocks, want 1..%d", n, MaxGenerateBlocks), nil)
	}
	m.genMtx.Lock()
	defer m.genMtx.Unlock()
	if m.IsMining() {
		return nil, miningError(ErrAlreadyMining,
			"mining: the CPU miner is running; stop it before generate", nil)
	}
	hashes := make([]wire.Hash, 0, n)
	for i := 0; i < n; i++ {
		start := time.Now()
		tmpl, err := m.cfg.Generator.NewBlockTemplate(m.cfg.PayTo)
		if err != nil {
			return hashes, fmt.Errorf("mining: generate block %d of %d: %w", i+1, n, err)
		}
		h := NewHeaderHasher(&tmpl.Block.Header)
		tgt := TargetFromBits(tmpl.Block.Header.Bits)
		nonce, _, solved := h.Search(0, maxGenerateTries, &tgt)
		if !solved {
			return hashes, miningError(ErrNoSolution, fmt.Sprintf(
				"mining: generate block %d of %d: no nonce below %d meets bits %08x",
				i+1, n, maxGenerateTries, tmpl.Block.Header.Bits), nil)
		}
		found := time.Now()
		block := tmpl.Block
		block.Header.Nonce = nonce
		hash := block.BlockHash()
		accepted, err := m.cfg.SubmitBlock(block)
		if err != nil {
			return hashes, miningError(ErrBlockNotAccepted, fmt.Sprintf(
				"mining: generate block %d of %d (%s) was rejected", i+1, n, hash), err)
		}
		if !accepted {
			return hashes, miningError(ErrBlockNotAccepted, fmt.Sprintf(
				"mining: generate block %d of %d (%s) was not accepted (orphan)", i+1, n, hash), nil)
		}
		m.recordMined(block, tmpl, start, found)
		hashes = append(hashes, hash)
	}
	return hashes, nil
}
