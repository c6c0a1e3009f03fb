package database

import (
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
	"sync"

	"github.com/btcsuite/goleveldb/leveldb"
	lerrors "github.com/btcsuite/goleveldb/leveldb/errors"
	"github.com/btcsuite/goleveldb/leveldb/filter"
	"github.com/btcsuite/goleveldb/leveldb/opt"
	"github.com/btcsuite/goleveldb/leveldb/storage"
)

// Bucket is a one-byte key prefix that separates kinds of records.
type Bucket byte

// These constants are the buckets of the store. Their values are part of the
// on-disk format: changing one requires a new SchemaVersion. Adding one does
// not, since an older reader never looks under a prefix it does not know.
const (
	BucketMeta         Bucket = 0x01 // schema version and other metadata
	BucketBlocks       Bucket = 0x02 // block hash -> serialized wire.MsgBlock
	BucketBlockIndex   Bucket = 0x03 // block hash -> node record (header fields, height, GHOSTDAG and reachability data)
	BucketReachability Bucket = 0x04 // not used: reachability data lives in the block index record
	BucketUTXO         Bucket = 0x05 // outpoint -> utxo entry of the virtual
	BucketUndo         Bucket = 0x06 // chain block hash -> undo diff
	BucketTips         Bucket = 0x07 // not used: the tips live in the virtual record
	BucketVirtual      Bucket = 0x08 // virtual state records
	BucketOrder        Bucket = 0x09 // selected chain position -> chain block, order position, blue score
	BucketHeights      Bucket = 0x0a // height|hash -> nothing, for locating blocks
	BucketTxIndex      Bucket = 0x0b // txid -> block hash and position, the optional transaction index
	BucketUTXOIndex    Bucket = 0x0c // pubkey|outpoint -> amount, blue score, flags: the optional UTXO index
	BucketPrune        Bucket = 0x0d // height|past key -> diff length: the past diffs a pruned node deletes by height
	BucketAssumeValid  Bucket = 0x0e // assumed-valid block|block hash -> nothing: blocks whose signature checks are skipped
)

// Key returns the key made of the bucket prefix followed by suffix. The
// result is a fresh slice that shares no memory with suffix.
func Key(b Bucket, suffix []byte) []byte {
	key := make([]byte, 1+len(suffix))
	key[0] = byte(b)
	copy(key[1:], suffix)
	return key
}

// These constants bound and default the LevelDB tuning in Options.
const (
	// DefaultCacheSizeMB is the block cache used when Options.CacheSizeMB is
	// zero. Block-index and UTXO lookups are random reads, so a cache larger
	// than LevelDB's 8 MiB default saves disk reads during sync.
	DefaultCacheSizeMB = 64

	// DefaultWriteBufferMB is the memtable size used when
	// Options.WriteBufferMB is zero. A larger buffer than LevelDB's 4 MiB
	// default means fewer, larger level-0 tables while blocks stream in.
	DefaultWriteBufferMB = 32

	// MaxCacheSizeMB bounds Options.CacheSizeMB (64 GiB).
	MaxCacheSizeMB = 65536

	// MaxWriteBufferMB bounds Options.WriteBufferMB (1 GiB). Two buffers can
	// be in memory at once (the active one and the one being flushed).
	MaxWriteBufferMB = 1024

	// mib is the number of bytes in a MiB.
	mib = 1 << 20

	// compactionTableMB and compactionLevel1MB size LevelDB's tables and
	// its level 1; each further level is ten times the one before.
	compactionTableMB  = 8
	compactionLevel1MB = 64

	// bloomBitsPerKey sizes the per-table bloom filter. Ten bits per key give
	// about one percent false positives, so a lookup of a missing key (a
	// block or an outpoint not yet known) rarely touches the disk.
	bloomBitsPerKey = 10

	// dirPerm is the mode of a data directory Open creates: the store holds
	// nothing secret, but nobody else has a reason to write or read it.
	dirPerm = 0700
)

// Options tunes a DB. The zero value, or a nil *Options, suits a node.
type Options struct {
	// CacheSizeMB is LevelDB's block cache size in MiB, 0 to
	// MaxCacheSizeMB; zero means DefaultCacheSizeMB.
	CacheSizeMB int

	// WriteBufferMB is LevelDB's memtable size in MiB, 0 to
	// MaxWriteBufferMB; zero means DefaultWriteBufferMB.
	WriteBufferMB int

	// NoSync makes Write, Put and Delete return without flushing to the
	// disk. A process crash loses nothing that a write returned (the
	// operating system has it); a power loss may lose the last batches but
	// never leaves a torn batch. Default false.
	NoSync bool

	// ReadOnly opens an existing store for reading only. Several read-only
	// DBs may share a directory; none may share it with a writable one.
	ReadOnly bool
}

// DB is an open store. It is safe for concurrent access.
type DB struct {
	path     string
	readOnly bool
	ldb      *leveldb.DB
	stor     *syncStorage
	wo       *opt.WriteOptions

	// mu guards closed and the lifetime of ldb: every operation holds it
	// for reading, Close holds it for writing, so Close waits for
	// operations in progress and nothing touches ldb after it is closed.
	mu     sync.RWMutex
	closed bool

	// itersMu guards iters, the open iterators, which Close releases so
	// that none of them reads from a closed LevelDB.
	itersMu sync.Mutex
	iters   map[*Iterator]struct{}

	// health is the store's failure state.
	health *health

	// queue holds the batches not yet in LevelDB, written by the writer
	// goroutine in order (async.go); nil for a read-only store.
	queue *writeQueue
}

// syncWrite makes a write flush to the disk before it returns.
var syncWrite = &opt.WriteOptions{Sync: true}

// isKind reports whether err is of the given kind.
func isKind(err error, kind ErrorKind) bool {
	return errors.Is(err, kind)
}

// checkOptions returns opts with defaults filled in, or an error naming the
// option that is out of range.
func checkOptions(opts *Options) (Options, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	// The byte counts must also fit an int on 32-bit platforms.
	maxCache := min(MaxCacheSizeMB, math.MaxInt/mib)
	maxBuffer := min(MaxWriteBufferMB, math.MaxInt/mib)
	if o.CacheSizeMB < 0 || o.CacheSizeMB > maxCache {
		str := fmt.Sprintf("database cache size %d MiB is out of range: "+
			"it must be 0 (default %d) to %d", o.CacheSizeMB,
			DefaultCacheSizeMB, maxCache)
		return o, dbError(ErrInvalidOptions, str)
	}
	if o.WriteBufferMB < 0 || o.WriteBufferMB > maxBuffer {
		str := fmt.Sprintf("database write buffer %d MiB is out of range: "+
			"it must be 0 (default %d) to %d", o.WriteBufferMB,
			DefaultWriteBufferMB, maxBuffer)
		return o, dbError(ErrInvalidOptions, str)
	}
	if o.CacheSizeMB == 0 {
		o.CacheSizeMB = DefaultCacheSizeMB
	}
	if o.WriteBufferMB == 0 {
		o.WriteBufferMB = DefaultWriteBufferMB
	}
	return o, nil
}

// describeCorruption says what LevelDB found damaged. LevelDB reports
// missing files with the bare words "file missing"; naming the files, or
// saying that the CURRENT file or its manifest is gone (LevelDB's own check
// for a directory with store files but no usable CURRENT), tells the
// operator more.
func describeCorruption(err error) string {
	cerr, ok := err.(*lerrors.ErrCorrupted)
	if !ok {
		return err.Error()
	}
	missing, ok := cerr.Err.(*lerrors.ErrMissingFiles)
	if !ok {
		// Name the damaged file by what it holds, so that the
		// message says "journal" or "manifest" in plain words.
		switch cerr.Fd.Type {
		case storage.TypeJournal:
			return fmt.Sprintf("journal %s damaged: %v", cerr.Fd, cerr.Err)
		case storage.TypeManifest:
			return fmt.Sprintf("manifest %s damaged: %v", cerr.Fd, cerr.Err)
		case storage.TypeTable:
			return fmt.Sprintf("table %s damaged: %v", cerr.Fd, cerr.Err)
		}
		return err.Error()
	}
	if len(missing.Fds) == 0 {
		return "the CURRENT file or the manifest it names is missing"
	}
	const maxNamed = 5 // enough to recognise the damage, short for a log
	names := make([]string, 0, maxNamed)
	for i, fd := range missing.Fds {
		if i == maxNamed {
			names = append(names, "...")
			break
		}
		names = append(names, fd.String())
	}
	return fmt.Sprintf("%d files are missing: %s", len(missing.Fds),
		strings.Join(names, ", "))
}

// ioAdvice is what an operator does when the store cannot write or read:
// the usual causes are a full disk and a failing one. Every write that
// returned is in the journal, so a restart loses nothing.
const ioAdvice = "check that the disk has free space and no errors, then restart"

// corruptAdvice is what an operator does with a damaged store.
func corruptAdvice(path string) string {
	return fmt.Sprintf("remove %s and restart to resync from peers", path)
}

// Open opens the store in the directory path, creating the directory (mode
// 0700) and an empty store if they do not exist, unless opts.ReadOnly is set.
// A nil opts means the defaults.
//
// LevelDB runs with all its strict checks: a damaged record in the journal or
// the manifest, or a damaged table met by a read or a compaction, is reported
// instead of dropped. The one exception is a journal that ends with a torn
// record, the trace of a write cut short by a full disk, a crash or a power
// loss: the torn tail is cut off (with a warning) and the store reopens with
// every write that completed, as LevelDB itself would do.
//
// It fails with ErrInUse when another process or DB holds the directory,
// ErrCorrupt when the store is damaged, ErrSchemaVersion when the store was
// written with another schema version, ErrInvalidOptions for out-of-range
// options and ErrIO for any other failure.
func Open(path string, opts *Options) (*DB, error) {
	o, err := checkOptions(opts)
	if err != nil {
		return nil, err
	}
	if !o.ReadOnly {
		if err := os.MkdirAll(path, dirPerm); err != nil {
			str := fmt.Sprintf("cannot create data directory %s: %v", path, err)
			return nil, dbError(ErrIO, str)
		}
	}

	if err := checkDamaged(path); err != nil {
		return nil, err
	}
	fstor, err := storage.OpenFile(path, o.ReadOnly)
	if err != nil {
		if isLockHeld(err) {
			str := fmt.Sprintf("data directory %s is in use by another "+
				"process", path)
			return nil, dbError(ErrInUse, str)
		}
		str := fmt.Sprintf("cannot open data directory %s: %v", path, err)
		return nil, dbError(ErrIO, str)
	}
	h := newHealth(path, o.ReadOnly)
	stor := newSyncStorage(fstor, &logWatch{path: path, health: h})

	lo := &opt.Options{
		// The records are hashes, keys and signatures, which do not
		// compress: Snappy only cost CPU (a sixth of a syncing node's
		// time, in table compactions, at a million blocks).
		Compression: opt.NoCompression,
		// Larger tables and levels than LevelDB's defaults (2 MiB
		// tables, 10 MiB level 1): a node writes a stream of small
		// records with random keys, and every level a record passes
		// through rewrites it once more. One level less at a million
		// blocks is a fifth less compaction work.
		CompactionTableSize: compactionTableMB * mib,
		CompactionTotalSize: compactionLevel1MB * mib,
		BlockCacheCapacity:  o.CacheSizeMB * mib,
		WriteBuffer:         o.WriteBufferMB * mib,
		Filter:              filter.NewBloomFilter(bloomBitsPerKey),
		ReadOnly:            o.ReadOnly,
		ErrorIfMissing:      o.ReadOnly,
		// Without strict checks LevelDB skips a damaged journal or
		// manifest record and goes on, keeping later writes without
		// earlier ones, and rewrites the store so that the loss is
		// permanent (docs/deploy.md).
		Strict: opt.StrictAll,
	}
	ldb, err := leveldb.Open(stor, lo)
	if err != nil && !o.ReadOnly && lerrors.IsCorrupted(err) {
		cut, cerr := cutTornJournal(path, err)
		if cerr != nil {
			log.Warnf("Checking the journal in %s: %v", path, cerr)
		}
		if cut {
			ldb, err = leveldb.Open(stor, lo)
		}
	}
	if err != nil {
		stor.Close()
		if lerrors.IsCorrupted(err) {
			str := fmt.Sprintf("database in %s is damaged (%s): %s", path,
				describeCorruption(err), corruptAdvice(path))
			return nil, dbError(ErrCorrupt, str)
		}
		str := fmt.Sprintf("cannot open database in %s: %v", path, err)
		return nil, dbError(ErrIO, str)
	}

	db := &DB{
		path:     path,
		readOnly: o.ReadOnly,
		ldb:      ldb,
		stor:     stor,
		wo:       &opt.WriteOptions{Sync: !o.NoSync},
		iters:    make(map[*Iterator]struct{}),
		health:   h,
	}
	if !o.ReadOnly {
		db.startWriter()
	}
	if err := db.checkSchema(); err != nil {
		db.Close()
		return nil, err
	}

	log.Debugf("Opened database in %s (cache %d MiB, write buffer %d MiB, "+
		"sync %v, read-only %v)", path, o.CacheSizeMB, o.WriteBufferMB,
		!o.NoSync, o.ReadOnly)
	return db, nil
}

// Close closes the DB after the operations in progress finish, releasing any
// open iterators. It is safe to call more than once; later calls return nil.
func (db *DB) Close() error {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.closed {
		return nil
	}
	db.closed = true
	if db.queue != nil {
		// The queued batches are written first: Close loses nothing
		// a write returned for.
		db.queue.stop()
	}

	db.itersMu.Lock()
	for it := range db.iters {
		it.releaseForClose()
	}
	db.iters = nil
	db.itersMu.Unlock()

	// LevelDB closes only storage it opened itself, so the storage, and
	// with it the LOCK file, is released here.
	err := db.ldb.Close()
	if serr := db.stor.Close(); err == nil {
		err = serr
	}
	if err != nil {
		str := fmt.Sprintf("close database in %s: %v", db.path, err)
		return dbError(ErrIO, str)
	}
	log.Debugf("Closed database in %s", db.path)
	return nil
}

// Path returns the directory the DB was opened on.
func (db *DB) Path() string {
	return db.path
}

// closedError is the error returned by every operation after Close.
func (db *DB) closedError(op string) error {
	str := fmt.Sprintf("%s: database in %s is closed", op, db.path)
	return dbError(ErrClosed, str)
}

// convertErr maps an error from LevelDB to an Error of the matching kind,
// naming the operation that failed. An error of kind ErrIO or ErrCorrupt is
// also recorded as the store's failure (see Failed).
func (db *DB) convertErr(op string, err error) error {
	kindErr := db.kindErr(op, err)
	db.noteFailure(kindErr)
	return kindErr
}

// kindErr maps an error from LevelDB to an Error of the matching kind.
func (db *DB) kindErr(op string, err error) error {
	switch {
	case errors.Is(err, leveldb.ErrNotFound):
		return dbError(ErrNotFound, op+": key not found")
	case errors.Is(err, leveldb.ErrClosed):
		return db.closedError(op)
	case errors.Is(err, leveldb.ErrReadOnly):
		str := fmt.Sprintf("%s: database in %s is read-only", op, db.path)
		return dbError(ErrReadOnly, str)
	case lerrors.IsCorrupted(err):
		str := fmt.Sprintf("%s: database in %s is damaged (%s): %s", op,
			db.path, describeCorruption(err), corruptAdvice(db.path))
		return dbError(ErrCorrupt, str)
	}
	str := fmt.Sprintf("%s: database in %s failed (%v): %s", op, db.path,
		err, ioAdvice)
	return dbError(ErrIO, str)
}

// Get returns a copy of the value stored under key, which the caller may keep
// and modify. A missing key gives an error of kind ErrNotFound.
func (db *DB) Get(key []byte) ([]byte, error) {
	db.mu.RLock()
	defer db.mu.RUnlock()
	if db.closed {
		return nil, db.closedError("get")
	}
	if db.queue != nil {
		if v, deleted, ok := db.queue.lookup(key); ok {
			if deleted {
				return nil, dbError(ErrNotFound, "get: key not found")
			}
			return v, nil
		}
	}
	// LevelDB's Get already returns a slice of its own.
	value, err := db.ldb.Get(key, nil)
	if err != nil {
		return nil, db.convertErr("get", err)
	}
	return value, nil
}

// Has reports whether key is in the store.
func (db *DB) Has(key []byte) (bool, error) {
	db.mu.RLock()
	defer db.mu.RUnlock()
	if db.closed {
		return false, db.closedError("has")
	}
	if db.queue != nil {
		if _, deleted, ok := db.queue.lookup(key); ok {
			return !deleted, nil
		}
	}
	ok, err := db.ldb.Has(key, nil)
	if err != nil {
		return false, db.convertErr("has", err)
	}
	return ok, nil
}

// Put stores value under key, replacing any previous value. The DB keeps its
// own copy of both.
func (db *DB) Put(key, value []byte) error {
	var b Batch
	b.Put(key, value)
	return db.writeOp("put", &b)
}

// Delete removes key. Deleting a missing key is not an error.
func (db *DB) Delete(key []byte) error {
	var b Batch
	b.Delete(key)
	return db.writeOp("delete", &b)
}

// Write applies every operation of b atomically, in the order they were
// added: after Write returns, and after a crash at any point, either all of
// them are visible or none. A nil or empty batch writes nothing. The batch
// is not reset and may be reused after Reset.
func (db *DB) Write(b *Batch) error {
	return db.writeOp("write", b)
}

// writeOp writes b through the queue and waits until LevelDB has it.
func (db *DB) writeOp(op string, b *Batch) error {
	db.mu.RLock()
	defer db.mu.RUnlock()
	if err := db.writable(op, b); err != nil || b == nil || b.Len() == 0 {
		return err
	}
	qb, err := db.enqueue(b)
	if err != nil {
		return err
	}
	<-qb.done
	return qb.err
}

// writable checks that a write of b may go ahead: the store is open, not
// read-only (for a non-empty batch) and has not failed. The caller holds
// db.mu for reading.
func (db *DB) writable(op string, b *Batch) error {
	if db.closed {
		return db.closedError(op)
	}
	if b == nil || b.Len() == 0 {
		return nil
	}
	if db.readOnly {
		// LevelDB would report it too, but only once the batch is
		// non-empty; saying so here keeps the message uniform.
		return db.convertErr(op, leveldb.ErrReadOnly)
	}
	return db.errFailed(op)
}

// Sync flushes everything written so far to the disk, including writes made
// with Options.NoSync. It is meant for shutdown and for points after which a
// power loss must not undo the store's state.
func (db *DB) Sync() error {
	db.mu.RLock()
	defer db.mu.RUnlock()
	if db.closed {
		return db.closedError("sync")
	}
	if db.readOnly {
		return nil
	}
	if err := db.queue.drain(); err != nil {
		return err
	}
	if err := db.stor.syncJournal(); err != nil {
		return db.convertErr("sync", err)
	}
	if err := syncDir(db.path); err != nil {
		return db.convertErr("sync", err)
	}
	return nil
}
