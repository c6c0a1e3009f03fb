package main

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/soterdag/soterd/blockdag"
	"github.com/soterdag/soterd/internal/procnode"
)

// restartOptions are the restart command's options.
type restartOptions struct {
	blocks, width, mine int
	keepSource          bool
	soterd              string
	dir                 string
	network             string
	dbcache             int
}

// restartResult is what one restart measured.
type restartResult struct {
	blocks        uint64
	ready         time.Duration
	rssStart      uint64
	rssMined      uint64
	peakRSS       uint64
	mined         int
	mineSeconds   float64
	loadedLogLine string
}

// generateChunk is how many blocks one generate call asks for, so a call
// stays well inside the RPC client's timeout.
const generateChunk = 100

// maxRestartMine bounds -mine.
const maxRestartMine = 1_000_000

// cmdRestart measures a node's steady state on a large DAG: the time from
// starting soterd on a store of -n blocks to its RPC answering, its
// resident memory then, and its memory after mining -mine more blocks on
// top. The store is a copy of the ibd command's source DAG (built or
// reused in -dir), so the source stays reusable.
func cmdRestart(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("restart", stderr)
	var opts restartOptions
	fs.IntVar(&opts.blocks, "n", 100_000, fmt.Sprintf("blocks in the DAG after genesis (1..%d)", maxBuildBlocks))
	fs.IntVar(&opts.width, "width", 1, "blocks per round, all on the same tips (1..10)")
	fs.IntVar(&opts.mine, "mine", 1000, fmt.Sprintf("blocks to mine on top after the start (0..%d)", maxRestartMine))
	fs.StringVar(&opts.soterd, "soterd", "", "soterd executable (default: beside soterbench, bin/soterd or on PATH)")
	fs.StringVar(&opts.dir, "dir", "", "keep the source DAG and the node's home here and reuse them "+
		"(default: a temporary directory, removed)")
	fs.BoolVar(&opts.keepSource, "keepsource", false, "reuse the source DAG in -dir even if another "+
		"soterbench built it")
	fs.StringVar(&opts.network, "net", "regtest", "network: regtest or simnet")
	fs.IntVar(&opts.dbcache, "dbcache", 0, "soterd --dbcache in MiB (default: soterd's)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	params, err := blockdag.ParamsByName(opts.network)
	if err != nil || !params.NoDifficultyAdjustment {
		return usageError{fmt.Sprintf("-net must be regtest or simnet, got %q", opts.network)}
	}
	if err := checkBuildConfig(&buildConfig{Params: params, Blocks: opts.blocks, Width: opts.width}); err != nil {
		return usageError{err.Error()}
	}
	if opts.mine < 0 || opts.mine > maxRestartMine {
		return usageError{fmt.Sprintf("-mine must be in 0..%d, got %d", maxRestartMine, opts.mine)}
	}
	binary, err := findSoterd(opts.soterd)
	if err != nil {
		return err
	}
	dir, cleanup, err := workDir(opts.dir, "soterbench-restart-")
	if err != nil {
		return fmt.Errorf("work directory: %w", err)
	}
	defer cleanup()

	res, err := runRestart(ctx, &opts, params, binary, dir, stderr)
	if err != nil {
		return err
	}
	if res.loadedLogLine != "" {
		fmt.Fprintf(stderr, "soterbench: the node logged: %s\n", res.loadedLogLine)
	}
	fmt.Fprintln(stdout, formatRestart(&opts, res))
	return nil
}

// formatRestart returns the result line.
func formatRestart(opts *restartOptions, res *restartResult) string {
	rate := 0.0
	if res.mineSeconds > 0 {
		rate = float64(res.mined) / res.mineSeconds
	}
	return fmt.Sprintf("restart n=%d width=%d blocks=%d ready_s=%.3f rss_start_mb=%.1f "+
		"mined=%d mined_blocks_per_s=%.0f rss_after_mining_mb=%.1f peak_rss_mb=%.1f",
		opts.blocks, opts.width, res.blocks, res.ready.Seconds(),
		float64(res.rssStart)/bytesPerMiB, res.mined, rate,
		float64(res.rssMined)/bytesPerMiB, float64(res.peakRSS)/bytesPerMiB)
}

// runRestart prepares the node's home (a copy of the source DAG), starts
// the node, and measures.
func runRestart(ctx context.Context, opts *restartOptions, params *blockdag.Params,
	binary, dir string, stderr io.Writer) (*restartResult, error) {

	suffix := fmt.Sprintf("%s-n%d-txs0-w%d", params.Name, opts.blocks, opts.width)
	srcHome := filepath.Join(dir, "source-"+suffix)
	home := filepath.Join(dir, "restart-"+suffix)
	bcfg := &buildConfig{
		Params:     params,
		DBPath:     filepath.Join(srcHome, "data", params.Name, "db"),
		Blocks:     opts.blocks,
		Width:      opts.width,
		AnyBuilder: opts.keepSource,
	}
	if _, err := os.Stat(home); err != nil {
		if _, err := prepareSource(ctx, bcfg, srcHome, stderr); err != nil {
			return nil, err
		}
		fmt.Fprintf(stderr, "soterbench: copying the source DAG to %s\n", home)
		if err := cloneTree(srcHome, home); err != nil {
			os.RemoveAll(home)
			return nil, fmt.Errorf("copy the source DAG: %w", err)
		}
	} else {
		fmt.Fprintf(stderr, "soterbench: restarting the node in %s (it keeps the blocks "+
			"mined by earlier runs)\n", home)
	}

	c := &cluster{log: stderr}
	defer c.stopAll()
	cfg := &procnode.Config{Binary: binary, Network: params.Name, HomeDir: home, NoListen: true,
		StartTimeout: 10 * time.Minute}
	if opts.dbcache > 0 {
		cfg.ExtraArgs = append(cfg.ExtraArgs, fmt.Sprintf("--dbcache=%d", opts.dbcache))
	}
	start := time.Now()
	n, err := c.start(cfg)
	if err != nil {
		return nil, fmt.Errorf("start the node: %w", err)
	}
	res := &restartResult{ready: time.Since(start)}
	if res.rssStart, err = n.RSS(); err != nil {
		return nil, err
	}
	info, err := n.GetDAGInfo()
	if err != nil {
		return nil, err
	}
	res.blocks = info.Blocks
	res.loadedLogLine = findLogLine(n.LogFile(), "Loaded the DAG")

	mineStart := time.Now()
	for res.mined < opts.mine {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		k := min(generateChunk, opts.mine-res.mined)
		if _, err := n.Call("generate", k); err != nil {
			return nil, fmt.Errorf("generate: %w", err)
		}
		res.mined += k
	}
	res.mineSeconds = time.Since(mineStart).Seconds()
	if res.rssMined, err = n.RSS(); err != nil {
		return nil, err
	}
	if res.peakRSS, err = n.PeakRSS(); err != nil {
		return nil, err
	}
	return res, nil
}

// findLogLine returns the last line of a log file that contains s, without
// its timestamp and level, or "" when there is none.
func findLogLine(path, s string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(string(data), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if j := strings.Index(lines[i], s); j >= 0 {
			return lines[i][j:]
		}
	}
	return ""
}

// cloneTree copies the directory tree src to dst. LevelDB's table files
// (.ldb) never change once written, so they are hard-linked where the file
// system allows, which makes a copy of a store of millions of blocks take
// seconds; everything else is copied.
func cloneTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o700)
		}
		if d.Name() == "LOCK" {
			return nil
		}
		if strings.HasSuffix(d.Name(), ".ldb") {
			if err := os.Link(path, target); err == nil {
				return nil
			}
		}
		return copyFile(path, target)
	})
}

// copyFile copies one regular file.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	info, err := in.Stat()
	if err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, info.Mode().Perm())
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
