// Package dataset generates, reads and writes the data a ranking store is
// loaded with, and loads it into any store.Loader (the memory store, Redis).
//
// A Dataset is entity features by namespace, ranked lists (some also
// published as snapshots with their members' features) and sets. Generate
// builds a Reddit-like world from a seed: communities of very different sizes,
// posts in them with a media type, an author, an age, and heavy-tailed
// upvotes and comments, and users with subscriptions, a country and recently
// viewed posts. The same Options give the same Dataset, byte for byte once
// written. Demo generates the small world `rankflow serve` uses when it is
// given no data; it takes a few milliseconds, so the binary carries no data
// file and the demo always matches the generator.
//
// # Keys
//
// Stages and example pipelines read these names. Ids are "c{n}" for
// communities, "p{n}" for posts and "u{n}" for users.
//
//	popular                 list+snapshot  public, non-NSFW posts by hot score
//	                                       (PopularLen)
//	media:{type}            list+snapshot  public, non-NSFW posts of a media type
//	                                       by hot score, for video, image and
//	                                       livestream (MediaLen)
//	community:{id}:hot      list           the community's posts by hot score
//	                                       (HotLen)
//	community:{id}:new      list           the community's posts by created_at
//	                                       (HotLen)
//	country:{cc}:popular    list+snapshot  public, non-NSFW posts from a country
//	                                       by hot score (CountryLen)
//	user:{id}:viewed        set            posts the user viewed recently, oldest
//	                                       first
//
// A list+snapshot key has, besides the list, a snapshot (store.Snapshots) of
// the same members with their "post" features, so a source reads candidates
// and features in one fetch of one key. Stages name a snapshot by its list's
// key; the store keeps it apart from the list (the Redis store under
// "snapshot:<key>"). Its features are those of when the dataset was applied.
// The per-community lists have no snapshot.
//
// The hot score is log10(max(upvotes, 1)) - age/12.5h, as in Reddit's hot
// ranking: ten times the upvotes is worth 12.5 hours of freshness.
//
// # Features
//
// Namespace "post":
//
//	community     string        community id, "c3"
//	author        string        user id of the author
//	media_type    string        text, image, video, link or livestream
//	created_at    int           unix seconds
//	upvotes       int           log-normal, scaled by community size and age
//	comments      int           correlated with upvotes; more for text
//	nsfw          bool
//	private       bool          posted in a private community
//	country       string        ISO 3166 code, mostly the author's
//	upvote_ratio  float         0.5 to 1, higher for better posts
//	ctr           float         predicted click-through rate
//	quality       float         0 to 1, a content-quality model score
//	embedding     float_vector  unit vector near the community's topic
//
// Namespace "user":
//
//	country        string
//	subscriptions  string_set    community ids
//	nsfw_ok        bool          opted in to NSFW content
//	embedding      float_vector  unit vector near the user's communities
//
// Namespace "community":
//
//	name         string
//	subscribers  int    Zipf-distributed
//	nsfw         bool
//	private      bool
//
// # File format
//
// A dataset file is JSON lines, gzip-compressed by Write (Load also reads it
// uncompressed). The first line is a header with the format name, version 1,
// free-form meta and the kind of every feature by namespace; each further
// line is one record:
//
//	{"format":"rankflow-dataset","version":1,"meta":{...},"schema":{"post":{"upvotes":"int",...}}}
//	{"e":"post","id":"p1","f":{"upvotes":12,"media_type":"video",...}}
//	{"l":"popular","ids":["p7","p1"],"scores":[3.2,2.9],"snapshot":"post"}
//	{"l":"community:c3:hot","ids":["p7"],"scores":[3.2]}
//	{"s":"user:u1:viewed","m":["p1","p7"]}
//
// A list record's optional "snapshot" is the namespace of the features
// published with the list as a store snapshot (List.Snapshot): a non-empty
// string, left out when the list has none, so files without snapshots are as
// before.
//
// Load reports the first problem with the line and the record it is in.
package dataset
