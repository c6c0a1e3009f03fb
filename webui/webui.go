package webui

import (
	"embed"
	"io/fs"
	"net/http"
)

// Prefix is the URL path the web view is served under.
const Prefix = "/webui/"

// static holds the page and its assets.
//
//go:embed static
var static embed.FS

// contentSecurityPolicy lets the page load and connect only to the node
// that served it: no CDN, no inline script, no frames.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; " +
	"frame-ancestors 'none'"

// Handler serves the embedded files for paths under Prefix. The caller
// authenticates.
func Handler() http.Handler {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		// The embed directive above guarantees the directory.
		panic("webui: embedded files missing: " + err.Error())
	}
	files := http.StripPrefix(Prefix, http.FileServer(http.FS(sub)))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "405 The web view is read with GET.", http.StatusMethodNotAllowed)
			return
		}
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		// A new soterd may bring a new page: always revalidate.
		h.Set("Cache-Control", "no-cache")
		files.ServeHTTP(w, r)
	})
}
