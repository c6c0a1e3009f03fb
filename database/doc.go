// Package database implements the node's persistent store: a single LevelDB
// database (github.com/btcsuite/goleveldb) in the node's data directory, with
// one-byte bucket prefixes that keep the kinds of records apart, atomic write
// batches, and ordered iteration by prefix or key range.
//
// Every block connection and every change of the virtual state is written as
// one Batch, so after a crash at any point the store holds either all of a
// change or none of it. With Options.NoSync a write is handed to the operating
// system but not flushed to the disk: a process crash loses nothing that Write
// returned, a power loss may lose the most recent batches (never an earlier
// batch while keeping a later one, and never part of a batch). Sync flushes
// everything written so far and is meant for shutdown.
//
// WriteAsync queues a batch for a writer goroutine and returns at once, so
// the DAG validates the next block while LevelDB takes this one (async.go).
// All writes go through that one queue, so batches land whole and in order;
// reads see what is queued. A process crash may lose the queued batches (at
// most eight), never part of one and never an earlier one while keeping a
// later one.
//
// Open takes the LevelDB LOCK file, so a second process (or a second Open in
// this process) that points at the same directory gets an error of kind
// ErrInUse instead of corrupting the store. A new store records SchemaVersion
// in BucketMeta and Open refuses a store written with another version
// (ErrSchemaVersion). A store that LevelDB finds damaged is refused with
// ErrCorrupt and advice to remove the directory and resync from peers: the
// store is not repaired automatically, because LevelDB's recovery drops
// whatever tables it cannot read, and a store that silently lost part of its
// block index or UTXO set is worse than an empty one. For the same reason
// LevelDB runs with all its strict checks, so that a damaged journal or
// manifest record is refused rather than skipped. The one repair Open makes
// is to cut a torn record off the end of the newest journal: that is the
// trace of a write that never completed (a full disk, a crash, a power
// loss), and dropping it leaves exactly the writes that returned.
//
// A DB watches itself: the first write, flush or read that fails (kind ErrIO
// or ErrCorrupt), or a damaged table or failed write met by LevelDB's
// background compaction (read from LevelDB's log), closes the channel
// Failed returns, and later writes are refused with the same error (Err).
// The store is then no longer trusted to hold what its user wrote; the user
// is expected to stop and reopen it. FreeSpace measures the disk under it.
//
// Package database does not know what the records mean: key and value
// encodings belong to the packages that own the records (blockdag and later
// packages, in their *io.go files). It has no caching of its own beyond
// LevelDB's block cache, no transactions spanning reads and writes, and no
// snapshots.
//
// A DB is safe for concurrent access. A Batch and an Iterator are not: each
// is meant to be used by one goroutine at a time.
package database
