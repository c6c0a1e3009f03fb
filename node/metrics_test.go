package node

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/soterdag/soterd/blockdag"
	"github.com/soterdag/soterd/keys"
	"github.com/soterdag/soterd/metrics"
)

// scrapeMetrics returns one /metrics page of n.
func scrapeMetrics(t *testing.T, n *Node) string {
	t.Helper()
	resp, err := http.Get("http://" + n.MetricsAddr().String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape: status %d, %v: %s", resp.StatusCode, err, body)
	}
	return string(body)
}

// TestNodeMetrics runs a full node with metrics beside a peer that mines:
// the blocks it downloads, those it mines over RPC, a block refused as
// invalid, its peer, the traffic and the RPC requests all show in a
// scrape.
func TestNodeMetrics(t *testing.T) {
	_, nodeKey, err := keys.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	n := startNode(t, t.TempDir(), &NodeConfig{
		Server: Config{Params: testParams(), DisableListen: true,
			SyncStallTimeout: 10 * time.Second, SyncRequestTimeout: 10 * time.Second,
			TrickleInterval: 20 * time.Millisecond},
		Mining:        MiningConfig{PayTo: &nodeKey, Pace: -1},
		RPC:           testRPCConfig(),
		MetricsListen: "127.0.0.1:0",
	})
	peer, c := syncFromMiner(t, n, 5)
	var hashes []string
	c.call(t, &hashes, "generate", 3)
	// A block with a bad merkle root, refused by the DAG.
	bad := badMerkleBlock(t, &testNode{Server: n.Server(), t: t})
	if _, err := n.Server().SyncManager().ProcessBlock(bad, 0); err == nil {
		t.Fatal("bad block accepted")
	}

	page := scrapeMetrics(t, n)
	want := []string{
		"soterd_blocks_accepted_total 8",
		"soterd_blocks_processed_total 9",
		`soterd_blocks_rejected_total{reason="ErrBadMerkleRoot"} 1`,
		"soterd_block_process_seconds_count 9",
		`soterd_block_stage_seconds_count{stage="validation"} 8`,
		`soterd_block_stage_seconds_count{stage="ghostdag"} 8`,
		`soterd_block_stage_seconds_count{stage="utxo"} 8`,
		`soterd_block_stage_seconds_count{stage="store"} 8`,
		"soterd_dag_blocks 9",
		"soterd_dag_tips 1",
		"soterd_dag_max_height 8",
		"soterd_sync_in_progress 0",
		`soterd_peers{direction="outbound"} 1`,
		`soterd_peers{direction="inbound"} 0`,
		`soterd_p2p_messages_total{command="block",direction="in"} 5`,
		`soterd_p2p_messages_total{command="version",direction="out"} 1`,
		`soterd_rpc_requests_total{method="generate",result="ok"} 1`,
		"soterd_mempool_transactions 0",
		"soterd_leveldb_io_bytes_total",
		"go_goroutines",
		"process_cpu_seconds_total",
	}
	for _, w := range want {
		if !strings.Contains(page, w) {
			t.Errorf("scrape lacks %q", w)
		}
	}
	if t.Failed() {
		t.Logf("scrape:\n%s", page)
	}

	// The traffic of a peer that left still counts.
	peer.disconnectAll()
	waitFor(t, 10*time.Second, "peer gone", func() bool { return n.Server().ConnectedCount() == 0 })
	page = scrapeMetrics(t, n)
	for _, w := range []string{
		`soterd_p2p_messages_total{command="block",direction="in"} 5`,
		`soterd_peers{direction="outbound"} 0`,
	} {
		if !strings.Contains(page, w) {
			t.Errorf("after the peer left, scrape lacks %q", w)
		}
	}
}

// BenchmarkScrape100Peers measures one /metrics scrape of a node with 100
// connected peers, HTTP round trip included (target: under 5 ms).
func BenchmarkScrape100Peers(b *testing.B) {
	n := startNode(b, b.TempDir(), &NodeConfig{
		Server: Config{Params: testParams(),
			ListenAddrs: []string{"127.0.0.1:0"}, MaxPeers: 200, MaxPeersPerIP: 200,
			SyncStallTimeout: 10 * time.Second, SyncRequestTimeout: 10 * time.Second},
		MetricsListen: "127.0.0.1:0",
	})
	tn := &testNode{Server: n.Server(), t: b}
	const peers = 100
	for i := 0; i < peers; i++ {
		dialFakePeer(b, tn, 0, nil, nil)
	}
	deadline := time.Now().Add(30 * time.Second)
	for n.Server().ConnectedCount() < peers && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := n.Server().ConnectedCount(); got < peers {
		b.Fatalf("%d peers connected, want %d", got, peers)
	}
	url := "http://" + n.MetricsAddr().String() + "/metrics"
	client := &http.Client{Timeout: 10 * time.Second}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		resp, err := client.Get(url)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

// TestStageLabels checks that the metrics package pre-creates exactly the
// stage labels blockdag reports.
func TestStageLabels(t *testing.T) {
	var got []string
	for _, st := range blockdag.Stages() {
		got = append(got, st.String())
	}
	if strings.Join(got, ",") != strings.Join(metrics.BlockStages, ",") {
		t.Fatalf("blockdag stages %v, metrics labels %v", got, metrics.BlockStages)
	}
}
