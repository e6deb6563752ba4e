/**
 * The object store (FORMAT.md): one private bucket holding
 * - `layers/<sha256>`: the immutable pages of every database; kept until garbage collection removes them,
 * - `staged/<database id>/…`: rows a client uploads for a later write; a write deletes them once it
 *   committed and garbage collection removes leftovers after an hour,
 * - `results/…`: large query results handed out as presigned URLs.
 * Only the worker reads and writes it (its link grants s3 on this bucket alone); clients reach objects
 * solely through presigned URLs, so the bucket blocks every kind of public access (the component's default).
 */
export const bucket = new sst.aws.Bucket("Layers", {
  // Browsers fetch presigned results and may upload staged parts: they need CORS on GET/HEAD/PUT (and the
  // ETag of an uploaded part), nothing else. A presigned URL carries its own authorization; CORS grants none.
  cors: {
    allowMethods: ["GET", "HEAD", "PUT"],
    allowOrigins: ["*"],
    allowHeaders: ["*"],
    exposeHeaders: ["ETag"],
  },
  // Safety nets, not the mechanism: staged parts live an hour at most and results only as long as their URL,
  // so anything older than a day under these prefixes is an orphan. `layers/` never expires here.
  lifecycle: [
    { id: "expire-staged", prefix: "staged/", expiresIn: "1 day" },
    { id: "expire-results", prefix: "results/", expiresIn: "1 day" },
  ],
});
