package console_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/config"
	"github.com/guocedb/guocedb/internal/testutil"
)

// screenshotDir is where the browser test writes its screenshots: the
// directory in GUOCEDB_SCREENSHOT_DIR (to look at them afterwards), else a
// temporary one.
func screenshotDir(t *testing.T) string {
	if d := os.Getenv("GUOCEDB_SCREENSHOT_DIR"); d != "" {
		require.NoError(t, os.MkdirAll(d, 0o755))
		return d
	}
	return t.TempDir()
}

// newBrowser starts headless Chromium (Debian's chromium) with a fresh
// profile and no background networking (this machine has no outside
// network), at width x height.
func newBrowser(t *testing.T, width, height int) context.Context {
	bin := testutil.RequireTool(t, "chromium")
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(width, height),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx, chromedp.WithLogf(t.Logf))
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() {
		cancelTimeout()
		cancelCtx()
		cancelAlloc()
	})
	require.NoError(t, chromedp.Do(ctx), "start chromium")
	return ctx
}

// shot writes a full-page screenshot of the current page.
func shot(t *testing.T, ctx context.Context, dir, name string) {
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	require.NoError(t, err)
	p := filepath.Join(dir, name+".png")
	require.NoError(t, os.WriteFile(p, png, 0o644))
	t.Logf("screenshot %s", p)
}

// run runs one action and returns its value.
func run[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	require.NoError(t, err)
	return v
}

// TestConsoleInBrowser drives the console in headless Chromium as an
// operator would: log in, read the overview, find a running SELECT
// SLEEP(...) on the sessions page and kill it, find the slow statement
// in the slow query log and the statements page, and visit every page,
// at 1280x800 and at a phone's 390x844. Screenshots of each page go to
// screenshotDir.
func TestConsoleInBrowser(t *testing.T) {
	dir := screenshotDir(t)
	var httpAddr string
	mysqlAddr, db := testutil.StartServer(t, testutil.WithHTTPAddr(&httpAddr), testutil.WithConfig(func(c *config.Config) {
		c.SlowQueryTime = 300 * time.Millisecond
	}))
	for _, q := range []string{
		"CREATE USER 'ops'@'localhost' IDENTIFIED WITH mysql_native_password BY 'ops-secret'",
		"GRANT SUPER, PROCESS ON *.* TO 'ops'@'localhost'",
		"CREATE DATABASE shop",
		"CREATE TABLE shop.items (id INT PRIMARY KEY, title VARCHAR(40))",
		"INSERT INTO shop.items VALUES (1, 'apple'), (2, 'pear'), (3, 'plum')",
		"SELECT SLEEP(0.5)", // a slow statement for the slow log
	} {
		_, err := db.Exec(q)
		require.NoError(t, err, q)
	}
	for i := range 20 {
		_, err := db.Exec("SELECT title FROM shop.items WHERE id = ?", i%3+1)
		require.NoError(t, err)
	}
	base := "http://" + httpAddr + "/ui/"

	ctx := newBrowser(t, 1280, 800)
	do := func(actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		require.NoError(t, chromedp.Do(ctx, actions...))
	}
	text := func(css string) string {
		t.Helper()
		return run(t, ctx, chromedp.Text(chromedp.CSS(css)))
	}
	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }

	// Logged out by default: the login form.
	do(chromedp.Navigate(base), chromedp.WaitVisible(css("#login-form")))
	shot(t, ctx, dir, "desktop-login")
	require.True(t, run(t, ctx, chromedp.Evaluate[bool](`document.getElementById("nav").hidden`)))

	// A wrong password is refused on the page.
	do(chromedp.SendKeys(css("#login-user"), "ops"),
		chromedp.SendKeys(css("#login-password"), "wrong"),
		chromedp.Click(css("#login-submit")),
		chromedp.WaitVisible(`//p[@id="login-error"][contains(., "access denied")]`))
	require.Contains(t, text("#login-error"), "wrong user name or password")

	// Log in and read the overview.
	do(chromedp.Evaluate[chromedp.Void](`document.getElementById("login-password").value = ""`),
		chromedp.SendKeys(css("#login-password"), "ops-secret"),
		chromedp.Click(css("#login-submit")),
		chromedp.WaitVisible(css("#ov-version")),
		chromedp.WaitVisible(css("#charts svg")))
	version, uptime, qps, p99, conns := text("#ov-version"), text("#ov-uptime"), text("#ov-qps"), text("#ov-p99"), text("#ov-conns")
	t.Logf("overview: version %q uptime %q qps %q p99 %q connections %q", version, uptime, qps, p99, conns)
	require.Equal(t, "test", version)
	require.Regexp(t, `^\d+(s|m \d+s)$`, uptime)
	require.NotEqual(t, "–", qps)
	require.Contains(t, p99, "ms")
	require.Regexp(t, `^\d+ \(max \d+\)$`, conns)
	shot(t, ctx, dir, "desktop-overview")

	// A long statement on a connection of its own, found on the sessions
	// page and killed from there.
	sleeper, err := sql.Open("mysql", testutil.DSN("root", "", mysqlAddr, ""))
	require.NoError(t, err)
	defer sleeper.Close()
	conn, err := sleeper.Conn(context.Background())
	require.NoError(t, err)
	defer conn.Close()
	var connID int64
	require.NoError(t, conn.QueryRowContext(context.Background(), "SELECT CONNECTION_ID()").Scan(&connID))
	sleepDone := make(chan error, 1)
	go func() {
		_, err := conn.ExecContext(context.Background(), "SELECT SLEEP(60)")
		sleepDone <- err
	}()
	row := fmt.Sprintf(`tr[data-id="%d"]`, connID)
	killBtn := fmt.Sprintf(`button[data-kill="%d"][data-query-only="false"]`, connID)
	do(chromedp.Navigate(base+"#/sessions"),
		chromedp.WaitVisible(`//tr[td[contains(., "SELECT SLEEP(60)")]]`))
	require.Equal(t, "SELECT SLEEP(60)", text(row+" td.sql"))
	shot(t, ctx, dir, "desktop-sessions")
	do(chromedp.Click(css(killBtn)),
		chromedp.WaitVisible(css(killBtn+".armed")),
		chromedp.Click(css(killBtn)))
	select {
	case err := <-sleepDone:
		require.Error(t, err, "the killed statement fails")
	case <-time.After(20 * time.Second):
		t.Fatal("SELECT SLEEP(60) still running 20s after the kill")
	}
	do(chromedp.WaitNotPresent(css(row)))

	// The slow statement, by search in the slow query log.
	do(chromedp.Navigate(base+"#/slow"),
		chromedp.WaitVisible(css("#slow-search")),
		chromedp.SendKeys(css("#slow-search"), "sleep(0.5"),
		chromedp.Click(css("#slow-submit")),
		// The killed SELECT SLEEP(60) is in the log too, until the
		// search leaves the matching entry only.
		// One condition, read in the page at once: the page re-renders
		// as results arrive, so a separate read of the row may find its
		// node gone ("No node with given id found").
		chromedp.Poll[chromedp.Void](`document.querySelectorAll("tr.slow-entry").length === 1 &&
			!document.body.textContent.includes("SLEEP(60)") &&
			document.querySelector("tr.slow-entry td.sql").textContent === "SELECT SLEEP(0.5)"`))
	shot(t, ctx, dir, "desktop-slow")

	// The statements page: normalized digests.
	do(chromedp.Navigate(base+"#/statements"),
		chromedp.WaitVisible(`//td[contains(., "SELECT SLEEP(?)")]`),
		chromedp.WaitVisible("//td[contains(., 'SELECT `title` FROM `shop`.`items` WHERE `id` = ?')]"))
	shot(t, ctx, dir, "desktop-statements")

	// The locks page: a blocked UPDATE, with both sessions and the key.
	holder, err := db.Conn(context.Background())
	require.NoError(t, err)
	defer holder.Close()
	waiter, err := db.Conn(context.Background())
	require.NoError(t, err)
	defer waiter.Close()
	_, err = holder.ExecContext(context.Background(), "BEGIN")
	require.NoError(t, err)
	_, err = holder.ExecContext(context.Background(), "UPDATE shop.items SET title = 'green apple' WHERE id = 1")
	require.NoError(t, err)
	blocked := make(chan error, 1)
	go func() {
		_, err := waiter.ExecContext(context.Background(), "UPDATE shop.items SET title = 'red apple' WHERE id = 1")
		blocked <- err
	}()
	do(chromedp.Navigate(base+"#/locks"),
		chromedp.WaitVisible(`//tr[@class="lock-wait"][contains(., "shop.items")][contains(., "PRIMARY")]`))
	shot(t, ctx, dir, "desktop-locks")
	_, err = holder.ExecContext(context.Background(), "COMMIT")
	require.NoError(t, err)
	require.NoError(t, <-blocked)

	for _, p := range []struct{ page, want string }{
		{"tables", "items"},
		{"cluster", "runs as a single node"},
		{"backups", "Online backups"},
	} {
		do(chromedp.Navigate(base+"#/"+p.page),
			chromedp.WaitVisible(fmt.Sprintf(`//section[@id="page"][@data-page=%q][contains(., %q)]`, p.page, p.want)))
		shot(t, ctx, dir, "desktop-"+p.page)
	}

	// A phone: every page fits the width (tables scroll inside their box).
	do(chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile))
	for _, page := range []string{"overview", "sessions", "statements", "slow", "tables", "locks", "cluster", "backups"} {
		do(chromedp.Navigate(base+"#/"+page),
			chromedp.WaitVisible(css(fmt.Sprintf(`section#page[data-page=%q] h1`, page))),
			chromedp.Sleep(300*time.Millisecond))
		// A mobile layout viewport grows with its content: compare with
		// the device width.
		width := run(t, ctx, chromedp.Evaluate[int](`Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)`))
		overflow := width > 390
		require.False(t, overflow, "%s is %d px wide, wider than the phone's 390", page, width)
		shot(t, ctx, dir, "phone-"+page)
	}

	// Log out: back to the login form, and the session is gone.
	do(chromedp.EmulateViewport(1280, 800),
		chromedp.Click(css("#logout")),
		chromedp.WaitVisible(css("#login-form")),
		chromedp.Reload(),
		chromedp.WaitVisible(css("#login-form")))
}
