#!/usr/bin/env node
// Long-lived FHIR R4 validation worker (independent of the project's Python models).
//
// Protocol: one JSON request per line on stdin, one JSON answer per line on stdout.
//   {"id": <any>, "resource": {...}, "profiles": [ {StructureDefinition|ValueSet|CodeSystem}, ... ]}
//     -> {"id": <same>, "issues": [{"severity": "error"|"warning"|"fatal", "path": "...", "message": "...", ...}]}
//   {"id": <any>, "command": "stats"}  -> {"id": <same>, "stats": {...}}
//   {"id": <any>, "command": "ping"}   -> {"id": <same>, "pong": true}
//
// One-shot use: `node worker.mjs [--profiles DIR] FILE.json ...` validates the files, prints
// the issues and exits 1 when any has an error.
//
// Profiles (and ValueSets/CodeSystems) are also loaded at start from every directory given with
// `--profiles DIR` (repeatable) or in FHIR_VALIDATOR_PROFILES (path-list, ':'-separated);
// a directory that does not exist is skipped. Diagnostics go to stderr only.
import fs from 'node:fs';
import readline from 'node:readline';
import path from 'node:path';
import { Engine } from './lib/engine.mjs';

function parseArgs(argv) {
  const dirs = [];
  const files = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--profiles' && argv[i + 1]) {
      dirs.push(argv[++i]);
    } else if (argv[i].startsWith('--profiles=')) {
      dirs.push(argv[i].slice('--profiles='.length));
    } else if (!argv[i].startsWith('--')) {
      files.push(argv[i]);
    }
  }
  for (const d of (process.env.FHIR_VALIDATOR_PROFILES ?? '').split(path.delimiter)) {
    if (d.trim()) {
      dirs.push(d.trim());
    }
  }
  return { profileDirs: dirs, files };
}

const quiet = process.argv.includes('--quiet');
const log = (msg) => {
  if (!quiet) {
    process.stderr.write(`[fhir-validator] ${msg}\n`);
  }
};

const args = parseArgs(process.argv.slice(2));
const engine = new Engine({ profileDirs: args.profileDirs, log });
engine.init();

if (args.files.length) {
  let failed = false;
  for (const f of args.files) {
    const issues = engine.validate(JSON.parse(fs.readFileSync(f, 'utf8')));
    const errors = issues.filter((i) => i.severity === 'error' || i.severity === 'fatal');
    failed ||= errors.length > 0;
    process.stdout.write(`${f}: ${errors.length} error(s), ${issues.length - errors.length} warning(s)\n`);
    for (const i of issues) {
      process.stdout.write(`  ${i.severity} ${i.path}: ${i.message}\n`);
    }
  }
  process.exit(failed ? 1 : 0);
}

// the reader went away (e.g. the test session ended): nothing left to do
process.stdout.on('error', () => process.exit(0));

function answer(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity, terminal: false });
rl.on('line', (line) => {
  if (!line.trim()) {
    return;
  }
  let req;
  try {
    req = JSON.parse(line);
  } catch (e) {
    answer({ id: null, issues: [{ severity: 'fatal', path: '', message: `request is not JSON: ${e.message}` }] });
    return;
  }
  const id = req?.id ?? null;
  try {
    if (req.command === 'stats') {
      answer({ id, stats: engine.stats() });
    } else if (req.command === 'ping') {
      answer({ id, pong: true });
    } else {
      answer({ id, issues: engine.validate(req.resource, req.profiles ?? []) });
    }
  } catch (e) {
    answer({ id, issues: [{ severity: 'fatal', path: '', message: `validator crashed: ${e?.stack ?? e}` }] });
  }
});
rl.on('close', () => process.exit(0));
