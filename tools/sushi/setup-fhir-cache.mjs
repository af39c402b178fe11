#!/usr/bin/env node
// Rebuilds the FHIR package cache entry SUSHI needs, hl7.fhir.r4.core#4.0.1, from the npm package
// hl7.fhir.r4.examples@4.0.1 (the same HL7 R4 4.0.1 publication; hl7.fhir.r4.core itself is not
// on npm). Offline once the npm tarball is in npm's cache (`npm ci` in this folder puts it there).
//
//   node tools/sushi/setup-fhir-cache.mjs [--force]
//
// 1. Integrity: the tarball is taken from npm's content-addressed cache (`npm pack --offline`;
//    falls back to the registry only if it is not cached) and its sha512 is compared with the
//    `integrity` that package-lock.json pins for hl7.fhir.r4.examples. A mismatch aborts. (`npm ci`
//    has already verified the same tarball against the same lock entry when it installed it.)
// 2. The conformance resources (StructureDefinition, ValueSet, CodeSystem, SearchParameter,
//    OperationDefinition, ConceptMap, CapabilityStatement, CompartmentDefinition, NamingSystem,
//    StructureMap, ImplementationGuide, MessageDefinition, GraphDefinition) are extracted from the
//    verified tarball (not from node_modules) into
//    $FHIR_HOME/.fhir/packages/hl7.fhir.r4.core#4.0.1/package/ (FHIR_HOME defaults to $HOME),
//    with a package.json (name hl7.fhir.r4.core, version 4.0.1, fhirVersions [4.0.1]) and a
//    .index.json (index-version 1). The directory is built beside the target and renamed into
//    place, so a half-written cache is never left behind.
// 3. A genuine hl7.fhir.r4.core#4.0.1 already in the cache (one without our provenance file) is
//    left alone unless --force is given; ours is rebuilt only when the pinned integrity changed.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SOURCE = 'hl7.fhir.r4.examples';
const VERSION = '4.0.1';
const TARGET = 'hl7.fhir.r4.core';
const PROVENANCE = 'fhir-discharge-provenance.json';
const CONFORMANCE_TYPES = new Set([
  'StructureDefinition',
  'ValueSet',
  'CodeSystem',
  'SearchParameter',
  'OperationDefinition',
  'ConceptMap',
  'CapabilityStatement',
  'CompartmentDefinition',
  'NamingSystem',
  'StructureMap',
  'ImplementationGuide',
  'MessageDefinition',
  'GraphDefinition',
]);

function log(message) {
  process.stderr.write(`setup-fhir-cache: ${message}\n`);
}

class SetupError extends Error {}

function die(message) {
  throw new SetupError(message);
}

function pinnedIntegrity() {
  const lock = JSON.parse(fs.readFileSync(path.join(HERE, 'package-lock.json'), 'utf8'));
  const entry = lock.packages?.[`node_modules/${SOURCE}`];
  if (!entry || entry.version !== VERSION || !entry.integrity?.startsWith('sha512-')) {
    die(`package-lock.json does not pin ${SOURCE}@${VERSION} with a sha512 integrity`);
  }
  return entry.integrity;
}

function fetchTarball(workDir) {
  const spec = `${SOURCE}@${VERSION}`;
  const npmArgs = ['pack', spec, '--pack-destination', workDir, '--silent', '--no-audit', '--no-fund'];
  try {
    execFileSync('npm', [...npmArgs, '--offline'], { cwd: workDir, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch {
    log(`${spec} is not in npm's cache; fetching it from the npm registry`);
    execFileSync('npm', npmArgs, { cwd: workDir, stdio: ['ignore', 'pipe', 'inherit'] });
  }
  const tarball = path.join(workDir, `${SOURCE}-${VERSION}.tgz`);
  if (!fs.existsSync(tarball)) die(`npm pack did not produce ${tarball}`);
  return tarball;
}

function sha512Integrity(file) {
  return `sha512-${createHash('sha512').update(fs.readFileSync(file)).digest('base64')}`;
}

function indexEntry(filename, resource) {
  const entry = { filename, resourceType: resource.resourceType, id: resource.id };
  for (const key of ['url', 'version', 'kind', 'type']) {
    if (resource[key] !== undefined && typeof resource[key] !== 'object') entry[key] = resource[key];
  }
  return entry;
}

function main() {
  const force = process.argv.includes('--force');
  const home = process.env.FHIR_HOME || os.homedir();
  const packagesDir = path.join(home, '.fhir', 'packages');
  const targetDir = path.join(packagesDir, `${TARGET}#${VERSION}`);
  const integrity = pinnedIntegrity();

  if (fs.existsSync(targetDir) && !force) {
    const provenanceFile = path.join(targetDir, PROVENANCE);
    if (!fs.existsSync(provenanceFile)) {
      log(`${targetDir} exists and was not built by this script (a genuine package?): leaving it`);
      return;
    }
    const provenance = JSON.parse(fs.readFileSync(provenanceFile, 'utf8'));
    if (provenance.sourceIntegrity === integrity && fs.existsSync(path.join(targetDir, 'package', '.index.json'))) {
      log(`${TARGET}#${VERSION} already built from ${SOURCE}@${VERSION} (${integrity.slice(0, 20)}...)`);
      return;
    }
  }

  fs.mkdirSync(packagesDir, { recursive: true });
  const workDir = fs.mkdtempSync(path.join(packagesDir, '.fhir-discharge-'));
  try {
    const tarball = fetchTarball(workDir);
    const actual = sha512Integrity(tarball);
    if (actual !== integrity) {
      die(`integrity mismatch for ${SOURCE}@${VERSION}: tarball ${actual}, package-lock.json ${integrity}`);
    }
    log(`${SOURCE}@${VERSION} tarball integrity matches package-lock.json (${integrity.slice(0, 20)}...)`);

    const extractDir = path.join(workDir, 'extract');
    fs.mkdirSync(extractDir);
    execFileSync('tar', ['-xzf', tarball, '-C', extractDir, '--no-same-owner']);
    const sourceDir = path.join(extractDir, 'package');

    const buildDir = path.join(workDir, `${TARGET}#${VERSION}`);
    const outDir = path.join(buildDir, 'package');
    fs.mkdirSync(outDir, { recursive: true });
    const files = [];
    for (const filename of fs.readdirSync(sourceDir).sort()) {
      if (!filename.endsWith('.json') || filename === 'package.json' || filename.startsWith('.')) continue;
      const text = fs.readFileSync(path.join(sourceDir, filename), 'utf8');
      let resource;
      try {
        resource = JSON.parse(text);
      } catch {
        continue;
      }
      if (!CONFORMANCE_TYPES.has(resource.resourceType)) continue;
      fs.writeFileSync(path.join(outDir, filename), text);
      files.push(indexEntry(filename, resource));
    }
    if (!files.some(f => f.resourceType === 'StructureDefinition' && f.id === 'Composition')) {
      die(`${SOURCE}@${VERSION} does not carry the R4 base StructureDefinitions`);
    }
    const sourcePackage = JSON.parse(fs.readFileSync(path.join(sourceDir, 'package.json'), 'utf8'));
    const packageJson = {
      name: TARGET,
      version: VERSION,
      tools_version: sourcePackage['tools-version'],
      type: 'fhir.core',
      date: '20191030123500',
      license: sourcePackage.license,
      canonical: 'http://hl7.org/fhir',
      url: 'http://hl7.org/fhir/R4',
      title: 'FHIR R4 package : Core Model',
      description:
        `Definitions (API, structures and terminologies) for the R4 version of the FHIR standard, ` +
        `rebuilt offline from ${SOURCE}@${VERSION} (npm) by fhir-discharge tools/sushi/setup-fhir-cache.mjs`,
      fhirVersions: [VERSION],
      dependencies: {},
      author: sourcePackage.author,
      jurisdiction: 'http://unstats.un.org/unsd/methods/m49/m49.htm#001',
    };
    fs.writeFileSync(path.join(outDir, 'package.json'), `${JSON.stringify(packageJson, null, 2)}\n`);
    fs.writeFileSync(
      path.join(outDir, '.index.json'),
      `${JSON.stringify({ 'index-version': 1, files }, null, 2)}\n`,
    );
    fs.writeFileSync(
      path.join(buildDir, PROVENANCE),
      `${JSON.stringify(
        {
          builtBy: 'fhir-discharge tools/sushi/setup-fhir-cache.mjs',
          source: `${SOURCE}@${VERSION}`,
          sourceIntegrity: integrity,
          resources: files.length,
        },
        null,
        2,
      )}\n`,
    );

    const oldDir = path.join(workDir, 'old');
    if (fs.existsSync(targetDir)) fs.renameSync(targetDir, oldDir);
    fs.renameSync(buildDir, targetDir);
    log(`wrote ${files.length} conformance resources to ${path.join(targetDir, 'package')}`);
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

try {
  main();
} catch (e) {
  log(`ERROR: ${e instanceof SetupError ? e.message : (e?.stack ?? e)}`);
  process.exit(1);
}
