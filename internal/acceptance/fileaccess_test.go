package acceptance

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/config"
	"github.com/guocedb/guocedb/internal/testutil"
)

// MySQL error codes of server-side file access.
const (
	errAccessDenied   = 1045 // no FILE privilege
	errFileExists     = 1086
	errOptionPrevents = 1290 // secure_file_priv
)

// TestFileAccessDisabledByDefault: with secure-file-priv unset the server
// reads and writes no file of its own for anybody, root included, and
// @@secure_file_priv is NULL, as on a standalone MySQL 8.
func TestFileAccessDisabledByDefault(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "secret.txt")
	require.NoError(t, os.WriteFile(secret, []byte("top secret"), 0o600))
	out := filepath.Join(t.TempDir(), "out.txt")

	_, db := testutil.StartServer(t)
	require.Equal(t, null, queryValue(t, db, "SELECT @@secure_file_priv"))
	require.Equal(t, null, queryValue(t, db, "SELECT LOAD_FILE(?)", secret))
	requireErrCode(t, execErr(db, "SELECT 'x' INTO OUTFILE '"+out+"'"), errOptionPrevents)
	requireErrCode(t, execErr(db, "SELECT 'x' INTO DUMPFILE '"+out+"'"), errOptionPrevents)
	mustExec(t, db, "CREATE DATABASE s")
	mustExec(t, db, "CREATE TABLE s.t (a VARCHAR(20))")
	requireErrCode(t, execErr(db, "LOAD DATA INFILE '"+secret+"' INTO TABLE s.t"), errOptionPrevents)
	require.NoFileExists(t, out)
	require.Equal(t, "0", queryValue(t, db, "SELECT COUNT(*) FROM s.t"))
}

// TestFileAccessConfined: with secure-file-priv DIR, FILE is enforced for
// every server-side file statement and paths are confined to DIR after
// cleaning and resolving symlinks.
func TestFileAccessConfined(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "dir")
	evil := filepath.Join(base, "dir-evil")
	outside := t.TempDir()
	for _, d := range []string{dir, evil} {
		require.NoError(t, os.Mkdir(d, 0o700))
	}
	inside := filepath.Join(dir, "in.txt")
	require.NoError(t, os.WriteFile(inside, []byte("inside"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(evil, "e.txt"), []byte("evil"), 0o600))
	secret := filepath.Join(outside, "secret.txt")
	require.NoError(t, os.WriteFile(secret, []byte("secret"), 0o600))
	// A symlink inside DIR that leads out of it, to a file and to a
	// directory; and a dangling one that INTO OUTFILE must not follow.
	require.NoError(t, os.Symlink(secret, filepath.Join(dir, "link.txt")))
	require.NoError(t, os.Symlink(outside, filepath.Join(dir, "linkdir")))
	require.NoError(t, os.Symlink(filepath.Join(outside, "planted.txt"), filepath.Join(dir, "dangling.txt")))

	addr, root := testutil.StartServer(t, testutil.WithConfig(func(c *config.Config) {
		c.SecureFilePriv = dir
		c.LocalInfile = true
	}))
	resolved, err := filepath.EvalSymlinks(dir)
	require.NoError(t, err)
	require.Equal(t, resolved, queryValue(t, root, "SELECT @@secure_file_priv"))

	mustExec(t, root, "CREATE DATABASE s")
	mustExec(t, root, "CREATE TABLE s.t (a VARCHAR(20))")
	mustExec(t, root, "CREATE USER app@'%' IDENTIFIED BY 'pw'")
	mustExec(t, root, "GRANT ALL ON s.* TO app@'%'")
	mustExec(t, root, "CREATE USER filer@'%' IDENTIFIED BY 'pw'")
	mustExec(t, root, "GRANT ALL ON s.* TO filer@'%'")
	mustExec(t, root, "GRANT FILE ON *.* TO filer@'%'")
	app := openAs(t, "app", "pw", addr, "s")
	filer := openAs(t, "filer", "pw", addr, "s")

	t.Run("without FILE", func(t *testing.T) {
		require.Equal(t, null, queryValue(t, app, "SELECT LOAD_FILE(?)", inside))
		out := filepath.Join(dir, "app-out.txt")
		requireErrCode(t, execErr(app, "SELECT 'x' INTO OUTFILE '"+out+"'"), errAccessDenied)
		requireErrCode(t, execErr(app, "SELECT 'x' INTO DUMPFILE '"+out+"'"), errAccessDenied)
		requireErrCode(t, execErr(app, "LOAD DATA INFILE '"+inside+"' INTO TABLE t"), errAccessDenied)
		require.NoFileExists(t, out)
		requireAlive(t, app)
	})

	t.Run("LOAD DATA LOCAL needs INSERT, not FILE", func(t *testing.T) {
		local := filepath.Join(outside, "local.txt")
		require.NoError(t, os.WriteFile(local, []byte("local\n"), 0o600))
		mysql.RegisterLocalFile(local)
		defer mysql.DeregisterLocalFile(local)
		mustExec(t, app, "LOAD DATA LOCAL INFILE '"+local+"' INTO TABLE t")
		require.Equal(t, "local", queryValue(t, app, "SELECT a FROM t"))
		mustExec(t, app, "DELETE FROM t")
	})

	t.Run("LOAD DATA needs INSERT on the table", func(t *testing.T) {
		mustExec(t, root, "CREATE DATABASE other")
		mustExec(t, root, "CREATE TABLE other.t (a VARCHAR(20))")
		requireErrCode(t, execErr(filer, "LOAD DATA INFILE '"+inside+"' INTO TABLE other.t"), 1142)
		require.Equal(t, "0", queryValue(t, root, "SELECT COUNT(*) FROM other.t"))
	})

	t.Run("with FILE inside DIR", func(t *testing.T) {
		require.Equal(t, "inside", queryValue(t, filer, "SELECT LOAD_FILE(?)", inside))
		// Cleaned before the check: .. that stays inside is fine.
		require.Equal(t, "inside", queryValue(t, filer, "SELECT LOAD_FILE(?)", filepath.Join(dir, "sub", "..", "in.txt")))
		out := filepath.Join(dir, "out.txt")
		mustExec(t, filer, "SELECT 'hello' INTO OUTFILE '"+out+"'")
		got, err := os.ReadFile(out)
		require.NoError(t, err)
		require.Equal(t, "hello\n", string(got))
		mustExec(t, filer, "LOAD DATA INFILE '"+out+"' INTO TABLE t")
		require.Equal(t, "hello", queryValue(t, filer, "SELECT a FROM t"))
		// MySQL never overwrites.
		requireErrCode(t, execErr(filer, "SELECT 'again' INTO OUTFILE '"+out+"'"), errFileExists)
		// A missing file is NULL for LOAD_FILE, an error for LOAD DATA.
		require.Equal(t, null, queryValue(t, filer, "SELECT LOAD_FILE(?)", filepath.Join(dir, "missing.txt")))
		require.Error(t, execErr(filer, "LOAD DATA INFILE '"+filepath.Join(dir, "missing.txt")+"' INTO TABLE t"))
	})

	t.Run("with FILE outside DIR", func(t *testing.T) {
		for name, path := range map[string]string{
			"absolute":          secret,
			"dotdot":            filepath.Join(dir, "..", "dir-evil", "e.txt"),
			"prefix sibling":    filepath.Join(evil, "e.txt"),
			"symlink to a file": filepath.Join(dir, "link.txt"),
			"symlink to a dir":  filepath.Join(dir, "linkdir", "secret.txt"),
			"system file":       "/etc/passwd",
		} {
			t.Run(name, func(t *testing.T) {
				require.Equal(t, null, queryValue(t, filer, "SELECT LOAD_FILE(?)", path))
				requireErrCode(t, execErr(filer, "LOAD DATA INFILE '"+path+"' INTO TABLE t"), errOptionPrevents)
			})
		}
		for name, path := range map[string]string{
			"absolute":         filepath.Join(outside, "w.txt"),
			"dotdot":           filepath.Join(dir, "..", "w.txt"),
			"prefix sibling":   filepath.Join(evil, "w.txt"),
			"symlink to a dir": filepath.Join(dir, "linkdir", "w.txt"),
		} {
			t.Run("write "+name, func(t *testing.T) {
				requireErrCode(t, execErr(filer, "SELECT 'x' INTO OUTFILE '"+path+"'"), errOptionPrevents)
				requireErrCode(t, execErr(filer, "SELECT 'x' INTO DUMPFILE '"+path+"'"), errOptionPrevents)
				require.NoFileExists(t, path)
			})
		}
		requireErrCode(t, execErr(filer, "SELECT 'x' INTO OUTFILE '"+filepath.Join(dir, "dangling.txt")+"'"), errFileExists)
		require.NoFileExists(t, filepath.Join(outside, "planted.txt"))
	})
	require.Equal(t, "1", queryValue(t, root, "SELECT COUNT(*) FROM s.t"))
}
