package rpcserver

import (
	"fmt"
	"strings"
	"time"

	"github.com/soterdag/soterd/rpcmodel"
)

// handleHelp: help (command).
func handleHelp(_ *Server, args rpcmodel.Args, cl *clientInfo) (interface{}, error) {
	if args.Has(0) {
		name := args.String(0)
		m, ok := rpcmodel.LookupMethod(name)
		if !ok {
			return nil, rpcmodel.Errorf(rpcmodel.ErrRPCInvalidParameter, "unknown command: %s", clip(name))
		}
		return m.HelpText(), nil
	}
	var b strings.Builder
	for _, c := range rpcmodel.Categories() {
		var lines []string
		for _, m := range rpcmodel.MethodsByCategory(c) {
			if !cl.isAdmin && !m.Limited {
				continue
			}
			lines = append(lines, m.Usage())
		}
		if len(lines) == 0 {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "== %s ==\n%s\n", c, strings.Join(lines, "\n"))
	}
	return b.String(), nil
}

// handleStop: stop.
func handleStop(s *Server, _ rpcmodel.Args, cl *clientInfo) (interface{}, error) {
	log.Infof("Shutdown requested over RPC by %s", cl.addr)
	cl.stopRequested = true
	return "soterd stopping.", nil
}

// handleUptime: uptime.
func handleUptime(s *Server, _ rpcmodel.Args, _ *clientInfo) (interface{}, error) {
	return int64(time.Since(s.cfg.StartupTime) / time.Second), nil
}

// handleVersion: version.
func handleVersion(_ *Server, _ rpcmodel.Args, _ *clientInfo) (interface{}, error) {
	return map[string]rpcmodel.VersionResult{
		rpcmodel.APIName: {
			VersionString: fmt.Sprintf("%d.%d.%d", rpcmodel.APIVersionMajor,
				rpcmodel.APIVersionMinor, rpcmodel.APIVersionPatch),
			Major: rpcmodel.APIVersionMajor,
			Minor: rpcmodel.APIVersionMinor,
			Patch: rpcmodel.APIVersionPatch,
		},
	}, nil
}
