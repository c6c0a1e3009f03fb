package node

import (
	"errors"
	"fmt"
	"time"

	"github.com/soterdag/soterd/database"
)

// These constants are the defaults of HealthConfig.
const (
	// DefaultDiskWarnFree is the free space under the store below which
	// the node warns: at a syncing node's pace that is minutes to hours
	// of blocks, time for an operator to act.
	DefaultDiskWarnFree = 1 << 30

	// DefaultDiskMinFree is the free space below which the node stops.
	// A LevelDB compaction writes its new tables before it deletes the
	// old ones, up to a few times the 8 MiB table size per level at
	// once; below this the next compaction or journal may not fit, and
	// stopping cleanly beats failing in the middle of a write.
	DefaultDiskMinFree = 64 << 20

	// diskWarnFactor sets the default warning threshold of a larger
	// DiskMinFree: sixteen times it leaves as much warning time.
	diskWarnFactor = 16

	// DefaultDiskCheckInterval is how often the free space is measured.
	DefaultDiskCheckInterval = 30 * time.Second

	// dagCheckInterval is how often the DAG is asked whether it failed.
	dagCheckInterval = time.Second
)

// HealthConfig configures the checks that stop a node whose store can no
// longer be trusted. Zero values take the defaults above.
type HealthConfig struct {
	// DiskWarnFree and DiskMinFree are free-space thresholds in bytes
	// on the disk that holds the store: below the first the node warns
	// (once, until the space comes back), below the second it stops. A
	// zero DiskWarnFree is DefaultDiskWarnFree or sixteen DiskMinFree,
	// whichever is more.
	DiskWarnFree uint64
	DiskMinFree  uint64

	// DiskCheckInterval is how often the free space is measured.
	DiskCheckInterval time.Duration
}

// withDefaults returns c with its zero fields set to the defaults.
func (c HealthConfig) withDefaults() HealthConfig {
	if c.DiskMinFree == 0 {
		c.DiskMinFree = DefaultDiskMinFree
	}
	if c.DiskWarnFree == 0 {
		c.DiskWarnFree = max(DefaultDiskWarnFree, diskWarnFactor*c.DiskMinFree)
	}
	if c.DiskCheckInterval <= 0 {
		c.DiskCheckInterval = DefaultDiskCheckInterval
	}
	return c
}

// CheckDiskSpace returns an error that says how much space is free, where,
// and what to do, when the disk that holds path has less than minFree bytes
// free; nil otherwise, and on systems where free space is not measured.
// minFree zero means DefaultDiskMinFree. The daemon calls it before it opens
// the store, so that a disk still full at a restart is refused at once.
func CheckDiskSpace(path string, minFree uint64) error {
	if minFree == 0 {
		minFree = DefaultDiskMinFree
	}
	free, ok, err := database.FreeSpace(path)
	if err != nil || !ok || free >= minFree {
		return err
	}
	return diskFullError(path, free, minFree)
}

// diskFullError is the error of a disk with too little free space.
func diskFullError(path string, free, minFree uint64) error {
	return fmt.Errorf("the disk that holds %s has %d MiB free, below the %d MiB "+
		"the node needs to write safely: free space on it (or move the data "+
		"directory, see docs/deploy.md) and restart", path, free>>20, minFree>>20)
}

// health is the goroutine that watches the store, the DAG and the free
// space, and fails the node when one of them says it cannot go on. It owns
// warned; quit stops it and done is closed when it has exited.
type health struct {
	cfg    HealthConfig
	node   *Node
	quit   chan struct{}
	done   chan struct{}
	warned bool
}

// run is the health goroutine.
func (h *health) run() {
	defer close(h.done)
	db := h.node.cfg.Server.DB
	dag := h.node.server.DAG()
	disk := time.NewTicker(h.cfg.DiskCheckInterval)
	defer disk.Stop()
	dagTick := time.NewTicker(dagCheckInterval)
	defer dagTick.Stop()
	for {
		select {
		case <-h.quit:
			return
		case <-db.Failed():
			h.node.fail(db.Err())
			return
		case <-dagTick.C:
			if err := dag.Err(); err != nil {
				// A failed store write closes db.Failed as
				// well; give it the word, it names the path.
				if dbErr := db.Err(); dbErr != nil {
					err = dbErr
				}
				h.node.fail(err)
				return
			}
		case <-disk.C:
			if h.checkDisk(db.Path()) {
				return
			}
		}
	}
}

// checkDisk measures the free space under the store, warns once when it is
// low and fails the node when it is below the minimum. It reports whether
// the node failed.
func (h *health) checkDisk(path string) bool {
	free, ok, err := database.FreeSpace(path)
	if err != nil {
		log.Warnf("Cannot measure the free disk space: %v", err)
		return false
	}
	switch {
	case !ok:
	case free < h.cfg.DiskMinFree:
		h.node.fail(diskFullError(path, free, h.cfg.DiskMinFree))
		return true
	case free < h.cfg.DiskWarnFree:
		if !h.warned {
			h.warned = true
			log.Warnf("The disk that holds %s has %d MiB free; the node stops "+
				"below %d MiB: free space on it soon", path, free>>20,
				h.cfg.DiskMinFree>>20)
		}
	default:
		h.warned = false
	}
	return false
}

// fail records err as the reason the node cannot go on, logs it once, and
// closes the channel Failed returns, on which the
// daemon stops the node and exits with an error so that the service manager
// restarts it.
func (n *Node) fail(err error) {
	n.failOnce.Do(func() {
		n.failErr = err
		log.Errorf("Stopping the node: %v", err)
		close(n.failed)
	})
}

// Failed returns a channel that is closed when the node cannot go on: its
// store failed or is damaged, or the disk is nearly full. Err says why. The
// owner of the node then calls Stop and, for a daemon, exits with an error.
func (n *Node) Failed() <-chan struct{} {
	return n.failed
}

// Err returns why the node failed, nil while it has not.
func (n *Node) Err() error {
	select {
	case <-n.failed:
		return n.failErr
	default:
		return nil
	}
}

// storeLogf returns the logging function for an error met while serving a
// peer or a client: debug for a failure of the store, which stops the node
// and is reported once by fail, error level for anything else (our bug).
func storeLogf(err error) func(format string, params ...interface{}) {
	if errors.Is(err, database.ErrIO) || errors.Is(err, database.ErrCorrupt) {
		return log.Debugf
	}
	return log.Errorf
}
