package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/soterdag/soterd/blockdag"
	"github.com/soterdag/soterd/internal/procnode"
	"github.com/soterdag/soterd/rpcmodel"
)

// Timing of the ibd command.
const (
	// ibdPollInterval is how often the syncing node's getdaginfo is read.
	// The call is a few microseconds of work for the node, and the
	// interval is the resolution of the measured time.
	ibdPollInterval = 20 * time.Millisecond

	// ibdStallTimeout ends a download that has not gained a block for this
	// long: longer than the sync manager's own stall timeout (45 s), so
	// that it gets its chance to recover first.
	ibdStallTimeout = 90 * time.Second

	// defaultIBDTimeout bounds the whole download.
	defaultIBDTimeout = 30 * time.Minute

	// buildProgressInterval spaces the progress lines of the source build.
	buildProgressInterval = 5 * time.Second

	// bytesPerMiB converts the peak RSS to the MiB the result line shows.
	bytesPerMiB = 1 << 20
)

// ibdOptions are the ibd command's options.
type ibdOptions struct {
	blocks, txs, width int
	keepSource         bool
	utxoIndex          bool
	soterd             string
	dir                string
	network            string
	timeout            time.Duration
	profile            string
	cpuProfile         string
	profileSeconds     int
	heapProfile        string
	metrics            bool
	scrapeInterval     time.Duration

	// peers is the number of source nodes holding the DAG; delay,
	// jitter and mbit shape the link to each (see wan.go).
	peers  int
	delay  time.Duration
	jitter time.Duration
	mbit   float64
	// prune is the syncing node's --prune (MiB, 0 for an archive node).
	prune int
	// assumeValid runs the syncing node with --assumevalid on the source
	// DAG's tip with the most blue work.
	assumeValid bool
	// debugLevel is the syncing node's --debuglevel, empty for its
	// default.
	debugLevel string
}

// ibdResult is the outcome of one measured download.
type ibdResult struct {
	seconds float64
	blocks  int
	txs     int
	peakRSS uint64

	// scrapes describes the /metrics scrapes during the download, and
	// finalScrapes 20 scrapes after it, at the DAG's full size; both
	// empty without -metrics.
	scrapes, finalScrapes string

	// cpuSeconds is the user and system time of the syncing process
	// (zero when /proc could not tell), loadAvg the machine's one-minute
	// load average at the end.
	cpuSeconds float64
	loadAvg    string

	// wireBytes is what the links carried to the syncing node (zero
	// without proxies), linkBound the link's lower bound for the
	// download.
	wireBytes uint64
	linkBound time.Duration
	// dataBytes is the size of the syncing node's data directory at the
	// end, and lowest its lowest retained height (getdaginfo).
	dataBytes uint64
	lowest    uint32
}

// cmdIBD measures the initial block download of a fresh soterd from another
// soterd that holds a DAG of -n blocks.
func cmdIBD(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("ibd", stderr)
	var opts ibdOptions
	fs.IntVar(&opts.blocks, "n", 2000, fmt.Sprintf("blocks in the source DAG after genesis (1..%d)", maxBuildBlocks))
	fs.IntVar(&opts.txs, "txs", 0, fmt.Sprintf("signed transactions per block (0..%d); the first blocks "+
		"have none, until coinbases mature", maxTxsPerBlock))
	fs.IntVar(&opts.width, "width", 1, "blocks per round, all on the same tips, so the DAG is this wide (1..10)")
	fs.StringVar(&opts.soterd, "soterd", "", "soterd executable (default: beside soterbench, bin/soterd or on PATH)")
	fs.StringVar(&opts.dir, "dir", "", "keep the node homes here, and reuse a source DAG built there "+
		"with the same -n, -txs and -width (default: a temporary directory, removed)")
	fs.BoolVar(&opts.keepSource, "keepsource", false, "reuse the source DAG in -dir even if another "+
		"soterbench built it (a DAG under older consensus rules then fails the run instead of being rebuilt)")
	fs.StringVar(&opts.network, "net", "regtest", "network: regtest or simnet")
	fs.BoolVar(&opts.utxoIndex, "utxoindex", false, "run the syncing node with --utxoindex, to measure "+
		"what the index costs the download")
	fs.StringVar(&opts.debugLevel, "debuglevel", "", "run the syncing node with --debuglevel=LEVEL "+
		"(e.g. SYNC=debug), to see in its log where a download's time goes")
	fs.IntVar(&opts.prune, "prune", 0, "run the syncing node with --prune=MIB (0: an archive node)")
	fs.BoolVar(&opts.assumeValid, "assumevalid", false, "run the syncing node with --assumevalid on "+
		"the source DAG's tip, so the blocks in its past skip their signature checks")
	fs.DurationVar(&opts.timeout, "timeout", defaultIBDTimeout, "give up on the download after this long")
	fs.StringVar(&opts.profile, "profile", "", "serve net/http/pprof of the syncing node at this port "+
		"or host:port (soterd --profile), to profile the download")
	fs.StringVar(&opts.cpuProfile, "cpuprofile", "", "write a CPU profile of the syncing node to this file: "+
		"-profileseconds from its start, the nodes kept running until it is written")
	fs.IntVar(&opts.profileSeconds, "profileseconds", 10, "length of the -cpuprofile profile in seconds; "+
		"make it longer than the download (1..3600)")
	fs.StringVar(&opts.heapProfile, "heapprofile", "", "write a heap profile of the syncing node to this "+
		"file, taken when the download is complete")
	fs.BoolVar(&opts.metrics, "metrics", false, "run the syncing node with --metrics and scrape it "+
		"every -scrapeinterval during the download, to measure what metrics cost")
	fs.DurationVar(&opts.scrapeInterval, "scrapeinterval", time.Second, "time between two scrapes with -metrics")
	fs.IntVar(&opts.peers, "peers", 1, fmt.Sprintf("source nodes holding the same DAG, all connected "+
		"to the syncing node (1..%d)", maxIBDPeers))
	fs.DurationVar(&opts.delay, "delay", 0, "one-way delay of each direction of every link, "+
		"through a proxy (so a round trip takes twice it)")
	fs.DurationVar(&opts.jitter, "jitter", 0, "random extra one-way delay in [0, jitter) per chunk")
	fs.Float64Var(&opts.mbit, "mbit", 0, "bandwidth cap of each direction of every link in Mbit/s (0: none)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if opts.scrapeInterval <= 0 {
		return usageError{fmt.Sprintf("-scrapeinterval must be positive, got %v", opts.scrapeInterval)}
	}
	if err := checkWANOptions(&opts); err != nil {
		return err
	}
	params, err := blockdag.ParamsByName(opts.network)
	if err != nil || !params.NoDifficultyAdjustment {
		return usageError{fmt.Sprintf("-net must be regtest or simnet, got %q", opts.network)}
	}
	if err := checkBuildConfig(&buildConfig{Params: params, Blocks: opts.blocks,
		TxsPerBlock: opts.txs, Width: opts.width}); err != nil {
		return usageError{err.Error()}
	}
	if opts.timeout <= 0 {
		return usageError{fmt.Sprintf("-timeout must be positive, got %v", opts.timeout)}
	}
	if min := int(blockdag.MinPruneMiB(params)); opts.prune != 0 && opts.prune < min {
		return usageError{fmt.Sprintf("-prune must be 0 or at least %d on %s, got %d",
			min, params.Name, opts.prune)}
	}
	if opts.profileSeconds < 1 || opts.profileSeconds > maxProfileSeconds {
		return usageError{fmt.Sprintf("-profileseconds must be in 1..%d, got %d",
			maxProfileSeconds, opts.profileSeconds)}
	}
	binary, err := findSoterd(opts.soterd)
	if err != nil {
		return err
	}
	dir, cleanup, err := workDir(opts.dir, "soterbench-ibd-")
	if err != nil {
		return fmt.Errorf("work directory: %w", err)
	}
	defer cleanup()

	res, err := runIBD(ctx, &opts, params, binary, dir, stderr)
	if err != nil {
		return err
	}
	if res.cpuSeconds > 0 {
		fmt.Fprintf(stderr, "soterbench: the syncing node used %.2f CPU-seconds (%.2f cores on average; "+
			"load average %s): %.0f blocks and %.0f txs per CPU-second\n",
			res.cpuSeconds, res.cpuSeconds/res.seconds, res.loadAvg,
			float64(res.blocks)/res.cpuSeconds, float64(res.txs)/res.cpuSeconds)
	}
	if opts.metrics {
		fmt.Fprintf(stderr, "soterbench: during the download %s; after it %s\n", res.scrapes, res.finalScrapes)
	}
	fmt.Fprintf(stderr, "soterbench: the syncing node's data directory holds %.1f MiB "+
		"(prune %d MiB, lowest retained height %d)\n",
		float64(res.dataBytes)/bytesPerMiB, opts.prune, res.lowest)
	fmt.Fprintln(stdout, formatIBD(&opts, res))
	return nil
}

// dirBytes returns the total size of the files under dir.
func dirBytes(dir string) (uint64, error) {
	var n uint64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			info, err := d.Info()
			if err != nil {
				return err
			}
			n += uint64(info.Size())
		}
		return nil
	})
	return n, err
}

// formatIBD returns the result line; the link figures follow when the
// links went through proxies.
func formatIBD(opts *ibdOptions, res *ibdResult) string {
	line := fmt.Sprintf("ibd n=%d txs=%d width=%d seconds=%.3f blocks_per_s=%.0f tx_per_s=%.0f peak_rss_mb=%.1f",
		opts.blocks, opts.txs, opts.width, res.seconds,
		float64(res.blocks)/res.seconds, float64(res.txs)/res.seconds,
		float64(res.peakRSS)/bytesPerMiB)
	if opts.metrics {
		line += " metrics=1"
	}
	if opts.utxoIndex {
		line += " utxoindex=1"
	}
	if opts.assumeValid {
		line += " assumevalid=1"
	}
	if opts.wan() {
		line += fmt.Sprintf(" peers=%d delay_ms=%d mbit=%g wire_mb=%.2f link_bound_s=%.3f vs_bound=%.2f",
			opts.peers, opts.delay.Milliseconds(), opts.mbit, float64(res.wireBytes)/1e6,
			res.linkBound.Seconds(), res.seconds/res.linkBound.Seconds())
	}
	return line
}

// runIBD builds (or reuses) the source DAG, starts the source node on it
// and a fresh node connected to it, and times the download.
func runIBD(ctx context.Context, opts *ibdOptions, params *blockdag.Params,
	binary, dir string, stderr io.Writer) (*ibdResult, error) {

	srcHome := filepath.Join(dir, fmt.Sprintf("source-%s-n%d-txs%d-w%d",
		params.Name, opts.blocks, opts.txs, opts.width))
	syncHome := filepath.Join(dir, "sync")
	bcfg := &buildConfig{
		Params:      params,
		DBPath:      filepath.Join(srcHome, "data", params.Name, "db"),
		Blocks:      opts.blocks,
		TxsPerBlock: opts.txs,
		Width:       opts.width,
		AnyBuilder:  opts.keepSource,
	}
	info, err := prepareSource(ctx, bcfg, srcHome, stderr)
	if err != nil {
		return nil, err
	}
	if err := os.RemoveAll(syncHome); err != nil {
		return nil, fmt.Errorf("clear the syncing node's home: %w", err)
	}

	c := &cluster{log: stderr}
	defer c.stopAll()
	sources, want, err := startSources(c, opts, params, binary, srcHome, info, stderr)
	if err != nil {
		return nil, err
	}
	links, err := startLinks(opts, sources)
	if err != nil {
		return nil, err
	}
	defer links.close()

	syncCfg := &procnode.Config{
		Binary:   binary,
		Network:  params.Name,
		HomeDir:  syncHome,
		NoListen: true,
	}
	for _, addr := range links.addrs {
		syncCfg.ExtraArgs = append(syncCfg.ExtraArgs, "--connect="+addr)
	}
	if opts.prune > 0 {
		syncCfg.ExtraArgs = append(syncCfg.ExtraArgs, fmt.Sprintf("--prune=%d", opts.prune))
	}
	profile := opts.profile
	if profile == "" && (opts.cpuProfile != "" || opts.heapProfile != "") {
		if profile, err = freeLoopbackAddr(); err != nil {
			return nil, fmt.Errorf("a port for the profiler: %w", err)
		}
	}
	if profile != "" {
		syncCfg.ExtraArgs = append(syncCfg.ExtraArgs, "--profile="+profile)
	}
	var metricsAddr string
	if opts.metrics {
		if metricsAddr, err = freeLoopbackAddr(); err != nil {
			return nil, fmt.Errorf("a port for the metrics: %w", err)
		}
		syncCfg.ExtraArgs = append(syncCfg.ExtraArgs, "--metrics="+metricsAddr)
	}
	if opts.utxoIndex {
		syncCfg.ExtraArgs = append(syncCfg.ExtraArgs, "--utxoindex")
	}
	if opts.assumeValid {
		// The tip with the most blue work: with -width above 1 the other
		// tips of the last round are outside its past and fully checked.
		syncCfg.ExtraArgs = append(syncCfg.ExtraArgs, "--assumevalid="+info.Tips[0].String())
	}
	if opts.debugLevel != "" {
		syncCfg.ExtraArgs = append(syncCfg.ExtraArgs, "--debuglevel="+opts.debugLevel)
	}
	start := time.Now()
	syncer, err := c.start(syncCfg)
	if err != nil {
		return nil, fmt.Errorf("start the syncing node: %w", err)
	}
	var scr *scraper
	if opts.metrics {
		scr = startScraper(metricsAddr, opts.scrapeInterval)
	}
	var cpuProf *cpuProfile
	if opts.cpuProfile != "" {
		cpuProf = startCPUProfile(ctx, profile, opts.cpuProfile, opts.profileSeconds)
	}
	err = waitSynced(ctx, syncer, want, opts.timeout)
	elapsed := time.Since(start)
	if scr != nil {
		scr.stop()
	}
	if err != nil {
		return nil, err
	}
	rss, err := syncer.PeakRSS()
	if err != nil {
		return nil, fmt.Errorf("peak RSS of the syncing node: %w", err)
	}
	res := &ibdResult{
		seconds: elapsed.Seconds(),
		blocks:  int(info.DAGBlocks - 1),
		txs:     info.Txs,
		peakRSS: rss,
	}
	if opts.wan() {
		res.wireBytes = links.bytesDown()
		res.linkBound = linkBound(res.wireBytes, opts)
		fmt.Fprintf(stderr, "soterbench: MB carried to the syncing node per link: %s\n", links.perLink())
	}
	// The CPU time the syncing node got tells a slow node from a busy
	// machine; it includes the node's start-up, which is small.
	if cpu, err := processCPUTime(syncer.PID()); err == nil {
		res.cpuSeconds = cpu.Seconds()
	}
	res.loadAvg = loadAverage()
	if scr != nil {
		res.scrapes = scr.summary()
		final := &scraper{url: scr.url}
		for i := 0; i < 20; i++ {
			final.scrapeOnce(ctx)
		}
		res.finalScrapes = final.summary()
	}
	if got, err := syncer.GetDAGInfo(); err == nil {
		res.lowest = got.LowestRetainedHeight
	}
	// The data directory, not the home: the logs beside it are not what
	// pruning bounds.
	if res.dataBytes, err = dirBytes(filepath.Join(syncHome, "data")); err != nil {
		return nil, fmt.Errorf("size of the syncing node's data directory: %w", err)
	}
	// The heap profile is taken after the figures, so its own cost is
	// not in them.
	if opts.heapProfile != "" {
		if err := fetchToFile(ctx, profileURL(profile, "heap"), opts.heapProfile); err != nil {
			return nil, fmt.Errorf("heap profile: %w", err)
		}
	}
	if cpuProf != nil {
		fmt.Fprintf(stderr, "soterbench: waiting for the %ds CPU profile\n", opts.profileSeconds)
		if err := cpuProf.wait(ctx); err != nil {
			return nil, fmt.Errorf("CPU profile: %w", err)
		}
	}
	return res, nil
}

// prepareSource returns the source DAG in srcHome: the one recorded there
// if it matches cfg, else a new build (after clearing srcHome).
func prepareSource(ctx context.Context, cfg *buildConfig, srcHome string,
	stderr io.Writer) (*sourceInfo, error) {

	if info, err := readSourceInfo(srcHome); err == nil && info != nil && info.matches(cfg) {
		fmt.Fprintf(stderr, "soterbench: reusing the source DAG in %s\n", srcHome)
		return info, nil
	}
	if err := os.RemoveAll(srcHome); err != nil {
		return nil, fmt.Errorf("clear the source home: %w", err)
	}
	fmt.Fprintf(stderr, "soterbench: building a source DAG of %d blocks (%d txs per block, width %d) in %s\n",
		cfg.Blocks, cfg.TxsPerBlock, cfg.Width, srcHome)
	last := time.Now()
	cfg.Progress = func(blocks int) {
		if time.Since(last) >= buildProgressInterval {
			last = time.Now()
			fmt.Fprintf(stderr, "soterbench: built %d of %d blocks\n", blocks, cfg.Blocks)
		}
	}
	info, err := buildDAG(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("build the source DAG: %w", err)
	}
	if err := writeSourceInfo(srcHome, info); err != nil {
		return nil, fmt.Errorf("record the source DAG: %w", err)
	}
	fmt.Fprintf(stderr, "soterbench: built %d blocks with %d transactions in %.1fs\n",
		info.DAGBlocks-1, info.Txs, info.Seconds)
	return info, nil
}

// synced reports whether got shows the same DAG as want: the same tips and
// the same UTXO commitment.
func synced(got, want *rpcmodel.GetDAGInfoResult) bool {
	if got.Blocks != want.Blocks || got.UTXOCommitment != want.UTXOCommitment ||
		len(got.TipHashes) != len(want.TipHashes) {
		return false
	}
	a := slices.Clone(got.TipHashes)
	b := slices.Clone(want.TipHashes)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// waitSynced polls the syncing node until its DAG equals want, and fails
// when the node exits, stops gaining blocks for ibdStallTimeout, the
// timeout passes or ctx is done.
func waitSynced(ctx context.Context, n *procnode.Node, want *rpcmodel.GetDAGInfoResult,
	timeout time.Duration) error {

	deadline := time.Now().Add(timeout)
	var lastBlocks uint64
	lastGain := time.Now()
	ticker := time.NewTicker(ibdPollInterval)
	defer ticker.Stop()
	for {
		got, err := n.GetDAGInfo()
		if err != nil && !n.Running() {
			return fmt.Errorf("the syncing node exited during the download; last output:\n%s",
				n.OutputTail(20))
		}
		if err == nil {
			if synced(got, want) {
				return nil
			}
			if got.Blocks > lastBlocks {
				lastBlocks, lastGain = got.Blocks, time.Now()
			}
			if got.Blocks >= want.Blocks && got.UTXOCommitment != want.UTXOCommitment &&
				time.Since(lastGain) > time.Second {
				// Holding every block but another UTXO set would be
				// a consensus bug; it will not heal by waiting.
				return fmt.Errorf("the syncing node has all %d blocks but UTXO commitment %s, "+
					"the source %s", got.Blocks, got.UTXOCommitment, want.UTXOCommitment)
			}
		}
		now := time.Now()
		if now.Sub(lastGain) > ibdStallTimeout {
			return fmt.Errorf("the download stalled at %d of %d blocks for %v; see %s",
				lastBlocks, want.Blocks, ibdStallTimeout, n.LogFile())
		}
		if now.After(deadline) {
			return fmt.Errorf("the download did not finish within %v (%d of %d blocks); see %s",
				timeout, lastBlocks, want.Blocks, n.LogFile())
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-n.Done():
			return errors.New("the syncing node exited during the download; last output:\n" +
				n.OutputTail(20))
		case <-ticker.C:
		}
	}
}
