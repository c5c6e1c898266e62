package digest

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"select a, `b` from t where x<=1 and y != 'z'", "SELECT `a`, `b` FROM `t` WHERE `x` <= ? AND `y` != ?"},
		{"SELECT SLEEP(2)", "SELECT SLEEP(?)"},
		{"select t.a from shop.t", "SELECT `t`.`a` FROM `shop`.`t`"},
		{"select sleep( 30 );", "SELECT SLEEP(?)"},
		{"SELECT * FROM t WHERE id IN (1, 2, 3)", "SELECT * FROM `t` WHERE `id` IN (...)"},
		{"SELECT * FROM t WHERE id IN (7)", "SELECT * FROM `t` WHERE `id` IN (...)"},
		{"insert into t values (1,'a'),(2,'b'),(3,'c')", "INSERT INTO `t` VALUES (...)"},
		{"insert into t (a, b) values (1,'a')", "INSERT INTO `t` (`a`, `b`) VALUES (...)"},
		{"UPDATE t SET a = -1.5e3 WHERE b = x'ff' /* note */", "UPDATE `t` SET `a` = ? WHERE `b` = ?"},
		{"SELECT a - 1 FROM t", "SELECT `a` - ? FROM `t`"},
		{"SELECT @v := 3, @@global.max_connections", "SELECT @v := ?, @@global.max_connections"},
		{"CREATE USER 'app'@'%' IDENTIFIED BY 'secret'", "CREATE USER ? @ ? IDENTIFIED BY ?"},
		{"SELECT 'it''s' -- comment", "SELECT ?"},
		{"SELECT * FROM t WHERE a = ?", "SELECT * FROM `t` WHERE `a` = ?"},
		{"SELECT 'unterminated", "SELECT ..."},
		{"select count(*) from t where a is not null", "SELECT COUNT(*) FROM `t` WHERE `a` IS NOT NULL"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			require.Equal(t, tt.want, Normalize(tt.in))
		})
	}
}

func TestNormalizeHidesEveryValue(t *testing.T) {
	for _, q := range []string{
		"CREATE USER 'app'@'%' IDENTIFIED BY 'hunter2'",
		"SET PASSWORD FOR 'app'@'%' = 'hunter2'",
		"ALTER USER app IDENTIFIED WITH mysql_native_password BY 'hunter2'",
		`SELECT "hunter2"`,
		"SELECT * FROM t WHERE s = 'x' OR s = 'hunter2",
	} {
		require.NotContains(t, Normalize(q), "hunter2", q)
	}
}

func TestNormalizeBoundsText(t *testing.T) {
	long := "SELECT a"
	for range 500 {
		long += ", a"
	}
	got := Normalize(long)
	require.LessOrEqual(t, len(got), MaxTextBytes+3)
	require.True(t, len(got) > 1000)
	require.Equal(t, got, Normalize(long+", b"))
}

func TestSum(t *testing.T) {
	s := Sum("SELECT ?")
	require.Len(t, s, 64)
	require.Equal(t, s, Sum(Normalize("select 1")))
	require.NotEqual(t, s, Sum("SELECT ? FROM `t`"))
}
