package orm

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/shopspring/decimal"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Company is the belongs-to side of User.
type Company struct {
	ID   uint   `gorm:"primaryKey"`
	Name string `gorm:"size:100;not null;uniqueIndex"`
}

// User has a company (belongs-to), a profile (has-one), orders (has-many)
// and languages (many2many through user_languages); it is soft-deleted.
type User struct {
	ID        uint   `gorm:"primaryKey"`
	Name      string `gorm:"size:64;not null;uniqueIndex"`
	Email     string `gorm:"size:128;index"`
	Age       int
	CompanyID *uint
	Company   *Company   `gorm:"constraint:OnUpdate:CASCADE,OnDelete:SET NULL;"`
	Profile   Profile    `gorm:"constraint:OnDelete:CASCADE;"`
	Orders    []Order    `gorm:"constraint:OnDelete:CASCADE;"`
	Languages []Language `gorm:"many2many:user_languages;"`
	CreatedAt time.Time
	UpdatedAt time.Time
	DeletedAt gorm.DeletedAt `gorm:"index"`
}

// Profile is User's has-one.
type Profile struct {
	ID     uint `gorm:"primaryKey"`
	UserID uint `gorm:"uniqueIndex"`
	Bio    string
}

// Order is User's has-many; it carries the types that must round-trip.
type Order struct {
	ID       uint            `gorm:"primaryKey"`
	UserID   uint            `gorm:"index"`
	Amount   decimal.Decimal `gorm:"type:decimal(12,2);not null"`
	Payload  []byte          `gorm:"type:blob"`
	Meta     Meta            `gorm:"type:json"`
	PlacedAt time.Time       `gorm:"precision:6"`
	Shipped  bool
}

// Language is the other side of the many2many.
type Language struct {
	ID   uint   `gorm:"primaryKey"`
	Code string `gorm:"size:8;uniqueIndex"`
}

// Meta is stored in a JSON column.
type Meta struct {
	Tags  []string          `json:"tags"`
	Attrs map[string]string `json:"attrs"`
}

// Value implements driver.Valuer.
func (m Meta) Value() (driver.Value, error) {
	b, err := json.Marshal(m)
	return string(b), err
}

// Scan implements sql.Scanner.
func (m *Meta) Scan(v any) error {
	switch x := v.(type) {
	case []byte:
		return json.Unmarshal(x, m)
	case string:
		return json.Unmarshal([]byte(x), m)
	case nil:
		*m = Meta{}
		return nil
	}
	return errors.New("meta: unsupported type")
}

// sqlRecorder is a GORM logger that keeps every statement GORM runs, to
// check what a migration did.
type sqlRecorder struct {
	logger.Interface
	mu   sync.Mutex
	stmt []string
}

func (r *sqlRecorder) LogMode(logger.LogLevel) logger.Interface { return r }

func (r *sqlRecorder) Trace(ctx context.Context, begin time.Time, fc func() (string, int64), err error) {
	s, _ := fc()
	r.mu.Lock()
	r.stmt = append(r.stmt, s)
	r.mu.Unlock()
	r.Interface.Trace(ctx, begin, fc, err)
}

// ddl returns the recorded statements that change the schema.
func (r *sqlRecorder) ddl() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, s := range r.stmt {
		u := strings.ToUpper(strings.TrimSpace(s))
		if strings.HasPrefix(u, "CREATE") || strings.HasPrefix(u, "ALTER") || strings.HasPrefix(u, "DROP") {
			out = append(out, s)
		}
	}
	return out
}
