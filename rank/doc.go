// Package rank holds the data a ranking pipeline works on: a Request with a
// context Entity, candidate Entities and Options, and the typed feature Values
// on each entity.
//
// # Ownership
//
// A stage owns the request it is given: it may reorder, append to and filter
// Candidates in place, set scores and set features, and it returns the request
// (or a new one) to its caller. Nobody else touches the request while the
// stage runs. A meta-stage that runs stages concurrently gives each its own
// Copy, so branches never share a mutable Entity.
//
// Feature maps are copy-on-write: Copy and Borrow share a map between entities
// (or with a store) and the first write clones it, so a feature map a stage
// did not create is never modified in place. Values themselves are immutable;
// a Set or a vector inside a Value must not be modified after it is created.
//
// Entities and candidate slices come from a per-request arena that Release
// returns to a pool. Only the request's final owner (the server, after writing
// the response) calls Release; anything that must outlive the request, such as
// an asynchronous side effect, copies the ids it needs before returning.
package rank
