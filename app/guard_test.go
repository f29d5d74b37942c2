//go:build !js

package app

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/oodgpu/oodgpu/graph/cpu"
)

// TestOrigin: a web page of another origin may not make the server score (a multipart POST
// needs no preflight), unless --allow-origin names it; curl (no Origin) and the server's own
// pages may.
func TestOrigin(t *testing.T) {
	in := readFile(t, inImage)
	for _, c := range []struct {
		name       string
		allow      []string
		host       string
		origin     string
		wantStatus int
		wantCORS   string // Access-Control-Allow-Origin of the answer
	}{
		{"no Origin (curl)", nil, "localhost:8080", "", http.StatusOK, ""},
		{"same origin", nil, "127.0.0.1:8080", "http://127.0.0.1:8080", http.StatusOK, ""},
		{"same origin, other case", nil, "localhost:8080", "http://LOCALHOST:8080", http.StatusOK, ""},
		{"other site", nil, "localhost:8080", "https://evil.example", http.StatusForbidden, ""},
		{"other port", nil, "127.0.0.1:8080", "http://127.0.0.1:9999", http.StatusForbidden, ""},
		{"opaque origin", nil, "localhost:8080", "null", http.StatusForbidden, ""},
		{"allowed site", []string{"https://good.example/"}, "localhost:8080", "https://good.example", http.StatusOK, "https://good.example"},
		{"another site than the allowed one", []string{"https://good.example"}, "localhost:8080", "https://evil.example", http.StatusForbidden, ""},
		{"every site allowed", []string{"*"}, "localhost:8080", "https://evil.example", http.StatusOK, "https://evil.example"},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := guardedServer(t, Options{Addr: "127.0.0.1:8080", AllowOrigins: c.allow})
			body, ct := multipartBody(t, [2]string{"in.png", in})
			req := httptest.NewRequest(http.MethodPost, "/api/score", body)
			req.Host = c.host
			req.Header.Set("Content-Type", ct)
			if c.origin != "" {
				req.Header.Set("Origin", c.origin)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != c.wantStatus {
				t.Fatalf("status %d, want %d: %s", rec.Code, c.wantStatus, rec.Body)
			}
			if rec.Code == http.StatusForbidden && !strings.Contains(rec.Body.String(), "--allow-origin") {
				t.Errorf("the refusal does not say how to allow the origin: %s", rec.Body)
			}
			if got := rec.Header().Get("Access-Control-Allow-Origin"); got != c.wantCORS {
				t.Errorf("Access-Control-Allow-Origin %q, want %q", got, c.wantCORS)
			}
		})
	}
	t.Run("pages of other origins", func(t *testing.T) {
		h := guardedServer(t, Options{Addr: "127.0.0.1:8080"})
		req := httptest.NewRequest(http.MethodGet, StylePath, nil)
		req.Host = "localhost:8080"
		req.Header.Set("Origin", "https://evil.example")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Errorf("GET %s with another Origin: status %d, want 200", StylePath, rec.Code)
		}
	})
}

// TestHost: on a loopback address the server answers localhost names and loopback addresses
// only (DNS rebinding), unless --allow-host names the host; elsewhere any Host.
func TestHost(t *testing.T) {
	for _, c := range []struct {
		name  string
		addr  string
		allow []string
		host  string
		want  int
	}{
		{"localhost", "127.0.0.1:8080", nil, "localhost:8080", http.StatusOK},
		{"loopback address", "127.0.0.1:8080", nil, "127.0.0.1:8080", http.StatusOK},
		{"other loopback address", "127.0.0.1:8080", nil, "127.0.0.2", http.StatusOK},
		{"IPv6 loopback", "[::1]:8080", nil, "[::1]:8080", http.StatusOK},
		{"name under localhost", "127.0.0.1:8080", nil, "app.localhost:8080", http.StatusOK},
		{"localhost with a dot", "127.0.0.1:8080", nil, "localhost.:8080", http.StatusOK},
		{"rebound name", "127.0.0.1:8080", nil, "evil.example:8080", http.StatusForbidden},
		{"rebound name, IPv6", "[::1]:8080", nil, "evil.example", http.StatusForbidden},
		{"LAN address", "127.0.0.1:8080", nil, "192.168.1.10:8080", http.StatusForbidden},
		{"allowed name", "127.0.0.1:8080", []string{"Box.Lan"}, "box.lan:8080", http.StatusOK},
		{"any name allowed", "127.0.0.1:8080", []string{"*"}, "evil.example:8080", http.StatusOK},
		{"all interfaces", "0.0.0.0:8080", nil, "evil.example:8080", http.StatusOK},
		{"LAN interface", "192.168.1.10:8080", nil, "box.lan:8080", http.StatusOK},
		{"address unknown", "", nil, "evil.example:8080", http.StatusOK},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := guardedServer(t, Options{Addr: c.addr, AllowHosts: c.allow})
			req := httptest.NewRequest(http.MethodGet, StylePath, nil)
			req.Host = c.host
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != c.want {
				t.Fatalf("Host %s on %s: status %d, want %d: %s", c.host, c.addr, rec.Code, c.want, rec.Body)
			}
			if rec.Code == http.StatusForbidden && !strings.Contains(rec.Body.String(), "--allow-host") {
				t.Errorf("the refusal does not say how to allow the host: %s", rec.Body)
			}
		})
	}
}

// guardedServer is NewServer with o's checks, the default model and the CPU executor.
func guardedServer(t *testing.T, o Options) http.Handler {
	t.Helper()
	routesOnce.Do(Routes)
	o.Model, o.ModelBytes = defaultModelAndBytes(t)
	o.WebDir, o.Exec = t.TempDir(), cpu.New()
	h, err := NewServer(o)
	if err != nil {
		t.Fatal(err)
	}
	return h
}
