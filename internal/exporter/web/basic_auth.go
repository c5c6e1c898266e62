package web

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
)

// BasicAuth guards h with one user and password: the Dameng exporter's
// enableBasicAuth, basicAuthUsername and basicAuthPassword keys, which its
// users keep (config/legacy.go). The exporter's own way is webConfigFile
// (exporter-toolkit, bcrypt-hashed passwords). Both are compared in
// constant time, as hashes, so their lengths do not leak either.
func BasicAuth(h http.Handler, user, password string) http.Handler {
	wantUser, wantPw := sha256.Sum256([]byte(user)), sha256.Sum256([]byte(password))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		gotUser, gotPw := sha256.Sum256([]byte(u)), sha256.Sum256([]byte(p))
		userOK := subtle.ConstantTimeCompare(gotUser[:], wantUser[:])
		pwOK := subtle.ConstantTimeCompare(gotPw[:], wantPw[:])
		if !ok || userOK&pwOK != 1 {
			w.Header().Set("WWW-Authenticate", `Basic realm="guocedb-exporter"`)
			http.Error(w, "Unauthorized", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}
