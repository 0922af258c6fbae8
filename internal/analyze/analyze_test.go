package analyze

import (
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/hubgen/hubgen/internal/diag"
	"github.com/hubgen/hubgen/internal/load"
	"github.com/hubgen/hubgen/internal/model"
)

// The standard library is type-checked from source once, for all tests.
var (
	fset = token.NewFileSet()
	std  = importer.ForCompiler(fset, "source", nil)
)

// check type-checks src as the only file of package c, importing the
// standard library packages it mentions.
func check(t *testing.T, src string) *load.Package {
	t.Helper()
	var imports []string
	for _, p := range []string{"context", "encoding/json", "fmt", "iter", "time", "unsafe"} {
		if strings.Contains(src, p[strings.LastIndex(p, "/")+1:]+".") {
			imports = append(imports, `"`+p+`"`)
		}
	}
	full := "package c\n\nimport (\n" + strings.Join(imports, "\n") + "\n)\n\n" + src
	f, err := parser.ParseFile(fset, "c.go", full, parser.ParseComments)
	if err != nil {
		t.Fatalf("%v\n%s", err, full)
	}
	conf := types.Config{Importer: std}
	pkg, err := conf.Check("example.com/c", fset, []*ast.File{f}, nil)
	if err != nil {
		t.Fatalf("%v\n%s", err, full)
	}
	return load.New("example.com/c", "c", "/c", fset, pkg, []*ast.File{f})
}

type tableCase struct {
	name           string
	src            string
	server, client string
	kinds          map[string]model.Kind // method → kind, for methods of either interface
	wires          map[string]string     // method → wire name
	codes          []diag.Code           // the diagnostics, in order
}

var table = []tableCase{
	{
		name:   "shapes",
		src:    `type S interface { V(ctx context.Context) error; R(ctx context.Context, n int) (string, error) }; type C interface { Send(ctx context.Context, s string) error; Result(ctx context.Context) (int, error) }`,
		server: "S", client: "C",
		kinds: map[string]model.Kind{"V": model.Invoke, "R": model.Invoke, "Send": model.Send, "Result": model.ClientResult},
	},
	{
		name:   "server stream",
		src:    `type S interface { Down(ctx context.Context) iter.Seq2[int, error]; Count(ctx context.Context, from int, to *int) iter.Seq2[[]string, error] }`,
		server: "S", kinds: map[string]model.Kind{"Down": model.ServerStream, "Count": model.ServerStream},
	},
	{
		name:   "server stream with an error",
		src:    `type S interface { Down(ctx context.Context, n int) (iter.Seq2[int, error], error); Map(ctx context.Context, k int, in iter.Seq2[string, error]) (iter.Seq2[string, error], error) }`,
		server: "S", kinds: map[string]model.Kind{"Down": model.ServerStream, "Map": model.ServerStream},
	},
	{
		name:   "client stream",
		src:    `type S interface { Up(ctx context.Context, s iter.Seq2[int, error]) error; Sum(ctx context.Context, scale float64, s iter.Seq2[int, error]) (int, error) }`,
		server: "S", kinds: map[string]model.Kind{"Up": model.ClientStream, "Sum": model.ClientStream},
	},
	{
		name:   "uploads and a stream result",
		src:    `type S interface { Map(ctx context.Context, in iter.Seq2[int, error], k int, more iter.Seq2[string, error]) iter.Seq2[string, error] }`,
		server: "S", kinds: map[string]model.Kind{"Map": model.ServerStream},
	},
	{
		name:   "stream aliases",
		src:    `type Ints = iter.Seq2[int, error]; type Seq2[T any] = iter.Seq2[T, error]; type S interface { Down(ctx context.Context) Ints; Up(ctx context.Context, s Seq2[int]) error }`,
		server: "S", kinds: map[string]model.Kind{"Down": model.ServerStream, "Up": model.ClientStream},
	},
	{
		name:   "stream on the client",
		src:    `type C interface { Feed(ctx context.Context) iter.Seq2[int, error] }`,
		client: "C", codes: []diag.Code{diag.ClientStream},
	},
	{
		name:   "stream with an error on the client",
		src:    `type C interface { Feed(ctx context.Context) (iter.Seq2[int, error], error); Both(ctx context.Context, s iter.Seq2[int, error]) (iter.Seq2[int, error], error) }`,
		client: "C", codes: []diag.Code{diag.ClientStream, diag.ClientStream},
	},
	{
		name:   "upload on the client",
		src:    `type C interface { Take(ctx context.Context, s iter.Seq2[int, error]) error; Ask(ctx context.Context, s iter.Seq2[int, error]) (int, error) }`,
		client: "C", codes: []diag.Code{diag.ClientStream, diag.ClientStream},
	},
	{
		name:   "malformed streams",
		src:    `type S interface { A(ctx context.Context) iter.Seq[int]; B(ctx context.Context) iter.Seq2[int, string]; C(ctx context.Context) (iter.Seq2[int, string], error); D(ctx context.Context, s iter.Seq[int]) error; E(ctx context.Context, s iter.Seq2[string, bool]) error; F(ctx context.Context) (iter.Seq[int], error); G(ctx context.Context) (iter.Seq2[int, error], int, error) }`,
		server: "S", codes: []diag.Code{diag.BadStream, diag.BadStream, diag.BadStream, diag.BadStream, diag.BadStream, diag.BadStream, diag.TooManyResults},
	},
	{
		name:   "stream elements off the wire",
		src:    `type S interface { A(ctx context.Context) iter.Seq2[chan int, error]; B(ctx context.Context, s iter.Seq2[func(), error]) error; C(ctx context.Context) iter.Seq2[iter.Seq2[int, error], error] }`,
		server: "S", codes: []diag.Code{diag.NotWire, diag.NotWire, diag.NotWire},
	},
	{
		name:   "embedded and aliased",
		src:    `type Base interface { Ping(ctx context.Context) error }; type B = Base; type S interface { B; Pong(ctx context.Context) error }; type A = S`,
		server: "A", kinds: map[string]model.Kind{"Ping": model.Invoke, "Pong": model.Invoke},
	},
	{
		name: "wire types",
		src: `type ID string
type Node struct { Next *Node; Kids []Node; hidden chan int; Skip func() ` + "`json:\"-\" msgpack:\"-\"`" + ` }
type Stamp struct{ C chan int }
func (*Stamp) UnmarshalJSON([]byte) error { return nil }
func (Stamp) MarshalJSON() ([]byte, error) { return nil, nil }
type Pair[K comparable, V any] struct { K K; V V }
type S interface {
	M(ctx context.Context, a bool, b int8, c uint64, d float32, e string, f []byte, g [3]int, h map[ID]*Node, i any, j interface{}, k time.Time, l json.RawMessage, m Stamp, n Pair[ID, []string], o struct{ X int }) (map[string]any, error)
}`,
		server: "S", kinds: map[string]model.Kind{"M": model.Invoke},
	},
	{
		name:   "wire name",
		src:    "type S interface {\n// M is renamed.\n//hubgen:name m2\nM(ctx context.Context) error\n}",
		server: "S", wires: map[string]string{"M": "m2"},
	},
	{name: "not found", src: `type S interface{ M(ctx context.Context) error }`, server: "T", codes: []diag.Code{diag.NotFound}},
	{name: "struct", src: `type S struct{}`, server: "S", codes: []diag.Code{diag.NotInterface}},
	{name: "function", src: `func S() {}`, client: "S", codes: []diag.Code{diag.NotInterface}},
	{name: "constraint", src: `type S interface{ ~int }`, server: "S", codes: []diag.Code{diag.NotInterface}},
	{name: "generic", src: `type S[T any] interface{ M(ctx context.Context, v T) error }`, server: "S", codes: []diag.Code{diag.Generic}},
	{name: "empty", src: `type S interface{}`, client: "S", codes: []diag.Code{diag.NoMethods}},
	{name: "unexported interface", src: `type s interface{ M(ctx context.Context) error }`, server: "s", codes: []diag.Code{diag.UnexportedIface}},
	{name: "swapped", src: `type ClockHub interface{ Now(ctx context.Context) (int, error) }; type Clock interface{ Show(ctx context.Context, n int) error }`, server: "Clock", client: "ClockHub", codes: []diag.Code{diag.Swapped}},
	{name: "not swapped", src: `type ClockHub interface{ Now(ctx context.Context) (int, error) }; type Clock interface{ Show(ctx context.Context, n int) error }`, server: "ClockHub", client: "Clock"},
	{name: "two hubs", src: `type AHub interface{ A(ctx context.Context) error }; type BHub interface{ B(ctx context.Context) error }`, server: "AHub", client: "BHub"},
	{name: "no field crosses", src: `type O struct{ a, b int }; type S interface{ M(ctx context.Context, o O) error }`, server: "S", codes: []diag.Code{diag.NotWire}},
	{name: "empty struct", src: `type O struct{}; type S interface{ M(ctx context.Context, o O) error }`, server: "S"},
	{name: "json-only tag", src: `type O struct{ N int; C chan int ` + "`json:\"-\"`" + ` }; type S interface{ M(ctx context.Context, o O) error }`, server: "S", codes: []diag.Code{diag.NotWire}},
	{name: "tagged for both", src: `type O struct{ N int; C chan int ` + "`json:\"-\" msgpack:\"-\"`" + ` }; type S interface{ M(ctx context.Context, o O) error }`, server: "S"},
	{name: "unexported", src: `type S interface{ m(ctx context.Context) error }`, server: "S", codes: []diag.Code{diag.Unexported}},
	{name: "no ctx", src: `type S interface{ M(n int) error }`, server: "S", codes: []diag.Code{diag.NoContext}},
	{name: "no params", src: `type S interface{ M() error }`, server: "S", codes: []diag.Code{diag.NoContext}},
	{name: "no error", src: `type S interface{ M(ctx context.Context) int }`, server: "S", codes: []diag.Code{diag.NoError}},
	{name: "no results", src: `type S interface{ M(ctx context.Context) }`, server: "S", codes: []diag.Code{diag.NoError}},
	{name: "error first", src: `type S interface{ M(ctx context.Context) (error, int) }`, server: "S", codes: []diag.Code{diag.NoError}},
	{name: "too many results", src: `type S interface{ M(ctx context.Context) (int, int, error) }`, server: "S", codes: []diag.Code{diag.TooManyResults}},
	{name: "variadic", src: `type S interface{ M(ctx context.Context, xs ...int) error }`, server: "S", codes: []diag.Code{diag.Variadic}},
	{name: "late ctx", src: `type S interface{ M(ctx context.Context, c context.Context) error }`, server: "S", codes: []diag.Code{diag.LateContext}},
	{name: "chan", src: `type S interface{ M(ctx context.Context, c chan int) error }`, server: "S", codes: []diag.Code{diag.NotWire}},
	{name: "func result", src: `type C interface{ M(ctx context.Context) (func(), error) }`, client: "C", codes: []diag.Code{diag.NotWire}},
	{name: "complex", src: `type S interface{ M(ctx context.Context, z complex64) error }`, server: "S", codes: []diag.Code{diag.NotWire}},
	{name: "unsafe", src: `type S interface{ M(ctx context.Context, p unsafe.Pointer, u uintptr) error }`, server: "S", codes: []diag.Code{diag.NotWire, diag.NotWire}},
	{name: "float keys", src: `type S interface{ M(ctx context.Context, m map[float64]string) error }`, server: "S", codes: []diag.Code{diag.NotWire}},
	{name: "struct keys", src: `type K struct{ A int }; type S interface{ M(ctx context.Context, m map[K]string) error }`, server: "S", codes: []diag.Code{diag.NotWire}},
	{name: "uintptr keys", src: `type S interface{ M(ctx context.Context, m map[uintptr]string) error }`, server: "S", codes: []diag.Code{diag.NotWire}},
	{name: "error param", src: `type S interface{ M(ctx context.Context, err error) error }`, server: "S", codes: []diag.Code{diag.NotWire}},
	{name: "interface param", src: `type S interface{ M(ctx context.Context, s fmt.Stringer) error }`, server: "S", codes: []diag.Code{diag.NotWire}},
	{name: "nested field", src: `type In struct{ F func() }; type Out struct{ In In }; type S interface{ M(ctx context.Context, o []Out) error }`, server: "S", codes: []diag.Code{diag.NotWire}},
	{name: "embedded field", src: `type in struct{ C chan int }; type Out struct{ in }; type S interface{ M(ctx context.Context, o Out) error }`, server: "S", codes: []diag.Code{diag.NotWire}},
	{name: "nested stream", src: `type S interface{ M(ctx context.Context, s []iter.Seq2[int, error]) error }`, server: "S", codes: []diag.Code{diag.NotWire}},
	{name: "bad directive", src: "type S interface {\n//hubgen:name\nA(ctx context.Context) error\n//hubgen:name a b\nB(ctx context.Context) error\n//hubgen:name 1c\nC(ctx context.Context) error\n//hubgen:name d\n//hubgen:name e\nD(ctx context.Context) error\n}", server: "S", codes: []diag.Code{diag.BadDirective, diag.BadDirective, diag.BadDirective, diag.BadDirective}},
	{name: "unknown directive", src: "type S interface {\n//hubgen:nmae x\nA(ctx context.Context) error\n}", server: "S", codes: []diag.Code{diag.UnknownDirective}},
	{name: "duplicate wire", src: "type S interface {\nFoo(ctx context.Context) error\n//hubgen:name FOO\nBar(ctx context.Context) error\n}", server: "S", codes: []diag.Code{diag.DuplicateWire}},
	{name: "duplicate go names", src: "type S interface {\nFoo(ctx context.Context) error\nFOO(ctx context.Context) error\n}", server: "S", codes: []diag.Code{diag.DuplicateWire}},
	{name: "name taken", src: `type S interface{ M(ctx context.Context) error }; type SServer struct{}; var NewSClient = 1`, server: "S", codes: []diag.Code{diag.NameTaken, diag.NameTaken}},
	{name: "name clash", src: `type S interface{ M(ctx context.Context) error }`, server: "S", client: "S", codes: []diag.Code{diag.NameClash}},
	{name: "shadowed", src: `type S interface{ M(ctx context.Context) error }; type nil struct{}`, server: "S", codes: []diag.Code{diag.Shadowed}},
	{
		name:   "all problems at once",
		src:    `type S interface{ A(n int); B(ctx context.Context, c chan int) (int, int, error); c(ctx context.Context) error }`,
		server: "S", codes: []diag.Code{diag.NoError, diag.NoContext, diag.NotWire, diag.TooManyResults, diag.Unexported},
	},
}

func TestAnalyze(t *testing.T) {
	for _, tc := range table {
		t.Run(tc.name, func(t *testing.T) {
			spec, ds := Analyze(check(t, tc.src), Config{Server: tc.server, Client: tc.client})
			var codes []diag.Code
			for _, d := range ds {
				codes = append(codes, d.Code)
			}
			if !slices.Equal(codes, tc.codes) {
				t.Errorf("codes %v, want %v\n%s", codes, tc.codes, ds)
			}
			methods := make(map[string]model.Method)
			for _, it := range []*model.Interface{spec.Server, spec.Client} {
				if it != nil {
					for _, m := range it.Methods {
						methods[m.Name] = m
					}
				}
			}
			for name, kind := range tc.kinds {
				m, ok := methods[name]
				if !ok && len(tc.codes) == 0 {
					t.Errorf("no method %s in the spec", name)
				}
				if ok && m.Kind != kind {
					t.Errorf("%s is %s, want %s", name, m.Kind, kind)
				}
			}
			for name, wire := range tc.wires {
				if got := methods[name].Wire; got != wire {
					t.Errorf("%s's wire name is %q, want %q", name, got, wire)
				}
			}
		})
	}
}

// TestStreams checks the model of streaming methods: a stream result's element
// type, and upload parameters marked Stream in their places among the others.
func TestStreams(t *testing.T) {
	p := check(t, `type Item struct{ N int }
type S interface {
	Down(ctx context.Context, n int) iter.Seq2[string, error]
	Up(ctx context.Context, s iter.Seq2[int, error]) error
	Both(ctx context.Context, a iter.Seq2[Item, error], k int, b iter.Seq2[[]byte, error]) iter.Seq2[*Item, error]
	Early(ctx context.Context, n int, s iter.Seq2[int, error]) (iter.Seq2[string, error], error)
}`)
	spec, ds := Analyze(p, Config{Server: "S"})
	if len(ds) > 0 {
		t.Fatal(ds)
	}
	type param struct {
		name, typ string
		stream    bool
	}
	for _, m := range spec.Server.Methods {
		var params []param
		for _, p := range m.Params {
			params = append(params, param{p.Name, p.Type.String(), p.Stream})
		}
		var want []param
		var kind model.Kind
		var stream string
		switch m.Name {
		case "Down":
			kind, stream, want = model.ServerStream, "string", []param{{"n", "int", false}}
		case "Up":
			kind, want = model.ClientStream, []param{{"s", "int", true}}
		case "Both":
			kind, stream, want = model.ServerStream, "*c.Item", []param{{"a", "c.Item", true}, {"k", "int", false}, {"b", "[]byte", true}}
		case "Early":
			kind, stream, want = model.ServerStream, "string", []param{{"n", "int", false}, {"s", "int", true}}
		}
		if m.StreamErr != (m.Name == "Early") {
			t.Errorf("%s: StreamErr = %v", m.Name, m.StreamErr)
		}
		if m.Kind != kind || m.Result != nil || !slices.Equal(params, want) {
			t.Errorf("%s: kind %s, result %v, params %v; want %s, no result, %v", m.Name, m.Kind, m.Result, params, kind, want)
		}
		got := ""
		if m.Stream != nil {
			got = m.Stream.String()
		}
		if got != stream {
			t.Errorf("%s streams %q, want %q", m.Name, got, stream)
		}
		if m.Void() != (m.Name == "Up") {
			t.Errorf("%s: Void() = %v", m.Name, m.Void())
		}
	}
}

// TestTypes checks the model of each kind of type: aliases and named types
// keep their names.
func TestTypes(t *testing.T) {
	p := check(t, `type ID string
type Alias = ID
type Pair[K comparable, V any] struct{ K K; V V }
type S interface { M(ctx context.Context, a Alias, b map[ID][]*time.Time, c Pair[ID, [2]byte], d interface{}, e struct{ X int `+"`json:\"x\"`"+`; ID }) (any, error) }`)
	spec, ds := Analyze(p, Config{Server: "S"})
	if len(ds) > 0 {
		t.Fatal(ds)
	}
	m := spec.Server.Methods[0]
	var got []string
	for _, p := range m.Params {
		got = append(got, p.Type.String())
	}
	got = append(got, m.Result.String())
	want := []string{"c.Alias", "map[c.ID][]*time.Time", "c.Pair[c.ID, [2]byte]", "any", "struct{X int \"json:\\\"x\\\"\"; c.ID}", "any"}
	if !slices.Equal(got, want) {
		t.Errorf("types\n got %q\nwant %q", got, want)
	}
}

func TestPositions(t *testing.T) {
	p := check(t, "type S interface {\n\tM(ctx context.Context, ok int, bad chan int) error\n}")
	_, ds := Analyze(p, Config{Server: "S"})
	if len(ds) != 1 || ds[0].String() != "c.go:8:33: method M: parameter bad has type chan int; channels cannot cross the wire; to stream values, take or return iter.Seq2[T, error] (as the whole parameter, or the whole result) (HG020)" {
		t.Errorf("got %s", ds)
	}
}

// Names declared in the file being generated are not taken.
func TestOutputReplaced(t *testing.T) {
	p := check(t, `type S interface{ M(ctx context.Context) error }; type SServer struct{}`)
	if _, ds := Analyze(p, Config{Server: "S", Output: "c.go"}); len(ds) != 0 {
		t.Errorf("got %s", ds)
	}
}

// TestEveryCode checks that the table tests every code but HG001 (which the
// load package's tests cover) and that the package doc lists every code.
func TestEveryCode(t *testing.T) {
	seen := map[diag.Code]bool{diag.Load: true}
	for _, tc := range table {
		for _, c := range tc.codes {
			seen[c] = true
		}
	}
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range diag.Codes {
		if !seen[c] {
			t.Errorf("no table case for %s", c)
		}
		if !strings.Contains(string(doc), "//\t"+string(c)+"  ") {
			t.Errorf("doc.go does not document %s", c)
		}
	}
}
