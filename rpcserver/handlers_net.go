package rpcserver

import (
	"net"
	"time"

	"github.com/soterdag/soterd/rpcmodel"
	"github.com/soterdag/soterd/wire"
)

// handleGetPeerInfo: getpeerinfo.
func handleGetPeerInfo(s *Server, _ rpcmodel.Args, _ *clientInfo) (interface{}, error) {
	if s.cfg.ConnMgr == nil {
		return nil, unavailable("connection manager")
	}
	var syncID int32
	if s.cfg.SyncMgr != nil {
		syncID = s.cfg.SyncMgr.SyncPeerID()
	}
	peers := s.cfg.ConnMgr.Peers()
	out := make([]rpcmodel.GetPeerInfoResult, len(peers))
	for i := range peers {
		p := &peers[i]
		out[i] = rpcmodel.GetPeerInfoResult{
			ID:             p.ID,
			Addr:           p.Addr,
			AddrLocal:      p.AddrLocal,
			Services:       p.Services.String(),
			RelayTxes:      p.RelayTxes,
			LastSend:       unixOrZero(p.LastSend, p.LastSend.Unix()),
			LastRecv:       unixOrZero(p.LastRecv, p.LastRecv.Unix()),
			BytesSent:      p.BytesSent,
			BytesRecv:      p.BytesRecv,
			ConnTime:       unixOrZero(p.ConnTime, p.ConnTime.Unix()),
			TimeOffset:     p.TimeOffset,
			PingTime:       p.PingTime.Microseconds(),
			PingWait:       p.PingWait.Microseconds(),
			Version:        p.ProtocolVersion,
			SubVer:         p.UserAgent,
			Inbound:        p.Inbound,
			StartingHeight: p.StartingHeight,
			CurrentHeight:  p.CurrentHeight,
			BanScore:       p.BanScore,
			SyncNode:       syncID != 0 && p.ID == syncID,
		}
	}
	return out, nil
}

// handleGetConnectionCount: getconnectioncount.
func handleGetConnectionCount(s *Server, _ rpcmodel.Args, _ *clientInfo) (interface{}, error) {
	if s.cfg.ConnMgr == nil {
		return nil, unavailable("connection manager")
	}
	return s.cfg.ConnMgr.ConnectedCount(), nil
}

// normalizeAddr adds the network's P2P port to an address without one.
func normalizeAddr(addr, defaultPort string) string {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return net.JoinHostPort(addr, defaultPort)
	}
	return addr
}

// handleAddNode: addnode addr subcmd.
func handleAddNode(s *Server, args rpcmodel.Args, _ *clientInfo) (interface{}, error) {
	if s.cfg.ConnMgr == nil {
		return nil, unavailable("connection manager")
	}
	subcmd := args.String(1)
	switch subcmd {
	case AddNodeAdd, AddNodeRemove, AddNodeOneTry:
	default:
		return nil, rpcmodel.Errorf(rpcmodel.ErrRPCInvalidParameter,
			"invalid subcommand %s for addnode: want add, remove or onetry", clip(subcmd))
	}
	addr := args.String(0)
	if addr == "" {
		return nil, rpcmodel.NewRPCError(rpcmodel.ErrRPCInvalidParameter, "addnode: empty address")
	}
	addr = normalizeAddr(addr, s.cfg.Params.DefaultPort)
	if err := s.cfg.ConnMgr.AddNode(addr, subcmd); err != nil {
		return nil, rpcmodel.Errorf(rpcmodel.ErrRPCInvalidParameter, "addnode %s %s: %v",
			subcmd, addr, err)
	}
	return nil, nil
}

// handleGetNetTotals: getnettotals.
func handleGetNetTotals(s *Server, _ rpcmodel.Args, _ *clientInfo) (interface{}, error) {
	if s.cfg.ConnMgr == nil {
		return nil, unavailable("connection manager")
	}
	recv, sent := s.cfg.ConnMgr.NetTotals()
	return rpcmodel.GetNetTotalsResult{
		TotalBytesRecv: recv,
		TotalBytesSent: sent,
		TimeMillis:     time.Now().UnixMilli(),
	}, nil
}

// handlePing: ping.
func handlePing(s *Server, _ rpcmodel.Args, _ *clientInfo) (interface{}, error) {
	if s.cfg.ConnMgr == nil {
		return nil, unavailable("connection manager")
	}
	s.cfg.ConnMgr.PingAll()
	return nil, nil
}

// handleGetListenAddrs: getlistenaddrs.
func handleGetListenAddrs(s *Server, _ rpcmodel.Args, _ *clientInfo) (interface{}, error) {
	r := rpcmodel.GetListenAddrsResult{P2P: []string{}, RPC: []string{}}
	if s.cfg.ConnMgr != nil {
		r.P2P = append(r.P2P, s.cfg.ConnMgr.ListenAddrs()...)
	}
	for _, a := range s.Addrs() {
		r.RPC = append(r.RPC, a.String())
	}
	return r, nil
}

// handleGetInfo: getinfo.
func handleGetInfo(s *Server, _ rpcmodel.Args, _ *clientInfo) (interface{}, error) {
	vi := s.cfg.DAG.VirtualInfo()
	var conns int32
	if s.cfg.ConnMgr != nil {
		conns = s.cfg.ConnMgr.ConnectedCount()
	}
	return rpcmodel.GetInfoResult{
		Version:         s.cfg.Version,
		ProtocolVersion: wire.ProtocolVersion,
		Blocks:          lastChainIndex(vi),
		DAGBlocks:       s.cfg.DAG.BlockCount(),
		Connections:     conns,
		Difficulty:      vi.Difficulty,
		TestNet:         s.cfg.Params.Name == "testnet",
		Network:         s.cfg.Params.Name,
		RelayFee:        coins(s.cfg.RelayFee),
	}, nil
}
