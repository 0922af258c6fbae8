// Package ts emits the TypeScript half of a hub (hubgen -ts DIR): from a
// model.Spec, one file for the official JavaScript client, npm
// @microsoft/signalr, rendered from the text/template files of package
// templates. The templates lay the file out; the helpers here compute every
// name, type and comment they write. Like the Go emitter, it checks nothing
// the analyzer has checked, and its output is deterministic.
//
// # The file
//
// For a server interface S and a client interface C, <lower-case S>.ts (or
// <lower-case C>.ts without S) holds:
//
//   - interface S, with a member per method, and createSProxy(connection:
//     HubConnection): S, whose members call the hub. A method that returns
//     error, or a value and error, invokes the hub (connection.invoke) and
//     returns a Promise of the result (void for error alone): even a method
//     without a result waits for the hub's completion, so that its errors
//     reject the promise; connection.send would lose them. A method that
//     returns iter.Seq2[T, error], alone or with an error, streams
//     (connection.stream) and returns an IStreamResult<T> that is also an
//     AsyncIterable<T>; it takes an optional AbortSignal last, and leaving
//     the loop, disposing the subscription or aborting the signal cancels
//     the stream (the hub method's ctx ends). A parameter iter.Seq2[T,
//     error] is an upload: a Subject<T> from @microsoft/signalr, or an
//     AsyncIterable<T> or Iterable<T>, whose items the proxy sends once the
//     invocation has started (so that awaiting the call does not wait for
//     items never sent), until the hub's method returns (or the stream it
//     answers with ends). The method invokes, and completes when the hub's
//     method returns after the upload completes. The helpers that do this
//     (stream, upload, uploading, streamUploading) are in the file, not
//     exported.
//   - interface C, with a member per method, and registerC(connection,
//     receiver: C): { dispose(): void }, which binds every method with
//     connection.on and unbinds them with connection.off. A method that
//     returns only error is one the hub sends (void | Promise<void>); one
//     that returns a value too is a client result, which receiver returns,
//     or returns a promise of (T | Promise<T>).
//   - the types the methods' parameters and results reach, sorted by name.
//
// Hubs of one package that write into one folder (go:generate lines with
// the same -ts, which internal/gen finds: Result.Hubs) share their types:
// GenerateShared writes them, for all the hubs, into <package>.types.ts,
// which each hub's file imports from instead of declaring them. Each line
// computes the file from all the lines, so each writes it alike: names and
// forms (sent, received) are chosen over every hub's interfaces.
//
// Members are the Go names in camelCase (ShowTime → showTime, HTTPStatus →
// httpStatus, IDs → ids); the wire names stay what the Go side uses, the Go
// name or a //hubgen:name. Parameters keep their Go names, renamed (with a
// number) when the name is reserved in TypeScript (new, in, this...) or is
// connection or receiver; parameters without names are arg1, arg2, ...
// Declared types keep their Go names unless two packages' types share one,
// or the name is TypeScript's own (Record, Promise, string...) or an
// interface's: then the name is prefixed with elements of the package path
// (geo.Shape → GeoShape).
//
// # Types: what encoding/json puts on the wire
//
// The types describe the JSON hub protocol, which the official client uses
// by default, as the Go side's encoding/json writes and reads it (see
// MessagePack below for the other):
//
//	Go                                   TypeScript
//	bool                                 boolean
//	string                               string
//	int*, uint*, float*                  number (int64 and uint64 beyond 2^53 lose precision in JavaScript)
//	[]byte (also a named byte type)      string, base64
//	[N]T                                 T[] (an array is never null)
//	[]T                                  T[] | null (a nil slice is null)
//	map[K]V, K a string type             Record<K, V> | null (a nil map is null)
//	*T                                   T | null
//	any, interface{}                     unknown
//	time.Time                            string, RFC 3339 (ISO 8601) with nanoseconds; string | Date where the client sends it
//	json.RawMessage                      unknown
//	json.Number                          number
//	a type with MarshalJSON              unknown (its own JSON, declared as type X = unknown)
//	a type with MarshalText              string (declared as type X = string)
//	struct                               an interface (or an object type literal, in place)
//	defined type T (type ID string)      type ID = string; struct types are interfaces
//	alias (type A = B)                   type A = B
//	generic type, alias and instances    interface Page<T> {...}; Page<Item>
//
// Null is part of a type where Go writes null for it, at the place of use:
// a field of type Tags (a named slice) is Tags | null, and a declaration is
// written without the null (type Tags = string[]). So that a value the Go
// side never sets to nil has no null, tag the field omitempty, or use an
// array.
//
// # Sent and received
//
// What the client sends (a server method's parameters, uploads included,
// and a client result) may hold a Date where Go has a time.Time: the
// official client writes it with JSON.stringify, as ISO 8601, which Go
// reads. What it receives (results, streams, a client method's parameters)
// holds the string Go writes. A time.Time in a signature is then string |
// Date or string. A declaration that reaches a time.Time (in a field, an
// element, through other declarations) has two forms when it is used both
// ways: X, what arrives, and XInput, what is sent, whose times are string |
// Date and whose declarations are their Input forms. An X is an XInput, so a
// value received may be sent back as it is. A declaration only sent is one
// declaration, X, with string | Date; one only received has string. The
// rule is per declaration, not per field, so that each name means one shape.
//
// Struct fields follow encoding/json's rules: the json tag's name (an invalid
// one is ignored), else the Go name; `json:"-"` and unexported fields are
// left out; the fields of embedded structs (also unexported ones, and through
// pointers) are promoted into the struct, and of fields with the same name
// the shallowest wins, then the tagged one, else neither. A field is optional
// (name?: T) when Go may leave it out: omitzero; omitempty on a type that can
// be empty (anything but a struct, so time.Time with omitempty is always
// there); or promoted through an embedded pointer, absent when that is nil.
// An omitted nil is not null, so an omitempty pointer, slice or map is
// name?: T, without null. The string option writes a number or bool as a JSON
// string: string. Names that are not identifiers are quoted ("kebab-case").
//
// # MessagePack
//
// With the MessagePack hub protocol (@microsoft/signalr-protocol-msgpack),
// the same values arrive differently. With Protocol MessagePack (hubgen
// -ts-protocol messagepack), the types describe what the runtime's
// MessagePack codec (github.com/vmihailenco/msgpack under it) writes and
// reads instead:
//
//   - struct fields are named by their msgpack tags, else their Go names
//     (PascalCase, as .NET names them); json tags do not apply, so a
//     json:"-" field is there and a msgpack:"-" one is not, and only the
//     msgpack tag's omitempty makes a field optional (name?: T);
//   - an embedded struct is inlined, in field order, unless its tag says
//     noinline or one of its fields has the name of an earlier field (and
//     its tag does not say inline): then it is a field named by its type.
//     Fields inlined through a pointer are optional and may be null;
//   - time.Time is the timestamp extension, a Date, in both directions;
//   - []byte and [N]byte are bin, a Uint8Array; json.RawMessage too, and
//     json.Number is a string;
//   - the string option of a json tag does not apply;
//   - int64 and uint64 values beyond 2^53 lose precision as they do in JSON,
//     unless the client's decoder is set to give bigint.
//
// A map with integer keys arrives as an object with string keys; Go reads
// integer keys only, so such a map cannot be sent from an object.
//
// # Caveat
//
// The official client does not see the second of two adjacent stream
// arguments (it splices the first out of the arguments and skips the next):
// give a method with two uploads another parameter between them.
package ts
