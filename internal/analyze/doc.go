// Package analyze turns a loaded contract package into a model.Spec. Every
// rule about what hubgen accepts lives here, and every broken rule becomes a
// diagnostic at the method, parameter or declaration it concerns; the
// analyzer reports all of them in one run.
//
// # Methods
//
// Every method takes ctx context.Context first and returns error last, with at
// most one value before it:
//
//	                            server interface         client interface
//	M(ctx, args...) error        invocation (void)        send, to any target
//	M(ctx, args...) (T, error)   invocation with result   client result, to one client
//	M(ctx, args...) iter.Seq2    server stream            refused (HG031)
//	M(ctx, args...)              server stream that can   refused (HG031)
//	  (iter.Seq2, error)         fail before it starts
//	a parameter iter.Seq2        client stream (upload)   refused (HG031)
//
// A stream is iter.Seq2[T, error]: as the result, a stream of T from the
// server to the client, which ends when the server's sequence ends, when the
// client breaks out of its loop or when ctx ends (the server's ctx then ends
// too); as a parameter, a stream of T from the client to the server. A
// stream result alone can fail only in the sequence, once the stream has
// started, and the client sees ASP.NET's streaming error text; a method that
// returns (iter.Seq2[T, error], error) can also fail before it starts (an
// invalid argument, say) with a non-nil error, which the client sees as the
// failed invocation, with the invocation error text. The client's side is the
// same for both: the error ends the stream. A server method may take any
// number of uploads, among its other parameters, whatever its result: error,
// (T, error), a stream or (stream, error).
//
// Methods are taken in the order the interface declares them, an embedded
// interface's in its place.
// A method's wire name is its Go name, unless its doc comment has a line
//
//	//hubgen:name wireName
//
// # Wire types
//
// Parameters and results cross the wire as JSON or MessagePack, so they are
// built from: booleans, integers, floats, strings, structs, pointers, slices,
// arrays, maps whose keys are strings, integers or text (MarshalText and
// UnmarshalText), any (interface{}), and named types and aliases of those,
// from any package. A named type with its own
// MarshalJSON, UnmarshalJSON, MarshalText or UnmarshalText method (time.Time,
// for one) is taken as it is. Struct fields that neither protocol encodes
// (unexported ones, or tagged both `json:"-"` and `msgpack:"-"`: MessagePack
// reads its own tags) are not checked; a struct none of whose fields crosses
// is refused, since it would arrive empty. Channels,
// functions, complex numbers, unsafe.Pointer, uintptr, error and interfaces
// with methods cannot cross: a receiver could not rebuild them.
//
// # Diagnostics
//
// Each diagnostic reads file:line:col: message (HGnnn). A problem in a method
// that the interface embeds from another package is reported at the line
// that embeds it.
//
//	Code   Problem                                     What to do
//	HG001  the package does not load (go list,         fix the reported error; errors inside
//	       syntax or type errors; a pattern that       files hubgen wrote are ignored, as they
//	       matches no package or several)              are about to be rewritten
//	HG002  no type has the -server/-client name        check the name; the message lists the
//	                                                   package's interfaces
//	HG003  the name is not an interface, or is a       name a method-set interface
//	       constraint interface
//	HG004  the interface has type parameters           declare a non-generic interface
//	HG005  the interface has no methods                add methods, or leave out the flag
//	HG006  the interface is not exported               export it: the generated names are,
//	                                                   and would expose it
//	HG007  -client is named like a hub (…Hub) and      swap them: -server is what clients
//	       -server is not                              call, -client what the hub calls
//	HG010  a method is not exported                    export it: clients call it by name
//	HG011  the first parameter is not                  add ctx context.Context first
//	       context.Context
//	HG012  the last result is not error                return error last
//	HG013  more than one result besides error          return one value (a struct holds several)
//	HG014  a variadic parameter                        take a slice
//	HG015  context.Context after the first parameter   take ctx once, first
//	HG020  a type that cannot cross the wire, or a     change the type, or keep the field off
//	       struct none of whose fields crosses         the wire (unexported, or tagged
//	                                                   `json:"-" msgpack:"-"`); for a chan,
//	                                                   stream with iter.Seq2
//	HG031  a stream on the client interface            servers cannot stream to client methods
//	HG032  a malformed stream                          use iter.Seq2[T, error] as a parameter,
//	                                                   or as the result, alone or before error
//	HG040  a malformed //hubgen:name line              write //hubgen:name wireName, once
//	HG041  an unknown //hubgen: directive              check the spelling (only name exists)
//	HG042  two wire names equal ignoring case          give one a different //hubgen:name;
//	                                                   servers match names ignoring case
//	HG050  a generated name is declared already        rename that declaration or the interface
//	HG051  two generated names are the same            rename one of the interfaces
//	HG052  the package redeclares a predeclared        rename the declaration: generated code
//	       identifier generated code uses              uses the predeclared one
//
// Codes are not reused: HG030, which refused streams on the server interface
// before hubgen supported them, is retired.
package analyze
