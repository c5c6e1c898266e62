package orm

import (
	"context"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"xorm.io/xorm"
	"xorm.io/xorm/contexts"
	"xorm.io/xorm/names"
)

// Account is synced by xorm: a unique constraint, a composite index,
// created/updated/version columns and a soft-delete column.
type Account struct {
	ID        int64     `xorm:"pk autoincr 'id'"`
	Login     string    `xorm:"varchar(64) notnull unique"`
	Team      string    `xorm:"varchar(32) index(idx_team_level)"`
	Level     int       `xorm:"index(idx_team_level) default 1"`
	Balance   float64   `xorm:"decimal(12,2)"`
	Bio       string    `xorm:"text"`
	Avatar    []byte    `xorm:"blob"`
	Prefs     []string  `xorm:"json"`
	Created   time.Time `xorm:"created"`
	Updated   time.Time `xorm:"updated"`
	Deleted   time.Time `xorm:"deleted"`
	Version   int       `xorm:"version"`
	LastLogin time.Time `xorm:"datetime null"`
}

// Membership has a composite unique constraint.
type Membership struct {
	ID        int64  `xorm:"pk autoincr 'id'"`
	AccountID int64  `xorm:"notnull unique(uq_member)"`
	Group     string `xorm:"varchar(32) notnull unique(uq_member)"`
}

// ddlHook records the schema-changing statements xorm runs.
type ddlHook struct {
	mu  sync.Mutex
	all []string
}

func (h *ddlHook) BeforeProcess(c *contexts.ContextHook) (context.Context, error) { return c.Ctx, nil }

func (h *ddlHook) AfterProcess(c *contexts.ContextHook) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.all = append(h.all, c.SQL)
	return nil
}

func (h *ddlHook) reset() { h.mu.Lock(); h.all = nil; h.mu.Unlock() }

func (h *ddlHook) ddl() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, s := range h.all {
		u := strings.ToUpper(strings.TrimSpace(s))
		if strings.HasPrefix(u, "CREATE") || strings.HasPrefix(u, "ALTER") || strings.HasPrefix(u, "DROP") {
			out = append(out, s)
		}
	}
	return out
}

func openXorm(t *testing.T) (*xorm.Engine, *ddlHook) {
	t.Helper()
	eng, err := xorm.NewEngine("mysql", startDB(t, "app"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = eng.Close() })
	eng.SetMapper(names.GonicMapper{})
	eng.TZLocation = time.UTC
	eng.DatabaseTZ = time.UTC
	hook := &ddlHook{}
	eng.AddHook(hook)
	return eng, hook
}

func TestXormSync(t *testing.T) {
	eng, hook := openXorm(t)
	require.NoError(t, eng.Sync(new(Account), new(Membership)))
	require.NotEmpty(t, hook.ddl())

	tables, err := eng.DBMetas()
	require.NoError(t, err)
	byName := map[string][]string{}
	for _, tb := range tables {
		var idx []string
		for name, i := range tb.Indexes {
			idx = append(idx, name+":"+strings.Join(i.Cols, ",")+":"+map[int]string{1: "index", 2: "unique"}[i.Type])
		}
		byName[tb.Name] = idx
		if tb.Name == "account" {
			require.Equal(t, []string{"id"}, tb.PrimaryKeys)
			require.True(t, tb.GetColumn("id").IsAutoIncrement)
			require.Equal(t, "DECIMAL", tb.GetColumn("balance").SQLType.Name)
			require.Equal(t, 64, int(tb.GetColumn("login").Length))
			require.False(t, tb.GetColumn("login").Nullable)
			require.Equal(t, "1", tb.GetColumn("level").Default)
		}
	}
	// xorm strips its UQE_/IDX_ table prefix when it reads the names back.
	require.ElementsMatch(t, []string{"login:login:unique", "idx_team_level:team,level:index"}, byName["account"])
	require.ElementsMatch(t, []string{"uq_member:account_id,group:unique"}, byName["membership"])
	require.Equal(t, []string{"IDX_account_idx_team_level 1 team", "IDX_account_idx_team_level 2 level", "PRIMARY 1 id", "UQE_account_login 1 login"},
		xormStrings(t, eng, "SELECT CONCAT(index_name, ' ', seq_in_index, ' ', column_name) FROM information_schema.statistics WHERE table_schema = 'app' AND table_name = 'account'"))

	t.Run("second Sync is a no-op", func(t *testing.T) {
		hook.reset()
		require.NoError(t, eng.Sync(new(Account), new(Membership)))
		require.Empty(t, hook.ddl())
	})

	t.Run("a struct that gains a column and an index", func(t *testing.T) {
		_, err := eng.Insert(&Membership{AccountID: 1, Group: "g"})
		require.NoError(t, err)
		type Membership struct {
			ID        int64  `xorm:"pk autoincr 'id'"`
			AccountID int64  `xorm:"notnull unique(uq_member)"`
			Group     string `xorm:"varchar(32) notnull unique(uq_member)"`
			Role      string `xorm:"varchar(16) notnull default 'member' index"`
		}
		hook.reset()
		require.NoError(t, eng.Sync(new(Membership)))
		require.Len(t, hook.ddl(), 2, "ADD COLUMN and CREATE INDEX: %v", hook.ddl())
		var got Membership
		ok, err := eng.Where("account_id = ?", 1).Get(&got)
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, "member", got.Role)
		hook.reset()
		require.NoError(t, eng.Sync(new(Membership)))
		require.Empty(t, hook.ddl())
	})
}

func TestXormCRUD(t *testing.T) {
	eng, _ := openXorm(t)
	require.NoError(t, eng.Sync(new(Account), new(Membership)))
	last := time.Date(2023, 5, 6, 7, 8, 9, 0, time.UTC)

	a := Account{Login: "ann", Team: "red", Level: 3, Balance: 12.5, Bio: "hi", Avatar: []byte{1, 2, 0, 255}, Prefs: []string{"dark"}, LastLogin: last}
	n, err := eng.Insert(&a)
	require.NoError(t, err)
	require.EqualValues(t, 1, n)
	require.NotZero(t, a.ID)
	require.Equal(t, 1, a.Version)

	batch := []Account{{Login: "bob", Team: "red"}, {Login: "cy", Team: "blue"}, {Login: "di", Team: "blue", Level: 5}}
	n, err = eng.Insert(&batch)
	require.NoError(t, err)
	require.EqualValues(t, 3, n)

	t.Run("Get", func(t *testing.T) {
		var got Account
		ok, err := eng.ID(a.ID).Get(&got)
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, "ann", got.Login)
		require.Equal(t, 12.5, got.Balance)
		require.Equal(t, []byte{1, 2, 0, 255}, got.Avatar)
		require.Equal(t, []string{"dark"}, got.Prefs)
		require.True(t, last.Equal(got.LastLogin), got.LastLogin)
		require.False(t, got.Created.IsZero())
		ok, err = eng.Where("login = ?", "nobody").Get(new(Account))
		require.NoError(t, err)
		require.False(t, ok)
		ok, err = eng.Exist(&Account{Login: "bob"})
		require.NoError(t, err)
		require.True(t, ok)
	})

	t.Run("Find, Count, Iterate, Sum", func(t *testing.T) {
		var blue []Account
		require.NoError(t, eng.Where("team = ?", "blue").Asc("login").Find(&blue))
		require.Len(t, blue, 2)
		require.Equal(t, "cy", blue[0].Login)
		require.Equal(t, 0, blue[0].Level, "xorm writes every column")
		require.Equal(t, 5, blue[1].Level)

		cnt, err := eng.Where("team = ?", "red").Count(new(Account))
		require.NoError(t, err)
		require.EqualValues(t, 2, cnt)

		var logins []string
		require.NoError(t, eng.Asc("id").Iterate(new(Account), func(i int, bean any) error {
			logins = append(logins, bean.(*Account).Login)
			return nil
		}))
		require.Equal(t, []string{"ann", "bob", "cy", "di"}, logins)

		rows, err := eng.Where("level > ?", 1).Asc("id").Rows(new(Account))
		require.NoError(t, err)
		var lv []int
		for rows.Next() {
			var acc Account
			require.NoError(t, rows.Scan(&acc))
			lv = append(lv, acc.Level)
		}
		require.NoError(t, rows.Close())
		require.Equal(t, []int{3, 5}, lv)

		sum, err := eng.SumInt(new(Account), "level")
		require.NoError(t, err)
		require.EqualValues(t, 8, sum)

		byTeam := map[string]int64{}
		var res []struct {
			Team string
			N    int64
		}
		require.NoError(t, eng.Table("account").Select("team, COUNT(*) AS n").GroupBy("team").Find(&res))
		for _, r := range res {
			byTeam[r.Team] = r.N
		}
		require.Equal(t, map[string]int64{"red": 2, "blue": 2}, byTeam)

		total, err := eng.Where("team = ?", "blue").Limit(1).FindAndCount(&[]Account{})
		require.NoError(t, err)
		require.EqualValues(t, 2, total)
	})

	t.Run("Update with optimistic lock", func(t *testing.T) {
		var got Account
		_, err := eng.ID(a.ID).Get(&got)
		require.NoError(t, err)
		got.Level = 4
		n, err := eng.ID(a.ID).Cols("level").Update(&got)
		require.NoError(t, err)
		require.EqualValues(t, 1, n)

		stale := got
		stale.Version = 1 // an older version: no row matches
		stale.Level = 9
		n, err = eng.ID(a.ID).Cols("level").Update(&stale)
		require.NoError(t, err)
		require.EqualValues(t, 0, n, "WHERE version = 1 matches nothing")

		var again Account
		_, err = eng.ID(a.ID).Get(&again)
		require.NoError(t, err)
		require.Equal(t, 4, again.Level)
		require.Equal(t, 2, again.Version)

		n, err = eng.Table("account").Where("team = ?", "blue").Update(map[string]any{"balance": 1.25})
		require.NoError(t, err)
		require.EqualValues(t, 2, n)
		var bal []float64
		require.NoError(t, eng.Table("account").Where("team = ?", "blue").Cols("balance").Find(&bal))
		require.Equal(t, []float64{1.25, 1.25}, bal)
	})

	t.Run("unique violation", func(t *testing.T) {
		_, err := eng.Insert(&Account{Login: "ann"})
		requireMySQLErr(t, err, 1062)
		_, err = eng.Insert(&Membership{AccountID: 1, Group: "g"})
		require.NoError(t, err)
		_, err = eng.Insert(&Membership{AccountID: 1, Group: "g"})
		requireMySQLErr(t, err, 1062)
	})

	t.Run("soft delete and unscoped", func(t *testing.T) {
		n, err := eng.Where("login = ?", "di").Delete(new(Account))
		require.NoError(t, err)
		require.EqualValues(t, 1, n)
		cnt, err := eng.Count(new(Account))
		require.NoError(t, err)
		require.EqualValues(t, 3, cnt)
		cnt, err = eng.Unscoped().Count(new(Account))
		require.NoError(t, err)
		require.EqualValues(t, 4, cnt)
		n, err = eng.Unscoped().Where("login = ?", "di").Delete(new(Account))
		require.NoError(t, err)
		require.EqualValues(t, 1, n)
		cnt, err = eng.Unscoped().Count(new(Account))
		require.NoError(t, err)
		require.EqualValues(t, 3, cnt)
	})
}

func TestXormTransactions(t *testing.T) {
	eng, _ := openXorm(t)
	require.NoError(t, eng.Sync(new(Account)))
	logins := func() []string {
		var out []string
		require.NoError(t, eng.Table("account").Asc("login").Cols("login").Find(&out))
		return out
	}

	t.Run("commit", func(t *testing.T) {
		s := eng.NewSession()
		defer s.Close()
		require.NoError(t, s.Begin())
		_, err := s.Insert(&Account{Login: "a"})
		require.NoError(t, err)
		_, err = s.Insert(&Account{Login: "b"})
		require.NoError(t, err)
		cnt, err := s.Count(new(Account))
		require.NoError(t, err)
		require.EqualValues(t, 2, cnt, "the session reads its own writes")
		require.Empty(t, logins(), "others do not")
		require.NoError(t, s.Commit())
		require.Equal(t, []string{"a", "b"}, logins())
	})

	t.Run("rollback", func(t *testing.T) {
		s := eng.NewSession()
		defer s.Close()
		require.NoError(t, s.Begin())
		_, err := s.Insert(&Account{Login: "c"})
		require.NoError(t, err)
		_, err = s.Where("login = ?", "a").Delete(new(Account))
		require.NoError(t, err)
		require.NoError(t, s.Rollback())
		require.Equal(t, []string{"a", "b"}, logins())
	})

	t.Run("a failed statement, then rollback", func(t *testing.T) {
		s := eng.NewSession()
		defer s.Close()
		require.NoError(t, s.Begin())
		_, err := s.Insert(&Account{Login: "d"})
		require.NoError(t, err)
		_, err = s.Insert(&Account{Login: "a"})
		requireMySQLErr(t, err, 1062)
		require.NoError(t, s.Rollback())
		require.Equal(t, []string{"a", "b"}, logins())
	})

	t.Run("engine.Transaction", func(t *testing.T) {
		_, err := eng.Transaction(func(s *xorm.Session) (any, error) {
			if _, err := s.Insert(&Account{Login: "e"}); err != nil {
				return nil, err
			}
			return s.Table("account").Where("login = ?", "b").Update(map[string]any{"team": "t"})
		})
		require.NoError(t, err)
		require.Equal(t, []string{"a", "b", "e"}, logins())
		var b Account
		_, err = eng.Where("login = ?", "b").Get(&b)
		require.NoError(t, err)
		require.Equal(t, "t", b.Team)
	})
}

// xormStrings returns the first column of query, sorted.
func xormStrings(t *testing.T, eng *xorm.Engine, query string) []string {
	t.Helper()
	res, err := eng.QueryString(query)
	require.NoError(t, err)
	var out []string
	for _, row := range res {
		require.Len(t, row, 1)
		for _, v := range row {
			out = append(out, v)
		}
	}
	sort.Strings(out)
	return out
}
