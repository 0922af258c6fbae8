package chat

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/hubgen/hubgen/runtime/hub"
	"github.com/hubgen/hubgen/runtime/protocol"
)

// echo returns the generated hub.Method of Echo.
func echo(tb testing.TB) hub.Method {
	for _, m := range ChatHubMethods(&chatHub{}) {
		if m.Name == "Echo" {
			return m
		}
	}
	tb.Fatal("no Echo")
	return hub.Method{}
}

var raw = []protocol.Raw{protocol.Raw(`"hello, world"`)}

// BenchmarkDispatchGenerated calls Echo through its generated hub.Method.
func BenchmarkDispatchGenerated(b *testing.B) {
	m, ctx := echo(b), context.Background()
	b.ReportAllocs()
	for b.Loop() {
		res, err := m.Call(ctx, hub.NewArgs(protocol.JSON, raw))
		if err != nil || res.(string) != "hello, world" {
			b.Fatal(res, err)
		}
	}
}

// reflectTable is a reflection-based dispatcher, as hubs without generated
// code use: methods found by name, arguments decoded with encoding/json into
// reflect.New values, and a reflect.Value.Call.
type reflectTable map[string]reflect.Value

func newReflectTable(impl any) reflectTable {
	v, t := reflect.ValueOf(impl), reflect.TypeOf(impl)
	table := make(reflectTable, t.NumMethod())
	for i := range t.NumMethod() {
		table[t.Method(i).Name] = v.Method(i)
	}
	return table
}

func (t reflectTable) call(ctx context.Context, name string, args []json.RawMessage) (any, error) {
	m := t[name]
	mt := m.Type()
	in := make([]reflect.Value, mt.NumIn())
	in[0] = reflect.ValueOf(ctx)
	for i := 1; i < mt.NumIn(); i++ {
		p := reflect.New(mt.In(i))
		if err := json.Unmarshal(args[i-1], p.Interface()); err != nil {
			return nil, err
		}
		in[i] = p.Elem()
	}
	out := m.Call(in)
	err, _ := out[len(out)-1].Interface().(error)
	if len(out) == 1 {
		return nil, err
	}
	return out[0].Interface(), err
}

// BenchmarkDispatchReflect calls Echo through reflection.
func BenchmarkDispatchReflect(b *testing.B) {
	table, ctx := newReflectTable(&chatHub{}), context.Background()
	args := []json.RawMessage{json.RawMessage(raw[0])}
	b.ReportAllocs()
	for b.Loop() {
		res, err := table.call(ctx, "Echo", args)
		if err != nil || res.(string) != "hello, world" {
			b.Fatal(res, err)
		}
	}
}

// TestDispatchAllocs bounds the allocations of a generated dispatch: the
// decoded string (its header, which escapes, and its bytes) and the result
// boxed into an any.
func TestDispatchAllocs(t *testing.T) {
	m, ctx := echo(t), context.Background()
	allocs := testing.AllocsPerRun(1000, func() {
		if _, err := m.Call(ctx, hub.NewArgs(protocol.JSON, raw)); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 3 {
		t.Errorf("%v allocations per dispatch, want at most 3", allocs)
	}
}
