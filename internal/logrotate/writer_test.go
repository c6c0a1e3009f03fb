package logrotate

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// record returns a 30-byte line that names its index, so tests can tell
// which write landed in which file.
func record(i int) string {
	return fmt.Sprintf("record %03d %s\n", i, strings.Repeat("x", 18))
}

func records(from, to int) string {
	var b strings.Builder
	for i := from; i < to; i++ {
		b.WriteString(record(i))
	}
	return b.String()
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	if strings.HasSuffix(name, gzipSuffix) {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("gunzip %s: %v", name, err)
		}
		b, err = io.ReadAll(zr)
		if err != nil {
			t.Fatalf("gunzip %s: %v", name, err)
		}
	}
	return string(b)
}

// dirNames returns the sorted names of the files in dir.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}

func mustNew(t *testing.T, cfg *Config) *Writer {
	t.Helper()
	w, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

func writeAll(t *testing.T, w io.Writer, from, to int) {
	t.Helper()
	for i := from; i < to; i++ {
		n, err := w.Write([]byte(record(i)))
		if err != nil || n != len(record(i)) {
			t.Fatalf("write %d: n %d, err %v", i, n, err)
		}
	}
}

func TestNewConfig(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "a.log")
	tests := []struct {
		name string
		cfg  Config
		want error
	}{
		{"defaults", Config{Filename: name}, nil},
		{"all set", Config{Filename: name, MaxSize: 1, MaxBackups: 3,
			Compress: true, BufferSize: 10, Timeout: time.Second, FileMode: 0o640}, nil},
		{"no name", Config{}, ErrInvalidConfig},
		{"negative size", Config{Filename: name, MaxSize: -1}, ErrInvalidConfig},
		{"negative backups", Config{Filename: name, MaxBackups: -1}, ErrInvalidConfig},
		{"too many backups", Config{Filename: name, MaxBackups: MaxBackupsLimit + 1}, ErrInvalidConfig},
		{"negative buffer", Config{Filename: name, BufferSize: -1}, ErrInvalidConfig},
		{"huge buffer", Config{Filename: name, BufferSize: MaxBufferSize + 1}, ErrInvalidConfig},
		{"negative timeout", Config{Filename: name, Timeout: -1}, ErrInvalidConfig},
		{"dir is a file", Config{Filename: filepath.Join(name, "b.log")}, ErrFile},
	}
	for _, test := range tests {
		w, err := New(&test.cfg)
		if !errors.Is(err, test.want) || (err == nil) != (test.want == nil) {
			t.Errorf("%s: got %v, want %v", test.name, err, test.want)
		}
		if w != nil {
			if err := w.Close(); err != nil {
				t.Errorf("%s: close: %v", test.name, err)
			}
		}
	}
}

func TestWriteAndClose(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "sub", "soterd.log")
	w := mustNew(t, &Config{Filename: name})
	writeAll(t, w, 0, 10)
	if err := w.Sync(); err != nil {
		t.Fatalf("sync: %v", err)
	}
	if got, want := readFile(t, name), records(0, 10); got != want {
		t.Errorf("after sync: got %q, want %q", got, want)
	}
	writeAll(t, w, 10, 12)
	if err := w.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if got, want := readFile(t, name), records(0, 12); got != want {
		t.Errorf("after close: got %q, want %q", got, want)
	}
	if err := w.Close(); err != nil {
		t.Errorf("second close: got %v, want nil", err)
	}
	if _, err := w.Write([]byte("x")); !errors.Is(err, ErrClosed) {
		t.Errorf("write after close: got %v, want %v", err, ErrClosed)
	}
	if err := w.Sync(); !errors.Is(err, ErrClosed) {
		t.Errorf("sync after close: got %v, want %v", err, ErrClosed)
	}
	info, err := os.Stat(name)
	if err != nil {
		t.Fatal(err)
	}
	if mode := info.Mode().Perm(); mode != DefaultFileMode {
		t.Errorf("file mode: got %v, want %v", mode, os.FileMode(DefaultFileMode))
	}
}

// TestRotation checks which records land in which file: a file is rotated
// before the write that would take it past MaxSize, and only MaxBackups old
// files are kept.
func TestRotation(t *testing.T) {
	tests := []struct {
		name       string
		maxBackups int
		compress   bool
		writes     int
		want       map[string]string // file name -> content
	}{{
		name:       "two backups",
		maxBackups: 2,
		writes:     10,
		want: map[string]string{
			"soterd.log":   records(9, 10),
			"soterd.log.1": records(6, 9),
			"soterd.log.2": records(3, 6),
		},
	}, {
		name:       "compressed",
		maxBackups: 3,
		compress:   true,
		writes:     10,
		want: map[string]string{
			"soterd.log":      records(9, 10),
			"soterd.log.1.gz": records(6, 9),
			"soterd.log.2.gz": records(3, 6),
			"soterd.log.3.gz": records(0, 3),
		},
	}, {
		name:       "no backups",
		maxBackups: 0,
		writes:     8,
		want: map[string]string{
			"soterd.log": records(6, 8),
		},
	}, {
		name:       "exactly full",
		maxBackups: 5,
		writes:     3,
		want: map[string]string{
			"soterd.log": records(0, 3),
		},
	}}
	for _, test := range tests {
		dir := t.TempDir()
		name := filepath.Join(dir, "soterd.log")
		w := mustNew(t, &Config{Filename: name, MaxSize: 100,
			MaxBackups: test.maxBackups, Compress: test.compress})
		writeAll(t, w, 0, test.writes)
		if err := w.Close(); err != nil {
			t.Fatalf("%s: close: %v", test.name, err)
		}
		var wantNames []string
		for n := range test.want {
			wantNames = append(wantNames, n)
		}
		sort.Strings(wantNames)
		if got := dirNames(t, dir); fmt.Sprint(got) != fmt.Sprint(wantNames) {
			t.Errorf("%s: files: got %v, want %v", test.name, got, wantNames)
			continue
		}
		for n, want := range test.want {
			if got := readFile(t, filepath.Join(dir, n)); got != want {
				t.Errorf("%s: %s: got %q, want %q", test.name, n, got, want)
			}
		}
	}
}

// TestRotationAcrossSyncs checks that the files come out the same when every
// write is flushed on its own, so the result does not depend on how the
// writer's goroutine batches writes.
func TestRotationAcrossSyncs(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "soterd.log")
	w := mustNew(t, &Config{Filename: name, MaxSize: 100, MaxBackups: 5})
	for i := 0; i < 10; i++ {
		writeAll(t, w, i, i+1)
		if err := w.Sync(); err != nil {
			t.Fatalf("sync: %v", err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	want := []string{records(9, 10), records(6, 9), records(3, 6), records(0, 3)}
	for i, content := range want {
		n := name
		if i > 0 {
			n = backupName(name, i)
		}
		if got := readFile(t, n); got != content {
			t.Errorf("%s: got %q, want %q", n, got, content)
		}
	}
}

func TestOversizedWrite(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "soterd.log")
	w := mustNew(t, &Config{Filename: name, MaxSize: 50, MaxBackups: 5})
	big := strings.Repeat("b", 120) + "\n"
	for _, s := range []string{"small\n", big, "after\n"} {
		if _, err := w.Write([]byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		name:                "after\n",
		backupName(name, 1): big,
		backupName(name, 2): "small\n",
	}
	for n, content := range want {
		if got := readFile(t, n); got != content {
			t.Errorf("%s: got %q, want %q", filepath.Base(n), got, content)
		}
	}
}

// TestExistingFiles checks that an existing log is appended to and counted
// toward MaxSize, and that rotated files a run with more backups left behind
// are removed at the next rotation.
func TestExistingFiles(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "soterd.log")
	old := strings.Repeat("o", 79) + "\n"
	files := map[string]string{
		name:                                    old,
		backupName(name, 1):                     "one\n",
		backupName(name, 2) + gzipSuffix:        "two\n",
		backupName(name, 5):                     "five\n",
		backupName(name, 7) + gzipSuffix:        "seven\n",
		backupName(name, 1) + ".gz" + tmpSuffix: "partial",
		name + ".old":                           "not ours\n",
	}
	for n, content := range files {
		if err := os.WriteFile(n, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	w := mustNew(t, &Config{Filename: name, MaxSize: 100, MaxBackups: 3})
	writeAll(t, w, 0, 1)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	want := []string{"soterd.log", "soterd.log.1", "soterd.log.2",
		"soterd.log.3.gz", "soterd.log.old"}
	if got := dirNames(t, dir); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("files: got %v, want %v", got, want)
	}
	wantContent := map[string]string{
		"soterd.log":      record(0),
		"soterd.log.1":    old,
		"soterd.log.2":    "one\n",
		"soterd.log.3.gz": "two\n",
	}
	for n, content := range wantContent {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != content {
			t.Errorf("%s: got %q, want %q", n, b, content)
		}
	}
}

// TestConcurrentWrites checks that concurrent writes all arrive, each line
// whole.
func TestConcurrentWrites(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "soterd.log")
	w := mustNew(t, &Config{Filename: name, MaxSize: 4096,
		MaxBackups: MaxBackupsLimit})
	const writers, lines = 8, 500
	var wg sync.WaitGroup
	for g := 0; g < writers; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < lines; i++ {
				fmt.Fprintf(w, "writer %d line %04d\n", g, i)
				if i%100 == 0 {
					w.Sync()
				}
			}
		}()
	}
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if lost := w.Lost(); lost != 0 {
		t.Fatalf("lost %d bytes", lost)
	}
	seen := make(map[string]bool)
	for _, n := range dirNames(t, dir) {
		content := readFile(t, filepath.Join(dir, n))
		if len(content) > 4096 {
			t.Errorf("%s: %d bytes, more than MaxSize", n, len(content))
		}
		for _, line := range strings.Split(strings.TrimSuffix(content, "\n"), "\n") {
			if seen[line] {
				t.Errorf("line %q twice", line)
			}
			seen[line] = true
		}
	}
	for g := 0; g < writers; g++ {
		for i := 0; i < lines; i++ {
			line := fmt.Sprintf("writer %d line %04d", g, i)
			if !seen[line] {
				t.Errorf("line %q missing", line)
			}
			delete(seen, line)
		}
	}
	for line := range seen {
		t.Errorf("unexpected line %q", line)
	}
}

// TestBufferFull checks that a write the buffer cannot take is dropped
// without blocking, counted, and reported in the file.
func TestBufferFull(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "soterd.log")
	w := mustNew(t, &Config{Filename: name, BufferSize: 64})
	big := strings.Repeat("b", 100)
	if n, err := w.Write([]byte(big)); n != len(big) || err != nil {
		t.Fatalf("dropped write: n %d, err %v", n, err)
	}
	if got := w.Lost(); got != 100 {
		t.Errorf("lost: got %d, want 100", got)
	}
	writeAll(t, w, 0, 1)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	content := readFile(t, name)
	notice, rest, ok := strings.Cut(content, "\n")
	if !ok || !strings.Contains(notice, "100 bytes dropped because the buffer was full") {
		t.Errorf("notice: got %q", notice)
	}
	if rest != record(0) {
		t.Errorf("after notice: got %q, want %q", rest, record(0))
	}
}

// TestWriteError checks that bytes the disk refuses are counted and the
// error reported by Sync, using /dev/full, which fails every write with
// ENOSPC.
func TestWriteError(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full")
	}
	w := mustNew(t, &Config{Filename: "/dev/full"})
	writeAll(t, w, 0, 2)
	if err := w.Sync(); !errors.Is(err, ErrFile) {
		t.Errorf("sync: got %v, want %v", err, ErrFile)
	}
	if got, want := w.Lost(), uint64(2*len(record(0))); got != want {
		t.Errorf("lost: got %d, want %d", got, want)
	}
	// The writer keeps trying: the next sync retries the loss notice and
	// reports the disk's refusal again.
	if err := w.Sync(); !errors.Is(err, ErrFile) {
		t.Errorf("second sync: got %v, want %v", err, ErrFile)
	}
}
