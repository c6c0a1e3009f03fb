package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/soterdag/soterd/internal/procnode"
)

// buildSoterd compiles soterd for the tests that run real processes, and
// skips them in -short mode: the build and the processes take tens of
// seconds.
func buildSoterd(t *testing.T) string {
	t.Helper()
	return buildAll(t).Soterd
}

// buildAll compiles every command, as buildSoterd does.
func buildAll(t *testing.T) *procnode.Binaries {
	t.Helper()
	if testing.Short() {
		t.Skip("starts real soterd processes")
	}
	bins, err := procnode.Build(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return bins
}

// TestProcesses runs ibd and propagate end to end on small networks of
// real soterd processes, and checks the result lines.
func TestProcesses(t *testing.T) {
	bins := buildAll(t)
	soterd := bins.Soterd
	tests := []struct {
		name string
		args []string
		want *regexp.Regexp
	}{{
		name: "ibd with transactions, width 2",
		args: []string{"ibd", "-n", "240", "-txs", "4", "-width", "2", "-soterd", soterd,
			"-dir", t.TempDir()},
		want: regexp.MustCompile(`^ibd n=240 txs=4 width=2 seconds=[0-9.]+ blocks_per_s=[0-9]+ ` +
			`tx_per_s=[1-9][0-9]* peak_rss_mb=[1-9][0-9.]*\n$`),
	}, {
		name: "restart",
		args: []string{"restart", "-n", "150", "-width", "2", "-mine", "20", "-soterd", soterd},
		want: regexp.MustCompile(`^restart n=150 width=2 blocks=151 ready_s=[0-9.]+ rss_start_mb=[1-9][0-9.]* ` +
			`mined=20 mined_blocks_per_s=[1-9][0-9]* rss_after_mining_mb=[1-9][0-9.]* peak_rss_mb=[1-9][0-9.]*\n$`),
	}, {
		name: "propagate",
		args: []string{"propagate", "-nodes", "3", "-blocks", "4", "-soterd", soterd},
		want: regexp.MustCompile(`^propagate nodes=3 blocks=4 hop_median_ms=-?[0-9.]+ hop_p99_ms=-?[0-9.]+\n$`),
	}, {
		name: "template",
		args: []string{"template", "-blocks", "5", "-soterd", soterd},
		want: regexp.MustCompile(`^template blocks=5 ws_median_ms=[0-9.]+ ws_p99_ms=[0-9.]+ ` +
			`longpoll_median_ms=[0-9.]+ longpoll_p99_ms=[0-9.]+\n$`),
	}, {
		name: "hashrate",
		args: []string{"hashrate", "-seconds", "4", "-rounds", "1", "-sotermine", bins.Sotermine},
		want: regexp.MustCompile(`^hashrate workers=1 seconds=4 rounds=1 builtin_per_worker=[1-9][0-9]* ` +
			`sotermine_per_worker=[1-9][0-9]* ratio=[0-9.]+\n$`),
	}}
	for _, test := range tests {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), test.args, &stdout, &stderr); code != 0 {
			t.Fatalf("%s: exit code %d, stderr:\n%s", test.name, code, stderr.String())
		}
		if !test.want.MatchString(stdout.String()) {
			t.Errorf("%s: got %q, want a match of %s", test.name, stdout.String(), test.want)
		}
	}
}

// TestIBDReusesSource checks that a second run in the same -dir reuses the
// source DAG instead of building it again.
func TestIBDReusesSource(t *testing.T) {
	soterd := buildSoterd(t)
	dir := t.TempDir()
	args := []string{"ibd", "-n", "50", "-soterd", soterd, "-dir", dir}
	for i, wantReuse := range []bool{false, true} {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), args, &stdout, &stderr); code != 0 {
			t.Fatalf("run %d: exit code %d, stderr:\n%s", i, code, stderr.String())
		}
		reused := bytes.Contains(stderr.Bytes(), []byte("reusing the source DAG"))
		if reused != wantReuse {
			t.Errorf("run %d: reused %v, want %v", i, reused, wantReuse)
		}
	}
	if _, err := os.Stat(dir + "/sync"); err != nil {
		t.Errorf("the syncing node's home was not kept in -dir: %v", err)
	}
}

// TestRestartKeepsItsHome checks that restart copies the source once and
// then restarts the node on its own home, which keeps the mined blocks, and
// that the source stays reusable.
func TestRestartKeepsItsHome(t *testing.T) {
	soterd := buildSoterd(t)
	dir := t.TempDir()
	args := []string{"restart", "-n", "40", "-mine", "5", "-soterd", soterd, "-dir", dir}
	for i, want := range []string{"blocks=41 ", "blocks=46 "} {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), args, &stdout, &stderr); code != 0 {
			t.Fatalf("run %d: exit code %d, stderr:\n%s", i, code, stderr.String())
		}
		if !bytes.Contains(stdout.Bytes(), []byte(want)) {
			t.Errorf("run %d: %q, want %s", i, stdout.String(), want)
		}
	}
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"ibd", "-n", "40", "-soterd", soterd, "-dir", dir},
		&stdout, &stderr); code != 0 {
		t.Fatalf("ibd: exit code %d, stderr:\n%s", code, stderr.String())
	}
	if !bytes.Contains(stderr.Bytes(), []byte("reusing the source DAG")) {
		t.Errorf("the source DAG built by restart was not reused by ibd")
	}
}

// TestIBDCanceled checks that a canceled download stops its processes and
// reports the cancellation.
func TestIBDCanceled(t *testing.T) {
	soterd := buildSoterd(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stdout, stderr bytes.Buffer
	code := run(ctx, []string{"ibd", "-n", "20", "-soterd", soterd}, &stdout, &stderr)
	if code != 1 || !bytes.Contains(stderr.Bytes(), []byte("interrupted")) {
		t.Errorf("got exit code %d and %q, want 1 and an interruption", code, stderr.String())
	}
}

// TestIBDProfiles checks that -cpuprofile and -heapprofile write profiles
// of the syncing node.
func TestIBDProfiles(t *testing.T) {
	soterd := buildSoterd(t)
	dir := t.TempDir()
	cpu, heap := filepath.Join(dir, "cpu.pprof"), filepath.Join(dir, "heap.pprof")
	var stdout, stderr bytes.Buffer
	args := []string{"ibd", "-n", "30", "-soterd", soterd, "-cpuprofile", cpu,
		"-profileseconds", "1", "-heapprofile", heap}
	if code := run(context.Background(), args, &stdout, &stderr); code != 0 {
		t.Fatalf("exit code %d, stderr:\n%s", code, stderr.String())
	}
	for _, path := range []string{cpu, heap} {
		info, err := os.Stat(path)
		if err != nil || info.Size() == 0 {
			t.Errorf("%s: %v, want a profile", path, err)
		}
	}
}
