package database

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// childEnv names the environment variable that turns the test binary into a
// helper process: its value is "<mode> <path>".
const childEnv = "SOTERD_DATABASE_TEST_CHILD"

// TestChildProcess is not a test: it is the body of the helper processes the
// tests below start by re-running the test binary with childEnv set.
//
//   - hold: open the store, print "ready", wait for stdin to close, close.
//   - write: open the store with NoSync and a small write buffer, write
//     numbered batches forever, printing "ready" after the first 50, until
//     the parent kills the process.
func TestChildProcess(t *testing.T) {
	mode, path, ok := strings.Cut(os.Getenv(childEnv), " ")
	if !ok {
		t.Skip("helper process only")
	}
	switch mode {
	case "hold":
		db, err := Open(path, nil)
		if err != nil {
			fmt.Printf("open: %v\n", err)
			os.Exit(1)
		}
		fmt.Println("ready")
		io.Copy(io.Discard, os.Stdin)
		db.Close()
		os.Exit(0)

	case "write":
		db, err := Open(path, &Options{NoSync: true, WriteBufferMB: 1})
		if err != nil {
			fmt.Printf("open: %v\n", err)
			os.Exit(1)
		}
		b := db.NewBatch()
		for i := uint32(0); ; i++ {
			b.Reset()
			fillCrashBatch(b, i)
			if err := db.Write(b); err != nil {
				fmt.Printf("write: %v\n", err)
				os.Exit(1)
			}
			if i == 50 {
				fmt.Println("ready")
			}
		}
	}
	t.Fatalf("unknown helper mode %q", mode)
}

// crashBatchKeys is the number of records in each batch of the crash test,
// besides the record of the last batch number.
const crashBatchKeys = 8

// crashLastKey holds the number of the last batch written.
var crashLastKey = Key(BucketMeta, []byte("crashtest"))

// crashKey returns the key of record j of batch i.
func crashKey(i uint32, j int) []byte {
	var k [5]byte
	binary.BigEndian.PutUint32(k[:4], i)
	k[4] = byte(j)
	return Key(BucketUTXO, k[:])
}

// fillCrashBatch adds batch i of the crash test to b: crashBatchKeys records
// of 1 KiB, so that the small write buffer fills and LevelDB switches
// journals and flushes tables while the batches stream in, and the batch
// number.
func fillCrashBatch(b *Batch, i uint32) {
	value := make([]byte, 1024)
	binary.BigEndian.PutUint32(value, i)
	for j := 0; j < crashBatchKeys; j++ {
		b.Put(crashKey(i, j), value)
	}
	var last [4]byte
	binary.BigEndian.PutUint32(last[:], i)
	b.Put(crashLastKey, last[:])
}

// startChild starts the test binary as a helper process in the given mode
// and waits for it to print "ready". It returns the process and its stdin.
func startChild(t *testing.T, mode, path string) (*exec.Cmd, io.WriteCloser) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestChildProcess$")
	cmd.Env = append(os.Environ(), childEnv+"="+mode+" "+path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})

	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(stdout).ReadString('\n')
		line <- strings.TrimSpace(s)
		io.Copy(io.Discard, stdout)
	}()
	select {
	case s := <-line:
		if s != "ready" {
			t.Fatalf("helper process: %q", s)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("helper process did not get ready")
	}
	return cmd, stdin
}

// TestInUseOtherProcess ensures a directory held by another process cannot
// be opened, with the operator's message, and can be once that process ends,
// whether it closes the store or is killed.
func TestInUseOtherProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("starts helper processes")
	}
	path := filepath.Join(t.TempDir(), "db")
	want := fmt.Sprintf("data directory %s is in use by another process", path)

	// Closed cleanly.
	cmd, stdin := startChild(t, "hold", path)
	for _, opts := range []*Options{nil, {ReadOnly: true}} {
		_, err := Open(path, opts)
		if !errors.Is(err, ErrInUse) || err.Error() != want {
			t.Fatalf("Open %+v while held: got %v, want %v %q", opts, err,
				ErrInUse, want)
		}
	}
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("helper process: %v", err)
	}
	db, err := Open(path, nil)
	if err != nil {
		t.Fatalf("Open after the holder closed: %v", err)
	}
	db.Close()

	// Killed: the LOCK file stays behind, but the lock goes with the
	// process.
	cmd, _ = startChild(t, "hold", path)
	if _, err := Open(path, nil); !errors.Is(err, ErrInUse) {
		t.Fatalf("Open while held again: got %v, want %v", err, ErrInUse)
	}
	cmd.Process.Kill()
	cmd.Wait()
	db, err = Open(path, nil)
	if err != nil {
		t.Fatalf("Open after the holder was killed: %v", err)
	}
	db.Close()
}

// TestCrashAtomicity kills a process in the middle of writing batches and
// ensures the store reopens holding exactly the batches up to some batch:
// every record of each of those, nothing of any later one.
func TestCrashAtomicity(t *testing.T) {
	if testing.Short() {
		t.Skip("starts helper processes")
	}
	path := filepath.Join(t.TempDir(), "db")
	for round := 0; round < 3; round++ {
		cmd, _ := startChild(t, "write", path)
		time.Sleep(time.Duration(100+100*round) * time.Millisecond)
		cmd.Process.Kill()
		cmd.Wait()

		db, err := Open(path, nil)
		if err != nil {
			t.Fatalf("round %d: reopen after kill: %v", round, err)
		}
		lastBytes, err := db.Get(crashLastKey)
		if err != nil || len(lastBytes) != 4 {
			t.Fatalf("round %d: last batch: %x, %v", round, lastBytes, err)
		}
		last := binary.BigEndian.Uint32(lastBytes)

		// Every record up to last is there with its batch's value, and
		// nothing past last: count them in one pass over the bucket.
		it := db.NewIterator([]byte{byte(BucketUTXO)})
		var n uint32
		for it.Next() {
			k, v := it.Key(), it.Value()
			i := binary.BigEndian.Uint32(k[1:5])
			if i > last {
				t.Fatalf("round %d: record of batch %d after last batch %d",
					round, i, last)
			}
			if binary.BigEndian.Uint32(v) != i {
				t.Fatalf("round %d: record %x has value of batch %d",
					round, k, binary.BigEndian.Uint32(v))
			}
			n++
		}
		if err := it.Err(); err != nil {
			t.Fatalf("round %d: iterate: %v", round, err)
		}
		it.Release()
		if want := (last + 1) * crashBatchKeys; n != want {
			t.Fatalf("round %d: %d records for batches 0..%d, want %d",
				round, n, last, want)
		}
		t.Logf("round %d: %d batches survived the kill", round, last+1)

		// Start the next round from scratch so batch numbers restart.
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		if err := os.RemoveAll(path); err != nil {
			t.Fatal(err)
		}
	}
}
