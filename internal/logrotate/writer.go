package logrotate

import (
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const (
	// DefaultMaxSize is the file size at which a zero Config.MaxSize
	// rotates: 10 MiB is a day or more of info-level logs, and small enough
	// to open in an editor.
	DefaultMaxSize = 10 * 1024 * 1024

	// DefaultBufferSize is the buffer used when Config.BufferSize is zero.
	// 4 MiB holds several seconds of trace-level logging of a busy node,
	// which rides out a rotation with compression or a slow disk without
	// losing lines.
	DefaultBufferSize = 4 * 1024 * 1024

	// MaxBufferSize bounds Config.BufferSize, the memory a stuck disk can
	// make the writer hold.
	MaxBufferSize = 256 * 1024 * 1024

	// MaxBackupsLimit bounds Config.MaxBackups. Rotation renames every kept
	// file, so the count must stay small.
	MaxBackupsLimit = 1000

	// DefaultTimeout is how long Sync and Close wait for the buffered bytes
	// to reach the file when Config.Timeout is zero: far longer than a
	// healthy disk needs, short enough that a hung one cannot stall the
	// daemon's shutdown past its stop timeout.
	DefaultTimeout = 5 * time.Second

	// DefaultFileMode is the mode of new log files. Logs name peers'
	// addresses and can hold RPC details, so only the owner reads them.
	DefaultFileMode = 0o600

	// gzipSuffix is appended to the name of a compressed rotated file.
	gzipSuffix = ".gz"
)

// Config holds the parameters of a Writer.
type Config struct {
	// Filename is the path of the active log file. Its directory is
	// created (mode 0700) if missing. Rotated files are Filename.1 (the
	// newest) to Filename.MaxBackups (the oldest), with ".gz" appended
	// when compressed. Files named Filename.<number>[.gz] belong to the
	// writer: those above MaxBackups are removed at rotation.
	Filename string

	// MaxSize is the size in bytes the file may reach before it is
	// rotated; zero means DefaultMaxSize.
	MaxSize int64

	// MaxBackups is how many rotated files are kept, 0 to
	// MaxBackupsLimit; with 0 the file is simply started afresh.
	MaxBackups int

	// Compress gzips each rotated file.
	Compress bool

	// BufferSize bounds the bytes accepted by Write but not yet written
	// to the file, up to MaxBufferSize; zero means DefaultBufferSize.
	BufferSize int

	// Timeout bounds how long Sync and Close wait; zero means
	// DefaultTimeout.
	Timeout time.Duration

	// FileMode is the permission of newly created log files; zero means
	// DefaultFileMode.
	FileMode os.FileMode
}

// Writer is a rotating log file writer. It is safe for concurrent access.
type Writer struct {
	cfg Config

	// mtx protects the fields below it up to the blank line. Write holds
	// it only to copy bytes, never across I/O.
	mtx     sync.Mutex
	pending []byte
	bounds  []int // end offset in pending of each Write call
	spare   []byte
	spareB  []int
	dropped uint64 // bytes refused since the last loss notice
	closed  bool

	totalLost atomic.Uint64
	wake      chan struct{}
	syncReq   chan chan error
	quit      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
	closeErr  error // set by the run goroutine before done is closed

	// Owned by the run goroutine.
	file    *os.File
	size    int64
	lost    uint64 // bytes the disk refused since the last loss notice
	lastErr error
}

// New opens (appending to) or creates the log file and starts the writer's
// goroutine. Close stops it.
func New(cfg *Config) (*Writer, error) {
	c := *cfg
	switch {
	case c.Filename == "":
		return nil, rotateError(ErrInvalidConfig, "logrotate: no file name")
	case c.MaxSize < 0:
		return nil, rotateError(ErrInvalidConfig, fmt.Sprintf(
			"logrotate: max size %d is negative", c.MaxSize))
	case c.MaxBackups < 0 || c.MaxBackups > MaxBackupsLimit:
		return nil, rotateError(ErrInvalidConfig, fmt.Sprintf(
			"logrotate: max backups %d is not in 0..%d", c.MaxBackups,
			MaxBackupsLimit))
	case c.BufferSize < 0 || c.BufferSize > MaxBufferSize:
		return nil, rotateError(ErrInvalidConfig, fmt.Sprintf(
			"logrotate: buffer size %d is not in 0..%d", c.BufferSize,
			MaxBufferSize))
	case c.Timeout < 0:
		return nil, rotateError(ErrInvalidConfig, fmt.Sprintf(
			"logrotate: timeout %v is negative", c.Timeout))
	}
	if c.MaxSize == 0 {
		c.MaxSize = DefaultMaxSize
	}
	if c.BufferSize == 0 {
		c.BufferSize = DefaultBufferSize
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.FileMode == 0 {
		c.FileMode = DefaultFileMode
	}
	c.Filename = filepath.Clean(c.Filename)

	w := &Writer{
		cfg:     c,
		wake:    make(chan struct{}, 1),
		syncReq: make(chan chan error),
		quit:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	if err := os.MkdirAll(filepath.Dir(c.Filename), 0o700); err != nil {
		return nil, rotateError(ErrFile, fmt.Sprintf("logrotate: %v", err))
	}
	if err := w.open(); err != nil {
		return nil, err
	}
	go w.run()
	return w, nil
}

// Write queues a copy of p for the file and returns len(p) without waiting
// for the disk. When the buffer cannot take p, p is dropped, counted in
// Lost, and still reported as written, so that a log backend writing to
// several places does not stop at this one. After Close it returns ErrClosed.
func (w *Writer) Write(p []byte) (int, error) {
	w.mtx.Lock()
	if w.closed {
		w.mtx.Unlock()
		return 0, rotateError(ErrClosed, "logrotate: write on closed writer")
	}
	if len(w.pending)+len(p) > w.cfg.BufferSize {
		w.dropped += uint64(len(p))
		w.mtx.Unlock()
		w.totalLost.Add(uint64(len(p)))
		return len(p), nil
	}
	w.pending = append(w.pending, p...)
	w.bounds = append(w.bounds, len(w.pending))
	w.mtx.Unlock()

	select {
	case w.wake <- struct{}{}:
	default:
		// A wake-up is already pending; the goroutine takes these bytes
		// with it.
	}
	return len(p), nil
}

// Sync waits until every byte written before the call is in the file and the
// file is flushed to stable storage. It gives up after Config.Timeout with
// ErrTimeout. It returns the last error the writer met, if any, since the
// previous Sync.
func (w *Writer) Sync() error {
	timer := time.NewTimer(w.cfg.Timeout)
	defer timer.Stop()
	reply := make(chan error, 1)
	select {
	case w.syncReq <- reply:
	case <-w.done:
		return rotateError(ErrClosed, "logrotate: sync on closed writer")
	case <-timer.C:
		return w.timeoutError("sync")
	}
	select {
	case err := <-reply:
		return err
	case <-timer.C:
		return w.timeoutError("sync")
	}
}

// Close writes what is buffered, closes the file and stops the goroutine.
// It waits at most Config.Timeout; if the disk is hung it returns ErrTimeout
// and the goroutine exits once the pending write returns. Calling Close again
// returns nil.
func (w *Writer) Close() error {
	first := false
	w.closeOnce.Do(func() {
		first = true
		w.mtx.Lock()
		w.closed = true
		w.mtx.Unlock()
		close(w.quit)
	})
	if !first {
		return nil
	}
	timer := time.NewTimer(w.cfg.Timeout)
	defer timer.Stop()
	select {
	case <-w.done:
		return w.closeErr
	case <-timer.C:
		return w.timeoutError("close")
	}
}

// Lost returns how many bytes were dropped since New, because the buffer was
// full or the file could not be written.
func (w *Writer) Lost() uint64 {
	return w.totalLost.Load()
}

func (w *Writer) timeoutError(op string) error {
	return rotateError(ErrTimeout, fmt.Sprintf("logrotate: %s of %s "+
		"timed out after %v", op, w.cfg.Filename, w.cfg.Timeout))
}

// run is the writer's goroutine: it moves buffered bytes to the file and
// answers Sync, until Close.
func (w *Writer) run() {
	defer close(w.done)
	for {
		select {
		case <-w.wake:
			w.flush()
		case reply := <-w.syncReq:
			w.flush()
			err := w.lastErr
			w.lastErr = nil
			if w.file != nil {
				if serr := w.file.Sync(); serr != nil && err == nil {
					err = fileError("sync", serr)
				}
			}
			reply <- err
		case <-w.quit:
			w.flush()
			err := w.lastErr
			if w.file != nil {
				if cerr := w.file.Close(); cerr != nil && err == nil {
					err = fileError("close", cerr)
				}
				w.file = nil
			}
			w.closeErr = err
			return
		}
	}
}

// flush writes everything buffered so far.
func (w *Writer) flush() {
	w.mtx.Lock()
	buf, bounds := w.pending, w.bounds
	dropped := w.dropped
	w.dropped = 0
	w.pending, w.bounds = w.spare[:0], w.spareB[:0]
	w.mtx.Unlock()

	if dropped > 0 || w.lost > 0 {
		w.writeNotice(dropped)
	}
	if len(bounds) > 0 {
		w.writeRecords(buf, bounds)
	}

	// Hand the emptied buffer back for reuse, so a steady stream of
	// writes allocates nothing.
	w.mtx.Lock()
	w.spare, w.spareB = buf[:0], bounds[:0]
	w.mtx.Unlock()
}

// writeNotice records in the file how much log output was lost, so a reader
// knows the file has a gap and why.
func (w *Writer) writeNotice(dropped uint64) {
	var parts []string
	if dropped > 0 {
		parts = append(parts, fmt.Sprintf("%d bytes dropped because the "+
			"buffer was full", dropped))
	}
	if w.lost > 0 {
		parts = append(parts, fmt.Sprintf("%d bytes lost to write "+
			"errors", w.lost))
	}
	notice := fmt.Sprintf("%s [logrotate] %s\n",
		time.Now().UTC().Format("2006-01-02 15:04:05.000"),
		strings.Join(parts, ", "))
	if _, err := w.write([]byte(notice)); err != nil {
		// The disk still refuses; keep the counts for the next notice.
		w.lastErr = err
		w.mtx.Lock()
		w.dropped += dropped
		w.mtx.Unlock()
		return
	}
	w.lost = 0
}

// writeRecords appends the buffered Write calls to the file, rotating before
// a call that would take the file past MaxSize. Runs of calls that fit go
// out in one write.
func (w *Writer) writeRecords(buf []byte, bounds []int) {
	start, prev := 0, 0
	size := w.size
	for _, end := range bounds {
		n := int64(end - prev)
		if size > 0 && size+n > w.cfg.MaxSize {
			w.writeCounted(buf[start:prev])
			w.rotate()
			start, size = prev, w.size
		}
		size += n
		prev = end
	}
	w.writeCounted(buf[start:prev])
}

// writeCounted writes b and counts what did not reach the file as lost.
func (w *Writer) writeCounted(b []byte) {
	if n, err := w.write(b); err != nil {
		lost := uint64(len(b) - n)
		w.lastErr = err
		w.lost += lost
		w.totalLost.Add(lost)
	}
}

// write appends b to the file, reopening it after an earlier failure, and
// returns how many bytes reached it.
func (w *Writer) write(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	if w.file == nil {
		if err := w.open(); err != nil {
			return 0, err
		}
	}
	n, err := w.file.Write(b)
	w.size += int64(n)
	if err != nil {
		// Close the file so that the next write reopens it: the file
		// may have been removed or its disk remounted.
		w.file.Close()
		w.file = nil
		return n, fileError("write", err)
	}
	return n, nil
}

// open opens the active file for appending and learns its size.
func (w *Writer) open() error {
	f, err := os.OpenFile(w.cfg.Filename,
		os.O_WRONLY|os.O_CREATE|os.O_APPEND, w.cfg.FileMode)
	if err != nil {
		return fileError("open", err)
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return fileError("stat", err)
	}
	w.file = f
	w.size = info.Size()
	return nil
}

// rotate moves the active file to Filename.1, shifting the older ones, and
// opens a new active file. A failure is recorded and writing continues in
// whatever file can be opened, so logging never stops for a rotation.
func (w *Writer) rotate() {
	if w.file != nil {
		if err := w.file.Close(); err != nil {
			w.lastErr = fileError("close", err)
		}
		w.file = nil
	}
	name := w.cfg.Filename
	if w.cfg.MaxBackups == 0 {
		if err := os.Remove(name); err != nil && !os.IsNotExist(err) {
			w.lastErr = fileError("remove", err)
		}
	} else {
		// Shift only the files that exist: with a large MaxBackups,
		// trying every number would cost thousands of renames.
		kept := w.pruneBackups(w.cfg.MaxBackups)
		for i := w.cfg.MaxBackups - 1; i >= 1; i-- {
			for _, ext := range kept[i] {
				err := os.Rename(backupName(name, i)+ext,
					backupName(name, i+1)+ext)
				if err != nil {
					w.lastErr = fileError("rename", err)
				}
			}
		}
		first := backupName(name, 1)
		if err := os.Rename(name, first); err != nil {
			w.lastErr = fileError("rename", err)
		} else if w.cfg.Compress {
			if err := compressFile(first, w.cfg.FileMode); err != nil {
				w.lastErr = err
			}
		}
	}
	if err := w.open(); err != nil {
		w.lastErr = err
	}
}

// pruneBackups removes rotated files numbered from n up, including those a
// run with a larger MaxBackups left behind, and stale compression temporary
// files. It returns the suffixes ("" or ".gz") of the rotated files kept, by
// number.
func (w *Writer) pruneBackups(n int) map[int][]string {
	dir, base := filepath.Split(w.cfg.Filename)
	if dir == "" {
		dir = "."
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		w.lastErr = fileError("read dir", err)
		return nil
	}
	kept := make(map[int][]string)
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), base+".")
		if !ok {
			continue
		}
		ext := ""
		tmp := strings.HasSuffix(rest, gzipSuffix+tmpSuffix)
		rest = strings.TrimSuffix(rest, gzipSuffix+tmpSuffix)
		if r, ok := strings.CutSuffix(rest, gzipSuffix); ok {
			rest, ext = r, gzipSuffix
		}
		i, err := strconv.Atoi(rest)
		if err != nil || i < 1 || strconv.Itoa(i) != rest {
			continue
		}
		if i < n && !tmp {
			kept[i] = append(kept[i], ext)
			continue
		}
		err = os.Remove(filepath.Join(dir, e.Name()))
		if err != nil && !os.IsNotExist(err) {
			w.lastErr = fileError("remove", err)
		}
	}
	return kept
}

// backupName returns the name of the i-th rotated file.
func backupName(name string, i int) string {
	return name + "." + strconv.Itoa(i)
}

// tmpSuffix marks a compressed file still being written, so a crash never
// leaves a truncated file under a final name.
const tmpSuffix = ".tmp"

// compressFile gzips name into name.gz and removes name.
func compressFile(name string, mode os.FileMode) error {
	src, err := os.Open(name)
	if err != nil {
		return fileError("compress", err)
	}
	defer src.Close()
	tmp := name + gzipSuffix + tmpSuffix
	dst, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		return fileError("compress", err)
	}
	zw := gzip.NewWriter(dst)
	_, err = io.Copy(zw, src)
	if cerr := zw.Close(); err == nil {
		err = cerr
	}
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, name+gzipSuffix)
	}
	if err != nil {
		os.Remove(tmp)
		return fileError("compress", err)
	}
	if err := os.Remove(name); err != nil {
		return fileError("compress", err)
	}
	return nil
}

func fileError(op string, err error) error {
	return Error{Err: ErrFile, Description: fmt.Sprintf("logrotate: %s: %v",
		op, err)}
}
