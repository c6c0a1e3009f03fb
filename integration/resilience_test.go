package integration

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/soterdag/soterd/internal/procnode"
)

// logTimeLayout is the time at the start of each soterd log line.
const logTimeLayout = "2006-01-02 15:04:05.000"

// logLines returns the lines of a node's log that contain marker, with
// their times.
func logLines(t *testing.T, path, marker string) ([]string, []time.Time) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	var times []time.Time
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.Contains(line, marker) || len(line) < len(logTimeLayout) {
			continue
		}
		at, err := time.ParseInLocation(logTimeLayout, line[:len(logTimeLayout)], time.Local)
		if err != nil {
			continue
		}
		lines = append(lines, line)
		times = append(times, at)
	}
	return lines, times
}

// TestDiskFullDuringSync runs a download into a data directory on a small
// tmpfs. When the disk fills, the node must log one error line that names
// the store and says to free space, stop in order and exit non-zero within
// 5 s of it; after the tmpfs grows and the node restarts, it must keep
// every block it had and end with its peer's state. It mounts a tmpfs, so
// it needs root (CI runs as root).
func TestDiskFullDuringSync(t *testing.T) {
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Skipf("needs root to mount a tmpfs (run as root, or in CI): %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", mnt).Run() })

	rng := newRand(t)
	src, srcState := buildSourceDAG(t, rng, pick(3000, 10000))

	cfg := &procnode.Config{
		Binary:  bins.Soterd,
		HomeDir: t.TempDir(),
		ExtraArgs: append(append([]string(nil), baseArgs...), "--addpeer="+src.P2PAddr(),
			"--datadir="+mnt, "--minfreedisk=1"),
	}
	victim := procnode.StartTest(t, cfg)
	var lastBlocks uint64
	deadline := time.After(3 * time.Minute)
wait:
	for {
		select {
		case <-victim.Done():
			break wait
		case <-deadline:
			t.Fatalf("the node did not stop on the full disk within 3 minutes (%d blocks)", lastBlocks)
		case <-time.After(100 * time.Millisecond):
			if st, err := stateOf(victim); err == nil {
				lastBlocks = st.Blocks
			}
		}
	}
	code, _ := victim.ExitCode()
	if code == 0 {
		t.Fatalf("exit code 0 after the disk filled")
	}
	if lastBlocks >= srcState.Blocks {
		t.Fatalf("the whole DAG (%d blocks) fit on the tmpfs; the test needs a larger one", lastBlocks)
	}
	errLines, errTimes := logLines(t, victim.LogFile(), " [ERR] ")
	if len(errLines) != 1 {
		t.Fatalf("%d error lines, want 1:\n%s", len(errLines), strings.Join(errLines, "\n"))
	}
	for _, w := range []string{filepath.Join(mnt, "regtest"), "free space", "restart"} {
		if !strings.Contains(errLines[0], w) {
			t.Errorf("error line %q lacks %q", errLines[0], w)
		}
	}
	_, endTimes := logLines(t, victim.LogFile(), "exiting with status 1")
	if len(endTimes) != 1 {
		t.Fatalf("no line saying the node exits with status 1")
	}
	if took := endTimes[0].Sub(errTimes[0]); took > 5*time.Second {
		t.Errorf("exited %v after the failure, want at most 5 s", took)
	}
	t.Logf("the disk filled at about %d of %d blocks; exit code %d, %v after the one error line: %s",
		lastBlocks, srcState.Blocks, code, endTimes[0].Sub(errTimes[0]), errLines[0])

	// Free space and restart: nothing is lost and the download ends.
	if out, err := exec.Command("mount", "-o", "remount,size=256m", mnt).CombinedOutput(); err != nil {
		t.Fatalf("grow the tmpfs: %v: %s", err, out)
	}
	if err := victim.Restart(); err != nil {
		t.Fatalf("restart with space: %v", err)
	}
	after, err := stateOf(victim)
	if err != nil {
		t.Fatal(err)
	}
	if after.Blocks < lastBlocks {
		t.Fatalf("the restart lost blocks: %d before the failure, %d after", lastBlocks, after.Blocks)
	}
	state := waitConverged(t, convergeTimeout, src, victim)
	if !state.equal(srcState) {
		t.Fatalf("converged on %v, the source had %v", state, srcState)
	}
	checkSameOrder(t, src, victim)
}

// TestFlappingPeer restarts a node's only persistent peer ten times, down
// for a random 0.5 to 4 s each time, and checks that the node reconnects
// within 10 s of each return: a handshake resets the redial backoff and a
// short outage is retried every few seconds.
func TestFlappingPeer(t *testing.T) {
	const restarts = 10
	const target = 10 * time.Second
	rng := newRand(t)
	peer := startNode(t)
	victim := startNode(t, withArgs("--addpeer="+peer.P2PAddr()))
	waitFor(t, 30*time.Second, "first connection", func() (bool, error) {
		return hasPeer(victim, peer.P2PAddr())
	})
	var worst time.Duration
	for i := 1; i <= restarts; i++ {
		if code, err := peer.Stop(); err != nil || code != 0 {
			t.Fatalf("stop %d: exit code %d, %v", i, code, err)
		}
		waitFor(t, 10*time.Second, "disconnect", func() (bool, error) {
			ok, err := hasPeer(victim, peer.P2PAddr())
			return !ok, err
		})
		time.Sleep(500*time.Millisecond + time.Duration(rng.Int64N(int64(3500*time.Millisecond))))
		if err := peer.Restart(); err != nil {
			t.Fatalf("restart %d: %v", i, err)
		}
		back := time.Now()
		waitFor(t, target, "reconnection", func() (bool, error) {
			return hasPeer(victim, peer.P2PAddr())
		})
		took := time.Since(back)
		worst = max(worst, took)
		t.Logf("restart %d: reconnected %v after the peer was back", i, took.Round(10*time.Millisecond))
	}
	t.Logf("%d restarts: worst reconnection %v after the peer's return (target %v)", restarts,
		worst.Round(10*time.Millisecond), target)
}

// flipMiddle inverts the bytes at the middle of each file that matches
// pattern in dir and returns how many files it damaged.
func flipMiddle(t *testing.T, dir, pattern string) int {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, pattern))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		f, err := os.OpenFile(name, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		fi, err := f.Stat()
		if err != nil {
			t.Fatal(err)
		}
		b := make([]byte, 16)
		off := fi.Size() / 2
		if _, err := f.ReadAt(b, off); err != nil {
			t.Fatal(err)
		}
		for i := range b {
			b[i] ^= 0xff
		}
		if _, err := f.WriteAt(b, off); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	return len(names)
}

// TestDamagedStore damages a node's store the ways a disk does and checks
// that the node says "damaged: remove X and restart to resync from peers",
// with exit status 1 and one error line, at start for a damaged journal
// and as soon as it reads a damaged table while running; that a store once
// found damaged is refused at every start; and that after the directory is
// removed the node resyncs to its peer's state.
func TestDamagedStore(t *testing.T) {
	peer := startNode(t)
	if _, err := peer.Generate(pick(200, 1000)); err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	cfg := &procnode.Config{
		Binary:    bins.Soterd,
		HomeDir:   home,
		ExtraArgs: append(append([]string(nil), baseArgs...), "--addpeer="+peer.P2PAddr()),
	}
	dbDir := filepath.Join(home, "data", "regtest", "db")
	advice := "remove " + dbDir + " and restart to resync from peers"
	victim := procnode.StartTest(t, cfg)
	want := waitConverged(t, convergeTimeout, peer, victim)
	stop := func(what string) {
		t.Helper()
		if code, err := victim.Stop(); err != nil || code != 0 {
			t.Fatalf("stop %s: exit code %d, %v", what, code, err)
		}
	}
	// refused checks that a start fails with the damage message.
	refused := func(what string, words ...string) {
		t.Helper()
		err := victim.Restart()
		var perr procnode.Error
		if !errors.As(err, &perr) || perr.ExitCode != 1 {
			t.Fatalf("%s: start: got %v, want exit code 1", what, err)
		}
		for _, w := range append(words, advice) {
			if !strings.Contains(perr.Output, w) {
				t.Errorf("%s: output lacks %q:\n%s", what, w, perr.Output)
			}
		}
	}
	resync := func(what string) {
		t.Helper()
		if err := os.RemoveAll(dbDir); err != nil {
			t.Fatal(err)
		}
		if err := victim.Restart(); err != nil {
			t.Fatalf("%s: start after removing the store: %v", what, err)
		}
		if st := waitConverged(t, convergeTimeout, peer, victim); !st.equal(want) {
			t.Fatalf("%s: resynced to %v, want %v", what, st, want)
		}
	}

	// A damaged journal record is refused at start, not skipped.
	stop("after the sync")
	if flipMiddle(t, dbDir, "*.log") == 0 {
		t.Fatal("no journal in the store")
	}
	refused("damaged journal", "journal", "damaged")
	resync("damaged journal")

	// A restart moves the journal into a table; damage it and read every
	// block while the node runs.
	stop("after the resync")
	if err := victim.Restart(); err != nil {
		t.Fatal(err)
	}
	stop("after the journal was flushed")
	if flipMiddle(t, dbDir, "*.ldb") == 0 {
		t.Fatal("no table in the store")
	}
	order, err := peer.GetDAGOrder()
	if err != nil {
		t.Fatal(err)
	}
	errsBefore, _ := logLines(t, victim.LogFile(), " [ERR] ")
	if err := victim.Restart(); err == nil {
		read := 0
		for _, b := range order {
			if _, err := victim.GetBlock(b.Hash, 1); err != nil {
				break
			}
			read++
		}
		t.Logf("the node started on the damaged table and failed after reading %d blocks", read)
		select {
		case <-victim.Done():
		case <-time.After(30 * time.Second):
			t.Fatal("the node did not stop within 30 s of reading a damaged table")
		}
		if code, _ := victim.ExitCode(); code != 1 {
			t.Fatalf("exit code %d after reading a damaged table, want 1", code)
		}
		errs, _ := logLines(t, victim.LogFile(), " [ERR] ")
		errs = errs[len(errsBefore):]
		if len(errs) != 1 || !strings.Contains(errs[0], "damaged") || !strings.Contains(errs[0], advice) {
			t.Fatalf("error lines after reading a damaged table, want one with the advice:\n%s",
				strings.Join(errs, "\n"))
		}
	} else if perr := (procnode.Error{}); !errors.As(err, &perr) || perr.ExitCode != 1 ||
		!strings.Contains(perr.Output, advice) {
		// The damage may sit in records read at start.
		t.Fatalf("start with a damaged table: got %v, want running or exit code 1 with the advice", err)
	} else {
		t.Logf("the node refused to start on the damaged table")
	}
	// Found once, refused at every start.
	refused("store found damaged", "damaged")
	resync("damaged table")
}
