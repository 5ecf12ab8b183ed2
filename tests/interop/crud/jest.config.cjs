// Jest config for solid-crud-tests 5.2.0, run from the copy in ./suite (made by ../install.sh).
// Same as the package's own jest.config.js except for rootDir and ONE harness fix, a moduleNameMapper for the
// "node:" scheme: jest 26 cannot resolve require("node:X") (it looks for a file named "node:X"), and rdf-canonize 5
// (jsonld 9 <- rdflib 2.4.0) requires node:crypto. rdflib.parse(..., "application/ld+json", cb) hands that ENOENT
// to its callback, which the suite takes as "parsed, zero triples", so every JSON-LD conneg check failed whatever
// the server sent (the 3 failures of the recipe's CSS run). "node:X" is mapped to a generated one-line shim
// `module.exports = require("X")`, which jest resolves as the core module. CRUD_UPSTREAM_CONFIG=1 ../run-crud.sh
// runs the package's unmodified config instead.
const fs = require("fs");
const path = require("path");
const { builtinModules } = require("module");

const shims = path.join(__dirname, ".node-shims");
for (const name of builtinModules) {
  if (name.startsWith("_")) continue;
  const file = path.join(shims, `${name}.js`);
  const body = `module.exports = require(${JSON.stringify(name)});\n`;
  if (!fs.existsSync(file) || fs.readFileSync(file, "utf8") !== body) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, body);
  }
}

module.exports = {
  rootDir: path.join(__dirname, "suite"),
  roots: ["<rootDir>/test"],
  preset: "ts-jest",
  testEnvironment: path.join(__dirname, "jest-env.cjs"),
  testTimeout: 60000,
  verbose: false,
  runner: "jest-serial-runner",
  collectCoverage: false,
  setupFilesAfterEnv: ["jest-extended"],
  moduleNameMapper: { "^node:(.*)$": path.join(shims, "$1.js") },
  globals: {
    "ts-jest": {},
  },
};
