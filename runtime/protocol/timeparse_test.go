package protocol

import (
	"reflect"
	"testing"
	"time"

	"github.com/vmihailenco/msgpack/v5"
)

type timed struct {
	Name  string
	At    time.Time
	Times []time.Time
	Ptr   *time.Time
}

var (
	t22    = time.Date(2019, 6, 3, 22, 0, 0, 0, time.UTC)
	t22f   = time.Date(2019, 6, 3, 22, 0, 0, 123456700, time.UTC)
	t22off = time.Date(2019, 6, 3, 22, 0, 0, 0, time.FixedZone("", 2*3600))
)

func TestDecodeTimeWithoutOffset(t *testing.T) {
	ptr := t22f
	tests := []struct {
		name string
		json string
		mp   any // what a .NET client sends, encoded by msgpack.Marshal
		into func() any
		want any
	}{
		{"top, no offset", `"2019-06-03T22:00:00"`, "2019-06-03T22:00:00", func() any { return new(time.Time) }, t22},
		{"top, fraction", `"2019-06-03T22:00:00.1234567"`, "2019-06-03T22:00:00.1234567", func() any { return new(time.Time) }, t22f},
		{"top, Z", `"2019-06-03T22:00:00Z"`, "2019-06-03T22:00:00Z", func() any { return new(time.Time) }, t22},
		{"top, offset", `"2019-06-03T22:00:00+02:00"`, "2019-06-03T22:00:00+02:00", func() any { return new(time.Time) }, t22off},
		{"struct", `{"Name":"2019-06-03T22:00:00","At":"2019-06-03T22:00:00","Times":["2019-06-03T22:00:00.1234567","2019-06-03T22:00:00Z"],"Ptr":"2019-06-03T22:00:00.1234567"}`,
			map[string]any{"Name": "2019-06-03T22:00:00", "At": "2019-06-03T22:00:00", "Times": []any{"2019-06-03T22:00:00.1234567", "2019-06-03T22:00:00Z"}, "Ptr": "2019-06-03T22:00:00.1234567"},
			func() any { return new(timed) }, timed{Name: "2019-06-03T22:00:00", At: t22, Times: []time.Time{t22f, t22}, Ptr: &ptr}},
		{"string field before time", `{"Name":"2019-06-03T22:00:00.1234567","Ptr":"2019-06-03T22:00:00.1234567"}`,
			map[string]any{"Name": "2019-06-03T22:00:00.1234567", "Ptr": "2019-06-03T22:00:00.1234567"},
			func() any { return new(timed) }, timed{Name: "2019-06-03T22:00:00.1234567", Ptr: &ptr}},
		{"slice", `["2019-06-03T22:00:00","2019-06-03T22:00:00.1234567"]`, []any{"2019-06-03T22:00:00", "2019-06-03T22:00:00.1234567"},
			func() any { return new([]time.Time) }, []time.Time{t22, t22f}},
		{"slice of structs", `[{"At":"2019-06-03T22:00:00"},{"At":"2019-06-03T22:00:00.1234567"}]`,
			[]any{map[string]any{"At": "2019-06-03T22:00:00"}, map[string]any{"At": "2019-06-03T22:00:00.1234567"}},
			func() any { return new([]timed) }, []timed{{At: t22}, {At: t22f}}},
		{"map", `{"a":"2019-06-03T22:00:00"}`, map[string]any{"a": "2019-06-03T22:00:00"},
			func() any { return new(map[string]time.Time) }, map[string]time.Time{"a": t22}},
	}
	for _, tt := range tests {
		for _, p := range []Protocol{JSON, MessagePack} {
			t.Run(tt.name+"/"+p.Name(), func(t *testing.T) {
				raw := Raw(tt.json)
				if p == MessagePack {
					b, err := msgpack.Marshal(tt.mp)
					if err != nil {
						t.Fatal(err)
					}
					raw = b
				}
				v := tt.into()
				if err := p.Decode(raw, v); err != nil {
					t.Fatalf("Decode: %v", err)
				}
				got := reflect.ValueOf(v).Elem().Interface()
				if !timesEqual(got, tt.want) {
					t.Errorf("got %#v, want %#v", got, tt.want)
				}
			})
		}
	}
}

// timesEqual compares with time.Time.Equal and the offset of each time.
func timesEqual(a, b any) bool {
	return reflect.DeepEqual(normalize(reflect.ValueOf(a)), normalize(reflect.ValueOf(b)))
}

func normalize(v reflect.Value) any {
	if v.Type() == reflect.TypeFor[time.Time]() {
		t := v.Interface().(time.Time)
		_, off := t.Zone()
		return [2]any{t.UnixNano(), off}
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return nil
		}
		return normalize(v.Elem())
	case reflect.Slice:
		out := []any{}
		for i := range v.Len() {
			out = append(out, normalize(v.Index(i)))
		}
		return out
	case reflect.Map:
		out := map[any]any{}
		for it := v.MapRange(); it.Next(); {
			out[it.Key().Interface()] = normalize(it.Value())
		}
		return out
	case reflect.Struct:
		out := []any{}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				out = append(out, normalize(v.Field(i)))
			}
		}
		return out
	}
	return v.Interface()
}

func TestDecodeTimeErrors(t *testing.T) {
	tests := []struct{ name, json string }{
		{"date only", `"2019-06-03"`},
		{"space", `"2019-06-03 22:00:00"`},
		{"bad hour", `"2019-06-03T25:00:00"`},
		{"nested bad", `{"At":"2019-06-03T25:00:00"}`},
		{"nested after a fix", `{"At":"2019-06-03T22:00:00","Times":["x"]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v timed
			if err := JSON.Decode(Raw(tt.json), &v); err == nil {
				t.Errorf("JSON: no error, got %+v", v)
			}
			b, _ := msgpack.Marshal(tt.json[1 : len(tt.json)-1])
			var tm time.Time
			if tt.json[0] == '"' && MessagePack.Decode(b, &tm) == nil {
				t.Errorf("MessagePack: no error, got %v", tm)
			}
		})
	}
}

type tagged struct {
	When   time.Time            `json:"when"`
	Skip   time.Time            `json:"-"`
	ByTime map[time.Time]string `json:"byTime"`
	Arr    [1]time.Time
	hidden int
}

type Embeds struct{ At time.Time }

type outer struct {
	Embeds
	Node *node
}

type node struct {
	At   time.Time
	Next *node
}

func TestDecodeTimeWithoutOffsetJSONShapes(t *testing.T) {
	tests := []struct {
		name string
		json string
		into func() any
		want any
	}{
		{"tags, map keys, array", `{"when":"2019-06-03T22:00:00","Skip":"x","byTime":{"2019-06-03T22:00:00.1234567":"a"},"Arr":["2019-06-03T22:00:00"]}`,
			func() any { return &tagged{hidden: 7} }, tagged{hidden: 7, When: t22, ByTime: map[time.Time]string{t22f: "a"}, Arr: [1]time.Time{t22}}},
		{"embedded, recursive", `{"At":"2019-06-03T22:00:00","Node":{"At":"2019-06-03T22:00:00.1234567","Next":{"At":"2019-06-03T22:00:00Z"}}}`,
			func() any { return new(outer) }, outer{Embeds: Embeds{At: t22}, Node: &node{At: t22f, Next: &node{At: t22}}}},
		{"prefilled slice and pointer", `{"At":"2019-06-03T22:00:00"}`,
			func() any { return &timed{Name: "kept", Times: []time.Time{t22f}} }, timed{Name: "kept", At: t22, Times: []time.Time{t22f}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := tt.into()
			if err := JSON.Decode(Raw(tt.json), v); err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if tg, ok := v.(*tagged); ok && tg.hidden != 7 {
				t.Errorf("unexported field changed to %d", tg.hidden)
			}
			if got := reflect.ValueOf(v).Elem().Interface(); !timesEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}
