package testutil

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Prometheus is a real Prometheus server on 127.0.0.1 scraping one target.
type Prometheus struct {
	URL string
}

// StartPrometheus starts Prometheus scraping target (host:port) at path
// every second, with a 1s scrape timeout (it may not exceed the interval).
func StartPrometheus(t testing.TB, target, path string) *Prometheus {
	t.Helper()
	bin := RequireTool(t, "prometheus")
	dir := t.TempDir()
	cfg := fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: guocedb-exporter
    metrics_path: %q
    static_configs:
      - targets: [%q]
`, path, target)
	cfgPath := filepath.Join(dir, "prometheus.yml")
	require.NoError(t, os.WriteFile(cfgPath, []byte(cfg), 0o600))
	port := FreePort(t)
	p := &Prometheus{URL: "http://127.0.0.1:" + strconv.Itoa(port)}
	cmd := exec.Command(bin, "--config.file="+cfgPath, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address=127.0.0.1:"+strconv.Itoa(port), "--log.level=warn")
	logf, err := os.Create(filepath.Join(dir, "prometheus.log"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = logf.Close() })
	cmd.Stdout, cmd.Stderr = logf, logf
	t.Cleanup(func() {
		if t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			t.Logf("prometheus log:\n%s", b)
		}
	})
	startProcess(t, cmd, 10*time.Second)
	WaitFor(t, 60*time.Second, 200*time.Millisecond, "prometheus to be ready", func() bool {
		code, _ := get(p.URL + "/-/ready")
		return code == http.StatusOK
	})
	return p
}

// Sample is one series of an instant query result.
type Sample struct {
	Metric map[string]string `json:"metric"`
	Value  []any             `json:"value"`
}

// Query runs an instant query and returns its vector result.
func (p *Prometheus) Query(q string) ([]Sample, error) {
	code, body := get(p.URL + "/api/v1/query?query=" + url.QueryEscape(q))
	if code != http.StatusOK {
		return nil, fmt.Errorf("query %q: status %d: %s", q, code, body)
	}
	var resp struct {
		Status string `json:"status"`
		Data   struct {
			ResultType string   `json:"resultType"`
			Result     []Sample `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		return nil, fmt.Errorf("query %q: decode: %w", q, err)
	}
	return resp.Data.Result, nil
}

func get(u string) (int, []byte) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, nil
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, b
}
