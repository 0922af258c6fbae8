package model

// Names are the package-level identifiers a generated file declares. NamesFor
// derives them from the interfaces' names; it is the one place that scheme is
// written down.
type Names struct {
	// For the server interface S (empty without one):
	Server    string `json:"server,omitempty"`    // SServer: the hub's http.Handler
	NewServer string `json:"newServer,omitempty"` // NewSServer
	Methods   string `json:"methods,omitempty"`   // SMethods: the dispatch table
	Stub      string `json:"stub,omitempty"`      // SClient: S over a client connection
	NewStub   string `json:"newStub,omitempty"`   // NewSClient

	// For the client interface C (empty without one):
	Clients    string `json:"clients,omitempty"`    // CClients: typed targets
	NewClients string `json:"newClients,omitempty"` // NewCClients
	Target     string `json:"target,omitempty"`     // CTarget: many connections
	Client     string `json:"client,omitempty"`     // CClient: one connection
	Register   string `json:"register,omitempty"`   // RegisterC: routes calls to a C
	Handlers   string `json:"handlers,omitempty"`   // CHandlers: a C's handlers, for client.Options
}

// NamesFor returns the names generated for a server interface and a client
// interface; either may be empty.
func NamesFor(server, client string) Names {
	var n Names
	if server != "" {
		n.Server = server + "Server"
		n.NewServer = "New" + server + "Server"
		n.Methods = server + "Methods"
		n.Stub = server + "Client"
		n.NewStub = "New" + server + "Client"
	}
	if client != "" {
		n.Clients = client + "Clients"
		n.NewClients = "New" + client + "Clients"
		n.Target = client + "Target"
		n.Client = client + "Client"
		n.Register = "Register" + client
		n.Handlers = client + "Handlers"
	}
	return n
}

// List returns the names that are set, each with what it is for.
func (n Names) List() []NamedThing {
	all := []NamedThing{
		{n.Server, "the server type"},
		{n.NewServer, "the server constructor"},
		{n.Methods, "the dispatch table"},
		{n.Stub, "the client stub"},
		{n.NewStub, "the client stub constructor"},
		{n.Clients, "the typed clients"},
		{n.NewClients, "the typed clients constructor"},
		{n.Target, "the many-connection target"},
		{n.Client, "the single-client target"},
		{n.Register, "the receiver registration"},
		{n.Handlers, "the receiver's handlers"},
	}
	out := all[:0]
	for _, t := range all {
		if t.Name != "" {
			out = append(out, t)
		}
	}
	return out
}

// NamedThing is a generated name and what it names.
type NamedThing struct {
	Name string
	What string
}
