package mysqlserver

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/mysql_db"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/mysql"
	ast "github.com/dolthub/vitess/go/vt/sqlparser"

	"github.com/guocedb/guocedb/internal/backend"
)

// MySQL's rules for the server's own files, which go-mysql-server v0.20.0
// does not keep: it never checks the FILE privilege (any account could
// LOAD_FILE('/etc/passwd') or write files with INTO OUTFILE), treats an
// empty secure_file_priv as "anywhere", compares paths by string prefix
// (/dir-evil passed for /dir) without resolving symlinks, and panics in
// LOAD_FILE when the variable is NULL.
//
// Here, as in MySQL 8:
//   - LOAD DATA INFILE (not LOCAL), SELECT ... INTO OUTFILE and INTO
//     DUMPFILE need FILE (else 1045), and LOAD_FILE() without FILE is NULL;
//   - secure_file_priv NULL (guocedb's default) disables them all (1290,
//     LOAD_FILE NULL); a directory confines them to it: the path is made
//     absolute, cleaned and its symlinks resolved (those of its directory
//     for a file INTO OUTFILE is about to create) before the check.
//
// LOAD DATA LOCAL reads the client's file and stays governed by
// local-infile alone.

// withLoadDataGrants makes LOAD DATA need what MySQL's needs: INSERT on
// the table (and DELETE with REPLACE), plus FILE for the server's file
// (checked when it is opened, filePolicy). go-mysql-server's grammar asks
// for FILE alone: an account with FILE could load rows into any table,
// and LOAD DATA LOCAL, which MySQL allows with INSERT, was refused
// without FILE.
func withLoadDataGrants(stmt ast.Statement) ast.Statement {
	ld, ok := stmt.(*ast.Load)
	if !ok {
		return stmt
	}
	kind := ast.AuthType_INSERT
	if strings.EqualFold(ld.IgnoreOrReplace, ast.ReplaceStr) {
		kind = ast.AuthType_REPLACE
	}
	ld.Auth = ast.AuthInformation{
		AuthType:    kind,
		TargetType:  ast.AuthTargetType_SingleTableIdentifier,
		TargetNames: []string{ld.Table.DbQualifier.String(), ld.Table.Name.String()},
	}
	return stmt
}

// filePolicy is where server-side file import and export may happen.
type filePolicy struct {
	// dir is the resolved secure_file_priv directory; "" disables
	// server-side files entirely (the variable is NULL).
	dir string
	// db holds the accounts whose FILE privilege is checked; a disabled
	// MySQLDb (no accounts, as in go-mysql-server's own test harness)
	// allows every session.
	db *mysql_db.MySQLDb
	// fromGlobal takes the directory from @@secure_file_priv on every
	// check instead of dir, with MySQL's meaning of "" (anywhere): what
	// go-mysql-server's enginetest harness sets. The server never does.
	fromGlobal bool
}

// errSecureFilePriv is MySQL's ER_OPTION_PREVENTS_STATEMENT for files.
func errSecureFilePriv() error {
	return mysql.NewSQLError(mysql.EROptionPreventsStatement, mysql.SSUnknownSQLState,
		"The MySQL server is running with the --secure-file-priv option so it cannot execute this statement")
}

// errNoFilePrivilege is MySQL's answer to a file statement from an account
// without FILE: ER_ACCESS_DENIED_ERROR, as at login.
func errNoFilePrivilege(ctx *sql.Context) error {
	c := ctx.Session.Client()
	return mysql.NewSQLError(mysql.ERAccessDeniedError, mysql.SSAccessDeniedError,
		"Access denied for user '%s'@'%s' (using password: YES)", c.User, c.Address)
}

// hasFile reports whether the session's account holds FILE (ON *.*).
func (p filePolicy) hasFile(ctx *sql.Context) bool {
	if p.db == nil || !p.db.Enabled() {
		return true
	}
	return p.db.UserActivePrivilegeSet(ctx).Has(sql.PrivilegeType_File)
}

// directory returns the confining directory and whether server-side
// files are allowed at all; "" with true means anywhere (harness only).
func (p filePolicy) directory() (string, bool) {
	if !p.fromGlobal {
		return p.dir, p.dir != ""
	}
	_, v, ok := sql.SystemVariables.GetGlobal("secure_file_priv")
	if !ok || v == nil {
		return "", false
	}
	d, _ := v.(string)
	if d == "" {
		return "", true
	}
	r, err := filepath.EvalSymlinks(d)
	if err != nil {
		return "", false
	}
	return r, true
}

// check returns the path to open for file, or the error MySQL gives: 1045
// without FILE, 1290 when files are disabled or file lies outside the
// directory. With create, file need not exist yet (its directory must).
func (p filePolicy) check(ctx *sql.Context, file string, create bool) (string, error) {
	if !p.hasFile(ctx) {
		return "", errNoFilePrivilege(ctx)
	}
	dir, ok := p.directory()
	if !ok {
		return "", errSecureFilePriv()
	}
	resolved, err := resolvePath(file, create)
	if err != nil {
		// Nothing to follow: a missing file (or directory) inside the
		// directory is the open's error to report, as in MySQL.
		abs, absErr := filepath.Abs(file)
		if absErr != nil || (dir != "" && !pathWithin(abs, dir)) {
			return "", errSecureFilePriv()
		}
		return abs, nil
	}
	if dir != "" && !pathWithin(resolved, dir) {
		return "", errSecureFilePriv()
	}
	if create {
		// MySQL never overwrites a file, and a symlink planted in the
		// directory (dangling, so the executor's exists check misses it)
		// must not lead the new file elsewhere.
		if _, err := os.Lstat(resolved); err == nil {
			return "", mysql.NewSQLError(mysql.ERFileExists, mysql.SSUnknownSQLState, "File '%s' already exists", file)
		}
	}
	return resolved, nil
}

// resolvePath makes file absolute and clean with every symlink resolved;
// for a file to be created, those of its directory (the file itself must
// not exist, so it cannot be a symlink that points elsewhere).
func resolvePath(file string, create bool) (string, error) {
	abs, err := filepath.Abs(file)
	if err != nil {
		return "", err
	}
	if !create {
		return filepath.EvalSymlinks(abs)
	}
	dir, err := filepath.EvalSymlinks(filepath.Dir(abs))
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, filepath.Base(abs)), nil
}

// pathWithin reports whether path lies below dir (both clean and
// absolute); /dir-evil is not within /dir.
func pathWithin(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != "." && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// fileExportBuilder checks SELECT ... INTO OUTFILE and INTO DUMPFILE
// before go-mysql-server's executor writes the file; it builds nothing
// itself (nil iterator: the stock builder carries on with the checked,
// resolved path).
type fileExportBuilder struct{ policy *filePolicy }

var _ sql.NodeExecBuilder = fileExportBuilder{}

// Build implements sql.NodeExecBuilder.
func (b fileExportBuilder) Build(ctx *sql.Context, n sql.Node, _ sql.Row) (sql.RowIter, error) {
	into, ok := n.(*plan.Into)
	if !ok || (into.Outfile == "" && into.Dumpfile == "") {
		return nil, nil
	}
	for _, name := range []string{into.Outfile, into.Dumpfile} {
		if name == "" {
			continue
		}
		// The stock executor then checks the path against the
		// process-wide @@secure_file_priv (the server's directory) by
		// itself, more loosely: whatever passes here passes there.
		if _, err := b.policy.check(ctx, name, true); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

// loadFile is LOAD_FILE() under filePolicy: NULL without FILE, when
// server-side files are disabled, outside secure_file_priv, for a file
// that cannot be read, and for one larger than max_allowed_packet.
type loadFile struct {
	expression.UnaryExpression
	policy *filePolicy
}

var _ sql.FunctionExpression = (*loadFile)(nil)

// loadFileFunction is the LOAD_FILE the catalog hands the planner
// (filePolicyProvider), in place of go-mysql-server's.
func loadFileFunction(policy *filePolicy) sql.Function {
	return sql.Function1{Name: "load_file", Fn: func(arg sql.Expression) sql.Expression {
		return &loadFile{UnaryExpression: expression.UnaryExpression{Child: arg}, policy: policy}
	}}
}

// FunctionName implements sql.FunctionExpression.
func (*loadFile) FunctionName() string { return "load_file" }

// Description implements sql.FunctionExpression.
func (*loadFile) Description() string {
	return "returns a file's contents as a string (needs FILE; only under secure_file_priv)."
}

// Type implements sql.Expression.
func (*loadFile) Type() sql.Type { return types.LongBlob }

// IsNullable implements sql.Expression.
func (*loadFile) IsNullable() bool { return true }

// CollationCoercibility implements sql.CollationCoercible.
func (*loadFile) CollationCoercibility(*sql.Context) (sql.CollationID, byte) {
	return sql.Collation_binary, 5
}

// String implements sql.Expression.
func (l *loadFile) String() string { return fmt.Sprintf("LOAD_FILE(%s)", l.Child) }

// WithChildren implements sql.Expression.
func (l *loadFile) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != 1 {
		return nil, sql.ErrInvalidChildrenNumber.New(l, len(children), 1)
	}
	return &loadFile{UnaryExpression: expression.UnaryExpression{Child: children[0]}, policy: l.policy}, nil
}

// Eval implements sql.Expression.
func (l *loadFile) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	v, err := l.Child.Eval(ctx, row)
	if err != nil || v == nil {
		return nil, err
	}
	name, _, err := types.LongText.Convert(ctx, v)
	if err != nil {
		return nil, nil
	}
	path, err := l.policy.check(ctx, name.(string), false)
	if err != nil {
		return nil, nil // MySQL: NULL, not an error
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		return nil, nil
	}
	limit, err := ctx.Session.GetSessionVariable(ctx, "max_allowed_packet")
	if err != nil {
		return nil, err
	}
	max, _ := limit.(int64)
	if max > 0 && st.Size() > max {
		return nil, nil
	}
	data, err := io.ReadAll(io.LimitReader(f, st.Size()+1))
	if err != nil || (max > 0 && int64(len(data)) > max) {
		return nil, nil
	}
	return data, nil
}

// filePolicyProvider hands the planner guocedb's LOAD_FILE: the catalog
// asks the database provider for a function before its built-ins, and
// built-ins cannot be replaced. Every other method is the provider's.
type filePolicyProvider struct {
	// The concrete provider, so that every optional interface it
	// implements (creating databases, table functions, ...) shows through.
	*backend.Provider
	loadFile sql.Function
	// functions are the stored functions of the provider's databases
	// (stored_function_call.go).
	functions *storedFunctions
}

var _ sql.FunctionProvider = filePolicyProvider{}

// Function implements sql.FunctionProvider.
func (p filePolicyProvider) Function(ctx *sql.Context, name string) (sql.Function, bool) {
	if strings.EqualFold(name, "load_file") {
		return p.loadFile, true
	}
	return p.functions.function(ctx, name)
}

// addSecureFilePrivVariable shows the server's directory as the
// read-only @@secure_file_priv: NULL when server-side files are disabled,
// which go-mysql-server's string variable cannot hold (it turns NULL into
// "", MySQL's "anywhere"). Process-wide, like every go-mysql-server
// variable: the checks read the server's own filePolicy, not this.
func addSecureFilePrivVariable(dir string) {
	var value any
	if dir != "" {
		value = dir
	}
	sql.SystemVariables.AddSystemVariables([]sql.SystemVariable{&sql.MysqlSystemVariable{
		Name:    "secure_file_priv",
		Scope:   sql.GetMysqlScope(sql.SystemVariableScope_Global),
		Type:    nullableString{types.NewSystemStringType("secure_file_priv")},
		Default: value,
	}})
}

// nullableString is a string system variable that can be NULL.
type nullableString struct{ sql.SystemVariableType }

// Convert implements sql.Type, keeping NULL.
func (t nullableString) Convert(ctx context.Context, v any) (any, sql.ConvertInRange, error) {
	if v == nil {
		return nil, sql.InRange, nil
	}
	return t.SystemVariableType.Convert(ctx, v)
}
