package mysqlserver

import (
	"sort"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
)

// go-mysql-server lists some status variables twice, once per spelling of
// the same counter: validate_password's plugin names
// (validate_password_dictionary_file_words_count) next to its component
// names (validate_password.dictionary_file_words_count). A MySQL server has
// one or the other, never both, and monitoring tools that normalise names
// (prometheus-mysqld-exporter lower-cases them and turns every other
// character into '_') see the same metric twice and fail the whole scrape.
// dedupStatusVariables wraps go-mysql-server's process-wide registry so that
// SHOW [GLOBAL] STATUS returns one name per normalised name.

// dedupStatusRegistry hides the second spelling of a status variable. It
// only filters the maps SHOW STATUS reads; lookups, sets and increments of
// every name still reach the wrapped registry, which owns the values and
// their concurrency.
type dedupStatusRegistry struct {
	sql.StatusVariableRegistry
	hidden map[string]struct{}
}

var _ sql.StatusVariableRegistry = (*dedupStatusRegistry)(nil)

// NewSessionMap implements sql.StatusVariableRegistry.
func (r *dedupStatusRegistry) NewSessionMap() map[string]sql.StatusVarValue {
	return r.filter(r.StatusVariableRegistry.NewSessionMap())
}

// NewGlobalMap implements sql.StatusVariableRegistry.
func (r *dedupStatusRegistry) NewGlobalMap() map[string]sql.StatusVarValue {
	return r.filter(r.StatusVariableRegistry.NewGlobalMap())
}

func (r *dedupStatusRegistry) filter(m map[string]sql.StatusVarValue) map[string]sql.StatusVarValue {
	for name := range r.hidden {
		delete(m, name)
	}
	return m
}

// dedupStatusVariables installs the filter on sql.StatusVariables once; the
// engine constructor (sqle.New) initialises the registry first, and calls
// after the first find it already wrapped. Like go-mysql-server's own
// initialisation it must not run while another engine serves sessions.
func dedupStatusVariables() {
	reg := sql.StatusVariables
	if reg == nil {
		return
	}
	if _, ok := reg.(*dedupStatusRegistry); ok {
		return
	}
	sql.StatusVariables = &dedupStatusRegistry{
		StatusVariableRegistry: reg,
		hidden:                 duplicateStatusNames(reg.NewGlobalMap()),
	}
}

// duplicateStatusNames returns the names to hide: for every normalised name
// held by more than one variable, all but one. The dotted spelling wins
// (MySQL 8.0's validate_password component uses it); otherwise the first
// name in byte order.
func duplicateStatusNames(vars map[string]sql.StatusVarValue) map[string]struct{} {
	groups := make(map[string][]string)
	for name := range vars {
		key := normalizeStatusName(name)
		groups[key] = append(groups[key], name)
	}
	hidden := make(map[string]struct{})
	for _, names := range groups {
		if len(names) < 2 {
			continue
		}
		sort.Slice(names, func(i, j int) bool {
			di, dj := strings.Contains(names[i], "."), strings.Contains(names[j], ".")
			if di != dj {
				return di
			}
			return names[i] < names[j]
		})
		for _, n := range names[1:] {
			hidden[n] = struct{}{}
		}
	}
	return hidden
}

// normalizeStatusName spells a name the way metric exporters do: lower
// case, every character outside [a-z0-9_] replaced by '_'.
func normalizeStatusName(name string) string {
	b := []byte(strings.ToLower(name))
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			b[i] = '_'
		}
	}
	return string(b)
}
