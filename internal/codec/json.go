package codec

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"slices"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/shopspring/decimal"
)

// JSON values are stored as a typed tree rather than JSON text, so the Go
// types inside types.JSONDocument survive a round trip (int64 and uint64
// beyond 2^53, decimal.Decimal) and reading needs no JSON parsing.
const (
	jsonNull    = 'n'
	jsonTrue    = 't'
	jsonFalse   = 'f'
	jsonInt     = 'i' // varint
	jsonUint    = 'u' // uvarint
	jsonFloat   = 'd' // 8 bytes little-endian
	jsonDecimal = 'D' // as a DECIMAL row value
	jsonString  = 's' // uvarint length, bytes
	jsonArray   = 'a' // uvarint count, values
	jsonObject  = 'o' // uvarint count, (uvarint key length, key, value) sorted by key
	jsonRaw     = 'r' // uvarint length, JSON text (Go types the tree does not know)
)

// maxJSONDepth bounds recursion when decoding untrusted bytes.
const maxJSONDepth = 1024

func appendJSON(dst []byte, w sql.JSONWrapper) ([]byte, error) {
	var val any
	if doc, ok := w.(types.JSONDocument); ok {
		val = doc.Val
	} else {
		var err error
		if val, err = w.ToInterface(); err != nil {
			return dst, fmt.Errorf("codec: json value: %w", err)
		}
	}
	lenAt := len(dst)
	// Reserve a maximal uvarint for the length and shift after, which is
	// cheaper than encoding the tree twice.
	dst = append(dst, make([]byte, binary.MaxVarintLen64)...)
	body := len(dst)
	out, err := appendJSONValue(dst, val, 0)
	if err != nil {
		return dst[:lenAt], err
	}
	n := len(out) - body
	hdr := binary.AppendUvarint(nil, uint64(n))
	copy(out[lenAt:], hdr)
	copy(out[lenAt+len(hdr):], out[body:])
	return out[:lenAt+len(hdr)+n], nil
}

func appendJSONValue(dst []byte, v any, depth int) ([]byte, error) {
	if depth > maxJSONDepth {
		return dst, fmt.Errorf("codec: json nested deeper than %d", maxJSONDepth)
	}
	switch x := v.(type) {
	case nil:
		return append(dst, jsonNull), nil
	case bool:
		if x {
			return append(dst, jsonTrue), nil
		}
		return append(dst, jsonFalse), nil
	case float64:
		return binary.LittleEndian.AppendUint64(append(dst, jsonFloat), math.Float64bits(x)), nil
	case int64:
		return binary.AppendVarint(append(dst, jsonInt), x), nil
	case uint64:
		return binary.AppendUvarint(append(dst, jsonUint), x), nil
	case string:
		dst = binary.AppendUvarint(append(dst, jsonString), uint64(len(x)))
		return append(dst, x...), nil
	case decimal.Decimal:
		return appendDecimal(append(dst, jsonDecimal), x), nil
	case []any:
		dst = binary.AppendUvarint(append(dst, jsonArray), uint64(len(x)))
		var err error
		for _, e := range x {
			if dst, err = appendJSONValue(dst, e, depth+1); err != nil {
				return dst, err
			}
		}
		return dst, nil
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		dst = binary.AppendUvarint(append(dst, jsonObject), uint64(len(x)))
		var err error
		for _, k := range keys {
			dst = binary.AppendUvarint(dst, uint64(len(k)))
			dst = append(dst, k...)
			if dst, err = appendJSONValue(dst, x[k], depth+1); err != nil {
				return dst, err
			}
		}
		return dst, nil
	}
	// Anything else (other integer widths, json.Number, nested wrappers) is
	// kept as JSON text and comes back as encoding/json decodes it, which is
	// what go-mysql-server itself produces when it parses JSON.
	if w, ok := v.(sql.JSONWrapper); ok {
		inner, err := w.ToInterface()
		if err != nil {
			return dst, fmt.Errorf("codec: json value: %w", err)
		}
		return appendJSONValue(dst, inner, depth+1)
	}
	text, err := types.MarshallJsonValue(v)
	if err != nil {
		return dst, fmt.Errorf("codec: json value %T: %w", v, err)
	}
	dst = binary.AppendUvarint(append(dst, jsonRaw), uint64(len(text)))
	return append(dst, text...), nil
}

func decodeJSON(b []byte) (any, error) {
	r := rowReader{b: b}
	v, err := r.jsonValue(0)
	if err != nil {
		return nil, err
	}
	if r.pos != len(b) {
		return nil, fmt.Errorf("%w: %d trailing bytes in json", ErrCorrupt, len(b)-r.pos)
	}
	return types.JSONDocument{Val: v}, nil
}

func (r *rowReader) jsonValue(depth int) (any, error) {
	if depth > maxJSONDepth {
		return nil, fmt.Errorf("%w: json nested deeper than %d", ErrCorrupt, maxJSONDepth)
	}
	tag, err := r.fixed(1)
	if err != nil {
		return nil, err
	}
	switch tag[0] {
	case jsonNull:
		return nil, nil
	case jsonTrue:
		return true, nil
	case jsonFalse:
		return false, nil
	case jsonInt:
		return r.varint()
	case jsonUint:
		return r.uvarint()
	case jsonFloat:
		p, err := r.fixed(8)
		if err != nil {
			return nil, err
		}
		return math.Float64frombits(binary.LittleEndian.Uint64(p)), nil
	case jsonDecimal:
		return r.decimal()
	case jsonString:
		start, end, err := r.span()
		if err != nil {
			return nil, err
		}
		return string(r.b[start:end]), nil
	case jsonArray:
		n, err := r.count()
		if err != nil {
			return nil, err
		}
		arr := make([]any, n)
		for i := range arr {
			if arr[i], err = r.jsonValue(depth + 1); err != nil {
				return nil, err
			}
		}
		return arr, nil
	case jsonObject:
		n, err := r.count()
		if err != nil {
			return nil, err
		}
		obj := make(map[string]any, n)
		for i := 0; i < n; i++ {
			start, end, err := r.span()
			if err != nil {
				return nil, err
			}
			if obj[string(r.b[start:end])], err = r.jsonValue(depth + 1); err != nil {
				return nil, err
			}
		}
		return obj, nil
	case jsonRaw:
		start, end, err := r.span()
		if err != nil {
			return nil, err
		}
		var v any
		if err := json.Unmarshal(r.b[start:end], &v); err != nil {
			return nil, fmt.Errorf("%w: json text: %w", ErrCorrupt, err)
		}
		return v, nil
	}
	return nil, fmt.Errorf("%w: json tag 0x%02x", ErrCorrupt, tag[0])
}

// count reads an element count, bounded by the bytes left (every element
// takes at least one byte) so corrupt input cannot force a huge allocation.
func (r *rowReader) count() (int, error) {
	n, err := r.uvarint()
	if err != nil {
		return 0, err
	}
	if n > uint64(len(r.b)-r.pos) {
		return 0, fmt.Errorf("%w: json count %d past end", ErrCorrupt, n)
	}
	return int(n), nil
}
