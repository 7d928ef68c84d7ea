// Package web is the ledger's dashboard: a single-page application of
// plain HTML, CSS and JavaScript modules, with Apache ECharts vendored,
// embedded in the binary so that it works with no internet and no build
// step. It talks to the HTTP API of package server (/api/v1/...) with the
// bearer token the user signs in with.
//
// Handler serves the application; Mount puts it beside the API on one
// handler. Pages: turnout (drill-down from province to community or
// village, live check-ins over server-sent events), an election (its
// phase, every round, reconciliation per box, a printable notice that
// follows the state), audit (an aggregate's timeline, the latest signed
// checkpoint, receipts checked in the browser), consultations and
// supervision, and the pages that record election day: a station's
// check-in desk and counting board, with a read-only public view of the
// count. It reads and writes everything through the HTTP API of package
// server. Chinese by default, English on request.
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"sort"
	"strings"
	"sync"
	"time"
)

//go:embed assets
var embedded embed.FS

// assets is the embedded assets directory.
var assets = func() fs.FS {
	sub, err := fs.Sub(embedded, "assets")
	if err != nil {
		panic(err)
	}
	return sub
}()

// file is one asset as served.
type file struct {
	body  []byte
	ctype string
	etag  string
}

// site is every asset in memory, the index page and the build version.
type site struct {
	files   map[string]file // by path under /assets/, e.g. "js/app.js"
	index   file
	version string // prefix of versioned asset URLs: /assets/<version>/...
}

var (
	siteOnce sync.Once
	built    *site
)

// contentTypes maps asset extensions to their Content-Type; an asset with
// any other extension is served as application/octet-stream.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".json": "application/json",
	".svg":  "image/svg+xml",
	".png":  "image/png",
	".ico":  "image/x-icon",
	".txt":  "text/plain; charset=utf-8",
}

func contentType(name string) string {
	if ct, ok := contentTypes[path.Ext(name)]; ok {
		return ct
	}
	return "application/octet-stream"
}

func newFile(name string, body []byte) file {
	sum := sha256.Sum256(body)
	return file{body: body, ctype: contentType(name), etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
}

// load reads the embedded assets once. It panics if they are broken:
// that is a build error, not a runtime condition.
func load() *site {
	siteOnce.Do(func() {
		s := &site{files: map[string]file{}}
		var names []string
		err := fs.WalkDir(assets, ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			names = append(names, p)
			return nil
		})
		if err != nil {
			panic(err)
		}
		sort.Strings(names)
		all := sha256.New()
		for _, n := range names {
			b, err := fs.ReadFile(assets, n)
			if err != nil {
				panic(err)
			}
			s.files[n] = newFile(n, b)
			all.Write([]byte(n))
			all.Write(b)
		}
		s.version = "v" + hex.EncodeToString(all.Sum(nil)[:6])
		idx, ok := s.files["index.html"]
		if !ok {
			panic("web: assets/index.html is missing")
		}
		// Asset URLs in the index carry the version, so that everything
		// under them (modules import each other by relative URL) can be
		// cached for good and an upgrade is never served half old.
		body := bytes.ReplaceAll(idx.body, []byte(`"/assets/`), []byte(`"/assets/`+s.version+`/`))
		s.index = newFile("index.html", body)
		built = s
	})
	return built
}

// Handler returns the dashboard's handler. It serves:
//
//   - /assets/<version>/<file>: an embedded asset, cacheable for a year
//     (the version changes with any asset);
//   - /assets/<file>: the same asset, revalidated on every use (ETag);
//   - /api/...: 404 problem+json (the API is not here: see Mount);
//   - any other GET or HEAD path: index.html (the application's own
//     routes: /turnout/22, /elections/<id>, ...), never cached.
//
// Every response carries X-Content-Type-Options: nosniff and a
// Content-Security-Policy that allows nothing but this origin. The handler
// is safe for concurrent use.
func Handler() http.Handler {
	s := load()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			h.Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		p := r.URL.Path
		switch {
		case p == "/api" || strings.HasPrefix(p, "/api/"):
			h.Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"title":"Not Found","status":404,"code":"not_found","zh":"没有此接口","en":"no such API route"}` + "\n"))
		case strings.HasPrefix(p, "/assets/"):
			s.serveAsset(w, r, strings.TrimPrefix(p, "/assets/"))
		default:
			h.Set("Content-Security-Policy", csp)
			h.Set("X-Frame-Options", "DENY")
			h.Set("Cache-Control", "no-cache")
			serveFile(w, r, s.index)
		}
	})
}

// csp allows scripts, styles, images and connections of this origin only
// (ECharts sets element styles from script, hence 'unsafe-inline' for
// styles; no script is inline).
const csp = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
	"connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

func (s *site) serveAsset(w http.ResponseWriter, r *http.Request, name string) {
	cache := "no-cache"
	if v, rest, ok := strings.Cut(name, "/"); ok && v == s.version {
		name, cache = rest, "public, max-age=31536000, immutable"
	}
	f, ok := s.files[name]
	if !ok || path.Ext(name) == ".html" { // the application's HTML only at its routes, with its headers
		w.Header().Set("Cache-Control", "no-cache")
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Cache-Control", cache)
	serveFile(w, r, f)
}

// serveFile writes f with its type and ETag, answering a matching
// If-None-Match with 304 (http.ServeContent does, with ranges too).
func serveFile(w http.ResponseWriter, r *http.Request, f file) {
	w.Header().Set("Content-Type", f.ctype)
	w.Header().Set("ETag", f.etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.body))
}

// Mount returns one handler for the API and the dashboard: requests for
// the API's own paths (/api/, /openapi*, /docs, /schemas/, /healthz,
// /readyz, /metrics) go to api, every other one to Handler.
func Mount(api http.Handler) http.Handler {
	ui := Handler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isAPIPath(r.URL.Path) {
			api.ServeHTTP(w, r)
			return
		}
		ui.ServeHTTP(w, r)
	})
}

func isAPIPath(p string) bool {
	for _, pre := range []string{"/api/", "/openapi", "/schemas/"} {
		if strings.HasPrefix(p, pre) {
			return true
		}
	}
	switch p {
	case "/api", "/docs", "/healthz", "/readyz", "/metrics":
		return true
	}
	return false
}
