package rpcserver

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/websocket"
)

// TestWebUIMount checks the web view's paths: the files need the RPC
// credentials (401 with a challenge first), the page's JSON-RPC and
// websocket endpoints answer under /webui/, and a server without a web
// view serves none of it.
func TestWebUIMount(t *testing.T) {
	page := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "page at "+r.URL.Path)
	})
	ts := newTestServer(t, func(c *Config, _ *fakes) { c.WebUI = page })
	base := "http://" + ts.Addrs()[0].String()
	get := func(path string, h http.Header) (int, string, http.Header) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, base+path, nil)
		for k, v := range h {
			req.Header[k] = v
		}
		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body), resp.Header
	}
	tests := []struct {
		name     string
		path     string
		auth     http.Header
		wantCode int
		wantBody string
	}{
		{"no credentials", "/webui/", nil, http.StatusUnauthorized, ""},
		{"wrong credentials", "/webui/app.js", basicAuth(adminUser, "wrong"), http.StatusUnauthorized, ""},
		{"admin", "/webui/", basicAuth(adminUser, adminPass), http.StatusOK, "page at /webui/"},
		{"limited user", "/webui/app.js", basicAuth(limitUser, limitPass), http.StatusOK, "page at /webui/app.js"},
		{"bare prefix", "/webui", basicAuth(adminUser, adminPass), http.StatusMovedPermanently, ""},
	}
	for _, test := range tests {
		code, body, h := get(test.path, test.auth)
		if code != test.wantCode || !strings.Contains(body, test.wantBody) {
			t.Errorf("%s: got %d %q, want %d %q", test.name, code, body, test.wantCode, test.wantBody)
		}
		if code == http.StatusUnauthorized && h.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: 401 without a challenge", test.name)
		}
	}

	// JSON-RPC over POST at /webui/rpc.
	req, _ := http.NewRequest(http.MethodPost, base+"/webui/rpc",
		strings.NewReader(`{"jsonrpc":"1.0","id":1,"method":"getblockcount","params":[]}`))
	req.SetBasicAuth(limitUser, limitPass)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"result":`) {
		t.Errorf("/webui/rpc: %d %s", resp.StatusCode, body)
	}

	// The websocket at /webui/ws, authenticated by the upgrade's header.
	conn, _, err := websocket.DefaultDialer.Dial("ws://"+ts.Addrs()[0].String()+"/webui/ws",
		basicAuth(adminUser, adminPass))
	if err != nil {
		t.Fatalf("dial /webui/ws: %v", err)
	}
	defer conn.Close()
	if msg := wsCall(t, conn, 1, "getdagview", 5); msg.Error != nil || len(msg.Result) == 0 {
		t.Errorf("getdagview over /webui/ws: %+v", msg)
	}

	// A browser's handshake carries the session cookie the page set, not
	// the credentials: it is enough, for the user the page was served to.
	req, _ = http.NewRequest(http.MethodGet, base+"/webui/", nil)
	req.SetBasicAuth(limitUser, limitPass)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var session *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == webUICookie {
			session = c
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteStrictMode || session.Path != "/webui/" {
		t.Fatalf("session cookie %+v, want HttpOnly, SameSite=Strict, Path=/webui/", session)
	}
	wsURL := "ws://" + ts.Addrs()[0].String() + "/webui/ws"
	cookieHeader := func(value, origin string) http.Header {
		h := http.Header{}
		h.Set("Cookie", webUICookie+"="+value)
		if origin != "" {
			h.Set("Origin", origin)
		}
		return h
	}
	conn2, _, err := websocket.DefaultDialer.Dial(wsURL, cookieHeader(session.Value, base))
	if err != nil {
		t.Fatalf("dial /webui/ws with the session cookie: %v", err)
	}
	defer conn2.Close()
	if msg := wsCall(t, conn2, 1, "getdagview", 2); msg.Error != nil {
		t.Errorf("getdagview with the session: %+v", msg.Error)
	}
	// The limited user's session cannot administer.
	if msg := wsCall(t, conn2, 2, "getpeerinfo"); msg.Error == nil {
		t.Errorf("limited session called getpeerinfo")
	}
	expired := ts.webUISession(true, time.Now().Add(-time.Minute))
	forged := strings.Replace(session.Value, ".0.", ".1.", 1)
	refused := []struct {
		name string
		h    http.Header
		want int
	}{
		{"no cookie", nil, http.StatusUnauthorized},
		{"forged admin", cookieHeader(forged, ""), http.StatusUnauthorized},
		{"expired", cookieHeader(expired, ""), http.StatusUnauthorized},
		{"other site", cookieHeader(session.Value, "http://evil.example"), http.StatusForbidden},
	}
	for _, test := range refused {
		_, resp, err := websocket.DefaultDialer.Dial(wsURL, test.h)
		if err == nil || resp == nil || resp.StatusCode != test.want {
			code := 0
			if resp != nil {
				code = resp.StatusCode
			}
			t.Errorf("%s: dial got %v (HTTP %d), want HTTP %d", test.name, err, code, test.want)
		}
	}
	// Without a web view the paths are the RPC server's own: 404.
	plain := newTestServer(t, nil)
	base = "http://" + plain.Addrs()[0].String()
	if code, _, _ := get("/webui/", basicAuth(adminUser, adminPass)); code != http.StatusNotFound {
		t.Errorf("no web view: /webui/ answered %d, want 404", code)
	}
}

// FuzzWebUISession feeds cookie values to the session check: it never
// panics, accepts no value but the ones the server signed, and reads the
// user of a signed one back.
func FuzzWebUISession(f *testing.F) {
	s := &Server{webUIKey: []byte("0123456789abcdef0123456789abcdef")}
	valid := s.webUISession(true, time.Now().Add(time.Hour))
	f.Add(valid)
	f.Add(s.webUISession(false, time.Now().Add(time.Hour)))
	f.Add("")
	f.Add("1.1.")
	f.Add("99999999999999999999.1.x")
	f.Add(strings.Replace(valid, ".1.", ".0.", 1))
	f.Fuzz(func(t *testing.T, value string) {
		r, _ := http.NewRequest(http.MethodGet, "/webui/ws", nil)
		r.Header.Set("Cookie", webUICookie+"="+value)
		ok, admin := s.checkWebUISession(r)
		if !ok {
			return
		}
		// Only a value with the server's own MAC gets here.
		fields := strings.Split(value, ".")
		if len(fields) != 3 || fields[2] != s.webUIMAC(fields[0]+"."+fields[1]) {
			t.Fatalf("accepted %q", value)
		}
		if admin != (fields[1] == "1") {
			t.Fatalf("%q: admin %v", value, admin)
		}
	})
}
