package database

import (
	"slices"
	"sync"

	"github.com/btcsuite/goleveldb/leveldb"
)

// Writes behind the caller.
//
// WriteAsync hands a batch to a writer goroutine and returns at once, so the
// caller (the DAG's block writer) validates the next block while LevelDB
// inserts this one's keys into its memtable and journal: during a download
// that insert was a third of the block processing goroutine's time. Every
// write goes through the same queue, oldest first, so batches reach LevelDB
// whole and in the order they were handed over, and a crash at any point
// leaves the store as after some prefix of them. Reads see the queue: Get
// and Has look at the queued batches, newest first, before LevelDB, and an
// iterator, Sync, CompactRange or Close first waits until everything queued
// before it is written. What an asynchronous write gives up is that a killed
// process loses the batches still queued (at most writeQueueBatches of them),
// never part of one.

// Queue bounds: a writer that gets this far ahead waits.
const (
	writeQueueBatches = 8
	writeQueueBytes   = 32 << 20
)

// queuedBatch is a batch handed to the writer and not yet in LevelDB.
type queuedBatch struct {
	b leveldb.Batch
	// vals holds the batch's last value of each key it puts; dels the
	// keys whose last operation is a delete.
	vals map[string][]byte
	dels map[string]struct{}
	size int
	// done is closed once the batch is in LevelDB or failed; err is set
	// before that.
	done chan struct{}
	err  error
}

// replayInto records a batch's operations in a queued batch's maps.
type replayInto struct{ q *queuedBatch }

func (r replayInto) Put(k, v []byte) {
	key := string(k)
	delete(r.q.dels, key)
	r.q.vals[key] = v
}

func (r replayInto) Delete(k []byte) {
	key := string(k)
	delete(r.q.vals, key)
	r.q.dels[key] = struct{}{}
}

// writeQueue is the writer goroutine's queue.
type writeQueue struct {
	mu   sync.Mutex
	cond *sync.Cond // signalled when the queue grows, shrinks or closes
	// batches is oldest first; the writer writes batches[0] and removes
	// it only once LevelDB has it, so a reader never misses a batch.
	batches []*queuedBatch
	bytes   int
	closing bool
	err     error
	stopped chan struct{}
}

// startWriter starts the writer goroutine.
func (db *DB) startWriter() {
	q := &writeQueue{stopped: make(chan struct{})}
	q.cond = sync.NewCond(&q.mu)
	db.queue = q
	go db.writer()
}

// writer writes the queued batches in order until the queue closes empty.
// When it finds several queued, it writes them as one LevelDB batch that
// holds each key's last operation only (merge): a block's node record and
// its parent's rewrite, the virtual record of every block, an output
// created and spent a few blocks apart are then inserted into the memtable
// once instead of once per batch. A writer that falls behind thus does
// less per block and catches up, and a crash still leaves a prefix of the
// batches, since the merged ones land together or not at all.
func (db *DB) writer() {
	q := db.queue
	defer close(q.stopped)
	var merged leveldb.Batch
	for {
		q.mu.Lock()
		for len(q.batches) == 0 && !q.closing {
			q.cond.Wait()
		}
		if len(q.batches) == 0 {
			q.mu.Unlock()
			return
		}
		// The slice's first n entries are ours: enqueue only appends.
		group := q.batches[:len(q.batches):len(q.batches)]
		failed := q.err
		q.mu.Unlock()

		err := failed
		if err == nil {
			b := &group[0].b
			if len(group) > 1 {
				mergeBatches(&merged, group)
				b = &merged
			}
			if err = db.ldb.Write(b, db.wo); err != nil {
				err = db.convertErr("write", err)
				db.noteFailure(err)
			}
		}

		q.mu.Lock()
		if err != nil && q.err == nil {
			q.err = err
		}
		q.batches = q.batches[len(group):]
		for _, qb := range group {
			q.bytes -= qb.size
			qb.err = err
			close(qb.done)
		}
		q.cond.Broadcast()
		q.mu.Unlock()
	}
}

// mergeBatches resets dst to the last operation on each key of the queued
// batches, oldest first, in key order (LevelDB's skip list then inserts
// next to the nodes it just walked).
func mergeBatches(dst *leveldb.Batch, group []*queuedBatch) {
	type op struct {
		val []byte
		del bool
	}
	last := make(map[string]op, len(group[0].vals)*len(group))
	for _, qb := range group {
		for k, v := range qb.vals {
			last[k] = op{val: v}
		}
		for k := range qb.dels {
			last[k] = op{del: true}
		}
	}
	keys := make([]string, 0, len(last))
	for k := range last {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	dst.Reset()
	for _, k := range keys {
		if o := last[k]; o.del {
			dst.Delete([]byte(k))
		} else {
			dst.Put([]byte(k), o.val)
		}
	}
}

// enqueue queues a copy of b, waiting while the queue is full, and returns
// the queued batch. The caller holds db.mu for reading.
func (db *DB) enqueue(b *Batch) (*queuedBatch, error) {
	data := append([]byte(nil), b.b.Dump()...)
	qb := &queuedBatch{
		vals: make(map[string][]byte, b.Len()),
		dels: make(map[string]struct{}),
		size: len(data),
		done: make(chan struct{}),
	}
	// Load keeps data as the batch's buffer, and the maps' values point
	// into it: one copy of the batch serves the writer and the readers.
	if err := qb.b.Load(data); err != nil {
		return nil, db.convertErr("write", err)
	}
	if err := qb.b.Replay(replayInto{qb}); err != nil {
		return nil, db.convertErr("write", err)
	}
	q := db.queue
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.err == nil && len(q.batches) > 0 &&
		(len(q.batches) >= writeQueueBatches || q.bytes+qb.size > writeQueueBytes) {
		q.cond.Wait()
	}
	if q.err != nil {
		return nil, q.err
	}
	q.batches = append(q.batches, qb)
	q.bytes += qb.size
	q.cond.Broadcast()
	return qb, nil
}

// lookup answers a read from the queue: the value of the newest queued
// operation on key, whether it is a delete, and whether any queued batch
// holds key at all.
func (q *writeQueue) lookup(key []byte) (value []byte, deleted, found bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for i := len(q.batches) - 1; i >= 0; i-- {
		qb := q.batches[i]
		if v, ok := qb.vals[string(key)]; ok {
			return append([]byte(nil), v...), false, true
		}
		if _, ok := qb.dels[string(key)]; ok {
			return nil, true, true
		}
	}
	return nil, false, false
}

// drain waits until every batch queued so far is in LevelDB and returns the
// first write failure, if any.
func (q *writeQueue) drain() error {
	q.mu.Lock()
	var last *queuedBatch
	if n := len(q.batches); n > 0 {
		last = q.batches[n-1]
	}
	q.mu.Unlock()
	if last != nil {
		<-last.done
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.err
}

// stop lets the writer finish the queue and waits for it.
func (q *writeQueue) stop() {
	q.mu.Lock()
	q.closing = true
	q.cond.Broadcast()
	q.mu.Unlock()
	<-q.stopped
}

// WriteAsync queues b to be written as Write writes it, and returns without
// waiting for LevelDB: reads made after it returns see the batch, and later
// writes land after it. It returns an error if the store failed or is
// closed; a failure of this batch's own write is reported through Failed
// and Err, and refuses every later write. The batch is copied, so the
// caller may reset and reuse it at once.
func (db *DB) WriteAsync(b *Batch) error {
	db.mu.RLock()
	defer db.mu.RUnlock()
	if err := db.writable("write", b); err != nil || b == nil || b.Len() == 0 {
		return err
	}
	_, err := db.enqueue(b)
	return err
}

// Flush waits until every batch written or queued so far is in LevelDB.
func (db *DB) Flush() error {
	db.mu.RLock()
	defer db.mu.RUnlock()
	if db.closed {
		return db.closedError("flush")
	}
	if db.queue == nil {
		return nil
	}
	return db.queue.drain()
}
