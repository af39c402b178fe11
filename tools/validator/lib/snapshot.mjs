// Minimal snapshot generation for differential-only profiles (e.g. SUSHI output, which carries no
// snapshot), so that Medplum's parseStructureDefinition can use them.
//
// It is deliberately simple and covers what FSH profiles usually say:
//   - constraining existing elements (cardinality, fixed/pattern, binding, type, constraints, ...);
//   - new slices ("X.section:reason") - cloned from the sliced element and its children;
//   - rules on children of a data type (e.g. "X.code.coding") - the type is unfolded from its
//     own StructureDefinition (or from the type's profile when there is exactly one);
//   - extension slices get a `url` child with fixedUri = the extension's profile URL, so that
//     Medplum's `value:url` discriminator can match them.
// It does not do: re-slicing, slices of slices with their own unfolding of profiled types beyond
// one level of profile, or the full merge rules of the HL7 snapshot generator.

const MERGE_APPEND = new Set(['constraint', 'condition', 'mapping']);
const SKIP_KEYS = new Set(['id', 'path']);

function clone(x) {
  return structuredClone(x);
}

/** Splits an element id into segments, e.g. "A.b:s.c" -> ["A", "b:s", "c"]. */
function idSegments(id) {
  return id.split('.');
}

function parentIdOf(id) {
  const segs = idSegments(id);
  return segs.slice(0, -1).join('.');
}

function stripSlice(seg) {
  const i = seg.indexOf(':');
  return i < 0 ? seg : seg.slice(0, i);
}

function pathFromId(id) {
  return idSegments(id).map(stripSlice).join('.');
}

function subtreeEnd(elements, idx) {
  const id = elements[idx].id;
  let end = idx + 1;
  while (end < elements.length) {
    const other = elements[end].id;
    if (other.startsWith(id + '.') || other.startsWith(id + ':')) {
      end++;
    } else {
      break;
    }
  }
  return end; // exclusive
}

export class SnapshotGenerator {
  /** @param {(url: string) => any} resolve - returns a StructureDefinition (with snapshot) by URL */
  constructor(resolve) {
    this.resolve = resolve;
    this.warnings = [];
  }

  generate(sd) {
    const base = this.resolve(sd.baseDefinition);
    if (!base?.snapshot?.element?.length) {
      throw new Error(`cannot generate snapshot for ${sd.url}: base ${sd.baseDefinition} not available`);
    }
    const elements = clone(base.snapshot.element);
    for (const e of elements) {
      e.id ??= e.path;
    }
    for (const diffEl of sd.differential?.element ?? []) {
      const id = diffEl.id ?? diffEl.path + (diffEl.sliceName ? ':' + diffEl.sliceName : '');
      let idx = this.ensureElement(elements, id, diffEl);
      if (idx < 0) {
        this.warnings.push(`${sd.url}: could not place differential element ${id}`);
        continue;
      }
      this.merge(elements[idx], diffEl);
      // an extension slice with a profile: give Medplum a url discriminator value
      idx = elements.findIndex((e) => e.id === id);
      this.addExtensionUrl(elements, idx);
    }
    return { ...sd, snapshot: { element: elements } };
  }

  merge(target, diffEl) {
    for (const [k, v] of Object.entries(diffEl)) {
      if (SKIP_KEYS.has(k)) {
        continue;
      }
      if (MERGE_APPEND.has(k) && Array.isArray(target[k])) {
        const have = new Set(target[k].map((x) => JSON.stringify(x)));
        target[k] = [...target[k], ...v.filter((x) => !have.has(JSON.stringify(x)))];
      } else {
        if (k.startsWith('fixed') || k.startsWith('pattern')) {
          for (const old of Object.keys(target)) {
            if ((old.startsWith('fixed') || old.startsWith('pattern')) && old !== k) {
              delete target[old];
            }
          }
        }
        target[k] = clone(v);
      }
    }
  }

  /** Returns the index of element `id`, creating it (slice or unfolded child) when needed. */
  ensureElement(elements, id, diffEl) {
    let idx = elements.findIndex((e) => e.id === id);
    if (idx >= 0) {
      return idx;
    }
    const segs = idSegments(id);
    const last = segs[segs.length - 1];
    if (last.includes(':')) {
      // new slice: clone the sliced element (and its children) at the end of its subtree
      const sliceName = last.slice(last.indexOf(':') + 1);
      const unslicedId = [...segs.slice(0, -1), stripSlice(last)].join('.');
      const uIdx = this.ensureElement(elements, unslicedId, undefined);
      if (uIdx < 0) {
        return -1;
      }
      const end = subtreeEnd(elements, uIdx);
      const unsliced = elements[uIdx];
      if (!unsliced.slicing && unsliced.type?.some((t) => t.code === 'Extension')) {
        // extensions are implicitly sliced by url
        unsliced.slicing = { discriminator: [{ type: 'value', path: 'url' }], ordered: false, rules: 'open' };
      }
      const children = elements
        .slice(uIdx + 1, end)
        .filter((e) => e.id.startsWith(unslicedId + '.'));
      const root = clone(unsliced);
      delete root.slicing;
      root.id = id;
      root.sliceName = sliceName;
      root.min = 0;
      if (stripSlice(last).endsWith('[x]') && diffEl?.type === undefined) {
        // choice slice named like valueQuantity -> restrict the type
        const prefix = stripSlice(last).slice(0, -3);
        const typeName = sliceName.startsWith(prefix) ? sliceName.slice(prefix.length) : '';
        const t = (root.type ?? []).find((x) => x.code.toLowerCase() === typeName.toLowerCase());
        if (t) {
          root.type = [t];
        }
      }
      const copies = children.map((c) => {
        const cc = clone(c);
        cc.id = id + c.id.slice(unslicedId.length);
        return cc;
      });
      elements.splice(end, 0, root, ...copies);
      return end;
    }
    // child of an element whose type is not unfolded yet
    const parentId = parentIdOf(id);
    if (!parentId) {
      return -1;
    }
    const pIdx = this.ensureElement(elements, parentId, undefined);
    if (pIdx < 0) {
      return -1;
    }
    if (!this.unfold(elements, pIdx)) {
      return -1;
    }
    return elements.findIndex((e) => e.id === id);
  }

  /** Inserts the children of elements[pIdx] from its type's definition. */
  unfold(elements, pIdx) {
    const parent = elements[pIdx];
    const end = subtreeEnd(elements, pIdx);
    if (elements.slice(pIdx + 1, end).some((e) => e.id.startsWith(parent.id + '.'))) {
      return false; // already unfolded, and the wanted child is not there
    }
    const types = parent.type ?? [];
    if (types.length !== 1) {
      return false;
    }
    const t = types[0];
    const typeSd =
      (t.profile?.length === 1 ? this.resolve(t.profile[0]) : undefined) ??
      this.resolve(`http://hl7.org/fhir/StructureDefinition/${t.code}`);
    if (!typeSd?.snapshot?.element?.length) {
      return false;
    }
    const rootPath = typeSd.snapshot.element[0].path;
    const parentPath = parent.path;
    const kids = typeSd.snapshot.element.slice(1).map((c) => {
      const cc = clone(c);
      const cid = c.id ?? c.path;
      cc.id = parent.id + cid.slice(rootPath.length);
      cc.path = parentPath + c.path.slice(rootPath.length);
      return cc;
    });
    elements.splice(pIdx + 1, 0, ...kids);
    return true;
  }

  addExtensionUrl(elements, idx) {
    const el = elements[idx];
    if (!el?.sliceName) {
      return;
    }
    const t = el.type?.length === 1 ? el.type[0] : undefined;
    if (t?.code !== 'Extension' || t.profile?.length !== 1) {
      return;
    }
    const urlId = el.id + '.url';
    const existing = elements.find((e) => e.id === urlId);
    if (existing) {
      existing.fixedUri ??= t.profile[0];
      return;
    }
    elements.splice(idx + 1, 0, {
      id: urlId,
      path: el.path + '.url',
      min: 1,
      max: '1',
      base: { path: 'Extension.url', min: 1, max: '1' },
      type: [{ code: 'uri' }],
      fixedUri: t.profile[0],
    });
  }
}

/** For snapshots made elsewhere: make extension slices matchable by Medplum (url child). */
export function addExtensionUrlChildren(sd) {
  const gen = new SnapshotGenerator(() => undefined);
  const els = sd.snapshot.element;
  for (let i = 0; i < els.length; i++) {
    els[i].id ??= els[i].path;
    gen.addExtensionUrl(els, i);
  }
  return sd;
}

export { pathFromId };
