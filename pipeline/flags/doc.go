// Package flags holds live flags: kill switches that skip a stage, every
// stage of a pipeline or a stage in every pipeline, and numeric parameters
// stages read on each request. Flags come from a YAML file or a Redis hash
// and are reloaded while the server runs, without rebuilding pipelines.
//
// A Set is one immutable snapshot of the flags. A Source holds the current
// Set behind an atomic pointer: it implements middleware.Flags for the kill
// switch and registry.Params for stages, and each read is one atomic load
// and a map lookup, with no lock and no allocation. File returns a source
// reloaded from a file (on Reload, and on change while Watch runs), Redis
// one polled from a hash (while Run runs). Flags that fail to load are
// rejected as a whole: the previous Set keeps serving and the error is kept
// for Status.
//
// A flags file:
//
//	kill:
//	  - popular/filter_seen   # the stage filter_seen in the pipeline popular
//	  - "*/score_linear"      # the stage score_linear in every pipeline
//	  - video/*               # every stage of the pipeline video
//	params:
//	  video.shuffle_probability: 0.1
//
// A kill entry is pipeline/stage, with exactly one slash, where either side
// may be * for any; */* kills every stage of every pipeline. The stage is
// the name it has in metrics and explain output (its as, or its type), and
// the pipeline is the served pipeline it runs in, also for stages that come
// from a fragment. A killed stage passes its request through unchanged, so
// killing a whole pipeline makes it return the request as it came. An entry
// that starts with * must be quoted, since a bare * starts a YAML alias.
//
// A param is a name (any text without spaces; dots group names by
// convention) and a finite number. Which names a stage reads is set in its
// config, such as shuffle's probability_param; a stage uses its configured
// value while the param is absent.
//
// The file is decoded strictly: unknown keys, duplicate entries, malformed
// kill entries and params that are not numbers are errors, each reported
// with the file, line and column and the bad entry. An empty file is an
// error too, since it is more likely a file caught half written than a wish
// to revive everything: write "kill: []" for no flags. Replace the file by
// renaming a new one over it, so a reload never reads half a file.
//
// The Redis hash holds the same flags as fields:
//
//	HSET rankflow:flags kill:popular/filter_seen 1    # 1 kills, 0 revives
//	HSET rankflow:flags param:video.shuffle_probability 0.1
//
// Any other field, or a value other than those, makes the whole hash
// invalid until it is fixed; a missing hash is a Set with no flags.
package flags
