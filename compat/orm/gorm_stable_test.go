package orm

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Gadget has the column options whose read-back GORM's migrator compares
// on every run (comments, defaults, unsigned and small integer types,
// enums, timestamps with precision, nullability, sizes): a server that
// reports any of them differently makes AutoMigrate alter the table again
// on every start.
type Gadget struct {
	ID        uint64    `gorm:"primaryKey;comment:the id"`
	Code      string    `gorm:"size:20;not null;default:'none';comment:short code"`
	Kind      string    `gorm:"type:enum('a','b','c');default:'a'"`
	Small     uint8     `gorm:"not null;default:0"`
	Medium    int16     `gorm:"default:-1"`
	Ratio     float32   `gorm:"default:1.5"`
	Big       float64   `gorm:"type:double"`
	Price     float64   `gorm:"type:decimal(10,3);default:0.000"`
	Active    bool      `gorm:"default:true"`
	Text      string    `gorm:"type:longtext"`
	Raw       []byte    `gorm:"type:varbinary(32)"`
	Stamp     time.Time `gorm:"type:timestamp(3);default:CURRENT_TIMESTAMP(3)"`
	MaybeTime *time.Time
	Day       *time.Time `gorm:"type:date"`
	Bin       string     `gorm:"size:16;collate:utf8mb4_bin"`
	Counter   int64      `gorm:"autoIncrement:false;not null;default:7"`
	CreatedAt time.Time  `gorm:"precision:3"`
	UpdatedAt int64      `gorm:"autoUpdateTime:milli"`
}

func TestGORMAutoMigrateIsStable(t *testing.T) {
	gdb := openGORM(t, startDB(t, "app"))
	require.NoError(t, gdb.Set("gorm:table_options", "ENGINE=InnoDB").AutoMigrate(&Gadget{}))
	for i := 0; i < 2; i++ {
		rec := &sqlRecorder{Interface: logger.Default.LogMode(logger.Silent)}
		require.NoError(t, gdb.Session(&gorm.Session{Logger: rec}).AutoMigrate(&Gadget{}))
		require.Empty(t, rec.ddl(), "run %d", i+2)
	}

	g := Gadget{Code: "x", Kind: "b", Raw: []byte{9, 8}}
	require.NoError(t, gdb.Create(&g).Error)
	var got Gadget
	require.NoError(t, gdb.First(&got, g.ID).Error)
	require.Equal(t, "b", got.Kind)
	require.Equal(t, []byte{9, 8}, got.Raw)
	require.False(t, got.Stamp.IsZero())
	require.Nil(t, got.MaybeTime)
	require.Equal(t, [][]string{{"id", "the id"}, {"code", "short code"}},
		queryStrings(t, gdb, `SELECT column_name, column_comment FROM information_schema.columns
			WHERE table_schema = 'app' AND table_name = 'gadgets' AND column_comment <> '' ORDER BY ordinal_position`))
}
