#!/usr/bin/env node
// The freshness stamp of the compiled profiles: profiles/fsh-generated/.fsh-digest.
//
//   node tools/sushi/fsh-digest.mjs write [PROJECT_DIR]   (build.sh, after SUSHI)
//   node tools/sushi/fsh-digest.mjs check [PROJECT_DIR]   (exit 1 when stale)
//
// inputs  = sha256 of the manifest of SUSHI's inputs: PROJECT_DIR/sushi-config.yaml,
//           PROJECT_DIR/sushi-ignore*.txt, every file under PROJECT_DIR/input/, and
//           tools/sushi/package-lock.json (pins SUSHI and the R4 definitions);
// outputs = sha256 of the manifest of PROJECT_DIR/fsh-generated/resources/*.json.
// A manifest is one line "<sha256 of the file's bytes>  <path>\n" per file, sorted by path (POSIX,
// relative to PROJECT_DIR; the lock as "tools/sushi/package-lock.json").
// tests/unit/test_profiles_compiled.py computes the same in Python: keep the two in step.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const LOCK = path.join(HERE, 'package-lock.json');
const sha256 = data => createHash('sha256').update(data).digest('hex');

function walk(dir, base) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap(entry => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return walk(full, base);
    return entry.isFile() ? [path.relative(base, full).split(path.sep).join('/')] : [];
  });
}

function manifest(entries) {
  return entries
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([name, file]) => `${sha256(fs.readFileSync(file))}  ${name}\n`)
    .join('');
}

export function digests(projectDir) {
  const inputs = walk(path.join(projectDir, 'input'), projectDir)
    .concat(
      fs.readdirSync(projectDir).filter(n => n === 'sushi-config.yaml' || /^sushi-ignore.*\.txt$/.test(n)),
    )
    .map(name => [name, path.join(projectDir, name)]);
  inputs.push(['tools/sushi/package-lock.json', LOCK]);
  const resourcesDir = path.join(projectDir, 'fsh-generated', 'resources');
  const outputs = walk(resourcesDir, projectDir)
    .filter(name => name.endsWith('.json'))
    .map(name => [name, path.join(projectDir, name)]);
  return { inputs: sha256(manifest(inputs)), outputs: sha256(manifest(outputs)) };
}

function render({ inputs, outputs }) {
  return (
    '# fsh-digest v1: written by tools/sushi/build.sh, checked by tests/unit/test_profiles_compiled.py\n' +
    `inputs ${inputs}\noutputs ${outputs}\n`
  );
}

const [command = 'check', projectArg] = process.argv.slice(2);
const projectDir = path.resolve(projectArg ?? path.join(HERE, '..', '..', 'profiles'));
const stamp = path.join(projectDir, 'fsh-generated', '.fsh-digest');
if (command === 'write') {
  fs.writeFileSync(stamp, render(digests(projectDir)));
  process.stderr.write(`fsh-digest: wrote ${stamp}\n`);
} else if (command === 'check') {
  const expected = render(digests(projectDir));
  const actual = fs.existsSync(stamp) ? fs.readFileSync(stamp, 'utf8') : '';
  if (actual !== expected) {
    process.stderr.write(`fsh-digest: ${stamp} is stale or missing: run bash tools/sushi/build.sh\n`);
    process.exit(1);
  }
  process.stderr.write('fsh-digest: compiled profiles are up to date\n');
} else {
  process.stderr.write('usage: fsh-digest.mjs write|check [PROJECT_DIR]\n');
  process.exit(2);
}
