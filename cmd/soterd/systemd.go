package main

import (
	"fmt"

	"github.com/soterdag/soterd/internal/sdnotify"
	"github.com/soterdag/soterd/netsync"
	"github.com/soterdag/soterd/node"
)

// startNotifier tells systemd, when it runs soterd as a Type=notify unit,
// that the node serves, and keeps its status line and watchdog fed until
// Stop. Outside systemd it does nothing.
func startNotifier(n *node.Node) *sdnotify.Notifier {
	cfg, err := sdnotify.FromEnv()
	if err != nil {
		log.Warnf("systemd watchdog off: %v", err)
	}
	cfg.Status = func() string {
		s := n.Server()
		return statusLine(s.SyncManager().SyncState(), s.ConnectedCount())
	}
	notifier := sdnotify.New(&cfg)
	notifier.Start()
	return notifier
}

// statusLine is the text systemctl status shows: whether the node is
// downloading or current, its height and its peers.
func statusLine(st netsync.SyncState, peers int32) string {
	switch {
	case peers == 0:
		return fmt.Sprintf("No peers; max height %d", st.MaxHeight)
	case st.InSyncMode:
		return fmt.Sprintf("Syncing: max height %d of %d (%.1f%%), %.0f blocks/s, %d peers",
			st.MaxHeight, st.PeerMaxHeight, st.Progress, st.BlocksPerSecond, peers)
	case st.IsCurrent:
		return fmt.Sprintf("Current at max height %d, %d peers", st.MaxHeight, peers)
	default:
		return fmt.Sprintf("Waiting for blocks: max height %d, %d peers", st.MaxHeight, peers)
	}
}
