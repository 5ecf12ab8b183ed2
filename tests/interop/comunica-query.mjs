#!/usr/bin/env node
// SPARQL SELECT with Comunica (@comunica/query-sparql 4.5.0) over one Solid resource or container.
//
//   node tests/interop/comunica-query.mjs URL 'SELECT ?r WHERE { ?c <http://www.w3.org/ns/ldp#contains> ?r }'
//
// URL is the source (Comunica GETs it with its own conneg and parses whatever RDF comes back; a container gives its
// listing). Env KOMMON_AUTH_HEADER="Name: value" (e.g. "X-Kommon-Dev-Agent: http://127.0.0.1:8080/alice") is added
// to every request Comunica makes. Output: one JSON object per solution on stdout, in the SPARQL 1.1 JSON results
// term format, keys sorted: {"r":{"type":"uri","value":"http://..."}}; literals carry "datatype" or "xml:lang",
// blank nodes are {"type":"bnode","value":"b0"}; unbound variables are left out. Exit 0 on success (also with zero
// solutions), 1 on any error (message on stderr), 2 on bad usage. Needs tests/interop/install.sh.
import { QueryEngine } from "@comunica/query-sparql";

const [url, query] = process.argv.slice(2);
if (!url || !query) {
  console.error("usage: comunica-query.mjs URL 'SELECT ...'   (env KOMMON_AUTH_HEADER='Name: value' optional)");
  process.exit(2);
}

let extra = null;
const raw = process.env.KOMMON_AUTH_HEADER;
if (raw) {
  const i = raw.indexOf(":");
  if (i <= 0) {
    console.error(`comunica-query: KOMMON_AUTH_HEADER must look like "Name: value", got ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  extra = [raw.slice(0, i).trim(), raw.slice(i + 1).trim()];
}

// Every request Comunica makes goes through this fetch, so the header is on all of them.
const authFetch = (input, init = {}) => {
  if (!extra) return fetch(input, init);
  const headers = new Headers(init.headers ?? (input instanceof Request ? input.headers : undefined));
  headers.set(extra[0], extra[1]);
  return fetch(input, { ...init, headers });
};

function term(t) {
  switch (t.termType) {
    case "NamedNode":
      return { type: "uri", value: t.value };
    case "BlankNode":
      return { type: "bnode", value: t.value };
    case "Literal": {
      const o = { type: "literal", value: t.value };
      if (t.language) o["xml:lang"] = t.language;
      else if (t.datatype && t.datatype.value !== "http://www.w3.org/2001/XMLSchema#string") o.datatype = t.datatype.value;
      return o;
    }
    case "Quad":
      return { type: "triple", value: { subject: term(t.subject), predicate: term(t.predicate), object: term(t.object) } };
    default:
      return { type: t.termType, value: t.value };
  }
}

try {
  const engine = new QueryEngine();
  const stream = await engine.queryBindings(query, { sources: [url], fetch: authFetch, lenient: false });
  const rows = await stream.toArray();
  for (const b of rows) {
    const row = {};
    for (const [v, t] of [...b].sort((x, y) => (x[0].value < y[0].value ? -1 : 1))) row[v.value] = term(t);
    process.stdout.write(JSON.stringify(row) + "\n");
  }
} catch (e) {
  console.error(`comunica-query: ${e && e.message ? e.message : e}`);
  process.exit(1);
}
