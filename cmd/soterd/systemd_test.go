package main

import (
	"testing"

	"github.com/soterdag/soterd/netsync"
)

// TestStatusLine checks the text systemd shows for each state.
func TestStatusLine(t *testing.T) {
	tests := []struct {
		name  string
		st    netsync.SyncState
		peers int32
		want  string
	}{
		{"alone", netsync.SyncState{MaxHeight: 0}, 0, "No peers; max height 0"},
		{"syncing", netsync.SyncState{InSyncMode: true, MaxHeight: 500, PeerMaxHeight: 1000,
			Progress: 50, BlocksPerSecond: 812}, 3,
			"Syncing: max height 500 of 1000 (50.0%), 812 blocks/s, 3 peers"},
		{"current", netsync.SyncState{IsCurrent: true, MaxHeight: 1000}, 8, "Current at max height 1000, 8 peers"},
		{"stale", netsync.SyncState{MaxHeight: 7}, 1, "Waiting for blocks: max height 7, 1 peers"},
	}
	for _, test := range tests {
		if got := statusLine(test.st, test.peers); got != test.want {
			t.Errorf("%s: got %q, want %q", test.name, got, test.want)
		}
	}
}
