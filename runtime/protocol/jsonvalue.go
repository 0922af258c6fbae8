package protocol

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// appendJSON appends the JSON encoding of v. Common types are written directly;
// the rest go through encoding/json.
func appendJSON(dst []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(dst, "null"...), nil
	case Raw:
		if len(v) == 0 {
			return append(dst, "null"...), nil
		}
		return append(dst, v...), nil
	case string:
		return appendString(dst, v), nil
	case bool:
		return strconv.AppendBool(dst, v), nil
	case int:
		return strconv.AppendInt(dst, int64(v), 10), nil
	case int8:
		return strconv.AppendInt(dst, int64(v), 10), nil
	case int16:
		return strconv.AppendInt(dst, int64(v), 10), nil
	case int32:
		return strconv.AppendInt(dst, int64(v), 10), nil
	case int64:
		return strconv.AppendInt(dst, v, 10), nil
	case uint:
		return strconv.AppendUint(dst, uint64(v), 10), nil
	case uint8:
		return strconv.AppendUint(dst, uint64(v), 10), nil
	case uint16:
		return strconv.AppendUint(dst, uint64(v), 10), nil
	case uint32:
		return strconv.AppendUint(dst, uint64(v), 10), nil
	case uint64:
		return strconv.AppendUint(dst, v, 10), nil
	case float64:
		return appendFloat(dst, v, 64)
	case float32:
		return appendFloat(dst, float64(v), 32)
	case time.Time:
		if y := v.Year(); y < 0 || y >= 10000 {
			return dst, fmt.Errorf("protocol: time %v has a year outside [0,9999]", v)
		}
		dst = append(dst, '"')
		dst = v.AppendFormat(dst, time.RFC3339Nano)
		return append(dst, '"'), nil
	case []byte:
		if v == nil { // as encoding/json writes it
			return append(dst, "null"...), nil
		}
		dst = append(dst, '"')
		dst = base64.StdEncoding.AppendEncode(dst, v)
		return append(dst, '"'), nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return dst, err
	}
	return append(dst, b...), nil
}

// appendFloat writes a float as encoding/json does.
func appendFloat(dst []byte, f float64, bits int) ([]byte, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return dst, fmt.Errorf("protocol: unsupported float value %v", f)
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (bits == 64 && (abs < 1e-6 || abs >= 1e21) ||
		bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21)) {
		format = 'e'
	}
	dst = strconv.AppendFloat(dst, f, format, -1, bits)
	if format == 'e' {
		// clean up e-09 to e-9
		if n := len(dst); n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst, nil
}

const hexDigits = "0123456789abcdef"

// appendString writes s as a JSON string. Like .NET's relaxed encoder it leaves
// non-ASCII text and HTML characters alone; it escapes quotes, backslashes,
// control characters and the line separators U+2028 and U+2029, and writes
// invalid UTF-8 as U+FFFD.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// Decode decodes the JSON value raw into v. Common types are read directly; the
// rest go through encoding/json. A JSON null leaves v unchanged, as
// encoding/json does.
func (*JSONProtocol) Decode(raw Raw, v any) error {
	if len(raw) == 0 {
		return fmt.Errorf("protocol: no value to decode")
	}
	if raw[0] == 'n' {
		if _, ok := v.(*Raw); !ok && string(raw) == "null" {
			return json.Unmarshal(raw, v) // keeps encoding/json's rules for null
		}
	}
	switch p := v.(type) {
	case *string:
		s, err := decodeString(raw)
		*p = s
		return err
	case *bool:
		switch string(raw) {
		case "true":
			*p = true
		case "false":
			*p = false
		default:
			return typeError(raw, "bool")
		}
		return nil
	case *int:
		n, err := decodeInt(raw, strconv.IntSize)
		*p = int(n)
		return err
	case *int64:
		n, err := decodeInt(raw, 64)
		*p = n
		return err
	case *int32:
		n, err := decodeInt(raw, 32)
		*p = int32(n)
		return err
	case *uint64:
		n, err := strconv.ParseUint(string(raw), 10, 64)
		if err != nil {
			return typeError(raw, "uint64")
		}
		*p = n
		return nil
	case *float64:
		f, err := strconv.ParseFloat(string(raw), 64)
		if err != nil || raw[0] == '"' {
			return typeError(raw, "float64")
		}
		*p = f
		return nil
	case *time.Time:
		return decodeJSONTime(raw, p)
	case *Raw:
		*p = append((*p)[:0], raw...)
		return nil
	}
	return unmarshalJSON(raw, v)
}

// DecodeString decodes a JSON string. Unlike Decode it takes no pointer, so the
// caller's string need not escape to the heap: the hub uses it on its hot path.
// A JSON null gives "".
func (*JSONProtocol) DecodeString(raw Raw) (string, error) {
	if string(raw) == "null" {
		return "", nil
	}
	return decodeString(raw)
}

func decodeString(raw Raw) (string, error) {
	if len(raw) < 2 || raw[0] != '"' {
		return "", typeError(raw, "string")
	}
	body := raw[1 : len(raw)-1]
	for _, c := range body {
		if c == '\\' {
			return string(unescape(make([]byte, 0, len(body)), body)), nil
		}
	}
	return string(body), nil
}

func decodeInt(raw Raw, bits int) (int64, error) {
	n, err := strconv.ParseInt(string(raw), 10, bits)
	if err != nil {
		return 0, typeError(raw, "int"+strconv.Itoa(bits))
	}
	return n, nil
}

func typeError(raw Raw, goType string) error {
	kind := tokenName(raw[0])
	return fmt.Errorf("protocol: cannot decode a JSON %s into a Go %s", kind, goType)
}
