package rpcserver

import "net/http"

// Paths of the web view, when Config.WebUI is set.
const (
	webUIPrefix  = "/webui/"
	webUIWSPath  = "/webui/ws"
	webUIRPCPath = "/webui/rpc"
)

// mountWebUI serves the web view's files and its two endpoints on mux.
func (s *Server) mountWebUI(mux *http.ServeMux) {
	mux.Handle(webUIPrefix, http.HandlerFunc(s.handleWebUI))
	mux.HandleFunc(webUIWSPath, s.handleWebsocket)
	mux.HandleFunc(webUIRPCPath, s.handleHTTP)
	mux.Handle("/webui", http.RedirectHandler(webUIPrefix, http.StatusMovedPermanently))
}

// handleWebUI serves a file of the web view to an authenticated user. The
// 401 answer's challenge makes a browser ask for the RPC credentials.
func (s *Server) handleWebUI(w http.ResponseWriter, r *http.Request) {
	if !s.track() {
		http.Error(w, "503 Server shutting down.", http.StatusServiceUnavailable)
		return
	}
	defer s.wg.Done()
	if ok, _ := s.checkAuthHeader(r.Header.Get("Authorization")); !ok {
		// A browser's first request has no credentials: that is the
		// normal way to the password prompt, not a refusal to count.
		if r.Header.Get("Authorization") != "" {
			s.authFailures.refuse(refusedAuth, r.RemoteAddr, " (web view)")
		}
		unauthorized(w)
		return
	}
	s.cfg.WebUI.ServeHTTP(w, r)
}
