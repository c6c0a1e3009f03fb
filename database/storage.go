package database

import (
	"sync"

	"github.com/btcsuite/goleveldb/leveldb/storage"
)

// syncStorage wraps LevelDB's file storage to give two guarantees LevelDB
// does not give on its own when writes are not synced one by one:
//
//   - A journal file is flushed to the disk when LevelDB closes it (when the
//     memtable fills and a new journal starts, and at Close). Without this, a
//     power loss could keep a newer journal, synced by a later write or by
//     Sync, and lose an older one that was never synced: later batches would
//     survive while earlier ones vanished.
//   - DB.Sync can flush the current journal, which LevelDB offers no call
//     for.
//   - The lines LevelDB logs pass by the log watch, which learns of failed
//     background compactions from them (logWatch).
//
// Everything else is passed through to the wrapped storage.
type syncStorage struct {
	storage.Storage

	// mu guards journal, the journal file LevelDB is appending to, and keeps
	// it from being closed while syncJournal flushes it.
	mu      sync.Mutex
	journal *journalWriter

	// watch learns of background failures from LevelDB's log.
	watch *logWatch
}

// newSyncStorage wraps stor; watch, if not nil, reads LevelDB's log.
func newSyncStorage(stor storage.Storage, watch *logWatch) *syncStorage {
	return &syncStorage{Storage: stor, watch: watch}
}

// Log writes a line to LevelDB's log file and shows it to the log watch.
func (s *syncStorage) Log(str string) {
	s.Storage.Log(str)
	if s.watch != nil {
		s.watch.line(str)
	}
}

// Create creates a file through the wrapped storage and, for a journal,
// remembers it as the current one and makes it flush on close.
func (s *syncStorage) Create(fd storage.FileDesc) (storage.Writer, error) {
	w, err := s.Storage.Create(fd)
	if err != nil || fd.Type != storage.TypeJournal {
		return w, err
	}
	jw := &journalWriter{Writer: w, s: s}
	s.mu.Lock()
	s.journal = jw
	s.mu.Unlock()
	return jw, nil
}

// syncJournal flushes the current journal file to the disk. LevelDB hands a
// batch to the operating system before its Write returns, so this makes
// every returned write durable; older journals were flushed when closed.
func (s *syncStorage) syncJournal() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.journal == nil {
		return nil
	}
	return s.journal.Writer.Sync()
}

// journalWriter is a journal file that flushes itself before it closes.
type journalWriter struct {
	storage.Writer
	s *syncStorage
}

// Close flushes the journal to the disk and closes it.
func (w *journalWriter) Close() error {
	// Forget the journal first, so that syncJournal never flushes a closed
	// file; taking mu also waits for a flush in progress.
	w.s.mu.Lock()
	if w.s.journal == w {
		w.s.journal = nil
	}
	w.s.mu.Unlock()

	syncErr := w.Writer.Sync()
	if err := w.Writer.Close(); err != nil {
		return err
	}
	return syncErr
}
