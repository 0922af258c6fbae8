package protocol

import (
	"encoding"
	"encoding/json"
	"errors"
	"reflect"
	"sync"
	"time"

	"github.com/vmihailenco/msgpack/v5"
)

// Times without an offset.
//
// A .NET client writes a DateTime of unspecified kind without an offset, as in
// "2019-06-03T22:00:00" or "2019-06-03T22:00:00.1234567". Go's time.Time
// accepts only RFC 3339, which requires one. Both protocols' Decode accept such
// a string wherever a time.Time is decoded, and read it as UTC.
//
// JSON: encoding/json calls time.Time.UnmarshalJSON for a nested time, so Decode
// cannot intercept it. Instead, when a decode fails with a *time.ParseError for
// a value without an offset, Decode decodes again into a mirror of the target
// type, built with reflect, in which every time.Time is a type that accepts
// both forms, and copies the result into the target. Field names and tags are
// the same, so encoding/json binds the same fields; only times change. This
// costs nothing when the first decode succeeds.
//
// MessagePack: a time.Time normally arrives as the timestamp extension; a
// string, with or without an offset, is also accepted, at the top and nested.
// For nested values this package registers, when it is loaded, a decoder for
// time.Time with github.com/vmihailenco/msgpack/v5, which is process-wide.

// offsetlessLayout parses a .NET DateTime of unspecified kind; Go's parser
// accepts fractional seconds after the seconds without saying so in the layout.
const offsetlessLayout = "2006-01-02T15:04:05"

// parseOffsetless parses s as a date and time without an offset, in UTC.
func parseOffsetless(s string) (time.Time, bool) {
	if len(s) < len(offsetlessLayout) || len(s) > len(offsetlessLayout)+10 {
		return time.Time{}, false
	}
	t, err := time.ParseInLocation(offsetlessLayout, s, time.UTC)
	return t, err == nil
}

// parseTime parses s as RFC 3339 or, failing that, without an offset as UTC.
func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err == nil {
		return t, nil
	}
	if u, ok := parseOffsetless(s); ok {
		return u, nil
	}
	return time.Time{}, err
}

// decodeJSONTime decodes a JSON string into *p, with or without an offset.
func decodeJSONTime(raw Raw, p *time.Time) error {
	err := p.UnmarshalJSON(raw)
	if err != nil && len(raw) >= 2 && raw[0] == '"' {
		if t, ok := parseOffsetless(string(raw[1 : len(raw)-1])); ok {
			*p = t
			return nil
		}
	}
	return err
}

// unmarshalJSON is json.Unmarshal that also accepts times without an offset.
// Only when a first decode fails on such a time does it decode again, into a
// mirror of v's type; see mirrorType.
func unmarshalJSON(raw Raw, v any) error {
	err := json.Unmarshal(raw, v)
	var pe *time.ParseError
	if err == nil || !errors.As(err, &pe) {
		return err
	}
	if _, ok := parseOffsetless(pe.Value); !ok {
		return err
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return err
	}
	mt := mirrorType(rv.Type().Elem())
	if mt == rv.Type().Elem() {
		return err
	}
	m := reflect.New(mt)
	convert(m.Elem(), rv.Elem())
	if err := json.Unmarshal(raw, m.Interface()); err != nil {
		return err
	}
	convert(rv.Elem(), m.Elem())
	return nil
}

// lenientTime is a time.Time that decodes from JSON with or without an offset.
type lenientTime time.Time

func (t *lenientTime) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	return decodeJSONTime(b, (*time.Time)(t))
}

func (t *lenientTime) UnmarshalText(b []byte) error {
	u, err := parseTime(string(b))
	if err == nil {
		*t = lenientTime(u)
	}
	return err
}

var (
	timeType      = reflect.TypeFor[time.Time]()
	lenientType   = reflect.TypeFor[lenientTime]()
	unmarshalers  = []reflect.Type{reflect.TypeFor[json.Unmarshaler](), reflect.TypeFor[encoding.TextUnmarshaler]()}
	mirrors       sync.Map // reflect.Type to its mirror
	mirrorsLocked sync.Mutex
)

// mirrorType returns t with each time.Time in it, through structs, pointers,
// slices, arrays and maps, replaced by lenientTime, or t itself when it has
// none. Field names and tags stay, so encoding/json matches fields as it does
// for t. A type with its own decoding method is kept as it is; so are
// interfaces, a struct with an unexported embedded field, and a type met again
// inside itself (times in the deeper levels of a recursive type stay strict).
func mirrorType(t reflect.Type) reflect.Type {
	if m, ok := mirrors.Load(t); ok {
		return m.(reflect.Type)
	}
	mirrorsLocked.Lock()
	defer mirrorsLocked.Unlock()
	m := mirrorOf(t, map[reflect.Type]bool{})
	mirrors.Store(t, m)
	return m
}

func mirrorOf(t reflect.Type, seen map[reflect.Type]bool) reflect.Type {
	if t == timeType {
		return lenientType
	}
	for _, u := range unmarshalers {
		if t.Kind() != reflect.Pointer && reflect.PointerTo(t).Implements(u) {
			return t
		}
	}
	if seen[t] {
		return t
	}
	seen[t] = true
	defer delete(seen, t)
	switch t.Kind() {
	case reflect.Pointer:
		if e := mirrorOf(t.Elem(), seen); e != t.Elem() {
			return reflect.PointerTo(e)
		}
	case reflect.Slice:
		if e := mirrorOf(t.Elem(), seen); e != t.Elem() {
			return reflect.SliceOf(e)
		}
	case reflect.Array:
		if e := mirrorOf(t.Elem(), seen); e != t.Elem() {
			return reflect.ArrayOf(t.Len(), e)
		}
	case reflect.Map:
		k, e := mirrorOf(t.Key(), seen), mirrorOf(t.Elem(), seen)
		if k != t.Key() || e != t.Elem() {
			return reflect.MapOf(k, e)
		}
	case reflect.Struct:
		var fields []reflect.StructField
		changed := false
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				if f.Anonymous {
					return t
				}
				continue // encoding/json ignores it
			}
			if m := mirrorOf(f.Type, seen); m != f.Type {
				f.Type, changed = m, true
			}
			f.Index, f.Offset = nil, 0
			fields = append(fields, f)
		}
		if changed {
			return reflect.StructOf(fields)
		}
	}
	return t
}

// convert copies src into dst, where one's type is the other's mirror.
func convert(dst, src reflect.Value) {
	switch {
	case dst.Type() == src.Type():
		dst.Set(src)
		return
	case dst.Type() == lenientType || src.Type() == lenientType:
		dst.Set(src.Convert(dst.Type()))
		return
	}
	switch dst.Kind() {
	case reflect.Pointer:
		if src.IsNil() {
			dst.SetZero()
			return
		}
		if dst.IsNil() {
			dst.Set(reflect.New(dst.Type().Elem()))
		}
		convert(dst.Elem(), src.Elem())
	case reflect.Slice:
		if src.IsNil() {
			dst.SetZero()
			return
		}
		s := reflect.MakeSlice(dst.Type(), src.Len(), src.Len())
		for i := range src.Len() {
			convert(s.Index(i), src.Index(i))
		}
		dst.Set(s)
	case reflect.Array:
		for i := range src.Len() {
			convert(dst.Index(i), src.Index(i))
		}
	case reflect.Map:
		if src.IsNil() {
			dst.SetZero()
			return
		}
		m := reflect.MakeMapWithSize(dst.Type(), src.Len())
		for it := src.MapRange(); it.Next(); {
			k, e := reflect.New(dst.Type().Key()).Elem(), reflect.New(dst.Type().Elem()).Elem()
			convert(k, it.Key())
			convert(e, it.Value())
			m.SetMapIndex(k, e)
		}
		dst.Set(m)
	case reflect.Struct:
		for i := range src.NumField() {
			sf := src.Type().Field(i)
			if !sf.IsExported() {
				continue
			}
			if df, ok := dst.Type().FieldByName(sf.Name); ok && len(df.Index) == 1 {
				convert(dst.Field(df.Index[0]), src.Field(i))
			}
		}
	}
}

func init() {
	msgpack.Register(time.Time{}, nil, decodeMsgpackTime)
}

// decodeMsgpackTime decodes a nested time.Time for
// github.com/vmihailenco/msgpack/v5: the timestamp extension as before, or a
// string with or without an offset. A nil gives the zero time, as before.
func decodeMsgpackTime(d *msgpack.Decoder, v reflect.Value) error {
	c, err := d.PeekCode()
	if err != nil {
		return err
	}
	var t time.Time
	switch {
	case c == 0xc0:
		if err := d.DecodeNil(); err != nil {
			return err
		}
	case c >= 0xa0 && c <= 0xbf, c == 0xd9, c == 0xda, c == 0xdb:
		s, err := d.DecodeString()
		if err != nil {
			return err
		}
		if t, err = parseTime(s); err != nil {
			return err
		}
	default:
		if t, err = d.DecodeTime(); err != nil {
			return err
		}
		if t.IsZero() {
			t = t.UTC()
		}
	}
	v.Set(reflect.ValueOf(t))
	return nil
}
