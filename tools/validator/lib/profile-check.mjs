// Profile rules that Medplum's validateResource(resource, { profile }) does not enforce.
//
// Medplum applies a profile to the elements directly under the resource root (cardinality,
// fixed/pattern, slice counts) but crawls everything below with the BASE type definitions, and
// uses slice contents only to recognise slices. This walker goes over the profile snapshot and
// checks, for elements nested deeper than the root's children and for everything inside slices:
//   - cardinality (min/max), fixed[x] and pattern[x] values, required bindings;
//   - slices: recognition by value/pattern/type/exists discriminators, per-slice cardinality,
//     closed slicing, and the slice's own child rules.
// Root-level element rules are left to Medplum (no duplicate reports).

const FIXED_OR_PATTERN = /^(fixed|pattern)[A-Z]/;

function arr(x) {
  if (x === undefined || x === null) {
    return [];
  }
  return Array.isArray(x) ? x : [x];
}

function stripSliceName(seg) {
  return seg.includes(':') ? seg.slice(0, seg.indexOf(':')) : seg;
}

function capitalize(s) {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function deepEquals(a, b) {
  if (a === b) {
    return true;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => deepEquals(x, b[i]));
  }
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => deepEquals(a[k], b[k]));
  }
  return false;
}

function matchesPattern(value, pattern) {
  if (Array.isArray(pattern)) {
    const values = arr(value);
    return pattern.every((p) => values.some((v) => matchesPattern(v, p)));
  }
  if (pattern && typeof pattern === 'object') {
    if (Array.isArray(value)) {
      return value.some((v) => matchesPattern(v, pattern));
    }
    return (
      !!value &&
      typeof value === 'object' &&
      Object.entries(pattern).every(([k, p]) => matchesPattern(value[k], p))
    );
  }
  return value === pattern;
}

function fixedOrPattern(el) {
  for (const k of Object.keys(el ?? {})) {
    if (FIXED_OR_PATTERN.test(k)) {
      return { kind: k.startsWith('fixed') ? 'fixed' : 'pattern', value: el[k], key: k };
    }
  }
  return undefined;
}

function maxOf(el) {
  return el.max === '*' || el.max === undefined ? Infinity : Number.parseInt(el.max, 10);
}

class Tree {
  constructor(sd) {
    this.byId = new Map();
    this.children = new Map(); // id -> [child elements without slice in the last segment]
    this.slices = new Map(); // id of sliced element -> [slice root elements]
    for (const el of sd.snapshot.element) {
      const id = el.id ?? el.path;
      this.byId.set(id, el);
      const segs = id.split('.');
      if (segs.length === 1) {
        continue;
      }
      const last = segs[segs.length - 1];
      const parentId = segs.slice(0, -1).join('.');
      const colon = last.indexOf(':');
      if (colon >= 0) {
        const slicedId = `${parentId}.${last.slice(0, colon)}`;
        if (!this.slices.has(slicedId)) {
          this.slices.set(slicedId, []);
        }
        this.slices.get(slicedId).push(el);
      } else {
        if (!this.children.has(parentId)) {
          this.children.set(parentId, []);
        }
        this.children.get(parentId).push(el);
      }
    }
  }
}

const TREE_CACHE = new WeakMap();

function treeFor(sd) {
  let t = TREE_CACHE.get(sd);
  if (!t) {
    t = new Tree(sd);
    TREE_CACHE.set(sd, t);
  }
  return t;
}

/** Values of element `el` (last segment `name`) in instance object `node`, with their JSON keys. */
function valuesOf(node, el) {
  const id = el.id ?? el.path;
  const seg = id.split('.').pop();
  const name = seg.includes(':') ? seg.slice(0, seg.indexOf(':')) : seg;
  const out = [];
  if (!node || typeof node !== 'object') {
    return out;
  }
  if (name.endsWith('[x]')) {
    const base = name.slice(0, -3);
    for (const t of el.type ?? []) {
      const key = base + capitalize(t.code);
      // a primitive may be present only through its `_key` extension element
      const present = node[key] !== undefined ? node[key] : node['_' + key];
      arr(present).forEach((v, i) =>
        out.push({ value: v, key, index: Array.isArray(present) ? i : undefined, type: t.code })
      );
    }
    return out;
  }
  const v = node[name];
  if (v === undefined) {
    // primitive carried only by its `_name` extension element still counts as present
    if (node['_' + name] !== undefined) {
      arr(node['_' + name]).forEach((x, i) => out.push({ value: x, key: name, index: Array.isArray(node['_' + name]) ? i : undefined, type: el.type?.[0]?.code }));
    }
    return out;
  }
  arr(v).forEach((x, i) => {
    if (x !== null) {
      out.push({ value: x, key: name, index: Array.isArray(v) ? i : undefined, type: el.type?.[0]?.code });
    }
  });
  return out;
}

function navigate(value, pathExpr) {
  if (pathExpr === '$this') {
    return [value];
  }
  let current = [value];
  for (const step of pathExpr.split('.')) {
    if (step.includes('(')) {
      return undefined; // resolve(), extension('...'), ofType() ... not supported
    }
    const next = [];
    for (const c of current) {
      if (c && typeof c === 'object') {
        next.push(...arr(c[step]));
      }
    }
    current = next;
  }
  return current;
}

/**
 * @param reportAll - true when Medplum did not apply this profile at all (extension definitions
 *   applied to extension instances): then root-level rules are reported here too.
 */
export function checkProfileDeep(resource, sd, prefix, engine, reportAll = false) {
  const issues = [];
  const tree = treeFor(sd);
  const root = sd.snapshot.element[0];
  const rootId = root.id ?? root.path;
  const ctx = { tree, engine, issues, url: sd.url };
  if (reportAll) {
    checkValues(ctx, root, [{ value: resource, type: sd.type }], () => prefix);
  }
  walk(ctx, resource, rootId, prefix, reportAll);
  return issues;
}

function walk(ctx, node, elementId, instancePath, inSlice) {
  const { tree } = ctx;
  for (const child of tree.children.get(elementId) ?? []) {
    const childId = child.id ?? child.path;
    const depth = child.path.split('.').length;
    const report = inSlice || depth >= 3; // root-level children: Medplum already applied the profile
    const values = valuesOf(node, child);
    if (report && childId.endsWith('[x]') && node && typeof node === 'object') {
      const base = childId.split('.').pop().slice(0, -3);
      const allowed = new Set((child.type ?? []).map((t) => base + capitalize(t.code)));
      for (const key of Object.keys(node)) {
        const k = key.startsWith('_') ? key.slice(1) : key;
        if (k.startsWith(base) && /^[A-Z]/.test(k.slice(base.length)) && !allowed.has(k)) {
          err(ctx, `${instancePath}.${key}`, `Type ${k.slice(base.length)} is not allowed for ${child.path}: allowed ${[...allowed].join(', ')}`);
        }
      }
    }
    const childPath = (v) =>
      `${instancePath}.${v.key}${v.index !== undefined ? `[${v.index}]` : ''}`;
    if (report) {
      const min = child.min ?? 0;
      const max = maxOf(child);
      // violations of the BASE cardinality are Medplum's (reported once, by it)
      const baseMin = child.base?.min ?? 0;
      const baseMax = child.base?.max === undefined ? Infinity : maxOf(child.base);
      const name = childId.split('.').pop();
      // same wording as Medplum, so that a rule both report is listed once
      if (values.length < min && values.length >= baseMin) {
        err(
          ctx,
          `${instancePath}.${name.replace('[x]', '')}`,
          values.length === 0
            ? 'Missing required property'
            : `Invalid number of values: expected ${min}..${child.max}, but found ${values.length}`
        );
      } else if (values.length > max && values.length <= baseMax) {
        err(ctx, `${instancePath}.${name.replace('[x]', '')}`, `Invalid number of values: expected ${min}..${child.max}, but found ${values.length}`);
      }
      checkValues(ctx, child, values, childPath);
    }
    const slices = tree.slices.get(childId) ?? [];
    const matched = new Map(slices.map((s) => [s, []]));
    if (slices.length && child.slicing) {
      for (const v of values) {
        const s = slices.find((sl) => matchesSlice(ctx, child, sl, v));
        if (s) {
          matched.get(s).push(v);
        } else if (child.slicing.rules === 'closed') {
          err(ctx, childPath(v), `Value does not match any slice of closed slicing on ${child.path}`);
        }
      }
      for (const s of slices) {
        const got = matched.get(s);
        // slice counts of root-level elements are checked by Medplum, but only when the element
        // has values at all; nested ones and the no-value case are checked here
        if (report || values.length === 0) {
          const min = s.min ?? 0;
          const max = maxOf(s);
          if (got.length < min || got.length > max) {
            err(
              ctx,
              `${instancePath}.${stripSliceName(childId.split('.').pop())}`,
              `Incorrect number of values provided for slice '${s.sliceName}': expected ${min}..${Number.isFinite(max) ? max : '*'}, but found ${got.length}`
            );
          }
        }
        checkValues(ctx, s, got, childPath);
        for (const v of got) {
          if (v.value && typeof v.value === 'object') {
            walk(ctx, v.value, s.id ?? s.path, childPath(v), true);
          }
        }
      }
    }
    for (const v of values) {
      if (v.value && typeof v.value === 'object' && !Array.isArray(v.value)) {
        walk(ctx, v.value, childId, childPath(v), inSlice);
      }
    }
  }
}

function err(ctx, path, message) {
  ctx.issues.push({ severity: 'error', path, message, code: 'structure' });
}

function checkValues(ctx, el, values, childPath) {
  const fp = fixedOrPattern(el);
  for (const v of values) {
    if (fp) {
      const ok = fp.kind === 'fixed' ? deepEquals(v.value, fp.value) : matchesPattern(v.value, fp.value);
      if (!ok) {
        err(ctx, childPath(v), `Value does not match ${fp.key} ${JSON.stringify(fp.value)}`);
      }
    }
    const target = ctx.engine.bindingTarget(el.binding);
    if (target && v.value !== null && v.value !== undefined) {
      const t = v.type ?? el.type?.[0]?.code;
      ctx.engine.checkBinding({ type: t, value: v.value, path: childPath(v) }, target, ctx.issues);
    }
  }
}

/**
 * The element a discriminator path points at inside slice `sliceId`. When the path runs through a
 * nested slice (R4 bp: component:SystolicBP.code.coding:SBPCode.code for "code.coding.code"),
 * the element is found by ignoring slice names below the slice.
 */
export function findDiscriminatorDef(byId, sliceId, discriminatorPath) {
  if (discriminatorPath === '$this') {
    return byId.get(sliceId);
  }
  const wanted = `${sliceId}.${discriminatorPath}`;
  const exact = byId.get(wanted);
  if (exact && fixedOrPattern(exact)) {
    return exact;
  }
  for (const [id, el] of byId) {
    if (!id.startsWith(sliceId + '.') || !fixedOrPattern(el)) {
      continue;
    }
    const rest = id
      .slice(sliceId.length + 1)
      .split('.')
      .map((seg) => (seg.includes(':') ? seg.slice(0, seg.indexOf(':')) : seg))
      .join('.');
    if (`${sliceId}.${rest}` === wanted) {
      return el;
    }
  }
  return exact;
}

export { fixedOrPattern };

function matchesSlice(ctx, slicedEl, slice, v) {
  const sliceId = slice.id ?? slice.path;
  const discriminators = slicedEl.slicing?.discriminator ?? [];
  if (!discriminators.length) {
    return false;
  }
  return discriminators.every((d) => {
    const def = findDiscriminatorDef(ctx.tree.byId, sliceId, d.path);
    if (d.type === 'type') {
      const types = (def ?? slice).type?.map((t) => t.code) ?? [];
      return types.includes(v.type) || (v.value?.resourceType && types.includes(v.value.resourceType));
    }
    const found = navigate(v.value, d.path);
    if (found === undefined) {
      return false;
    }
    if (d.type === 'exists') {
      const mustExist = (def?.min ?? 0) > 0;
      const mustNotExist = def?.max === '0';
      return mustExist ? found.length > 0 : mustNotExist ? found.length === 0 : false;
    }
    if (d.type === 'value' || d.type === 'pattern') {
      let fp = fixedOrPattern(def);
      if (!fp && d.path === 'url') {
        const t = slice.type?.[0];
        if (t?.code === 'Extension' && t.profile?.length === 1) {
          fp = { kind: 'fixed', value: t.profile[0] };
        }
      }
      if (fp) {
        return found.some((x) => (fp.kind === 'fixed' ? deepEquals(x, fp.value) : matchesPattern(x, fp.value)));
      }
      const target = ctx.engine.bindingTarget(def?.binding);
      if (target) {
        const probe = [];
        const t = def.type?.[0]?.code;
        return found.some((x) => {
          probe.length = 0;
          ctx.engine.checkBinding({ type: t, value: x, path: '' }, target, probe);
          return probe.length === 0;
        });
      }
      return false;
    }
    return false; // profile / position discriminators are not supported
  });
}
