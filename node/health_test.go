package node

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/soterdag/soterd/database"
	"github.com/soterdag/soterd/keys"
)

// startHealthNode runs a node without peers or RPC with the given health
// configuration and returns it with its store.
func startHealthNode(t *testing.T, hc HealthConfig) (*Node, *database.DB) {
	t.Helper()
	_, key, err := keys.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	cfg := &NodeConfig{
		Server: Config{Params: testParams(), DisableListen: true},
		Mining: MiningConfig{PayTo: &key},
		Health: hc,
	}
	return startNode(t, t.TempDir(), cfg), cfg.Server.DB
}

// TestHealthDiskSpace ensures a node fails when the free space under its
// store is below the minimum, saying how much is free, where and what to
// do, and goes on when it is only below the warning threshold.
func TestHealthDiskSpace(t *testing.T) {
	free, ok, err := database.FreeSpace(t.TempDir())
	if err != nil || !ok {
		t.Skipf("free space is not measured here: %v", err)
	}
	tests := []struct {
		name string
		hc   HealthConfig
		fail bool
	}{
		{"below the minimum", HealthConfig{DiskMinFree: free * 4, DiskCheckInterval: 50 * time.Millisecond}, true},
		{"below the warning", HealthConfig{DiskMinFree: 1, DiskWarnFree: free * 4, DiskCheckInterval: 50 * time.Millisecond}, false},
		{"plenty", HealthConfig{DiskMinFree: 1, DiskCheckInterval: 50 * time.Millisecond}, false},
	}
	for _, test := range tests {
		n, db := startHealthNode(t, test.hc)
		var failed bool
		select {
		case <-n.Failed():
			failed = true
		case <-time.After(500 * time.Millisecond):
		}
		if failed != test.fail {
			t.Errorf("%s: failed %v (%v), want %v", test.name, failed, n.Err(), test.fail)
			continue
		}
		if !failed {
			if n.Err() != nil {
				t.Errorf("%s: Err %v without a failure", test.name, n.Err())
			}
			continue
		}
		msg := n.Err().Error()
		for _, w := range []string{db.Path(), "MiB free", "free space", "restart"} {
			if !strings.Contains(msg, w) {
				t.Errorf("%s: message %q lacks %q", test.name, msg, w)
			}
		}
	}
	if err := CheckDiskSpace(t.TempDir(), free*4); err == nil ||
		!strings.Contains(err.Error(), "MiB free") {
		t.Errorf("CheckDiskSpace below the minimum: got %v, want the disk message", err)
	}
	if err := CheckDiskSpace(t.TempDir(), 1); err != nil {
		t.Errorf("CheckDiskSpace with space: got %v, want nil", err)
	}
}

// TestHealthStoreFailure fills the disk under a running node's store and
// ensures the node fails within 5 s of the first failed block write, with
// the store's error, which names the path and the remedy. It mounts a
// tmpfs, so it needs root.
func TestHealthStoreFailure(t *testing.T) {
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Skipf("needs root to mount a tmpfs (run as root, or in CI): %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", mnt).Run() })
	_, key, err := keys.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	cfg := &NodeConfig{
		Server: Config{Params: testParams(), DisableListen: true},
		Mining: MiningConfig{PayTo: &key},
		Health: HealthConfig{DiskMinFree: 1, DiskCheckInterval: time.Hour},
	}
	n := startNode(t, filepath.Join(mnt, "data"), cfg)
	db := cfg.Server.DB

	// Fill the disk to the last byte.
	ballast, err := os.Create(filepath.Join(mnt, "ballast"))
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 64<<10)
	for err == nil {
		_, err = ballast.Write(chunk)
	}
	for len(chunk) > 1 && err != nil {
		chunk = chunk[:len(chunk)/2]
		_, err = ballast.Write(chunk)
	}
	ballast.Close()

	var failedAt time.Time
	dag := n.Server().DAG()
	for i := 0; i < 50 && failedAt.IsZero(); i++ {
		if _, err := n.Server().SyncManager().ProcessBlock(makeBlock(t, dag, minerKey(0)), 0); err != nil {
			failedAt = time.Now()
		}
	}
	if failedAt.IsZero() {
		t.Fatal("50 blocks were stored on a full disk")
	}
	select {
	case <-n.Failed():
	case <-time.After(5 * time.Second):
		t.Fatal("the node did not fail within 5 s of the failed write")
	}
	err = n.Err()
	if !errors.Is(err, database.ErrIO) {
		t.Fatalf("Err: got %v, want %v", err, database.ErrIO)
	}
	for _, w := range []string{db.Path(), "free space", "restart"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("message %q lacks %q", err, w)
		}
	}
}
