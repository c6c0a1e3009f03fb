package blockdag

import (
	"sync"
	"sync/atomic"
)

// workerPool runs batches of independent work items (signature checks,
// commitment elements) on long-lived goroutines. The caller of run takes
// part in the work, so a batch finishes even when every worker is busy with
// another caller's batch.
type workerPool struct {
	tasks   chan func()
	quit    chan struct{}
	wg      sync.WaitGroup
	workers int
	stop    sync.Once
}

// newWorkerPool starts n workers.
func newWorkerPool(n int) *workerPool {
	p := &workerPool{
		tasks:   make(chan func()),
		quit:    make(chan struct{}),
		workers: n,
	}
	p.wg.Add(n)
	for i := 0; i < n; i++ {
		go p.worker()
	}
	return p
}

// worker runs tasks until the pool stops.
func (p *workerPool) worker() {
	defer p.wg.Done()
	for {
		select {
		case t := <-p.tasks:
			t()
		case <-p.quit:
			return
		}
	}
}

// close stops the workers and waits for them to exit. It is safe to call
// more than once.
func (p *workerPool) close() {
	p.stop.Do(func() { close(p.quit) })
	p.wg.Wait()
}

// minItemsPerChunk keeps chunks big enough that handing one to a worker
// costs little next to the work in it.
const minItemsPerChunk = 8

// run calls fn(i) for every i in [0, n) spread over the workers and the
// calling goroutine, and returns an error when any call failed: that of the
// lowest failing i among the calls made, so with one bad item the result
// does not depend on scheduling. After a failure, chunks not yet started
// are skipped.
func (p *workerPool) run(n int, fn func(i int) error) error {
	if n == 0 {
		return nil
	}
	chunks := p.workers * 4
	chunkSize := (n + chunks - 1) / chunks
	if chunkSize < minItemsPerChunk {
		chunkSize = minItemsPerChunk
	}
	chunks = (n + chunkSize - 1) / chunkSize

	var (
		next     atomic.Int64
		failed   atomic.Bool
		mu       sync.Mutex
		firstErr error
		firstIdx = n
		wg       sync.WaitGroup
	)
	body := func() {
		defer wg.Done()
		for !failed.Load() {
			c := int(next.Add(1) - 1)
			if c >= chunks {
				return
			}
			end := min((c+1)*chunkSize, n)
			for i := c * chunkSize; i < end; i++ {
				if err := fn(i); err != nil {
					mu.Lock()
					if i < firstIdx {
						firstIdx, firstErr = i, err
					}
					mu.Unlock()
					failed.Store(true)
					break
				}
			}
		}
	}
	helpers := min(p.workers, chunks-1)
	for h := 0; h < helpers; h++ {
		wg.Add(1)
		select {
		case p.tasks <- body:
		default:
			// Every worker is busy: the caller does the work.
			wg.Done()
		}
	}
	wg.Add(1)
	body()
	wg.Wait()
	return firstErr
}
