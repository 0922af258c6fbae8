package protocol

import (
	"bytes"
	"encoding"
	"encoding/binary"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"sync"
	"time"

	"github.com/hubgen/hubgen/runtime/internal/mpack"
	"github.com/vmihailenco/msgpack/v5"
	"github.com/vmihailenco/msgpack/v5/msgpcode"
)

// appendMsgpack appends the MessagePack encoding of v. Common types are written
// directly; the rest go through github.com/vmihailenco/msgpack/v5.
func appendMsgpack(dst []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(dst, 0xc0), nil
	case Raw:
		if len(v) == 0 {
			return append(dst, 0xc0), nil
		}
		return append(dst, v...), nil
	case string:
		return mpack.AppendString(dst, v), nil
	case bool:
		return mpack.AppendBool(dst, v), nil
	case int:
		return mpack.AppendInt(dst, int64(v)), nil
	case int8:
		return mpack.AppendInt(dst, int64(v)), nil
	case int16:
		return mpack.AppendInt(dst, int64(v)), nil
	case int32:
		return mpack.AppendInt(dst, int64(v)), nil
	case int64:
		return mpack.AppendInt(dst, v), nil
	case uint:
		return mpack.AppendUint(dst, uint64(v)), nil
	case uint8:
		return mpack.AppendUint(dst, uint64(v)), nil
	case uint16:
		return mpack.AppendUint(dst, uint64(v)), nil
	case uint32:
		return mpack.AppendUint(dst, uint64(v)), nil
	case uint64:
		return mpack.AppendUint(dst, v), nil
	case float32:
		return binary.BigEndian.AppendUint32(append(dst, 0xca), math.Float32bits(v)), nil
	case float64:
		return binary.BigEndian.AppendUint64(append(dst, 0xcb), math.Float64bits(v)), nil
	case []byte:
		return mpack.AppendBinary(dst, v), nil
	case time.Time:
		return appendTimestamp(dst, v), nil
	}
	if m, ok := v.(encoding.TextMarshaler); ok && !ownEncoding(reflect.TypeOf(v)) {
		if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer && rv.IsNil() {
			return append(dst, 0xc0), nil
		}
		b, err := m.MarshalText()
		if err != nil {
			return dst, err
		}
		return append(mpack.AppendStringLen(dst, len(b)), b...), nil
	}
	registerTextTypes(reflect.TypeOf(v))
	var buf bytes.Buffer
	enc := msgpack.GetEncoder()
	defer msgpack.PutEncoder(enc)
	enc.Reset(&buf)
	enc.UseCompactInts(true) // the smallest form, as MessagePack-CSharp writes
	if err := enc.Encode(v); err != nil {
		return dst, err
	}
	return append(dst, buf.Bytes()...), nil
}

var (
	textMarshalerType   = reflect.TypeFor[encoding.TextMarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
	ownEncoders         = []reflect.Type{reflect.TypeFor[msgpack.CustomEncoder](), reflect.TypeFor[msgpack.Marshaler]()}
	ownDecoders         = []reflect.Type{reflect.TypeFor[msgpack.CustomDecoder](), reflect.TypeFor[msgpack.Unmarshaler]()}
	textTypes           sync.Map // reflect.Type walked by registerTextTypes
	textTypesLocked     sync.Mutex
)

// ownEncoding reports whether t has its own MessagePack encoding, which wins
// over MarshalText.
func ownEncoding(t reflect.Type) bool { return implementsAny(t, ownEncoders) }

// ownDecoding reports whether t has its own MessagePack decoding, which wins
// over UnmarshalText.
func ownDecoding(t reflect.Type) bool { return implementsAny(t, ownDecoders) }

func implementsAny(t reflect.Type, ifaces []reflect.Type) bool {
	for _, e := range ifaces {
		if t.Implements(e) || t.Kind() != reflect.Pointer && reflect.PointerTo(t).Implements(e) {
			return true
		}
	}
	return false
}

// registerTextTypes registers with github.com/vmihailenco/msgpack/v5, once,
// for each type inside t (through structs, pointers, slices, arrays and maps)
// with no MessagePack methods of its own, an encoder that writes MarshalText
// as a string and a decoder that reads a string with UnmarshalText: .NET
// sends a Guid, for one, as a string, where that library would write
// MarshalBinary's or MarshalText's bytes as bin, and read a string with
// UnmarshalBinary when there is one. The registration is process-wide. It
// must come before that library first handles a struct holding such a type,
// which it caches, so Decode calls it too. Values behind an interface are not
// reached.
func registerTextTypes(t reflect.Type) {
	if t == nil {
		return
	}
	if _, done := textTypes.Load(t); done {
		return
	}
	textTypesLocked.Lock()
	defer textTypesLocked.Unlock()
	walkTextTypes(t, map[reflect.Type]bool{})
	textTypes.Store(t, true)
}

func walkTextTypes(t reflect.Type, seen map[reflect.Type]bool) {
	if seen[t] || t == timeType || ownEncoding(t) && ownDecoding(t) {
		return
	}
	seen[t] = true
	if t.Kind() != reflect.Pointer {
		var enc func(*msgpack.Encoder, reflect.Value) error
		var dec func(*msgpack.Decoder, reflect.Value) error
		if p := reflect.PointerTo(t); p.Implements(textMarshalerType) && !ownEncoding(t) {
			enc = encodeText
		}
		if p := reflect.PointerTo(t); p.Implements(textUnmarshalerType) && !ownDecoding(t) {
			dec = decodeText
		}
		if enc != nil || dec != nil {
			msgpack.Register(reflect.Zero(t).Interface(), enc, dec)
			return
		}
	}
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Array:
		walkTextTypes(t.Elem(), seen)
	case reflect.Map:
		walkTextTypes(t.Key(), seen)
		walkTextTypes(t.Elem(), seen)
	case reflect.Struct:
		for i := range t.NumField() {
			if f := t.Field(i); f.IsExported() || f.Anonymous {
				walkTextTypes(f.Type, seen)
			}
		}
	}
}

// encodeText writes v's MarshalText as a string.
func encodeText(e *msgpack.Encoder, v reflect.Value) error {
	m, ok := v.Interface().(encoding.TextMarshaler)
	if !ok {
		p := reflect.New(v.Type())
		p.Elem().Set(v)
		m = p.Interface().(encoding.TextMarshaler)
	}
	b, err := m.MarshalText()
	if err != nil {
		return err
	}
	return e.EncodeString(string(b))
}

// decodeText reads a string with v's UnmarshalText, the mirror of encodeText.
// A bin goes to UnmarshalBinary where there is one, as that library would
// send it, and otherwise to UnmarshalText too; nil leaves the zero value.
func decodeText(d *msgpack.Decoder, v reflect.Value) error {
	code, err := d.PeekCode()
	if err != nil {
		return err
	}
	if code == msgpcode.Nil {
		v.Set(reflect.Zero(v.Type()))
		return d.DecodeNil()
	}
	target := v
	if !v.CanAddr() {
		target = reflect.New(v.Type()).Elem()
	}
	b, err := d.DecodeBytes()
	if err != nil {
		return err
	}
	p := target.Addr().Interface()
	if u, ok := p.(encoding.BinaryUnmarshaler); ok && msgpcode.IsBin(code) {
		err = u.UnmarshalBinary(b)
	} else {
		err = p.(encoding.TextUnmarshaler).UnmarshalText(b)
	}
	if err == nil && target != v {
		v.Set(target)
	}
	return err
}

// appendTimestamp writes t as the MessagePack timestamp extension (-1), in the
// smallest of its three forms.
func appendTimestamp(dst []byte, t time.Time) []byte {
	sec, nsec := t.Unix(), uint64(t.Nanosecond())
	switch {
	case sec>>34 == 0 && nsec == 0 && sec <= math.MaxUint32:
		return binary.BigEndian.AppendUint32(append(dst, 0xd6, 0xff), uint32(sec))
	case sec>>34 == 0:
		return binary.BigEndian.AppendUint64(append(dst, 0xd7, 0xff), nsec<<34|uint64(sec))
	}
	dst = binary.BigEndian.AppendUint32(append(dst, 0xc7, 12, 0xff), uint32(nsec))
	return binary.BigEndian.AppendUint64(dst, uint64(sec))
}

// readTimestamp reads the timestamp extension. Times come back in UTC, as
// ASP.NET Core treats them.
func readTimestamp(raw Raw) (time.Time, error) {
	var body []byte
	switch {
	case len(raw) == 6 && raw[0] == 0xd6 && raw[1] == 0xff:
		body = raw[2:]
	case len(raw) == 10 && raw[0] == 0xd7 && raw[1] == 0xff:
		body = raw[2:]
	case len(raw) == 15 && raw[0] == 0xc7 && raw[1] == 12 && raw[2] == 0xff:
		body = raw[3:]
	default:
		return time.Time{}, fmt.Errorf("protocol: cannot decode MessagePack 0x%02x into a Go time.Time", first(raw))
	}
	switch len(body) {
	case 4:
		return time.Unix(int64(binary.BigEndian.Uint32(body)), 0).UTC(), nil
	case 8:
		v := binary.BigEndian.Uint64(body)
		return time.Unix(int64(v&(1<<34-1)), int64(v>>34)).UTC(), nil
	}
	nsec := binary.BigEndian.Uint32(body)
	return time.Unix(int64(binary.BigEndian.Uint64(body[4:])), int64(nsec)).UTC(), nil
}

func first(raw Raw) byte {
	if len(raw) == 0 {
		return 0
	}
	return raw[0]
}

// Decode decodes the MessagePack value raw into v. Binding is strict, as in
// ASP.NET Core: a number does not become a string. Common types are read
// directly; the rest go through github.com/vmihailenco/msgpack/v5. A nil leaves
// a string or number unchanged.
func (*MessagePackProtocol) Decode(raw Raw, v any) error {
	if len(raw) == 0 {
		return fmt.Errorf("protocol: no value to decode")
	}
	switch p := v.(type) {
	case *string:
		if raw[0] == 0xc0 {
			return nil
		}
		s, err := decodeMPString(raw)
		*p = s
		return err
	case *bool:
		r := mpReader{data: raw}
		b, err := r.bool()
		if err != nil {
			return mpTypeError(raw, "bool")
		}
		*p = b
		return nil
	case *int:
		n, err := decodeMPInt(raw, strconv.IntSize)
		*p = int(n)
		return err
	case *int64:
		n, err := decodeMPInt(raw, 64)
		*p = n
		return err
	case *int32:
		n, err := decodeMPInt(raw, 32)
		*p = int32(n)
		return err
	case *float64:
		f, err := decodeMPFloat(raw)
		*p = f
		return err
	case *time.Time:
		if s, err := decodeMPString(raw); err == nil {
			t, err := parseTime(s)
			if err == nil {
				*p = t
			}
			return err
		}
		t, err := readTimestamp(raw)
		if err == nil {
			*p = t
		}
		return err
	case *Raw:
		*p = append((*p)[:0], raw...)
		return nil
	}
	registerTextTypes(reflect.TypeOf(v))
	return msgpack.Unmarshal(raw, v)
}

// DecodeString decodes a MessagePack string without a pointer; see
// JSONProtocol.DecodeString. A nil gives "".
func (*MessagePackProtocol) DecodeString(raw Raw) (string, error) {
	if len(raw) > 0 && raw[0] == 0xc0 {
		return "", nil
	}
	return decodeMPString(raw)
}

func decodeMPString(raw Raw) (string, error) {
	r := mpReader{data: raw}
	b, err := r.str()
	if err != nil || b == nil {
		return "", mpTypeError(raw, "string")
	}
	return string(b), nil
}

func decodeMPInt(raw Raw, bits int) (int64, error) {
	r := mpReader{data: raw}
	n, err := r.int()
	if err != nil || bits < 64 && (n < -1<<(bits-1) || n >= 1<<(bits-1)) {
		return 0, mpTypeError(raw, fmt.Sprintf("int%d", bits))
	}
	return n, nil
}

func decodeMPFloat(raw Raw) (float64, error) {
	switch {
	case raw[0] == 0xcb && len(raw) == 9:
		return math.Float64frombits(binary.BigEndian.Uint64(raw[1:])), nil
	case raw[0] == 0xca && len(raw) == 5:
		return float64(math.Float32frombits(binary.BigEndian.Uint32(raw[1:]))), nil
	}
	n, err := decodeMPInt(raw, 64)
	if err != nil {
		return 0, mpTypeError(raw, "float64")
	}
	return float64(n), nil
}

func mpTypeError(raw Raw, goType string) error {
	return fmt.Errorf("protocol: cannot decode MessagePack 0x%02x into a Go %s", first(raw), goType)
}
