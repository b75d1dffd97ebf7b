package kmstest

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
)

// NewRouter serves the KMS requests for several regions on one URL, on
// 127.0.0.1: it sends each request to the server of the region in its
// SigV4 credential scope (Authorization: ... Credential=AKID/DATE/REGION/
// kms/...). Tools configured with a single endpoint, such as
// AWS_ENDPOINT_URL_KMS, can so reach every region. Close it when done.
func NewRouter(servers ...*Server) (*httptest.Server, error) {
	proxies := make(map[string]*httputil.ReverseProxy, len(servers))
	for _, s := range servers {
		u, err := url.Parse(s.URL)
		if err != nil {
			return nil, err
		}
		proxies[s.Region] = httputil.NewSingleHostReverseProxy(u)
	}
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		region := sigV4Region(r.Header.Get("Authorization"))
		p, ok := proxies[region]
		if !ok {
			WriteError(w, http.StatusBadRequest, "UnrecognizedClientException", "no test KMS server for region "+region)
			return
		}
		p.ServeHTTP(w, r)
	})), nil
}

// sigV4Region returns the region of a SigV4 Authorization header, or "".
func sigV4Region(auth string) string {
	_, cred, ok := strings.Cut(auth, "Credential=")
	if !ok {
		return ""
	}
	cred, _, _ = strings.Cut(cred, ",")
	parts := strings.Split(cred, "/")
	if len(parts) != 5 {
		return ""
	}
	return parts[2]
}
