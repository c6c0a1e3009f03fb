package blockdag

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/soterdag/soterd/database"
	"github.com/soterdag/soterd/wire"
)

// The crash test feeds blocks to a child process (this test binary re-run
// with crashDirEnv set) and kills it with SIGKILL at random points. Every
// reopen must find a consistent DAG: its tips, order and UTXO commitment
// equal those of a reference DAG fed the same prefix of blocks, and it
// must go on accepting the rest.

const (
	crashDirEnv    = "BLOCKDAG_CRASH_DIR"
	crashBlocksEnv = "BLOCKDAG_CRASH_BLOCKS"
	// crashPruneEnv, when set, makes the child prune (TestPruneCrash).
	crashPruneEnv = "BLOCKDAG_CRASH_PRUNE"
)

// crashConfig returns the parameters and configuration of a crash test's
// DAG: a transaction index, or pruning with short depths and a commitment
// record every 10 blocks, so the child prunes many times.
func crashConfig(prune bool) (*Params, Config, int) {
	if prune {
		p := pruneTestParams()
		return p, Config{Params: p, PruneBytes: MinPruneBytes(p)}, 10
	}
	p := testParams()
	return p, Config{Params: p, TxIndex: true, UTXOIndex: true}, commitmentInterval
}

// writeBlocks stores blocks as length-prefixed encodings.
func writeBlocks(path string, blocks []*wire.MsgBlock) error {
	var buf bytes.Buffer
	for _, b := range blocks {
		enc := b.Serialize()
		buf.Write(binary.LittleEndian.AppendUint32(nil, uint32(len(enc))))
		buf.Write(enc)
	}
	return os.WriteFile(path, buf.Bytes(), 0600)
}

// readBlocks reads what writeBlocks stored.
func readBlocks(path string) ([]*wire.MsgBlock, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []*wire.MsgBlock
	for len(data) > 0 {
		if len(data) < 4 {
			return nil, io.ErrUnexpectedEOF
		}
		n := binary.LittleEndian.Uint32(data)
		data = data[4:]
		if uint32(len(data)) < n {
			return nil, io.ErrUnexpectedEOF
		}
		b := new(wire.MsgBlock)
		if err := b.Deserialize(data[:n]); err != nil {
			return nil, err
		}
		out = append(out, b)
		data = data[n:]
	}
	return out, nil
}

// TestCrashChild is the child process of TestCrashRecovery; it does
// nothing in a normal run.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("only run as the child of TestCrashRecovery")
	}
	blocks, err := readBlocks(os.Getenv(crashBlocksEnv))
	if err != nil {
		t.Fatal(err)
	}
	db, err := database.Open(dir, &database.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	params, cfg, every := crashConfig(os.Getenv(crashPruneEnv) != "")
	now := time.UnixMilli(params.GenesisBlock.Header.Timestamp).Add(time.Hour)
	cfg.DB, cfg.TimeSource = db, func() time.Time { return now }
	dag, err := New(&cfg)
	if err != nil {
		t.Fatal(err)
	}
	dag.commitmentEvery = every
	for _, b := range blocks {
		if _, err := dag.ProcessBlock(b, BFNone); err != nil && !errors.Is(err, ErrDuplicateBlock) {
			t.Fatal(err)
		}
	}
	if dag.pruner != nil {
		dag.pruner.flush()
	}
	dag.Close()
	db.Close()
}

// TestCrashRecovery kills a block-feeding child process at random points
// and checks every reopened store against the reference states.
func TestCrashRecovery(t *testing.T) {
	if os.Getenv(crashDirEnv) != "" {
		t.Skip("child process")
	}
	crashEpisodes(t, false, func(d *BlockDAG) error {
		if err := checkTxIndex(d); err != nil {
			return err
		}
		if err := checkUTXOIndex(d); err != nil {
			return fmt.Errorf("UTXO index: %w", err)
		}
		return nil
	})
}

// crashEpisodes runs the crash test: a random DAG fed to children killed
// at random points, in the mode crashConfig(prune) gives, every reopened
// store compared with the reference states and checked by check.
func crashEpisodes(t *testing.T, prune bool, check func(*BlockDAG) error) {
	params, _, _ := crashConfig(prune)
	rng := rand.New(rand.NewSource(42))
	ref := newTestChain(t, params)
	var blocks []*wire.MsgBlock
	states := map[uint64]dagState{1: stateOf(t, ref.dag)}
	// Grow the reference one block at a time, recording its state after
	// each.
	for i := 0; i < 40; i++ {
		names := randomDAG(t, ref, rng, fmt.Sprintf("K%02d_", i), 5)
		for _, n := range names {
			blocks = append(blocks, ref.blocks[n])
		}
		states[ref.dag.BlockCount()] = stateOf(t, ref.dag)
	}
	// Intermediate states, by replaying into a second reference.
	replay := newTestChain(t, params)
	for _, b := range blocks {
		if _, err := replay.dag.ProcessBlock(b, BFNone); err != nil {
			t.Fatal(err)
		}
		states[replay.dag.BlockCount()] = stateOf(t, replay.dag)
	}

	work := t.TempDir()
	blocksFile := filepath.Join(work, "blocks")
	if err := writeBlocks(blocksFile, blocks); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(3 * time.Second)
	kills, rounds, episodes := 0, 0, 0
	// Each episode feeds a fresh store to completion through as many
	// killed children as it takes; episodes repeat until the deadline.
	// After the deadline children are no longer killed. A kill comes
	// after a random delay up to maxDelay, which grows when a round makes
	// no progress (a slow machine, or the race detector).
	maxDelay := 150 * time.Millisecond
	for episodes == 0 || time.Now().Before(deadline) {
		dbDir := filepath.Join(work, fmt.Sprintf("db%d", episodes))
		episodes++
		lastCount := uint64(0)
		for done := false; !done; rounds++ {
			cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
			cmd.Env = append(os.Environ(), crashDirEnv+"="+dbDir, crashBlocksEnv+"="+blocksFile)
			if prune {
				cmd.Env = append(cmd.Env, crashPruneEnv+"=1")
			}
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			killAfter := time.Duration(10+rng.Int63n(int64(maxDelay/time.Millisecond))) * time.Millisecond
			if time.Now().After(deadline) {
				killAfter = time.Hour
			}
			select {
			case err := <-exited:
				if err != nil {
					t.Fatalf("child failed: %v\n%s", err, out.String())
				}
				done = true
			case <-time.After(killAfter):
				cmd.Process.Signal(syscall.SIGKILL)
				if err := <-exited; err == nil {
					done = true
				} else {
					kills++
				}
			}

			// Reopen and compare with the reference state of the
			// same prefix.
			db, err := database.Open(dbDir, &database.Options{NoSync: true})
			if err != nil {
				t.Fatalf("round %d: reopen store: %v", rounds, err)
			}
			_, cfg, _ := crashConfig(prune)
			cfg.DB = db
			dag, err := New(&cfg)
			if err != nil {
				db.Close()
				t.Fatalf("round %d: reopen DAG: %v", rounds, err)
			}
			count := dag.BlockCount()
			want, ok := states[count]
			if !ok {
				t.Fatalf("round %d: no reference state for %d blocks", rounds, count)
			}
			if diff := stateOf(t, dag).equal(want); diff != "" {
				t.Fatalf("round %d (%d blocks): %s", rounds, count, diff)
			}
			if err := check(dag); err != nil {
				t.Fatalf("round %d (%d blocks): %v", rounds, count, err)
			}
			if err := checkStoredIndex(dag); err != nil {
				t.Fatalf("round %d (%d blocks): stored index: %v", rounds, count, err)
			}
			if count == lastCount {
				maxDelay *= 2
			}
			lastCount = count
			if done && count != uint64(len(blocks))+1 {
				t.Fatalf("round %d: finished feed left %d blocks, want %d", rounds, count, len(blocks)+1)
			}
			dag.Close()
			db.Close()
		}
	}
	if kills == 0 {
		t.Logf("the child always finished before the kill")
	}
	t.Logf("%d episodes, %d rounds, %d kills, %d blocks", episodes, rounds, kills, len(blocks))
}
