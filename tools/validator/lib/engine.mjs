// The independent validator: Medplum's validateResource over the PURE HL7 FHIR R4 (4.0.1)
// StructureDefinitions, plus checks Medplum does not make (required bindings, calendar dates,
// profile claims inside Bundles, deeper profile rules - see profile-check.mjs).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  OperationOutcomeError,
  crawlTypedValue,
  getDataType,
  isResourceType,
  loadDataType,
  parseStructureDefinition,
  toTypedValue,
  validateResource,
} from '@medplum/core';
import { checkProfileDeep, findDiscriminatorDef, fixedOrPattern } from './profile-check.mjs';
import { SnapshotGenerator, addExtensionUrlChildren } from './snapshot.mjs';
import { Terminology, canonicalUrl } from './terminology.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const NODE_MODULES = path.resolve(HERE, '..', 'node_modules');
export const EXAMPLES_DIR = path.join(NODE_MODULES, 'hl7.fhir.r4.examples');
export const EXPANSIONS_DIR = path.join(NODE_MODULES, 'hl7.fhir.r4.expansions');

const MAX_VS_EXT = 'http://hl7.org/fhir/StructureDefinition/elementdefinition-maxValueSet';

/**
 * Medplum treats an invariant whose FHIRPath result is EMPTY as violated. The R4 invariants rely
 * on empty meaning "not applicable" in places (e.g. bdl-8 `fullUrl.contains('/_history/').not()`
 * on an entry without fullUrl; ras-2 `probability is decimal implies ...` without probability),
 * which made valid R4 examples fail. Wrapping as `((expr) ~ false).not()` keeps true -> pass and
 * false -> fail, and turns empty -> pass.
 */
function patchConstraints(sd) {
  for (const list of [sd.snapshot?.element, sd.differential?.element]) {
    for (const el of list ?? []) {
      for (const c of el.constraint ?? []) {
        if (c.expression && !c.expression.startsWith('((') && !c.__patched) {
          c.expression = `((${c.expression}) ~ false).not()`;
          Object.defineProperty(c, '__patched', { value: true, enumerable: false });
        }
      }
    }
  }
  return sd;
}

/**
 * The profile as handed to Medplum. Medplum's StructureDefinition parser mistakes a slice declared
 * inside another slice (R4 bp: component:SystolicBP.code.coding:SBPCode) for a sibling slice of
 * the outer slicing, and looks discriminator values up only at `<slice>.<path>`. So:
 *   - slices inside slices (and their children) are left out here; profile-check.mjs walks the
 *     full snapshot and enforces them;
 *   - a discriminator value that sits in such a nested slice is copied to `<slice>.<path>`.
 */
function medplumView(sd) {
  const all = sd.snapshot.element;
  const byId = new Map(all.map((e) => [e.id ?? e.path, e]));
  const keep = all.filter((e) => (e.id ?? e.path).split('.').filter((s) => s.includes(':')).length < 2);
  const keptIds = new Set(keep.map((e) => e.id ?? e.path));
  const out = [];
  for (const el of keep) {
    out.push(el);
    const id = el.id ?? el.path;
    if (!el.sliceName) {
      continue;
    }
    const slicedId = id.slice(0, id.lastIndexOf(':'));
    const sliced = byId.get(slicedId);
    for (const d of sliced?.slicing?.discriminator ?? []) {
      if ((d.type !== 'value' && d.type !== 'pattern') || d.path === '$this') {
        continue;
      }
      const wantedId = `${id}.${d.path}`;
      if (keptIds.has(wantedId) && fixedOrPattern(byId.get(wantedId))) {
        continue;
      }
      const def = findDiscriminatorDef(byId, id, d.path);
      const fp = def && fixedOrPattern(def);
      if (!fp || keptIds.has(wantedId)) {
        continue;
      }
      out.push({ id: wantedId, path: `${el.path}.${d.path}`, min: 0, max: '*', [fp.key]: fp.value });
      keptIds.add(wantedId);
    }
  }
  return { ...sd, snapshot: { element: out } };
}

function issue(severity, p, message, extra = {}) {
  return { severity, path: p, message, ...extra };
}

function fromOutcomeIssue(i, rewritePath) {
  const raw = i.expression?.[0] ?? i.location?.[0] ?? '';
  return {
    severity: i.severity === 'information' ? 'warning' : i.severity,
    path: rewritePath ? rewritePath(raw) : raw,
    message: i.details?.text ?? i.diagnostics ?? 'validation issue',
    code: i.code,
  };
}

function medplumIssues(resource, options, rewritePath) {
  try {
    return validateResource(resource, options).map((i) => fromOutcomeIssue(i, rewritePath));
  } catch (e) {
    if (e instanceof OperationOutcomeError || e?.outcome?.issue) {
      return e.outcome.issue.map((i) => fromOutcomeIssue(i, rewritePath));
    }
    return [issue('fatal', rewritePath ? rewritePath('') : '', `validator error: ${e?.message ?? e}`)];
  }
}

function daysInMonth(y, m) {
  return new Date(Date.UTC(y, m, 0)).getUTCDate();
}

function rawValue(v) {
  if (v === null || v === undefined) {
    return undefined;
  }
  if (typeof v === 'object') {
    const p = v.valueOf();
    return p === v ? undefined : p;
  }
  return v;
}

export class Engine {
  constructor({ profileDirs = [], log = () => {} } = {}) {
    this.log = log;
    this.coreSds = new Map(); // url -> SD (pure R4, with snapshot)
    this.rawProfiles = new Map(); // url -> {text} as supplied (project dirs / requests)
    this.profiles = new Map(); // url -> SD with snapshot (generated when missing), patched
    this.parsedProfiles = new Map(); // url -> InternalTypeSchema
    this.medplumViews = new Map(); // url -> SD as handed to Medplum (see medplumView)
    this.loadErrors = [];
    this.profileDirs = profileDirs;
    this.resourcesValidated = 0;
  }

  init() {
    const t0 = Date.now();
    const sds = [];
    for (const f of fs.readdirSync(EXAMPLES_DIR)) {
      if (f.startsWith('StructureDefinition-') && f.endsWith('.json')) {
        sds.push(JSON.parse(fs.readFileSync(path.join(EXAMPLES_DIR, f), 'utf8')));
      }
    }
    // Base types/resources first, then the core profiles/extensions that constrain them.
    sds.sort((a, b) => (a.derivation === 'constraint') - (b.derivation === 'constraint'));
    for (const sd of sds) {
      if (!sd.snapshot) {
        continue; // 2 example profiles in the package ship without a snapshot
      }
      patchConstraints(sd);
      this.coreSds.set(sd.url, sd);
      try {
        // Overwrites Medplum's built-in (Medplum-patched) base datatypes such as Meta with the
        // pure R4 definitions, and adds every R4 resource type. Medplum-only resource types
        // (Project, Bot, ...) are never loaded, so they are unknown here.
        loadDataType(sd);
      } catch (e) {
        this.loadErrors.push(`${sd.url}: ${e.message}`);
      }
    }
    this.terminology = new Terminology({ expansionsDir: EXPANSIONS_DIR, examplesDir: EXAMPLES_DIR });
    for (const dir of this.profileDirs) {
      this.loadProfileDir(dir);
    }
    this.initSeconds = (Date.now() - t0) / 1000;
    this.log(
      `loaded ${this.coreSds.size} R4 StructureDefinitions, ${this.rawProfiles.size} profiles in ${this.initSeconds}s` +
        (this.loadErrors.length ? `; not loaded: ${this.loadErrors.join('; ')}` : '')
    );
  }

  loadProfileDir(dir) {
    if (!dir || !fs.existsSync(dir)) {
      this.log(`profile directory ${dir} does not exist: skipped`);
      return;
    }
    for (const f of fs.readdirSync(dir)) {
      if (!f.endsWith('.json')) {
        continue;
      }
      let res;
      try {
        res = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
      } catch (e) {
        this.log(`cannot read ${f}: ${e.message}`);
        continue;
      }
      this.register(res);
    }
  }

  /** Registers a conformance resource: StructureDefinition, ValueSet or CodeSystem (or a Bundle of them). */
  register(res) {
    if (res?.resourceType === 'Bundle') {
      for (const e of res.entry ?? []) {
        this.register(e.resource);
      }
    } else if (res?.resourceType === 'StructureDefinition' && res.url) {
      const text = JSON.stringify(res);
      if (this.rawProfiles.get(res.url)?.text === text) {
        return; // same definition again (e.g. passed with every request): keep the caches
      }
      this.rawProfiles.set(res.url, { text });
      // a changed definition may change the generated snapshots of profiles derived from it
      this.profiles.clear();
      this.parsedProfiles.clear();
      this.medplumViews.clear();
    } else if (res?.resourceType === 'ValueSet' || res?.resourceType === 'CodeSystem') {
      this.terminology.addResource(res);
    }
  }

  /** Returns an SD with snapshot by canonical URL (project profiles first, then R4 core). */
  resolveSd(urlWithVersion, stack = new Set()) {
    const url = canonicalUrl(urlWithVersion);
    const ready = this.profiles.get(url);
    if (ready) {
      return ready;
    }
    const raw = this.rawProfiles.get(url);
    if (!raw) {
      return this.coreSds.get(url);
    }
    if (stack.has(url)) {
      throw new Error(`circular baseDefinition chain at ${url}`);
    }
    stack.add(url);
    try {
      const sd = JSON.parse(raw.text);
      let out;
      if (sd.snapshot?.element?.length) {
        out = addExtensionUrlChildren(sd);
      } else {
        const gen = new SnapshotGenerator((u) => this.resolveSd(u, stack));
        out = gen.generate(sd);
        for (const w of gen.warnings) {
          this.log(w);
        }
      }
      patchConstraints(out);
      this.profiles.set(url, out);
      return out;
    } finally {
      stack.delete(url);
    }
  }

  medplumProfile(sd) {
    let view = this.medplumViews.get(sd.url);
    if (!view || view.__source !== sd) {
      view = medplumView(sd);
      Object.defineProperty(view, '__source', { value: sd, enumerable: false });
      this.medplumViews.set(sd.url, view);
    }
    return view;
  }

  parsedProfile(sd) {
    let schema = this.parsedProfiles.get(sd.url);
    if (!schema) {
      schema = parseStructureDefinition(sd);
      this.parsedProfiles.set(sd.url, schema);
    }
    return schema;
  }

  stats() {
    return {
      resources_validated: this.resourcesValidated,
      core_structure_definitions: this.coreSds.size,
      profiles: [...this.rawProfiles.keys()],
      definitions_not_loaded: this.loadErrors,
      value_sets_skipped: [...this.terminology.skipped].sort(),
      init_seconds: this.initSeconds,
    };
  }

  // ---------------------------------------------------------------------------------------------

  validate(resource, extraConformance = []) {
    for (const r of extraConformance ?? []) {
      this.register(r);
    }
    if (!resource || typeof resource !== 'object' || Array.isArray(resource)) {
      return [issue('fatal', '', 'resource must be a JSON object')];
    }
    if (typeof resource.resourceType !== 'string') {
      return [issue('fatal', '', 'resource has no resourceType')];
    }
    this.resourcesValidated++;
    const rt = resource.resourceType;
    if (!isResourceType(rt)) {
      return [issue('fatal', rt, `"${rt}" is not a FHIR R4 resource type`, { code: 'structure' })];
    }
    const issues = [];
    // 1. Medplum structural validation against the base R4 definition (covers nested Bundle
    //    entries and contained resources, with their own types).
    issues.push(...medplumIssues(resource));
    // 2. Required bindings and calendar dates over the whole tree, base definitions.
    let baseSchema;
    try {
      baseSchema = getDataType(rt);
    } catch {
      baseSchema = undefined; // unknown type: already reported by step 1
    }
    if (baseSchema) {
      issues.push(...this.bindingIssues(resource, baseSchema, rt));
    }
    // 3. Claimed profiles (meta.profile), recursively for Bundle entries and contained resources.
    this.profileChecks(resource, rt, issues);
    // 4. Every extension whose definition is known (R4 core or project) against that definition.
    this.extensionChecks(resource, rt, issues);
    return dedupe(issues);
  }

  extensionChecks(node, p, issues) {
    if (Array.isArray(node)) {
      node.forEach((x, i) => this.extensionChecks(x, `${p}[${i}]`, issues));
      return;
    }
    if (!node || typeof node !== 'object') {
      return;
    }
    for (const [key, value] of Object.entries(node)) {
      const childPath = key.startsWith('_') ? `${p}.${key.slice(1)}` : `${p}.${key}`;
      if ((key === 'extension' || key === 'modifierExtension') && Array.isArray(value)) {
        value.forEach((ext, i) => {
          const extPath = `${childPath}[${i}]`;
          const sd = typeof ext?.url === 'string' ? this.resolveSdQuietly(ext.url) : undefined;
          if (sd?.type === 'Extension' && sd.snapshot) {
            issues.push(
              ...checkProfileDeep(ext, sd, extPath, this, true).map((x) => ({ ...x, profile: sd.url }))
            );
          }
          this.extensionChecks(ext, extPath, issues);
        });
      } else {
        this.extensionChecks(value, childPath, issues);
      }
    }
  }

  resolveSdQuietly(url) {
    try {
      return this.resolveSd(url);
    } catch {
      return undefined;
    }
  }

  profileChecks(resource, prefix, issues) {
    if (!resource || typeof resource !== 'object') {
      return;
    }
    const rt = resource.resourceType;
    for (const claimed of resource.meta?.profile ?? []) {
      const url = canonicalUrl(claimed);
      let sd;
      try {
        sd = this.resolveSd(url);
      } catch (e) {
        issues.push(issue('error', `${prefix}.meta.profile`, `profile ${url} cannot be used: ${e.message}`));
        continue;
      }
      if (!sd) {
        issues.push(
          issue('warning', `${prefix}.meta.profile`, `profile ${url} is not known to the validator; checked against base R4 only`)
        );
        continue;
      }
      if (sd.type !== rt) {
        issues.push(issue('error', `${prefix}.meta.profile`, `profile ${url} constrains ${sd.type}, not ${rt}`));
        continue;
      }
      const root = sd.snapshot.element[0].path;
      const rewrite = (p) => {
        if (p === root) {
          return prefix;
        }
        if (p.startsWith(root + '.') || p.startsWith(root + '[')) {
          return prefix + p.slice(root.length);
        }
        return p ? `${prefix} (${p})` : prefix;
      };
      const tag = (list) => list.map((i) => ({ ...i, profile: url }));
      let view;
      try {
        view = this.medplumProfile(sd);
      } catch (e) {
        issues.push(issue('error', prefix, `profile ${url} cannot be used: ${e.message}`, { profile: url }));
        continue;
      }
      issues.push(...tag(medplumIssues(resource, { profile: view }, rewrite)));
      let schema;
      try {
        schema = this.parsedProfile(view);
      } catch (e) {
        issues.push(issue('error', prefix, `profile ${url} cannot be parsed: ${e.message}`, { profile: url }));
        continue;
      }
      issues.push(...tag(this.bindingIssues(resource, schema, prefix)));
      issues.push(...tag(checkProfileDeep(resource, sd, prefix, this)));
    }
    if (rt === 'Bundle') {
      (resource.entry ?? []).forEach((e, i) => {
        if (e?.resource) {
          this.profileChecks(e.resource, `${prefix}.entry[${i}].resource`, issues);
        }
      });
    }
    (resource.contained ?? []).forEach((c, i) => {
      this.profileChecks(c, `${prefix}.contained[${i}]`, issues);
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Required bindings

  bindingTarget(binding) {
    if (!binding) {
      return undefined;
    }
    if (binding.strength === 'required' && binding.valueSet) {
      return { url: canonicalUrl(binding.valueSet), kind: 'required' };
    }
    const max = (binding.extension ?? []).find((x) => x.url === MAX_VS_EXT);
    const maxUrl = max?.valueCanonical ?? max?.valueUri;
    if (maxUrl) {
      return { url: canonicalUrl(maxUrl), kind: 'maximum' };
    }
    return undefined;
  }

  bindingIssues(resource, schema, initialPath) {
    const issues = [];
    const visitor = {
      visitProperty: (_parent, key, _path, propertyValues, sch) => {
        const element = sch.elements[key];
        if (!element) {
          return;
        }
        const target = this.bindingTarget(element.binding);
        for (const pv of propertyValues) {
          for (const v of Array.isArray(pv) ? pv : [pv]) {
            if (!v || v.value === undefined || v.value === null) {
              continue;
            }
            this.checkDate(v, issues);
            if (target) {
              this.checkBinding(v, target, issues);
            }
          }
        }
      },
    };
    try {
      crawlTypedValue(toTypedValue(resource), visitor, { schema, initialPath });
    } catch (e) {
      // unknown nested types etc. are reported by Medplum's own validation
      this.log(`binding crawl stopped at ${initialPath}: ${e.message}`);
    }
    return issues;
  }

  checkDate(v, issues) {
    if (v.type !== 'date' && v.type !== 'dateTime' && v.type !== 'instant') {
      return;
    }
    const s = rawValue(v.value);
    const m = typeof s === 'string' ? /^(\d{4})-(\d{2})-(\d{2})/.exec(s) : null;
    if (!m) {
      return;
    }
    const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
    if (mo >= 1 && mo <= 12 && d >= 1 && d > daysInMonth(y, mo)) {
      issues.push(issue('error', v.path, `Invalid ${v.type}: ${s} is not a calendar date`, { code: 'value' }));
    }
  }

  checkBinding(v, target, issues) {
    const { url, kind } = target;
    const term = this.terminology;
    const syntax = term.syntaxRule(url);
    const expansion = syntax ? undefined : term.expand(url);
    if (!syntax && !expansion) {
      return; // cannot be expanded: skipped (listed in stats().value_sets_skipped)
    }
    const vsLabel = expansion ? `${expansion.name} (${url})` : url;
    const label = `${kind} value set ${vsLabel}`;
    const inSet = (system, code) => {
      if (typeof code !== 'string' || !code) {
        return false;
      }
      if (syntax) {
        return (!system || system === syntax.system) && syntax.re.test(code);
      }
      return system ? expansion.codes.has(`${system}|${code}`) : expansion.bareCodes.has(code);
    };
    const show = (system, code) => (system ? `${system}#${code}` : `${code}`);
    const err = (message) => issues.push(issue('error', v.path, message, { code: 'code-invalid' }));

    switch (v.type) {
      case 'code':
      case 'string':
      case 'uri': {
        const code = rawValue(v.value);
        if (typeof code === 'string' && !inSet(undefined, code)) {
          err(
            syntax
              ? `Value "${code}" is not a valid ${syntax.what} (${kind} value set ${url}, syntax check only)`
              : `Value "${code}" is not in the ${label}`
          );
        }
        break;
      }
      case 'Coding': {
        const c = v.value;
        if (!c.code) {
          err(`Coding has no code; a code from the ${label} is required`);
        } else if (!inSet(c.system, c.code)) {
          err(
            syntax
              ? `Code ${show(c.system, c.code)} is not a valid ${syntax.what} (${kind} value set ${url}, syntax check only)`
              : `Code ${show(c.system, c.code)} is not in the ${label}`
          );
        }
        break;
      }
      case 'CodeableConcept': {
        const codings = (v.value.coding ?? []).filter((c) => c && typeof c === 'object');
        if (syntax) {
          // lenient: only codings of the syntax system (or without system) are checked
          for (const c of codings) {
            if ((!c.system || c.system === syntax.system) && !inSet(c.system, c.code)) {
              err(`Code ${show(c.system, c.code)} is not a valid ${syntax.what} (${kind} value set ${url}, syntax check only)`);
            }
          }
        } else if (codings.length === 0) {
          err(`No coding provided; a code from the ${label} is required`);
        } else if (!codings.some((c) => inSet(c.system, c.code))) {
          err(
            `None of the codings (${codings.map((c) => show(c.system, c.code)).join(', ')}) is in the ${label}`
          );
        }
        break;
      }
      case 'Quantity': {
        const q = v.value;
        if (q.code && !inSet(q.system, q.code)) {
          err(`Unit ${show(q.system, q.code)} is not in the ${label}`);
        }
        break;
      }
      default:
        break;
    }
  }
}

function dedupe(issues) {
  const seen = new Set();
  const out = [];
  for (const i of issues) {
    const key = `${i.severity}|${i.path}|${i.message}`;
    if (seen.has(key)) {
      continue;
    }
    seen.add(key);
    out.push(i);
  }
  return out.map((i) => (i.profile ? { ...i, message: `${i.message} (profile ${i.profile})` } : i));
}
