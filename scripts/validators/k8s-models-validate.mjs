// Validates custom resources with the compiled validators that ship in the pinned
// @kubernetes-models/* npm packages (they carry the CRD's patterns and length limits).
//
//   node k8s-models-validate.mjs NODE_MODULES MANIFEST.json
//
// MANIFEST.json is written by `helper.py k8s-route`: [{file, package, module, kind, object}].
// Prints `FILE: message` per invalid object; exit 1 if any.
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [nodeModules, manifestPath] = process.argv.slice(2);
if (!nodeModules || !manifestPath) {
  console.error("usage: k8s-models-validate.mjs NODE_MODULES MANIFEST.json");
  process.exit(2);
}
const items = JSON.parse(fs.readFileSync(manifestPath, "utf8"));
let failed = 0;
for (const item of items) {
  const modulePath = path.join(nodeModules, item.package, `${item.module}.js`);
  const mod = await import(pathToFileURL(modulePath).href);
  const Model = mod[item.kind];
  if (typeof Model !== "function") {
    console.log(`${item.file}: ${item.package}/${item.module} exports no ${item.kind}`);
    failed++;
    continue;
  }
  try {
    new Model(item.object).validate();
  } catch (err) {
    const details = Array.isArray(err.errors)
      ? err.errors.map((e) => `${e.instancePath || "/"} ${e.message ?? e.keyword} ${JSON.stringify(e.params ?? {})}`).join("; ")
      : "";
    console.log(`${item.file}: ${err.message}${details ? ` (${details})` : ""}`);
    failed++;
  }
}
process.exit(failed ? 1 : 0);
