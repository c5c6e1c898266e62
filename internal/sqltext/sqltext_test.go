package sqltext

import "testing"

func TestFirstWord(t *testing.T) {
	for _, tc := range []struct{ q, want string }{
		{"SELECT 1", "SELECT"},
		{"  \n\t(select 1)", "select"},
		{"/* a comment */ DELETE FROM t", "DELETE"},
		{"# line\n-- another\nexplain select 1", "explain"},
		{"/*!40101 SET NAMES utf8 */", "SET"},
		{"/*! SET x = 1 */", "SET"},
		{"/* unterminated", ""},
		{"-- only a comment", ""},
		{"", ""},
		{"1 + 1", ""},
		{"CALL p()", "CALL"},
		{"/**/desc t", "desc"},
		{"explain1 x", "explain1"},
		{"select_x", "select_x"},
	} {
		if got := FirstWord(tc.q); got != tc.want {
			t.Errorf("FirstWord(%q) = %q, want %q", tc.q, got, tc.want)
		}
	}
}

func TestStartsWith(t *testing.T) {
	if !StartsWith("/* x */ Delete from t", "delete") {
		t.Error("DELETE after a comment not recognised")
	}
	if StartsWith("deleted_rows", "delete") {
		t.Error("a longer word matched")
	}
	if !StartsWith("describe t", "explain", "describe", "desc") {
		t.Error("DESCRIBE not among the words")
	}
}

func BenchmarkFirstWord(b *testing.B) {
	b.ReportAllocs()
	for range b.N {
		FirstWord("/* app=shop */ SELECT c FROM sbtest1 WHERE id = 42")
	}
}
