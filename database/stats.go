package database

import (
	"time"

	"github.com/btcsuite/goleveldb/leveldb"
)

// Stats are LevelDB's own statistics, for monitoring.
type Stats struct {
	// IORead and IOWrite are the bytes read from and written to the
	// store's files since it was opened.
	IORead, IOWrite uint64

	// WriteDelays counts writes LevelDB delayed to let compaction catch
	// up, WriteDelay their total delay; WritePaused is set while writes
	// are paused.
	WriteDelays int64
	WriteDelay  time.Duration
	WritePaused bool

	// BlockCacheBytes is the block cache's size, OpenTables the table
	// files held open.
	BlockCacheBytes int
	OpenTables      int

	// Tables and SizeBytes are the table files and their bytes over
	// every level; CompactionRead, CompactionWrite and Compaction the
	// bytes compactions read and wrote and the time they took. LevelDB
	// reports levels by position, skipping some, so they are summed
	// rather than labelled with a level that could be wrong.
	Tables          int
	SizeBytes       int64
	CompactionRead  int64
	CompactionWrite int64
	Compaction      time.Duration
}

// Stats returns LevelDB's statistics. It takes no lock LevelDB's writers
// wait on for long, so a monitoring scrape does not slow block processing.
func (db *DB) Stats() (Stats, error) {
	db.mu.RLock()
	defer db.mu.RUnlock()
	if db.closed {
		return Stats{}, db.closedError("stats")
	}
	var s leveldb.DBStats
	if err := db.ldb.Stats(&s); err != nil {
		return Stats{}, db.convertErr("stats", err)
	}
	out := Stats{
		IORead:          s.IORead,
		IOWrite:         s.IOWrite,
		WriteDelays:     int64(s.WriteDelayCount),
		WriteDelay:      s.WriteDelayDuration,
		WritePaused:     s.WritePaused,
		BlockCacheBytes: s.BlockCacheSize,
		OpenTables:      s.OpenedTablesCount,
	}
	for i := range s.LevelSizes {
		out.Tables += s.LevelTablesCounts[i]
		out.SizeBytes += s.LevelSizes[i]
		out.CompactionRead += s.LevelRead[i]
		out.CompactionWrite += s.LevelWrite[i]
		out.Compaction += s.LevelDurations[i]
	}
	return out, nil
}
