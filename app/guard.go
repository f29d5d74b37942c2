//go:build !js

package app

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// guard refuses requests that a web page the user visits may have sent without their intent:
// a POST from a page of another origin (a multipart POST needs no CORS preflight, so the
// browser sends it), and, when the server listens on a loopback address, a request whose Host
// header is not a loopback name (a DNS name rebound to 127.0.0.1).
type guard struct {
	next http.Handler
	// origins and hosts are Options.AllowOrigins and Options.AllowHosts.
	origins, hosts []string
	// loopback says whether the server listens on a loopback address (Host checks apply).
	loopback bool
}

func (g *guard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := g.checkHost(r.Host); err != nil {
		apiError(w, http.StatusForbidden, err.Error())
		return
	}
	origin := r.Header.Get("Origin")
	if origin != "" && !safeMethod(r.Method) && !sameOrigin(origin, r.Host) {
		if !listed(g.origins, origin) {
			apiError(w, http.StatusForbidden, fmt.Sprintf("a page of origin %q may not send %s requests here; "+
				"start oodgpu serve with --allow-origin %s to allow it", origin, r.Method, origin))
			return
		}
		w.Header().Set("Access-Control-Allow-Origin", origin)
		w.Header().Add("Vary", "Origin")
	}
	g.next.ServeHTTP(w, r)
}

// checkHost returns an error when the server listens on a loopback address and host (a Host
// header) names neither a loopback host nor one of the allowed hosts.
func (g *guard) checkHost(host string) error {
	name := hostOnly(host)
	if !g.loopback || name == "" || isLoopback(name) || listed(g.hosts, name) {
		return nil
	}
	return fmt.Errorf("host %q is not a name of this server, which listens on a loopback address and answers "+
		"localhost and loopback addresses only; start oodgpu serve with --allow-host %s to allow it", name, name)
}

// safeMethod reports whether a request of this method does no work a page should not ask for.
func safeMethod(method string) bool {
	return method == http.MethodGet || method == http.MethodHead || method == http.MethodOptions
}

// sameOrigin reports whether origin (an Origin header) names host (the request's Host header).
func sameOrigin(origin, host string) bool {
	u, err := url.Parse(origin)
	return err == nil && u.Host != "" && strings.EqualFold(u.Host, host)
}

// listed reports whether v is in list (case-insensitively, ignoring a trailing slash), or
// list holds "*".
func listed(list []string, v string) bool {
	for _, a := range list {
		if a == "*" || strings.EqualFold(strings.TrimSuffix(a, "/"), v) {
			return true
		}
	}
	return false
}

// hostOnly returns the lower-case host name of a host or host:port, without brackets or a
// trailing dot.
func hostOnly(hostport string) string {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = strings.Trim(hostport, "[]")
	}
	return strings.TrimSuffix(strings.ToLower(host), ".")
}

// isLoopback reports whether name is localhost (or a name under it) or a loopback address.
func isLoopback(name string) bool {
	if name == "localhost" || strings.HasSuffix(name, ".localhost") {
		return true
	}
	ip := net.ParseIP(name)
	return ip != nil && ip.IsLoopback()
}
