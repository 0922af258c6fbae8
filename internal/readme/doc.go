// Package readme holds no code: its test checks that every Go and TypeScript
// snippet of the repository's README.md is quoted from a file that compiles (an example, or
// an Example function), so that what a reader copies is what the build and
// the tests see.
package readme
