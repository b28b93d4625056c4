// Golden vectors for the InstaXchange canonical form, computed with the provider's own
// TypeScript sender logic (see instaxchange.txt). Regenerate after editing
// canonical_fixtures.json or a webhook_*.json file:
//
//   node testdata/gen_vectors.js > testdata/vectors.json
//
// The Go tests only read the committed vectors.json; they never need Node.
"use strict";
const fs = require("fs");
const path = require("path");
const { createHash } = require("crypto");

// Fixed, obviously fake secret: the vectors pin the digest as well as the canonical text.
const SECRET = "vector-secret-NOT-REAL";

// Exactly what the sender does: sort Object.keys, copy into a fresh object, stringify.
function canonical(body) {
  const sortedKeys = Object.keys(body).sort();
  const sortedObjectByKey = {};
  sortedKeys.forEach((key) => {
    sortedObjectByKey[key] = body[key];
  });
  return JSON.stringify(sortedObjectByKey);
}

// canonical_fixtures.json holds raw body texts; the webhook_*.json files are whole bodies.
const fixtures = JSON.parse(fs.readFileSync(path.join(__dirname, "canonical_fixtures.json"), "utf8"));
for (const f of fs.readdirSync(__dirname).filter((f) => /^webhook_.*\.json$/.test(f) && !f.endsWith(".event.json")).sort()) {
  fixtures.push({ name: f, body: fs.readFileSync(path.join(__dirname, f), "utf8") });
}
const vectors = fixtures.map(({ name, body }) => {
  const c = canonical(JSON.parse(body));
  const signature = createHash("md5").update(`${c}:${SECRET}`).digest("hex");
  return { name, canonical: c, secret: SECRET, signature };
});
process.stdout.write(JSON.stringify(vectors, null, 1) + "\n");
