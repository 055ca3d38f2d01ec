// Reads [{name, url, sdl}] as JSON on stdin, writes the guild composer's result as JSON.
import { readFileSync } from "node:fs";
import { parse } from "graphql";
import { composeServices } from "@theguild/federation-composition";

const services = JSON.parse(readFileSync(0, "utf8"));
const result = composeServices(
  services.map((s) => ({ name: s.name, url: s.url, typeDefs: parse(s.sdl) })),
);
process.stdout.write(
  JSON.stringify({
    supergraphSdl: result.supergraphSdl ?? null,
    publicSdl: result.publicSdl ?? null,
    errors: (result.errors ?? []).map((e) => e.message),
  }),
);
