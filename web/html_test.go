package web

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestHTMLOnlyAtRoutes: the application's HTML is not served as an asset
// (where it would lack the page's CSP and frame headers).
func TestHTMLOnlyAtRoutes(t *testing.T) {
	h := Handler()
	for path, want := range map[string]int{
		"/assets/index.html":                        http.StatusNotFound,
		"/assets/" + load().version + "/index.html": http.StatusNotFound,
		"/":               http.StatusOK,
		"/turnout/22":     http.StatusOK,
		"/assets/app.css": http.StatusOK,
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != want {
			t.Errorf("GET %s: %d, want %d", path, rec.Code, want)
		}
		if rec.Code == http.StatusOK && rec.Header().Get("Content-Type") == "text/html; charset=utf-8" &&
			(rec.Header().Get("Content-Security-Policy") == "" || rec.Header().Get("X-Frame-Options") != "DENY") {
			t.Errorf("GET %s: HTML without CSP or frame headers", path)
		}
	}
}
