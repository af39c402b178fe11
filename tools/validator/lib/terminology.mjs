// Value-set membership for REQUIRED bindings (Medplum's validateResource does not check bindings).
//
// Sources, in order:
//   1. the official R4 expansions (npm hl7.fhir.r4.expansions@4.0.1), unless the expansion is
//      marked `limitedExpansion` (then it is a sample, not the full set, and is NOT used);
//   2. a local expansion of the ValueSet's `compose`, using CodeSystems shipped in
//      hl7.fhir.r4.examples@4.0.1 or loaded from the project's profile directories
//      (extensional `concept` lists, whole complete CodeSystems, `is-a` / `descendent-of` filters);
//   3. syntax-only checks for value sets that cannot be enumerated:
//        - MIME types (http://hl7.org/fhir/ValueSet/mimetypes, BCP-13): RFC 6838 regex;
//        - languages (http://hl7.org/fhir/ValueSet/all-languages and .../languages, BCP-47): regex;
//        - currencies (http://hl7.org/fhir/ValueSet/currencies, ISO 4217): three capital letters.
//   Anything else that cannot be expanded (e.g. ucum-units, LOINC answer list LL379-9,
//   SNOMED CT / LOINC intensional value sets) is SKIPPED: no issue is reported, and the URL is
//   recorded in `skipped` (the worker's `stats` command lists them).
import fs from 'node:fs';
import path from 'node:path';

// RFC 6838 type/subtype with optional parameters (parameter values are accepted loosely: the R4
// examples use unquoted values such as `variant=XDA/XDS`).
const MIME_RE =
  /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}(\s*;\s*[A-Za-z0-9!#$&^_.+-]+=("[^"]*"|[^;\s"]+))*$/;
// ISO 4217 alphabetic currency code.
const CURRENCY_RE = /^[A-Z]{3}$/;
// BCP-47 language tag (RFC 5646 syntax, without grandfathered irregular tags).
const BCP47_RE =
  /^(([A-Za-z]{2,3}(-[A-Za-z]{3}){0,3}|[A-Za-z]{4,8})(-[A-Za-z]{4})?(-([A-Za-z]{2}|\d{3}))?(-([A-Za-z\d]{5,8}|\d[A-Za-z\d]{3}))*(-[0-9A-WY-Za-wy-z](-[A-Za-z\d]{2,8})+)*(-x(-[A-Za-z\d]{1,8})+)?|x(-[A-Za-z\d]{1,8})+)$/;

const SYNTAX_ONLY = {
  'http://hl7.org/fhir/ValueSet/mimetypes': { system: 'urn:ietf:bcp:13', re: MIME_RE, what: 'MIME type (BCP-13)' },
  'http://www.rfc-editor.org/bcp/bcp13.txt': { system: 'urn:ietf:bcp:13', re: MIME_RE, what: 'MIME type (BCP-13)' },
  'http://hl7.org/fhir/ValueSet/all-languages': { system: 'urn:ietf:bcp:47', re: BCP47_RE, what: 'language tag (BCP-47)' },
  'http://hl7.org/fhir/ValueSet/languages': { system: 'urn:ietf:bcp:47', re: BCP47_RE, what: 'language tag (BCP-47)' },
  'http://hl7.org/fhir/ValueSet/currencies': { system: 'urn:iso:std:iso:4217', re: CURRENCY_RE, what: 'currency code (ISO 4217)' },
};

export function canonicalUrl(url) {
  return typeof url === 'string' ? url.split('|')[0] : url;
}

export class Terminology {
  constructor({ expansionsDir, examplesDir }) {
    this.expansionsDir = expansionsDir;
    this.examplesDir = examplesDir;
    /** url -> {url, name, codes:Set<"system|code">, bareCodes:Set<code>} | null (cannot expand) */
    this.cache = new Map();
    this.expansionFiles = new Map(); // url -> ValueSet resource with complete expansion
    this.localValueSets = new Map(); // url -> ValueSet (project / request supplied)
    this.localCodeSystems = new Map(); // url -> CodeSystem (project / request supplied)
    this.exampleIndex = undefined; // lazily built: {vs: Map(url->file), cs: Map(url->file)}
    this.skipped = new Set();
    this.limited = new Set();
    this.loadExpansions();
  }

  loadExpansions() {
    for (const f of fs.readdirSync(this.expansionsDir)) {
      if (!f.startsWith('ValueSet-') || !f.endsWith('.json')) {
        continue;
      }
      const vs = JSON.parse(fs.readFileSync(path.join(this.expansionsDir, f), 'utf8'));
      const limited = (vs.expansion?.parameter ?? []).some(
        (p) => p.name === 'limitedExpansion' && (p.valueBoolean ?? true)
      );
      if (limited) {
        // A sample only (SNOMED/LOINC/UCUM/MIME/... based); never use it as the full set.
        this.limited.add(vs.url);
        continue;
      }
      if (vs.expansion) {
        this.expansionFiles.set(vs.url, vs);
      }
    }
  }

  addResource(res) {
    if (res?.resourceType === 'ValueSet' && res.url) {
      this.localValueSets.set(res.url, res);
      this.cache.delete(res.url);
    } else if (res?.resourceType === 'CodeSystem' && res.url) {
      this.localCodeSystems.set(res.url, res);
      this.cache.clear(); // expansions that used this system may change
    }
  }

  buildExampleIndex() {
    const vs = new Map();
    const cs = new Map();
    for (const f of fs.readdirSync(this.examplesDir)) {
      const isVs = f.startsWith('ValueSet-');
      const isCs = f.startsWith('CodeSystem-');
      if (!(isVs || isCs) || !f.endsWith('.json')) {
        continue;
      }
      const res = JSON.parse(fs.readFileSync(path.join(this.examplesDir, f), 'utf8'));
      if (res.url) {
        (isVs ? vs : cs).set(res.url, path.join(this.examplesDir, f));
      }
    }
    this.exampleIndex = { vs, cs };
  }

  findValueSetResource(url) {
    if (this.localValueSets.has(url)) {
      return this.localValueSets.get(url);
    }
    if (!this.exampleIndex) {
      this.buildExampleIndex();
    }
    const file = this.exampleIndex.vs.get(url);
    return file ? JSON.parse(fs.readFileSync(file, 'utf8')) : undefined;
  }

  findCodeSystem(url) {
    if (this.localCodeSystems.has(url)) {
      return this.localCodeSystems.get(url);
    }
    if (!this.exampleIndex) {
      this.buildExampleIndex();
    }
    const file = this.exampleIndex.cs.get(url);
    return file ? JSON.parse(fs.readFileSync(file, 'utf8')) : undefined;
  }

  /** Returns the syntax-only rule for value sets that cannot be enumerated, or undefined. */
  syntaxRule(url) {
    return SYNTAX_ONLY[canonicalUrl(url)];
  }

  /** Returns {url, name, codes, bareCodes} or null when the value set cannot be expanded. */
  expand(urlWithVersion, stack = new Set()) {
    const url = canonicalUrl(urlWithVersion);
    if (this.cache.has(url)) {
      return this.cache.get(url);
    }
    if (stack.has(url)) {
      return null;
    }
    stack.add(url);
    let result = null;
    const local = this.localValueSets.get(url);
    const official = this.expansionFiles.get(url);
    if (local?.expansion && !(local.expansion.parameter ?? []).some((p) => p.name === 'limitedExpansion')) {
      result = fromExpansion(local);
    } else if (!local && official) {
      result = fromExpansion(official);
    } else {
      const vs = local ?? this.findValueSetResource(url);
      if (vs?.compose) {
        result = this.expandCompose(vs, stack);
      }
    }
    if (!result) {
      this.skipped.add(url);
    }
    this.cache.set(url, result);
    stack.delete(url);
    return result;
  }

  expandCompose(vs, stack) {
    const codes = new Set();
    const bareCodes = new Set();
    const add = (system, code) => {
      codes.add(`${system}|${code}`);
      bareCodes.add(code);
    };
    for (const inc of vs.compose.include ?? []) {
      const part = this.expandInclude(inc, stack);
      if (!part) {
        return null;
      }
      for (const [system, code] of part) {
        add(system, code);
      }
    }
    for (const exc of vs.compose.exclude ?? []) {
      const part = this.expandInclude(exc, stack);
      if (!part) {
        return null; // cannot know what to exclude: do not guess
      }
      for (const [system, code] of part) {
        codes.delete(`${system}|${code}`);
      }
    }
    // rebuild bare codes after exclusions
    bareCodes.clear();
    for (const sc of codes) {
      bareCodes.add(sc.slice(sc.lastIndexOf('|') + 1));
    }
    return { url: vs.url, name: vs.name ?? vs.title ?? vs.id, codes, bareCodes };
  }

  /** Returns an array of [system, code] pairs, or null when it cannot be computed locally. */
  expandInclude(inc, stack) {
    let pairs;
    if (inc.system) {
      if (inc.concept?.length) {
        pairs = inc.concept.map((c) => [inc.system, c.code]);
      } else {
        const cs = this.findCodeSystem(inc.system);
        if (!cs || (cs.content && cs.content !== 'complete')) {
          return null;
        }
        const all = flattenConcepts(cs.concept ?? []);
        if (inc.filter?.length) {
          let selected = all;
          for (const f of inc.filter) {
            const sel = applyFilter(cs, all, f);
            if (!sel) {
              return null;
            }
            const allowed = new Set(sel.map((c) => c.code));
            selected = selected.filter((c) => allowed.has(c.code));
          }
          pairs = selected.map((c) => [inc.system, c.code]);
        } else {
          pairs = all.map((c) => [inc.system, c.code]);
        }
      }
    }
    for (const ref of inc.valueSet ?? []) {
      const other = this.expand(ref, stack);
      if (!other) {
        return null;
      }
      const otherPairs = [...other.codes].map((sc) => {
        const i = sc.lastIndexOf('|');
        return [sc.slice(0, i), sc.slice(i + 1)];
      });
      // include.system + include.valueSet = intersection; valueSet alone = union
      if (pairs) {
        const keep = new Set(otherPairs.map(([s, c]) => `${s}|${c}`));
        pairs = pairs.filter(([s, c]) => keep.has(`${s}|${c}`));
      } else {
        pairs = otherPairs;
      }
    }
    return pairs ?? [];
  }
}

function fromExpansion(vs) {
  const codes = new Set();
  const bareCodes = new Set();
  const walk = (contains) => {
    for (const c of contains ?? []) {
      if (c.code && !c.abstract) {
        codes.add(`${c.system}|${c.code}`);
        bareCodes.add(c.code);
      }
      walk(c.contains);
    }
  };
  walk(vs.expansion.contains);
  return { url: vs.url, name: vs.name ?? vs.title ?? vs.id, codes, bareCodes };
}

/** Flattens a CodeSystem concept tree; each entry keeps its parent codes (for is-a filters). */
function flattenConcepts(concepts, parents = [], out = []) {
  for (const c of concepts) {
    const abstract = (c.property ?? []).some(
      (p) => (p.code === 'abstract' || p.code === 'notSelectable') && p.valueBoolean === true
    );
    out.push({ code: c.code, parents, abstract });
    flattenConcepts(c.concept ?? [], [...parents, c.code], out);
  }
  return out;
}

function applyFilter(cs, all, f) {
  if (f.property === 'concept' && (f.op === 'is-a' || f.op === 'descendent-of')) {
    return all.filter(
      (c) => c.parents.includes(f.value) || (f.op === 'is-a' && c.code === f.value)
    );
  }
  if (f.property === 'concept' && f.op === 'is-not-a') {
    return all.filter((c) => !(c.parents.includes(f.value) || c.code === f.value));
  }
  if (f.op === '=' && (f.property === 'notSelectable' || f.property === 'abstract')) {
    const want = f.value === 'true';
    return all.filter((c) => c.abstract === want);
  }
  return null; // unsupported filter
}
