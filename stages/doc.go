// Package stages is the platform's library of built-in stages, one package
// per kind: source (fetch candidates), hydrate (fetch features), filter,
// score, order and effect (side effects such as recording what was served).
package stages
