package web

import (
	"go/parser"
	"go/token"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func do(t *testing.T, h http.Handler, method, target string, hdr map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, target, nil)
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestHandlerRoutes(t *testing.T) {
	h := Handler()
	v := load().version
	tests := []struct {
		name, method, path string
		status             int
		ctype, cache       string
		body               string // a substring of the body
	}{
		{"root is the index", "GET", "/", 200, "text/html; charset=utf-8", "no-cache", `"/assets/` + v + `/js/app.js"`},
		{"client route falls back", "GET", "/turnout/2201", 200, "text/html; charset=utf-8", "no-cache", `<main id="main"`},
		{"deep client route", "GET", "/elections/01J0000000000000000000000", 200, "text/html; charset=utf-8", "no-cache", "<html"},
		{"versioned module", "GET", "/assets/" + v + "/js/app.js", 200, "text/javascript; charset=utf-8", "public, max-age=31536000, immutable", "import"},
		{"unversioned css", "GET", "/assets/app.css", 200, "text/css; charset=utf-8", "no-cache", "@media print"},
		{"vendored echarts", "GET", "/assets/" + v + "/vendor/echarts.min.js", 200, "text/javascript; charset=utf-8", "public, max-age=31536000, immutable", "Apache"},
		{"its license", "GET", "/assets/vendor/echarts.LICENSE.txt", 200, "text/plain; charset=utf-8", "no-cache", "Apache License"},
		{"region names come from the API, not the binary", "GET", "/assets/" + v + "/regions.json", 404, "", "no-cache", ""},
		{"missing asset is 404", "GET", "/assets/nope.js", 404, "", "no-cache", ""},
		{"old version is 404", "GET", "/assets/v000000000000/nope.js", 404, "", "no-cache", ""},
		{"api is not here", "GET", "/api/v1/nothing", 404, "application/problem+json", "", "not_found"},
		{"head works", "HEAD", "/turnout", 200, "text/html; charset=utf-8", "no-cache", ""},
		{"post refused", "POST", "/", 405, "", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := do(t, h, tc.method, tc.path, nil)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d", w.Code, tc.status)
			}
			if tc.ctype != "" && w.Header().Get("Content-Type") != tc.ctype {
				t.Errorf("Content-Type %q, want %q", w.Header().Get("Content-Type"), tc.ctype)
			}
			if got := w.Header().Get("Cache-Control"); tc.cache != "" && got != tc.cache {
				t.Errorf("Cache-Control %q, want %q", got, tc.cache)
			}
			if w.Header().Get("X-Content-Type-Options") != "nosniff" {
				t.Error("no nosniff")
			}
			if !strings.Contains(w.Body.String(), tc.body) {
				t.Errorf("body lacks %q", tc.body)
			}
		})
	}
}

func TestIndexHeaders(t *testing.T) {
	w := do(t, Handler(), "GET", "/audit", nil)
	csp := w.Header().Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'self'") || strings.Contains(csp, "http") {
		t.Errorf("CSP %q", csp)
	}
	etag := w.Header().Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	if w := do(t, Handler(), "GET", "/audit", map[string]string{"If-None-Match": etag}); w.Code != http.StatusNotModified {
		t.Errorf("revalidation: status %d, want 304", w.Code)
	}
}

// TestNoCDN checks that nothing the dashboard loads comes from elsewhere:
// no absolute URL in the HTML, CSS or the application's modules.
func TestNoCDN(t *testing.T) {
	abs := regexp.MustCompile(`(?i)(src|href)\s*=\s*["']?(https?:)?//|@import|url\(\s*["']?(https?:)?//|from\s+["'](https?:)?//|import\(\s*["'](https?:)?//`)
	err := fs.WalkDir(assets, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(p, "vendor/") {
			return err
		}
		b, err := fs.ReadFile(assets, p)
		if err != nil {
			return err
		}
		if m := abs.Find(b); m != nil {
			t.Errorf("%s loads from another origin: %q", p, m)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestMount(t *testing.T) {
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Header().Set("X-From", "api") })
	h := Mount(api)
	for path, want := range map[string]string{
		"/api/v1/turnout/regions/22": "api", "/openapi.json": "api", "/healthz": "api", "/readyz": "api",
		"/metrics": "api", "/docs": "api", "/schemas/Problem.json": "api",
		"/": "", "/turnout/22": "", "/assets/app.css": "", "/apix": "",
	} {
		if got := do(t, h, "GET", path, nil).Header().Get("X-From"); got != want {
			t.Errorf("%s went to %q, want %q", path, got, want)
		}
	}
}

// TestNoScenarioImport: the dashboard knows regions from the ledger's
// region register, never from the generated test data.
func TestNoScenarioImport(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, im := range af.Imports {
			if strings.Trim(im.Path.Value, `"`) == "ledger/scenario" {
				t.Errorf("%s imports ledger/scenario", f)
			}
		}
	}
}
