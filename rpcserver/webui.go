package rpcserver

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Paths of the web view, when Config.WebUI is set.
const (
	webUIPrefix  = "/webui/"
	webUIWSPath  = "/webui/ws"
	webUIRPCPath = "/webui/rpc"
)

// The web view's session cookie. A browser sends the basic-auth
// credentials the user typed with every HTTP request under /webui/, but not
// with a websocket handshake; the page's files set this cookie, which the
// handshake of /webui/ws carries instead. It says only "this browser
// authenticated as admin or limited user until then", signed with a key
// that lives as long as the process.
const (
	webUICookie = "soterd_webui"

	// webUISessionLife bounds a session: a page left open longer gets a
	// new cookie when it reloads.
	webUISessionLife = 12 * time.Hour
)

// mountWebUI serves the web view's files and its two endpoints on mux.
func (s *Server) mountWebUI(mux *http.ServeMux) {
	mux.Handle(webUIPrefix, http.HandlerFunc(s.handleWebUI))
	mux.HandleFunc(webUIWSPath, func(w http.ResponseWriter, r *http.Request) {
		s.serveWebsocket(w, r, true)
	})
	mux.HandleFunc(webUIRPCPath, s.handleHTTP)
	mux.Handle("/webui", http.RedirectHandler(webUIPrefix, http.StatusMovedPermanently))
}

// newWebUIKey returns the key that signs session cookies.
func newWebUIKey() ([]byte, error) {
	key := make([]byte, sha256.Size)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("web view session key: %w", err)
	}
	return key, nil
}

// handleWebUI serves a file of the web view to an authenticated user. The
// 401 answer's challenge makes a browser ask for the RPC credentials.
func (s *Server) handleWebUI(w http.ResponseWriter, r *http.Request) {
	if !s.track() {
		http.Error(w, "503 Server shutting down.", http.StatusServiceUnavailable)
		return
	}
	defer s.wg.Done()
	ok, isAdmin := s.checkAuthHeader(r.Header.Get("Authorization"))
	if !ok {
		// A browser's first request has no credentials: that is the
		// normal way to the password prompt, not a refusal to count.
		if r.Header.Get("Authorization") != "" {
			s.authFailures.refuse(refusedAuth, r.RemoteAddr, " (web view)")
		}
		unauthorized(w)
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name:     webUICookie,
		Value:    s.webUISession(isAdmin, time.Now().Add(webUISessionLife)),
		Path:     webUIPrefix,
		MaxAge:   int(webUISessionLife / time.Second),
		HttpOnly: true,
		Secure:   r.TLS != nil,
		// Strict: no other site can open /webui/ws with it.
		SameSite: http.SameSiteStrictMode,
	})
	s.cfg.WebUI.ServeHTTP(w, r)
}

// webUISession returns a cookie value for a user until expiry:
// "expiry.admin.mac", the MAC over the first two fields.
func (s *Server) webUISession(isAdmin bool, expiry time.Time) string {
	admin := "0"
	if isAdmin {
		admin = "1"
	}
	payload := strconv.FormatInt(expiry.Unix(), 10) + "." + admin
	return payload + "." + s.webUIMAC(payload)
}

func (s *Server) webUIMAC(payload string) string {
	mac := hmac.New(sha256.New, s.webUIKey)
	mac.Write([]byte(payload))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// checkWebUISession reports whether the request carries a valid, unexpired
// session cookie, and for which user.
func (s *Server) checkWebUISession(r *http.Request) (ok, isAdmin bool) {
	if len(s.webUIKey) == 0 {
		return false, false
	}
	c, err := r.Cookie(webUICookie)
	if err != nil {
		return false, false
	}
	fields := strings.Split(c.Value, ".")
	if len(fields) != 3 || (fields[1] != "0" && fields[1] != "1") {
		return false, false
	}
	payload := fields[0] + "." + fields[1]
	if !hmac.Equal([]byte(fields[2]), []byte(s.webUIMAC(payload))) {
		return false, false
	}
	expiry, err := strconv.ParseInt(fields[0], 10, 64)
	if err != nil || time.Now().Unix() > expiry {
		return false, false
	}
	return true, fields[1] == "1"
}
