package codec

import (
	"context"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/sqltypes"
)

var (
	tctx = context.Background()

	dec6530   = types.MustCreateDecimalType(65, 30)
	dec102    = types.MustCreateDecimalType(10, 2)
	dt6       = types.MustCreateDatetimeType(sqltypes.Datetime, 6)
	ts6       = types.MustCreateDatetimeType(sqltypes.Timestamp, 6)
	enumT     = types.MustCreateEnumType([]string{"small", "medium", "large"}, sql.Collation_Default)
	setT      = types.MustCreateSetType([]string{"a", "b", "c"}, sql.Collation_Default)
	bit64     = types.MustCreateBitType(64)
	varbin    = types.MustCreateBinary(sqltypes.VarBinary, 255)
	binary8   = types.MustCreateBinary(sqltypes.Binary, 8)
	vcAICI    = types.MustCreateString(sqltypes.VarChar, 255, sql.Collation_utf8mb4_0900_ai_ci)
	vcBin     = types.MustCreateString(sqltypes.VarChar, 255, sql.Collation_utf8mb4_0900_bin)
	vcGeneral = types.MustCreateString(sqltypes.VarChar, 255, sql.Collation_utf8mb4_general_ci)
	charLatin = types.MustCreateString(sqltypes.Char, 20, sql.Collation_latin1_swedish_ci)
)
