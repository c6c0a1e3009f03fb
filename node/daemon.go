package node

import (
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"sync"
	"time"

	"github.com/soterdag/soterd/address"
	"github.com/soterdag/soterd/blockdag"
	"github.com/soterdag/soterd/keys"
	"github.com/soterdag/soterd/metrics"
	"github.com/soterdag/soterd/mining"
	"github.com/soterdag/soterd/rpcserver"
	"github.com/soterdag/soterd/wire"
)

// MiningKeyFilename is the file in the data directory that holds the key
// mined coins are paid to when no mining address is configured.
const MiningKeyFilename = "mining.key"

// MiningConfig configures block templates and the CPU miner.
type MiningConfig struct {
	// Generate starts the CPU miner with the node.
	Generate bool

	// PayTo is the x-only public key mined coins are paid to. When nil, a
	// key kept in <DataDir>/mining.key is used, and created on first use.
	PayTo *[wire.PubKeySize]byte

	// Workers is the number of mining goroutines; zero means one per core.
	Workers int

	// Pace is the least time between two mined blocks (see
	// mining.MinerConfig.PaceBlocks): zero takes the network's default, a
	// negative value turns pacing off.
	Pace time.Duration

	// BlockMaxSize bounds the blocks this node builds; zero means the
	// network's maximum.
	BlockMaxSize int
}

// RPCConfig configures the JSON-RPC server. A nil *RPCConfig turns RPC off.
type RPCConfig struct {
	ListenAddrs          []string
	NoTLS                bool
	Cert, Key            string
	CertHosts            []string
	User, Pass           string
	LimitUser, LimitPass string
	MaxClients           int
	MaxWebsockets        int
	MaxConcurrentReqs    int
	Version              int32

	// WebUI serves the web view at /webui/ on the RPC listeners.
	WebUI bool
}

// NodeConfig is the whole configuration of a full node.
type NodeConfig struct {
	Server Config
	Mining MiningConfig
	RPC    *RPCConfig

	// MetricsListen, when set, serves Prometheus metrics at
	// http://MetricsListen/metrics (host:port).
	MetricsListen string

	// Health sets the store watch (health.go).
	Health HealthConfig
}

// Node is a full node: the P2P core (Server) plus the block template
// generator, the CPU miner and the RPC server, started and stopped in
// order. It is safe for concurrent access.
type Node struct {
	cfg       NodeConfig
	server    *Server
	generator *mining.Generator
	miner     *mining.CPUMiner
	rpc       *rpcserver.Server
	metrics   *metrics.Metrics
	metricsSv *metrics.Server
	payTo     [wire.PubKeySize]byte
	started   time.Time

	startOnce    sync.Once
	stopOnce     sync.Once
	shutdownOnce sync.Once
	shutdown     chan struct{}

	// health watches the store; failed is closed, once, with failErr
	// set, when the node cannot go on (health.go).
	health   *health
	failOnce sync.Once
	failed   chan struct{}
	failErr  error
}

// NewNode builds a full node from cfg. Nothing runs until Start.
func NewNode(cfg *NodeConfig) (*Node, error) {
	if cfg == nil {
		return nil, ruleError(ErrInvalidConfig, "node: nil config")
	}
	n := &Node{cfg: *cfg, shutdown: make(chan struct{}), started: time.Now(),
		failed: make(chan struct{})}
	if n.cfg.MetricsListen != "" {
		// The sources read n.server, set below, before anything
		// can scrape.
		n.metrics = metrics.New(n.metricsSources())
		n.cfg.Server.Metrics = n.metrics
	}
	server, err := New(&n.cfg.Server)
	if err != nil {
		return nil, err
	}
	n.server = server
	if n.metrics != nil {
		n.metricsSv, err = metrics.NewServer(n.cfg.MetricsListen, n.metrics)
		if err != nil {
			server.Stop()
			return nil, fmt.Errorf("node: %w", err)
		}
	}

	if err := n.setupMining(); err != nil {
		server.Stop()
		if n.metricsSv != nil {
			n.metricsSv.Stop()
		}
		return nil, err
	}
	if n.cfg.RPC != nil {
		if err := n.setupRPC(); err != nil {
			server.Stop()
			if n.metricsSv != nil {
				n.metricsSv.Stop()
			}
			return nil, err
		}
	}
	return n, nil
}

// setupMining builds the template generator and the CPU miner, and picks
// the key mined coins are paid to.
func (n *Node) setupMining() error {
	mcfg := &n.cfg.Mining
	if mcfg.PayTo != nil {
		n.payTo = *mcfg.PayTo
	} else {
		path := filepath.Join(n.cfg.Server.DataDir, MiningKeyFilename)
		priv, created, err := keys.LoadOrCreateKeyFile(path)
		if err != nil {
			return fmt.Errorf("node: mining key %s: %w", path, err)
		}
		n.payTo = keys.PubKey(priv)
		addr := address.Encode(n.cfg.Server.Params.AddressPrefix, n.payTo)
		if created {
			log.Infof("Created the mining key %s (address %s); mined coins are paid to it",
				path, addr)
		} else {
			log.Infof("Mining pays to the key in %s (address %s)", path, addr)
		}
	}

	dag := n.server.DAG()
	gen, err := mining.NewGenerator(&mining.Config{
		Params:             n.cfg.Server.Params,
		TemplateState:      func() (mining.TemplateState, error) { return templateState(dag) },
		TxSource:           n.server.TxPool(),
		FetchUTXO:          dag.FetchUTXO,
		CheckBlockTemplate: dag.CheckBlockTemplate,
		TimeSource:         n.cfg.Server.TimeSource,
		MaxBlockSize:       mcfg.BlockMaxSize,
		MinerTag:           "soterd",
	})
	if err != nil {
		return fmt.Errorf("node: block template generator: %w", err)
	}
	n.generator = gen

	miner, err := mining.NewCPUMiner(&mining.MinerConfig{
		Generator:   gen,
		PayTo:       n.payTo,
		NumWorkers:  mcfg.Workers,
		SubmitBlock: n.submitMinedBlock,
		PaceBlocks:  mcfg.Pace,
	})
	if err != nil {
		return fmt.Errorf("node: CPU miner: %w", err)
	}
	n.miner = miner
	// A new tip makes the current template stale: tell the miner.
	n.server.AddBlockAcceptedHook(func(*blockdag.BlockAcceptedData) {
		miner.NotifyTipsChanged()
	})
	return nil
}

// templateState reads what a block template needs from the DAG.
func templateState(dag *blockdag.BlockDAG) (mining.TemplateState, error) {
	ti := dag.TemplateInfo()
	if ti == nil {
		return mining.TemplateState{}, errors.New("the DAG has no template information")
	}
	return mining.TemplateState{
		Parents:      ti.Parents,
		BlueScore:    ti.BlueScore,
		Bits:         ti.Bits,
		MinTimestamp: ti.MinTimestamp,
		Height:       ti.Height,
	}, nil
}

// submitMinedBlock hands a mined block to the sync manager, the same path
// blocks from peers take, so it is announced once accepted. It reports
// whether the block joined the DAG.
func (n *Node) submitMinedBlock(block *wire.MsgBlock) (bool, error) {
	isOrphan, err := n.server.SyncManager().ProcessBlock(block, blockdag.BFNone)
	if err != nil {
		return false, err
	}
	return !isOrphan, nil
}

// Start starts the P2P core, then the RPC server, then the miner if
// configured. Calls after the first do nothing.
func (n *Node) Start() {
	n.startOnce.Do(func() {
		n.health = &health{cfg: n.cfg.Health.withDefaults(), node: n,
			quit: make(chan struct{}), done: make(chan struct{})}
		// The first disk check runs before Start returns, so what
		// Start found is what the node started with.
		n.health.checkDisk(n.cfg.Server.DB.Path())
		go n.health.run()
		n.server.Start()
		if n.rpc != nil {
			n.rpc.Start()
			go func() {
				select {
				case <-n.rpc.RequestedProcessShutdown():
					n.requestShutdown()
				case <-n.shutdown:
				}
			}()
		}
		if n.cfg.Mining.Generate {
			n.miner.Start()
		}
		if n.metricsSv != nil {
			n.metricsSv.Start()
		}
	})
}

// requestShutdown closes the shutdown channel once; the RPC watcher and
// Stop may call it at the same time.
func (n *Node) requestShutdown() {
	n.shutdownOnce.Do(func() { close(n.shutdown) })
}

// RequestedShutdown is closed when an RPC client asked the node to stop, and
// at the latest when Stop runs.
func (n *Node) RequestedShutdown() <-chan struct{} {
	return n.shutdown
}

// Stop stops the miner, the RPC server and the P2P core, in that order so
// that nothing new enters while the core shuts down, and returns when every
// goroutine has exited. The caller closes the database afterwards. Calls
// after the first do nothing.
func (n *Node) Stop() {
	n.stopOnce.Do(func() {
		if n.health != nil {
			close(n.health.quit)
			<-n.health.done
		}
		if n.metricsSv != nil {
			n.metricsSv.Stop()
		}
		n.miner.Stop()
		if n.rpc != nil {
			n.rpc.Stop()
		}
		n.server.Stop()
		// Lets the goroutine watching for an RPC stop exit.
		n.requestShutdown()
	})
}

// Server returns the P2P core.
func (n *Node) Server() *Server { return n.server }

// Miner returns the CPU miner.
func (n *Node) Miner() *mining.CPUMiner { return n.miner }

// MetricsAddr returns the address metrics are served on, nil when they
// are off.
func (n *Node) MetricsAddr() net.Addr {
	if n.metricsSv == nil {
		return nil
	}
	return n.metricsSv.Addr()
}

// RPCServer returns the RPC server, nil when RPC is off.
func (n *Node) RPCServer() *rpcserver.Server { return n.rpc }

// MiningPubKey returns the key mined coins are paid to.
func (n *Node) MiningPubKey() [wire.PubKeySize]byte { return n.payTo }
