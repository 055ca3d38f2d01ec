// Reads {suite: [{name, url, sdl}]} as JSON on stdin, writes {suite: result} where
// each result is what compose.mjs writes for one set of services.
import { readFileSync } from "node:fs";
import { parse } from "graphql";
import { composeServices } from "@theguild/federation-composition";

const suites = JSON.parse(readFileSync(0, "utf8"));
const out = {};
for (const [suite, services] of Object.entries(suites)) {
  try {
    const result = composeServices(
      services.map((s) => ({ name: s.name, url: s.url, typeDefs: parse(s.sdl) })),
    );
    out[suite] = {
      supergraphSdl: result.supergraphSdl ?? null,
      publicSdl: result.publicSdl ?? null,
      errors: (result.errors ?? []).map((e) => e.message),
    };
  } catch (e) {
    out[suite] = { supergraphSdl: null, publicSdl: null, errors: [String(e)] };
  }
}
process.stdout.write(JSON.stringify(out));
