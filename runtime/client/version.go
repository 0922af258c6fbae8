package client

// IsAtLeastVersion0_1 is referenced by generated code, so that code generated
// for a newer runtime fails to compile against an older one with a clear name.
const IsAtLeastVersion0_1 = true
