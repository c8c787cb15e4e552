// Validates every object in rendered Kubernetes manifests (multi-document YAML) against its schema from the npm
// package kubernetes-models, offline. Prints one line per object; exits 1 when any object is invalid, has a kind
// the package does not know, or a file holds no object at all.
//   node validate-manifests.mjs TOOLS_DIR FILE...   (TOOLS_DIR: what .ci/chart-tools prints)
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [toolsDir, ...files] = process.argv.slice(2);
if (!toolsDir || files.length === 0) {
  console.error('usage: node validate-manifests.mjs TOOLS_DIR FILE...');
  process.exit(2);
}
const modules = join(toolsDir, 'node_modules');
// The tools live outside this repository, so they are imported by path rather than by package name.
const load = (path) => import(pathToFileURL(join(modules, path)).href);
const { parseAllDocuments } = await load('yaml/dist/index.js');

// apiVersion "apps/v1" -> kubernetes-models/apps/v1/index.js; the core group "v1" -> kubernetes-models/v1/index.js.
async function modelOf(apiVersion, kind) {
  const index = join('kubernetes-models', apiVersion, 'index.js');
  if (!existsSync(join(modules, index))) {
    return undefined;
  }
  return (await load(index))[kind];
}

let failures = 0;
for (const file of files) {
  let objects = 0;
  for (const document of parseAllDocuments(readFileSync(file, 'utf8'))) {
    // Duplicate keys and other YAML errors: the API server would reject or silently merge them.
    if (document.errors.length > 0) {
      console.error(`${file}: YAML: ${document.errors.map((error) => error.message).join('; ')}`);
      failures++;
      continue;
    }
    const object = document.toJS();
    if (object === null) {
      continue;
    }
    objects++;
    const name = `${object.kind ?? '?'} ${object.metadata?.name ?? '?'}`;
    const Model = await modelOf(object.apiVersion ?? '', object.kind ?? '');
    if (Model === undefined) {
      console.error(`${file}: ${name}: no schema for apiVersion '${object.apiVersion}' kind '${object.kind}'`);
      failures++;
      continue;
    }
    try {
      new Model(object).validate();
      console.log(`${file}: ${name}: valid ${object.apiVersion}`);
    } catch (invalid) {
      const details = invalid.errors?.map((error) => `${error.instancePath || '/'} ${error.message}`).join('; ') ?? invalid.message;
      console.error(`${file}: ${name}: ${details}`);
      failures++;
    }
  }
  if (objects === 0) {
    console.error(`${file}: no Kubernetes object rendered`);
    failures++;
  }
}
process.exit(failures > 0 ? 1 : 0);
