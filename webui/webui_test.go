package webui

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

// TestHandler checks that the page and its assets are served with the
// security headers, that only GET and HEAD are answered and that a
// missing file is a 404.
func TestHandler(t *testing.T) {
	h := Handler()
	tests := []struct {
		method, path string
		wantCode     int
		wantType     string
		wantBody     string
	}{
		{http.MethodGet, "/webui/", http.StatusOK, "text/html", `<svg id="dag"`},
		{http.MethodGet, "/webui/app.js", http.StatusOK, "javascript", "getdagview"},
		{http.MethodGet, "/webui/style.css", http.StatusOK, "text/css", "#dag"},
		{http.MethodHead, "/webui/", http.StatusOK, "text/html", ""},
		{http.MethodGet, "/webui/nothing.js", http.StatusNotFound, "", ""},
		{http.MethodPost, "/webui/", http.StatusMethodNotAllowed, "", ""},
	}
	for _, test := range tests {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(test.method, test.path, nil))
		body := rec.Body.String()
		if rec.Code != test.wantCode || !strings.Contains(rec.Header().Get("Content-Type"), test.wantType) ||
			!strings.Contains(body, test.wantBody) {
			t.Errorf("%s %s: got %d %q, want %d %q containing %q", test.method, test.path, rec.Code,
				rec.Header().Get("Content-Type"), test.wantCode, test.wantType, test.wantBody)
		}
		if rec.Code == http.StatusOK && !strings.Contains(rec.Header().Get("Content-Security-Policy"), "default-src 'none'") {
			t.Errorf("%s: no content security policy", test.path)
		}
	}
}

// externalRef matches a URL a browser would fetch from another host.
var externalRef = regexp.MustCompile(`(?i)(src|href)\s*=\s*["']?(https?:)?//|url\(\s*["']?(https?:)?//|@import|https?://[a-z0-9.-]+/`)

// TestNoExternalAssets checks that no embedded file loads anything from
// another host: the page must work on a machine without internet and leak
// nothing to a CDN.
func TestNoExternalAssets(t *testing.T) {
	err := fs.WalkDir(static, "static", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		f, err := static.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		data, err := io.ReadAll(f)
		if err != nil {
			return err
		}
		// The SVG namespace is a name, not a fetch.
		text := strings.ReplaceAll(string(data), "http://www.w3.org/2000/svg", "")
		if m := externalRef.FindString(text); m != "" {
			t.Errorf("%s refers to another host: %q", path, m)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
