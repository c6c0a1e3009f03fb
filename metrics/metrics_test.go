package metrics

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// fakeSources returns Sources with fixed values; peers sets the number of
// per-command entries.
func fakeSources() Sources {
	return Sources{
		DAG: func() DAGStats {
			return DAGStats{Blocks: 1_000_001, Tips: 3, MaxHeight: 250_000, VirtualBlueScore: 999_990, Orphans: 2}
		},
		Sync: func() SyncStats {
			return SyncStats{InSyncMode: true, Progress: 25, BlocksPerSecond: 812.5, PeerMaxHeight: 1_000_000,
				BlocksInFlight: 64, BlocksQueued: 10}
		},
		Peers: func() PeerStats {
			return PeerStats{Inbound: 5, Outbound: 8, BytesRecv: 1 << 30, BytesSent: 12345,
				MsgsRecv: map[string]uint64{"block": 1000, "inv": 50},
				MsgsSent: map[string]uint64{"getdata": 20}}
		},
		Mempool: func() MempoolStats { return MempoolStats{Count: 42, Bytes: 9000} },
		DB: func() (DBStats, error) {
			return DBStats{IORead: 100, IOWrite: 200, WriteDelays: 3, WriteDelay: 1500 * time.Millisecond,
				BlockCacheBytes: 4096, OpenTables: 7, Tables: 2, SizeBytes: 1000, CompactionRead: 10,
				CompactionWrite: 20, Compaction: time.Second}, nil
		},
	}
}

// scrape serves m on a loopback port and returns one /metrics page.
func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	srv, err := NewServer("127.0.0.1:0", m)
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	t.Cleanup(srv.Stop)
	resp, err := http.Get("http://" + srv.Addr().String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape: status %d, %v", resp.StatusCode, err)
	}
	return string(body)
}

// TestScrape checks that one scrape shows the event counters and the state
// read from the sources, with Prometheus names and labels.
func TestScrape(t *testing.T) {
	m := New(fakeSources())
	m.BlockProcessed(BlockAccepted, "", 2*time.Millisecond)
	m.BlockProcessed(BlockAccepted, "", time.Millisecond)
	m.BlockProcessed(BlockOrphaned, "", time.Millisecond)
	m.BlockProcessed(BlockDuplicate, "", time.Microsecond)
	m.BlockProcessed(BlockRejected, "ErrBadMerkleRoot", time.Millisecond)
	m.TxAccepted()
	m.TxRejected("ErrInsufficientFee")
	m.PeerBanned()
	m.RPCRequest("getinfo", RPCResultOK, time.Millisecond)
	m.RPCRequest(RPCUnknownMethod, "-32601", time.Millisecond)
	page := scrape(t, m)
	want := []string{
		"soterd_blocks_processed_total 5",
		"soterd_blocks_accepted_total 2",
		"soterd_blocks_orphaned_total 1",
		"soterd_blocks_duplicate_total 1",
		`soterd_blocks_rejected_total{reason="ErrBadMerkleRoot"} 1`,
		"soterd_block_process_seconds_count 5",
		"soterd_txs_accepted_total 1",
		`soterd_txs_rejected_total{reason="ErrInsufficientFee"} 1`,
		"soterd_peer_bans_total 1",
		`soterd_rpc_requests_total{method="getinfo",result="ok"} 1`,
		`soterd_rpc_requests_total{method="unknown",result="-32601"} 1`,
		"soterd_rpc_request_seconds_count 2",
		"soterd_dag_blocks 1.000001e+06",
		"soterd_dag_tips 3",
		"soterd_dag_max_height 250000",
		"soterd_virtual_blue_score 999990",
		"soterd_orphan_blocks 2",
		"soterd_sync_in_progress 1",
		"soterd_sync_is_current 0",
		"soterd_sync_progress_ratio 0.25",
		"soterd_sync_blocks_per_second 812.5",
		"soterd_sync_peer_max_height 1e+06",
		"soterd_sync_blocks_in_flight 64",
		"soterd_sync_blocks_queued 10",
		`soterd_peers{direction="inbound"} 5`,
		`soterd_peers{direction="outbound"} 8`,
		`soterd_p2p_bytes_total{direction="in"} 1.073741824e+09`,
		`soterd_p2p_messages_total{command="block",direction="in"} 1000`,
		`soterd_p2p_messages_total{command="getdata",direction="out"} 20`,
		"soterd_mempool_transactions 42",
		"soterd_mempool_bytes 9000",
		`soterd_leveldb_io_bytes_total{direction="write"} 200`,
		"soterd_leveldb_write_delay_seconds_total 1.5",
		"soterd_leveldb_tables 2",
		"soterd_leveldb_size_bytes 1000",
		`soterd_leveldb_compaction_bytes_total{direction="write"} 20`,
		"soterd_leveldb_compaction_seconds_total 1",
		"go_goroutines ",
		"process_resident_memory_bytes ",
		"# TYPE soterd_blocks_processed_total counter",
		"# TYPE soterd_dag_blocks gauge",
	}
	for _, w := range want {
		if !strings.Contains(page, w) {
			t.Errorf("scrape lacks %q", w)
		}
	}
	if t.Failed() {
		t.Logf("scrape:\n%s", page)
	}
}

// TestNilMetrics checks that counting on a nil *Metrics does nothing.
func TestNilMetrics(t *testing.T) {
	var m *Metrics
	m.BlockProcessed(BlockRejected, "x", time.Second)
	m.TxAccepted()
	m.TxRejected("x")
	m.PeerBanned()
	m.RPCRequest("getinfo", RPCResultOK, time.Second)
}

// TestSourcesOptional checks that nil sources and a failing database leave
// their metrics out instead of failing the scrape.
func TestSourcesOptional(t *testing.T) {
	m := New(Sources{DB: func() (DBStats, error) { return DBStats{}, errors.New("closed") }})
	page := scrape(t, m)
	if strings.Contains(page, "soterd_dag_blocks") || strings.Contains(page, "soterd_leveldb") {
		t.Errorf("scrape shows metrics without a source:\n%s", page)
	}
	if !strings.Contains(page, "soterd_blocks_processed_total 0") {
		t.Errorf("scrape lacks the event counters:\n%s", page)
	}
}

// TestServerErrors checks a busy port and Stop without Start.
func TestServerErrors(t *testing.T) {
	m := New(Sources{})
	srv, err := NewServer("127.0.0.1:0", m)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	if _, err := NewServer(srv.Addr().String(), m); !errors.Is(err, ErrListen) {
		t.Errorf("busy port: got %v, want ErrListen", err)
	}
	if _, err := NewServer("127.0.0.1:0", nil); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("nil metrics: got %v, want ErrInvalidConfig", err)
	}
	srv.Stop()
	srv.Stop()
}
