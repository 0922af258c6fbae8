package names

import "context"

// Names has malformed and clashing wire names.
type Names interface {
	//hubgen:name
	Empty(ctx context.Context) error
	//hubgen:name one two
	Two(ctx context.Context) error
	//hubgen:name 9lives
	Digit(ctx context.Context) error
	//hubgen:name first
	//hubgen:name second
	Twice(ctx context.Context) error
	//hubgen:wire other
	Unknown(ctx context.Context) error
	//hubgen:name fine
	Fine(ctx context.Context) error
	//hubgen:name FINE
	Loud(ctx context.Context) error
}

// Client has Go names that differ only in case.
type Client interface {
	Notify(ctx context.Context) error
	NOTIFY(ctx context.Context) error
}
